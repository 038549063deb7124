"""What every command shares: the typer app, option types, error handling, printing.

Only ``typer`` is imported here; each command imports the library inside its
body, so ``inference-energy --help`` loads no numpy, xarray or PyMC.
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
    epilog="Start with: inference-energy simulate --preset paper-v2 (seconds), or inference-energy calibrate "
           "--output runs/posterior.nc (minutes), then estimate/report --posterior runs/posterior.nc. "
           "Shell completion: inference-energy --install-completion.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain (click) help: typer's rich help imports rich.markdown and costs ~0.15 s per --help.
    rich_markup_mode=None,
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
        from ..data import DataError
        from ..files.store import ResultFileError

        try:
            return func(*args, **kwargs)
        except (DataError, ResultFileError, FileNotFoundError, FileExistsError, IsADirectoryError, ImportError) as exc:
            _fail(str(exc))
        except (KeyError, ValueError) as exc:
            _fail(exc.args[0] if exc.args else repr(exc))

    return wrapper


class _Stages:
    """Prints each stage of a long command to stderr with the elapsed time: '[  12 s] sampling ...'."""

    def __init__(self, enabled: bool = True):
        import time

        self._clock, self._start, self.enabled = time.perf_counter, time.perf_counter(), enabled

    def __call__(self, message: str) -> None:
        if self.enabled:
            typer.echo(f"[{self._clock() - self._start:5.0f} s] {message} ...", err=True)


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
    """A table cell: 3 significant digits, and text escaped so labels like ``x[reasoning]`` are not read as markup."""
    from rich.markup import escape

    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else escape(str(value))


def _save(build_tree, output: Optional[Path], force: bool) -> None:
    """Build the DataTree (xarray is imported only here) and write it."""
    if output is None:
        return
    from ..files.store import save

    save(build_tree(), output, force=force)
    typer.echo(f"wrote {output}", err=True)


QUANTILE_COLS = [("p5", "P5"), ("p25", "P25"), ("p50", "P50"), ("p75", "P75"), ("p95", "P95"), ("mean", "mean")]

ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Catalog model id (see calibration_data/models.csv).")]
TotalOpt = Annotated[Optional[float], typer.Option("--total-params", min=0.01, help="Total parameters, billions.")]
ActiveOpt = Annotated[Optional[float], typer.Option("--active-params", min=0.01, help="Active parameters per token, billions.")]
MoeOpt = Annotated[bool, typer.Option("--moe", help="The model is a mixture of experts.")]
HardwareOpt = Annotated[str, typer.Option("--hardware", help="Accelerator id from hardware.csv (H100, H200, B200, GB200, A100, H800, B300, GB300, MI300X, MI325X, MI355X, TPUv5e, TPUv5p, TPUv6e, TPUv7).")]
ServingOpt = Annotated[str, typer.Option("--serving", help="production, production_disaggregated, steady_state or vendor_max_benchmark.")]
DeploymentOpt = Annotated[str, typer.Option("--deployment", help="hyperscale or typical.")]
InTokOpt = Annotated[Optional[float], typer.Option("--input-tokens", min=1)]
OutTokOpt = Annotated[Optional[float], typer.Option("--output-tokens", min=1)]
ConcOpt = Annotated[Optional[float], typer.Option("--concurrency", min=0.01, help="Requests in flight per GPU [default: set by --interactivity for production serving, 64 otherwise].")]
InteractivityOpt = Annotated[Optional[float], typer.Option("--interactivity", min=0.01, help="Output tokens/s each user sees: the latency target that sets the batch [default for production: 21, DeepSeek's published average].")]
CachedOpt = Annotated[float, typer.Option("--cached-input-tokens", min=0, help="Input tokens per query served from a prefix cache (fixed queries).")]
PrecisionOpt = Annotated[str, typer.Option("--precision", help="Weights: bf16, fp8, nvfp4 or mxfp4.")]
GpusOpt = Annotated[Optional[int], typer.Option("--gpus", min=1, help="GPUs per replica [default: whole nodes that hold the weights].")]
LayersOpt = Annotated[Optional[int], typer.Option("--layers", min=1, help="Attention layers of a model given by --active-params.")]
HeadsOpt = Annotated[Optional[int], typer.Option("--attention-heads", min=1, help="Query heads (with --head-dim).")]
KvHeadsOpt = Annotated[Optional[int], typer.Option("--kv-heads", min=1, help="Key/value heads (GQA).")]
HeadDimOpt = Annotated[Optional[int], typer.Option("--head-dim", min=1, help="Width of one attention head.")]


class Scope(str, Enum):
    gpu = "gpu"
    node = "node"
    it = "it"
    facility = "facility"
    all = "all"


class _Progress:
    """A rich progress bar on stderr that advances one step per call: ``step("figure fleet")``."""

    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description:<42}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task("starting", total=total)
        self._started = False

    def __enter__(self):
        self._bar.start()
        return self

    def __exit__(self, *exc):
        self._bar.stop()

    def __call__(self, message: str, total: int | None = None) -> None:
        self._bar.update(self._task, description=message, advance=1 if self._started else 0, total=total)
        self._started = True

    def add(self, steps: int) -> None:
        """Lengthen the bar once the remaining work is known (e.g. how many figures a tree supports)."""
        self._bar.update(self._task, total=self._bar.tasks[0].total + steps)


GATHER_STEPS = 3  # report.gather_preset / gather_calibration each report three stages


PosteriorOpt = Annotated[Optional[Path], typer.Option("--posterior", help="A calibration file (from `calibrate`).")]
ReportPresetOpt = Annotated[Optional[str], typer.Option("--preset", help="A paper preset (paper-v1, paper-v2) instead of a calibration.")]
ReportSeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Random seed [default: 42 for a preset, as simulate; 0 for a posterior, as estimate].")]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Output directory (refused if it exists and is not empty, unless --force).")]

