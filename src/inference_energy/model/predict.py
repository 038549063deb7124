"""Posterior draws -> the law's prediction for calibration rows, in numpy.

The same ``laws`` and ``terms`` as the likelihood, with an accessor over flat
posterior draws: scalars come out (S, 1), catalog-indexed parameters (S, rows),
so one call predicts every row of a group under every draw.  Used by the
out-of-sample benchmark (rows left out of a refit) and by checks.
"""

from __future__ import annotations

import numpy as np

from . import laws, terms
from .observations import Group, ModelData


def flat_draws(post) -> dict[str, np.ndarray]:
    """Every variable of a posterior Dataset as (S, ...)."""
    return {name: v.values.reshape(-1, *v.shape[2:]) for name, v in post.data_vars.items()}


def accessor(draws: dict[str, np.ndarray]):
    """Parameter accessor over flat draws: a scalar or one element (S, 1); elements (S, rows)."""
    def at(name, index=None):
        v = draws[name]
        if index is None:
            return v[:, None]
        return v[:, index] if np.ndim(index) else v[:, [index]]

    return at


def predict_rows(draws: dict[str, np.ndarray], md: ModelData, g: Group) -> dict[str, np.ndarray]:
    """ln output tokens/s per GPU, ln decode step time [s] and the decode power fraction of every row
    of ``g`` under every draw, each (S, rows); noise-free (the law's mean)."""
    cat = md.catalogs
    at = accessor(draws)
    m, h, arch, hw, op = terms.row_point(np, at, cat, g)
    n = op["n_gpus"]
    log_n = np.log(n)
    eff = terms.efficiencies(np, at, h, m, g.array("serving", int), g.array("low_precision"), log_n,
                             terms.attention_layers(arch))
    times = laws.serving(np, arch, hw, op, eff)
    logit_f = terms.power_logit(np, at, h, m, g.array("low_precision"), log_n, np.log(op["batch"] / n), cat.x_size[m])
    phase = g.array("phase", int) if "phase" in g.columns else 0
    return {"log_throughput": laws.log_throughput_per_gpu(np, times, op, phase),
            "log_step": np.log(times["t_step"]), "power_fraction": laws.sigmoid(np, logit_f)}
