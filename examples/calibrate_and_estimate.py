"""Calibrate the model on the shipped data, store the posterior, estimate energy per query.

    python examples/calibrate_and_estimate.py [--workdir runs/examples] [--force]

The main job of the package, through its Python API: sample the PyMC model
against the cited measurements in calibration_data/ (nutpie NUTS, the default
SamplerConfig: 4 chains x 1000 draws, about 1.5-3 minutes on 2 cores), stop
loudly if the convergence diagnostics fail, write the calibration to
WORKDIR/posterior.nc, then push the posterior forward to the energy of one
query for a few models, accelerators and query regimes at every boundary
(GPU < node < IT < facility).

Two uncertainties are kept apart in the table:
- the typical (median) query's 90 % credible interval: what we do not know
  about the parameters (parameter uncertainty alone);
- a random query's P5-P95: how much one query differs from the next (its
  token lengths), on top of the parameter uncertainty.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from inference_energy import data
from inference_energy.files import store
from inference_energy.model.calibrate import Calibration, SamplerConfig, calibrate
from inference_energy.posterior.calibration_file import calibration_tree, open_calibration
from inference_energy.posterior.pushforward import Scenario, energy_draws, summarize_scenario

SCENARIOS = (  # production serving in a hyperscale data centre unless a scenario says otherwise
    Scenario(model="Llama-3.1-70B", hardware="H100", regime="traditional"),
    Scenario(model="Llama-3.1-70B", hardware="B200", regime="traditional"),
    Scenario(model="DeepSeek-R1", hardware="B200", regime="long"),
)
SCOPES = ("gpu", "node", "it", "facility")
QUERIES_PER_DRAW = 200  # simulated queries per posterior draw (as `inference-energy estimate`)
ESTIMATE_SEED = 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs/examples"),
                        help="where to write posterior.nc (created if missing)")
    parser.add_argument("--force", action="store_true", help="replace an existing WORKDIR/posterior.nc")
    return parser.parse_args()


def report_diagnostics(cal: Calibration) -> None:
    """Print the convergence diagnostics and the posterior predictive check; exit 1 if the gate fails."""
    d, c = cal.diagnostics, cal.config
    print(f"Sampling: nutpie NUTS, {c.chains} chains x {c.draws} draws after {c.tune} tuning steps, "
          f"target_accept {c.target_accept}, seed {c.seed}: {d.seconds:.0f} s")
    print(f"  max r_hat      {d.max_rhat:.4f}  (gate <= {c.max_rhat}; worst: {d.worst_rhat})")
    print(f"  min bulk ESS   {d.min_ess_bulk:.0f}  (gate >= {c.min_ess:.0f}; worst: {d.worst_ess})")
    print(f"  min tail ESS   {d.min_ess_tail:.0f}  (gate >= {c.min_ess:.0f})")
    print(f"  divergences    {d.divergences}  (gate 0)")
    outside = int(cal.checks["outside_posterior_90"].sum())
    rows = cal.checks.sizes["row"]
    print(f"  posterior predictive: {outside} of {rows} calibration rows ({outside / rows:.0%}) outside their "
          "90 % interval (about 10 % expected)")
    prior_led = sorted(name for name, ratio in cal.shrinkage.items() if ratio > 0.7)
    print(f"  {len(prior_led)} of {len(cal.shrinkage)} parameters prior-dominated (posterior sd > 0.7 prior sd), "
          f"e.g. {', '.join(prior_led[:4])}")
    if not d.passed:
        print("DIAGNOSTICS FAILED: " + "; ".join(d.problems) + ". Nothing written.", file=sys.stderr)
        sys.exit(1)
    print("  diagnostics passed")


def save_calibration(cal: Calibration, tables: data.CalibrationData, path: Path, force: bool) -> Path:
    """Push the default scenarios forward and write the self-contained calibration file."""
    return store.save(calibration_tree(cal, tables.sha256), path, force=force)


def estimate(posterior_path: Path) -> list[dict]:
    """Energy-per-query records (one per scenario and scope) from the stored file alone."""
    tree = store.load(posterior_path)
    post, catalogs, traces = open_calibration(tree)
    post = post.load()
    records = []
    for sc in SCENARIOS:
        draws = energy_draws(post, catalogs, traces, sc, queries=QUERIES_PER_DRAW, seed=ESTIMATE_SEED)
        records += summarize_scenario(draws, sc, SCOPES)[: len(SCOPES)]  # energy only (not water, carbon)
    tree.close()
    return records


def print_table(records: list[dict], n_draws: int) -> None:
    print(f"\nEnergy per query, production serving, hyperscale data centre "
          f"({n_draws:,} posterior draws x {QUERIES_PER_DRAW} simulated queries each)")
    header = (f"{'model':<14} {'hardware':<8} {'regime':<11} {'scope':<8} {'unit':<4} "
              f"{'typical query P50 [90 % CrI]':>32} {'CrI x':>6}   {'random query P5 - P95':>22} {'P95/P5':>7}")
    print(header)
    print("-" * len(header))
    for r in records:
        typical = f"{r['median_p50']:.3g} [{r['median_p5']:.3g} - {r['median_p95']:.3g}]"
        spread = f"{r['p5']:.3g} - {r['p95']:.3g}"
        print(f"{r['model']:<14} {r['hardware']:<8} {r['regime']:<11} {r['scope']:<8} {r['unit']:<4} "
              f"{typical:>32} {r['median_p95'] / r['median_p5']:>6.2f}   {spread:>22} {r['p95'] / r['p5']:>7.1f}")
    print("typical query: median over a draw's simulated queries; its 90 % credible interval (CrI, P5-P95 across "
          "posterior draws) is parameter uncertainty alone.\nrandom query: P5-P95 over every draw and query, "
          "so per-query variation (token lengths) and parameter uncertainty together.\n"
          "CrI x and P95/P5: the ratio of each interval's ends; the larger one is the bigger source of spread.")


def main() -> None:
    args = parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:  # fail before two minutes of sampling
        out = store.check_writable(args.workdir / "posterior.nc", args.force)
    except store.ResultFileError as exc:
        sys.exit(f"error: {exc}")

    tables = data.load()
    n_rows = sum(len(t.rows) for t in tables.observations.values())
    config = SamplerConfig()  # the package defaults, as `inference-energy calibrate`
    print(f"Calibrating on {n_rows} rows of calibration_data/ (data sha256 {tables.sha256[:12]}); "
          "compiling and sampling take 1.5-3 minutes ...", flush=True)
    start = time.perf_counter()
    cal = calibrate(tables, config, progress=sys.stderr.isatty())
    print(f"calibrated in {time.perf_counter() - start:.0f} s (compilation included)")
    report_diagnostics(cal)
    save_calibration(cal, tables, out, args.force)
    print(f"wrote {out}")

    records = estimate(out)
    print_table(records, cal.config.chains * cal.config.draws)


if __name__ == "__main__":
    main()
