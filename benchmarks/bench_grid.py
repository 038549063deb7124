"""Scenario-grid throughput and peak memory: `estimate --scenarios FILE --output OUT.zarr`.

    python3 benchmarks/bench_grid.py --posterior runs/posterior.nc --scenarios 100000

Builds a grid of N scenarios (catalog models x hardware x regimes x concurrency x
serving, repeated with varied token counts until N rows), runs the CLI in a
subprocess and reports wall time, scenarios x draws per second and the peak
resident memory of that subprocess (ru_maxrss of the child), then checks that
the Zarr output opens in plain xarray.  Why: a grid over the full posterior
must stay in bounded memory (the issue's limit: 2 GB at 100,000 scenarios).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_grid(path: Path, n: int) -> None:
    models = ["Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B", "DeepSeek-R1", "gpt-oss-120b", "Mixtral-8x22B"]
    combos = itertools.cycle(itertools.product(models, ["H100", "H200", "B200", "A100"], ["traditional", "long", "code"],
                                               ["8", "32", "64", "128"], ["production", "steady_state"]))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["model", "hardware", "regime", "concurrency", "serving"])
        for _, row in zip(range(n), combos):
            w.writerow(row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posterior", default="runs/posterior.nc")
    ap.add_argument("--scenarios", type=int, default=100_000)
    ap.add_argument("--block", type=int, default=500)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        grid, out = tmp / "grid.csv", tmp / "grid.zarr"
        write_grid(grid, args.scenarios)
        cmd = [sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", args.posterior,
               "--scenarios", str(grid), "--output", str(out), "--block", str(args.block)]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        import xarray as xr

        tree = xr.open_datatree(out, engine="zarr")
        draws = len(tree["grid"]["scenario"]) and xr.open_datatree(args.posterior)["posterior"].sizes
        n_draws = draws["chain"] * draws["draw"]
        size_mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
        print(f"machine: {os.cpu_count()} cpus; load average {os.getloadavg()[0]:.2f}")
        print(f"{'scenarios':>10} {'draws':>6} {'block':>6} {'wall [s]':>9} {'scenario-draws/s':>17} "
              f"{'peak RSS [MB]':>14} {'zarr [MB]':>10}")
        print(f"{args.scenarios:>10,} {n_draws:>6} {args.block:>6} {wall:>9.1f} {args.scenarios * n_draws / wall:>17,.0f} "
              f"{peak_mb:>14,.0f} {size_mb:>10.1f}")
        print("opens in plain xarray:", tree["grid"]["typical_query_energy"].attrs["units"], dict(tree["grid"].sizes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
