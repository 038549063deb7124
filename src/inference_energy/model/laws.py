"""The serving laws of the calibrated model, written once for numpy and PyTensor.

Every function takes the array namespace ``xp`` (``numpy`` or
``pytensor.tensor``), so the likelihood (``pymc_model.py``), the undisclosed
deployments and the push-forward of posterior draws evaluate literally the same
expressions.  Units are SI: parameters, FLOPs, bytes, seconds, watts.

A replica of n GPUs serves B requests in flight (B = c n).  Per request of
L_in input tokens (L_c of them cached), L_out output tokens:

    F_pre  = 2 N_act L_new + 4 d_q sum_layers pairs(L_c, L_new)      [FLOP]  (L_new = L_in - L_c)
    t_pre  = (F_w / P + F_att / P_att) / (n eta_c)                   [s]     P: dense peak of the weights' precision,
                                                                             P_att: of the KV cache's (attention)
    bytes  = b_w N_touched(B) + B b_kv e_kv sum_layers ctx(L_ctx)     [B]     one decode step, L_ctx = L_in + L_out/2
    flops  = B (2 N_act + 4 d_q sum_layers ctx(L_ctx))                [FLOP]
    t_step = smoothmax(bytes / (n W eta_bw), (F_w/P + F_att/P_att) / (n eta_c)) + t_0    W: HBM bandwidth
    T      = t_pre + L_out t_step / B                                [s of replica time per request]
    TPS    = L_out / (n T)        (output tokens/s per GPU);   speed per user = L_out / (B T)
    E_gpu  = n TDP (f_pre t_pre + f_dec L_out t_step / B) / 3600     [Wh]
    f_pre  = 1 - (1 - eta_c)(1 - f_dec) >= eta_c                      (so E_pre >= TDP (F_w/P + F_att/P_att))

The efficiencies eta_c (prefill model-FLOP utilisation), eta_bw (HBM
bandwidth utilisation) lie in (0, 1) and the step overhead t_0 >= 0, so no
estimate can beat the hardware: prefill energy is at least the FLOP floor
TDP (F_w / P + F_att / P_att) >= TDP F_pre / P_max, and a decode step takes at least bytes / (n W).
Beyond the GPU: E_node = E_gpu (1 + kappa), E_it = E_node / (1 - phi), E_fac = E_it PUE.
"""

from __future__ import annotations

import math

SCOPES = ("gpu", "node", "it", "facility")
PHASES = ("prefill", "decode")
LN_3600 = math.log(3600.0)
#: Exponent of the smooth maximum between the bandwidth and compute times of a step.
SMOOTH_P = 4.0
#: Share of HBM left for the KV cache after weights (activations, fragmentation, CUDA graphs).
KV_MEMORY_SHARE = 0.9


def sigmoid(xp, x):
    return 1.0 / (1.0 + xp.exp(-x))


def log_smooth_max(xp, log_a, log_b, p=SMOOTH_P):
    """ln (a^p + b^p)^(1/p): the roofline's max, smooth so the sampler can move across it."""
    top = xp.maximum(log_a, log_b)
    return top + xp.log(xp.exp(p * (log_a - top)) + xp.exp(p * (log_b - top))) / p


def smooth_min(xp, a, b, p=SMOOTH_P):
    """(a^-p + b^-p)^(-1/p) for positive a, b: a soft cap of a at b."""
    return xp.exp(-log_smooth_max(xp, -xp.log(a), -xp.log(b), p))


def layer_context(xp, arch, context):
    """sum over attention layers of the keys each attends to: full layers see ``context``, windowed ones at most the window."""
    return arch["full_layers"] * context + arch["window_layers"] * xp.minimum(context, arch["window"])


def prefill_flops_split(xp, arch, new_tokens, cached_tokens):
    """(weight matmul, attention) FLOPs to prefill ``new_tokens`` after ``cached_tokens`` (causal attention)."""
    mean_keys = cached_tokens + 0.5 * new_tokens  # keys seen by an average new token
    return (2.0 * arch["active_params"] * new_tokens,
            4.0 * arch["q_dim"] * new_tokens * layer_context(xp, arch, mean_keys))


def prefill_flops(xp, arch, new_tokens, cached_tokens):
    """All FLOPs to prefill ``new_tokens`` after ``cached_tokens``."""
    weights, attention = prefill_flops_split(xp, arch, new_tokens, cached_tokens)
    return weights + attention


def compute_seconds(hw, weight_flops, attention_flops):
    """Seconds of one GPU at full peak: weight matmuls at the weights' precision, attention at the KV cache's."""
    return weight_flops / hw["peak_flops"] + attention_flops / hw["attention_flops"]


def touched_params(xp, arch, batch):
    """Weights one decode step reads: all of a dense model; for a MoE the shared part plus the experts hit by B tokens."""
    r = arch["expert_share"]  # routed experts active per token / routed experts (1 for dense)
    routed = arch["routed_params"]
    untouched = xp.exp(batch * xp.log(xp.maximum(1.0 - r, 1e-12)))
    return arch["total_params"] - routed * untouched


def kv_bytes_per_token(xp, arch, context, kv_bytes):
    """KV-cache bytes a request of ``context`` tokens holds (per token-layer: K and V elements x bytes)."""
    return kv_bytes * arch["kv_elements"] * layer_context(xp, arch, context)


def decode_step_bytes(xp, arch, batch, context, weight_bytes, kv_bytes):
    return weight_bytes * touched_params(xp, arch, batch) + batch * kv_bytes_per_token(xp, arch, context, kv_bytes)


def decode_step_flops_split(xp, arch, batch, context):
    """(weight matmul, attention) FLOPs of one decode step of ``batch`` requests at ``context`` tokens."""
    return batch * 2.0 * arch["active_params"], batch * 4.0 * arch["q_dim"] * layer_context(xp, arch, context)


def memory_batch(xp, arch, hw, n_gpus, context, weight_bytes, kv_bytes):
    """Requests whose KV cache fits in the replica's HBM beside the weights (at least 1)."""
    free = KV_MEMORY_SHARE * n_gpus * hw["hbm_bytes"] - weight_bytes * arch["total_params"]
    per_request = kv_bytes_per_token(xp, arch, context, kv_bytes)
    return xp.maximum(free / per_request, 1.0)


def serving(xp, arch, hw, op, eff):
    """Phase times of one request at an operating point.

    ``arch``: model architecture (``catalog.MODEL_FIELDS``); ``hw``: peak_flops (weight matmuls) and
    attention_flops [FLOP/s], bandwidth [B/s]; ``op``: n_gpus, batch (requests in flight per replica), input, cached,
    output tokens, weight_bytes, kv_bytes; ``eff``: eta_c, eta_bw, step_overhead [s].
    Returns t_pre, t_step [s] and the replica time per request T [s].
    """
    n, batch = op["n_gpus"], op["batch"]
    new = op["input"] - op["cached"]
    context = op["input"] + 0.5 * op["output"]
    t_pre = compute_seconds(hw, *prefill_flops_split(xp, arch, new, op["cached"])) / (n * eff["eta_c"])
    log_t_bw = xp.log(decode_step_bytes(xp, arch, batch, context, op["weight_bytes"], op["kv_bytes"])
                      / (n * hw["bandwidth"] * eff["eta_bw"]))
    log_t_c = xp.log(compute_seconds(hw, *decode_step_flops_split(xp, arch, batch, context)) / (n * eff["eta_c"]))
    t_step = xp.exp(log_smooth_max(xp, log_t_bw, log_t_c)) + eff["step_overhead"]
    return {"t_pre": t_pre, "t_step": t_step, "T": t_pre + op["output"] * t_step / batch}


def log_output_throughput_per_gpu(xp, times, op):
    """ln output tokens/s per GPU."""
    return xp.log(op["output"]) - xp.log(op["n_gpus"] * times["T"])


def log_throughput_per_gpu(xp, times, op, phase):
    """ln tokens/s per GPU that a row counts, by ``phase`` (observations.PHASE_OF_COMPONENT):
    0 output of the whole service, 1 output of a disaggregated service's decode GPUs alone
    (B / (n t_step)), 2 input of its prefill GPUs alone (L_in / (n t_pre), cache hits included)."""
    whole = log_output_throughput_per_gpu(xp, times, op)
    decode = xp.log(op["batch"]) - xp.log(op["n_gpus"] * times["t_step"])
    prefill = xp.log(op["input"]) - xp.log(op["n_gpus"] * times["t_pre"])
    return xp.where(phase == 0, whole, xp.where(phase == 1, decode, prefill))


def idle_share(load, idle_power_ratio):
    """Share of IT energy drawn by provisioned capacity that is not serving.

    ``load``: average load over provisioned capacity; ``idle_power_ratio``: power of an idle
    server over a serving one.  Idle (1 - load) of the capacity at r of the power of the
    serving ``load``: phi = (1 - load) r / (load + (1 - load) r).
    """
    idle = (1.0 - load) * idle_power_ratio
    return idle / (load + idle)


def output_speed_per_user(xp, times, op):
    """Output tokens/s one user sees (interactivity), prefill of other requests included."""
    return op["output"] / (op["batch"] * times["T"])


def phase_energy_gpu_wh(xp, times, op, tdp_w, decode_fraction, eta_c):
    """GPU energy per request by phase [Wh]: prefill at f_pre >= eta_c of TDP, decode at f_dec."""
    f_pre = 1.0 - (1.0 - eta_c) * (1.0 - decode_fraction)
    prefill = op["n_gpus"] * tdp_w * f_pre * times["t_pre"] / 3600.0
    decode = op["n_gpus"] * tdp_w * decode_fraction * op["output"] * times["t_step"] / op["batch"] / 3600.0
    return {"prefill": prefill, "decode": decode}


def scope_log_factors(xp, kappa, idle_share, pue):
    """ln(E_scope / E_gpu) for node, IT and facility: each boundary adds a positive term."""
    node = xp.log1p(kappa)
    it = node - xp.log1p(-idle_share)
    return {"gpu": 0.0 * node, "node": node, "it": it, "facility": it + xp.log(pue)}


def lognormal_mixture_log_mean(xp, weight_second, mu, sigma, power=1.0):
    """ln E[L^power] for a two-component lognormal mixture (closed form).

    ``mu`` and ``sigma`` are pairs (first, second); the second weight is given.
    """
    m1 = power * mu[0] + 0.5 * (power * sigma[0]) ** 2
    m2 = power * mu[1] + 0.5 * (power * sigma[1]) ** 2
    top = xp.maximum(m1, m2)
    return top + xp.log((1 - weight_second) * xp.exp(m1 - top) + weight_second * xp.exp(m2 - top))
