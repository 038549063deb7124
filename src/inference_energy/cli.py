"""Command-line interface: parse, call the library, print.

Heavy libraries (numpy, xarray, pymc) are imported inside the commands, so
``inference-energy --help`` starts fast.  Every command that prints numbers
takes ``--format table|json``; JSON is ``{"results": [flat records], ...}``.
Errors print one line naming what to fix and exit non-zero, writing nothing.
"""

from __future__ import annotations

import functools
import math
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
        from .data import DataError
        from .io import ResultFileError

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
    """A table cell: 3 significant digits, and text escaped so labels like ``x[reasoning]`` are not read as markup."""
    from rich.markup import escape

    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else escape(str(value))


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
    posterior: Annotated[Optional[Path], typer.Option("--posterior", help="Use a calibration instead of the preset's inputs.")] = None,
    mix: Annotated[Optional[str], typer.Option("--mix", help="With --posterior: MODEL:REGIME:SHARE,... (shares sum to 1).")] = None,
    hardware: Annotated[str, typer.Option("--hardware", help="With --posterior: accelerator of the fleet.")] = "H100",
    serving: Annotated[str, typer.Option("--serving", help="With --posterior: serving regime.")] = "production",
    deployment: Annotated[str, typer.Option("--deployment", help="With --posterior: hyperscale or typical.")] = "hyperscale",
) -> None:
    """Fleet energy per day (GWh/day) at N queries a day, baseline and improved serving.

    With --posterior and --mix: energy, water and carbon per day for any mix of models and regimes,
    with posterior uncertainty, after each efficiency pathway of the preset and all three combined.
    """
    if posterior is not None:
        from .fleet import fleet_posterior, parse_mix
        from .io import load
        from .posterior_file import open_calibration
        from .presets import get_preset
        from .pushforward import Scenario

        entries = parse_mix(mix or "Llama-3.1-405B:traditional:0.9,Llama-3.1-405B:long:0.1")
        post, cat, traces = open_calibration(load(posterior))
        base = Scenario(hardware=hardware, serving=serving, deployment=deployment)
        records = fleet_posterior(post, cat, traces, entries, queries_per_day, base, get_preset(preset), seed=seed)
        _emit(records, format, f"Fleet per day at {queries_per_day:,.0f} queries/day ({hardware}, {serving}, {deployment}): "
              "posterior P5-P95 (parameter uncertainty)",
              [("scenario", "pathway"), ("quantity", "quantity"), ("unit", "unit"), ("p5", "P5"), ("p50", "P50"),
               ("p95", "P95"), ("mean", "mean")],
              {"posterior": str(posterior), "mix": entries,
               "note": f"pathway divisors from preset {preset} (P5-P95); combined = product of the three."})
        return
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


def _parameter_records(cal) -> list[dict]:  # noqa: D401 - helpers below use numpy lazily
    import numpy as np

    from .records import rounded

    post, prior = cal.tree["posterior"].to_dataset(), cal.tree["prior"].to_dataset()
    out = []
    for name, ratio in cal.shrinkage.items():
        base, _, label = name.partition("[")
        p, q = post[base], prior[base]
        if label:
            dim = p.dims[2]
            p, q = p.sel({dim: label.rstrip("]")}), q.sel({dim: label.rstrip("]")})
        p, q = p.values.ravel(), q.values.ravel()
        out.append({"parameter": name, "unit": post[base].attrs.get("units", "1"),
                    "prior_mean": rounded(q.mean(), 4), "prior_sd": rounded(q.std(), 4),
                    "posterior_mean": rounded(p.mean(), 4), "posterior_sd": rounded(p.std(), 4),
                    "posterior_p5": rounded(np.percentile(p, 5), 4), "posterior_p95": rounded(np.percentile(p, 95), 4),
                    "sd_ratio": rounded(ratio, 3), "prior_dominated": bool(ratio > 0.7)})
    return out


def _print_calibration(cal, params, outside, sources, fmt: Format, output) -> None:
    d = cal.diagnostics
    diag = {"max_rhat": round(d.max_rhat, 4), "min_ess_bulk": round(d.min_ess_bulk), "min_ess_tail": round(d.min_ess_tail),
            "divergences": d.divergences, "seconds": round(d.seconds, 1), "passed": d.passed, "problems": d.problems}
    if fmt is Format.json:
        typer.echo(json.dumps({"diagnostics": diag, "output": str(output) if output else None, "results": params,
                               "outside_posterior_90": outside, "sources": sources}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    t = Table(title="Sampling diagnostics (gate: r_hat <= 1.01, ESS >= 400, no divergences)", title_justify="left")
    for col in ("max r_hat", "min bulk ESS", "min tail ESS", "divergences", "seconds", "passed"):
        t.add_column(col, justify="right")
    t.add_row(f"{d.max_rhat:.4f}", f"{d.min_ess_bulk:.0f}", f"{d.min_ess_tail:.0f}", str(d.divergences), f"{d.seconds:.1f}",
              "yes" if d.passed else "NO: " + "; ".join(d.problems))
    console.print(t)
    t = Table(title="Parameters: prior vs posterior (sd ratio near 1: the prior decides)", title_justify="left")
    for col in ("parameter", "unit", "prior mean", "prior sd", "post mean", "post sd", "post P5", "post P95", "sd ratio"):
        t.add_column(col, justify="left" if col == "parameter" else "right")
    for r in sorted(params, key=lambda r: -r["sd_ratio"]):
        t.add_row(_fmt_cell(r["parameter"] + (" *" if r["prior_dominated"] else "")), r["unit"], *[_fmt_cell(r[k]) for k in (
            "prior_mean", "prior_sd", "posterior_mean", "posterior_sd", "posterior_p5", "posterior_p95", "sd_ratio")])
    console.print(t)
    console.print("* prior-dominated (posterior sd > 0.7 prior sd)", style="dim")
    t = Table(title=f"Rows outside their posterior predictive 90 % interval: {len(outside)} of {cal.checks.sizes['row']} "
                    "(about 10 % expected)", title_justify="left")
    for col in ("row", "group", "z", "source"):
        t.add_column(col)
    for r in sorted(outside, key=lambda r: -abs(r["z"]))[:15]:
        t.add_row(_fmt_cell(r["row"]), r["group"], f"{r['z']:+.2f}", _fmt_cell(r["source"][:90]))
    console.print(t)
    t = Table(title="Sources: share of rows outside, mean |z|, leave-source-out Pareto k (> 0.7: influential or in conflict)",
              title_justify="left")
    for col in ("source", "rows", "share outside", "mean |z|", "k-hat"):
        t.add_column(col, justify="left" if col == "source" else "right")
    for r in sorted(sources, key=lambda r: -r["loso_khat"]):
        t.add_row(_fmt_cell(r["source"][:90]), str(r["rows"]), f"{r['share_outside_90']:.2f}", f"{r['mean_abs_z']:.2f}", f"{r['loso_khat']:.2f}")
    console.print(t)


@app.command()
@handle_errors
def calibrate(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the calibration (.nc or .zarr).")],
    data: DataOpt = None,
    add_data: Annotated[Optional[list[Path]], typer.Option("--add-data", help="Extra observation tables (new telemetry).")] = None,
    draws: Annotated[int, typer.Option("--draws", min=100, help="Posterior draws per chain.")] = 1000,
    tune: Annotated[int, typer.Option("--tune", min=100, help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option("--chains", min=1, help="Chains (run in parallel by nutpie).")] = 4,
    seed: SeedOpt = 2025,
    target_accept: Annotated[float, typer.Option("--target-accept", min=0.5, max=0.999)] = 0.95,
    priors: Annotated[Optional[Path], typer.Option("--priors", help="JSON file of prior overrides {name: Prior.to_dict()}.")] = None,
    allow_bad_diagnostics: Annotated[bool, typer.Option("--allow-bad-diagnostics", help="Write the file and exit 0 even if diagnostics fail.")] = False,
    prior_only: Annotated[bool, typer.Option("--prior-only", help="No data: push the priors forward (the model's counterpart of the paper presets).")] = False,
    force: ForceOpt = False,
    format: FormatOpt = Format.table,
) -> None:
    """Calibrate the Bayesian model on the tables (nutpie NUTS), check it, push it forward, store it."""
    from .io import check_writable

    check_writable(output, force)
    from . import data as data_mod
    from .calibrate import SamplerConfig
    from .priors import load_prior_file

    tables = data_mod.load(data, extra=add_data)
    overrides = load_prior_file(priors) if priors else None
    config = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept,
                           prior_only=prior_only)
    extra = {"added_files": json.dumps([str(p.resolve()) for p in add_data])} if add_data else {}
    _run_calibration(tables, config, overrides, output, force, allow_bad_diagnostics, format, extra)


def _run_calibration(tables, config, overrides, output, force, allow_bad_diagnostics, format, extra,
                     report=True) -> Optional[Path]:
    """Calibrate, push forward, write (if the gate passes), print; returns the written path."""
    from .calibrate import calibrate as run
    from .posterior_file import calibration_tree

    stages = _Stages(format is Format.table)
    if format is Format.table:
        typer.echo(f"calibrating on {sum(len(t.rows) for t in tables.observations.values())} rows "
                   f"(data {tables.sha256[:12]}); compiling the model takes 10-60 s (longer on a first run)", err=True)
    cal = run(tables, config, overrides, progress=format is Format.table, step=stages)
    params = _parameter_records(cal)
    c = cal.checks
    outside = [{"row": str(r), "group": str(g), "z": float(z), "source": str(src)}
               for r, g, z, o, src in zip(c["row"].values, c["group"].values, c["z_posterior"].values,
                                          c["outside_posterior_90"].values, c["source"].values) if o]
    sources = cal.sources.to_dataframe().reset_index().to_dict("records")
    written = None
    if cal.diagnostics.passed or allow_bad_diagnostics:
        from .io import save

        stages("pushing the posterior forward to energy per query (every catalog model, both regimes)")
        save(calibration_tree(cal, tables.sha256, extra), output, force=force)
        written = output
    if report:
        _print_calibration(cal, params, outside, sources, format, written)
    if not cal.diagnostics.passed:
        msg = "diagnostics failed: " + "; ".join(cal.diagnostics.problems)
        if allow_bad_diagnostics:
            typer.echo(f"warning: {msg}; written anyway (--allow-bad-diagnostics)", err=True)
        else:
            typer.echo(f"error: {msg}. Nothing written. Try more --tune/--draws, or --allow-bad-diagnostics.", err=True)
            raise typer.Exit(1)
    if written and report:
        typer.echo(f"wrote {written}; next: inference-energy estimate --posterior {written} --model Llama-3.1-70B "
                   f"--hardware H100 --regime traditional, or inference-energy report --posterior {written} "
                   "--out runs/report", err=True)
    return written


def _emit_comparison(result, fmt: Format, meta: dict) -> None:
    cols = [("quantity", "quantity"), ("model", "model"), ("regime", "regime"), ("scope", "scope"), ("unit", "unit"),
            ("old_p50", "old P50"), ("new_p50", "new P50"), ("shift", "shift [x]"), ("shift_mcse_log", "MC s.e. [ln]"), ("width_change", "90 % width [x]"),
            ("responsible_rows", "rows most responsible (shift of mean ln)")]
    if fmt is Format.json:
        typer.echo(json.dumps({**meta, "added_rows": result.added_rows, "conflicts": result.conflicts,
                               "results": result.records}, indent=2))
        return
    moved = sorted(result.records, key=lambda r: -abs(math.log(r["shift"])) if r["shift"] else 0)
    _emit(moved[:25], fmt, "What moved: posterior medians and 90 % interval widths, new / old (25 largest shifts)",
          cols, {"note": f"{len(result.records)} quantities compared; rows added: {', '.join(result.added_rows) or 'none'}"})
    if result.conflicts:
        _emit(result.conflicts, fmt, "Rows the new posterior cannot reconcile (|z| > 3 outside the 90 % interval, "
              "or leave-row-out Pareto k > 0.7)", [("row", "row"), ("z_posterior", "z"), ("khat", "k-hat"),
                                                   ("source", "source")], {})


@app.command()
@handle_errors
def compare(
    old: Annotated[Path, typer.Argument(help="The earlier calibration file.")],
    new: Annotated[Path, typer.Argument(help="The later calibration file.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Rows to list per quantity.")] = 3,
    format: FormatOpt = Format.table,
) -> None:
    """What moved between two calibrations (medians, interval widths) and which rows moved it."""
    from .compare import compare as run_compare
    from .io import load

    a, b = load(old), load(new)
    for path, tree in ((old, a), (new, b)):
        if tree.attrs.get("kind") != "calibration":
            _fail(f"{path} is not a calibration file (kind {tree.attrs.get('kind')!r})")
    _emit_comparison(run_compare(a, b, top=top), format, {"old": str(old), "new": str(new)})


@app.command()
@handle_errors
def update(
    posterior: Annotated[Path, typer.Option("--posterior", help="The calibration to update.")],
    add_data: Annotated[list[Path], typer.Option("--add-data", help="New observation tables in the documented schema.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the updated calibration.")],
    data: DataOpt = None,
    allow_bad_diagnostics: Annotated[bool, typer.Option("--allow-bad-diagnostics")] = False,
    force: ForceOpt = False,
    format: FormatOpt = Format.table,
) -> None:
    """Add new telemetry rows, re-calibrate with the old run's priors and sampler settings, report what moved."""
    from .io import check_writable, load

    check_writable(output, force)
    from . import data as data_mod
    from .calibrate import SamplerConfig
    from .compare import compare as run_compare

    old = load(posterior)
    if old.attrs.get("kind") != "calibration":
        _fail(f"{posterior} is not a calibration file; run `inference-energy calibrate` first")
    earlier = [Path(p) for p in json.loads(old.attrs.get("added_files", "[]"))]
    base = data_mod.load(data, extra=earlier or None)
    if base.sha256 != old.attrs["data_sha256"]:
        _fail(f"{posterior} was calibrated on other data (hash {old.attrs['data_sha256'][:12]}, these tables "
              f"{base.sha256[:12]}); pass the --data DIR it used")
    tables = data_mod.load(data, extra=earlier + list(add_data))  # validates the new rows, row by row
    new_ids = [r["id"] for p in add_data for r in tables.observations[p.name].rows]
    settings = json.loads(old.attrs["config"])
    config = SamplerConfig(**settings["sampler"])
    overrides = settings["priors"]
    extra = {"added_files": json.dumps([str(p.resolve()) for p in earlier + list(add_data)]),
             "update_of": old.attrs.get("run_id", old.attrs.get("created_at", "")),
             "update_of_data_sha256": old.attrs["data_sha256"], "rows_added": json.dumps(new_ids)}
    written = _run_calibration(tables, config, overrides, output, force, allow_bad_diagnostics, format, extra,
                               report=False)
    if written is None:
        return
    result = run_compare(old, load(written))
    _emit_comparison(result, format, {"old": str(posterior), "new": str(written), "rows_added": new_ids,
                                      "old_data_sha256": old.attrs["data_sha256"], "new_data_sha256": tables.sha256})
    if format is Format.table:
        typer.echo(f"wrote {written} ({len(new_ids)} rows added); next: inference-energy report --posterior {written} "
                   "--out DIR to see the updated figures", err=True)


def _estimate_grid(posterior, scenarios, output, scheduler, block, keep_draws, force, seed) -> None:
    import time

    if output is None or output.suffix != ".zarr":
        _fail("a scenario grid needs --output OUT.zarr")
    from .io import check_writable, load, save

    check_writable(output, force)
    from .grid import grid_dataset, read_scenarios
    from .posterior_file import open_calibration
    from .results import provenance

    tree = load(posterior)
    post, cat, traces = open_calibration(tree)
    grid = read_scenarios(scenarios)
    ds = grid_dataset(post, cat, traces, grid, block=block, keep_draws=keep_draws, seed=seed)
    import xarray as xr

    root = xr.Dataset(attrs=provenance("scenario-grid", {"scenarios": str(scenarios), "block": block,
                                                         "keep_draws": keep_draws}, seed, tree.attrs["data_sha256"],
                                       posterior=str(posterior), posterior_run=tree.attrs.get("run_id", "")))
    out_tree = xr.DataTree.from_dict({"/": root, "/grid": ds})
    start = time.perf_counter()
    client = None
    if scheduler:
        from distributed import Client

        client = Client(scheduler)
        dashboard = client.scheduler_info().get("services", {}).get("dashboard")
        typer.echo(f"computing on {scheduler}" + (f"; progress: {client.dashboard_link}" if dashboard else
                                                   " (the scheduler has no dashboard, so no progress display)"), err=True)
    try:
        if client is None:
            from dask.diagnostics import ProgressBar

            with ProgressBar(out=sys.stderr, dt=1.0):
                save(out_tree, output, force=force)
        else:
            save(out_tree, output, force=force)
    finally:
        if client is not None:
            client.close()
    typer.echo(f"wrote {output}: {len(grid)} scenarios x {post.sizes['chain'] * post.sizes['draw']} draws "
               f"in {time.perf_counter() - start:.1f} s", err=True)


ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Catalog model id (see calibration_data/models.csv).")]
TotalOpt = Annotated[Optional[float], typer.Option("--total-params", min=0.01, help="Total parameters, billions.")]
ActiveOpt = Annotated[Optional[float], typer.Option("--active-params", min=0.01, help="Active parameters per token, billions.")]
MoeOpt = Annotated[bool, typer.Option("--moe", help="The model is a mixture of experts.")]
HardwareOpt = Annotated[str, typer.Option("--hardware", help="Accelerator id (H100, H200, B200, A100).")]
ServingOpt = Annotated[str, typer.Option("--serving", help="production, production_disaggregated, steady_state or vendor_max_benchmark.")]
DeploymentOpt = Annotated[str, typer.Option("--deployment", help="hyperscale or typical.")]
InTokOpt = Annotated[Optional[float], typer.Option("--input-tokens", min=1)]
OutTokOpt = Annotated[Optional[float], typer.Option("--output-tokens", min=1)]
ConcOpt = Annotated[Optional[float], typer.Option("--concurrency", min=0.01, help="Requests in flight per GPU [default 64].")]


class Scope(str, Enum):
    gpu = "gpu"
    node = "node"
    it = "it"
    facility = "facility"
    all = "all"


@app.command()
@handle_errors
def estimate(
    posterior: Annotated[Path, typer.Option("--posterior", help="A calibration file (from `calibrate`).")],
    model: ModelOpt = None,
    total_params: TotalOpt = None,
    active_params: ActiveOpt = None,
    moe: MoeOpt = False,
    hardware: HardwareOpt = "H100",
    regime: Annotated[Optional[str], typer.Option("--regime", help="traditional, long or code (token lengths from the traces).")] = None,
    input_tokens: InTokOpt = None,
    output_tokens: OutTokOpt = None,
    scope: Annotated[Scope, typer.Option("--scope", help="Boundary: gpu < node < it < facility, or all.")] = Scope.all,
    deployment: DeploymentOpt = "hyperscale",
    serving: ServingOpt = "production",
    concurrency: ConcOpt = None,
    wue: Annotated[Optional[float], typer.Option("--wue", min=0, help="Water, L per kWh of IT energy [default: cited per deployment class].")] = None,
    carbon_intensity: Annotated[Optional[float], typer.Option("--carbon-intensity", min=0, help="Grid gCO2e per kWh [default 480, world 2023].")] = None,
    queries: Annotated[int, typer.Option("--queries", min=10, help="Simulated queries per posterior draw.")] = 200,
    scenarios: Annotated[Optional[Path], typer.Option("--scenarios", help="CSV of scenarios (one per row) for a grid.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Grid output (.zarr).")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Address of a dask.distributed scheduler.")] = None,
    block: Annotated[int, typer.Option("--block", min=1, help="Scenarios per dask task.")] = 500,
    keep_draws: Annotated[bool, typer.Option("--keep-draws", help="Also store every draw (scenario x draw x scope).")] = False,
    force: ForceOpt = False,
    seed: SeedOpt = 0,
    format: FormatOpt = Format.table,
) -> None:
    """Energy (Wh), water (mL) and carbon (gCO2e) of one query, with both kinds of uncertainty.

    With --scenarios FILE.csv --output OUT.zarr: every posterior draw through every scenario
    (the typical query of each), in blocks with dask, written to Zarr.
    """
    if scenarios is not None:
        _estimate_grid(posterior, scenarios, output, scheduler, block, keep_draws, force, seed)
        return
    sc = _scenario_from_options(model, total_params, active_params, moe, hardware, regime, input_tokens, output_tokens,
                                serving, concurrency, deployment, wue, carbon_intensity)
    from .io import load
    from .posterior_file import open_calibration
    from .pushforward import energy_draws, summarize_scenario

    post, cat, traces = open_calibration(load(posterior))
    draws = energy_draws(post, cat, traces, sc, queries=queries, seed=seed)
    scopes = ("gpu", "node", "it", "facility") if scope is Scope.all else (scope.value,)
    records = summarize_scenario(draws, sc, scopes)
    title = (f"Energy per query of {sc.label} on {hardware}, {sc.regime_label} queries, {serving} serving, {deployment} "
             "data centre")
    _emit(records, format, title,
          [("scope", "scope"), ("unit", "unit"), *[(k, h) for k, h in QUANTILE_COLS],
           ("median_p5", "median query P5"), ("median_p50", "median query P50"), ("median_p95", "median query P95")],
          {"posterior": str(posterior), "scenario": {k: v for k, v in vars(sc).items()},
           "note": "P5-P95: a random query (query-to-query variation and parameter uncertainty); median query P5-P95: "
                   "the 90 % credible interval of the typical query (parameter uncertainty alone)."})


def _scenario_from_options(model, total_params, active_params, moe, hardware, regime, input_tokens, output_tokens,
                           serving, concurrency, deployment, wue=None, carbon_intensity=None):
    from .pushforward import Scenario

    if model is None and active_params is None:
        _fail("give --model NAME, or --active-params B (and --total-params B, --moe)")
    fixed = input_tokens is not None and output_tokens is not None
    if regime is None and not fixed:
        _fail("give --regime traditional|long|code, or both --input-tokens and --output-tokens")
    return Scenario(model=model, active_params_b=active_params, total_params_b=total_params, moe=moe, hardware=hardware,
                    regime=None if fixed else regime, input_tokens=input_tokens, output_tokens=output_tokens,
                    serving=serving, concurrency=concurrency, deployment=deployment, wue_l_per_kwh=wue,
                    carbon_g_per_kwh=carbon_intensity)


@app.command()
@handle_errors
def sensitivity(
    preset: Annotated[Optional[str], typer.Option("--preset", help="A paper preset (paper-v1, paper-v2).")] = None,
    posterior: Annotated[Optional[Path], typer.Option("--posterior", help="A calibration file.")] = None,
    regime: Annotated[str, typer.Option("--regime", help="traditional, long (or code with --posterior).")] = "traditional",
    model: ModelOpt = None,
    total_params: TotalOpt = None,
    active_params: ActiveOpt = None,
    moe: MoeOpt = False,
    hardware: HardwareOpt = "H100",
    serving: ServingOpt = "production",
    deployment: DeploymentOpt = "hyperscale",
    samples: Annotated[int, typer.Option("--samples", min=16, help="Sobol base sample size (a power of two).")] = 4096,
    prior: Annotated[bool, typer.Option("--prior", help="With --posterior: power-scaling prior sensitivity of every parameter instead.")] = False,
    data: DataOpt = None,
    seed: SeedOpt = 0,
    format: FormatOpt = Format.table,
) -> None:
    """Variance-based (Sobol) sensitivity of ln energy per query to each input, with 95 % confidence."""
    if (preset is None) == (posterior is None):
        _fail("give exactly one of --preset NAME or --posterior FILE")
    if prior:
        if posterior is None:
            _fail("--prior needs --posterior FILE")
        from .io import load
        from .sensitivity import prior_sensitivity

        with _Progress(total=1) as step:
            records = prior_sensitivity(load(posterior), data,
                                        on_parameter=lambda i, n, name: step(f"power-scaling {name}", total=n))
        _emit(records, format, "Power-scaling sensitivity (how far each posterior moves when the prior or the "
              "likelihood is raised to a power near 1)",
              [("parameter", "parameter"), ("prior_sensitivity", "prior"), ("likelihood_sensitivity", "likelihood"),
               ("diagnosis", "diagnosis")],
              {"note": "threshold 0.05 (arviz-stats psense_summary): 'strong prior / weak likelihood' = the prior decides; "
                       "'prior-data conflict' = both matter. See https://doi.org/10.1007/s11222-023-10366-5"})
        return
    from .sensitivity import check_indices, posterior_sobol, preset_sobol

    if preset is not None:
        from . import data as data_mod
        from .presets import get_preset

        p, tables = get_preset(preset), data_mod.load(data)
        models = [model] if model else None
        if models is None:
            from .paper import fit_throughput

            models = list(fit_throughput(tables, p).models)
        records = [r for m in models for r in preset_sobol(p, tables, m, regime, n=samples, seed=seed)]
    else:
        from .io import load
        from .posterior_file import open_calibration

        post, cat, traces = open_calibration(load(posterior))
        sc = _scenario_from_options(model, total_params, active_params, moe, hardware, regime, None, None, serving,
                                    None, deployment)
        records = posterior_sobol(post, cat, traces, sc, n=samples, seed=seed)
    problems = check_indices(records)
    _emit(records, format, "Sobol indices of ln energy per query (S1 first-order, ST total; +- 95 % confidence)",
          [("model", "model"), ("regime", "regime"), ("input", "input"), ("S1", "S1"), ("S1_conf", "S1 +-"),
           ("ST", "ST"), ("ST_conf", "ST +-")],
          {"note": "valid: indices within [0, 1] and sum of S1 <= 1.05" if not problems else "; ".join(problems)})


@app.command()
@handle_errors
def export(
    posterior: Annotated[Path, typer.Option("--posterior", help="A calibration file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Tidy draws: .csv or .parquet.")],
    model: ModelOpt = None,
    total_params: TotalOpt = None,
    active_params: ActiveOpt = None,
    moe: MoeOpt = False,
    hardware: HardwareOpt = "H100",
    regime: Annotated[Optional[str], typer.Option("--regime", help="traditional, long or code.")] = None,
    input_tokens: InTokOpt = None,
    output_tokens: OutTokOpt = None,
    serving: ServingOpt = "production",
    concurrency: ConcOpt = None,
    deployment: DeploymentOpt = "hyperscale",
    scope: Annotated[str, typer.Option("--scope", help="gpu, node, it, facility, water or carbon.")] = "facility",
    kind: Annotated[str, typer.Option("--kind", help="random (a random query) or median (the median query).")] = "random",
    n: Annotated[int, typer.Option("--n", min=1, help="Draws to export.")] = 10_000,
    prior_json: Annotated[Optional[Path], typer.Option("--prior-json", help="Also write a fitted lognormal Prior (pymc-extras JSON).")] = None,
    seed: SeedOpt = 0,
    force: ForceOpt = False,
) -> None:
    """Export a scenario's energy draws (tidy CSV/Parquet) and a fitted lognormal prior for other models."""
    from .export import sample_energy, save_prior_json, to_tidy

    sc = _scenario_from_options(model, total_params, active_params, moe, hardware, regime, input_tokens, output_tokens,
                                serving, concurrency, deployment)
    for path in (output, prior_json):
        if path is not None and path.exists() and not force:
            _fail(f"{path} exists; pass --force to replace it")
    samples = sample_energy(posterior, sc, n=n, seed=seed, scope=scope, kind=kind)
    to_tidy(samples, output, force=force)
    typer.echo(f"wrote {output} ({n} draws, {samples.attrs['units']})", err=True)
    if prior_json is not None:
        save_prior_json(samples, prior_json, force=force)
        typer.echo(f"wrote {prior_json}", err=True)


class FigureFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


def _gather(posterior: Optional[Path], preset: Optional[str], draws, seed, data, step):
    """The tree a report or figure set is drawn from: a calibration file or a preset run."""
    if (preset is None) == (posterior is None):
        _fail("give exactly one of --posterior FILE or --preset NAME")
    from .report import gather_calibration, gather_preset

    # default seeds as the other commands: 0 for a posterior (estimate, sensitivity), 42 for a preset (simulate)
    if posterior is not None:
        return gather_calibration(posterior, seed=0 if seed is None else seed, step=step), str(posterior)
    return (gather_preset(preset, data, draws=draws, seed=42 if seed is None else seed, step=step),
            f"preset {preset}")


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
    force: ForceOpt = False,
) -> None:
    """Save every figure of a calibration or preset: energy per query, pathways, fleet, sensitivity, and for a
    calibration prior vs posterior, predictive checks of every row by source, and rank plots."""
    from .report import check_out_dir

    check_out_dir(out, force)
    from .plots import figure_makers, save_figures

    with _Progress(total=GATHER_STEPS) as step:
        tree, origin = _gather(posterior, preset, draws, seed, data, step)
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
    force: ForceOpt = False,
) -> None:
    """Write a self-contained HTML report (DIR/index.html, figures embedded, opens offline): headline estimates
    with units, the figures, diagnostics and data provenance."""
    from .plots import figure_makers
    from .report import check_out_dir, write_report

    check_out_dir(out, force)
    with _Progress(total=GATHER_STEPS) as step:
        tree, origin = _gather(posterior, preset, draws, seed, data, step)
        step.add(len(figure_makers(tree)) + 1)  # the figures, then the HTML
        page = write_report(tree, out, origin, force=force, step=step)
    typer.echo(str(page))
    typer.echo(f"wrote {page} ({page.stat().st_size / 1e6:.1f} MB, no network needed); next: open "
               f"file://{page.resolve()} in a browser", err=True)


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
