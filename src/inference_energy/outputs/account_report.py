"""The usage account in the report: totals by model, month and region with both kinds of uncertainty,
and EcoLogits' per-call sums of the same log beside them.

Totals by one grouping (e.g. model) are summed over the others draw by draw, then summarised, so the
parameters a deployment shares across months and regions stay shared.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import xarray as xr

from .. import __version__


def _q(x: np.ndarray) -> tuple[float, float, float]:
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return float(p5), float(p50), float(p95)


def marginal_rows(account: xr.DataTree, by: str, ecologits: tuple | None) -> list[list]:
    """One row per value of ``by``: requests, facility energy P50 [P5-P95] (both kinds), the parameter-only
    interval, carbon and water medians, and EcoLogits' summed min-max (where it knows the model)."""
    ds = account["totals"].to_dataset()
    stack = lambda da: da.stack(sample=("chain", "draw")).transpose("sample", ...)  # noqa: E731
    energy = stack(ds["energy"].sel(scope="facility"))
    expected = stack(ds["energy_expected"].sel(scope="facility"))
    carbon, water = stack(ds["carbon_location"]), stack(ds["water"])
    market = stack(ds["carbon_market"]) if "carbon_market" in ds else None
    rows = []
    keys = ds[by].values
    for value in sorted(set(keys)):
        sel = keys == value
        e, x = energy.values[:, sel].sum(1), expected.values[:, sel].sum(1)
        (e5, e50, e95), (x5, _, x95) = _q(e), _q(x)
        row = [value, float(ds["requests"].values[sel].sum()), e50, f"{e5:.3g} - {e95:.3g}", f"{x5:.3g} - {x95:.3g}",
               _q(carbon.values[:, sel].sum(1))[1], _q(market.values[:, sel].sum(1))[1] if market is not None else "",
               _q(water.values[:, sel].sum(1))[1]]
        if ecologits is not None:
            lo, hi = ecologits[0][sel], ecologits[1][sel]
            row.append("not in EcoLogits" if np.all(np.isnan(lo)) else
                       f"{np.nansum(lo):.3g} - {np.nansum(hi):.3g}" + (" (part)" if np.any(np.isnan(lo)) else ""))
        rows.append(row)
    return rows


def account_section(account: xr.DataTree, closed_models: dict | None = None) -> str:
    """HTML: what was accounted, how, then one table per grouping."""
    from .ecologits import account_sums, available
    from .report import _table

    a = account.attrs
    by = json.loads(a["config"])["by"]
    eco, note = None, "EcoLogits is not installed (pip install ecologits) so its per-call sums are not shown."
    if available() and closed_models is not None:
        lo, hi, missing = account_sums(account["cells"].to_dataset(), account["totals"]["group"].values, closed_models)
        eco = (lo, hi)
        note = ("EcoLogits (its per-call min-max energy, x its provider's PUE, summed over the calls, input tokens "
                "ignored): the sum of per-call ranges, which treats every call as sharing the extreme"
                + (f"; not in its repository: {', '.join(sorted(map(str, missing)))}" if missing else "") + ".")
    header = ["value", "requests", "energy P50 [kWh]", "P5 - P95 [kWh]", "parameter only P5 - P95 [kWh]",
              "CO2e location P50 [kg]", "CO2e market P50 [kg]", "water P50 [L]"] + (["EcoLogits sum [kWh]"] if eco else [])
    tables = "".join(f"<h3>By {html.escape(b)}</h3>" + _table([b, *header[1:]], marginal_rows(account, b, eco))
                     for b in by)
    total = account["totals"]["energy_all_summary"].sel(scope="facility").values
    return (f"<p>{a['records']:,} records ({html.escape(a['usage_format'])} format) of <code>{html.escape(a['usage_file'])}"
            f"</code> (SHA-256 {a['usage_sha256'][:12]}), {int(account['totals']['requests'].sum()):,} requests: "
            f"<b>{total[1]:.3g} kWh</b> at the facility (90 % interval {total[0]:.3g} - {total[2]:.3g} kWh), "
            f"posterior <code>{html.escape(a['posterior'])}</code>"
            f"{' (the shipped reference posterior)' if a.get('reference_posterior') else ''}.</p>"
            "<p>Energy P5 - P95: parameter uncertainty and the variation between the requests of aggregated records. "
            "Parameter only: the interval of the expected total. Parameter uncertainty is shared by every request to a "
            "deployment, so it does not shrink with the number of requests.</p>"
            f"<p>{html.escape(a['ghg_protocol'])}. Location-based: {html.escape(a['carbon_location_method'])}. "
            f"Market-based: {html.escape(a['carbon_market_method'])}.</p><p>{html.escape(note)}</p>" + tables)


def write_account_report(account: xr.DataTree, out_dir: Path, origin: str, closed_models: dict | None,
                         force: bool = False) -> Path:
    """A page of the account alone (``report --account A.nc`` without a posterior or preset); atomic."""
    from .report import STYLE, check_out_dir, provenance, write_dir_atomically

    check_out_dir(out_dir, force)
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Usage account</title>"
            f"<style>{STYLE}</style></head><body><h1>Energy, water and carbon of a usage log</h1>"
            f"<p>inference-energy {__version__}, from <code>{html.escape(origin)}</code>.</p>"
            f"<h2 id=\"account\">Usage account</h2>{account_section(account, closed_models)}"
            f"<h2 id=\"provenance\">Provenance</h2>{provenance(account, origin)}</body></html>")
    out = write_dir_atomically(out_dir, lambda tmp: (tmp / "index.html").write_text(page, encoding="utf-8"), force)
    return out / "index.html"


def read_account(path: Path) -> xr.DataTree:
    """An account file, in memory, checked to be one."""
    from ..files.store import load

    tree = load(path)
    if tree.attrs.get("kind") != "account":
        tree.close()
        raise ValueError(f"{path} is not an account file (kind {tree.attrs.get('kind')!r}); run inference-energy account")
    out = tree.load()
    tree.close()
    return out
