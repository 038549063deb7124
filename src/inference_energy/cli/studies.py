"""Uncertainty studies: ``sensitivity`` (Sobol indices; power-scaling prior sensitivity)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (ActiveOpt, DataOpt, DeploymentOpt, Format, FormatOpt, HardwareOpt, ModelOpt, MoeOpt, SeedOpt, ServingOpt,
                     TotalOpt, _emit, _fail, _Progress, app, handle_errors)
from .estimates import scenario_from_options


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
        from ..files.store import load
        from ..posterior.sensitivity import prior_sensitivity

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
    from ..posterior.sensitivity import check_indices, posterior_sobol, preset_sobol

    if preset is not None:
        from .. import data as data_mod
        from ..paper.presets import get_preset

        p, tables = get_preset(preset), data_mod.load(data)
        models = [model] if model else None
        if models is None:
            from ..paper import fit_throughput

            models = list(fit_throughput(tables, p).models)
        records = [r for m in models for r in preset_sobol(p, tables, m, regime, n=samples, seed=seed)]
    else:
        from ..files.store import load
        from ..posterior.calibration_file import open_calibration

        post, cat, traces = open_calibration(load(posterior))
        sc = scenario_from_options(model=model, total_params=total_params, active_params=active_params, moe=moe,
                                   hardware=hardware, regime=regime, serving=serving, deployment=deployment)
        records = posterior_sobol(post, cat, traces, sc, n=samples, seed=seed)
    problems = check_indices(records)
    _emit(records, format, "Sobol indices of ln energy per query (S1 first-order, ST total; +- 95 % confidence)",
          [("model", "model"), ("regime", "regime"), ("input", "input"), ("S1", "S1"), ("S1_conf", "S1 +-"),
           ("ST", "ST"), ("ST_conf", "ST +-")],
          {"note": "valid: indices within [0, 1] and sum of S1 <= 1.05" if not problems else "; ".join(problems)})


