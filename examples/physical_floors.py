"""The estimate beside a hand count of FLOPs and bytes: no posterior draw beats the hardware.

    python examples/calibrate_and_estimate.py          # first: writes runs/examples/posterior.nc
    python examples/physical_floors.py [--workdir runs/examples]

For each case the table gives the prefill FLOPs and the energy they need at the
accelerator's dense peak drawing its full TDP (the FLOP floor), beside the
posterior's prefill GPU energy; and the bytes of one decode step at the
operating batch over full HBM bandwidth (the bandwidth floor), beside the
posterior's step time.  The last columns count draws below either floor (0 by
construction: the efficiencies lie in (0, 1)).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

CASES = [  # (label, scenario keywords)
    ("Llama-3.1-70B 100k fresh context, H100", dict(model="Llama-3.1-70B", input_tokens=100_000, output_tokens=500,
                                                    serving="steady_state")),
    ("Llama-3.1-405B 128/128, H100 vendor max", dict(model="Llama-3.1-405B", input_tokens=128, output_tokens=128,
                                                     serving="vendor_max_benchmark")),
    ("Llama-3.1-405B 2048/128, H100 vendor max", dict(model="Llama-3.1-405B", input_tokens=2048, output_tokens=128,
                                                      serving="vendor_max_benchmark")),
    ("Llama-3.1-70B batch-1 decode, 8xH100", dict(model="Llama-3.1-70B", input_tokens=100, output_tokens=100,
                                                  serving="steady_state", concurrency=1 / 8)),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs/examples"))
    args = parser.parse_args()
    path = args.workdir / "posterior.nc"
    if not path.exists():
        print(f"{path} is missing: run examples/calibrate_and_estimate.py first", file=sys.stderr)
        return 2
    from inference_energy import read_calibration
    from inference_energy.model import laws
    from inference_energy.posterior.notes import hand_count
    from inference_energy.posterior.pushforward import Scenario, scenario_draws

    post, cat, traces = read_calibration(path)
    print(f"{'case':42} {'prefill FLOP':>12} {'floor Wh':>9} {'prefill GPU Wh P50 [P5-P95]':>29} "
          f"{'step floor ms':>13} {'step ms P50':>11} {'below':>5}")
    for label, kw in CASES:
        sc = Scenario(hardware="H100", regime=None, **kw)
        d = scenario_draws(post, cat, sc, 0, traces)
        lin, lout = math.log(kw["input_tokens"]), math.log(kw["output_tokens"])
        k = np.arange(d.size)
        prefill = d.phase_energy(k, lin, lout)["prefill"]
        op, times = d.point(k, lin, lout)
        h = hand_count(d, kw["input_tokens"], kw["output_tokens"])
        step_floor = laws.decode_step_bytes(np, d.arch, d.batch, op["input"] + op["output"] / 2, d.weight_bytes,
                                            d.kv_bytes) / (d.n_gpus * d.hw["bandwidth"])
        below = int(np.sum(prefill < h["prefill_floor_wh"] * (1 - 1e-9)) + np.sum(times["t_step"] < step_floor * (1 - 1e-9)))
        p5, p50, p95 = np.percentile(prefill, [5, 50, 95])
        print(f"{label:42} {h['prefill_flops']:12.3g} {h['prefill_floor_wh']:9.3g} "
              f"{f'{p50:.3g} [{p5:.3g}-{p95:.3g}]':>29} {1e3 * np.median(step_floor):13.3g} "
              f"{1e3 * np.median(times['t_step']):11.3g} {below:5d}")
    print("Wh of GPU energy per query; floors: weight FLOPs at the weights' dense peak (fp8: 1,979 TFLOP/s), attention "
          "FLOPs at the KV cache's (bf16: 989), at 700 W; "
          "bytes over 3.35 TB/s per GPU. 'below' counts draws under either floor.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
