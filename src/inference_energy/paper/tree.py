"""A paper run as a labelled DataTree, with units and a long name on every variable.

Sample dimensions are ``chain`` and ``draw`` as ArviZ names them.  The same
summaries feed the stored file, the rich tables and the JSON records
(``outputs/records.py``), so the three never differ.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..files.format import provenance
from ..stats import STATISTICS
from .pathways import PATHWAYS, FleetResult, PathwayResult
from .simulate import BLEND, Simulation
from .throughput import FIT_KINDS


def _var(data, dims, units: str, long_name: str, **attrs) -> xr.Variable:
    return xr.Variable(dims, data, attrs={"units": units, "long_name": long_name, **attrs})


def _zero_token_counts(sim: Simulation) -> np.ndarray:
    """Zero-token draws per model, and for the blend the sum over its models."""
    per_model = sim.zero_tokens
    blend = [[per_model[r, sim.models.index(m)] for m in sim.blend_models[reg]] for r, reg in enumerate(sim.regimes)]
    return np.column_stack([per_model, np.array([sum(b) for b in blend])])


def simulation_tree(
    sim: Simulation,
    pathway_result: PathwayResult | None = None,
    fleet_result: FleetResult | None = None,
    keep_draws: bool = True,
) -> xr.DataTree:
    """A DataTree with the throughput fits, the per-query draws and the summaries."""
    fits = sim.fits
    models = list(sim.models)
    regimes = list(sim.regimes)
    coords = {"model": models, "regime": regimes}

    throughput = xr.Dataset(
        {
            "intercept": _var(fits.intercept, ("model",), "1", "b0 of ln TPS = b0 + b1 ln L_in + b2 ln L_out"),
            "input_slope": _var(fits.input_slope, ("model",), "1", "b1: elasticity of throughput to input tokens"),
            "output_slope": _var(fits.output_slope, ("model",), "1", "b2: elasticity of throughput to output tokens"),
            "throughput_cap": _var(fits.cap, ("model",), "tokens/s", "largest observed node output throughput (prediction cap)"),
            "n_points": _var(fits.n_points, ("model",), "1", "FP8 benchmark rows behind the fit"),
            "fit_kind": _var(np.array([FIT_KINDS.index(k) for k in fits.kind], dtype="int8"), ("model",), "1",
                             "throughput law", flag_values=np.arange(len(FIT_KINDS), dtype="int8"),
                             flag_meanings=" ".join(k.replace("-", "_") for k in FIT_KINDS)),
            "node_power": _var(sim.node_power, ("model",), "kW", "P_max: maximum power of one 8-GPU node"),
        },
        coords={"model": models},
    )

    statistic = list(STATISTICS)
    summary = sim.summary
    summaries = xr.Dataset(
        {
            "energy": _var(summary, ("regime", "model", "statistic"), "Wh",
                           "energy per query (facility scope, as the paper defines it)"),
            "zero_token_draws": _var(_zero_token_counts(sim), ("regime", "model"), "1",
                                     "draws rounded to zero output tokens (energy 0; NaN and skipped under the legacy stream "
                                     "where the authors' arithmetic gave 0/0)"),
        },
        coords={"regime": regimes, "model": models + [BLEND], "statistic": statistic},
    )
    summaries["blend_member"] = _var(
        np.array([[m in sim.blend_models[r] for m in models + [BLEND]] for r in regimes], dtype="int8"),
        ("regime", "model"), "1", "1 if the model is one of the frontier blend's models in this regime",
    )

    groups: dict[str, xr.Dataset] = {"throughput": throughput, "summary": summaries}

    if keep_draws and sim.output_tokens is not None:
        dims = ("regime", "model", "chain", "draw")
        def per_draw(a):  # noqa: E306 - (regime, model, draw) -> add a chain axis of 1
            return a[:, :, None, :]
        draws = xr.Dataset(
            {
                "output_tokens": _var(per_draw(sim.output_tokens), dims, "tokens", "output tokens of the query"),
                "power_utilization": _var(per_draw(np.broadcast_to(sim.power_utilization, sim.energy.shape)), dims, "1",
                                          "PU: fraction of node maximum power drawn while serving"),
                "pue": _var(per_draw(sim.pue), dims, "1", "PUE: facility energy / IT energy"),
                "throughput": _var(per_draw(sim.throughput), dims, "tokens/s", "node output throughput at the query's lengths"),
                "energy": _var(per_draw(sim.energy), dims, "Wh", "energy per query (NaN: a draw the authors' arithmetic skipped, legacy stream only)"),
                "in_blend": _var(per_draw(sim.in_blend.astype("int8")), dims, "1",
                                 "1 if the draw is in the trimmed frontier-blend pool"),
            },
            coords={**coords, "chain": [0], "draw": np.arange(sim.energy.shape[-1])},
        ).transpose("chain", "draw", "regime", "model")
        groups["draws"] = draws

    if pathway_result is not None:
        groups["pathways"] = pathway_dataset(pathway_result)
    if fleet_result is not None:
        groups["fleet"] = fleet_dataset(fleet_result)

    root = xr.Dataset(attrs=provenance(
        "paper-simulation", sim.preset.to_dict(), sim.seed, sim.data_sha256,
        rng="numpy.random.RandomState (legacy, reseeded per regime)" if sim.legacy else "numpy.random.Generator (PCG64)",
        preset=sim.preset.name,
        blend_models=json.dumps(sim.blend_models),
    ))
    return xr.DataTree.from_dict({"/": root, **{f"/{k}": v for k, v in groups.items()}})


def pathway_dataset(res: PathwayResult) -> xr.Dataset:
    return xr.Dataset(
        {
            "energy": _var(res.energy, ("regime", "pathway", "statistic"), "Wh",
                           "frontier-blend energy per query after the pathway"),
            "reduction": _var(res.reduction, ("regime", "pathway", "quantile"), "1",
                              "divisor applied by the pathway (combined: product of the three)"),
            "median_reduction": _var(res.median_reduction, ("regime", "pathway"), "1",
                                     "median baseline energy / median energy after the pathway"),
        },
        coords={"regime": list(res.regimes), "pathway": list(PATHWAYS), "statistic": list(STATISTICS),
                "quantile": ["p5", "p50", "p95"]},
    )


def fleet_dataset(res: FleetResult) -> xr.Dataset:
    return xr.Dataset(
        {
            "energy_by_regime": _var(res.by_regime, ("scenario", "regime", "quantile"), "GWh/day",
                                     "fleet energy if every query were of this regime (bootstrap quantiles)"),
            "energy": _var(res.mixed, ("scenario", "long_share", "quantile"), "GWh/day",
                           "fleet energy for the mix (each quantile mixed separately, as in the paper)"),
            "mean_query_energy": _var(res.mean_energy_wh, ("regime",), "Wh",
                                      "mean of the untrimmed draws of the blend's models"),
        },
        coords={"scenario": ["baseline", "improved"], "regime": list(res.regimes),
                "long_share": list(res.long_shares), "quantile": ["p5", "p50", "p95"]},
        attrs={"queries_per_day": res.queries_per_day},
    )
