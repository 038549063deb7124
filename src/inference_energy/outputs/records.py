"""Flat records: the JSON contract of the CLI (``{"results": [records]}``).

Built from the numpy results directly, so printing numbers never needs
xarray; the stored files hold the same summaries (``results.py``).
"""

from __future__ import annotations

from typing import Any

from ..paper import BLEND, PATHWAYS, FleetResult, PathwayResult, Simulation
from ..stats import STATISTICS, rounded


def quantile_fields(values) -> dict[str, float | None]:
    return {s: rounded(v) for s, v in zip(STATISTICS, values)}


def energy_records(sim: Simulation) -> list[dict[str, Any]]:
    models = [*sim.models, BLEND]
    return [
        {"model": model, "regime": regime, "scope": "facility", "unit": "Wh", **quantile_fields(sim.summary[r, m])}
        for r, regime in enumerate(sim.regimes)
        for m, model in enumerate(models)
    ]


def pathway_records(res: PathwayResult) -> list[dict[str, Any]]:
    return [
        {"pathway": pathway, "regime": regime, "unit": "Wh", **quantile_fields(res.energy[r, p]),
         "median_reduction": rounded(res.median_reduction[r, p]),
         "reduction_p5": rounded(res.reduction[r, p, 0]), "reduction_p50": rounded(res.reduction[r, p, 1]),
         "reduction_p95": rounded(res.reduction[r, p, 2])}
        for r, regime in enumerate(res.regimes)
        for p, pathway in enumerate(PATHWAYS)
    ]


def fleet_records(res: FleetResult) -> list[dict[str, Any]]:
    return [
        {"scenario": scenario, "long_share": share, "unit": "GWh/day", "queries_per_day": res.queries_per_day,
         "p5": rounded(res.mixed[k, j, 0]), "p50": rounded(res.mixed[k, j, 1]), "p95": rounded(res.mixed[k, j, 2])}
        for k, scenario in enumerate(("baseline", "improved"))
        for j, share in enumerate(res.long_shares)
    ]
