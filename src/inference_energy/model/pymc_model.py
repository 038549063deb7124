"""The calibrated PyMC model: latent parameters and one likelihood term per row.

Groups of likelihood terms (``observations.py`` builds their arrays):

- throughput (ML.ENERGY configurations, the paper's table, vendor and production
  figures): ln tokens/s per GPU, Student-t, noise scale per kind of source;
- GPU power fraction (ML.ENERGY): logit(power / TDP), Student-t;
- PUE by operator, pooled within its deployment class;
- reasoning lengths: model-level means around the long regime's lognormal mean
  (trace-based regimes are the traces' own quantile functions: ``tokens.py``);
- per-query energy disclosed for undisclosed models (Gemini, ChatGPT): a latent
  deployment whose size, accelerator, lengths and batch have priors, with one
  term per disclosed component at its scope.

Laws live in ``laws.py`` and are shared with the push-forward.
"""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc_extras.prior import Prior

from . import laws
from .observations import (POWER_REF_LOG_CONCURRENCY, SERVING, TPU_OPERATORS, WORKLOADS,
                           DEPLOYMENT_CLASSES, ModelData)
from .priors import resolve

STUDENT_NU = 4.0
CLOSED_CONCURRENCY = 64.0  # requests per accelerator assumed for undisclosed deployments
CLOSED_TOTAL_RATIO = 5.0  # total / active parameters assumed for undisclosed (MoE) models
REFERENCE_HARDWARE = "H100"


def _rv(priors: dict[str, Prior], name: str, dims=None, rename: str | None = None):
    prior = priors[name]
    if dims is not None:
        prior = prior.deepcopy()
        prior.dims = dims if isinstance(dims, tuple) else (dims,)
    return prior.create_variable(rename or name)


def _with_reference(values, names: list[str], reference: str):
    """A vector over ``names`` that is 0 at ``reference`` and ``values`` elsewhere."""
    idx = [i for i, n in enumerate(names) if n != reference]
    return pt.set_subtensor(pt.zeros(len(names))[idx], values)


def coords_for(md: ModelData) -> dict[str, list]:
    """PyMC coordinates: models, hardware (and its non-reference offsets), operators, observation rows."""
    cat = md.catalogs
    return {
        "model": cat.models,
        "hardware": cat.hardware,
        "hardware_offset": [h for h in cat.hardware if h != REFERENCE_HARDWARE],
        "workload_offset": list(WORKLOADS[1:]),
        "serving": list(SERVING),
        "noise_kind": sorted({SERVING[i] for i in md.throughput.array("serving", int)}) or ["steady_state"],
        "operator": md.operators,
        "deployment_class": list(DEPLOYMENT_CLASSES),
        "deployment": md.closed,
        "throughput_obs": md.throughput.ids,
        "power_obs": md.power.ids,
        "pue_obs": md.pue.ids,
        "reasoning_obs": md.reasoning_means.ids,
        "energy_obs": md.energy.ids,
    }


def build_model(md: ModelData, priors: dict | None = None) -> pm.Model:
    """The PyMC model of ``md`` with default priors overridden by ``priors``."""
    p = resolve(priors)
    cat = md.catalogs
    if REFERENCE_HARDWARE not in cat.hardware:
        raise ValueError(f"the hardware catalog needs the reference accelerator {REFERENCE_HARDWARE}")
    coords = coords_for(md)
    with pm.Model(coords=coords) as model:
        # ---------------- throughput ------------------------------------------------
        a0 = _rv(p, "tps_intercept")
        a1 = _rv(p, "tps_size_slope")
        a2 = _rv(p, "tps_total_ratio_slope")
        a3 = _rv(p, "tps_moe")
        # Accelerator speed: the HBM-bandwidth ratio to H100 (hardware.csv) times a deviation.
        ref = cat.hardware.index(REFERENCE_HARDWARE)
        bandwidth_ratio = pt.as_tensor(cat.log_bandwidth - cat.log_bandwidth[ref])
        g_h = pm.Deterministic("tps_hardware_effect", bandwidth_ratio + _with_reference(
            _rv(p, "tps_hardware", "hardware_offset"), cat.hardware, REFERENCE_HARDWARE), dims="hardware")
        lp = _rv(p, "tps_low_precision")
        par = _rv(p, "tps_parallel_slope")
        w_eff = pt.concatenate([pt.zeros(1), _rv(p, "tps_workload", "workload_offset")])  # chat = 0
        b_in = _rv(p, "tps_input_slope")
        b_out = _rv(p, "tps_output_slope")
        sigma_m = _rv(p, "tps_model_sd")
        # Centred: every catalog model has many rows, so the data pin each effect
        # and the centred form samples better than the non-centred one.
        model_eff = pm.Normal("tps_model_effect", 0.0, sigma_m, dims="model")
        k0 = _rv(p, "saturation_log_c0")
        k1 = _rv(p, "saturation_size_slope")
        r_vmax = _rv(p, "serving_vendor_max")
        r_vendor = _rv(p, "serving_vendor")
        r_prod = _rv(p, "serving_production")
        r_dis = _rv(p, "serving_disaggregated")
        r_dis_moe = _rv(p, "serving_disaggregated_moe")
        serving_base = pt.stack([0.0, r_vmax, r_vendor, r_prod, r_prod + r_dis, 0.0])
        noise = _rv(p, "tps_noise", "noise_kind")

        log_peak_m = a0 + a1 * cat.x_size + a2 * cat.x_ratio + a3 * cat.moe + model_eff
        log_c0_m = k0 + k1 * cat.x_size

        t = md.throughput
        if len(t):
            m, h, s = t.array("model", int), t.array("hardware", int), t.array("serving", int)
            mu = (log_peak_m[m] + g_h[h] + lp * t.array("low_precision") + par * t.array("log_n")
                  + w_eff[t.array("workload", int)] + b_in * t.array("log_in") + b_out * t.array("log_out")
                  + serving_base[s] + r_dis_moe * cat.moe[m] * (s == SERVING.index("production_disaggregated"))
                  + (1 - t.array("saturated")) * laws.saturation(pt, t.array("log_c"), log_c0_m[m]))
            kind = np.array([coords["noise_kind"].index(SERVING[i]) for i in s])
            scale = pt.sqrt(noise[kind] ** 2 + t.array("sd") ** 2)
            pm.StudentT("throughput", nu=STUDENT_NU, mu=mu, sigma=scale, observed=t.array("y"), dims="throughput_obs")

        # ---------------- GPU power fraction -----------------------------------------
        q0 = _rv(p, "power_intercept")
        q_h = pm.Deterministic("power_hardware_effect", _with_reference(
            _rv(p, "power_hardware", "hardware_offset"), cat.hardware, REFERENCE_HARDWARE), dims="hardware")
        q1 = _rv(p, "power_concurrency_slope")
        q2 = _rv(p, "power_size_slope")
        q3 = _rv(p, "power_low_precision")
        q4 = _rv(p, "power_parallel_slope")
        sigma_z = _rv(p, "power_model_sd")
        zeta = pm.Normal("power_model_effect", 0.0, sigma_z, dims="model")
        f_noise = _rv(p, "power_noise")
        w = md.power
        if len(w):
            m, h = w.array("model", int), w.array("hardware", int)
            mu_f = (q0 + q_h[h] + q1 * (w.array("log_c") - POWER_REF_LOG_CONCURRENCY) + q2 * cat.x_size[m]
                    + q3 * w.array("low_precision") + q4 * w.array("log_n") + zeta[m])
            pm.StudentT("gpu_power_fraction", nu=STUDENT_NU, mu=mu_f, sigma=f_noise, observed=w.array("y"),
                        dims="power_obs")

        # ---------------- host, idle, PUE ---------------------------------------------
        kappa = _rv(p, "host_ratio")
        tpu_offset = _rv(p, "host_tpu_offset")
        phi = _rv(p, "idle_share")
        z_class = pt.stack([_rv(p, "pue_hyperscale"), _rv(p, "pue_typical")])
        tau = _rv(p, "pue_operator_sd")
        z_op = None
        if md.operators:
            eps = pm.Normal("pue_operator_z", 0.0, 1.0, dims="operator")
            z_op = pm.Deterministic("pue_operator_log_excess", z_class[md.operator_class] + tau * eps, dims="operator")
            pm.Deterministic("pue_operator", 1 + pt.exp(z_op), dims="operator")
        if len(md.pue):
            pm.Normal("pue", mu=z_op[md.pue.array("operator", int)], sigma=md.pue.array("sd"),
                      observed=md.pue.array("y"), dims="pue_obs")

        # ---------------- long (test-time scaling) output lengths --------------------
        long_mu = _rv(p, "long_output_log_median")
        long_sigma = _rv(p, "long_output_sigma")
        long_sd = _rv(p, "long_model_sd")
        rm = md.reasoning_means
        if len(rm):
            pm.Normal("reasoning_log_mean", mu=long_mu + 0.5 * long_sigma ** 2,
                      sigma=pt.sqrt(rm.array("sd") ** 2 + long_sd ** 2), observed=rm.array("y"), dims="reasoning_obs")

        # ---------------- undisclosed-model deployments ------------------------------
        e = md.energy
        if len(e):
            # Three latents per deployment: size, an efficiency offset (accelerator, serving
            # stack and the model's own effect, which no data separate) and median output
            # length.  Batch (64 per accelerator), input length (1000) and total/active
            # ratio (5) are held at typical values: with one disclosure per deployment,
            # more latents only lengthen the ridge the sampler must walk.
            x_d = _rv(p, "closed_size", "deployment")
            g_d = _rv(p, "closed_efficiency", "deployment")
            lout_d = _rv(p, "closed_output_tokens", "deployment")
            sig_d = _rv(p, "closed_output_sigma", "deployment")
            log_n, log_c = math.log(8.0), math.log(CLOSED_CONCURRENCY)
            log_tps = (a0 + a1 * x_d + a2 * math.log(CLOSED_TOTAL_RATIO) + a3 + g_d + lp + par * log_n
                       + b_out * (lout_d - math.log(laws.REF_OUTPUT_TOKENS)) + r_prod
                       + laws.saturation(pt, log_c, k0 + k1 * x_d))
            logit_f = q0 + q1 * (log_c - POWER_REF_LOG_CONCURRENCY) + q2 * x_d + q3 + q4 * log_n
            log_e_gpu = pm.Deterministic("closed_log_energy_gpu", laws.log_energy_gpu_wh(
                pt, math.log(700.0), logit_f, lout_d, log_tps), dims="deployment")
            tpu = np.array([d in TPU_OPERATORS for d in md.closed], dtype=float)
            kappa_d = kappa * pt.exp(tpu_offset * tpu)
            d = e.array("deployment", int)
            o = e.array("pue_operator", int)
            log_node = log_e_gpu[d] + pt.log1p(kappa_d[d])
            log_it = log_node - pt.log1p(-phi)
            components = {
                "total": None,
                "accelerator": log_e_gpu[d],
                "host": log_e_gpu[d] + pt.log(kappa_d[d]),
                "idle": log_it + pt.log(phi),
                "overhead": log_it + z_op[o],
            }
            by_scope = {"gpu": log_e_gpu[d], "node": log_node, "it": log_it,
                        "facility": log_it + pt.log1p(pt.exp(z_op[o]))}
            mu_e = pt.zeros(len(e))
            for i, (comp, scope) in enumerate(zip(e.columns["component"], e.columns["scope"])):
                term = by_scope[scope] if comp == "total" else components[comp]
                mu_e = pt.set_subtensor(mu_e[i], term[i])
            mean_shift = 0.5 * ((1 - b_out) * sig_d[d]) ** 2 * e.array("mean")
            pm.Normal("energy_per_query", mu=mu_e + mean_shift, sigma=e.array("sd"), observed=e.array("y"),
                      dims="energy_obs")
    return model
