"""How the parameters become the law's efficiencies and power fraction, written once.

The likelihood (``pymc_model.py``) and the push-forward (``posterior/``) both
call these with an accessor ``at(name, index=None)`` that returns parameter
``name`` (its element ``index`` along the catalog dimension): a PyTensor
variable inside the model, an array of posterior draws outside it.  With the
laws (``laws.py``) they are the whole prediction of a serving row.
"""

from __future__ import annotations

import math

import numpy as np

from . import laws
from .catalog import REF_ACTIVE_B, generic_architecture_xp

#: Power-fraction law reference: 32 requests in flight per GPU.
POWER_REF_LOG_CONCURRENCY = math.log(32.0)
#: The step overhead prior is per 64 layers.
OVERHEAD_REF_LAYERS = 64.0
#: Tensor parallelism stops at the scale-up domain of a node (8 GPUs on HGX, and every
#: calibration row has at most 8 GPUs per replica): a larger replica adds expert or data
#: parallelism, whose per-step cost the slopes fitted on TP <= 8 do not describe, so their
#: effect is held at its 8-GPU value beyond it (docs/limitations.md).
MAX_TP_LOG_GPUS = math.log(8.0)
#: Spread between operators of ln output tokens/s per user, fixed: one operator (DeepSeek) publishes
#: it, so a learned spread would be its prior.
OPERATOR_SPEED_SPREAD = 0.3


def parallel_log_gpus(xp, log_n):
    """ln of the GPUs the communication slopes see: the replica's, at most 8."""
    return xp.minimum(log_n, MAX_TP_LOG_GPUS)


def efficiencies(xp, at, h, m, s, low_precision, log_n, layers):
    """eta_c, eta_bw in (0, 1) and the step overhead t_0 [s] of accelerator h, model m, serving kind s.

    ``m=None``: a model outside the catalog (its effect is the caller's to add, or 0).
    """
    log_n = parallel_log_gpus(xp, log_n)
    logit_bw = (at("eff_bw_intercept") + at("eff_bw_hardware_effect", h) + at("eff_bw_serving_effect", s)
                + at("eff_bw_low_precision") * low_precision + at("eff_bw_parallel_slope") * log_n)
    if m is not None:
        logit_bw = logit_bw + at("eff_bw_model_effect", m)
    logit_c = (at("eff_compute_intercept") + at("eff_compute_hardware_effect", h) + at("eff_compute_serving_effect", s)
               + at("eff_compute_low_precision") * low_precision)
    overhead = (at("step_overhead") * xp.exp(at("step_overhead_parallel_slope") * log_n)
                * layers / OVERHEAD_REF_LAYERS)
    return {"eta_bw": laws.sigmoid(xp, logit_bw), "eta_c": laws.sigmoid(xp, logit_c), "step_overhead": overhead}


def power_logit(xp, at, h, m, low_precision, log_n, log_concurrency, x_size):
    """logit of decode GPU power / TDP at ``log_concurrency`` requests per GPU."""
    log_n = parallel_log_gpus(xp, log_n)
    logit = (at("power_intercept") + at("power_hardware_effect", h)
             + at("power_concurrency_slope") * (log_concurrency - POWER_REF_LOG_CONCURRENCY)
             + at("power_size_slope") * x_size + at("power_low_precision") * low_precision
             + at("power_parallel_slope") * log_n)
    if m is not None:
        logit = logit + at("power_model_effect", m)
    return logit


def row_point(xp, at, cat, g):
    """Architecture, accelerator and operating point of every row of a calibration group ``g``.

    A row without published input length takes its task's latent length; a row without a batch
    (a vendor maximum) runs at as many requests as fit, up to the stack's cap.  Returns
    (model index, hardware index, arch, hw, op) for ``laws.serving``.
    """
    m, h = g.array("model", int), g.array("hardware", int)
    arch = {k: v[m] for k, v in cat.model_arrays.items()}
    task = g.array("task", int)
    inp = g.array("input")
    if (task >= 0).any():
        inp = xp.where(task >= 0, at("task_input_tokens", np.maximum(task, 0)), inp)
    n = g.array("replica_gpus")
    batch = g.array("batch")
    op = {"n_gpus": n, "input": inp, "cached": g.array("cached"), "output": g.array("output"),
          "weight_bytes": g.array("weight_bytes"), "kv_bytes": g.array("kv_bytes"), "batch": batch}
    hw = {"peak_flops": g.array("peak_flops"), "attention_flops": g.array("attention_flops"),
          "bandwidth": cat.hardware_arrays["bandwidth"][h], "hbm_bytes": cat.hardware_arrays["hbm_bytes"][h]}
    if (batch <= 0).any():
        fit = laws.memory_batch(xp, arch, hw, n, inp + op["output"], op["weight_bytes"], op["kv_bytes"])
        op["batch"] = xp.where(batch > 0, batch, laws.smooth_min(xp, at("vendor_batch_cap") * n, fit))
    return m, h, arch, hw, op


def new_operator_idle_share(xp, at, z):
    """Idle share of IT energy of an operator drawn from the fleet's spread (``z`` standard normal):
    its average/peak load around the fitted one, the reserve margin and idle power ratio as fitted."""
    load = at("diurnal_load")
    load = laws.sigmoid(xp, xp.log(load / (1.0 - load)) + at("load_operator_sd") * z)
    return laws.idle_share(load / (1.0 + at("reserve_margin")), at("idle_power_ratio"))


def attention_layers(arch):
    return arch["full_layers"] + arch["window_layers"]


# --- undisclosed-model deployments (Gemini, ChatGPT) ---------------------------------------
#: What is held fixed, each a typical value: requests in flight per accelerator, one H100-class
#: node per replica at fp8 (weights and KV cache), input tokens.
CLOSED_CONCURRENCY = 32.0
CLOSED_GPUS = 8.0
CLOSED_INPUT_TOKENS = 1000.0
CLOSED_HARDWARE = "H100"
#: Components of a disclosed per-query breakdown and scopes of a total, in code order.
ENERGY_TERMS = ("gpu", "node", "it", "facility", "accelerator", "host", "idle", "overhead")


def closed_log_energy_gpu(xp, at, cat, x, log_ratio, log_output, serving):
    """ln GPU energy [Wh] of the median query of a closed deployment: the law on a generic
    architecture of x = ln(active / 10 B) and ln(total / active) on an H100-class node."""
    active = 1e9 * REF_ACTIVE_B * xp.exp(x)
    arch = generic_architecture_xp(xp, active, xp.exp(log_ratio) * active)
    h = cat.hardware.index(CLOSED_HARDWARE)
    hw = cat.hw(h, "fp8", 1.0)
    op = {"n_gpus": CLOSED_GPUS, "batch": CLOSED_CONCURRENCY * CLOSED_GPUS, "input": CLOSED_INPUT_TOKENS,
          "cached": 0.0, "output": xp.exp(log_output), "weight_bytes": 1.0, "kv_bytes": 1.0}
    log_n = math.log(CLOSED_GPUS)
    eff = efficiencies(xp, at, h, None, serving, 1.0, log_n, attention_layers(arch))
    times = laws.serving(xp, arch, hw, op, eff)
    f_dec = laws.sigmoid(xp, power_logit(xp, at, h, None, 1.0, log_n, math.log(CLOSED_CONCURRENCY), x))
    phase = laws.phase_energy_gpu_wh(xp, times, op, float(np.exp(cat.log_tdp[h])), f_dec, eff["eta_c"])
    return xp.log(phase["prefill"] + phase["decode"])


def closed_energy_terms(xp, log_gpu, log_host_ratio, idle_share, pue_log_excess, codes):
    """ln Wh of each disclosed figure: a total at its scope or one component of the breakdown.

    Arguments are per row (already indexed by the row's deployment and operator); ``codes`` index
    ``ENERGY_TERMS``.  Node = GPU (1 + kappa), IT = node / (1 - phi), facility = IT x PUE.
    """
    log_node = log_gpu + xp.log1p(xp.exp(log_host_ratio))
    log_it = log_node - xp.log1p(-idle_share)
    terms = (log_gpu, log_node, log_it, log_it + xp.log1p(xp.exp(pue_log_excess)),
             log_gpu, log_gpu + log_host_ratio, log_it + xp.log(idle_share), log_it + pue_log_excess)
    out = 0.0 * log_gpu
    for c, term in enumerate(terms):
        out = out + (codes == c) * term
    return out


def energy_codes(components, scopes) -> np.ndarray:
    return np.array([ENERGY_TERMS.index(sc if comp in (None, "total") else comp)
                     for comp, sc in zip(components, scopes)], dtype=int)
