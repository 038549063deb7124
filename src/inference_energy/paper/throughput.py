"""The paper's throughput law, fitted per model to its table (paper-method.md).

    ln TPS = b0 + b1 ln L_in + b2 ln L_out   (ordinary least squares, capped at the largest TPS seen)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import CalibrationData, DataError
from .presets import PaperPreset

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
        for col in ("input_tokens", "output_tokens"):
            if r[col] is None:
                raise DataError(table.path, f"the paper's throughput fit needs {col} on every {preset.precision} row",
                                r["_row"], col)
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


