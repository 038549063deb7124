"""What moved between two calibrations, and which rows moved it.

For key quantities (median-query energy of every stored scenario and scope,
hyperscale PUE, GPU power fraction, peak throughput) ``compare`` reports the
shift of the posterior median and the change in the 90 % interval's width.
Each shift comes with its Monte Carlo standard error on the log scale (two
independent runs differ by that much with no new data).  The rows most
responsible are found by importance sampling on the new
posterior: leaving row i out reweights each draw by exp(-log p(y_i | draw))
(Pareto-smoothed), and the row's influence on a quantity is how far that
moves the quantity's mean (on the log scale).  Rows the new posterior cannot
reconcile are flagged: outside their 90 % posterior predictive interval with
|z| > 3, or a leave-row-out Pareto k above 0.7.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..stats import rounded

CONFLICT_Z = 3.0
CONFLICT_KHAT = 0.7


def _flat(x: xr.DataArray) -> np.ndarray:
    return x.values.reshape(-1, *x.shape[2:])


def key_quantities(tree: xr.DataTree) -> dict[tuple[str, str, str, str], np.ndarray]:
    """(quantity, model, regime, scope) -> per-draw values, with units in ``UNITS``."""
    post = tree["posterior"]
    out = {}
    energy = tree["energy"]["median_query_energy"]
    for i, scenario in enumerate(energy["scenario"].values):
        model, regime = str(energy["model"].values[i]), str(energy["regime"].values[i])
        for scope in energy["scope"].values:
            out["energy_per_query", model, regime, str(scope)] = _flat(energy.sel(scenario=scenario, scope=scope))
    out["pue_hyperscale", "", "", "facility"] = 1 + np.exp(_flat(post["pue_hyperscale"]))
    out["gpu_power_fraction", "", "", "gpu"] = 1 / (1 + np.exp(-_flat(post["power_intercept"])))
    out["bandwidth_utilisation", "", "", "gpu"] = 1 / (1 + np.exp(-_flat(post["eff_bw_intercept"])))
    return out


UNITS = {"energy_per_query": "Wh", "pue_hyperscale": "1", "gpu_power_fraction": "1",
         "bandwidth_utilisation": "1"}


def _mcse_log_median_sq(values: np.ndarray, chains: int) -> float:
    """Squared Monte Carlo standard error of the mean of ln values (a proxy for the median's)."""
    from arviz_stats.base import array_stats

    x = np.log(values).reshape(chains, -1)
    ess = float(array_stats.ess(x, chain_axis=0, draw_axis=1))
    return float(x.var()) / max(ess, 1.0)


def _loglik(tree: xr.DataTree) -> tuple[list[str], np.ndarray]:
    ll = tree["log_likelihood"]
    ids, cols = [], []
    for name, var in ll.data_vars.items():
        ids += [str(i) for i in var[var.dims[-1]].values]
        cols.append(var.values.reshape(-1, var.shape[-1]))
    return ids, np.concatenate(cols, axis=1)


def row_influence(tree: xr.DataTree, quantities: dict, rows: list[str] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(row ids, influence[row, quantity] on the mean of ln quantity, Pareto k per row)."""
    from arviz_stats.base import array_stats

    ids, ll = _loglik(tree)
    keep = [i for i, r in enumerate(ids) if rows is None or r in rows]
    logq = np.stack([np.log(v) for v in quantities.values()], axis=1)  # (S, Q)
    base = logq.mean(axis=0)
    influence = np.empty((len(keep), logq.shape[1]))
    khat = np.empty(len(keep))
    for j, i in enumerate(keep):
        lw, k = array_stats.psislw(-ll[:, i])
        w = np.exp(lw - lw.max())
        w /= w.sum()
        influence[j] = base - w @ logq  # > 0: the row pushed the quantity up
        khat[j] = k
    return [ids[i] for i in keep], influence, khat


@dataclass
class Comparison:
    records: list[dict]
    conflicts: list[dict]
    added_rows: list[str]


def compare(old: xr.DataTree, new: xr.DataTree, top: int = 3) -> Comparison:
    """Shift of medians and interval widths for the key quantities, and responsible rows."""
    q_old, q_new = key_quantities(old), key_quantities(new)
    shared = [k for k in q_new if k in q_old]
    old_rows = set(old["checks"]["row"].values.tolist())
    new_rows = new["checks"]["row"].values.tolist()
    added = [r for r in new_rows if r not in old_rows]
    ids, influence, khat = row_influence(new, {k: q_new[k] for k in shared}, rows=added or None)
    records = []
    for j, key in enumerate(shared):
        a, b = q_old[key], q_new[key]
        pa, pb = np.percentile(a, [5, 50, 95]), np.percentile(b, [5, 50, 95])
        order = np.argsort(-np.abs(influence[:, j]))[:top]
        noise = np.sqrt(_mcse_log_median_sq(a, old["posterior"].sizes["chain"])
                        + _mcse_log_median_sq(b, new["posterior"].sizes["chain"]))
        quantity, model, regime, scope = key
        records.append({
            "quantity": quantity, "model": model, "regime": regime, "scope": scope, "unit": UNITS[quantity],
            "old_p50": rounded(pa[1]), "new_p50": rounded(pb[1]), "shift": rounded(pb[1] / pa[1], 4),
            "old_p5": rounded(pa[0]), "old_p95": rounded(pa[2]), "new_p5": rounded(pb[0]), "new_p95": rounded(pb[2]),
            "width_change": rounded((pb[2] / pb[0]) / (pa[2] / pa[0]), 4),
            # a shift within ~2 of these (on the ln scale) is Monte Carlo noise, not the data
            "shift_mcse_log": rounded(noise, 3),
            "responsible_rows": ", ".join(f"{ids[i]} ({influence[i, j]:+.2g})" for i in order),
        })
    checks = new["checks"]
    z = dict(zip(checks["row"].values.tolist(), checks["z_posterior"].values))
    outside = dict(zip(checks["row"].values.tolist(), checks["outside_posterior_90"].values))
    source = dict(zip(checks["row"].values.tolist(), checks["source"].values.tolist()))
    k_by_row = dict(zip(ids, khat))
    scope_rows = added or new_rows
    conflicts = [
        {"row": r, "z_posterior": rounded(z[r], 3), "khat": rounded(k_by_row.get(r, np.nan), 3), "source": source[r]}
        for r in scope_rows
        if (outside[r] and abs(z[r]) > CONFLICT_Z) or k_by_row.get(r, 0.0) > CONFLICT_KHAT
    ]
    return Comparison(records, conflicts, added)
