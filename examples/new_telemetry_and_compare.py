"""Add new telemetry to a calibration, re-calibrate, and see what moved and which rows moved it.

    python examples/calibrate_and_estimate.py          # first: writes runs/examples/posterior.nc
    python examples/new_telemetry_and_compare.py [--workdir runs/examples] [--add-data FILE.csv] [--force]

What `inference-energy update` does, step by step through the Python API:
check that WORKDIR/posterior.nc was calibrated on the tables at hand (its data
hash), validate the new rows (examples/new_telemetry.csv: one operator PUE,
Meta's 2021 buildings at 1.09), re-calibrate with the old run's priors and
sampler settings, gate on the diagnostics, write WORKDIR/posterior-updated.nc
with its provenance, and compare the two posteriors (inference_energy.posterior.compare):
the shift of each key quantity's median, its Monte Carlo standard error (a
shift of a few of these is noise, not data), the change in the 90 % interval's
width, and the rows that moved it (leave-row-out importance sampling).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from inference_energy import data
from inference_energy.files import store
from inference_energy.model.calibrate import Calibration, SamplerConfig, calibrate
from inference_energy.posterior.compare import Comparison, compare
from inference_energy.posterior.calibration_file import calibration_tree

EXAMPLES = Path(__file__).resolve().parent
TOP_ENERGY = 6  # energy-per-query quantities to list (those that moved most, in Monte Carlo standard errors)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs/examples"),
                        help="holds posterior.nc (from calibrate_and_estimate.py); gets posterior-updated.nc")
    parser.add_argument("--add-data", type=Path, default=EXAMPLES / "new_telemetry.csv",
                        help="new observation rows in the schema of calibration_data/measurements.csv")
    parser.add_argument("--force", action="store_true", help="replace an existing WORKDIR/posterior-updated.nc")
    return parser.parse_args()


def require_posterior(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "posterior.nc"
    if not path.exists():
        print(f"error: {path} not found; run `python examples/calibrate_and_estimate.py --workdir {workdir}` first",
              file=sys.stderr)
        sys.exit(2)
    return path


def tables_for_update(old, new_file: Path) -> data.CalibrationData:
    """The old run's tables plus the new rows, after checking the old file was calibrated on them."""
    earlier = [Path(p) for p in json.loads(old.attrs.get("added_files", "[]"))]
    base = data.load(extra=earlier or None)
    if base.sha256 != old.attrs["data_sha256"]:
        sys.exit(f"error: the posterior was calibrated on other data (hash {old.attrs['data_sha256'][:12]}, "
                 f"these tables {base.sha256[:12]})")
    return data.load(extra=earlier + [new_file])  # validates the new rows; a bad cell names file, row and column


def recalibrate(old, tables: data.CalibrationData) -> Calibration:
    """Sample again with the old run's sampler settings and priors (stored in its `config` attribute)."""
    settings = json.loads(old.attrs["config"])
    config = SamplerConfig(**settings["sampler"])
    print(f"Re-calibrating with the old run's settings ({config.chains} chains x {config.draws} draws, "
          f"seed {config.seed}) and priors; 1.5-3 minutes ...", flush=True)
    cal = calibrate(tables, config, settings["priors"], progress=sys.stderr.isatty())
    d = cal.diagnostics
    print(f"  max r_hat {d.max_rhat:.4f}, min bulk ESS {d.min_ess_bulk:.0f}, min tail ESS {d.min_ess_tail:.0f}, "
          f"divergences {d.divergences}: {'passed' if d.passed else 'FAILED'}")
    if not d.passed:
        print("DIAGNOSTICS FAILED: " + "; ".join(d.problems) + ". Nothing written.", file=sys.stderr)
        sys.exit(1)
    return cal


def save_update(cal: Calibration, tables, old, added_files: list[Path], new_ids: list[str], path: Path,
                force: bool) -> Path:
    """The updated calibration file, with the provenance `inference-energy update` records."""
    extra = {"added_files": json.dumps([str(p.resolve()) for p in added_files]),
             "update_of": old.attrs.get("run_id", old.attrs.get("created_at", "")),
             "update_of_data_sha256": old.attrs["data_sha256"], "rows_added": json.dumps(new_ids)}
    return store.save(calibration_tree(cal, tables.sha256, extra), path, force=force)


def noise_units(r: dict) -> float:
    """|ln shift| in Monte Carlo standard errors: above ~2-3 it is the data speaking."""
    return abs(math.log(r["shift"])) / r["shift_mcse_log"] if r["shift_mcse_log"] else math.inf


COLUMNS = (  # header, width, cell
    ("quantity", -18, lambda r: r["quantity"]),
    ("scenario (model|regime)", -42, lambda r: f"{r['model']}|{r['regime']}" if r["model"] else ""),
    ("scope", -8, lambda r: r["scope"]),
    ("unit", -16, lambda r: r["unit"]),
    ("old P50", 9, lambda r: f"{r['old_p50']:.4g}"),
    ("new P50", 9, lambda r: f"{r['new_p50']:.4g}"),
    ("shift x", 8, lambda r: f"{r['shift']:.4f}"),
    ("shift/MCSE", 10, lambda r: f"{noise_units(r):.1f}"),
    ("90% width x", 11, lambda r: f"{r['width_change']:.3f}"),
    ("rows that moved it (shift of mean ln)", -1, lambda r: r["responsible_rows"]),
)


def row(cells) -> str:
    return " ".join(f"{c:<{-w}}" if w < 0 else f"{c:>{w}}" for c, (_, w, _) in zip(cells, COLUMNS)).rstrip()


def print_comparison(result: Comparison) -> None:
    parameters = [r for r in result.records if r["quantity"] != "energy_per_query"]
    energy = sorted((r for r in result.records if r["quantity"] == "energy_per_query"), key=noise_units, reverse=True)
    print(f"\nWhat moved: posterior medians, new / old (rows added: {', '.join(result.added_rows)})")
    header = row(h for h, _, _ in COLUMNS)
    print(header + "\n" + "-" * len(header))
    for r in parameters + energy[:TOP_ENERGY]:
        print(row(cell(r) for _, _, cell in COLUMNS))
    beyond = sum(noise_units(r) > 3 for r in energy)
    print("shift/MCSE: |ln shift| in Monte Carlo standard errors; with no new data it is about |N(0, 1)|, so only "
          "well above 2-3 is it the data speaking.\n"
          f"Energy per query (median query): {beyond} of {len(energy)} scenario x scope quantities moved by more "
          f"than 3 MCSE; the {TOP_ENERGY} that moved most are listed.")
    if result.conflicts:
        print("Rows the new posterior cannot reconcile (|z| > 3 outside the 90 % interval, or Pareto k > 0.7):")
        for c in result.conflicts:
            print(f"  {c['row']}: z {c['z_posterior']:+.2f}, k-hat {c['khat']:.2f}, source {c['source']}")
    else:
        print("No added row is in conflict with the rest (outside its 90 % interval with |z| > 3, "
              "or leave-row-out Pareto k > 0.7).")


def main() -> None:
    args = parse_args()
    old_path = require_posterior(args.workdir)
    try:  # fail before two minutes of sampling
        new_path = store.check_writable(args.workdir / "posterior-updated.nc", args.force)
    except store.ResultFileError as exc:
        sys.exit(f"error: {exc}")
    old = store.load(old_path)
    if old.attrs.get("kind") != "calibration":
        sys.exit(f"error: {old_path} is not a calibration file")

    tables = tables_for_update(old, args.add_data)
    new_rows = tables.observations[args.add_data.name].rows
    for row in new_rows:
        print(f"new row {row['id']}: {row['quantity']} = {row['value']} {row['unit']} ({row['statistic']}, "
              f"{row['scope']}, {row['operator'] or row['model'] or ''}), sd of ln {row['uncertainty']}; {row['source']}")
    start = time.perf_counter()
    cal = recalibrate(old, tables)
    earlier = [Path(p) for p in json.loads(old.attrs.get("added_files", "[]"))]
    new_ids = [row["id"] for row in new_rows]
    save_update(cal, tables, old, earlier + [args.add_data], new_ids, new_path, args.force)
    print(f"wrote {new_path} in {time.perf_counter() - start:.0f} s")

    new = store.load(new_path)
    print_comparison(compare(old, new))
    old.close()
    new.close()


if __name__ == "__main__":
    main()
