"""Maintainer commands on the calibration tables: ``data build`` (regenerate them from the reference data)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import _fail, app, handle_errors

data_app = typer.Typer(help="The calibration tables: rebuild them from the cited reference data.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("build")
@handle_errors
def build(
    reference: Annotated[Optional[Path], typer.Option("--reference", help="Reference data directory [default: the checkout's reference_data/].")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the tables [default: the shipped calibration_data/].")] = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a table differs from what the build makes.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace tables that differ from the build.")] = False,
) -> None:
    """Regenerate the built tables (models, ML.ENERGY, paper table, measurements) from reference_data/."""
    from ..data.build import check as check_tables, write_tables
    from ..data.tables import DEFAULT_DATA_DIR

    target = out if out is not None else DEFAULT_DATA_DIR
    differ = check_tables(target, reference)
    if check:
        if differ:
            typer.echo(f"out of date in {target}: {', '.join(differ)}; run inference-energy data build --force", err=True)
            raise typer.Exit(1)
        typer.echo(f"{target}: every built table matches the reference data")
        return
    if not differ:
        typer.echo(f"{target}: already up to date; nothing written")
        return
    existing = [name for name in differ if (target / name).exists()]
    if existing and not force:
        _fail(f"{', '.join(existing)} in {target} differ from the build; pass --force to replace them")
    for name, rows in write_tables(target, reference).items():
        typer.echo(f"wrote {target / name} ({rows} rows)")


@data_app.command("reference")
@handle_errors
def reference(
    posterior: Annotated[Path, typer.Option("--posterior", help="A calibration of the shipped tables (diagnostics passed).")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write it [default: the package's posterior/reference.nc].")] = None,
    draws: Annotated[int, typer.Option("--draws", min=100, help="Draws to keep over all chains.")] = 1000,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing reference posterior.")] = False,
) -> None:
    """Thin a calibration into the reference posterior shipped with the package (at most 10 MB)."""
    from ..data import load
    from ..files.store import load as load_tree
    from ..posterior.reference import REFERENCE_PATH, build as build_reference

    target = output or REFERENCE_PATH
    shipped = load().sha256
    with load_tree(posterior) as tree:
        sha = tree.attrs.get("data_sha256", "")
    if sha != shipped:
        _fail(f"{posterior} was calibrated on data {sha[:12]}, not the shipped tables ({shipped[:12]}): "
              "calibrate on the shipped data first")
    written = build_reference(posterior, target, force=force, draws=draws)
    typer.echo(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB, data {shipped[:12]})")
