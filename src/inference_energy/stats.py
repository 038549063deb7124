"""Small statistical helpers shared by the presets and the calibrated model."""

from __future__ import annotations

import numpy as np

#: Standard normal quantile at 0.95: a P5-P95 interval spans 2 * Z95 sigmas.
Z95 = 1.6448536269514722

#: The summary every energy distribution is reported with (percent) plus the mean.
PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)
STATISTICS = ("p5", "p25", "p50", "p75", "p95", "mean")


def lognormal_from_p5_p95(lo: float, hi: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal whose 5th and 95th percentiles are lo and hi.

    This is the paper's equal-tailed fit, not a maximum-entropy fit.
    """
    if not 0 < lo < hi:
        raise ValueError(f"need 0 < P5 < P95, got {lo}, {hi}")
    sigma = (np.log(hi) - np.log(lo)) / (2 * Z95)
    return float(np.log(lo) + Z95 * sigma), float(sigma)


def summarize(values: np.ndarray) -> np.ndarray:
    """P5, P25, P50, P75, P95 and mean of the finite values of a 1-D array."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return np.full(len(STATISTICS), np.nan)
    return np.append(np.percentile(v, PERCENTILES), v.mean())


def trim(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Finite values within their own [lo, hi] percentiles (inclusive)."""
    v = values[np.isfinite(values)]
    a, b = np.percentile(v, [lo, hi])
    return v[(v >= a) & (v <= b)]
