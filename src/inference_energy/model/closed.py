"""Closed services by name: cited priors on the size of models whose providers do not publish it.

``closed_models.csv`` gives, per model, a range of active and total parameters that covers the
public estimates (EcoLogits, MEDEC, Epoch AI, ...), read as the 90 % interval of a lognormal,
the accelerator it likely runs on and whose data centres serve it.  A provider's own per-query
disclosure (Gemini, ChatGPT) enters the calibration as a deployment of its *disclosure models*
(what the disclosed service ran then); their union sets that deployment's size prior, and the
size the disclosure implies is what an estimate of a disclosure model draws.  Every closed model
shares production serving's efficiencies, host, idle-capacity and its provider's PUE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .catalog import REF_ACTIVE_B, _name_key

Z90 = 1.6448536269514722
#: Log-sd of a size the provider discloses (low = high): rounding of the published count.
DISCLOSED_SIGMA = 0.02
#: What each disclosed service ran when it was measured (the deployment's size prior is their union).
#: Google measured Gemini Apps text prompts in May 2025: Gemini 2.0 Flash was the app's default until
#: 2.5 Flash replaced it that month (Google I/O, 2025-05-20).  OpenAI's "average query" (June 2025)
#: is ChatGPT's, whose default model then was GPT-4o.
DISCLOSURE_MODELS = {"google": ("gemini-2.0-flash", "gemini-2.5-flash"), "openai": ("gpt-4o",)}


def _lognormal(low: float, high: float) -> tuple[float, float]:
    """(mu, sigma) of ln billions with [low, high] as the 90 % interval."""
    if high <= low:
        return math.log(low), DISCLOSED_SIGMA
    return 0.5 * (math.log(low) + math.log(high)), (math.log(high) - math.log(low)) / (2 * Z90)


@dataclass(frozen=True)
class ClosedModel:
    id: str
    provider: str
    aliases: tuple[str, ...]
    active_b: tuple[float, float]  # low, high (billions)
    total_b: tuple[float, float]
    moe: bool | None
    hardware: str
    pue_operator: str
    source: str

    @property
    def active_log(self) -> tuple[float, float]:
        return _lognormal(*self.active_b)

    @property
    def total_log(self) -> tuple[float, float]:
        return _lognormal(*self.total_b)

    def draw_params(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(active, total) parameters [count] of ``n`` prior draws; total never below active."""
        mu, sd = self.active_log
        active = np.exp(mu + sd * rng.standard_normal(n)) * 1e9
        if self.moe is False:
            return active, active.copy()
        mu, sd = self.total_log
        return active, np.maximum(active, np.exp(mu + sd * rng.standard_normal(n)) * 1e9)

    def describe(self) -> str:
        a, t = self.active_b, self.total_b
        span = lambda r: f"{r[0]:g}" if r[0] == r[1] else f"{r[0]:g}-{r[1]:g}"  # noqa: E731
        return f"{span(a)} B active, {span(t)} B total ({self.source})"


def closed_catalog(rows: list[dict] | None) -> dict[str, ClosedModel]:
    """id -> ClosedModel from the rows of closed_models.csv (empty without the table)."""
    out = {}
    for r in rows or []:
        out[r["id"]] = ClosedModel(
            id=r["id"], provider=r["provider"], aliases=tuple(a.strip() for a in (r["aliases"] or "").split(";") if a.strip()),
            active_b=(r["active_params_b_low"], r["active_params_b_high"]),
            total_b=(r["total_params_b_low"], r["total_params_b_high"]),
            moe=None if not r["moe"] else r["moe"] == "true", hardware=r["hardware"], pue_operator=r["pue_operator"],
            source=r["source"].split(" | ")[0])
    return out


def alias_keys(closed: dict[str, ClosedModel]) -> dict[str, str]:
    """Normalised name -> closed id, for every id and alias."""
    keys = {}
    for m in closed.values():
        for name in (m.id, *m.aliases):
            keys.setdefault(_name_key(name), m.id)
    return keys


def deployment_size_prior(closed: dict[str, ClosedModel], provider: str) -> tuple[float, float, float] | None:
    """Prior of a disclosure deployment: (mu, sigma) of x = ln(active / 10 B) spanning its disclosure
    models' ranges, and ln(total / active) at their midpoints.  None: no disclosure models known."""
    models = [closed[m] for m in DISCLOSURE_MODELS.get(provider, ()) if m in closed]
    if not models:
        return None
    low = min(m.active_b[0] for m in models)
    high = max(m.active_b[1] for m in models)
    mu, sd = _lognormal(low, high)
    ratio = float(np.mean([m.total_log[0] - m.active_log[0] for m in models]))
    return mu - math.log(REF_ACTIVE_B), sd, max(ratio, 0.0)


_TEXT = ("provider", "hardware", "pue_operator", "source")


def closed_dataset(closed: dict[str, ClosedModel]) -> dict:
    """Variables over ``closed_model`` for a stored file (so a file alone answers ``--model gpt-4o``)."""
    ms = list(closed.values())
    data = {f"closed_{k}": ("closed_model", np.array([getattr(m, k) for m in ms], dtype=str), {"units": "1", "long_name": k})
            for k in _TEXT}
    data["closed_aliases"] = ("closed_model", np.array([";".join(m.aliases) for m in ms], dtype=str),
                              {"units": "1", "long_name": "other names users write, ';'-separated"})
    for kind in ("active", "total"):
        for i, end in enumerate(("low", "high")):
            data[f"closed_{kind}_params_b_{end}"] = ("closed_model", np.array([getattr(m, f"{kind}_b")[i] for m in ms]),
                                                     {"units": "1e9", "long_name": f"{kind} parameters, {end} end "
                                                      "of the cited estimates (90 % interval), billions"})
    data["closed_moe"] = ("closed_model", np.array([-1 if m.moe is None else int(m.moe) for m in ms], dtype=np.int8),
                          {"units": "1", "long_name": "1 mixture of experts, 0 dense, -1 not known"})
    return data


def closed_from_dataset(ds) -> dict[str, ClosedModel]:
    out = {}
    for i, mid in enumerate(str(v) for v in ds["closed_model"].values):
        text = {k: str(ds[f"closed_{k}"].values[i]) for k in _TEXT}
        moe = int(ds["closed_moe"].values[i])
        num = lambda name: float(ds[name].values[i])  # noqa: E731
        out[mid] = ClosedModel(
            id=mid, aliases=tuple(a for a in str(ds["closed_aliases"].values[i]).split(";") if a),
            active_b=(num("closed_active_params_b_low"), num("closed_active_params_b_high")),
            total_b=(num("closed_total_params_b_low"), num("closed_total_params_b_high")),
            moe=None if moe < 0 else bool(moe), **text)
    return out
