"""Throughput and peak memory of the paper's Monte Carlo, four ways, on one machine in one run.

What is measured: energy draws per second (draws x models x regimes; paper-v2 has
5 models and 2 regimes) and peak resident memory of

  loop           a per-draw Python loop in the style of the authors' scripts (numpy's
                 legacy global generator, one scalar call per variate, ``math`` for the
                 law), run on --loop-draws only and scaled;
  fused floor    one fused numpy expression over all (regime, model, draw) at once, no
                 summaries: the practical single-threaded floor of any numpy version;
  library        ``inference_energy.paper.simulate`` in-process (summaries and blend
                 trims included), workers=1 and workers=default (one per core);
  CLI            ``inference-energy simulate --draws N --format json`` as a subprocess,
                 wall clock: interpreter start-up, imports, summaries and JSON included.

Why: the fused expression says how fast the method can go in numpy, the loop says how
slow a direct transcription is, and the CLI is what a user actually waits for.  All
variants use the same throughput law (``fit_throughput(load(), preset)``); the
"check" column (median Wh, traditional regime, first model) shows they agree.

Each variant runs in a fresh subprocess (this script re-invoked with ``--only NAME``)
so peak RSS (``ru_maxrss``) does not mix; in-process timings exclude imports and data
loading, the CLI's do not.  Times are medians over --repeat runs (the loop runs once);
user and sys are the CPU seconds of that process (all threads), so sys shows how much of
the wall time the kernel spends faulting in the large arrays.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

from inference_energy.data import load
from inference_energy.paper import fit_throughput, simulate
from inference_energy.paper.presets import REGIMES, get_preset
from inference_energy.stats import lognormal_from_p5_p95

PRESET = "paper-v2"
VARIANTS = ("loop", "fused", "library-1", "library-default", "cli")
LABELS = {"loop": "loop (per-draw Python)", "fused": "fused floor (numpy, 1 thread)",
          "library-1": "library, workers=1", "library-default": f"library, workers=default ({os.cpu_count()})",
          "cli": "CLI subprocess (json)"}


def setup():
    preset = get_preset(PRESET)
    data = load()
    return preset, data, fit_throughput(data, preset)


def loop(preset, fits, n, seed=42):
    """The authors' structure: for each regime, for each model, for each draw."""
    mu_pu, s_pu = lognormal_from_p5_p95(*preset.power_utilization_p5_p95)
    mu_pue, s_pue = lognormal_from_p5_p95(*preset.pue_p5_p95)
    check = None
    for regime in REGIMES:
        np.random.seed(seed)
        scale = preset.output_tokens_median[regime] / math.log(2)
        for m, model in enumerate(fits.models):
            p_max = preset.node_power(model)
            energies = []
            for _ in range(n):
                tokens = round(np.random.exponential(scale))
                pu = np.random.lognormal(mu_pu, s_pu)
                pue = np.random.lognormal(mu_pue, s_pue)
                if tokens == 0:  # the formula's limit, as the library's default
                    energies.append(0.0)
                    continue
                tps = math.exp(fits.intercept[m] + fits.input_slope[m] * math.log(preset.input_tokens)
                               + fits.output_slope[m] * math.log(tokens))
                tps = min(tps, fits.cap[m])
                energies.append(pue * p_max * pu * tokens / (3.6 * tps))
            e = np.array(energies)
            summary = np.percentile(e, [5, 25, 50, 75, 95]), e.mean()
            if check is None:
                check = summary[0][2]
    return check


def fused(preset, fits, n, seed=42):
    """All (regime, model, draw) at once in one expression; zero-token draws give 0 Wh."""
    g = np.random.default_rng(seed)
    shape = (len(REGIMES), len(fits.models), n)
    (mu_pu, s_pu), (mu_pue, s_pue) = (lognormal_from_p5_p95(*preset.power_utilization_p5_p95),
                                      lognormal_from_p5_p95(*preset.pue_p5_p95))
    scale = np.array([preset.output_tokens_median[r] for r in REGIMES])[:, None, None] / math.log(2)
    col = lambda a: np.asarray(a, dtype=float)[None, :, None]  # noqa: E731 - per-model constant
    p_max = col([preset.node_power(m) for m in fits.models])
    log_tps0 = col(fits.intercept + fits.input_slope * math.log(preset.input_tokens))
    tokens = np.round(g.standard_exponential(shape) * scale)
    energy = (np.exp(g.standard_normal(shape) * s_pu + mu_pu) * np.exp(g.standard_normal(shape) * s_pue + mu_pue)
              * tokens * (p_max / 3.6)
              / np.minimum(np.exp(log_tps0 + col(fits.output_slope) * np.log(np.maximum(tokens, 1))), col(fits.cap)))
    return float(np.median(energy[0, 0]))


def cli_command(n):
    exe = shutil.which("inference-energy")
    base = [exe] if exe else [sys.executable, "-m", "inference_energy.cli"]
    return base + ["simulate", "--preset", PRESET, "--draws", str(n), "--format", "json"]


def run_only(name, args):
    """One variant in this (fresh) process: print {"seconds": [...], "user": [...], "sys": [...], "check", "maxrss_kib"}."""
    preset, data, fits = setup()
    who = resource.RUSAGE_CHILDREN if name == "cli" else resource.RUSAGE_SELF
    seconds, user, system, check = [], [], [], None
    for _ in range(1 if name == "loop" else args.repeat):
        r0, t0 = resource.getrusage(who), time.perf_counter()
        if name == "loop":
            check = loop(preset, fits, args.loop_draws)
        elif name == "fused":
            check = fused(preset, fits, args.draws)
        elif name.startswith("library"):
            sim = simulate(preset, data, draws=args.draws, seed=42, workers=1 if name == "library-1" else None)
            check = float(sim.summary[0, 0, 2])
            del sim
        else:  # cli: ru_maxrss of RUSAGE_CHILDREN is then the largest CLI run
            out = subprocess.run(cli_command(args.draws), capture_output=True, text=True, check=True).stdout
            rec = next(r for r in json.loads(out)["results"] if r["model"] == fits.models[0] and r["regime"] == REGIMES[0])
            check = rec["p50"]
        seconds.append(time.perf_counter() - t0)
        r1 = resource.getrusage(who)
        user.append(r1.ru_utime - r0.ru_utime)
        system.append(r1.ru_stime - r0.ru_stime)
    print(json.dumps({"seconds": seconds, "user": user, "sys": system, "check": check,
                      "maxrss_kib": resource.getrusage(who).ru_maxrss}))


def machine_facts():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    return [f"date      {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"python    {platform.python_version()} ({sys.executable})",
            f"numpy     {np.__version__}",
            f"cpus      {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}); {cpu}",
            f"platform  {platform.platform()}"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=3_000_000, help="draws per model and regime (default 3,000,000)")
    ap.add_argument("--loop-draws", type=int, default=20_000, help="draws per model and regime for the loop")
    ap.add_argument("--repeat", type=int, default=3, help="runs per variant; the median is reported")
    ap.add_argument("--only", choices=VARIANTS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        return run_only(args.only, args)

    cells = len(REGIMES) * len(setup()[2].models)
    print("\n".join(machine_facts()))
    print(f"preset {PRESET}: {cells} (regime, model) rows; --draws {args.draws:,} --loop-draws {args.loop_draws:,} "
          f"--repeat {args.repeat}; CLI = {' '.join(cli_command(args.draws))}\n")
    rows = {}
    for name in VARIANTS:
        out = subprocess.run([sys.executable, __file__, "--only", name, "--draws", str(args.draws),
                              "--loop-draws", str(args.loop_draws), "--repeat", str(args.repeat)],
                             capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        n = (args.loop_draws if name == "loop" else args.draws) * cells
        med = statistics.median(res["seconds"])
        rows[name] = dict(n=n, runs=len(res["seconds"]), sec=med, rate=n / med,
                          user=statistics.median(res["user"]), sys=statistics.median(res["sys"]),
                          mb=res["maxrss_kib"] * 1024 / 1e6, check=res["check"])

    head = f"{'variant':<32}{'energy draws':>14}{'runs':>6}{'wall [s]':>10}{'user [s]':>10}{'sys [s]':>9}" \
           f"{'throughput [draws/s]':>22}{'vs floor':>10}{'peak RSS [MB]':>15}{'check [Wh]':>12}"
    print(head + "\n" + "-" * len(head))
    floor = rows["fused"]["rate"]
    for name, r in rows.items():
        print(f"{LABELS[name]:<32}{r['n']:>14,}{r['runs']:>6}{r['sec']:>10.3f}{r['user']:>10.2f}{r['sys']:>9.2f}{r['rate']:>22,.0f}"
              f"{r['rate'] / floor:>9.2f}x{r['mb']:>15,.0f}{r['check']:>12.4f}")
    cli_floor, cli_loop = rows["cli"]["rate"] / floor, rows["cli"]["rate"] / rows["loop"]["rate"]
    print(f"\nCLI / fused floor throughput: {cli_floor:.2f}  (target >= 0.30: {'met' if cli_floor >= 0.30 else 'NOT met'})")
    print(f"CLI / loop throughput:        {cli_loop:,.0f}x (target >= 100x: {'met' if cli_loop >= 100 else 'NOT met'})")


if __name__ == "__main__":
    main()
