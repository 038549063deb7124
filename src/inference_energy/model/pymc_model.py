"""The calibrated PyMC model: latent parameters and one likelihood term per row.

Groups of likelihood terms (``observations.py`` builds their arrays):

- throughput (ML.ENERGY configurations, TensorRT-LLM's tables, the paper's table,
  vendor and production figures): ln output tokens/s per GPU from the two-phase
  serving law (``laws.serving``), Student-t, noise scale per kind of source;
- median inter-token latency (ML.ENERGY): ln of the law's decode step time;
- GPU power fraction (ML.ENERGY): logit(power / TDP), Student-t;
- PUE by operator, pooled within its deployment class;
- reasoning lengths: model-level means around the long regime's lognormal mean;
- per-query energy disclosed for undisclosed models (Gemini, ChatGPT): the same
  law on a generic architecture of latent size, one term per disclosed component.

The efficiencies (``terms.py``) carry the priors: bandwidth and FLOP utilisation
by accelerator, serving kind, precision and model, partially pooled; the step
overhead; the power fraction.  Laws live in ``laws.py``, shared with the push-forward.
"""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc_extras.prior import Prior

from . import laws, terms
from .catalog import EFFICIENCY_TWIN
from .closed import deployment_size_prior
from .observations import SERVING, TASKS, TPU_OPERATORS, DEPLOYMENT_CLASSES, ModelData
from .priors import resolve

STUDENT_NU = 4.0
#: total / active parameters of an undisclosed deployment without disclosure models in the catalog.
CLOSED_TOTAL_RATIO = 5.0
REFERENCE_HARDWARE = "H100"
#: Serving kinds with their own efficiency offsets (steady state and unknown are the reference).
#: Disaggregated production shares production's offset: what disaggregation changes (prefill off
#: the decode GPUs) is in the law, through the phase a row counts.
SERVING_OFFSETS = ("vendor_max_benchmark", "vendor_benchmark", "production")
SHARED_OFFSET = {"production_disaggregated": "production"}
#: Spread between operators of the output speed per user (ln); the load factor's is learned (three services).
OPERATOR_SPEED_SPREAD = terms.OPERATOR_SPEED_SPREAD


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


def serving_offset_index() -> np.ndarray:
    """For each serving kind, its element of SERVING_OFFSETS (len(SERVING_OFFSETS): no offset)."""
    own = lambda s: SERVING_OFFSETS.index(s) if s in SERVING_OFFSETS else len(SERVING_OFFSETS)  # noqa: E731
    return np.array([own(SHARED_OFFSET.get(s, s)) for s in SERVING], dtype=int)


def _serving_effect(values):
    """Offsets over SERVING: 0 for steady state and unknown, ``values`` for SERVING_OFFSETS (and the kinds sharing them)."""
    return pt.concatenate([values, pt.zeros(1)])[serving_offset_index()]


def _pooled(name: str, sd, dims: str, centred: bool = False):
    """An effect whose spread is learned: centred where every element has many rows
    (catalog models; the data pin each one), else sd x z (accelerators, some without data)."""
    if centred:
        return pm.Normal(name, 0.0, sd, dims=dims)
    return pm.Deterministic(name, sd * pm.Normal(f"{name}_z", 0.0, 1.0, dims=dims), dims=dims)


#: A serving kind with fewer throughput rows than this shares the "other" noise scale: one
#: or two rows cannot identify a scale of their own (the sampler would walk its funnel).
NOISE_MIN_ROWS = 20
POINT_COLUMNS = ("model", "hardware", "replica_gpus", "batch", "serving", "task", "input", "cached", "output",
                 "weight_bytes", "kv_bytes")


#: Operators' production figures are each one configuration, measured over a day: the law's misfit
#: at a measured configuration is the steady-state scale (their stated sd adds to it), not the
#: "other" scale of heterogeneous vendor claims.
NOISE_SHARED = {"production": "steady_state", "production_disaggregated": "steady_state"}


def _noise_kind_of(md: ModelData) -> list[str]:
    return [NOISE_SHARED.get(SERVING[i], SERVING[i]) for i in md.throughput.array("serving", int)]


def noise_kinds(md: ModelData) -> list[str]:
    kinds_of = _noise_kind_of(md)
    counts = {k: kinds_of.count(k) for k in set(kinds_of)}
    kinds = [k for k, c in counts.items() if c >= NOISE_MIN_ROWS]
    return sorted(kinds) + (["other"] if len(counts) > len(kinds) else []) or ["steady_state"]


def _noise_index(md: ModelData, kinds: list[str]) -> np.ndarray:
    return np.array([kinds.index(k) if k in kinds else kinds.index("other") for k in _noise_kind_of(md)], dtype=int)


def _same_point(a, b) -> np.ndarray | None:
    """For each row of group ``b``, the row of ``a`` at the same operating point (None if any has none)."""
    key = lambda g, i: tuple(g.columns[c][i] for c in POINT_COLUMNS)  # noqa: E731
    index = {key(a, i): i for i in range(len(a))}
    rows = [index.get(key(b, i)) for i in range(len(b))]
    return None if any(r is None for r in rows) else np.array(rows, dtype=int)


def own_hardware(hardware: list[str]) -> list[str]:
    """Accelerators with effects of their own (an export twin shares its original's, catalog.EFFICIENCY_TWIN)."""
    return [h for h in hardware if h not in EFFICIENCY_TWIN or EFFICIENCY_TWIN[h] not in hardware]


def _over_hardware(values, hardware: list[str], own: list[str]):
    """A vector over own accelerators spread over all of them, each twin taking its original's value."""
    return values[[own.index(EFFICIENCY_TWIN.get(h, h) if h not in own else h) for h in hardware]]


def coords_for(md: ModelData) -> dict[str, list]:
    """PyMC coordinates: models, hardware, serving kinds, tasks, operators, observation rows."""
    cat = md.catalogs
    return {
        "model": cat.models,
        "hardware": cat.hardware,
        "hardware_own": own_hardware(cat.hardware),
        "hardware_offset": [h for h in own_hardware(cat.hardware) if h != REFERENCE_HARDWARE],
        "serving": list(SERVING),
        "serving_offset": list(SERVING_OFFSETS),
        "task": list(TASKS),
        "noise_kind": noise_kinds(md),
        "operator": md.operators,
        "deployment_class": list(DEPLOYMENT_CLASSES),
        "deployment": md.closed,
        "throughput_obs": md.throughput.ids,
        "itl_obs": md.itl.ids,
        "power_obs": md.power.ids,
        "pue_obs": md.pue.ids,
        "reasoning_obs": md.reasoning_means.ids,
        "energy_obs": md.energy.ids,
        "load_obs": md.load.ids,
        "speed_obs": md.speed.ids,
    }


def build_model(md: ModelData, priors: dict | None = None) -> pm.Model:
    """The PyMC model of ``md`` with default priors overridden by ``priors``."""
    p = resolve(priors)
    cat = md.catalogs
    if REFERENCE_HARDWARE not in cat.hardware:
        raise ValueError(f"the hardware catalog needs the reference accelerator {REFERENCE_HARDWARE}")
    coords = coords_for(md)
    with pm.Model(coords=coords) as model:
        # ---------------- serving efficiencies -----------------------------------------
        for name in ("eff_bw_intercept", "eff_bw_low_precision", "eff_bw_parallel_slope", "eff_compute_intercept",
                     "eff_compute_low_precision",
                     "step_overhead", "step_overhead_parallel_slope"):
            _rv(p, name)
        own = coords["hardware_own"]
        for kind in ("bw", "compute"):
            pm.Deterministic(f"eff_{kind}_hardware_effect",
                             _over_hardware(_rv(p, f"eff_{kind}_hardware", "hardware_own"), cat.hardware, own),
                             dims="hardware")
        _pooled("eff_bw_model_effect", _rv(p, "eff_bw_model_sd"), "model", centred=True)
        pm.Deterministic("eff_bw_serving_effect", _serving_effect(_rv(p, "eff_bw_serving", "serving_offset")),
                         dims="serving")
        pm.Deterministic("eff_compute_serving_effect",
                         _serving_effect(_rv(p, "eff_compute_serving", "serving_offset")), dims="serving")
        _rv(p, "vendor_batch_cap")
        _rv(p, "task_input_tokens", "task")
        noise = _rv(p, "throughput_noise", "noise_kind")
        itl_noise = _rv(p, "itl_noise")

        # ---------------- GPU power fraction -----------------------------------------
        q_h = _rv(p, "power_hardware", "hardware_offset")
        pm.Deterministic("power_hardware_effect",
                         _over_hardware(_with_reference(q_h, own, REFERENCE_HARDWARE), cat.hardware, own), dims="hardware")
        for name in ("power_intercept", "power_concurrency_slope", "power_size_slope", "power_low_precision",
                     "power_parallel_slope"):
            _rv(p, name)
        _pooled("power_model_effect", _rv(p, "power_model_sd"), "model", centred=True)
        f_noise = _rv(p, "power_noise")
        at = lambda name, index=None: model[name] if index is None else model[name][index]  # noqa: E731

        def law(g):
            m, h, arch, hw, op = terms.row_point(pt, at, cat, g)
            log_n = np.log(op["n_gpus"])
            eff = terms.efficiencies(pt, at, h, m, g.array("serving", int), g.array("low_precision"), log_n,
                                     terms.attention_layers(arch))
            return m, h, op, eff, laws.serving(pt, arch, hw, op, eff)

        t = md.throughput
        t_times = None
        if len(t):
            _, _, op, _, t_times = law(t)
            mu = laws.log_throughput_per_gpu(pt, t_times, op, t.array("phase", int))
            scale = pt.sqrt(noise[_noise_index(md, coords["noise_kind"])] ** 2 + t.array("sd") ** 2)
            pm.StudentT("throughput", nu=STUDENT_NU, mu=mu, sigma=scale, observed=t.array("y"), dims="throughput_obs")
        g = md.itl
        if len(g):
            # The latency rows are the throughput rows' configurations: evaluate the law once.
            rows = _same_point(t, g) if t_times is not None else None
            step = t_times["t_step"][rows] if rows is not None else law(g)[4]["t_step"]
            pm.StudentT("inter_token_latency", nu=STUDENT_NU, mu=pt.log(step), sigma=itl_noise,
                        observed=g.array("y"), dims="itl_obs")
        w = md.power
        if len(w):
            m, h = w.array("model", int), w.array("hardware", int)
            n = w.array("replica_gpus")
            mu_f = terms.power_logit(pt, at, h, m, w.array("low_precision"), np.log(n),
                                     np.log(w.array("batch") / n), cat.x_size[m])
            pm.StudentT("gpu_power_fraction", nu=STUDENT_NU, mu=mu_f, sigma=f_noise, observed=w.array("y"),
                        dims="power_obs")

        # ---------------- host, idle, PUE ---------------------------------------------
        kappa = _rv(p, "host_ratio")
        tpu_offset = _rv(p, "host_tpu_offset")
        phi = _realised_utilisation(md, p)
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
            _closed_deployments(model, md, p, at, kappa, tpu_offset, phi, z_op)
    return model


def _realised_utilisation(md: ModelData, p):
    """The production operating point: output speed per user, diurnal load, reserve, idle share.

    Capacity is provisioned for the peak plus a reserve margin; replicas follow the load, so
    the serving ones run at the operating point and the rest idle at a fraction of the power:
    the idle share of IT energy follows (``laws.idle_share``) instead of being a free parameter.
    """
    load = _rv(p, "diurnal_load")
    margin = _rv(p, "reserve_margin")
    ratio = _rv(p, "idle_power_ratio")
    phi = pm.Deterministic("idle_share", laws.idle_share(load / (1.0 + margin), ratio))
    spread = _rv(p, "load_operator_sd")
    if len(md.load):
        pm.Normal("load_factor", mu=pt.log(load / (1.0 - load)),
                  sigma=pt.sqrt(md.load.array("sd") ** 2 + spread ** 2), observed=md.load.array("y"), dims="load_obs")
    speed = _rv(p, "production_speed_log")
    if len(md.speed):
        pm.Normal("output_speed_per_user", mu=speed, sigma=np.sqrt(md.speed.array("sd") ** 2 + OPERATOR_SPEED_SPREAD ** 2),
                  observed=md.speed.array("y"), dims="speed_obs")
    return phi


def closed_size_priors(md: ModelData, p) -> np.ndarray:
    """Per deployment: mu and sigma of x = ln(active / 10 B) and ln(total / active), from its
    disclosure models in the closed catalog (``closed.DISCLOSURE_MODELS``), else the generic prior."""
    generic = p["closed_size"].parameters
    rows = []
    for d in md.closed:
        prior = deployment_size_prior(md.catalogs.closed_models, d)
        rows.append(prior if prior is not None else (generic["mu"], generic["sigma"], math.log(CLOSED_TOTAL_RATIO)))
    return np.array(rows, dtype=float).reshape(-1, 3)


def _size_and_length(p, mu_x, sd_x):
    """Size x and ln median output tokens of each deployment, with their priors, sampled along the
    disclosure's ridge: the data fix roughly x + ln L (energy ~ active parameters x tokens), not
    each.  So v = x + ln L is one coordinate and x given v the other (exactly the two independent
    priors, rotated); NUTS then meets an axis-aligned posterior instead of a diagonal ridge."""
    length = p["closed_output_tokens"].parameters
    mu_l, sd_l = length["mu"], length["sigma"]
    sd_v = np.sqrt(sd_x ** 2 + sd_l ** 2)
    v = mu_x + mu_l + sd_v * pm.Normal("closed_ridge_z", 0.0, 1.0, dims="deployment")
    share = sd_x ** 2 / sd_v ** 2  # regression of x on v
    x = pm.Deterministic("closed_size", mu_x + share * (v - mu_x - mu_l)
                         + sd_x * sd_l / sd_v * pm.Normal("closed_size_z", 0.0, 1.0, dims="deployment"), dims="deployment")
    return x, pm.Deterministic("closed_output_tokens", v - x, dims="deployment")


def _closed_deployments(model, md, p, at, kappa, tpu_offset, phi, z_op):
    """Disclosed per-query energy of undisclosed models: the same law on a generic architecture.

    Three latents per deployment: size (its prior from the disclosure models' cited ranges), median
    output length and its spread; its serving efficiencies are production serving's, shared with
    the catalog's production estimates (a provider offset of its own would lengthen the ridge
    between size and efficiency that one disclosure cannot cut: it cost divergences).  The accelerator
    (an H100-class node, fp8), batch and input length are held at typical values
    (``terms.CLOSED_*``): with one disclosure per deployment, more latents only lengthen the
    ridge the sampler must walk.
    """
    cat, e = md.catalogs, md.energy
    size = closed_size_priors(md, p)
    x_d, lout_d = _size_and_length(p, size[:, 0], size[:, 1])
    sig_d = _rv(p, "closed_output_sigma", "deployment")
    log_e_gpu = pm.Deterministic("closed_log_energy_gpu", terms.closed_log_energy_gpu(
        pt, at, cat, x_d, size[:, 2], lout_d, SERVING.index("production")), dims="deployment")
    tpu = np.array([d in TPU_OPERATORS for d in md.closed], dtype=float)
    d = e.array("deployment", int)
    o = e.array("pue_operator", int)
    mu_e = terms.closed_energy_terms(pt, log_e_gpu[d], pt.log(kappa) + tpu_offset * tpu[d], phi, z_op[o],
                                     terms.energy_codes(e.columns["component"], e.columns["scope"]))
    # Energy is close to linear in output length, so a disclosed mean sits exp(sigma^2 / 2) above the median.
    mean_shift = 0.5 * sig_d[d] ** 2 * e.array("mean")
    pm.Normal("energy_per_query", mu=mu_e + mean_shift, sigma=e.array("sd"), observed=e.array("y"), dims="energy_obs")
