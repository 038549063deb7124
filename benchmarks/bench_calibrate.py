"""Wall time of ``inference-energy calibrate`` and sampling efficiency of nutpie vs PyMC's NUTS.

1. The whole CLI (``calibrate --output X.nc --force --format json``; its defaults, 1200 draws +
   800 tune x 4 chains) as a subprocess: wall and CPU seconds and the JSON's ``seconds`` (the ``sample()``
   stage: prior predictive, nutpie compile + NUTS, posterior predictive, log-likelihood).
   PyTensor's default linker here is numba and it caches compiled code on disk under
   ``base_compiledir/numba`` (``~/.pytensor``), so a fresh process is not cold once any model was
   compiled.  Hence three runs: *cold* with an empty ``PYTENSOR_FLAGS=base_compiledir=<temp>``,
   *warm* right after with the same dir, and one with the user's cache as found.  (nutpie's numba
   ``cfunc`` wrappers are never cached; bytecode and the OS page cache are warm in all three.)
2. Sampling efficiency on ``build_model(prepare(load()))``, each sampler in a fresh process on the
   warmed cache dir: nutpie with low-rank and with diagonal mass-matrix adaptation, and PyMC's NUTS
   (cores=2), all at target_accept 0.95 with the same chains: ``pm.sample`` seconds (compile +
   sample), sampling seconds (tune + draws, ``posterior.attrs["sampling_time"]``), divergences,
   leapfrog steps, min bulk ESS over every element of every posterior variable (``arviz.ess``)
   and that ESS per second of sampling.  PyMC's NUTS is slow here, so it gets fewer draws
   (``--pymc-draws/--pymc-tune``) at the same tune:draws ratio; ESS/s stays comparable.

Why: the CLI time is what a user waits for; the split shows whether compiling, sampling or the
rest dominates, and ESS/s says whether the nutpie + low-rank default is worth it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLERS = ("nutpie-low_rank", "nutpie-diag", "pymc")


def run_sampler(name: str, a) -> dict:
    import arviz as az
    import numpy as np
    import pymc as pm

    from inference_energy.data import load
    from inference_energy.model.pymc_model import build_model
    from inference_energy.model.observations import prepare

    model = build_model(prepare(load()))
    kw = dict(chains=a.chains, random_seed=a.seed, progressbar=False, compute_convergence_checks=False,
              discard_tuned_samples=False)  # keep warmup stats to count every leapfrog step
    if name == "pymc":
        kw.update(draws=a.pymc_draws, tune=a.pymc_tune, nuts_sampler="pymc", cores=2, nuts={"target_accept": 0.95})
    else:
        kw.update(draws=a.draws, tune=a.tune, nuts_sampler="nutpie",
                  nuts={"target_accept": 0.95, "adaptation": name.split("-", 1)[1]})
    start = time.perf_counter()
    with model:
        tree = pm.sample(**kw)
    wall = time.perf_counter() - start
    post = tree["posterior"].to_dataset()
    ess = az.ess(post, method="bulk")
    min_ess = min(float(np.nanmin(v.values)) for v in ess.data_vars.values() if np.isfinite(v.values).any())
    stats, warm = tree["sample_stats"].to_dataset(), tree["warmup_sample_stats"].to_dataset()
    steps = int(stats["n_steps"].sum() + warm["n_steps"].sum())  # tune + draws, all chains
    return {"wall": wall, "sampling": float(post.attrs["sampling_time"]), "div": int(stats["diverging"].sum()),
            "steps": steps, "ess": min_ess, "draws": post.sizes["draw"], "tune": warm.sizes["draw"]}


def cache_state(base: Path) -> str:
    files = list((base / "numba").glob("*")) if (base / "numba").is_dir() else []
    return f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB"


def run_cli(env: dict, out: Path) -> dict:
    cmd = ["inference-energy", "calibrate", "--output", str(out), "--force", "--format", "json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        diag = json.loads(proc.stdout)["diagnostics"]
    except (json.JSONDecodeError, KeyError):
        sys.exit(f"CLI failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"wall": wall, "cpu": cpu, "rc": proc.returncode, **diag}


def with_cache(base: Path) -> dict:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = ",".join(filter(None, [env.get("PYTENSOR_FLAGS"), f"base_compiledir={base}"]))
    return env


def table(header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for r in rows:
        print("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w) for i, (x, w) in enumerate(zip(r, widths))))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--draws", type=int, default=1000, help="nutpie draws per chain (section 2)")
    p.add_argument("--tune", type=int, default=1000, help="nutpie tuning steps per chain (section 2)")
    p.add_argument("--pymc-draws", type=int, default=300, help="PyMC NUTS draws per chain")
    p.add_argument("--pymc-tune", type=int, default=300, help="PyMC NUTS tuning steps per chain")
    p.add_argument("--chains", type=int, default=2, help="chains for every sampler in section 2")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--skip-cli", action="store_true", help="only section 2")
    p.add_argument("--skip-samplers", action="store_true", help="only section 1")
    p.add_argument("--only", choices=SAMPLERS, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.only:
        print("RESULT " + json.dumps(run_sampler(a.only, a)))
        return
    import nutpie, numba, pymc, pytensor  # noqa: E401  (versions only)
    from pytensor.compile.mode import get_default_mode

    tmp = Path(tempfile.mkdtemp(prefix="bench_calibrate_"))
    cold, home = tmp / "pytensor", Path(pytensor.config.base_compiledir)
    load0 = os.getloadavg()
    print(f"date      {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"python    {platform.python_version()}; pymc {pymc.__version__}, pytensor {pytensor.__version__}, "
          f"nutpie {nutpie.__version__}, numba {numba.__version__}; linker {type(get_default_mode().linker).__name__}")
    print(f"cpus      {os.cpu_count()}; load average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} (1/5/15 min)")
    print(f"cache     default {home}/numba: {cache_state(home)} before the runs (so a fresh process there is NOT cold)")
    print(f"          cold runs use an empty {cold}\n")
    if not a.skip_cli:
        rows = []
        for label, base in (("cold (empty cache dir)", cold), ("warm (same dir, 2nd run)", cold),
                            (f"default cache ({home})", home)):
            r = run_cli(with_cache(base), tmp / "cal.nc")
            rows.append([label, f"{r['wall']:.1f}", f"{r['cpu']:.1f}", f"{r['seconds']:.1f}", f"{r['wall'] - r['seconds']:.1f}",
                         r["divergences"], r["min_ess_bulk"], f"{r['max_rhat']:.3f}", "yes" if r["passed"] else "NO"])
        print("1. inference-energy calibrate --output X.nc --force --format json (the CLI's defaults: "
              "1200 draws + 800 tune x 4 chains)")
        table(["run", "wall [s]", "CPU [s]", "sample() [s]", "rest [s]", "divergences", "min bulk ESS", "max r_hat",
               "passed"], rows)
        print(f"   after: {cold}/numba {cache_state(cold)}; rest = wall - sample() (start-up, imports, checks, "
              "push-forward, write)\n")
    if a.skip_samplers:
        return
    rows = []
    for name in SAMPLERS:
        proc = subprocess.run([sys.executable, __file__, "--only", name, *sys.argv[1:]], env=with_cache(cold),
                              capture_output=True, text=True)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
        r = json.loads(line[7:])
        rows.append([name + (" (fewer draws)" if name == "pymc" else ""), f"{a.chains} x ({r['tune']}+{r['draws']})",
                     f"{r['wall']:.1f}", f"{r['sampling']:.1f}", r["div"], f"{r['steps']:,}",
                     f"{r['steps'] / r['sampling']:,.0f}",
                     f"{r['ess']:.0f}", f"{r['ess'] / r['sampling']:.2f}"])
    cache = "empty cache dir: the first row compiles cold" if a.skip_cli else "warm cache"
    print(f"2. sampling efficiency, target_accept 0.95, {a.chains} chains, {cache}, each in a fresh process")
    table(["sampler", "chains x (tune+draws)", "compile+sample [s]", "sampling [s]", "divergences",
           "leapfrog steps", "steps/s [1/s]", "min bulk ESS", "ESS/s [1/s]"], rows)
    print("   sampling and leapfrog steps cover tune + draws of all chains; divergences and ESS the draws only;\n   "
          f"PyMC gets {a.pymc_tune}+{a.pymc_draws} per chain (slow), nutpie {a.tune}+{a.draws}")
    load1 = os.getloadavg()
    print(f"\nload average at end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} (1/5/15 min)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
