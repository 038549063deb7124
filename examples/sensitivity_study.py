"""Which uncertainties drive the energy of a query, and which parameters does the prior decide?

    python examples/calibrate_and_estimate.py          # first: writes runs/examples/posterior.nc
    python examples/sensitivity_study.py [--workdir runs/examples]

Two studies on the calibration in WORKDIR/posterior.nc (about 40 s):

1. Sobol' indices of ln energy per query (SALib, Saltelli design).  For the
   calibrated model the inputs are groups of uncertainty: all parameters at
   once (a uniform picks a posterior draw), the query's output and input token
   lengths, and the PUE of a new operator within its class.  The paper's preset
   (paper-v2) is shown beside it for the same model and regime: its inputs are
   output tokens, power utilisation and PUE.
2. Power-scaling prior sensitivity (arviz-stats psense_summary): raise each
   parameter's own prior, and separately the likelihood, to a power near 1 and
   measure how far its marginal posterior moves.  Prior-sensitive but not
   likelihood-sensitive: the prior, not the data, decides that parameter.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

from inference_energy import data
from inference_energy.files import store
from inference_energy.paper import presets
from inference_energy.posterior.calibration_file import open_calibration
from inference_energy.posterior.pushforward import Scenario
from inference_energy.posterior.sensitivity import check_indices, posterior_sobol, preset_sobol, prior_sensitivity

SCENARIOS = (  # production serving, hyperscale data centre
    Scenario(model="Llama-3.1-70B", hardware="H100", regime="traditional"),
    Scenario(model="DeepSeek-R1", hardware="B200", regime="long"),
)
PRESET = "paper-v2"
SOBOL_N = 4096  # base samples (a power of two); the design costs SOBOL_N x (inputs + 2) evaluations
SEED = 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs/examples"),
                        help="holds posterior.nc (from calibrate_and_estimate.py)")
    return parser.parse_args()


def require_posterior(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "posterior.nc"
    if not path.exists():
        print(f"error: {path} not found; run `python examples/calibrate_and_estimate.py --workdir {workdir}` first",
              file=sys.stderr)
        sys.exit(2)
    return path


def print_sobol(title: str, records: list[dict]) -> None:
    print(f"\n{title}")
    print(f"  {'input':<30} {'S1':>6} {'+-':>6} {'ST':>6} {'+-':>6} {'ST-S1':>6}")
    for r in records:
        print(f"  {r['input']:<30} {r['S1']:>6.3f} {r['S1_conf']:>6.3f} {r['ST']:>6.3f} {r['ST_conf']:>6.3f} "
              f"{r['ST'] - r['S1']:>6.3f}")
    print(f"  {'sum of S1':<30} {sum(r['S1'] for r in records):>6.3f}")


def sobol_study(posterior_path: Path) -> list[dict]:
    tree = store.load(posterior_path)
    post, catalogs, traces = open_calibration(tree)
    post = post.load()
    tree.close()
    preset, tables = presets.get_preset(PRESET), data.load()
    everything = []
    for sc in SCENARIOS:
        calibrated = posterior_sobol(post, catalogs, traces, sc, n=SOBOL_N, seed=SEED)
        paper = preset_sobol(preset, tables, sc.model, sc.regime, n=SOBOL_N, seed=SEED)
        print_sobol(f"{sc.model} on {sc.hardware}, {sc.regime} queries: calibrated posterior ({calibrated[0]['target']})",
                    calibrated)
        print_sobol(f"{sc.model}, {sc.regime} queries: preset {PRESET} ({paper[0]['target']})", paper)
        everything += calibrated + paper
    print("\nS1: share of the variance of ln energy per query explained by the input alone; ST: the same with every "
          "interaction it enters;\n+-: 95 % bootstrap half-widths. Indices are dimensionless shares of Var(ln E), "
          "E in Wh; ST-S1 is the input's share through interactions.")
    return everything


def print_prior_sensitivity(records: list[dict]) -> None:
    groups = defaultdict(list)
    for r in sorted(records, key=lambda r: -r["prior_sensitivity"]):
        groups[r["diagnosis"]].append(r)
    print("\nPower-scaling sensitivity of each parameter's posterior, as name (prior/likelihood); threshold 0.05")
    meaning = {"potential strong prior / weak likelihood": "the prior decides",
               "potential prior-data conflict": "prior and data both move it: they pull apart, or both matter",
               "ok": "the prior does not decide: only the data move it, or nothing does much"}
    for diagnosis, rows in groups.items():
        print(f"\n{diagnosis} ({meaning.get(diagnosis, '')}): {len(rows)} of {len(records)}")
        cells = ", ".join(f"{r['parameter']} ({r['prior_sensitivity']:.3f}/{r['likelihood_sensitivity']:.3f})"
                          for r in rows)
        print(textwrap.fill(cells, width=118, initial_indent="  ", subsequent_indent="  "))
    print("\nA sensitivity is how far the marginal posterior moves (cumulative Jensen-Shannon distance, dimensionless) "
          "per unit change of log2 of the power (0.99 and 1.01).\nFor 'the prior decides' parameters, `inference-energy calibrate --priors "
          "FILE.json` with a changed prior shows what depends on them.")


def main() -> None:
    args = parse_args()
    path = require_posterior(args.workdir)
    records = sobol_study(path)
    problems = check_indices(records)
    if problems:
        print("INVALID SOBOL INDICES: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("Validity check: every index within [0, 1] up to its confidence, and each sum of S1 <= 1.05.")

    # arviz-stats logs the same "potential issues" advice once per parameter; the table says it once.
    logging.getLogger("arviz_stats").setLevel(logging.ERROR)
    tree = store.load(path)
    print_prior_sensitivity(prior_sensitivity(tree))
    tree.close()


if __name__ == "__main__":
    main()
