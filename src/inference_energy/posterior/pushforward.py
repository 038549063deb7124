"""Posterior draws -> energy per query of a scenario, at every scope, vectorised.

For every posterior draw s and ``queries`` simulated queries q (token lengths
from the regime), the laws of ``laws.py`` give the energy of query q under
parameter draw s.  Two uncertainties stay apart:

- a **random query** pools all (s, q): per-query variation and parameter
  uncertainty together (``p5`` ... ``p95``, ``mean``);
- the **median query** takes, for each draw s, the median over its queries:
  its spread across s is parameter uncertainty alone (``median_p5/p50/p95``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..model import laws, terms
from ..model.catalog import WEIGHT_BYTES, Catalogs, generic_architecture_xp, kv_cache_bytes, precision_name
from ..model.closed import DISCLOSURE_MODELS
from ..model.observations import SERVING
from .tokens import TraceLengths

from .scenario import (DEFAULT_CARBON, DEFAULT_CONCURRENCY, DEFAULT_INTERACTIVITY, DEFAULT_INTERACTIVITY_SOURCE,
                       DEFAULT_WUE, PRODUCTION, Scenario, _check, architecture, canonical)


def _tokens(sc: Scenario, post: xr.Dataset, traces: dict, rng, shape) -> tuple[np.ndarray, np.ndarray]:
    """ln input and ln output tokens, shaped (S, Q)."""
    if sc.regime is None:
        return np.full(shape, math.log(sc.input_tokens)), np.full(shape, math.log(sc.output_tokens))
    if sc.regime == "long":
        mu, sigma = _flat(post, "long_output_log_median"), _flat(post, "long_output_sigma")
        lout = np.log(np.maximum(1.0, np.round(np.exp(mu[:, None] + sigma[:, None] * rng.standard_normal(shape)))))
        return np.log(traces["traditional", "input"].sample(rng, shape)), lout
    return np.log(traces[sc.regime, "input"].sample(rng, shape)), np.log(traces[sc.regime, "output"].sample(rng, shape))


def _typical_tokens(sc: Scenario, post, traces) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Median input and output tokens: the lengths the operating point is set for."""
    if sc.regime is None:
        return float(sc.input_tokens), float(sc.output_tokens)
    inp = float(np.exp(traces["traditional" if sc.regime == "long" else sc.regime, "input"].log_ppf(np.zeros(1))[0]))
    if sc.regime == "long":
        return inp, np.exp(_flat(post, "long_output_log_median"))
    return inp, float(np.exp(traces[sc.regime, "output"].log_ppf(np.zeros(1))[0]))


def _flat(post, name: str) -> np.ndarray:
    """(chain, draw, ...) -> (S, ...); ``post`` may be a Dataset or a ``flatten`` dict."""
    if isinstance(post, dict):
        return post[name]
    v = post[name].values
    return v.reshape(-1, *v.shape[2:])


def flatten(post: xr.Dataset) -> dict[str, np.ndarray]:
    """Every posterior variable as an (S, ...) array: for many scenarios over one posterior."""
    return {name: _flat(post, name) for name in post.data_vars}


def _n_draws(post) -> int:
    return len(next(iter(post.values()))) if isinstance(post, dict) else post.sizes["chain"] * post.sizes["draw"]


@dataclass(frozen=True)
class ScenarioDraws:
    """Per posterior draw quantities of one scenario, each shaped (S,), at its operating point.

    Only the per-query inputs (token lengths) and the new operator's PUE
    deviation are left free, so ``log_energy`` evaluates ln E at any of them
    (the push-forward and the Sobol study both use it).
    """

    arch: dict[str, float]
    hw: dict[str, float]
    n_gpus: float | np.ndarray  # GPUs per replica (per draw for a closed model)
    weight_bytes: float
    kv_bytes: float
    cached: float
    batch: np.ndarray  # requests in flight per replica
    eta_c: np.ndarray
    eta_bw: np.ndarray
    step_overhead: np.ndarray  # s
    decode_fraction: np.ndarray  # GPU power / TDP while decoding
    interactivity: np.ndarray | None  # output tokens/s per user the operating point was set for (None: a batch)
    pue_class: np.ndarray  # ln(PUE - 1) of the deployment class
    pue_operator_sd: np.ndarray
    host_ratio: np.ndarray
    idle_share: np.ndarray
    long_mu: np.ndarray | None  # ln median and log-sd of long output lengths
    long_sigma: np.ndarray | None
    hardware_fitted: bool = True

    @property
    def size(self) -> int:
        return self.batch.shape[0]

    def point(self, k, log_input, log_output):
        """Operating point and phase times at draw indices ``k`` and the given lengths."""
        arch = {name: v[k] if np.ndim(v) else v for name, v in self.arch.items()}  # a closed model's vary by draw
        inp = np.exp(log_input)
        op = {"n_gpus": self.n_gpus[k] if np.ndim(self.n_gpus) else self.n_gpus, "batch": self.batch[k], "input": inp, "cached": np.minimum(self.cached, inp - 1.0),
              "output": np.exp(log_output), "weight_bytes": self.weight_bytes, "kv_bytes": self.kv_bytes}
        eff = {"eta_c": self.eta_c[k], "eta_bw": self.eta_bw[k], "step_overhead": self.step_overhead[k]}
        return op, laws.serving(np, arch, self.hw, op, eff)

    def phase_energy(self, draw, log_input, log_output) -> dict[str, np.ndarray]:
        """GPU energy per query by phase [Wh]."""
        k = np.asarray(draw, dtype=np.intp)
        op, times = self.point(k, log_input, log_output)
        return laws.phase_energy_gpu_wh(np, times, op, self.hw["tdp"], self.decode_fraction[k], self.eta_c[k])

    def log_energy(self, draw, log_input, log_output, z_pue, scopes=laws.SCOPES) -> dict[str, np.ndarray]:
        """ln E [Wh] per scope at posterior draw indices ``draw``, ln token lengths and PUE deviation z."""
        k = np.asarray(draw, dtype=np.intp)
        phase = self.phase_energy(k, log_input, log_output)
        log_gpu = np.log(phase["prefill"] + phase["decode"])
        z = self.pue_class[k] + self.pue_operator_sd[k] * z_pue
        factors = laws.scope_log_factors(np, self.host_ratio[k], self.idle_share[k], 1 + np.exp(z))
        return {scope: log_gpu + factors[scope] for scope in scopes}


def default_gpus(arch: dict, hw: dict, weight_bytes: float, per_node: float):
    """Whole nodes, as few as hold the weights with a third of the HBM left for the KV cache
    (per draw where the size is: a closed model's)."""
    nodes = np.ceil(1.5 * weight_bytes * arch["total_params"] / (laws.KV_MEMORY_SHARE * per_node * hw["hbm_bytes"]))
    n = per_node * np.maximum(1.0, nodes)
    return float(n) if np.ndim(n) == 0 else n


def _bisect_batch(speed, target: float, hi: np.ndarray, iterations: int = 40) -> np.ndarray:
    """Largest batch in [1, hi] whose speed per user is at least ``target`` (speed falls with the batch)."""
    lo_log, hi_log = np.zeros_like(hi), np.log(hi)
    for _ in range(iterations):
        mid = 0.5 * (lo_log + hi_log)
        ok = speed(np.exp(mid)) >= target
        lo_log, hi_log = np.where(ok, mid, lo_log), np.where(ok, hi_log, mid)
    return np.exp(lo_log)


def closed_architecture(post, closed, rng, S: int) -> dict[str, np.ndarray]:
    """A generic architecture per draw for a closed model's size: from its cited prior, or, for a model
    its provider's disclosure stands for (``closed.DISCLOSURE_MODELS``), the size that disclosure
    implies in the calibration (its total at the model's cited total/active ratio)."""
    active, total = closed.draw_params(rng, S)
    deployments = [str(d) for d in post["deployment"].values] if "deployment" in getattr(post, "coords", {}) else []
    if closed.id in DISCLOSURE_MODELS.get(closed.provider, ()) and closed.provider in deployments:
        fitted = 1e10 * np.exp(_flat(post, "closed_size")[:, deployments.index(closed.provider)])
        total, active = np.maximum(fitted, total * fitted / active), fitted
    return generic_architecture_xp(np, active, total) | {"architecture_known": 0.0, "moe": (total > active).astype(float)}


def _pue(post, sc: "Scenario", closed, full) -> dict[str, np.ndarray]:
    """ln(PUE - 1) of the deployment class and the spread of a new operator in it, or a known operator's."""
    operators = [str(o) for o in post["operator"].values] if "operator" in getattr(post, "coords", {}) else []
    if closed is not None and closed.pue_operator in operators:
        o = operators.index(closed.pue_operator)
        return {"pue_class": full(_flat(post, "pue_operator_log_excess")[:, o]), "pue_operator_sd": full(0.0)}
    return {"pue_class": full(_flat(post, "pue_hyperscale") if sc.deployment == "hyperscale" else _flat(post, "pue_typical")),
            "pue_operator_sd": full(_flat(post, "pue_operator_sd"))}


#: The realised production speed is at most this share of the speed one request alone gets on the
#: deployment (DeepSeek runs at 0.2 of it; Llama-3.1-70B on 8 H100 at 21 tokens/s is at 0.3).
LONE_SPEED_SHARE = 0.5


def production_interactivity(post, sc: "Scenario", rng, S: int) -> np.ndarray:
    """Output tokens/s per user of each draw: the scenario's, else the realised production operating
    point of an operator drawn from the fitted spread (fitted to DeepSeek's published 20-22 tokens/s)."""
    if sc.interactivity:
        return np.full(S, float(sc.interactivity))
    return np.exp(_flat(post, "production_speed_log") + terms.OPERATOR_SPEED_SPREAD * rng.standard_normal(S))


def scenario_draws(post: xr.Dataset, cat: Catalogs, sc: "Scenario", rng: np.random.Generator | int = 0,
                   traces: dict | None = None) -> ScenarioDraws:
    """The per-draw parameters of scenario ``sc`` at its operating point.

    A model not in the catalog gets new model effects drawn from the fitted
    spread (``rng``, first), so its uncertainty is wider, as it should be; an
    accelerator without data has effects drawn from the hierarchical prior.
    """
    sc = canonical(sc, cat)
    _check(sc, cat)
    rng = np.random.default_rng(rng)
    S = _n_draws(post)
    closed = cat.closed_models.get(sc.model) if sc.model is not None else None
    new_effects = {}
    if sc.model is None or closed is not None:
        new_effects = {"eff_bw_model_effect": _flat(post, "eff_bw_model_sd") * rng.standard_normal(S),
                       "power_model_effect": _flat(post, "power_model_sd") * rng.standard_normal(S)}

    def at(name, index=None):
        if index == -1:
            return new_effects[name]
        v = _flat(post, name)
        return v if index is None else v[:, index]

    m = cat.models.index(sc.model) if sc.model in cat.models else -1
    h = cat.hardware.index(sc.hardware)
    arch = architecture(sc, cat) if closed is None else closed_architecture(post, closed, rng, S)
    precision = precision_name(sc.precision)
    wb, kvb = WEIGHT_BYTES[precision], kv_cache_bytes(precision, sc.serving)
    hw = cat.hw(h, precision, kvb)
    # A closed model's size varies by draw, and so do the nodes that hold it.
    n = float(sc.gpus) if sc.gpus else default_gpus(arch, hw, wb, float(cat.gpus_per_node[h]))
    weights = wb * np.max(arch["total_params"])
    if not np.all(laws.KV_MEMORY_SHARE * n * hw["hbm_bytes"] > wb * arch["total_params"]):
        raise ValueError(f"{sc.label} at {precision} ({weights / 1e9:.0f} GB of weights) does not fit "
                         f"in {np.min(n):g} x {sc.hardware} ({np.min(n) * hw['hbm_bytes'] / 1e9:.0f} GB of HBM): "
                         "give more --gpus")
    s = SERVING.index(sc.serving)
    low = float(precision != "bf16")
    log_n = np.log(n)
    eff = terms.efficiencies(np, at, h, m, s, low, log_n, terms.attention_layers(arch))
    full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (S,)).copy()  # noqa: E731
    eff = {k: full(v) for k, v in eff.items()}
    if traces is None and sc.regime is not None:
        raise ValueError("a scenario with a token regime needs the regime's traces (the calibration's own: "
                         "open_calibration returns them) to set its operating point")
    inp, out = _typical_tokens(sc, post, traces)
    fit = laws.memory_batch(np, arch, hw, n, inp + out, wb, kvb) * np.ones(S)
    target = None
    if sc.concurrency is not None or (closed is not None and sc.interactivity is None):
        # A closed model runs at the operating point its provider's disclosure was fitted at
        # (terms.CLOSED_CONCURRENCY), unless the scenario sets one.
        batch = laws.smooth_min(np, (sc.concurrency or terms.CLOSED_CONCURRENCY) * n, fit)
    elif sc.interactivity is not None or sc.serving in PRODUCTION:
        target = production_interactivity(post, sc, rng, S)
        cached = min(sc.cached_input_tokens, inp - 1.0)

        def speed(b):
            op = {"n_gpus": n, "batch": b, "input": inp, "cached": cached, "output": out, "weight_bytes": wb,
                  "kv_bytes": kvb}
            times = laws.serving(np, arch, hw, op, eff)
            if sc.serving == "production_disaggregated":  # prefill runs on other GPUs: a user sees decode steps
                return 1.0 / times["t_step"]
            return laws.output_speed_per_user(np, times, op)

        if sc.interactivity is None:
            # An operator's speed is its choice, within what its deployment can give: no chat service
            # runs a replica at one request, so the realised speed stays at or below half a lone request's.
            target = np.minimum(target, LONE_SPEED_SHARE * speed(np.ones(S)))
        batch = _bisect_batch(speed, target, fit)
    elif sc.serving == "vendor_max_benchmark":
        batch = laws.smooth_min(np, _flat(post, "vendor_batch_cap") * n, fit)
    else:
        batch = laws.smooth_min(np, DEFAULT_CONCURRENCY * n, fit)
    x_size = np.log(arch["active_params"] / 1e10)
    f_dec = laws.sigmoid(np, terms.power_logit(np, at, h, m, low, log_n, np.log(batch / n), x_size))
    long = sc.regime == "long"
    return ScenarioDraws(
        arch=arch, hw=hw, n_gpus=n, weight_bytes=wb, kv_bytes=kvb, cached=float(sc.cached_input_tokens),
        batch=full(batch), eta_c=eff["eta_c"], eta_bw=eff["eta_bw"], step_overhead=eff["step_overhead"],
        decode_fraction=full(f_dec), interactivity=target,
        **_pue(post, sc, closed, full),
        host_ratio=full(_flat(post, "host_ratio")),
        idle_share=full(terms.new_operator_idle_share(np, at, rng.standard_normal(S))),
        long_mu=full(_flat(post, "long_output_log_median")) if long else None,
        long_sigma=full(_flat(post, "long_output_sigma")) if long else None,
        hardware_fitted=sc.hardware in cat.fitted_hardware,
    )


def energy_draws(post: xr.Dataset, cat: Catalogs, traces: dict[tuple[str, str], TraceLengths], sc: Scenario,
                 queries: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """ln energy per query [Wh] at each scope, shaped (S, queries), plus water, carbon, the two
    phases' GPU energy [Wh] and the operating point (requests per GPU, output tokens/s per user).

    Each posterior draw meets ``queries`` simulated queries (token lengths from
    the regime) and one new operator of the deployment class (its PUE).
    """
    rng = np.random.default_rng(seed)
    sc = canonical(sc, cat)
    d = scenario_draws(post, cat, sc, rng, traces)
    S = d.size
    lin, lout = _tokens(sc, post, traces, rng, (S, queries))
    z_pue = rng.standard_normal(S)
    k = np.arange(S)[:, None]
    out = d.log_energy(k, lin, lout, z_pue[:, None])
    phase = d.phase_energy(k, lin, lout)
    out["prefill_gpu_wh"], out["decode_gpu_wh"] = phase["prefill"], phase["decode"]
    inp, typ_out = _typical_tokens(sc, post, traces)
    op, times = d.point(np.arange(S), np.log(inp), np.log(typ_out))
    out["requests_per_gpu"] = d.batch / d.n_gpus
    out["output_speed_per_user"] = (1.0 / times["t_step"] if sc.serving == "production_disaggregated"
                                    else laws.output_speed_per_user(np, times, op))
    out["hardware_fitted"] = d.hardware_fitted
    wue = sc.wue_l_per_kwh if sc.wue_l_per_kwh is not None else DEFAULT_WUE[sc.deployment][1]
    carbon = sc.carbon_g_per_kwh if sc.carbon_g_per_kwh is not None else DEFAULT_CARBON[1]
    out["water_ml"] = np.exp(out["it"]) * wue  # L/kWh x Wh = mL
    out["carbon_g"] = np.exp(out["facility"]) * carbon / 1000.0
    return out


def summarize_scenario(draws: dict[str, np.ndarray], sc: Scenario, scopes=laws.SCOPES) -> list[dict]:
    """Flat records: random-query quantiles and the median query's credible interval."""
    from ..stats import rounded

    recs = []
    for scope in scopes:
        recs.append(_record(np.exp(draws[scope]), sc, scope, "Wh", rounded))
    recs.append(_record(draws["water_ml"], sc, "facility-water", "mL", rounded))
    recs.append(_record(draws["carbon_g"], sc, "facility-carbon", "gCO2e", rounded))
    if "prefill_gpu_wh" in draws:
        recs.append(_record(draws["prefill_gpu_wh"], sc, "gpu-prefill", "Wh", rounded))
        recs.append(_record(draws["decode_gpu_wh"], sc, "gpu-decode", "Wh", rounded))
        recs.append(_record(draws["requests_per_gpu"][:, None], sc, "operating-concurrency", "requests/GPU", rounded))
        recs.append(_record(draws["output_speed_per_user"][:, None], sc, "operating-interactivity", "tokens/s", rounded))
    return recs


def _record(values: np.ndarray, sc: Scenario, scope: str, unit: str, rounded) -> dict:
    q = np.percentile(values, [5, 25, 50, 75, 95])
    med = np.percentile(np.median(values, axis=1), [5, 50, 95])
    return {"model": sc.label, "regime": sc.regime_label, "scope": scope, "unit": unit,
            "hardware": sc.hardware, "serving": sc.serving, "deployment": sc.deployment,
            **{k: rounded(v) for k, v in zip(("p5", "p25", "p50", "p75", "p95"), q)},
            "mean": rounded(values.mean()),
            "median_p5": rounded(med[0]), "median_p50": rounded(med[1]), "median_p95": rounded(med[2])}


def default_scenarios(cat: Catalogs) -> list[Scenario]:
    """What a calibration file stores: every catalog model, both main regimes, production on H100."""
    return [Scenario(model=m, regime=r) for m in cat.models for r in ("traditional", "long")]


def energy_dataset(post: xr.Dataset, cat: Catalogs, traces, scenarios: list[Scenario] | None = None,
                   queries: int = 100, seed: int = 0) -> xr.Dataset:
    """Per-draw median-query energy (chain, draw, scenario, scope) and random-query quantiles."""
    scenarios = scenarios or default_scenarios(cat)
    C, D = post.sizes["chain"], post.sizes["draw"]
    med = np.empty((C, D, len(scenarios), len(laws.SCOPES)))
    phase = np.empty((C, D, len(scenarios), len(laws.PHASES)))
    quant = np.empty((len(scenarios), len(laws.SCOPES), 6))
    for i, sc in enumerate(scenarios):
        d = energy_draws(post, cat, traces, sc, queries, seed + i)
        for j, name in enumerate(laws.PHASES):
            phase[:, :, i, j] = np.median(d[f"{name}_gpu_wh"], axis=1).reshape(C, D)
        for j, scope in enumerate(laws.SCOPES):
            e = np.exp(d[scope])
            med[:, :, i, j] = np.median(e, axis=1).reshape(C, D)
            quant[i, j] = [*np.percentile(e, [5, 25, 50, 75, 95]), e.mean()]
    coords = {"chain": post["chain"].values, "draw": post["draw"].values, "scenario": [f"{s.label}|{s.regime_label}" for s in scenarios],
              "scope": list(laws.SCOPES), "phase": list(laws.PHASES), "statistic": ["p5", "p25", "p50", "p75", "p95", "mean"],
              "model": ("scenario", [s.label for s in scenarios]), "regime": ("scenario", [s.regime_label for s in scenarios]),
              "hardware": ("scenario", [s.hardware for s in scenarios]), "serving": ("scenario", [s.serving for s in scenarios])}
    return xr.Dataset(
        {
            "median_query_energy": (("chain", "draw", "scenario", "scope"), med,
                                    {"units": "Wh", "long_name": "energy of the median query of the scenario, per posterior draw (parameter uncertainty)"}),
            "median_query_phase_energy": (("chain", "draw", "scenario", "phase"), phase,
                                          {"units": "Wh", "long_name": "GPU energy of the median query by phase "
                                           "(prefill, decode), per posterior draw"}),
            "random_query_energy": (("scenario", "scope", "statistic"), quant,
                                    {"units": "Wh", "long_name": "quantiles of a random query's energy (per-query variation and parameter uncertainty)"}),
        },
        coords=coords,
        attrs={"queries_per_draw": queries, "interactivity_tokens_per_s": DEFAULT_INTERACTIVITY,
               "interactivity_source": DEFAULT_INTERACTIVITY_SOURCE, "deployment": "hyperscale",
               "note": "production serving on H100 at the default interactivity unless the scenario says otherwise"},
    )
