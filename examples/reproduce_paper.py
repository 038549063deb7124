"""Reproduce the seed paper's headline figures and print them beside the published ones.

    python examples/reproduce_paper.py

Oviedo et al., "Energy Use of AI Inference" (arXiv 2509.20241): v1 (Sep 2025)
and v2 (Joule 2026).  Each preset runs twice: on the authors' legacy seed-42
stream (which reproduces their digits) and on numpy's default Generator (which
agrees within Monte Carlo error).
"""

from __future__ import annotations

import argparse

from inference_energy import data, paper
from inference_energy.paper import presets

PUBLISHED = {  # abstracts; paper-method.md sections 5 and 7
    "paper-v1": {"trad p50": 0.34, "trad p25": 0.18, "trad p75": 0.67, "long p50": 4.32,
                 "fleet 0% long": 0.8, "fleet 10% long": 1.8, "fleet 10% long improved": 0.9},
    "paper-v2": {"trad p50": 0.31, "trad p25": 0.16, "trad p75": 0.60, "long p50": 3.91,
                 "long p25": 2.15, "long p75": 7.05,
                 "fleet 0% long": 0.7, "fleet 10% long": 1.7, "fleet 10% long improved": 0.8},
}
UNITS = {"trad": "Wh", "long": "Wh", "fleet": "GWh/day"}


def figures(sim: paper.Simulation) -> dict[str, float]:
    out = {}
    for regime, key in (("traditional", "trad"), ("long", "long")):
        blend = sim.summary[sim.regimes.index(regime), -1]
        out |= {f"{key} p25": blend[1], f"{key} p50": blend[2], f"{key} p75": blend[3]}
    fleet = paper.fleet(sim, 1e9, (0.0, 0.1)).mixed[:, :, 1]
    out |= {"fleet 0% long": fleet[0, 0], "fleet 10% long": fleet[0, 1], "fleet 10% long improved": fleet[1, 1]}
    return out


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help; no options
    tables = data.load()
    for name, published in PUBLISHED.items():
        preset = presets.get_preset(name)
        legacy = figures(paper.simulate(preset, tables, legacy=True))
        default = figures(paper.simulate(preset, tables, seed=42))
        print(f"\n{name}: {preset.description}")
        print(f"{'figure':<26} {'unit':<8} {'published':>9} {'legacy stream':>14} {'Generator':>10}")
        for key, value in published.items():
            unit = UNITS[key.split()[0]]
            print(f"{key:<26} {unit:<8} {value:>9} {legacy[key]:>14.3f} {default[key]:>10.3f}")


if __name__ == "__main__":
    main()
