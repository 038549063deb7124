"""Sample the calibrated model, gate on diagnostics, check it against its data.

``calibrate`` returns a :class:`Calibration`: the ArviZ-style DataTree (prior,
posterior, sample_stats, observed_data, prior_predictive,
posterior_predictive, log_likelihood), the diagnostics, the per-row checks
and the per-source conflict table.  ``pushforward`` adds the energy groups and
``io.save`` writes it.  Nothing here prints: the CLI reports.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import xarray as xr

from ..data import CalibrationData
from .observations import ModelData, prepare

QUICK_COMPILE = {"mode": "FAST_COMPILE"}

OBSERVED = {  # observed variable -> (units of its values, what it is)
    "throughput": ("1", "ln output tokens/s per GPU"),
    "inter_token_latency": ("1", "ln median inter-token latency, s"),
    "gpu_power_fraction": ("1", "logit of GPU power / TDP"),
    "pue": ("1", "ln(PUE - 1)"),
    "reasoning_log_mean": ("1", "ln mean output tokens of a model's reasoning answers"),
    "energy_per_query": ("1", "ln Wh per query"),
    "load_factor": ("1", "logit of a production fleet's average over peak load"),
    "output_speed_per_user": ("1", "ln output tokens/s per user of a production service"),
}


@dataclass
class SamplerConfig:
    draws: int = 1000
    tune: int = 600
    chains: int = 4
    target_accept: float = 0.95
    adaptation: str = "low_rank"  # nutpie mass matrix: ~4x fewer leapfrog steps than "diag"; per effective sample 1.1-1.8x faster (docs/benchmarks.md)
    seed: int = 2025
    prior_draws: int = 500
    max_rhat: float = 1.01
    min_ess: float = 400.0
    prior_only: bool = False  # no data: the prior pushed forward (comparable with the paper presets)
    # A run whose only fault is a few divergences is re-sampled once at this target_accept (smaller steps):
    # the same seed gave 0 divergences on one machine and 1 on another (floating point differs), and a row in
    # tension with the rest (an update) sharpens the funnel. None: fail at once.
    retry_target_accept: float | None = 0.99


@dataclass
class Diagnostics:
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    seconds: float
    worst_rhat: str
    worst_ess: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    retried_after: str = ""  # why the sampler ran a second time (empty: it did not)


@dataclass
class Calibration:
    tree: xr.DataTree
    md: ModelData
    diagnostics: Diagnostics
    checks: xr.Dataset
    sources: xr.Dataset
    shrinkage: dict[str, float]
    config: SamplerConfig
    priors_json: str


def _no_step(_: str) -> None:
    return None


def sample(model, config: SamplerConfig, progress: bool = True, step=_no_step) -> xr.DataTree:
    """Prior predictive, NUTS (nutpie), posterior predictive and pointwise log-likelihood.

    With ``config.prior_only`` there is no NUTS: the prior draws stand in the
    ``posterior`` group (one chain), so every downstream step (checks,
    push-forward, ``estimate``) runs on the prior: the model's counterpart of
    the paper's hand-set forward Monte Carlo.
    """
    import pymc as pm

    with model:
        draws = config.draws * config.chains if config.prior_only else config.prior_draws
        step("prior predictive draws")
        # Forward sampling runs a few hundred cheap calls: compiling it with numba costs
        # ~50 s on an empty cache for nothing, so it uses PyTensor's quick-to-compile mode.
        prior = pm.sample_prior_predictive(draws=draws, random_seed=config.seed, compile_kwargs=QUICK_COMPILE)
        if config.prior_only:
            tree = xr.DataTree.from_dict({
                "/posterior": prior["prior"].to_dataset(),
                "/posterior_predictive": prior["prior_predictive"].to_dataset(),
                "/observed_data": prior["observed_data"].to_dataset(),
                "/sample_stats": xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, draws), dtype=bool))},
                                            coords={"chain": [0], "draw": np.arange(draws)}),
            })
        else:
            step(f"compiling the model and sampling {config.chains} chains x {config.draws} draws with nutpie")
            tree = pm.sample(
                draws=config.draws, tune=config.tune, chains=config.chains, nuts_sampler="nutpie",
                # nutpie runs one chain at a time unless told the cores (PyMC passes none): 1.3x faster on 2
                cores=min(config.chains, os.cpu_count() or 1),
                random_seed=config.seed, progressbar=progress, compute_convergence_checks=False,
                nuts={"target_accept": config.target_accept, "adaptation": config.adaptation},
            )
            step("posterior predictive draws")
            pm.sample_posterior_predictive(tree, random_seed=config.seed + 1, extend_inferencedata=True,
                                           progressbar=False, compile_kwargs=QUICK_COMPILE)
        step("pointwise log-likelihood")
        pm.compute_log_likelihood(tree, progressbar=False)
    for name in ("prior", "prior_predictive"):
        tree[name] = prior[name]
    return tree


def diagnose(tree: xr.DataTree, config: SamplerConfig, seconds: float) -> Diagnostics:
    """max r_hat, min bulk and tail ESS over every posterior element; divergences."""
    import arviz as az

    post = tree["posterior"].to_dataset()
    # Reference elements (e.g. H100's hardware effect, 0 by definition) are constant: their r_hat is
    # NaN (0/0) and is skipped below, so numpy's "invalid value" warning about them is noise.
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = az.rhat(post)
        bulk = az.ess(post, method="bulk")
        tail = az.ess(post, method="tail")

    def extreme(ds, fn):
        vals = {k: float(fn(v.values)) for k, v in ds.data_vars.items() if np.isfinite(v.values).any()}
        key = (max if fn is np.nanmax else min)(vals, key=vals.get)
        return vals[key], key

    max_rhat, worst_rhat = extreme(rhat, np.nanmax)
    min_bulk, worst_bulk = extreme(bulk, np.nanmin)
    min_tail, worst_tail = extreme(tail, np.nanmin)
    div = int(tree["sample_stats"]["diverging"].values.sum())
    problems = []
    if max_rhat > config.max_rhat:
        problems.append(f"r_hat {max_rhat:.3f} > {config.max_rhat} ({worst_rhat})")
    if min_bulk < config.min_ess:
        problems.append(f"bulk ESS {min_bulk:.0f} < {config.min_ess:.0f} ({worst_bulk})")
    if min_tail < config.min_ess:
        problems.append(f"tail ESS {min_tail:.0f} < {config.min_ess:.0f} ({worst_tail})")
    if div:
        problems.append(f"{div} divergent transitions")
    return Diagnostics(max_rhat, min_bulk, min_tail, div, seconds, worst_rhat,
                       worst_bulk if min_bulk <= min_tail else worst_tail, not problems, problems)


def _retry_helps(diagnostics: Diagnostics, config: SamplerConfig) -> bool:
    """Divergences alone (r_hat and ESS fine), and a smaller step size left to try."""
    return (not diagnostics.passed and diagnostics.divergences > 0
            and len(diagnostics.problems) == 1 and config.retry_target_accept is not None
            and config.retry_target_accept > config.target_accept)


def shrinkage(tree: xr.DataTree) -> dict[str, float]:
    """Posterior sd / prior sd per free parameter element (near 1: the prior decides).

    Vector parameters are listed per element as ``name[label]`` (e.g. the
    undisclosed deployments' latents), since that is where identification differs.
    """
    post, prior = tree["posterior"].to_dataset(), tree["prior"].to_dataset()
    out = {}
    for name, var in post.data_vars.items():
        if name not in prior or var.ndim > 3:
            continue
        if var.ndim == 2:
            cells = {name: (var.values, prior[name].values)}
        else:
            dim = var.dims[2]
            if var.sizes[dim] > 12:  # per-model effects: summarised by their sd parameter
                continue
            cells = {f"{name}[{label}]": (var.values[..., i], prior[name].values[..., i])
                     for i, label in enumerate(var[dim].values)}
        for key, (p, q) in cells.items():
            if float(q.std()) > 0:
                out[key] = float(p.std()) / float(q.std())
    return out


def _rows_meta(md: ModelData, data: CalibrationData) -> dict[str, dict]:
    rows = {r["id"]: r for r in data.observation_rows()}
    return {i: rows[i] for i in md.likelihood_ids()}


def predictive_checks(tree: xr.DataTree, md: ModelData, data: CalibrationData) -> tuple[xr.Dataset, xr.Dataset]:
    """Per row: prior and posterior predictive 90 % intervals, standardised residuals;
    per source: share of rows outside, mean |z|, and a leave-one-source-out PSIS k-hat."""
    from arviz_stats.base import array_stats

    obs = tree["observed_data"].to_dataset()
    ids, group, z_prior, z_post, out_prior, out_post, pit = [], [], [], [], [], [], []
    for name in OBSERVED:
        if name not in obs:
            continue
        y = obs[name].values
        for label, zs, outs in (("prior_predictive", z_prior, out_prior), ("posterior_predictive", z_post, out_post)):
            pred = tree[label][name].values.reshape(-1, y.size)
            lo, hi = np.percentile(pred, [5, 95], axis=0)
            zs.extend((y - pred.mean(axis=0)) / pred.std(axis=0))
            outs.extend((y < lo) | (y > hi))
            if label == "posterior_predictive":
                pit.extend((pred < y).mean(axis=0))
        dim = obs[name].dims[0]
        ids.extend(obs[name][dim].values.tolist())
        group.extend([name] * y.size)
    meta = _rows_meta(md, data)
    source = [meta[i]["source"] for i in ids]
    checks = xr.Dataset(
        {
            "z_prior": ("row", np.array(z_prior), {"units": "1", "long_name": "(observed - prior predictive mean) / sd"}),
            "z_posterior": ("row", np.array(z_post), {"units": "1", "long_name": "(observed - posterior predictive mean) / sd"}),
            "outside_prior_90": ("row", np.array(out_prior, dtype="int8"), {"units": "1", "long_name": "1 if outside the prior predictive 5-95 % interval"}),
            "outside_posterior_90": ("row", np.array(out_post, dtype="int8"), {"units": "1", "long_name": "1 if outside the posterior predictive 5-95 % interval"}),
            "pit": ("row", np.array(pit), {"units": "1", "long_name": "posterior predictive P(y_rep < y)"}),
        },
        coords={"row": ids, "group": ("row", group), "source": ("row", source),
                "file": ("row", [meta[i]["_file"] for i in ids])},
    )
    # leave-one-source-out: importance ratios = exp(-sum of the source's pointwise log-likelihood)
    loglik = tree["log_likelihood"].to_dataset()
    per_row = np.concatenate([loglik[n].values.reshape(-1, loglik[n].shape[-1]) for n in OBSERVED if n in loglik], axis=1)
    sources = sorted(set(source))
    src = np.array(source)
    khat, n_rows, share_out, mean_abs_z = [], [], [], []
    for s in sources:
        sel = src == s
        _, k = array_stats.psislw(-per_row[:, sel].sum(axis=1))
        khat.append(float(k))
        n_rows.append(int(sel.sum()))
        share_out.append(float(checks["outside_posterior_90"].values[sel].mean()))
        mean_abs_z.append(float(np.abs(checks["z_posterior"].values[sel]).mean()))
    by_source = xr.Dataset(
        {
            "rows": ("source", n_rows, {"units": "1", "long_name": "likelihood rows from the source"}),
            "share_outside_90": ("source", share_out, {"units": "1", "long_name": "share of rows outside the posterior predictive 90 % interval"}),
            "mean_abs_z": ("source", mean_abs_z, {"units": "1", "long_name": "mean |standardised residual|"}),
            "loso_khat": ("source", khat, {"units": "1", "long_name": "Pareto k of leaving the source out (> 0.7: the posterior leans on it or it conflicts)"}),
        },
        coords={"source": sources},
    )
    return checks, by_source


def calibrate(data: CalibrationData, config: SamplerConfig | None = None, priors: dict | None = None,
              progress: bool = True, step=_no_step) -> Calibration:
    """Prepare the rows, build and sample the model, diagnose and check it.

    ``step(message)`` is called as each stage starts (the CLI prints it with the elapsed time).
    """
    from .pymc_model import build_model
    from .priors import resolve, to_json

    config = config or SamplerConfig()
    step("building the model")
    md = prepare(data)
    model = build_model(md, priors)
    start = time.perf_counter()
    tree = sample(model, config, progress, step)
    seconds = time.perf_counter() - start
    if config.prior_only:  # independent draws: nothing to diagnose
        diagnostics = Diagnostics(1.0, float(config.draws * config.chains), float(config.draws * config.chains), 0,
                                  seconds, "", "", True, [])
    else:
        diagnostics = diagnose(tree, config, seconds)
        if _retry_helps(diagnostics, config):
            why = f"{diagnostics.divergences} divergent transition(s) at target_accept {config.target_accept}"
            step(f"{why}; sampling again at {config.retry_target_accept}")
            config = replace(config, target_accept=config.retry_target_accept)
            start = time.perf_counter()
            tree = sample(model, config, progress, step)
            diagnostics = diagnose(tree, config, seconds + time.perf_counter() - start)
            diagnostics.retried_after = why
    step("predictive checks and leave-source-out k-hat")
    checks, sources = predictive_checks(tree, md, data)
    return Calibration(tree, md, diagnostics, checks, sources, shrinkage(tree), config, to_json(resolve(priors)))


def config_json(cal: Calibration) -> str:
    """Sampler settings and resolved priors as JSON: what ``update`` reuses to re-calibrate alike."""
    return json.dumps({"sampler": asdict(cal.config), "priors": json.loads(cal.priors_json)}, sort_keys=True)
