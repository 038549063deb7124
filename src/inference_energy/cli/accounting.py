"""``account``: an organisation's usage log -> energy, water and carbon per group, with both uncertainties."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import Format, FormatOpt, ForceOpt, SeedOpt, _emit, _fail, app, handle_errors


@app.command()
@handle_errors
def account(
    usage: Annotated[Path, typer.Option("--usage", help="Usage log: CSV, JSON Lines, OpenAI usage JSON or Parquet (canonical columns, or an OpenAI, OpenTelemetry GenAI or LiteLLM export).")],
    posterior: Annotated[Optional[Path], typer.Option("--posterior", help="A calibration file [default: the shipped reference posterior].")] = None,
    by: Annotated[str, typer.Option("--by", help="Group totals by these, comma-separated: model, month, year, day, region, provider.")] = "model,month,region",
    market_factor: Annotated[Optional[float], typer.Option("--market-factor", min=0, help="Market-based gCO2e/kWh (the provider's contractual factor).")] = None,
    hourly_carbon: Annotated[Optional[Path], typer.Option("--hourly-carbon", help="CSV of hourly grid intensities (timestamp, carbon_intensity_g_per_kwh[, region]) in place of the yearly table.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the per-draw totals: .nc or .zarr (DataTree) or .parquet (one row per draw, group and quantity).")] = None,
    scope: Annotated[str, typer.Option("--scope", help="Boundary printed: gpu, node, it or facility (all are stored).")] = "facility",
    force: ForceOpt = False,
    seed: SeedOpt = 0,
    format: FormatOpt = Format.table,
) -> None:
    """Energy (kWh), water (L) and carbon (kgCO2e) of a usage log, per group, per posterior draw.

    Parameter uncertainty is shared by every request to the same deployment, so it does not average out
    over many requests; the variation between requests does. Nothing is written if any record is bad.
    """
    from ..model.laws import SCOPES

    if scope not in SCOPES:
        _fail(f"unknown --scope {scope!r}; choose from {', '.join(SCOPES)}")
    if output is not None:
        if output.suffix not in (".nc", ".zarr", ".parquet"):
            _fail(f"{output}: use a .nc, .zarr or .parquet path")
        if output.exists() and not force:
            _fail(f"{output} exists; pass --force to replace it")
    from ..usage.account import account as run, account_records
    from ..usage.export import to_parquet

    groups = tuple(b.strip() for b in by.split(",") if b.strip())
    tree = run(usage, posterior, by=groups, market_factor=market_factor, hourly_carbon=hourly_carbon, seed=seed)
    if format is not Format.json and tree.attrs["reference_posterior"]:
        typer.echo("note: using the shipped reference posterior (thinned draws of a calibration of the shipped "
                   "tables); pass --posterior for your own", err=True)
    if output is not None:
        if output.suffix == ".parquet":
            to_parquet(tree, output, force=force)
        else:
            from ..files.store import save

            save(tree, output, force=force)
        typer.echo(f"wrote {output}", err=True)
    records = account_records(tree, scope)
    cols = [("group", "group"), ("requests", "requests"), ("energy_p5", "energy P5 [kWh]"), ("energy_p50", "P50 [kWh]"),
            ("energy_p95", "P95 [kWh]"), ("parameter_p5", "param. only P5 [kWh]"), ("parameter_p95", "P95 [kWh]"),
            ("water_p50", "water P50 [L]"), ("carbon_location_p50", "CO2e location P50 [kg]")]
    if market_factor is not None:
        cols.append(("carbon_market_p50", "CO2e market P50 [kg]"))
    a = tree.attrs
    _emit(records, format, f"Usage totals of {usage} ({a['records']:,} records, {a['usage_format']} format), {scope} "
          f"scope, by {', '.join(groups) or 'nothing'}", cols,
          {"usage": str(usage), "posterior": a["posterior"], "reference_posterior": bool(a["reference_posterior"]),
           "ghg_protocol": a["ghg_protocol"], "carbon_location_method": a["carbon_location_method"],
           "carbon_market_method": a["carbon_market_method"], "units": {"energy": "kWh", "water": "L", "carbon": "kgCO2e"},
           "note": "energy P5-P95: parameter uncertainty and the variation between requests of aggregated records; "
                   "param. only: the expected total's interval (parameter uncertainty alone). Groups of one deployment "
                   "share its parameters, so sum per draw (the stored file), never the quantiles. "
                   + a["ghg_protocol"]})
