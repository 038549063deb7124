"""Commands that draw and write for people: ``figures``, ``report``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import DataOpt, DrawsOpt, ForceOpt, _fail, _Progress, app, handle_errors


class FigureFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


def _gather(posterior: Optional[Path], preset: Optional[str], draws, seed, data, step, validation=None):
    """The tree a report or figure set is drawn from: a calibration file or a preset run."""
    if (preset is None) == (posterior is None):
        _fail("give exactly one of --posterior FILE or --preset NAME")
    if validation is not None and posterior is None:
        _fail("--validation goes with --posterior: it validates a calibration")
    from ..outputs.report import attach_validation, gather_calibration, gather_preset

    # default seeds as the other commands: 0 for a posterior (estimate, sensitivity), 42 for a preset (simulate)
    if posterior is not None:
        tree = gather_calibration(posterior, seed=0 if seed is None else seed, step=step)
        return (attach_validation(tree, validation) if validation is not None else tree), str(posterior)
    return (gather_preset(preset, data, draws=draws, seed=42 if seed is None else seed, step=step),
            f"preset {preset}")


GATHER_STEPS = 3  # report.gather_preset / gather_calibration each report three stages

PosteriorOpt = Annotated[Optional[Path], typer.Option("--posterior", help="A calibration file (from `calibrate`).")]
ReportPresetOpt = Annotated[Optional[str], typer.Option("--preset", help="A paper preset (paper-v1, paper-v2) instead of a calibration.")]
ReportSeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Random seed [default: 42 for a preset, as simulate; 0 for a posterior, as estimate].")]
ValidationOpt = Annotated[Optional[Path], typer.Option("--validation", help="Results of `inference-energy validate` (JSON) to add: a figure and a section.")]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Output directory (refused if it exists and is not empty, unless --force).")]


@app.command()
@handle_errors
def figures(
    out: OutDirOpt,
    posterior: PosteriorOpt = None,
    preset: ReportPresetOpt = None,
    fmt: Annotated[FigureFormat, typer.Option("--format", help="Image format.")] = FigureFormat.png,
    draws: DrawsOpt = None,
    seed: ReportSeedOpt = None,
    data: DataOpt = None,
    validation: ValidationOpt = None,
    force: ForceOpt = False,
) -> None:
    """Save every figure of a calibration or preset: energy per query, pathways, fleet, sensitivity, and for a
    calibration prior vs posterior, predictive checks of every row by source, and rank plots."""
    from ..outputs.report import check_out_dir

    check_out_dir(out, force)
    from ..outputs.plots import figure_makers, save_figures

    with _Progress(total=GATHER_STEPS) as step:
        tree, origin = _gather(posterior, preset, draws, seed, data, step, validation)
        step.add(len(figure_makers(tree)))
        paths = save_figures(tree, out, fmt.value, on_figure=lambda name: step(f"figure {name}"))
    for path in paths:
        typer.echo(str(path))
    typer.echo(f"wrote {len(paths)} figures of {origin} to {out}; next: inference-energy report "
               f"{'--posterior ' + str(posterior) if posterior else '--preset ' + str(preset)} --out DIR for them in one page",
               err=True)


@app.command()
@handle_errors
def report(
    out: OutDirOpt,
    posterior: PosteriorOpt = None,
    preset: ReportPresetOpt = None,
    draws: DrawsOpt = None,
    seed: ReportSeedOpt = None,
    data: DataOpt = None,
    validation: ValidationOpt = None,
    account: Annotated[Optional[Path], typer.Option("--account", help="An account file (from `inference-energy account --output A.nc`) to add: totals by model, month and region, with EcoLogits' per-call sums beside them. Alone, a page of the account only.")] = None,
    force: ForceOpt = False,
) -> None:
    """Write a self-contained HTML report (DIR/index.html, figures embedded, opens offline): headline estimates
    with units, the figures, diagnostics and data provenance (and a usage account with --account)."""
    from ..outputs.plots import figure_makers
    from ..outputs.report import check_out_dir, write_report

    check_out_dir(out, force)
    accounted = None
    if account is not None:
        from ..outputs.account_report import read_account, write_account_report

        accounted = read_account(account)
        if posterior is None and preset is None:
            page = write_account_report(accounted, out, str(account), _closed_models(accounted), force=force)
            typer.echo(str(page))
            return
    with _Progress(total=GATHER_STEPS) as step:
        tree, origin = _gather(posterior, preset, draws, seed, data, step, validation)
        if accounted is not None:
            tree["account"] = accounted
        step.add(len(figure_makers(tree)) + 1)  # the figures, then the HTML
        page = write_report(tree, out, origin, force=force, step=step)
    typer.echo(str(page))
    typer.echo(f"wrote {page} ({page.stat().st_size / 1e6:.1f} MB, no network needed); next: open "
               f"file://{page.resolve()} in a browser", err=True)



def _closed_models(account) -> dict:
    """The closed-model catalog of the posterior the account used (the reference one if that file is gone)."""
    from ..posterior.calibration_file import read_calibration
    from ..posterior.reference import REFERENCE_PATH

    path = Path(account.attrs["posterior"])
    return read_calibration(path if path.exists() else REFERENCE_PATH)[1].closed_models
