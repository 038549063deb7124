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

from ..model import laws
from ..model.observations import LOW_PRECISION, POWER_REF_LOG_CONCURRENCY, SERVING, WORKLOADS, Catalogs
from .tokens import TraceLengths

REGIME_WORKLOAD = {"traditional": "chat", "long": "reasoning", "code": "code", None: "chat"}
#: Requests in flight per GPU when a scenario does not say (interactive serving).
DEFAULT_CONCURRENCY = 64.0

#: Cited defaults for water and carbon (ids of rows in calibration_data/).
DEFAULT_WUE = {"hyperscale": ("D06", 0.30), "typical": ("D15b", 0.38)}  # L per kWh of IT energy
DEFAULT_CARBON = ("G01", 480.0)  # gCO2e per kWh, world average 2023 (Ember)


@dataclass(frozen=True)
class Scenario:
    """One deployment and query type to estimate."""

    model: str | None = None  # catalog id, or give the parameter counts
    active_params_b: float | None = None
    total_params_b: float | None = None
    moe: bool = False
    hardware: str = "H100"
    regime: str | None = "traditional"  # traditional, long, code; None: fixed tokens
    input_tokens: float | None = None
    output_tokens: float | None = None
    serving: str = "production"
    concurrency: float | None = None  # requests per GPU
    gpus: int | None = None  # GPUs per replica (default: one node)
    precision: str = "fp8"
    deployment: str = "hyperscale"
    wue_l_per_kwh: float | None = None
    carbon_g_per_kwh: float | None = None

    @property
    def label(self) -> str:
        return self.model or f"{self.active_params_b:g}B-active/{(self.total_params_b or self.active_params_b):g}B"

    @property
    def regime_label(self) -> str:
        return self.regime or f"in{self.input_tokens:g}/out{self.output_tokens:g}"


def _check(sc: Scenario, cat: Catalogs) -> None:
    if sc.model is None and sc.active_params_b is None:
        raise ValueError("give a catalog model or --active-params (and --total-params)")
    if sc.model is not None and sc.model not in cat.models:
        raise ValueError(f"unknown model {sc.model!r}; known: {', '.join(cat.models)}; "
                         "or give --total-params/--active-params")
    if sc.hardware not in cat.hardware:
        raise ValueError(f"unknown hardware {sc.hardware!r}; known: {', '.join(cat.hardware)}")
    if sc.serving not in SERVING:
        raise ValueError(f"unknown serving regime {sc.serving!r}; known: {', '.join(SERVING)}")
    if sc.regime is None and (sc.input_tokens is None or sc.output_tokens is None):
        raise ValueError("give --regime or both --input-tokens and --output-tokens")
    if sc.regime not in (None, "traditional", "long", "code"):
        raise ValueError(f"unknown regime {sc.regime!r}; known: traditional, long, code")
    if sc.deployment not in DEFAULT_WUE:
        raise ValueError(f"unknown deployment {sc.deployment!r}; known: hyperscale, typical")


def _tokens(sc: Scenario, post: xr.Dataset, traces: dict, rng, shape) -> tuple[np.ndarray, np.ndarray]:
    """ln input and ln output tokens, shaped (S, Q)."""
    if sc.regime is None:
        return np.full(shape, math.log(sc.input_tokens)), np.full(shape, math.log(sc.output_tokens))
    if sc.regime == "long":
        mu, sigma = _flat(post, "long_output_log_median"), _flat(post, "long_output_sigma")
        lout = np.log(np.maximum(1.0, np.round(np.exp(mu[:, None] + sigma[:, None] * rng.standard_normal(shape)))))
        return np.log(traces["traditional", "input"].sample(rng, shape)), lout
    return np.log(traces[sc.regime, "input"].sample(rng, shape)), np.log(traces[sc.regime, "output"].sample(rng, shape))


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
    """Per posterior draw quantities of one scenario, each shaped (S,).

    Only the per-query inputs (token lengths) and the new operator's PUE
    deviation are left free, so ``log_energy`` evaluates ln E at any of them
    (the push-forward and the Sobol study both use it).
    """

    log_peak: np.ndarray  # ln peak TPS per GPU at the scenario's concurrency, before the length terms
    logit_f: np.ndarray  # logit of the GPU power fraction
    input_slope: np.ndarray
    output_slope: np.ndarray
    log_tdp: float
    pue_class: np.ndarray  # ln(PUE - 1) of the deployment class
    pue_operator_sd: np.ndarray
    host_ratio: np.ndarray
    idle_share: np.ndarray
    long_mu: np.ndarray | None  # ln median and log-sd of long output lengths
    long_sigma: np.ndarray | None

    @property
    def size(self) -> int:
        return self.log_peak.shape[0]

    def log_energy(self, draw, log_input, log_output, z_pue, scopes=laws.SCOPES) -> dict[str, np.ndarray]:
        """ln E [Wh] per scope at posterior draw indices ``draw``, ln token lengths and PUE deviation z."""
        k = np.asarray(draw, dtype=np.intp)
        log_tps = (self.log_peak[k] + self.input_slope[k] * (log_input - math.log(laws.REF_INPUT_TOKENS))
                   + self.output_slope[k] * (log_output - math.log(laws.REF_OUTPUT_TOKENS)))
        log_gpu = laws.log_energy_gpu_wh(np, self.log_tdp, self.logit_f[k], log_output, log_tps)
        z = self.pue_class[k] + self.pue_operator_sd[k] * z_pue
        factors = laws.scope_log_factors(np, self.host_ratio[k], self.idle_share[k], 1 + np.exp(z))
        return {scope: log_gpu + factors[scope] for scope in scopes}


def scenario_draws(post: xr.Dataset, cat: Catalogs, sc: "Scenario", rng: np.random.Generator | int = 0) -> ScenarioDraws:
    """The per-draw parameters of scenario ``sc``.

    A model not in the catalog gets new model effects drawn from the fitted
    spread (``rng``, first), so its uncertainty is wider, as it should be.
    """
    _check(sc, cat)
    rng = np.random.default_rng(rng)
    S = _n_draws(post)
    g = lambda name: _flat(post, name)  # noqa: E731
    if sc.model is not None:
        m = cat.models.index(sc.model)
        x, xr_, moe = cat.x_size[m], cat.x_ratio[m], cat.moe[m]
        tps_eff, pow_eff = g("tps_model_effect")[:, m], g("power_model_effect")[:, m]
    else:
        total = sc.total_params_b or sc.active_params_b
        x = math.log(sc.active_params_b / laws.REF_ACTIVE_B)
        xr_, moe = math.log(total / sc.active_params_b), float(sc.moe)
        tps_eff = g("tps_model_sd") * rng.standard_normal(S)
        pow_eff = g("power_model_sd") * rng.standard_normal(S)
    h = cat.hardware.index(sc.hardware)
    n = float(sc.gpus or cat.gpus_per_node[h])
    low = float(sc.precision.lower() in LOW_PRECISION)
    saturated = sc.serving == "vendor_max_benchmark"
    log_c = math.log(sc.concurrency or DEFAULT_CONCURRENCY)
    workload = WORKLOADS.index(REGIME_WORKLOAD[sc.regime])
    w_eff = 0.0 if workload == 0 else g("tps_workload")[:, workload - 1]
    serving = {"steady_state": 0.0, "vendor_max_benchmark": g("serving_vendor_max"), "vendor_benchmark": g("serving_vendor"),
               "production": g("serving_production"), "unknown": 0.0,
               "production_disaggregated": g("serving_production") + g("serving_disaggregated")
               + moe * g("serving_disaggregated_moe")}[sc.serving]
    log_peak = (g("tps_intercept") + g("tps_size_slope") * x + g("tps_total_ratio_slope") * xr_ + g("tps_moe") * moe
                + tps_eff + g("tps_hardware_effect")[:, h] + g("tps_low_precision") * low
                + g("tps_parallel_slope") * math.log(n) + w_eff + serving)
    if not saturated:
        log_peak = log_peak + laws.saturation(np, log_c, g("saturation_log_c0") + g("saturation_size_slope") * x)
    logit_f = (g("power_intercept") + g("power_hardware_effect")[:, h] + g("power_concurrency_slope")
               * ((9.0 if saturated else log_c) - POWER_REF_LOG_CONCURRENCY) + g("power_size_slope") * x
               + g("power_low_precision") * low + g("power_parallel_slope") * math.log(n) + pow_eff)
    full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (S,))  # noqa: E731
    long = sc.regime == "long"
    return ScenarioDraws(
        log_peak=full(log_peak), logit_f=full(logit_f), input_slope=full(g("tps_input_slope")),
        output_slope=full(g("tps_output_slope")), log_tdp=float(cat.log_tdp[h]),
        pue_class=full(g("pue_hyperscale") if sc.deployment == "hyperscale" else g("pue_typical")),
        pue_operator_sd=full(g("pue_operator_sd")), host_ratio=full(g("host_ratio")), idle_share=full(g("idle_share")),
        long_mu=full(g("long_output_log_median")) if long else None,
        long_sigma=full(g("long_output_sigma")) if long else None,
    )


def energy_draws(post: xr.Dataset, cat: Catalogs, traces: dict[tuple[str, str], TraceLengths], sc: Scenario,
                 queries: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """ln energy per query [Wh] at each scope, shaped (S, queries), plus water and carbon.

    Each posterior draw meets ``queries`` simulated queries (token lengths from
    the regime) and one new operator of the deployment class (its PUE).
    """
    rng = np.random.default_rng(seed)
    d = scenario_draws(post, cat, sc, rng)
    S = d.size
    lin, lout = _tokens(sc, post, traces, rng, (S, queries))
    z_pue = rng.standard_normal(S)
    out = d.log_energy(np.arange(S)[:, None], lin, lout, z_pue[:, None])
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
    quant = np.empty((len(scenarios), len(laws.SCOPES), 6))
    for i, sc in enumerate(scenarios):
        d = energy_draws(post, cat, traces, sc, queries, seed + i)
        for j, scope in enumerate(laws.SCOPES):
            e = np.exp(d[scope])
            med[:, :, i, j] = np.median(e, axis=1).reshape(C, D)
            quant[i, j] = [*np.percentile(e, [5, 25, 50, 75, 95]), e.mean()]
    coords = {"chain": post["chain"].values, "draw": post["draw"].values, "scenario": [f"{s.label}|{s.regime_label}" for s in scenarios],
              "scope": list(laws.SCOPES), "statistic": ["p5", "p25", "p50", "p75", "p95", "mean"],
              "model": ("scenario", [s.label for s in scenarios]), "regime": ("scenario", [s.regime_label for s in scenarios]),
              "hardware": ("scenario", [s.hardware for s in scenarios]), "serving": ("scenario", [s.serving for s in scenarios])}
    return xr.Dataset(
        {
            "median_query_energy": (("chain", "draw", "scenario", "scope"), med,
                                    {"units": "Wh", "long_name": "energy of the median query of the scenario, per posterior draw (parameter uncertainty)"}),
            "random_query_energy": (("scenario", "scope", "statistic"), quant,
                                    {"units": "Wh", "long_name": "quantiles of a random query's energy (per-query variation and parameter uncertainty)"}),
        },
        coords=coords,
        attrs={"queries_per_draw": queries, "concurrency_per_gpu": DEFAULT_CONCURRENCY,
               "deployment": "hyperscale", "note": "production serving on H100 unless the scenario says otherwise"},
    )
