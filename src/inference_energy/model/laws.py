"""The physical laws of the calibrated model, written once for numpy and PyTensor.

Every function takes the array namespace ``xp`` (``numpy`` or
``pytensor.tensor``), so the PyMC model (``model.py``) and the push-forward of
posterior draws (``pushforward.py``) evaluate literally the same expressions.

Notation (per GPU; c = requests in flight per GPU):

    ln TPS   = ln T_max - ln(1 + c0 / c) + b_in ln(L_in / 1000) + b_out ln(L_out / 300) + offsets
    logit f  = q0 + q_h + q1 ln c + ...                (GPU power as a fraction of TDP)
    E_gpu    = TDP f L_out / TPS / 3600                [Wh per query]
    E_node   = E_gpu (1 + kappa)                       (host CPU, DRAM, NIC, fans)
    E_it     = E_node / (1 - phi)                      (idle and reserve capacity)
    E_fac    = E_it  PUE,  PUE = 1 + exp(z)
"""

from __future__ import annotations

#: Reference lengths of the throughput law (tokens).
REF_INPUT_TOKENS = 1000.0
REF_OUTPUT_TOKENS = 300.0
#: Reference model size for the size covariate (billions of active parameters).
REF_ACTIVE_B = 10.0
SCOPES = ("gpu", "node", "it", "facility")


def saturation(xp, log_concurrency, log_c0):
    """ln of the fraction of peak throughput reached at concurrency c: -ln(1 + c0/c).

    Throughput per GPU rises linearly with the batch while decode is memory
    bound and saturates once compute binds (ML.ENERGY's sweeps show both).
    """
    return -xp.log1p(xp.exp(log_c0 - log_concurrency))


def log_energy_gpu_wh(xp, log_tdp_w, power_fraction_logit, log_output_tokens, log_throughput):
    """ln E_gpu [Wh] = ln(TDP f) + ln L_out - ln TPS - ln 3600."""
    log_f = -xp.log1p(xp.exp(-power_fraction_logit))
    return log_tdp_w + log_f + log_output_tokens - log_throughput - 8.188689124591891  # ln 3600


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
