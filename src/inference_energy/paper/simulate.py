"""The seed paper's forward Monte Carlo, exactly (paper-method.md).

    E [Wh] = PUE * P_max * PU * L_out / (3.6 * TPS(L_in, L_out))

Everything is vectorised over (regime, model, draw); the only Python loops run
over models, regimes or pathways, never over draws.  ``legacy=True`` replays
the authors' random stream (numpy's legacy generator, reseeded per regime,
drawing per model: tokens, then PU, then PUE) and reproduces their figures to
the digit; the default uses ``numpy.random.Generator``.

Output tokens are exponential draws rounded to integers, so about 0.1 % of
draws are zero tokens at median 300.  The formula's value there is E = 0 (its
limit as L_out -> 0 for every fitted law), and that is what the default gives.
The authors' arithmetic gave 0/0 = NaN for models whose throughput falls with
shorter outputs, and their summaries skipped those draws; ``legacy=True``
keeps that too, since it moves the published digits.
"""


from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..data import CalibrationData, load
from ..stats import lognormal_from_p5_p95, sorted_percentiles, summarize_sorted
from .presets import REGIMES, PaperPreset
from .throughput import ThroughputFits, fit_throughput

#: Label of the frontier-scale blend (the paper's headline distribution).
BLEND = "frontier-blend"

@dataclass
class Simulation:
    """Per-query draws of every model in every regime, arrays shaped (regime, model, draw)."""

    preset: PaperPreset
    fits: ThroughputFits
    regimes: tuple[str, ...]
    seed: int
    legacy: bool
    data_sha256: str
    output_tokens: np.ndarray | None  # None when the run kept only the energy
    power_utilization: np.ndarray | None
    pue: np.ndarray | None
    throughput: np.ndarray | None
    energy: np.ndarray  # Wh per query; under legacy, NaN where the authors' arithmetic gave 0/0
    node_power: np.ndarray  # kW per model
    rng: np.random.Generator | np.random.RandomState = field(repr=False)
    blend_models: dict[str, tuple[str, ...]] = field(default_factory=dict)
    in_blend: np.ndarray | None = None  # per draw; only when the draws are kept
    #: (regime, model) -> finite energies sorted; and the slice of them the blend keeps.
    sorted_energy: dict = field(default_factory=dict, repr=False)
    kept: dict = field(default_factory=dict, repr=False)
    #: (regime, model + blend, statistic): P5, P25, P50, P75, P95, mean of energy, Wh.
    summary: np.ndarray | None = None
    #: (regime, model): draws rounded to zero output tokens.
    zero_tokens: np.ndarray | None = None

    @property
    def models(self) -> tuple[str, ...]:
        return self.fits.models

    def blend_pool(self, regime: str) -> np.ndarray:
        """The trimmed, pooled draws of the frontier blend in one regime.

        Canonical order: each model's kept draws sorted, models in table order.
        Pathways and the fleet bootstrap draw against this order, so they give
        the same numbers whether or not the run kept its per-draw inputs.
        """
        r = self.regimes.index(regime)
        return np.concatenate([self.sorted_energy[r, self.models.index(m)][self.kept[r, self.models.index(m)]]
                               for m in self.blend_models[regime]])

    def raw_blend_pool(self, regime: str) -> np.ndarray:
        """The untrimmed finite draws of the blend's models (used by the fleet), sorted per model."""
        r = self.regimes.index(regime)
        return np.concatenate([self.sorted_energy[r, self.models.index(m)] for m in self.blend_models[regime]])


def _lognormal_into(rng: np.random.Generator, mu: float, sigma: float, out: np.ndarray) -> None:
    """Fill ``out`` with lognormal draws without temporaries."""
    rng.standard_normal(out=out)
    out *= sigma
    out += mu
    np.exp(out, out=out)


def _row_streams(seed: int, regimes: tuple[str, ...], n_models: int, purpose: int = 0) -> list[list[np.random.Generator]]:
    """One independent stream per (regime, model), keyed by the regime's name.

    Keying by name (not position) means a regime's draws do not depend on
    which other regimes were asked for, nor on the thread that runs them.
    """
    return [
        [np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(REGIMES.index(r) if r in REGIMES else 100 + i, m) + ((purpose,) if purpose else ())))
         for m in range(n_models)]
        for i, r in enumerate(regimes)
    ]


class _Rows:
    """Per-(regime, model) work on preallocated (regime, model, draw) arrays.

    Each row is independent, so rows run on a thread pool: numpy's generators,
    ufuncs and partitions release the GIL, and both cores get used.
    """

    #: Draws per chunk: small enough for the intermediate passes to stay in cache.
    CHUNK = 1 << 15

    def __init__(self, preset: PaperPreset, fits: ThroughputFits, regimes, n: int, node_power: np.ndarray,
                 legacy: bool = False, keep_draws: bool = True):
        self.preset, self.fits, self.regimes, self.node_power = preset, fits, regimes, node_power
        self.legacy, self.n = legacy, n
        shape = (len(regimes), len(fits.models), n)
        # Without keep_draws only the energy is kept; the inputs live in per-chunk scratch.
        full = (lambda: np.empty(shape)) if keep_draws or legacy else (lambda: None)
        self.tokens, self.pu, self.pue, self.throughput = full(), full(), full(), full()
        self.energy = np.empty(shape)
        self.zero_tokens = np.zeros(shape[:2], dtype=np.int64)
        self.summary = np.empty((len(regimes), len(fits.models) + 1, 6))
        self.sorted: dict[tuple[int, int], np.ndarray] = {}
        self.kept: dict[tuple[int, int], np.ndarray] = {}

    def _views(self, r: int, m: int, chunk: slice, scratch: np.ndarray) -> tuple[np.ndarray, ...]:
        """(tokens, PU, PUE, TPS, PU x PUE) of a chunk: slices of the kept arrays, or scratch rows."""
        size = len(range(*chunk.indices(self.n)))
        if self.tokens is None:
            return tuple(scratch[i, :size] for i in range(5))
        return (self.tokens[r, m, chunk], self.pu[r, m, chunk], self.pue[r, m, chunk], self.throughput[r, m, chunk],
                scratch[4, :size])

    def fill(self, r: int, m: int, rng: np.random.Generator | None, split_rng: np.random.Generator | None = None) -> None:
        """Draw (unless pre-drawn) and compute one row chunk by chunk, then summarise it."""
        scratch = np.empty((5, self.CHUNK))
        for start in range(0, self.n, self.CHUNK):
            chunk = slice(start, start + self.CHUNK)
            views = self._views(r, m, chunk, scratch)
            if rng is not None:
                self._draw(r, views, rng, split_rng)
            elif self.legacy:
                np.multiply(views[1], views[2], out=views[4])
            self._compute(r, m, chunk, views)
        e = self.energy[r, m]
        finite = np.count_nonzero(np.isfinite(e))
        if self.tokens is None:  # the draw order is not needed: sort in place, no copy
            e.sort()
            s = e
        else:
            s = np.sort(e)
        s = s[:finite]  # NaN (skipped legacy draws) sort last
        self.sorted[r, m] = s
        self.summary[r, m] = summarize_sorted(s)

    def _draw(self, r: int, views: tuple[np.ndarray, ...], rng: np.random.Generator,
              split_rng: np.random.Generator | None) -> None:
        """Tokens, then one normal per draw for ln(PU x PUE).

        PU and PUE are independent lognormals, so their product is lognormal with
        the summed mu and sigma^2: one normal draw gives it exactly.  When the
        draws are kept, PU and PUE are split off that sum by its conditional law
        (``split_rng``), so the energy is the same either way.
        """
        p = self.preset
        tokens, pu, pue, _, factor = views
        rng.standard_exponential(out=tokens)
        tokens *= p.output_tokens_median[self.regimes[r]] / np.log(2)
        np.round(tokens, out=tokens)
        mu2, s2 = lognormal_from_p5_p95(*p.pue_p5_p95)
        rng.standard_normal(out=factor)
        if p.power_coupling is not None:  # only PUE is random; PU follows throughput
            factor *= s2
            factor += mu2
            np.exp(factor, out=factor)
            pue[:] = factor
            return
        mu1, s1 = lognormal_from_p5_p95(*p.power_utilization_p5_p95)
        total = np.hypot(s1, s2)
        factor *= total  # ln(PU PUE) - mu1 - mu2
        if split_rng is not None and self.tokens is not None:
            split_rng.standard_normal(out=pu)
            pu *= s1 * s2 / total
            pu += factor * (s1 / total) ** 2  # ln PU - mu1, given the sum
            np.subtract(factor, pu, out=pue)
            pu += mu1
            pue += mu2
            np.exp(pu, out=pu)
            np.exp(pue, out=pue)
        factor += mu1 + mu2
        np.exp(factor, out=factor)

    def _compute(self, r: int, m: int, chunk: slice, views: tuple[np.ndarray, ...]) -> None:
        """TPS and E = PUE * P_max * PU * L_eff / (3.6 TPS).

        Zero-token draws: E = 0 and TPS undefined (NaN), or under ``legacy`` the
        authors' floating-point results.  Under the load-coupled variant PU is
        replaced by a + b TPS / TPS_max.
        """
        p, f = self.preset, self.fits
        tokens, pu, pue, tps, factor = views
        e = self.energy[r, m, chunk]
        with np.errstate(divide="ignore", invalid="ignore"):
            if f.kind[m] == "constant":
                tps.fill(f.cap[m])
            else:
                np.log(tokens, out=tps)
                tps *= f.output_slope[m]
                tps += f.intercept[m] + f.input_slope[m] * np.log(p.input_tokens)
                np.exp(tps, out=tps)
                np.minimum(tps, f.cap[m], out=tps)
            is_zero = tokens == 0
            self.zero_tokens[r, m] += np.count_nonzero(is_zero)
            zero = None if self.legacy else is_zero
            if zero is not None:
                tps[zero] = np.nan
            if p.power_coupling is not None:
                a, b = p.power_coupling
                np.multiply(tps, b / f.cap[m], out=pu)
                pu += a
                np.multiply(pue, pu, out=e)
            else:
                e[:] = factor
            e *= tokens + p.input_token_weight * p.input_tokens if p.input_token_weight else tokens
            e /= tps
            e *= self.node_power[m] / 3.6
            if zero is not None:
                e[zero] = 0.0

    def trim(self, r: int, m: int) -> None:
        """The blend's trims of one row: its own P5-P95, then P10-P90 of what is left.

        On the sorted row each trim keeps a contiguous slice, so the thresholds
        come from index arithmetic.
        """
        s = self.sorted[r, m]
        lo_i, hi_i = 0, s.size
        for lo, hi in self.preset.blend_trims:
            a, b = sorted_percentiles(s[lo_i:hi_i], [lo, hi])
            lo_i, hi_i = np.searchsorted(s, a, "left"), np.searchsorted(s, b, "right")
        self.kept[r, m] = slice(int(lo_i), int(hi_i))


def _draw_legacy(rows: _Rows, seed: int) -> np.random.RandomState:
    """The authors' stream: reseed per regime; per model tokens, PU, PUE."""
    p = rows.preset
    mu_pu, s_pu = lognormal_from_p5_p95(*p.power_utilization_p5_p95)
    mu_pue, s_pue = lognormal_from_p5_p95(*p.pue_p5_p95)
    n = rows.tokens.shape[-1]
    rng = None
    for r, regime in enumerate(rows.regimes):
        rng = np.random.RandomState(seed)
        scale = p.output_tokens_median[regime] / np.log(2)
        for m in range(len(rows.fits.models)):
            rows.tokens[r, m] = rng.exponential(scale, n)
            rows.pu[r, m] = rng.lognormal(mu_pu, s_pu, n)
            rows.pue[r, m] = rng.lognormal(mu_pue, s_pue, n)
    np.round(rows.tokens, out=rows.tokens)
    return rng


def simulate(
    preset: PaperPreset,
    data: CalibrationData | None = None,
    draws: int | None = None,
    seed: int = 42,
    regimes: Sequence[str] = REGIMES,
    legacy: bool = False,
    workers: int | None = None,
    keep_draws: bool = True,
) -> Simulation:
    """Draw per-query energy for every model and regime, then mark the frontier blend.

    ``workers`` threads share the rows (default: one per core); the numbers do
    not depend on it.  ``keep_draws=False`` keeps only the energy (the inputs
    of each draw are discarded chunk by chunk): a third of the memory.
    """
    data = data if data is not None else load()
    regimes = tuple(regimes)
    unknown = set(regimes) - set(preset.output_tokens_median)
    if unknown:
        raise ValueError(f"unknown regime(s) {', '.join(sorted(unknown))}; known: {', '.join(preset.output_tokens_median)}")
    n = int(draws or preset.draws)
    if n < 20:
        raise ValueError(f"need at least 20 draws per model, got {n}")
    fits = fit_throughput(data, preset)
    node_power = np.array([preset.node_power(m) for m in fits.models])
    rows = _Rows(preset, fits, regimes, n, node_power, legacy, keep_draws)
    cells = [(r, m) for r in range(len(regimes)) for m in range(len(fits.models))]

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        if legacy:
            follow_on = _draw_legacy(rows, seed)
            list(pool.map(lambda c: rows.fill(*c, None), cells))
        else:
            streams = _row_streams(seed, regimes, len(fits.models))
            splits = _row_streams(seed, regimes, len(fits.models), purpose=1)
            follow_on = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(10_000,)))
            list(pool.map(lambda c: rows.fill(*c, streams[c[0]][c[1]], splits[c[0]][c[1]]), cells))

        sim = Simulation(
            preset=preset, fits=fits, regimes=regimes, seed=seed, legacy=legacy,
            data_sha256=data.sha256, output_tokens=rows.tokens, power_utilization=rows.pu, pue=rows.pue,
            throughput=rows.throughput, energy=rows.energy, node_power=node_power, rng=follow_on,
            summary=rows.summary, zero_tokens=rows.zero_tokens, sorted_energy=rows.sorted, kept=rows.kept,
        )
        # The frontier blend: the k models with the highest median energy, per regime.
        k = min(preset.blend_size, len(fits.models))
        chosen = []
        for r, regime in enumerate(regimes):
            top = sorted(np.argsort(-rows.summary[r, :-1, 2], kind="stable")[:k])
            sim.blend_models[regime] = tuple(fits.models[m] for m in top)
            chosen += [(r, m) for m in top]
        list(pool.map(lambda c: rows.trim(*c), chosen))
        # sorted runs: a stable (merge-based) sort of their concatenation is cheap
        pools = pool.map(lambda r: np.sort(sim.blend_pool(regimes[r]), kind="stable"), range(len(regimes)))
        sim.summary[:, -1] = list(map(summarize_sorted, pools))
        if rows.tokens is not None:  # mark the kept draws in draw order, for the stored file
            sim.in_blend = np.zeros(rows.energy.shape, dtype=bool)
            for r, m in chosen:
                e, kept = rows.energy[r, m], rows.sorted[r, m][rows.kept[r, m]]
                sim.in_blend[r, m] = (e >= kept[0]) & (e <= kept[-1])
    return sim


