"""Out of sample: leave-one-accelerator-out and leave-one-model-out refits of the serving law.

    python benchmarks/bench_out_of_sample.py [--draws 300 --tune 300 --chains 2] [--output out.json]

Each fold drops every throughput, inter-token-latency and GPU-power row of one accelerator or
one model, refits the calibrated model on the rest (nutpie), and predicts the dropped rows from
the refit's posterior with the same laws (``model/predict.py``):

- throughput: the share of rows inside their 90 % posterior predictive interval (the law's mean
  plus the fitted Student-t noise of the row's source kind) and the median over rows of
  predicted median / observed;
- energy per output token (ML.ENERGY rows: GPU power / throughput, observed; the law's
  decode power fraction x TDP / throughput, predicted): the median ratio and the share of rows
  within 1.5x.  A left-out model enters the refit only through its catalog architecture and
  parameter counts (its own efficiency and power effects are draws from the fitted spread), so
  this is the "unknown model given by its architecture" case.

H100 is not left out: it is the power law's reference accelerator.  A left-out accelerator's
efficiency effects are prior draws in the refit (no data), as for any accelerator without data.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np

ACCELERATORS = ("H200", "GB200", "B200")
MODELS = ("Llama-3.3-70B", "Qwen3-32B", "gpt-oss-120b", "DeepSeek-R1")


def subset(g, keep: np.ndarray):
    from inference_energy.model.observations import Group

    idx = np.flatnonzero(keep)
    return Group(ids=[g.ids[i] for i in idx], columns={k: [v[i] for i in idx] for k, v in g.columns.items()})


def fold(md, column: str, value_index: int):
    """(training ModelData, held-out throughput group, held-out power group)."""
    out = {}
    for name in ("throughput", "itl", "power"):
        g = getattr(md, name)
        held = g.array(column, int) == value_index
        out[name] = (subset(g, ~held), subset(g, held))
    train = dataclasses.replace(md, throughput=out["throughput"][0], itl=out["itl"][0], power=out["power"][0])
    return train, out["throughput"][1], out["power"][1]


def refit(md, a):
    import pymc as pm

    from inference_energy.model.pymc_model import build_model

    with build_model(md):
        idata = pm.sample(draws=a.draws, tune=a.tune, chains=a.chains, nuts_sampler="nutpie", random_seed=a.seed,
                          cores=min(a.chains, os.cpu_count() or 1),
                          target_accept=0.9, progressbar=False)
    return idata


def score(idata, md_train, held, held_power, rng) -> dict:
    from inference_energy.model.predict import flat_draws, predict_rows
    from dataclasses import replace

    from inference_energy.model.pymc_model import _noise_index, _same_point, noise_kinds

    draws = flat_draws(idata.posterior)
    pred = predict_rows(draws, md_train, held)
    # the noise kind of each held-out row, as the model assigns it (production shares steady state's)
    kind = _noise_index(replace(md_train, throughput=held), noise_kinds(md_train))
    scale = np.sqrt(draws["throughput_noise"][:, kind] ** 2 + held.array("sd") ** 2)
    y = held.array("y")
    sim = pred["log_throughput"] + scale * rng.standard_t(4.0, size=scale.shape)
    lo, hi = np.percentile(sim, [5, 95], axis=0)
    ratio = np.exp(np.median(pred["log_throughput"], axis=0) - y)
    out = {"rows": len(held), "coverage_90": float(np.mean((y >= lo) & (y <= hi))),
           "median_ratio": float(np.median(ratio)) if len(held) else None}
    rows = _same_point(held, held_power) if len(held_power) else None
    if rows is not None:
        cat = md_train.catalogs
        tdp = np.exp(cat.log_tdp[held_power.array("hardware", int)])
        f_obs = 1 / (1 + np.exp(-held_power.array("y")))
        observed = f_obs * tdp / np.exp(y[rows])  # J per output token per GPU
        predicted = pred["power_fraction"][:, rows] * tdp / np.exp(pred["log_throughput"][:, rows])
        r = np.median(predicted, axis=0) / observed
        out |= {"energy_rows": len(r), "energy_median_ratio": float(np.median(r)),
                "energy_within_1_5x": float(np.mean((r > 1 / 1.5) & (r < 1.5)))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--accelerators", nargs="*", default=list(ACCELERATORS))
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--output", default=None, help="also write the results as JSON")
    a = parser.parse_args()

    from inference_energy.data import load
    from inference_energy.model.observations import prepare

    md = prepare(load())
    cat = md.catalogs
    rng = np.random.default_rng(a.seed)
    results = []
    folds = [("hardware", h, cat.hardware.index(h)) for h in a.accelerators] + \
            [("model", m, cat.models.index(m)) for m in a.models]
    for column, name, index in folds:
        start = time.perf_counter()
        train, held, held_power = fold(md, column, index)
        idata = refit(train, a)
        res = {"left_out": f"{column}={name}", **score(idata, train, held, held_power, rng),
               "divergences": int(idata.sample_stats["diverging"].sum()), "seconds": round(time.perf_counter() - start, 1)}
        results.append(res)
        print(json.dumps(res), flush=True)
    print("\n| left out | throughput rows | inside 90 % | median predicted / observed | energy/token rows | "
          "median ratio | within 1.5x |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        e = (f"{r['energy_rows']} | {r['energy_median_ratio']:.2f} | {100 * r['energy_within_1_5x']:.0f} %"
             if "energy_rows" in r else "- | - | -")
        print(f"| {r['left_out']} | {r['rows']} | {100 * r['coverage_90']:.0f} % | {r['median_ratio']:.2f} | {e} |")
    rows = sum(r["rows"] for r in results)
    inside = sum(r["rows"] * r["coverage_90"] for r in results)
    print(f"\noverall: {rows} held-out throughput rows, {100 * inside / rows:.0f} % inside their 90 % interval; "
          f"{a.chains} chains x {a.draws} draws (+{a.tune} tune) per refit, seed {a.seed}")
    if a.output:
        with open(a.output, "w") as fh:
            json.dump({"config": vars(a), "folds": results}, fh, indent=1)


if __name__ == "__main__":
    main()
