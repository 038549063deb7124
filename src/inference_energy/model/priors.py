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
    # --- throughput: ln T_max per GPU ---------------------------------------
    "tps_intercept": _p("Normal", "ln peak output tokens/s per H100 for a 10 B-active dense bf16 model on chat "
                        "prompts at steady state; ML.ENERGY's Llama-3.1-8B reaches ~1e4, so centred at 5000 "
                        "with a factor-e sd", mu=LN(5000), sigma=1.0),
    "tps_size_slope": _p("Normal", "decode is memory-bandwidth bound, so throughput ~ 1/active params (slope -1); "
                         "batching flattens it", mu=-0.8, sigma=0.3),
    "tps_total_ratio_slope": _p("Normal", "MoE weights not active per token still occupy memory and shrink the "
                                "batch: ln(total/active) lowers throughput a little", mu=-0.2, sigma=0.3),
    "tps_moe": _p("Normal", "MoE routing overhead at equal active size: unknown sign", mu=0.0, sigma=0.5),
    "tps_hardware": _p("Normal", "ln deviation of an accelerator's throughput from its HBM-bandwidth ratio to H100 "
                       "(decode is bandwidth-bound; compute, interconnect and software maturity move it): "
                       "within a factor 2 either way", mu=0.0, sigma=0.4),
    "tps_low_precision": _p("Normal", "8-bit or 4-bit weights halve memory traffic: modest gain", mu=0.2, sigma=0.3),
    "tps_parallel_slope": _p("Normal", "per-GPU throughput vs ln(GPUs per replica): communication costs a little",
                             mu=-0.1, sigma=0.2),
    "tps_workload": _p("Normal", "prompt-length and decoding differences of a benchmark's workload (reference: chat)",
                       mu=0.0, sigma=0.7),
    "tps_input_slope": _p("Normal", "longer prompts cost prefill that the output-token rate pays for", mu=-0.3, sigma=0.3),
    "tps_output_slope": _p("Normal", "longer outputs amortise prefill, but longer contexts slow decode", mu=0.1, sigma=0.3),
    "tps_model_sd": _p("HalfNormal", "spread of models around the size law (partial pooling)", sigma=0.5),
    "saturation_log_c0": _p("Normal", "requests per GPU at half of peak throughput (~30 for Llama-3.1-70B)",
                            mu=LN(30), sigma=1.0),
    "saturation_size_slope": _p("Normal", "bigger models saturate at a different batch", mu=0.0, sigma=0.5),
    # --- serving regime offsets (ln factor over steady-state vLLM) ----------
    "serving_vendor_max": _p("Normal", "vendor maximum-throughput runs (TensorRT-LLM, MLPerf offline) are tuned "
                             "for throughput", mu=0.3, sigma=0.5),
    "serving_vendor": _p("Normal", "other vendor benchmark figures", mu=0.0, sigma=0.5),
    "serving_production": _p("Normal", "single-node production serving (continuous batching, speculative decoding, "
                             "prefix caching) vs the benchmark", mu=0.3, sigma=0.5),
    "serving_disaggregated": _p("Normal", "disaggregated prefill/decode over single-node production", mu=0.3, sigma=0.5),
    "serving_disaggregated_moe": _p("Normal", "wide expert parallelism adds most for large MoE models: with the two "
                                    "above, P95 ~20x over steady state, so an order of magnitude is not excluded",
                                    mu=0.7, sigma=0.7),
    "tps_noise": _p("HalfNormal", "Student-t (nu=4) scale of ln throughput, per kind of source", sigma=0.3),
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
    "idle_share": _p("Beta", "share of IT energy spent on idle and reserve capacity; mean 0.14", alpha=2.0, beta=12.0),
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
    "closed_size": _p("Normal", "x = ln(active / 10 B) of an undisclosed frontier model: median 100 B active",
                      mu=LN(10), sigma=1.0),
    "closed_efficiency": _p("Normal", "ln throughput offset of an undisclosed deployment relative to an H100 model of "
                            "its size: accelerator, serving stack and the model's own effect together", mu=0.0, sigma=0.7),
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
