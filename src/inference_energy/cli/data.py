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
