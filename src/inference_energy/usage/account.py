"""Account for a usage log: energy, water and carbon per group, per posterior draw, as a DataTree.

The tree (``kind = "account"``) holds, for every posterior draw, each group's total at every scope
(``energy``), and the same total in expectation over the variation between requests
(``energy_expected``: its spread is parameter uncertainty alone), water, location- and market-based
carbon, the summed counts, and quantiles.  Other analyses can add its per-draw totals to theirs:
summing over ``group`` per draw keeps every correlation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from ..model import laws
from .carbon import GHG_METHOD, LocationCarbon
from .readers import CHUNK_ROWS
from .totals import GROUPINGS, accumulate, evaluate, file_sha256

STATS = ("p5", "p50", "p95", "mean")


def _quantiles(x: np.ndarray) -> np.ndarray:
    """(S, ...) -> (..., 4): P5, P50, P95, mean over draws."""
    return np.moveaxis(np.concatenate([np.percentile(x, [5, 50, 95], axis=0), x.mean(axis=0)[None]]), 0, -1)


def account(usage: str | Path, posterior: str | Path | None = None, by=("model", "month", "region"),
            market_factor: float | None = None, hourly_carbon: str | Path | None = None, seed: int = 0,
            chunk_rows: int = CHUNK_ROWS) -> xr.DataTree:
    """Totals of a usage log (CSV, JSON Lines, OpenAI usage JSON, Parquet) per group of ``by``.

    ``posterior``: a calibration file; default the shipped reference posterior.
    ``market_factor``: gCO2e/kWh of the provider's contractual instruments (market-based method).
    ``hourly_carbon``: CSV of hourly grid intensities (``timestamp``, ``carbon_intensity_g_per_kwh``,
    optional ``region``), in place of the shipped yearly table.
    """
    from ..files.format import provenance
    from ..files.store import load
    from ..posterior.calibration_file import open_calibration
    from ..posterior.reference import resolve_posterior

    by = tuple(by)
    unknown = [b for b in by if b not in GROUPINGS]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
    if market_factor is not None and market_factor < 0:
        raise ValueError(f"the market-based factor must not be negative (got {market_factor:g})")
    path, said = resolve_posterior(Path(posterior) if posterior else None)
    tree = load(path)
    post, cat, traces = open_calibration(tree)
    post = post.load()
    carbon = LocationCarbon.from_hourly_csv(Path(hourly_carbon)) if hourly_carbon else LocationCarbon()
    usage = Path(usage)
    cells, mapping, ids = accumulate(usage, cat, carbon, by, chunk_rows)
    ev = evaluate(cells, post, cat, traces, seed)
    C, D = post.sizes["chain"], post.sizes["draw"]
    S, G = C * D, len(ev["groups"])

    # The realised total of each group: its expectation times a lognormal factor with the variance of a
    # sum of independent requests (zero for records whose lengths are known), one factor per draw.
    fac = ev["energy"]["facility"]
    sigma2 = np.log1p(ev["variance"] / np.maximum(fac, 1e-300) ** 2)
    z = np.random.default_rng(seed + 7).standard_normal((S, G))
    realise = np.exp(np.sqrt(sigma2) * z - 0.5 * sigma2)

    expected = np.stack([ev["energy"][s] for s in laws.SCOPES], axis=-1) / 1000.0  # kWh, (S, G, scope)
    per_draw = {
        "energy": (expected * realise[..., None], ("group", "scope"), "kWh",
                   "total energy of the group's requests under each posterior draw (parameter uncertainty and the "
                   "variation between the requests behind aggregated records)"),
        "energy_expected": (expected, ("group", "scope"), "kWh",
                            "the same total in expectation over the variation between requests: its spread over "
                            "draws is parameter uncertainty alone"),
        "water": (ev["water"] * realise, ("group",), "L",
                  "water used on site (WUE x IT energy), default WUE of the hyperscale class"),
        "carbon_location": (ev["carbon"] * realise / 1000.0, ("group",), "kgCO2e",
                            "location-based emissions: facility energy x grid intensity of the record's region and year"),
    }
    if market_factor is not None:
        per_draw["carbon_market"] = (expected[..., laws.SCOPES.index("facility")] * realise * market_factor / 1000.0,
                                     ("group",), "kgCO2e", f"market-based emissions: facility energy x {market_factor:g} "
                                     "gCO2e/kWh (the user's contractual factor)")
    ds = xr.Dataset(coords={"chain": post["chain"].values, "draw": post["draw"].values, "group": ev["groups"],
                            "scope": list(laws.SCOPES), "statistic": list(STATS)})
    table = ev["group_table"]
    for b in by:  # each grouping as a coordinate along group: ds.energy.groupby("model").sum() works
        first = table.groupby("_g")[b].first()
        ds.coords[b] = ("group", first.reindex(range(G)).astype(str).to_numpy())
    for name, (values, dims, units, long_name) in per_draw.items():
        ds[name] = (("chain", "draw", *dims), values.reshape(C, D, *values.shape[1:]),
                    {"units": units, "long_name": long_name})
        total = values.sum(axis=1)  # all groups, per draw
        ds[f"{name}_all"] = (("chain", "draw", *dims[1:]), total.reshape(C, D, *total.shape[1:]),
                             {"units": units, "long_name": f"{long_name}; summed over every group"})
        ds[f"{name}_summary"] = ((*dims, "statistic"), _quantiles(values),
                                 {"units": units, "long_name": f"P5, P50, P95 and mean over draws of {name}"})
        ds[f"{name}_all_summary"] = ((*dims[1:], "statistic"), _quantiles(total),
                                     {"units": units, "long_name": f"P5, P50, P95 and mean over draws of {name}_all"})
    counts = ev["counts"].reindex(range(G))
    for col in counts.columns:
        ds[col] = ("group", counts[col].to_numpy(), {"units": "1" if col == "requests" else "tokens",
                                                      "long_name": f"{col.replace('_', ' ')} summed over the group's records"})
    deployments = {m: {"hardware": d.scenario.hardware, "serving": d.scenario.serving,
                       "closed": m in cat.closed_models, "wue_l_per_kwh": d.wue_l_per_kwh, "wue_source": d.wue_source}
                   for m, d in ev["deployments"].items()}
    attrs = provenance(
        "account", {"by": list(by), "market_factor": market_factor, "hourly_carbon": str(hourly_carbon or ""),
                    "chunk_rows": chunk_rows},
        seed, tree.attrs.get("data_sha256", ""),
        usage_file=str(usage), usage_sha256=file_sha256(usage), usage_format=mapping, records=cells.records,
        cells=len(cells.table), length_cells=ev["length_cells"], posterior=str(path), reference_posterior=int(bool(said)),
        posterior_run=tree.attrs.get("run_id", tree.attrs.get("thinned_from_run_id", "")),
        models=json.dumps(ids), deployments=json.dumps(deployments), ghg_protocol=GHG_METHOD,
        carbon_location_method=carbon.describe(),
        carbon_market_method=(f"market-based, the user's factor {market_factor:g} gCO2e/kWh" if market_factor is not None
                              else "not given (pass a market-based factor)"),
        note="per draw: parameter uncertainty shared by every request to a deployment (it does not average out); "
             "one posterior draw, one new-operator PUE and idle capacity, one closed-model size per deployment")
    tree.close()
    return xr.DataTree.from_dict({"/": xr.Dataset(attrs=attrs), "/totals": ds, "/cells": _cells_dataset(ev)})


def _cells_dataset(ev: dict) -> xr.Dataset:
    """The length cells the records were summed into and each cell's requests per group (sparse): enough
    to recompute a total with another method (the report's EcoLogits sums) without the log."""
    c = ev["cells"]
    n = c["requests"].to_numpy()
    row, col, val = ev["cell_groups"]
    return xr.Dataset({
        "cell_model": ("cell", c["model"].astype(str).to_numpy(), {"units": "1", "long_name": "model of the cell"}),
        "cell_aggregated": ("cell", c["aggregated"].to_numpy().astype(np.int8),
                            {"units": "1", "long_name": "1: requests from aggregated records (lengths known as a mean)"}),
        "cell_input_tokens": ("cell", c["input_tokens"].to_numpy() / n, {"units": "tokens", "long_name": "mean input tokens per request"}),
        "cell_output_tokens": ("cell", c["output_tokens"].to_numpy() / n, {"units": "tokens", "long_name": "mean output tokens per request"}),
        "entry_cell": ("entry", row.astype(np.int32), {"units": "1", "long_name": "cell index of each (cell, group) entry"}),
        "entry_group": ("entry", col.astype(np.int32), {"units": "1", "long_name": "group index of each (cell, group) entry"}),
        "entry_requests": ("entry", val, {"units": "1", "long_name": "requests of the cell in the group"}),
    }, attrs={"note": "cells of ln-length width LOG_BIN (usage.deployments); the energy of a cell is evaluated at its mean lengths"})


def account_records(tree: xr.DataTree, scope: str = "facility") -> list[dict]:
    """Flat records per group and for all groups: requests, energy (P5/P50/P95, and the parameter-only
    interval), water and carbon medians, in the units stored."""
    ds = tree["totals"].to_dataset()
    by = json.loads(tree.attrs["config"])["by"]

    def rec(label: dict, sfx: str, sel: dict, requests: float) -> dict:
        e = ds[f"energy{sfx}_summary"].sel(scope=scope, **sel).values
        ex = ds[f"energy_expected{sfx}_summary"].sel(scope=scope, **sel).values
        out = {**label, "requests": requests, "energy_p5": float(e[0]), "energy_p50": float(e[1]), "energy_p95": float(e[2]),
               "energy_mean": float(e[3]), "parameter_p5": float(ex[0]), "parameter_p95": float(ex[2]),
               "water_p50": float(ds[f"water{sfx}_summary"].sel(**sel).values[1]),
               "carbon_location_p50": float(ds[f"carbon_location{sfx}_summary"].sel(**sel).values[1]),
               "carbon_location_p95": float(ds[f"carbon_location{sfx}_summary"].sel(**sel).values[2])}
        if f"carbon_market{sfx}_summary" in ds:
            out["carbon_market_p50"] = float(ds[f"carbon_market{sfx}_summary"].sel(**sel).values[1])
        return out

    records = [rec({"group": str(g), **{b: str(ds[b].values[i]) for b in by}}, "", {"group": g}, float(ds["requests"].values[i]))
               for i, g in enumerate(ds["group"].values)]
    records.append(rec({"group": "all", **{b: "all" for b in by}}, "_all", {}, float(ds["requests"].sum())))
    return records
