"""The seed paper (Oviedo et al., arXiv 2509.20241), reproduced exactly.

- ``presets``: the paper's inputs as frozen presets (``paper-v1``, ``paper-v2``) and variants;
- ``throughput``: its throughput law, fitted per model to its table;
- ``simulate``: the forward Monte Carlo and the frontier blend;
- ``pathways``: efficiency pathways and fleet energy per day;
- ``tree``: a run as a labelled DataTree (units on every variable).

Beside ``model`` in the layering: it imports ``data``, ``files`` and ``stats``
only, never the calibrated model.  The names below are re-exported, so
``inference_energy.paper.simulate(...)`` reads as before.
"""

from .pathways import FLEET_SCENARIOS, PATHWAYS, FleetResult, PathwayResult, fleet, pathways
from .simulate import BLEND, Simulation, simulate
from .throughput import FIT_KINDS, ThroughputFits, fit_throughput

__all__ = ["FLEET_SCENARIOS", "PATHWAYS", "FleetResult", "PathwayResult", "fleet", "pathways", "BLEND",
           "Simulation", "simulate", "FIT_KINDS", "ThroughputFits", "fit_throughput"]
