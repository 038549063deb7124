"""Commands of the seed paper's presets: ``simulate``, ``pathways``, ``fleet`` (also from a posterior)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (QUANTILE_COLS, DataOpt, DrawsOpt, ForceOpt, Format, FormatOpt, InputTokensOpt, LegacyOpt,
                     OutputOpt, PresetOpt, RegimeChoice, RegimeOpt, SeedOpt, Variant, VariantOpt, _emit, _save, app,
                     handle_errors)


def _regimes(choice: RegimeChoice) -> tuple[str, ...]:
    return ("traditional", "long") if choice is RegimeChoice.all else (choice.value,)


def _simulate(preset: str, variant: Variant, input_tokens, regimes, draws, seed, data, legacy, keep_draws=False):
    from .. import data as data_mod
    from ..paper import simulate
    from ..paper.presets import get_preset

    p = get_preset(preset, variant.value, input_tokens=input_tokens)
    tables = data_mod.load(data)
    return simulate(p, tables, draws=draws, seed=seed, regimes=regimes, legacy=legacy, keep_draws=keep_draws)


def _tree(sim, **groups):
    from ..paper.tree import simulation_tree

    return simulation_tree(sim, **groups)


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
        from ..files.store import check_writable

        check_writable(output, force)
    sim = _simulate(preset, variant, input_tokens, _regimes(regime), draws, seed, data, legacy_stream,
                    keep_draws=output is not None)
    from ..outputs.records import energy_records

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
        from ..files.store import check_writable

        check_writable(output, force)
    sim = _simulate(preset, Variant.baseline, None, _regimes(regime), draws, seed, data, legacy_stream)
    from ..paper import pathways as run_pathways
    from ..outputs.records import pathway_records

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
        from ..posterior.fleet import fleet_posterior, parse_mix
        from ..files.store import load
        from ..posterior.calibration_file import open_calibration
        from ..paper.presets import get_preset
        from ..posterior.pushforward import Scenario

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
        from ..files.store import check_writable

        check_writable(output, force)
    shares = tuple(long_share) if long_share else (0.0, 0.1)
    sim = _simulate(preset, Variant.baseline, None, ("traditional", "long"), draws, seed, data, legacy_stream)
    from ..paper import fleet as run_fleet
    from ..outputs.records import fleet_records

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


