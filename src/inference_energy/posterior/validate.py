"""How far to trust a production estimate: leave each production source out and predict it.

A *production source* is one publication of production telemetry: an operator's per-query
energy, its fleet's throughput, operating point or load, its data centres' PUE.  For each, the
calibration is asked what it would have predicted for that source's figures without them:

- by PSIS-LOO, re-weighting the full posterior by 1 / p(source | theta), where that is reliable
  (Pareto k < 0.7);
- otherwise by refitting the model without the source's rows and predicting them from the
  refit's posterior (the same laws, in numpy).

Each figure gets a predicted median and 90 % interval (noise included: a prediction of the
published number), its PIT and whether the interval covers it.  Token-length rows are left
out: they describe the workload (fitted outside the PyMC model) rather than an outcome.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..data import CalibrationData
from ..model import terms
from ..model.calibrate import SamplerConfig
from ..model.observations import SERVING, TPU_OPERATORS, Group, ModelData, prepare
from ..model.predict import accessor, flat_draws, predict_rows

PRODUCTION_KINDS = ("production", "production_disaggregated")
KHAT_RELIABLE = 0.7
#: Sampler settings of a refit: shorter than a calibration's (the prediction needs quantiles, not tails).
REFIT = SamplerConfig(draws=700, tune=500, chains=2)
#: A refit's gate: enough for the ends of a 90 % predictive interval to within a few per cent, looser
#: than a calibration's (r_hat 1.01, ESS 400), which must support every downstream tail.
REFIT_MAX_RHAT = 1.05
REFIT_MIN_ESS = 100.0
#: Observed variable of each likelihood group, and the group's name in ModelData.
GROUP_VARIABLE = {"throughput": "throughput", "energy": "energy_per_query", "load": "load_factor",
                  "speed": "output_speed_per_user", "pue": "pue"}


@dataclass
class RowPrediction:
    """One published figure against its leave-source-out prediction, in the figure's own unit."""

    row: str
    source: str
    quantity: str
    unit: str
    observed: float
    p5: float
    p50: float
    p95: float
    pit: float
    covered: bool
    method: str  # "psis" or "refit"
    khat: float


def production_sources(data: CalibrationData) -> dict[str, list[str]]:
    """source -> ids of its likelihood rows of production telemetry (token lengths excluded)."""
    out: dict[str, list[str]] = {}
    for r in data.observation_rows():
        if r["role"] == "likelihood" and r["serving"] in PRODUCTION_KINDS and r["scope"] != "workload":
            out.setdefault(r["source"], []).append(r["id"])
    return out


def _locate(md: ModelData) -> dict[str, tuple[str, int]]:
    """row id -> (ModelData group name, position)."""
    where = {}
    for name in GROUP_VARIABLE:
        for i, rid in enumerate(getattr(md, name).ids):
            where[rid] = (name, i)
    return where


def _to_published(group: str, y, row: dict, md_row: dict):
    """The model's transformed value (ln per GPU, logit, ln(PUE - 1), ...) -> the published unit."""
    if group == "throughput":
        return np.exp(y) * md_row["n_gpus"]
    if group == "load":
        return 1.0 / (1.0 + np.exp(-y))
    if group == "pue":
        return 1.0 + np.exp(y)
    return np.exp(y)


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    order = np.argsort(values)
    cdf = np.cumsum(weights[order])
    cdf /= cdf[-1]
    return np.interp(qs, cdf, values[order])


def _summaries(sim: np.ndarray, y: float, weights: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """(p5, p50, p95, PIT) of predictive draws ``sim`` of one row (transformed scale)."""
    w = np.full(sim.shape, 1.0 / sim.size) if weights is None else weights / weights.sum()
    p5, p50, p95 = _weighted_quantiles(sim, w, [0.05, 0.5, 0.95])
    return float(p5), float(p50), float(p95), float(np.sum(w * (sim < y)))


def _record(rid, source, group, md, pos, sim, y, method, khat, meta, weights=None) -> RowPrediction:
    g = getattr(md, group)
    md_row = {k: v[pos] for k, v in g.columns.items()}
    row = meta[rid]
    p5, p50, p95, pit = _summaries(sim, y, weights)
    pub = lambda v: float(_to_published(group, np.asarray(v), row, md_row))  # noqa: E731
    return RowPrediction(row=rid, source=source, quantity=row["quantity"], unit=row["unit"],
                         observed=float(row["value"]), p5=pub(p5), p50=pub(p50), p95=pub(p95), pit=pit,
                         covered=bool(p5 <= y <= p95), method=method, khat=khat)


# --- PSIS-LOO from the full calibration -------------------------------------------------------------

def psis_source(tree, md: ModelData, ids: list[str]):
    """(Pareto k, log weights) of leaving ``ids`` out of the calibration in ``tree``."""
    from arviz_stats.base import array_stats

    where = _locate(md)
    loglik = tree["log_likelihood"].to_dataset()
    total = 0.0
    for rid in ids:
        group, pos = where[rid]
        v = loglik[GROUP_VARIABLE[group]].values
        total = total + v.reshape(-1, v.shape[-1])[:, pos]
    log_w, k = array_stats.psislw(-total)
    return float(k), np.asarray(log_w)


def psis_predictions(tree, md, meta, source, ids, khat, log_w) -> list[RowPrediction]:
    where = _locate(md)
    weights = np.exp(log_w - log_w.max())
    out = []
    for rid in ids:
        group, pos = where[rid]
        v = tree["posterior_predictive"][GROUP_VARIABLE[group]].values
        sim = v.reshape(-1, v.shape[-1])[:, pos]
        y = getattr(md, group).array("y")[pos]
        out.append(_record(rid, source, group, md, pos, sim, y, "psis", khat, meta, weights))
    return out


# --- refit without the source ------------------------------------------------------------------------

def without_rows(data: CalibrationData, ids: set[str]) -> CalibrationData:
    """The data with the rows ``ids`` removed (a leave-source-out training set)."""
    tables = {name: replace(t, rows=[r for r in t.rows if r["id"] not in ids]) for name, t in data.observations.items()}
    return replace(data, observations=tables, sha256=f"{data.sha256}-without-{len(ids)}")


def _subgroup(g: Group, positions: list[int]) -> Group:
    sub = Group()
    for i in positions:
        sub.add(g.ids[i], **{k: v[i] for k, v in g.columns.items()})
    return sub


def _names(post, dim: str) -> list[str]:
    return [str(x) for x in post[dim].values] if dim in post.coords else []


def predict_left_out(post, md_train: ModelData, md: ModelData, ids: list[str], rng, priors=None) -> dict[str, np.ndarray]:
    """Predictive draws (transformed scale, noise included) of rows ``ids`` of ``md`` under ``post``,
    a posterior fitted to ``md_train`` (which lacks them)."""
    from ..model.pymc_model import _noise_index, closed_size_priors, noise_kinds
    from ..model.priors import resolve

    p = resolve(priors)
    draws = flat_draws(post)
    S = len(next(iter(draws.values())))
    at = accessor(draws)
    where = _locate(md)
    out = {}
    by_group: dict[str, list[int]] = {}
    for rid in ids:
        group, pos = where[rid]
        by_group.setdefault(group, []).append(pos)
    t_dist = lambda shape: rng.standard_t(4.0, size=shape)  # noqa: E731
    if "throughput" in by_group:
        g = _subgroup(md.throughput, by_group["throughput"])
        kinds = noise_kinds(md_train)
        proxy = replace(md_train, throughput=g)
        scale = np.sqrt(draws["throughput_noise"][:, _noise_index(proxy, kinds)] ** 2 + g.array("sd") ** 2)
        sim = predict_rows(draws, md, g)["log_throughput"] + scale * t_dist(scale.shape)
        out |= dict(zip(g.ids, sim.T))
    if "load" in by_group:
        g = _subgroup(md.load, by_group["load"])
        load = draws["diurnal_load"][:, None]
        sd = np.sqrt(g.array("sd") ** 2 + draws["load_operator_sd"][:, None] ** 2)
        sim = np.log(load / (1 - load)) + sd * rng.standard_normal(sd.shape)
        out |= dict(zip(g.ids, sim.T))
    if "speed" in by_group:
        g = _subgroup(md.speed, by_group["speed"])
        sd = np.sqrt(g.array("sd") ** 2 + terms.OPERATOR_SPEED_SPREAD ** 2)
        sim = draws["production_speed_log"][:, None] + sd * rng.standard_normal((S, len(g)))
        out |= dict(zip(g.ids, sim.T))
    operators = _names(post, "operator")

    def pue_log_excess(names: list[str], classes: np.ndarray) -> np.ndarray:
        """ln(PUE - 1) of each operator: fitted if the refit knows it, else a new one of its class."""
        cols = []
        for name, klass in zip(names, classes):
            if name in operators:
                cols.append(draws["pue_operator_log_excess"][:, operators.index(name)])
            else:
                base = draws["pue_hyperscale"] if klass == 0 else draws["pue_typical"]
                cols.append(base + draws["pue_operator_sd"] * rng.standard_normal(S))
        return np.stack(cols, axis=1)

    if "pue" in by_group:
        g = _subgroup(md.pue, by_group["pue"])
        o = g.array("operator", int)
        z = pue_log_excess([md.operators[i] for i in o], md.operator_class[o])
        sim = z + g.array("sd") * rng.standard_normal(z.shape)
        out |= dict(zip(g.ids, sim.T))
    if "energy" in by_group:
        g = _subgroup(md.energy, by_group["energy"])
        deployments = _names(post, "deployment")
        size = closed_size_priors(md, p)  # the deployment priors of the full data
        d_full = g.array("deployment", int)
        cols = {k: [] for k in ("x", "lout", "sig")}
        for d in d_full:
            name = md.closed[d]
            if name in deployments:
                j = deployments.index(name)
                cols["x"].append(draws["closed_size"][:, j])
                cols["lout"].append(draws["closed_output_tokens"][:, j])
                cols["sig"].append(draws["closed_output_sigma"][:, j])
            else:  # the provider's whole disclosure is left out: its latents from their priors
                cols["x"].append(size[d, 0] + size[d, 1] * rng.standard_normal(S))
                cols["lout"].append(_prior_draws(p["closed_output_tokens"], S, rng))
                cols["sig"].append(_prior_draws(p["closed_output_sigma"], S, rng))
        x, lout, sig = (np.stack(cols[k], axis=1) for k in ("x", "lout", "sig"))
        log_gpu = terms.closed_log_energy_gpu(np, at, md.catalogs, x, size[d_full, 2], lout, SERVING.index("production"))
        tpu = np.array([md.closed[d] in TPU_OPERATORS for d in d_full], dtype=float)
        log_kappa = np.log(draws["host_ratio"])[:, None] + draws["host_tpu_offset"][:, None] * tpu
        o = g.array("pue_operator", int)
        z = pue_log_excess([md.operators[i] for i in o], md.operator_class[o])
        mu = terms.closed_energy_terms(np, log_gpu, log_kappa, draws["idle_share"][:, None], z,
                                       terms.energy_codes(g.columns["component"], g.columns["scope"]))
        mu = mu + 0.5 * sig ** 2 * g.array("mean")
        sim = mu + g.array("sd") * rng.standard_normal(mu.shape)
        out |= dict(zip(g.ids, sim.T))
    return out


def _prior_draws(prior, n: int, rng) -> np.ndarray:
    """``n`` draws of a scalar pymc-extras Prior (Normal, HalfNormal, LogNormal)."""
    kw = prior.parameters
    if prior.distribution == "Normal":
        return kw["mu"] + kw["sigma"] * rng.standard_normal(n)
    if prior.distribution == "HalfNormal":
        return np.abs(kw["sigma"] * rng.standard_normal(n))
    if prior.distribution == "LogNormal":
        return np.exp(kw["mu"] + kw["sigma"] * rng.standard_normal(n))
    raise ValueError(f"no numpy sampler for a {prior.distribution} prior")


def refit_predictions(data, md, meta, source, ids, khat, config: SamplerConfig, seed: int, priors=None):
    """Refit without ``ids`` and predict them; returns (predictions, the refit's diagnostics, the
    reference estimate under the refit)."""
    import os
    import time

    import pymc as pm

    from ..model.calibrate import diagnose
    from ..model.pymc_model import build_model

    md_train = prepare(without_rows(data, set(ids)))
    start = time.perf_counter()
    with build_model(md_train, priors):  # the posterior alone: no predictive draws, no log-likelihood
        tree = pm.sample(draws=config.draws, tune=config.tune, chains=config.chains, nuts_sampler="nutpie",
                         cores=min(config.chains, os.cpu_count() or 1), random_seed=seed, progressbar=False,
                         compute_convergence_checks=False,
                         nuts={"target_accept": config.target_accept, "adaptation": config.adaptation})
    diag = diagnose(tree, config, time.perf_counter() - start)
    post = tree["posterior"].to_dataset()
    sims = predict_left_out(post, md_train, md, ids, np.random.default_rng(seed), priors)
    where = _locate(md)
    out = []
    for rid in ids:
        group, pos = where[rid]
        y = getattr(md, group).array("y")[pos]
        out.append(_record(rid, source, group, md, pos, sims[rid], y, "refit", khat, meta))
    return out, diag, reference_estimate(post, md_train)


#: What "moved" reports: the median query of the estimate the README quotes (facility, Wh).
REFERENCE_SCENARIO = {"model": "Llama-3.1-70B", "hardware": "H100", "regime": "traditional"}


def reference_estimate(post, md: ModelData) -> dict[str, float]:
    """P5/P50/P95 of the reference scenario's median query at the facility [Wh] under ``post``."""
    from .pushforward import Scenario, energy_draws
    from .tokens import trace_lengths

    d = energy_draws(post, md.catalogs, trace_lengths(md), Scenario(**REFERENCE_SCENARIO), queries=100)
    med = np.median(np.exp(d["facility"]), axis=1)
    return dict(zip(("p5", "p50", "p95"), (float(v) for v in np.percentile(med, [5, 50, 95]))))


@dataclass
class Validation:
    rows: list[RowPrediction]
    refits: dict[str, dict]  # source -> diagnostics of its refit, and the reference estimate without it
    reference: dict[str, float] | None = None  # the reference estimate with every source [Wh]

    def by_source(self) -> list[dict]:
        out = []
        for src in dict.fromkeys(r.source for r in self.rows):
            rs = [r for r in self.rows if r.source == src]
            out.append({"source": src, "rows": len(rs), "covered": sum(r.covered for r in rs),
                        "all_covered": all(r.covered for r in rs), "method": rs[0].method, "khat": rs[0].khat})
        return out

    def summary(self) -> dict:
        src = self.by_source()
        return {"sources": len(src), "sources_covered": sum(s["all_covered"] for s in src),
                "rows": len(self.rows), "rows_covered": sum(r.covered for r in self.rows),
                "share_sources_covered": sum(s["all_covered"] for s in src) / max(len(src), 1),
                "share_rows_covered": sum(r.covered for r in self.rows) / max(len(self.rows), 1)}

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "sources": self.by_source(), "rows": [asdict(r) for r in self.rows],
                "refits": self.refits, "reference_scenario": REFERENCE_SCENARIO | {"scope": "facility",
                                                                                  "statistic": "median query, Wh"},
                "reference_estimate_wh": self.reference}


def validate(tree, data: CalibrationData, sources: list[str] | None = None, refit_all: bool = False,
             config: SamplerConfig = REFIT, seed: int = 2025, priors=None, step=lambda _msg: None) -> Validation:
    """Leave each production source out of the calibration ``tree`` (fitted to ``data``) and predict it."""
    md = prepare(data)
    meta = {r["id"]: r for r in data.observation_rows()}
    found = production_sources(data)
    chosen = sources or list(found)
    unknown = [s for s in chosen if s not in found]
    if unknown:
        raise ValueError(f"not a production source of these tables: {unknown[0]!r}; known: {'; '.join(found)}")
    rows, refits = [], {}
    reference = reference_estimate(tree["posterior"].to_dataset(), md)
    for i, src in enumerate(chosen):
        ids = found[src]
        khat, log_w = psis_source(tree, md, ids)
        if khat < KHAT_RELIABLE and not refit_all:
            rows += psis_predictions(tree, md, meta, src, ids, khat, log_w)
            continue
        step(f"refitting without {src} ({len(ids)} rows, Pareto k {khat:.2f})")
        preds, diag, moved = refit_predictions(data, md, meta, src, ids, khat, config, seed + 17 * (i + 1), priors)
        rows += preds
        passed = diag.max_rhat <= REFIT_MAX_RHAT and diag.min_ess_bulk >= REFIT_MIN_ESS and diag.divergences == 0
        refits[src] = {"max_r_hat": diag.max_rhat, "min_ess_bulk": diag.min_ess_bulk,
                       "divergences": diag.divergences, "passed": bool(passed), "seconds": diag.seconds,
                       "reference_estimate_without_wh": moved}
    return Validation(rows, refits, reference)


__all__ = ["RowPrediction", "Validation", "predict_left_out", "production_sources", "psis_predictions", "psis_source",
           "reference_estimate", "refit_predictions", "validate", "without_rows"]
