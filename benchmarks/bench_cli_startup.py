"""How long `inference-energy --help` and `inference-energy COMMAND --help` take, over an empty Python start.

    python3 benchmarks/bench_cli_startup.py [--repeat 15]

Each command runs as a fresh subprocess (the installed console script, as a user
types it); the figure is the median wall time over --repeat runs, minus the
median of `python3 -c pass` measured in the same interleaved loop, so machine
load affects both alike.  Target (issue 5): under 0.6 s over an empty start.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = ["", "simulate", "pathways", "fleet", "calibrate", "update", "compare", "estimate", "sensitivity",
            "export", "figures", "report", "data build"]
TARGET_S = 0.6


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("inference-energy")
    if exe is None:
        sys.exit("inference-energy is not installed: python3 -m pip install -e .")
    empty, runs = [], {c: [] for c in COMMANDS}
    for _ in range(args.repeat):
        empty.append(wall([sys.executable, "-c", "pass"]))
        for c in COMMANDS:
            runs[c].append(wall([exe, *c.split(), "--help"]))
    base = statistics.median(empty)
    print(f"python {sys.version.split()[0]}; {args.repeat} runs each; empty start (python -c pass): {base:.3f} s")
    print(f"{'command':<34}{'median [s]':>12}{'over empty [s]':>16}{'target':>10}")
    worst = 0.0
    for c in COMMANDS:
        med = statistics.median(runs[c])
        worst = max(worst, med - base)
        print(f"{('inference-energy ' + c).strip() + ' --help':<34}{med:>12.3f}{med - base:>16.3f}"
              f"{'met' if med - base < TARGET_S else 'NOT met':>10}")
    print(f"worst over empty start: {worst:.3f} s (target < {TARGET_S} s: {'met' if worst < TARGET_S else 'NOT met'})")


if __name__ == "__main__":
    main()
