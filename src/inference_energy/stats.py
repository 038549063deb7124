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


def sorted_percentiles(a: np.ndarray, q) -> np.ndarray:
    """numpy's default (linear) percentiles of an already sorted 1-D array.

    Bit-for-bit what ``np.percentile`` returns (same interpolation formula),
    without its partition: one sort then serves many percentiles.
    """
    h = (a.size - 1) * (np.asarray(q, dtype=float) / 100)
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, a.size - 1)
    t = h - lo
    below, above = a[lo], a[hi]
    diff = above - below
    return np.where(t >= 0.5, above - diff * (1 - t), below + diff * t)


def summarize_sorted(a: np.ndarray) -> np.ndarray:
    """P5, P25, P50, P75, P95 and mean of a sorted, finite 1-D array."""
    if a.size == 0:
        return np.full(len(STATISTICS), np.nan)
    return np.append(sorted_percentiles(a, PERCENTILES), a.mean())


def summarize(values: np.ndarray) -> np.ndarray:
    """P5, P25, P50, P75, P95 and mean of the finite values of a 1-D array."""
    v = values[np.isfinite(values)]  # a copy, so the partition below may reorder it
    if v.size == 0:
        return np.full(len(STATISTICS), np.nan)
    mean = v.mean()
    return np.append(np.percentile(v, PERCENTILES, overwrite_input=True), mean)



def rounded(x: float, digits: int = 6) -> float | None:
    """A float with ``digits`` significant digits (None for NaN): what records and tables print."""
    x = float(x)
    return None if not np.isfinite(x) else float(f"{x:.{digits}g}")
