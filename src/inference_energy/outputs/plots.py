"""Figures from result DataTrees: each function takes a tree and returns a matplotlib Figure.

The trees are what the package writes: a preset simulation (``simulate``,
``kind = "paper-simulation"``) or a calibration (``calibrate``,
``kind = "calibration"``), optionally with the groups :func:`report.gather`
adds (``fleet``, ``pathways``, ``sensitivity``).  Figures are built with
``matplotlib.figure.Figure`` (no pyplot state, safe in threads and scripts);
arviz-plots draws the prior/posterior and rank plots.  :func:`save_figures`
writes every figure a tree supports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

#: Colours: per-query spread (light, dark) and the median query's credible interval.
SPREAD_COLORS = ("#c6dbef", "#6baed6")
MEDIAN_QUERY_COLOR = "#d94801"
REGIME_TITLES = {"traditional": "traditional queries", "long": "long (test-time scaling) queries", "code": "code queries"}


def is_calibration(tree: xr.DataTree) -> bool:
    return tree.attrs.get("kind") == "calibration"


# --- energy per query --------------------------------------------------------------

def energy_per_query(tree: xr.DataTree, scope: str = "facility") -> Figure:
    """Per-model energy per query, one panel per regime (the paper's Figure 1).

    Calibration: a random query's P5-P95 and P25-P75 (per-query variation and
    parameter uncertainty together) as bars, and the median query's 90 %
    credible interval (parameter uncertainty alone) as a marker with whiskers.
    Preset: the hand-set inputs mix the two, so only the random query's bars.
    """
    if is_calibration(tree):
        return _energy_calibration(tree["energy"].to_dataset(), scope)
    return _energy_preset(tree["summary"].to_dataset())


def _energy_axes(n_panels: int, n_rows: int) -> tuple[Figure, list]:
    fig = Figure(figsize=(7.5 * n_panels, 1.2 + 0.28 * n_rows), layout="constrained")
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    return fig, list(axes)


def _spread_bars(ax, y, q: dict[str, np.ndarray]) -> None:
    ax.hlines(y, q["p5"], q["p95"], color=SPREAD_COLORS[0], lw=5, label="random query P5-P95")
    ax.hlines(y, q["p25"], q["p75"], color=SPREAD_COLORS[1], lw=5, label="random query P25-P75")
    ax.plot(q["p50"], y, "|", color="black", ms=10, label="random query median")


def _energy_calibration(ds: xr.Dataset, scope: str) -> Figure:
    units = ds["random_query_energy"].attrs.get("units", "Wh")
    regimes = list(dict.fromkeys(ds["regime"].values.tolist()))
    per_regime = [ds.sel(scenario=ds["regime"].values == r) for r in regimes]
    fig, axes = _energy_axes(len(regimes), max(d.sizes["scenario"] for d in per_regime))
    for ax, regime, d in zip(axes, regimes, per_regime):
        rq = d["random_query_energy"].sel(scope=scope)
        mq = d["median_query_energy"].sel(scope=scope).quantile([0.05, 0.5, 0.95], dim=("chain", "draw"))
        order = np.argsort(mq.sel(quantile=0.5).values)
        y = np.arange(order.size)
        _spread_bars(ax, y, {s: rq.sel(statistic=s).values[order] for s in ("p5", "p25", "p50", "p75", "p95")})
        lo, mid, hi = (mq.sel(quantile=q).values[order] for q in (0.05, 0.5, 0.95))
        ax.errorbar(mid, y - 0.3, xerr=[mid - lo, hi - mid], fmt="o", color=MEDIAN_QUERY_COLOR, ms=3, capsize=2,
                    label="median query: 90 % credible interval")
        ax.set_yticks(y, d["model"].values[order])
        _finish_energy_axis(ax, regime, f"energy per query at the {scope} boundary [{units}]")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=8)
    hw = sorted(set(ds["hardware"].values.tolist()))
    serving = sorted(set(ds["serving"].values.tolist()))
    fig.suptitle(f"Calibrated energy per query ({', '.join(hw)}, {', '.join(serving)} serving): "
                 "bars = a random query, orange = the typical query's parameter uncertainty", fontsize=10)
    return fig


def _energy_preset(ds: xr.Dataset) -> Figure:
    energy = ds["energy"]
    regimes = energy["regime"].values.tolist()
    fig, axes = _energy_axes(len(regimes), energy.sizes["model"])
    for ax, regime in zip(axes, regimes):
        e = energy.sel(regime=regime)
        models = e["model"].values
        y = np.arange(models.size)[::-1]
        _spread_bars(ax, y, {s: e.sel(statistic=s).values for s in ("p5", "p25", "p50", "p75", "p95")})
        ax.set_yticks(y, models)
        _finish_energy_axis(ax, regime, f"energy per query, facility scope as the paper defines it [{energy.attrs.get('units', 'Wh')}]")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8)
    fig.suptitle("Preset energy per query: the hand-set ranges mix parameter uncertainty and per-query variation",
                 fontsize=10)
    return fig


def _finish_energy_axis(ax, regime: str, xlabel: str) -> None:
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_title(REGIME_TITLES.get(regime, regime))
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.tick_params(axis="y", labelsize=8)


# --- pathways and fleet --------------------------------------------------------------

def pathways(tree: xr.DataTree) -> Figure:
    """Energy after each efficiency pathway and all three combined (P5-P95 and P50)."""
    group = "fleet" if is_calibration(tree) else "pathways"  # a calibration's pathways act on its fleet
    if group not in tree:
        raise ValueError(f"the tree has no {group} group: build it with report.gather_*()")
    ds = tree[group].to_dataset()
    if group == "pathways":  # preset: per query, per regime
        e = ds["energy"]
        regimes = e["regime"].values.tolist()
        fig = Figure(figsize=(6.5 * len(regimes), 3.2), layout="constrained")
        for ax, regime in zip(fig.subplots(1, len(regimes), squeeze=False)[0], regimes):
            q = e.sel(regime=regime)
            _interval_rows(ax, q["pathway"].values, q.sel(statistic="p5").values, q.sel(statistic="p50").values,
                           q.sel(statistic="p95").values, q.sel(statistic="p25").values, q.sel(statistic="p75").values)
            red = ds["median_reduction"].sel(regime=regime).values
            for y, r in zip(np.arange(red.size)[::-1], red):
                ax.annotate(f"/{r:.1f}", (1.0, y), xycoords=("axes fraction", "data"), ha="right", va="center", fontsize=8)
            ax.set_xlabel(f"frontier-blend energy per query [{e.attrs.get('units', 'Wh')}]")
            ax.set_title(REGIME_TITLES.get(regime, regime))
        fig.suptitle("Efficiency pathways (preset): P5-P95, P25-P75, median; /x = median reduction", fontsize=10)
        return fig
    e = ds["energy"]  # calibration: fleet energy per day, per pathway
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    _interval_rows(ax, e["pathway"].values, *(e.sel(quantile=q).values for q in ("p5", "p50", "p95")))
    ax.set_xlabel(f"fleet energy [{e.attrs.get('units', 'GWh/day')}]")
    ax.set_title(f"Efficiency pathways on the calibrated fleet ({ds.attrs.get('mix', '')}), "
                 "P5-P95 of parameter uncertainty", fontsize=9)
    return fig


def _interval_rows(ax, labels, p5, p50, p95, p25=None, p75=None) -> None:
    y = np.arange(len(labels))[::-1]
    ax.hlines(y, p5, p95, color=SPREAD_COLORS[0], lw=6)
    if p25 is not None:
        ax.hlines(y, p25, p75, color=SPREAD_COLORS[1], lw=6)
    ax.plot(p50, y, "|", color="black", ms=10)
    ax.set_yticks(y, labels)
    ax.set_xscale("log")
    ax.grid(axis="x", which="both", alpha=0.3)


def fleet(tree: xr.DataTree) -> Figure:
    """Fleet energy per day: the preset's scenarios by long-query share, or the calibrated
    fleet's energy, water and carbon per day before and after the combined pathways."""
    if "fleet" not in tree:
        raise ValueError("the tree has no fleet group: build it with report.gather_*()")
    ds = tree["fleet"].to_dataset()
    if "long_share" in ds.dims:  # preset
        e = ds["energy"]
        fig = Figure(figsize=(6.5, 3.0), layout="constrained")
        ax = fig.subplots()
        labels = [f"{s}, {100 * ls:g} % long" for s in e["scenario"].values for ls in e["long_share"].values]
        flat = e.stack(row=("scenario", "long_share"))
        _interval_rows(ax, labels, *(flat.sel(quantile=q).values for q in ("p5", "p50", "p95")))
        ax.set_xlabel(f"fleet energy [{e.attrs.get('units', 'GWh/day')}] at {ds.attrs.get('queries_per_day', 0):.3g} queries/day")
        ax.set_title("Fleet energy per day (preset; bootstrap P5-P95)", fontsize=10)
        return fig
    quantities = [v for v in ("energy", "water", "carbon") if v in ds]
    fig = Figure(figsize=(4.2 * len(quantities), 3.0), layout="constrained")
    for ax, name in zip(fig.subplots(1, len(quantities), squeeze=False)[0], quantities):
        v = ds[name].sel(pathway=["baseline", "combined"])
        _interval_rows(ax, v["pathway"].values, *(v.sel(quantile=q).values for q in ("p5", "p50", "p95")))
        ax.set_xlabel(f"{name} [{v.attrs.get('units', '')}]")
    fig.suptitle(f"Calibrated fleet at {ds.attrs.get('queries_per_day', 0):.3g} queries/day ({ds.attrs.get('mix', '')}): "
                 "P5-P95 of parameter uncertainty", fontsize=9)
    return fig


# --- calibration: prior vs posterior, predictive checks, diagnostics -------------------

def calibration_parameters(tree: xr.DataTree, max_elements: int = 6) -> list[str]:
    """Free parameters (not derived ones) in both prior and posterior, with at most ``max_elements`` elements."""
    from ..posterior.calibration_file import DERIVED_META

    prior, post = tree["prior"].to_dataset(), tree["posterior"].to_dataset()
    return [name for name in post.data_vars if name in prior and name not in DERIVED_META
            and int(np.prod([post.sizes[d] for d in post[name].dims if d not in ("chain", "draw")])) <= max_elements]


def _elements(da: xr.DataArray):
    """(label, flat draws) of every element of a (chain, draw, ...) variable."""
    extra = [d for d in da.dims if d not in ("chain", "draw")]
    if not extra:
        yield da.name, da.values.ravel()
        return
    stacked = da.stack(element=extra)
    for i, key in enumerate(stacked["element"].values):
        label = key if isinstance(key, str) else ",".join(map(str, np.atleast_1d(key)))
        yield f"{da.name}[{label}]", stacked.isel(element=i).values.ravel()


def prior_posterior(tree: xr.DataTree, var_names: list[str] | None = None, ncols: int = 6) -> Figure:
    """Prior against posterior density of every free parameter element (on the model's scale):
    a posterior as wide as its prior means the data did not inform that parameter."""
    prior, post = tree["prior"].to_dataset(), tree["posterior"].to_dataset()
    names = var_names or calibration_parameters(tree)
    pairs = [(label, q, p) for name in names
             for (label, q), (_, p) in zip(_elements(prior[name]), _elements(post[name]))]
    nrows = -(-len(pairs) // ncols)
    fig = Figure(figsize=(2.7 * ncols, 1.35 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (label, q, p) in zip(axes, pairs):
        lo, hi = np.percentile(np.concatenate([q, p]), [0.5, 99.5])
        bins = np.linspace(lo, hi, 41) if hi > lo else 40
        ax.hist(q, bins=bins, density=True, histtype="step", color="#3182bd", lw=1.1)
        ax.hist(p, bins=bins, density=True, histtype="stepfilled", color="#fd8d3c", alpha=0.6)
        ax.set_title(label, fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    for ax in axes[len(pairs):]:
        ax.set_axis_off()
    fig.suptitle("Prior (blue line) and posterior (orange) of each free parameter, on the model's scale [units: see the "
                 "posterior group's attributes]", fontsize=9)
    return fig


def rank(tree: xr.DataTree, var_names: list[str] | None = None) -> Figure:
    """Rank plots of the parameters with the worst r_hat and ESS (chains should overlap, flat)."""
    import arviz_plots as azp

    diag = json.loads(tree.attrs.get("diagnostics", "{}"))
    names = var_names or list(dict.fromkeys(n for n in (diag.get("worst_rhat"), diag.get("worst_ess"), "host_ratio", "idle_share")
                                            if n and n in tree["posterior"].ds))
    pc = azp.plot_rank(tree, var_names=names, coords=_worst_elements(tree, names), backend="matplotlib")
    return _figure_of(pc, f"Rank plots (worst r_hat {diag.get('max_rhat', float('nan')):.4f}, "
                          f"lowest bulk ESS {diag.get('min_ess_bulk', float('nan')):.0f}); flat and overlapping is good")


def _worst_elements(tree: xr.DataTree, names: list[str]) -> dict:
    """Of each vector parameter, its lowest-ESS element only (a panel per element would be dozens)."""
    import arviz_stats as azs

    coords = {}
    for name in names:
        var = tree["posterior"][name]
        dims = [d for d in var.dims if d not in ("chain", "draw")]
        if len(dims) == 1 and var.sizes[dims[0]] > 1:
            ess = azs.ess(tree, var_names=[name]).ds[name]
            coords.setdefault(dims[0], []).append(ess.idxmin().item())
    return coords


def _figure_of(pc, title: str) -> Figure:
    """The matplotlib Figure of an arviz-plots PlotCollection, released from pyplot's registry."""
    import matplotlib.pyplot as plt

    fig = pc.viz["figure"].item()
    fig.set_layout_engine("constrained")  # room for the suptitle and the panel titles
    fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def _checks_by_group(tree: xr.DataTree):
    """Per observed variable: observed, posterior predictive P5/P50/P95, and each row's source."""
    checks = tree["checks"].to_dataset()
    obs, pp = tree["observed_data"].to_dataset(), tree["posterior_predictive"].to_dataset()
    for name in obs.data_vars:
        dim = obs[name].dims[0]
        ids = obs[name][dim].values
        q = np.percentile(pp[name].values.reshape(-1, ids.size), [5, 50, 95], axis=0)
        rows = checks.sel(row=ids)
        yield name, obs[name], q, rows["source"].values, rows["outside_posterior_90"].values.astype(bool)


def predictive_checks(tree: xr.DataTree) -> Figure:
    """Every calibration row: observed against its posterior predictive median and 90 % interval,
    coloured by source; one panel per kind of observation (on the likelihood's scale)."""
    groups = list(_checks_by_group(tree))
    sources = sorted(set(np.concatenate([g[3] for g in groups]).tolist()))
    cmap = _source_colors(sources)
    fig = Figure(figsize=(4.0 * len(groups), 5.6 + 0.17 * len(sources)), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    for ax, (name, observed, q, src, outside) in zip(axes, groups):
        for s in sorted(set(src.tolist())):
            m = src == s
            ax.errorbar(q[1][m], observed.values[m], xerr=[q[1][m] - q[0][m], q[2][m] - q[1][m]], fmt="o", ms=2.5,
                        elinewidth=0.6, alpha=0.7, color=cmap[s])
        ax.plot(q[1][outside], observed.values[outside], "x", color="black", ms=4)
        lims = [min(q[0].min(), observed.min()), max(q[2].max(), observed.max())]
        ax.plot(lims, lims, color="grey", lw=0.8)
        ax.set_title(f"{name}: {outside.sum()} of {outside.size} outside\n[{observed.attrs.get('long_name', name)}]", fontsize=8)
        ax.set_xlabel("predicted: median and 90 % interval", fontsize=8)
        ax.set_ylabel("observed", fontsize=8)
    handles = [axes[0].plot([], [], "o", color=cmap[s])[0] for s in sources]
    handles.append(axes[0].plot([], [], "x", color="black")[0])
    fig.legend(handles, [_short(s) for s in sources] + ["outside its 90 % interval"], loc="outside lower center",
               ncols=2, fontsize=7)
    fig.suptitle("Posterior predictive check of every calibration row, by source", fontsize=10)
    return fig


def source_checks(tree: xr.DataTree) -> Figure:
    """Standardised residual of every calibration row, one line per source, with the
    leave-source-out Pareto k (above 0.7: the posterior leans on that source or fights it)."""
    checks, per_source = tree["checks"].to_dataset(), tree["sources"].to_dataset()
    sources = per_source["source"].values
    order = np.argsort(per_source["loso_khat"].values)
    fig = Figure(figsize=(10, 1.0 + 0.32 * sources.size), layout="constrained")
    ax = fig.subplots()
    ax.axvspan(-1.645, 1.645, color="#eeeeee", label="90 % of rows if the model is right")
    for y, i in enumerate(order):
        rows = checks.sel(row=checks["source"].values == sources[i])
        z, out = rows["z_posterior"].values, rows["outside_posterior_90"].values.astype(bool)
        jitter = (np.arange(z.size) % 5 - 2) * 0.06
        ax.plot(z[~out], y + jitter[~out], "o", ms=2.5, color="#3182bd", alpha=0.6)
        ax.plot(z[out], y + jitter[out], "o", ms=3, color="#de2d26")
    k = per_source["loso_khat"].values[order]
    labels = [f"{_short(s, 60)} (n={n}, k={kk:.2f})" for s, n, kk in zip(sources[order], per_source["rows"].values[order], k)]
    ax.set_yticks(np.arange(order.size), labels, fontsize=7)
    ax.set_xlabel("(observed - posterior predictive mean) / sd   [1]")
    ax.set_title("Every calibration row by source: red = outside its posterior predictive 90 % interval; "
                 "sources ordered by leave-source-out k-hat", fontsize=9)
    ax.legend(loc="lower right", fontsize=7)
    return fig


def _source_colors(sources: list[str]) -> dict[str, tuple]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return {s: cmap(i % 20) for i, s in enumerate(sources)}


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- sensitivity -----------------------------------------------------------------------

def sensitivity(tree: xr.DataTree) -> Figure:
    """Sobol first-order (S1) and total (ST) indices of ln energy per query, with 95 % confidence."""
    if "sensitivity" not in tree:
        raise ValueError("the tree has no sensitivity group: build it with report.gather_*()")
    ds = tree["sensitivity"].to_dataset()
    s = ds["sobol"]
    inputs = s["input"].values
    y = np.arange(inputs.size)[::-1]
    fig = Figure(figsize=(6.5, 1.2 + 0.35 * inputs.size), layout="constrained")
    ax = fig.subplots()
    ax.barh(y + 0.2, s.sel(index="ST"), height=0.4, xerr=s.sel(index="ST_conf"), color="#9ecae1", label="total (ST)")
    ax.barh(y - 0.2, s.sel(index="S1"), height=0.4, xerr=s.sel(index="S1_conf"), color="#3182bd", label="first order (S1)")
    ax.set_yticks(y, inputs)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("share of the variance of ln energy per query [1]")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Sobol indices: {ds.attrs.get('model', '')}, {ds.attrs.get('regime', '')} ({ds.attrs.get('source', '')})",
                 fontsize=9)
    return fig


# --- all at once ------------------------------------------------------------------------

def figure_makers(tree: xr.DataTree) -> dict[str, Callable[[xr.DataTree], Figure]]:
    """The figures this tree supports, by file stem, in reading order."""
    makers: dict[str, Callable[[xr.DataTree], Figure]] = {"energy_per_query": energy_per_query}
    if "pathways" in tree or (is_calibration(tree) and "fleet" in tree):
        makers["pathways"] = pathways
    for group, maker in (("fleet", fleet), ("sensitivity", sensitivity)):
        if group in tree:
            makers[group] = maker
    if is_calibration(tree):
        makers |= {"prior_posterior": prior_posterior, "predictive_checks": predictive_checks,
                   "source_checks": source_checks, "rank": rank}
    if "validation" in tree:
        from .validation import validation

        makers["validation"] = validation
    return makers


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> Path:
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def save_figures(tree: xr.DataTree, out_dir: Path, fmt: str = "png", on_figure: Callable[[str], None] | None = None) -> list[Path]:
    """Draw every supported figure and write it to ``out_dir/<name>.<fmt>``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in figure_makers(tree).items():
        if on_figure:
            on_figure(name)
        paths.append(save_figure(make(tree), out_dir / f"{name}.{fmt}"))
    return paths
