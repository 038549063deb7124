"""Commands that read a calibration for one scenario or many: ``estimate`` (and its grid), ``export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (QUANTILE_COLS, ActiveOpt, CachedOpt, ConcOpt, DeploymentOpt, ForceOpt, Format, FormatOpt, GpusOpt,
                     HardwareOpt, HeadDimOpt, HeadsOpt, InteractivityOpt, InTokOpt, KvHeadsOpt, LayersOpt, ModelOpt, MoeOpt,
                     OutTokOpt, PrecisionOpt, Scope, SeedOpt, ServingOpt, TotalOpt, _emit, _fail, app, handle_errors)


@app.command()
@handle_errors
def estimate(
    posterior: Annotated[Optional[Path], typer.Option("--posterior", help="A calibration file (from `calibrate`) [default: the shipped reference posterior].")] = None,
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
    interactivity: InteractivityOpt = None,
    cached_input_tokens: CachedOpt = 0.0,
    precision: PrecisionOpt = "fp8",
    gpus: GpusOpt = None,
    layers: LayersOpt = None,
    attention_heads: HeadsOpt = None,
    kv_heads: KvHeadsOpt = None,
    head_dim: HeadDimOpt = None,
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
    from ..posterior.reference import resolve_posterior

    posterior, said = resolve_posterior(posterior)
    if said and format is not Format.json:
        typer.echo(f"note: {said}", err=True)
    if scenarios is not None:
        _estimate_grid(posterior, scenarios, output, scheduler, block, keep_draws, force, seed)
        return
    sc = scenario_from_options(model=model, total_params=total_params, active_params=active_params, moe=moe,
                               hardware=hardware, regime=regime, input_tokens=input_tokens, output_tokens=output_tokens,
                               serving=serving, concurrency=concurrency, deployment=deployment, wue=wue,
                               carbon_intensity=carbon_intensity, interactivity=interactivity,
                               cached_input_tokens=cached_input_tokens, precision=precision, gpus=gpus, layers=layers,
                               attention_heads=attention_heads, kv_heads=kv_heads, head_dim=head_dim)
    from ..files.store import load
    from ..posterior.calibration_file import open_calibration
    from ..posterior.notes import estimate_notes, typical_lengths
    from ..posterior.pushforward import energy_draws, scenario_draws, summarize_scenario
    from ..posterior.scenario import canonical

    post, cat, traces = open_calibration(load(posterior))
    sc = canonical(sc, cat)
    draws = energy_draws(post, cat, traces, sc, queries=queries, seed=seed)
    scopes = ("gpu", "node", "it", "facility") if scope is Scope.all else (scope.value,)
    records = summarize_scenario(draws, sc, scopes)
    notes = estimate_notes(scenario_draws(post, cat, sc, seed, traces), sc, *typical_lengths(sc, post, traces))
    title = (f"Energy per query of {sc.label} on {hardware}, {sc.regime_label} queries, {serving} serving, {deployment} "
             "data centre")
    _emit(records, format, title,
          [("scope", "scope"), ("unit", "unit"), *[(k, h) for k, h in QUANTILE_COLS],
           ("median_p5", "median query P5"), ("median_p50", "median query P50"), ("median_p95", "median query P95")],
          {"posterior": str(posterior), "reference_posterior": bool(said), "scenario": {k: v for k, v in vars(sc).items()}, "notes": notes,
           "note": "P5-P95: a random query (query-to-query variation and parameter uncertainty); median query P5-P95: "
                   "the 90 % credible interval of the typical query (parameter uncertainty alone). gpu-prefill and "
                   "gpu-decode split the GPU energy by phase; operating-* rows give the operating point."})
    if format is not Format.json:
        for line in notes:
            typer.echo(f"note: {line}", err=True)


def scenario_from_options(*, model=None, total_params=None, active_params=None, moe=False, hardware="H100",
                          regime=None, input_tokens=None, output_tokens=None, serving="production", concurrency=None,
                          deployment="hyperscale", wue=None, carbon_intensity=None, **architecture_and_point):
    """The Scenario the options describe (operating point, precision, GPUs and architecture passed through)."""
    from ..posterior.pushforward import Scenario

    if model is None and active_params is None:
        _fail("give --model NAME, or --active-params B (and --total-params B, --moe)")
    if model is None and total_params is not None and total_params < active_params:
        _fail(f"--total-params {total_params:g} is below --active-params {active_params:g}: a model cannot use more "
              "parameters per token than it has")
    fixed = input_tokens is not None and output_tokens is not None
    if regime is None and not fixed:
        _fail("give --regime traditional|long|code, or both --input-tokens and --output-tokens")
    if architecture_and_point.get("cached_input_tokens") and not fixed:
        _fail("--cached-input-tokens needs fixed lengths (--input-tokens and --output-tokens)")
    extra = {k: v for k, v in architecture_and_point.items() if v is not None}
    return Scenario(model=model, active_params_b=active_params, total_params_b=total_params, moe=moe, hardware=hardware,
                    regime=None if fixed else regime, input_tokens=input_tokens, output_tokens=output_tokens,
                    serving=serving, concurrency=concurrency, deployment=deployment, wue_l_per_kwh=wue,
                    carbon_g_per_kwh=carbon_intensity, **extra)


def _estimate_grid(posterior, scenarios, output, scheduler, block, keep_draws, force, seed) -> None:
    import time

    if output is None or output.suffix != ".zarr":
        _fail("a scenario grid needs --output OUT.zarr")
    from ..files.store import check_writable, load, save

    check_writable(output, force)
    from ..posterior.grid import grid_dataset, read_scenarios
    from ..posterior.calibration_file import open_calibration
    from ..files.format import provenance

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
    interactivity: InteractivityOpt = None,
    cached_input_tokens: CachedOpt = 0.0,
    precision: PrecisionOpt = "fp8",
    gpus: GpusOpt = None,
    deployment: DeploymentOpt = "hyperscale",
    scope: Annotated[str, typer.Option("--scope", help="gpu, node, it, facility, water or carbon.")] = "facility",
    kind: Annotated[str, typer.Option("--kind", help="random (a random query) or median (the median query).")] = "random",
    n: Annotated[int, typer.Option("--n", min=1, help="Draws to export.")] = 10_000,
    prior_json: Annotated[Optional[Path], typer.Option("--prior-json", help="Also write a fitted lognormal Prior (pymc-extras JSON).")] = None,
    seed: SeedOpt = 0,
    force: ForceOpt = False,
) -> None:
    """Export a scenario's energy draws (tidy CSV/Parquet) and a fitted lognormal prior for other models."""
    from ..posterior.export import sample_energy, save_prior_json, to_tidy

    sc = scenario_from_options(model=model, total_params=total_params, active_params=active_params, moe=moe,
                               hardware=hardware, regime=regime, input_tokens=input_tokens, output_tokens=output_tokens,
                               serving=serving, concurrency=concurrency, deployment=deployment,
                               interactivity=interactivity, cached_input_tokens=cached_input_tokens,
                               precision=precision, gpus=gpus)
    for path in (output, prior_json):
        if path is not None and path.exists() and not force:
            _fail(f"{path} exists; pass --force to replace it")
    samples = sample_energy(posterior, sc, n=n, seed=seed, scope=scope, kind=kind)
    to_tidy(samples, output, force=force)
    typer.echo(f"wrote {output} ({n} draws, {samples.attrs['units']})", err=True)
    if prior_json is not None:
        save_prior_json(samples, prior_json, force=force)
        typer.echo(f"wrote {prior_json}", err=True)


