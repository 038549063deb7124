"""Token-length distributions per query regime.

- ``traditional`` (chat) and ``code`` follow the Azure production trace: the
  quantile function passes through every published quantile (piecewise
  linear in ln tokens against the normal quantile, i.e. piecewise lognormal),
  and the upper tail's slope is set so the distribution's mean equals the
  trace's mean.  A two-lognormal mixture was tried first: its posterior is
  multimodal for these traces (different mixtures fit the same quantiles), so
  the package does not claim a posterior over a shape the data cannot pin.
- ``long`` (test-time scaling) is lognormal with the calibrated posterior's
  median and log-sd (``long_output_log_median``, ``long_output_sigma``); its
  input lengths are the traditional ones (no trace publishes them).

Input and output lengths are drawn independently: the trace publishes only
their marginals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from ..model.observations import TOKEN_REGIMES, ModelData

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(80)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


@dataclass(frozen=True)
class TraceLengths:
    """Tokens per request from a trace's quantiles (and mean, when published)."""

    probits: np.ndarray  # normal quantiles of the published probabilities, increasing
    log_tokens: np.ndarray  # ln of the published quantiles
    upper_slope: float
    target_mean: float | None
    source_ids: tuple[str, ...]

    @classmethod
    def fit(cls, probabilities, quantiles, mean: float | None, source_ids=()) -> "TraceLengths":
        order = np.argsort(probabilities)
        z = ndtri(np.asarray(probabilities, dtype=float)[order])
        lq = np.log(np.asarray(quantiles, dtype=float)[order])
        if np.any(np.diff(lq) < 0):
            raise ValueError("published quantiles must increase with their probabilities")
        base = (lq[-1] - lq[-2]) / (z[-1] - z[-2]) if len(z) > 1 else 1.0
        dist = cls(z, lq, float(base), mean, tuple(source_ids))
        if mean is not None:
            dist = cls(z, lq, dist._slope_for_mean(mean), mean, tuple(source_ids))
        return dist

    def log_ppf(self, z: np.ndarray) -> np.ndarray:
        """ln tokens at normal quantile z (linear between knots, linear tails)."""
        lower_slope = (self.log_tokens[1] - self.log_tokens[0]) / (self.probits[1] - self.probits[0])
        inside = np.interp(z, self.probits, self.log_tokens)
        below = self.log_tokens[0] + lower_slope * (z - self.probits[0])
        above = self.log_tokens[-1] + self.upper_slope * (z - self.probits[-1])
        return np.where(z < self.probits[0], below, np.where(z > self.probits[-1], above, inside))

    def mean(self, slope: float | None = None) -> float:
        d = self if slope is None else TraceLengths(self.probits, self.log_tokens, slope, None, ())
        return float(np.exp(d.log_ppf(_GH_NODES)) @ _GH_WEIGHTS)

    def _slope_for_mean(self, target: float) -> float:
        """Upper-tail slope whose mean is ``target`` (clamped to [0, 3])."""
        lo, hi = 0.0, 3.0
        if self.mean(lo) >= target:
            return lo
        if self.mean(hi) <= target:
            return hi
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.mean(mid) < target else (lo, mid)
        return 0.5 * (lo + hi)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Whole tokens, at least one."""
        return np.maximum(1.0, np.round(np.exp(self.log_ppf(rng.standard_normal(size)))))


def trace_lengths(md: ModelData) -> dict[tuple[str, str], TraceLengths]:
    """(regime, "input" | "output") -> distribution, from the trace rows in ``md``."""
    out = {}
    q, m = md.token_quantiles, md.token_means
    for r_i, regime in enumerate(TOKEN_REGIMES):
        for which, kind in enumerate(("input", "output")):
            sel = (q.array("regime", int) == r_i) & (q.array("which", int) == which)
            if sel.sum() < 2:
                continue
            ids = [i for i, s in zip(q.ids, sel) if s]
            msel = (m.array("regime", int) == r_i) & (m.array("which", int) == which)
            mean = float(np.exp(m.array("y")[msel][0])) if msel.any() else None
            ids += [i for i, s in zip(m.ids, msel) if s]
            out[regime, kind] = TraceLengths.fit(q.array("p")[sel], np.exp(q.array("log_q")[sel]), mean, ids)
    return out
