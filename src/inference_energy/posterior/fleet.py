"""Fleet energy per day from a calibration: any mix of models and regimes, with posterior uncertainty.

A day's energy is queries x sum_i share_i x E[energy of a query of mix entry i].
Per-query variation averages out over a day, so for each posterior draw the
expectation over queries is estimated by simulating ``queries`` queries; the
spread across draws is parameter uncertainty.  Efficiency pathways divide the
day's energy by independent lognormal divisors (the paper's P5-P95 ranges, from
a preset), each alone and all three combined.  Water and carbon per day use
the push-forward's cited defaults unless the scenario overrides them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..paper.presets import PaperPreset
from .pushforward import Scenario, energy_draws
from ..stats import rounded
from ..stats import lognormal_from_p5_p95

def parse_mix(text: str) -> list[tuple[str, str, float]]:
    """"Llama-3.1-70B:traditional:0.9,DeepSeek-R1:long:0.1" -> entries; shares must sum to 1."""
    entries = []
    for part in text.split(","):
        bits = part.strip().split(":")
        if len(bits) != 3:
            raise ValueError(f"mix entry {part!r}: expected MODEL:REGIME:SHARE")
        try:
            share = float(bits[2])
        except ValueError:
            raise ValueError(f"mix entry {part!r}: share {bits[2]!r} is not a number") from None
        if share < 0:
            raise ValueError(f"mix entry {part!r}: share must be >= 0")
        entries.append((bits[0], bits[1], share))
    total = sum(e[2] for e in entries)
    if not np.isclose(total, 1.0, atol=1e-6):
        raise ValueError(f"mix shares sum to {total:g}; they must sum to 1")
    return entries


def fleet_posterior(post, cat, traces, mix: list[tuple[str, str, float]], queries_per_day: float,
                    base: Scenario, preset: PaperPreset, queries: int = 200, seed: int = 0) -> list[dict]:
    """Records of GWh/day (energy), m3/day (water) and tCO2e/day (carbon), per pathway."""
    rng = np.random.default_rng(seed)
    energy_wh = water_ml = carbon_g = 0.0
    for i, (model, regime, share) in enumerate(mix):
        sc = replace(base, model=model, regime=regime)
        d = energy_draws(post, cat, traces, sc, queries=queries, seed=seed + i)
        energy_wh = energy_wh + share * np.exp(d["facility"]).mean(axis=1)
        water_ml = water_ml + share * d["water_ml"].mean(axis=1)
        carbon_g = carbon_g + share * d["carbon_g"].mean(axis=1)
    S = len(energy_wh)
    divisors = {name: rng.lognormal(*lognormal_from_p5_p95(*bounds), size=S) for name, bounds in preset.pathways.items()}
    divisors["combined"] = np.prod(list(divisors.values()), axis=0)
    out = []
    for pathway, div in [("baseline", np.ones(S)), *divisors.items()]:
        for quantity, per_query, unit, scale in (("energy", energy_wh, "GWh/day", 1e-9),
                                                  ("water", water_ml, "m3/day", 1e-6),
                                                  ("carbon", carbon_g, "tCO2e/day", 1e-6)):
            daily = per_query * queries_per_day * scale / div
            p5, p50, p95 = np.percentile(daily, [5, 50, 95])
            out.append({"scenario": pathway, "quantity": quantity, "unit": unit, "queries_per_day": queries_per_day,
                        "mix": ", ".join(f"{m}:{r}:{s:g}" for m, r, s in mix),
                        "p5": rounded(p5), "p50": rounded(p50), "p95": rounded(p95), "mean": rounded(daily.mean())})
    return out
