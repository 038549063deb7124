"""Default priors of the calibrated model, each with the reason it has that shape.

Priors are ``pymc_extras.prior.Prior`` objects keyed by name.  Override any of
them from Python (``build_model(..., priors={"host_ratio": Prior(...)})``) or
from a JSON file of ``{name: Prior.to_dict()}`` entries (``--priors FILE``).
Log-scale parameters are natural logs; "x" below is ln(active params / 10 B).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pymc_extras.prior import Prior

LN = math.log


def _p(dist: str, reason: str, **kw) -> tuple[Prior, str]:
    return Prior(dist, **kw), reason


#: name -> (prior, reason).  Dims are attached by the model where a prior is a vector.
PRIOR_TABLE: dict[str, tuple[Prior, str]] = {
    # --- serving law: efficiencies (logit scale) and overheads ---------------
    "eff_bw_intercept": _p("Normal", "logit of the HBM-bandwidth utilisation of decode under vLLM at steady state: "
                           "well-tuned kernels reach 60-80 % of peak bandwidth; centred at 0.5, wide", mu=0.0, sigma=1.0),
    "eff_bw_hardware": _p("Normal", "logit offset of an accelerator's bandwidth utilisation (software maturity, "
                          "cache sizes). A fixed spread, not a learned one: four accelerators have data, so a learned "
                          "spread would be a funnel. 0.8 because the four fitted ones spread over 1.2 (H100 +0.8, "
                          "B200 -0.4) and a leave-B200-out refit at 0.5 covered 72 % of its rows; an accelerator "
                          "without data keeps this prior", mu=0.0, sigma=0.8),
    "eff_bw_model_sd": _p("HalfNormal", "spread of models (kernels, attention type, what the catalog's architecture "
                          "leaves out)", sigma=0.5),
    "eff_bw_low_precision": _p("Normal", "8- and 4-bit kernels reach a different share of bandwidth (dequantisation)",
                               mu=0.0, sigma=0.5),
    "eff_bw_parallel_slope": _p("Normal", "per ln(GPUs per replica): tensor-parallel communication lowers the "
                                "share of each GPU's bandwidth put to use", mu=-0.2, sigma=0.3),
    "eff_bw_serving": _p("Normal", "logit offset of the bandwidth utilisation of a serving kind over vLLM at steady "
                         "state (vendor maximum, vendor, production, disaggregated): tuned stacks do better",
                         mu=0.3, sigma=0.7),
    "eff_compute_intercept": _p("Normal", "logit of the model-FLOP utilisation of prefill and compute-bound decode: "
                                "published MFU of inference prefill is 30-60 %", mu=-0.4, sigma=1.0),
    "eff_compute_low_precision": _p("Normal", "8- and 4-bit matmuls reach a smaller share of their (2-4x higher) "
                                    "peak: scaling, dequantisation and the unchanged elementwise work", mu=0.0, sigma=0.7),
    "eff_compute_hardware": _p("Normal", "logit offset of an accelerator's FLOP utilisation (fixed spread, as above)",
                               mu=0.0, sigma=0.8),
    "eff_compute_serving": _p("Normal", "logit offset of the FLOP utilisation of a serving kind over vLLM: "
                              "both use the same class of GEMM and attention kernels, so close to 0. Kept tight "
                              "because a benchmark's unpublished (and prefix-cached) prompt lengths and its FLOP "
                              "utilisation enter prefill time only as their ratio", mu=0.0, sigma=0.3),
    "step_overhead": _p("LogNormal", "fixed time of one decode step per 64 layers (scheduling, kernel launches, "
                        "sampling), seconds: ~3 ms for vLLM", mu=LN(0.003), sigma=1.0),
    "step_overhead_parallel_slope": _p("Normal", "per ln(GPUs per replica): all-reduces add to the step time",
                                       mu=0.3, sigma=0.3),
    "vendor_batch_cap": _p("LogNormal", "requests in flight per GPU of a vendor maximum-throughput run when the KV "
                           "cache does not bind (TensorRT-LLM's max batch is 2048 per engine)", mu=LN(256), sigma=1.0),
    "task_input_tokens": _p("LogNormal", "uncached input tokens per request of a benchmark task whose prompts "
                            "are not published (ML.ENERGY chat, GPQA, code completion; vLLM caches shared prefixes): "
                            "a few hundred to a few thousand", mu=LN(1000), sigma=1.0),
    "throughput_noise": _p("HalfNormal", "Student-t (nu=4) scale of ln throughput, per kind of source", sigma=0.3),
    "itl_noise": _p("HalfNormal", "Student-t (nu=4) scale of ln median inter-token latency", sigma=0.3),
    # --- GPU power fraction (logit of power / TDP) --------------------------
    "power_intercept": _p("Normal", "logit of GPU power / TDP at 32 requests per GPU; ML.ENERGY's median is 0.74",
                          mu=1.0, sigma=1.0),
    "power_concurrency_slope": _p("Normal", "power rises with the batch", mu=0.3, sigma=0.3),
    "power_hardware": _p("Normal", "hardware offset of the power fraction", mu=0.0, sigma=0.5),
    "power_size_slope": _p("Normal", "size effect on the power fraction", mu=0.0, sigma=0.3),
    "power_low_precision": _p("Normal", "precision effect on the power fraction", mu=0.0, sigma=0.3),
    "power_parallel_slope": _p("Normal", "GPUs per replica: more communication, less power per GPU", mu=0.0, sigma=0.3),
    "power_model_sd": _p("HalfNormal", "spread of models in the power fraction", sigma=0.5),
    "power_noise": _p("HalfNormal", "Student-t (nu=4) scale on the logit scale", sigma=0.3),
    # --- node, IT, facility ---------------------------------------------------
    "host_ratio": _p("LogNormal", "host CPU, DRAM, NIC and fan power / GPU power while serving. Node-level "
                     "measurements of GPU servers are scarce: DGX H100's non-GPU maximum is 0.82 of GPU TDP "
                     "(10.2 - 5.6 kW), a serving node draws less; centred at 0.35. Only Google's TPU breakdown "
                     "(host/accelerator 0.43) speaks to it", mu=LN(0.35), sigma=0.5),
    "host_tpu_offset": _p("Normal", "ln offset of a TPU host ratio from a GPU host ratio", mu=0.0, sigma=0.3),
    # --- realised utilisation of a production fleet ------------------------------
    "diurnal_load": _p("Beta", "average over peak load of a production fleet over a day: services with users in "
                       "many time zones run 0.5-0.9 of their peak; mean 0.67", alpha=6.0, beta=3.0),
    "load_operator_sd": _p("HalfNormal", "spread between services of logit(average / peak load): a chat service "
                           "and a coding one with a weekend trough differ by ~1", sigma=1.0),
    "reserve_margin": _p("LogNormal", "capacity provisioned beyond the daily peak, as a share of it (failover, "
                         "spikes, N+1): a few to ~40 %; median 0.15", mu=LN(0.15), sigma=0.6),
    "idle_power_ratio": _p("Beta", "power of a provisioned server that serves nothing over one that serves: idle "
                           "GPUs draw 10-20 % of TDP, an idle host 30-50 % of its peak; mean 0.33", alpha=3.0, beta=6.0),
    "production_speed_log": _p("Normal", "ln output tokens/s per user of a production service (its operating point): "
                               "chat services show 20-100 tokens/s; median 30", mu=LN(30.0), sigma=0.7),
    "pue_hyperscale": _p("Normal", "ln(PUE - 1) of hyperscale operators: PUE ~1.12", mu=LN(0.12), sigma=0.5),
    "pue_typical": _p("Normal", "ln(PUE - 1) of typical data centres: PUE ~1.5", mu=LN(0.5), sigma=0.5),
    "pue_operator_sd": _p("HalfNormal", "spread of operators within a class on ln(PUE - 1)", sigma=0.3),
    # --- token lengths ----------------------------------------------------------
    "long_output_log_median": _p("Normal", "ln median output tokens of long (test-time scaling) queries; the paper "
                                 "assumed 5000", mu=LN(5000), sigma=1.0),
    "long_output_sigma": _p("LogNormal", "log-sd of long outputs: means alone do not identify it, so this prior "
                            "decides the spread of long queries", mu=LN(0.8), sigma=0.3),
    "long_model_sd": _p("HalfNormal", "spread of models' mean reasoning length", sigma=0.5),
    # --- undisclosed-model deployments (Gemini, ChatGPT) ------------------------
    "closed_size": _p("Normal", "x = ln(active / 10 B) of an undisclosed frontier model: median 100 B active. "
                      "Used only for a disclosure without disclosure models in closed_models.csv; otherwise "
                      "their cited ranges set it (model/closed.py)",
                      mu=LN(10), sigma=1.0),
    "closed_output_tokens": _p("Normal", "ln median output tokens of the service's prompts", mu=LN(300), sigma=0.7),
    "closed_output_sigma": _p("HalfNormal", "log-sd of the service's output lengths (mean vs median)", sigma=1.0),
}

DEFAULT_PRIORS: dict[str, Prior] = {name: prior for name, (prior, _) in PRIOR_TABLE.items()}


def resolve(overrides: dict[str, Prior | dict] | None = None) -> dict[str, Prior]:
    """Defaults with overrides applied; an unknown name is an error, not a silent no-op."""
    priors = dict(DEFAULT_PRIORS)
    for name, prior in (overrides or {}).items():
        if name not in priors:
            raise KeyError(f"unknown prior {name!r}; known: {', '.join(sorted(priors))}")
        priors[name] = prior if isinstance(prior, Prior) else Prior.from_dict(prior)
    return priors


def load_prior_file(path: Path | str) -> dict[str, Prior]:
    """Read overrides from JSON: ``{"host_ratio": {"dist": "LogNormal", "kwargs": {...}}}``."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read prior overrides ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object of name -> prior")
    return {name: Prior.from_dict(spec) for name, spec in raw.items()}


def to_json(priors: dict[str, Prior]) -> str:
    return json.dumps({k: v.to_dict() for k, v in priors.items()}, sort_keys=True)
