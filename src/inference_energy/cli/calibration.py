"""Commands that make and move calibrations: ``calibrate``, ``update``, ``compare``."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import DataOpt, ForceOpt, Format, FormatOpt, SeedOpt, _emit, _fail, _fmt_cell, _Stages, app, handle_errors


def _parameter_records(cal) -> list[dict]:  # noqa: D401 - helpers below use numpy lazily
    import numpy as np

    from ..stats import rounded

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
            "divergences": d.divergences, "seconds": round(d.seconds, 1), "passed": d.passed, "problems": d.problems,
            "retried_after": d.retried_after, "target_accept": cal.config.target_accept}
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
    if d.retried_after:
        console.print(f"sampled twice: {d.retried_after}; these are the second run's, at target_accept "
                      f"{cal.config.target_accept}")
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
    tune: Annotated[int, typer.Option("--tune", min=100, help="Tuning steps per chain.")] = 600,
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
    from ..files.store import check_writable

    check_writable(output, force)
    from .. import data as data_mod
    from ..model.calibrate import SamplerConfig
    from ..model.priors import load_prior_file

    tables = data_mod.load(data, extra=add_data)
    overrides = load_prior_file(priors) if priors else None
    config = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept,
                           prior_only=prior_only)
    extra = {"added_files": json.dumps([str(p.resolve()) for p in add_data])} if add_data else {}
    _run_calibration(tables, config, overrides, output, force, allow_bad_diagnostics, format, extra)


def _run_calibration(tables, config, overrides, output, force, allow_bad_diagnostics, format, extra,
                     report=True) -> Optional[Path]:
    """Calibrate, push forward, write (if the gate passes), print; returns the written path."""
    from ..model.calibrate import calibrate as run
    from ..posterior.calibration_file import calibration_tree

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
        from ..files.store import save

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
    from ..posterior.compare import compare as run_compare
    from ..files.store import load

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
    from ..files.store import check_writable, load

    check_writable(output, force)
    from .. import data as data_mod
    from ..model.calibrate import SamplerConfig
    from ..posterior.compare import compare as run_compare

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




@app.command()
@handle_errors
def validate(
    posterior: Annotated[Path, typer.Option("--posterior", help="The calibration to validate.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the results (JSON).")],
    data: DataOpt = None,
    source: Annotated[Optional[list[str]], typer.Option("--source", help="Only these production sources (as in the tables' `source` column) [default: all].")] = None,
    psis: Annotated[bool, typer.Option("--psis", help="Use PSIS-LOO instead of a refit where its Pareto k < 0.7 (fast; see docs/production.md for when it misleads).")] = False,
    draws: Annotated[int, typer.Option("--draws", min=100, help="Posterior draws per chain of each refit.")] = 700,
    tune: Annotated[int, typer.Option("--tune", min=100, help="Tuning steps per chain of each refit.")] = 500,
    chains: Annotated[int, typer.Option("--chains", min=1, help="Chains of each refit.")] = 2,
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Also save the figure (.png, .svg or .pdf).")] = None,
    force: ForceOpt = False,
    format: FormatOpt = Format.table,
) -> None:
    """Leave each production source out, refit, and predict its figures: median, 90 % interval, PIT, covered."""
    for path, suffixes in ((output, (".json",)), (figure, (".png", ".svg", ".pdf"))):
        if path is not None and path.suffix not in suffixes:
            _fail(f"{path}: expected a {' or '.join(suffixes)} file")
        if path is not None and path.exists() and not force:
            _fail(f"{path} exists; pass --force to replace it")
    from .. import data as data_mod
    from ..files.store import load
    from ..model.calibrate import SamplerConfig
    from ..posterior.export import _atomic_write
    from ..posterior.validate import REFIT_MAX_RHAT, REFIT_MIN_ESS
    from ..posterior.validate import validate as run

    tree = load(posterior)
    if tree.attrs.get("kind") != "calibration":
        _fail(f"{posterior} is not a calibration file; run `inference-energy calibrate` first")
    tables = data_mod.load(data, extra=[Path(p) for p in json.loads(tree.attrs.get("added_files", "[]"))] or None)
    if tables.sha256 != tree.attrs["data_sha256"]:
        _fail(f"{posterior} was calibrated on other data (hash {tree.attrs['data_sha256'][:12]}, these tables "
              f"{tables.sha256[:12]}); pass the --data DIR it used")
    settings = json.loads(tree.attrs["config"])
    config = SamplerConfig(**{**settings["sampler"], "draws": draws, "tune": tune, "chains": chains})
    stages = _Stages(format is Format.table)
    result = run(tree, tables, source, refit_all=not psis, config=config, seed=config.seed,
                 priors=settings["priors"], step=stages)
    payload = {"posterior": str(posterior), "data_sha256": tables.sha256, "refit": {"draws": draws, "tune": tune,
               "chains": chains, "psis_where_reliable": psis, "gate": {"max_r_hat": REFIT_MAX_RHAT,
               "min_ess_bulk": REFIT_MIN_ESS, "divergences": 0}}, **result.to_dict()}
    _atomic_write(output, True, lambda staged: staged.write_text(json.dumps(payload, indent=2) + "\n"))
    if figure is not None:
        from ..outputs.validation import validation as plot

        fig = plot(payload)
        _atomic_write(figure, True, lambda staged: fig.savefig(staged, dpi=150, bbox_inches="tight"))
    records = [{**r, "interval": f"{r['p5']:.3g} - {r['p95']:.3g}"} for r in payload["rows"]]
    s = payload["summary"]
    _emit(records, format, "Leave-one-source-out predictions of production figures (each in its published unit)",
          [("row", "row"), ("source", "source"), ("quantity", "quantity"), ("unit", "unit"), ("observed", "observed"),
           ("p50", "predicted P50"), ("interval", "predicted P5-P95"), ("pit", "PIT"), ("covered", "covered"),
           ("method", "method")],
          {"summary": s, "note": f"{s['sources_covered']} of {s['sources']} sources and {s['rows_covered']} of "
                                 f"{s['rows']} figures inside their 90 % interval; wrote {output}"})
    if format is Format.table and payload["reference_estimate_wh"]:
        ref = payload["reference_estimate_wh"]
        moved = [{"source": src["source"], "rows": src["rows"], "covered": src["covered"], "khat": src["khat"],
                  "without": _interval(payload["refits"].get(src["source"], {}).get("reference_estimate_without_wh"))}
                 for src in payload["sources"]]
        scenario = ", ".join(str(v) for v in payload["reference_scenario"].values() if v not in ("facility",))
        _emit(moved, format, f"What each source moved: the median query of {scenario} at the facility [Wh], "
                             f"{_interval(ref)} with every source",
              [("source", "source"), ("rows", "rows"), ("covered", "covered"), ("khat", "Pareto k"),
               ("without", "without it [Wh]")], {})
    failed = [src for src, d in result.refits.items() if not d["passed"]]
    if failed:
        typer.echo(f"warning: the refits without {'; '.join(failed)} failed the refit gate (r_hat <= 1.05, bulk ESS "
                   ">= 100, no divergences): their predictions are less reliable (more --tune/--draws)", err=True)


def _interval(q: dict | None) -> str:
    return "" if not q else f"{q['p50']:.3g} ({q['p5']:.3g}-{q['p95']:.3g})"

