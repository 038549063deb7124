"""Command-line interface: parse, call the library, print.

Heavy libraries (numpy, xarray, pymc) are imported inside the commands, so
``inference-energy --help`` starts fast.  Every command that prints numbers
takes ``--format table|json``; JSON is ``{"results": [flat records], ...}``.
Errors print one line naming what to fix and exit non-zero, writing nothing.
"""

from __future__ import annotations

import functools
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    name="inference-energy",
    help="Energy, water and carbon of one LLM query, with honest uncertainty.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


class Format(str, Enum):
    table = "table"
    json = "json"


class RegimeChoice(str, Enum):
    traditional = "traditional"
    long = "long"
    all = "all"


class Variant(str, Enum):
    baseline = "baseline"
    input_weighted = "input-weighted"
    load_coupled = "load-coupled"


PresetOpt = Annotated[str, typer.Option("--preset", help="paper-v1 or paper-v2 (the seed paper's inputs).")]
RegimeOpt = Annotated[RegimeChoice, typer.Option("--regime", help="Query regime.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same numbers.")]
DrawsOpt = Annotated[Optional[int], typer.Option("--draws", min=20, help="Draws per model and regime [default: the preset's 10,000].")]
DataOpt = Annotated[Optional[Path], typer.Option("--data", help="Calibration data directory [default: the shipped calibration_data/].")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table (rich, with units) or json (flat records).")]
LegacyOpt = Annotated[bool, typer.Option("--legacy-stream", help="Replay the authors' numpy seed-42 stream (reproduces their digits).")]
VariantOpt = Annotated[Variant, typer.Option("--variant", help="The paper's sensitivity scripts: input-weighted (an input token costs 1/30 of an output token) or load-coupled (PU = 0.24 + 0.56 TPS/TPS_max).")]
InputTokensOpt = Annotated[Optional[float], typer.Option("--input-tokens", min=1, help="Input tokens per query [default: the preset's 500].")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the results as a DataTree (.nc netCDF or .zarr Zarr).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(func):
    """Turn the library's expected errors into one-line messages and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .data import DataError
        from .io import ResultFileError

        try:
            return func(*args, **kwargs)
        except (DataError, ResultFileError, FileNotFoundError, FileExistsError) as exc:
            _fail(str(exc))
        except (KeyError, ValueError) as exc:
            _fail(exc.args[0] if exc.args else repr(exc))

    return wrapper


def _regimes(choice: RegimeChoice) -> tuple[str, ...]:
    return ("traditional", "long") if choice is RegimeChoice.all else (choice.value,)


def _simulate(preset: str, variant: Variant, input_tokens, regimes, draws, seed, data, legacy, keep_draws=False):
    from . import data as data_mod
    from .paper import simulate
    from .presets import get_preset

    p = get_preset(preset, variant.value, input_tokens=input_tokens)
    tables = data_mod.load(data)
    return simulate(p, tables, draws=draws, seed=seed, regimes=regimes, legacy=legacy, keep_draws=keep_draws)


def _emit(records: list[dict], fmt: Format, title: str, columns: list[tuple[str, str]], meta: dict) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps({**meta, "results": records}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=title, title_justify="left")
    for key, header in columns:
        table.add_column(header, justify="left" if key in ("model", "regime", "pathway", "scenario") else "right")
    for rec in records:
        table.add_row(*[_fmt_cell(rec.get(k)) for k, _ in columns])
    console.print(table)
    if meta.get("note"):
        console.print(meta["note"], style="dim")


def _fmt_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def _save(build_tree, output: Optional[Path], force: bool) -> None:
    """Build the DataTree (xarray is imported only here) and write it."""
    if output is None:
        return
    from .io import save

    save(build_tree(), output, force=force)
    typer.echo(f"wrote {output}", err=True)


def _tree(sim, **groups):
    from .results import simulation_tree

    return simulation_tree(sim, **groups)


QUANTILE_COLS = [("p5", "P5"), ("p25", "P25"), ("p50", "P50"), ("p75", "P75"), ("p95", "P95"), ("mean", "mean")]


@app.command()
@handle_errors
def simulate(
    preset: PresetOpt = "paper-v2",
    regime: RegimeOpt = RegimeChoice.all,
    draws: DrawsOpt = None,
    seed: SeedOpt = 42,
    data: DataOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    format: FormatOpt = Format.table,
    legacy_stream: LegacyOpt = False,
    variant: VariantOpt = Variant.baseline,
    input_tokens: InputTokensOpt = None,
) -> None:
    """Per-query energy of every model and the frontier blend (the paper's Figure 1 numbers)."""
    if output is not None:
        from .io import check_writable

        check_writable(output, force)
    sim = _simulate(preset, variant, input_tokens, _regimes(regime), draws, seed, data, legacy_stream,
                    keep_draws=output is not None)
    from .records import energy_records

    _save(lambda: _tree(sim), output, force)
    meta = {"preset": sim.preset.name, "seed": seed, "draws": int(sim.energy.shape[-1]),
            "blend_models": sim.blend_models, "data_sha256": sim.data_sha256}
    _emit(energy_records(sim), format, f"Energy per query, Wh (preset {sim.preset.name}, {sim.energy.shape[-1]:,} draws per model)",
          [("model", "model"), ("regime", "regime"), *[(k, f"{h} [Wh]") for k, h in QUANTILE_COLS]],
          {**meta, "note": f"frontier-blend = {', '.join(sim.blend_models[sim.regimes[0]])}, each trimmed to P5-P95 then P10-P90, pooled."})


@app.command()
@handle_errors
def pathways(
    preset: PresetOpt = "paper-v2",
    regime: RegimeOpt = RegimeChoice.all,
    draws: DrawsOpt = None,
    seed: SeedOpt = 42,
    data: DataOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    format: FormatOpt = Format.table,
    legacy_stream: LegacyOpt = False,
) -> None:
    """Frontier-blend energy after each efficiency pathway and all three combined."""
    if output is not None:
        from .io import check_writable

        check_writable(output, force)
    sim = _simulate(preset, Variant.baseline, None, _regimes(regime), draws, seed, data, legacy_stream)
    from .paper import pathways as run_pathways
    from .records import pathway_records

    result = run_pathways(sim)
    _save(lambda: _tree(sim, pathway_result=result), output, force)
    records = pathway_records(result)
    _emit(records, format, f"Efficiency pathways, frontier blend, Wh per query (preset {sim.preset.name})",
          [("pathway", "pathway"), ("regime", "regime"), *[(k, f"{h} [Wh]") for k, h in QUANTILE_COLS],
           ("median_reduction", "median reduction [x]"), ("reduction_p5", "divisor P5 [x]"), ("reduction_p95", "divisor P95 [x]")],
          {"preset": sim.preset.name, "seed": seed,
           "note": "combined = the product of the three divisors (a distribution); the paper's '8-20x' is a judgement, not an output."})


@app.command()
@handle_errors
def fleet(
    preset: PresetOpt = "paper-v2",
    queries_per_day: Annotated[float, typer.Option("--queries-per-day", min=0, help="Queries served per day.")] = 1e9,
    long_share: Annotated[Optional[list[float]], typer.Option("--long-share", help="Share of long (test-time-scaling) queries; repeat for several [default: 0 and 0.1].")] = None,
    draws: DrawsOpt = None,
    seed: SeedOpt = 42,
    data: DataOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    format: FormatOpt = Format.table,
    legacy_stream: LegacyOpt = False,
) -> None:
    """Fleet energy per day (GWh/day) at N queries a day, baseline and improved serving."""
    if output is not None:
        from .io import check_writable

        check_writable(output, force)
    shares = tuple(long_share) if long_share else (0.0, 0.1)
    sim = _simulate(preset, Variant.baseline, None, ("traditional", "long"), draws, seed, data, legacy_stream)
    from .paper import fleet as run_fleet
    from .records import fleet_records

    result = run_fleet(sim, queries_per_day, shares)
    _save(lambda: _tree(sim, fleet_result=result), output, force)
    overhead = 1.0
    for f in sim.preset.fleet_overhead:
        overhead *= f
    _emit(fleet_records(result), format,
          f"Fleet energy, GWh/day, at {queries_per_day:,.0f} queries/day (preset {sim.preset.name})",
          [("scenario", "scenario"), ("long_share", "long share"), ("p5", "P5 [GWh/day]"), ("p50", "P50 [GWh/day]"), ("p95", "P95 [GWh/day]")],
          {"preset": sim.preset.name, "seed": seed, "queries_per_day": queries_per_day,
           "note": f"mean query energy of the blend's models x queries x overhead {overhead:.4f} (unexplained in the paper); "
                   "bootstrap quantiles; the mix combines each quantile separately, as the paper does."})


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
