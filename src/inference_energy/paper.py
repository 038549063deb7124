"""The seed paper's forward Monte Carlo, exactly (paper-method.md).

    E [Wh] = PUE * P_max * PU * L_out / (3.6 * TPS(L_in, L_out))

Everything is vectorised over (regime, model, draw); the only Python loops run
over models, regimes or pathways, never over draws.  ``legacy=True`` replays
the authors' random stream (numpy's legacy generator, reseeded per regime,
drawing per model: tokens, then PU, then PUE) and reproduces their figures to
the digit; the default uses ``numpy.random.Generator``.

Output tokens are exponential draws rounded to integers, so a few draws are
zero tokens (about 0.1 % at median 300).  Those are not queries: their energy
is NaN and every statistic skips them, as the authors' summaries did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .data import CalibrationData, load
from .presets import REGIMES, PaperPreset
from .stats import lognormal_from_p5_p95, summarize

FIT_KINDS = ("log-linear", "constant")


@dataclass(frozen=True)
class ThroughputFits:
    """Per-model throughput law ``ln TPS = b0 + b1 ln L_in + b2 ln L_out``, capped.

    A model with fewer than ``min_rows_for_fit`` rows is constant at its largest
    observed TPS (b0 = ln max, b1 = b2 = 0).  Models are ordered as the paper
    draws them: fitted models in table order, then the constant ones.
    """

    models: tuple[str, ...]
    kind: tuple[str, ...]
    intercept: np.ndarray
    input_slope: np.ndarray
    output_slope: np.ndarray
    cap: np.ndarray  # largest observed TPS, tokens/s
    n_points: np.ndarray

    def log_throughput(self, input_tokens: float, log_output_tokens: np.ndarray) -> np.ndarray:
        """ln TPS before the cap, broadcasting models over axis -2 of the draws."""
        b0 = (self.intercept + self.input_slope * np.log(input_tokens))[:, None]
        return b0 + self.output_slope[:, None] * log_output_tokens


def fit_throughput(data: CalibrationData, preset: PaperPreset) -> ThroughputFits:
    """Ordinary least squares in natural logs per model on the preset's precision rows."""
    try:
        table = data.observations[preset.throughput_table]
    except KeyError:
        raise KeyError(f"{data.directory}: no table {preset.throughput_table!r}, which the preset needs") from None
    rows = [
        r for r in table.rows
        if r["quantity"] == "output_throughput" and r["precision"] == preset.precision
    ]
    by_model: dict[str, list[dict]] = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    fitted, constant = [], []
    for model, group in by_model.items():
        tps = np.array([r["value"] for r in group])
        if len(group) >= preset.min_rows_for_fit:
            lin = np.array([r["input_tokens"] for r in group], dtype=float)
            lout = np.array([r["output_tokens"] for r in group], dtype=float)
            X = np.column_stack([np.ones(len(group)), np.log(lin), np.log(lout)])
            coef = np.linalg.lstsq(X, np.log(tps), rcond=None)[0]
            fitted.append((model, "log-linear", *coef, tps.max(), len(group)))
        else:
            constant.append((model, "constant", np.log(tps.max()), 0.0, 0.0, tps.max(), len(group)))
    cols = list(zip(*(fitted + constant)))
    return ThroughputFits(
        models=tuple(cols[0]),
        kind=tuple(cols[1]),
        intercept=np.array(cols[2]),
        input_slope=np.array(cols[3]),
        output_slope=np.array(cols[4]),
        cap=np.array(cols[5]),
        n_points=np.array(cols[6]),
    )


@dataclass
class Simulation:
    """Per-query draws of every model in every regime, arrays shaped (regime, model, draw)."""

    preset: PaperPreset
    fits: ThroughputFits
    regimes: tuple[str, ...]
    seed: int
    legacy: bool
    data_sha256: str
    output_tokens: np.ndarray
    power_utilization: np.ndarray
    pue: np.ndarray
    throughput: np.ndarray
    energy: np.ndarray  # Wh per query; NaN for zero-token draws
    node_power: np.ndarray  # kW per model
    rng: np.random.Generator | np.random.RandomState = field(repr=False)
    blend_models: dict[str, tuple[str, ...]] = field(default_factory=dict)
    in_blend: np.ndarray | None = None

    @property
    def models(self) -> tuple[str, ...]:
        return self.fits.models

    def blend_pool(self, regime: str) -> np.ndarray:
        """The trimmed, pooled draws of the frontier blend in one regime."""
        r = self.regimes.index(regime)
        return self.energy[r][self.in_blend[r]]

    def raw_blend_pool(self, regime: str) -> np.ndarray:
        """The untrimmed finite draws of the blend's models (used by the fleet)."""
        r = self.regimes.index(regime)
        rows = [self.models.index(m) for m in self.blend_models[regime]]
        v = self.energy[r, rows].ravel()
        return v[np.isfinite(v)]

    def energy_summary(self) -> np.ndarray:
        """(regime, model + blend, statistic) summary of energy per query, Wh."""
        out = np.empty((len(self.regimes), len(self.models) + 1, 6))
        for r, regime in enumerate(self.regimes):
            for m in range(len(self.models)):
                out[r, m] = summarize(self.energy[r, m])
            out[r, -1] = summarize(self.blend_pool(regime))
        return out


def _draw_legacy(preset: PaperPreset, regimes, n_models, n, seed):
    """The authors' stream: reseed per regime; per model tokens, PU, PUE."""
    mu_pu, s_pu = lognormal_from_p5_p95(*preset.power_utilization_p5_p95)
    mu_pue, s_pue = lognormal_from_p5_p95(*preset.pue_p5_p95)
    shape = (len(regimes), n_models, n)
    tokens, pu, pue = np.empty(shape), np.empty(shape), np.empty(shape)
    rng = None
    for r, regime in enumerate(regimes):
        rng = np.random.RandomState(seed)
        scale = preset.output_tokens_median[regime] / np.log(2)
        for m in range(n_models):
            tokens[r, m] = rng.exponential(scale, n)
            pu[r, m] = rng.lognormal(mu_pu, s_pu, n)
            pue[r, m] = rng.lognormal(mu_pue, s_pue, n)
    np.round(tokens, out=tokens)
    return tokens, pu, pue, rng


def _draw(preset: PaperPreset, regimes, n_models, n, seed):
    rng = np.random.default_rng(seed)
    shape = (len(regimes), n_models, n)
    scale = np.array([preset.output_tokens_median[r] for r in regimes]) / np.log(2)
    tokens = rng.standard_exponential(shape)
    tokens *= scale[:, None, None]
    np.round(tokens, out=tokens)
    pu = rng.lognormal(*lognormal_from_p5_p95(*preset.power_utilization_p5_p95), size=shape)
    pue = rng.lognormal(*lognormal_from_p5_p95(*preset.pue_p5_p95), size=shape)
    return tokens, pu, pue, rng


def simulate(
    preset: PaperPreset,
    data: CalibrationData | None = None,
    draws: int | None = None,
    seed: int = 42,
    regimes: Sequence[str] = REGIMES,
    legacy: bool = False,
) -> Simulation:
    """Draw per-query energy for every model and regime, then mark the frontier blend."""
    data = data if data is not None else load()
    regimes = tuple(regimes)
    unknown = set(regimes) - set(preset.output_tokens_median)
    if unknown:
        raise ValueError(f"unknown regime(s) {', '.join(sorted(unknown))}; known: {', '.join(preset.output_tokens_median)}")
    n = int(draws or preset.draws)
    if n < 20:
        raise ValueError(f"need at least 20 draws per model, got {n}")
    fits = fit_throughput(data, preset)
    n_models = len(fits.models)
    draw = _draw_legacy if legacy else _draw
    tokens, pu, pue, rng = draw(preset, regimes, n_models, n, seed)

    with np.errstate(divide="ignore", invalid="ignore"):
        valid = tokens > 0
        log_tokens = np.log(tokens, where=valid, out=np.full(tokens.shape, np.nan))
        throughput = np.exp(fits.log_throughput(preset.input_tokens, log_tokens))
        np.minimum(throughput, fits.cap[:, None], out=throughput)
        if preset.power_coupling is not None:
            a, b = preset.power_coupling
            pu = a + b * throughput / fits.cap[:, None]
        node_power = np.array([preset.node_power(m) for m in fits.models])
        # E = PUE * P_max * PU * L_eff / (3.6 * TPS), computed in place.
        energy = tokens + preset.input_token_weight * preset.input_tokens if preset.input_token_weight else tokens.copy()
        energy[~valid] = np.nan
        energy *= pue
        energy *= pu
        energy /= throughput
        energy *= (node_power / 3.6)[:, None]

    sim = Simulation(
        preset=preset, fits=fits, regimes=regimes, seed=seed, legacy=legacy,
        data_sha256=data.sha256, output_tokens=tokens, power_utilization=pu, pue=pue,
        throughput=throughput, energy=energy, node_power=node_power, rng=rng,
    )
    _mark_blend(sim)
    return sim


def _mark_blend(sim: Simulation) -> None:
    """Select the top-k models by median energy and trim each one's draws twice."""
    preset = sim.preset
    k = min(preset.blend_size, len(sim.models))
    sim.in_blend = np.zeros(sim.energy.shape, dtype=bool)
    for r, regime in enumerate(sim.regimes):
        medians = np.array([np.nanmedian(sim.energy[r, m]) for m in range(len(sim.models))])
        top = sorted(np.argsort(-medians, kind="stable")[:k])
        sim.blend_models[regime] = tuple(sim.models[m] for m in top)
        for m in top:
            e = sim.energy[r, m]
            keep = np.isfinite(e)
            for lo, hi in preset.blend_trims:
                a, b = np.percentile(e[keep], [lo, hi])
                keep &= (e >= a) & (e <= b)
            sim.in_blend[r, m] = keep


# --- efficiency pathways ---------------------------------------------------

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
