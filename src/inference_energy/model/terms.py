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

#: Power-fraction law reference: 32 requests in flight per GPU.
POWER_REF_LOG_CONCURRENCY = math.log(32.0)
#: The step overhead prior is per 64 layers.
OVERHEAD_REF_LAYERS = 64.0
#: Tensor parallelism stops at the scale-up domain of a node (8 GPUs on HGX, and every
#: calibration row has at most 8 GPUs per replica): a larger replica adds expert or data
#: parallelism, whose per-step cost the slopes fitted on TP <= 8 do not describe, so their
#: effect is held at its 8-GPU value beyond it (docs/limitations.md).
MAX_TP_LOG_GPUS = math.log(8.0)


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


def attention_layers(arch):
    return arch["full_layers"] + arch["window_layers"]
