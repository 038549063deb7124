"""Usage accounting at scale: `account --usage LOG.parquet` on 10 million request records.

    python3 benchmarks/bench_account.py --records 10000000 [--posterior runs/posterior.nc] [--csv]

Writes a synthetic log in batches (8 models as logs spell them, 12 cloud regions, a year of
timestamps, chat-like lognormal lengths, 1 % aggregated records), runs the CLI in a subprocess
grouped by model, month and region, and reports wall time, records per second and the peak
resident memory of that subprocess (ru_maxrss of the child).  Why: a year of an organisation's
API traffic is tens of millions of requests; the issue's limit is 2 GB at 10 million.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini", "gpt-4.1", "o4-mini", "claude-sonnet-4", "gemini-2.5-flash",
          "meta-llama/Llama-3.1-70B-Instruct", "Llama-3.1-8B"]
REGIONS = ["eastus", "westeurope", "swedencentral", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
           "us-central1", "europe-west4", "asia-northeast1", "", ""]


def write_log(path: Path, n: int, csv: bool, batch: int = 1_000_000, seed: int = 0) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    start = np.datetime64("2025-01-01T00:00:00")
    for first in range(0, n, batch):
        m = min(batch, n - first)
        requests = np.where(rng.random(m) < 0.01, rng.integers(2, 500, m), 1)
        df = pd.DataFrame({
            "timestamp": (start + rng.integers(0, 365 * 86400, m).astype("timedelta64[s]")).astype("datetime64[s]"),
            "model": np.array(MODELS)[rng.integers(0, len(MODELS), m)],
            "input_tokens": requests * np.round(np.exp(rng.normal(6.9, 1.1, m))).astype(np.int64),
            "output_tokens": requests * np.round(np.exp(rng.normal(5.3, 0.9, m)) + 1).astype(np.int64),
            "requests": requests,
            "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), m)]})
        if csv:
            df.assign(timestamp=df["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(
                path, mode="a", header=first == 0, index=False)
            continue
        table = pa.Table.from_pandas(df, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--posterior", default=None, help="default: the shipped reference posterior")
    ap.add_argument("--csv", action="store_true", help="a CSV log instead of Parquet")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        log, out = tmp / ("log.csv" if args.csv else "log.parquet"), tmp / "account.nc"
        t0 = time.perf_counter()
        write_log(log, args.records, args.csv)
        written = time.perf_counter() - t0
        cmd = [sys.executable, "-m", "inference_energy.cli", "account", "--usage", str(log), "--by", "model,month,region",
               "--output", str(out), "--format", "json"]
        if args.posterior:
            cmd += ["--posterior", args.posterior]
        start = time.perf_counter()
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        import xarray as xr

        tree = xr.open_datatree(out)
        total = json.loads(proc.stdout)["results"][-1]
        print(json.dumps({
            "records": args.records, "format": log.suffix[1:], "log_mb": round(log.stat().st_size / 1e6, 1),
            "log_write_s": round(written, 1), "account_wall_s": round(wall, 1),
            "records_per_s": round(args.records / wall), "peak_rss_mb": round(peak_mb),
            "groups": tree["totals"].sizes["group"], "cells": int(tree.attrs["cells"]),
            "length_cells": int(tree.attrs["length_cells"]),
            "draws": tree["totals"].sizes["chain"] * tree["totals"].sizes["draw"],
            "facility_kwh_p5_p50_p95": [round(total[k]) for k in ("energy_p5", "energy_p50", "energy_p95")],
        }, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
