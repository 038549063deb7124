"""The paper's efficiency pathways and fleet energy, from a simulation's blend pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..stats import lognormal_from_p5_p95, summarize
from .presets import REGIMES
from .simulate import Simulation


PATHWAYS = ("baseline", "model", "serving", "hardware", "combined")


@dataclass
class PathwayResult:
    """Blend energy after each pathway, per regime.

    ``energy`` is (regime, pathway, statistic) in Wh; ``reduction`` holds the
    divisor's P5, P50, P95 (for ``combined``: the product of the three
    divisors, a distribution, not the paper's judgement of "8-20x");
    ``median_reduction`` is median(baseline) / median(after).
    """

    regimes: tuple[str, ...]
    energy: np.ndarray
    reduction: np.ndarray
    median_reduction: np.ndarray


def pathways(sim: Simulation) -> PathwayResult:
    """Divide the frontier-blend pool by each pathway's lognormal divisor, and by their product."""
    preset = sim.preset
    names = tuple(preset.pathways)
    energy = np.empty((len(sim.regimes), len(names) + 2, 6))
    reduction = np.ones((len(sim.regimes), len(names) + 2, 3))
    for r, regime in enumerate(sim.regimes):
        pool = sim.blend_pool(regime)
        divisors = np.stack([sim.rng.lognormal(*lognormal_from_p5_p95(*preset.pathways[p]), size=pool.size) for p in names])
        combined = divisors.prod(axis=0)
        energy[r, 0] = summarize(pool)
        for i, d in enumerate([*divisors, combined], start=1):
            energy[r, i] = summarize(pool / d)
            reduction[r, i] = np.percentile(d, [5, 50, 95])
    median_reduction = energy[:, :1, 2] / energy[:, :, 2]
    return PathwayResult(sim.regimes, energy, reduction, median_reduction)


# --- fleet -----------------------------------------------------------------

FLEET_SCENARIOS = ("baseline", "improved")


@dataclass
class FleetResult:
    """Fleet energy per day: per regime and for each long-query share.

    ``by_regime`` is (scenario, regime, [p5, p50, p95]) and ``mixed`` is
    (scenario, long_share, [p5, p50, p95]), in GWh/day.
    """

    queries_per_day: float
    long_shares: tuple[float, ...]
    regimes: tuple[str, ...]
    mean_energy_wh: np.ndarray  # per regime, untrimmed blend pool
    by_regime: np.ndarray
    mixed: np.ndarray


def _bootstrap_means(values: np.ndarray, n_boot: int, rng, max_cells: int = 4_000_000) -> np.ndarray:
    """Means of ``n_boot`` resamples with replacement, in memory-bounded chunks."""
    n = values.size
    chunk = max(1, max_cells // n)
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        if isinstance(rng, np.random.Generator):
            idx = rng.integers(0, n, size=(stop - start, n))
        else:
            idx = rng.randint(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def fleet(sim: Simulation, queries_per_day: float = 1e9, long_shares: Sequence[float] = (0.0, 0.1)) -> FleetResult:
    """The paper's fleet arithmetic: mean query energy x queries x overhead, bootstrapped."""
    preset = sim.preset
    if set(REGIMES) - set(sim.regimes):
        raise ValueError("the fleet needs both regimes (traditional and long)")
    for s in long_shares:
        if not 0 <= s <= 1:
            raise ValueError(f"long share must be within [0, 1], got {s}")
    overhead = float(np.prod(preset.fleet_overhead))
    gwh_per_wh = queries_per_day / 1e9 * overhead
    by_regime = np.empty((2, len(REGIMES), 3))
    means = np.empty(len(REGIMES))
    for r, regime in enumerate(REGIMES):
        pool = sim.raw_blend_pool(regime)
        means[r] = pool.mean()
        boot = _bootstrap_means(pool, preset.fleet_bootstrap, sim.rng) * gwh_per_wh
        divisor = sim.rng.lognormal(*lognormal_from_p5_p95(*preset.fleet_serving_multiplier[regime]), size=boot.size)
        by_regime[0, r] = np.percentile(boot, [5, 50, 95])
        by_regime[1, r] = np.percentile(boot / divisor, [5, 50, 95])
    shares = np.asarray(long_shares, dtype=float)
    # The paper mixes each statistic separately: (1 - s) * traditional + s * long.
    mixed = (1 - shares)[None, :, None] * by_regime[:, None, 0] + shares[None, :, None] * by_regime[:, None, 1]
    return FleetResult(float(queries_per_day), tuple(float(s) for s in shares), REGIMES, means, by_regime, mixed)
