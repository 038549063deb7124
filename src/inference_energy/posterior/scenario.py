"""What a user asks about: the scenario (model, accelerator, regime, operating point,
precision, deployment), its checks, and the defaults it falls back on, each cited.

Part of the posterior layer; imports the model layer's catalog only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..model.catalog import Catalogs, generic_architecture, precision_name, resolve_model
from ..model.observations import SERVING

REGIME_WORKLOAD = {"traditional": "chat", "long": "reasoning", "code": "code", None: "chat"}
#: Requests in flight per GPU of a benchmark-like scenario that does not say.
DEFAULT_CONCURRENCY = 64.0
#: Output tokens/s per user of production serving when a scenario does not say: DeepSeek's
#: V3/R1 service over a day, "The average output speed was 20-22 tokens per second"
#: (deepseek-ai/open-infra-index, 202502OpenSourceWeek, day 6 inference system overview).
DEFAULT_INTERACTIVITY = 21.0
DEFAULT_INTERACTIVITY_SOURCE = ("https://github.com/deepseek-ai/open-infra-index/blob/main/202502OpenSourceWeek/"
                                "day_6_one_more_thing_deepseekV3R1_inference_system_overview.md")
PRODUCTION = ("production", "production_disaggregated")

#: Cited defaults for water and carbon (ids of rows in calibration_data/).
DEFAULT_WUE = {"hyperscale": ("D06", 0.30), "typical": ("D15b", 0.38)}  # L per kWh of IT energy
DEFAULT_CARBON = ("G01", 480.0)  # gCO2e per kWh, world average 2023 (Ember)
#: Fleet WUE an operator discloses (L per kWh of IT energy), used for its closed services' water.
OPERATOR_WUE = {"microsoft": ("D06", 0.30), "aws": ("D12a", 0.12), "meta": ("D08b", 0.26)}


@dataclass(frozen=True)
class Scenario:
    """One deployment and query type to estimate.

    The operating point is ``concurrency`` (requests in flight per GPU) or
    ``interactivity`` (output tokens/s each user sees); give at most one.  With
    neither, production serving runs at ``DEFAULT_INTERACTIVITY``, a vendor
    maximum-throughput run at the batch memory allows, anything else at
    ``DEFAULT_CONCURRENCY``.
    """

    model: str | None = None  # catalog id, or give the parameter counts
    active_params_b: float | None = None
    total_params_b: float | None = None
    moe: bool = False
    hardware: str = "H100"
    regime: str | None = "traditional"  # traditional, long, code; None: fixed tokens
    input_tokens: float | None = None
    output_tokens: float | None = None
    cached_input_tokens: float = 0.0  # of the input, served from a prefix cache
    serving: str = "production"
    concurrency: float | None = None  # requests per GPU
    interactivity: float | None = None  # output tokens/s per user
    gpus: int | None = None  # GPUs per replica (default: one node)
    precision: str = "fp8"
    deployment: str = "hyperscale"
    wue_l_per_kwh: float | None = None
    carbon_g_per_kwh: float | None = None
    # Architecture of a model given by its parameter counts (default: generic for its size).
    layers: int | None = None
    attention_heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None

    @property
    def label(self) -> str:
        return self.model or f"{self.active_params_b:g}B-active/{(self.total_params_b or self.active_params_b):g}B"

    @property
    def regime_label(self) -> str:
        return self.regime or f"in{self.input_tokens:g}/out{self.output_tokens:g}"


def canonical(sc: Scenario, cat: Catalogs) -> Scenario:
    """The scenario with its model written as the catalog's id (see ``catalog.resolve_model``)."""
    if sc.model is None or sc.model in cat.models or sc.model in cat.closed_models:
        return sc
    from ..model.closed import alias_keys

    return replace(sc, model=resolve_model(sc.model, cat.models, alias_keys(cat.closed_models)))


def _check(sc: Scenario, cat: Catalogs) -> None:
    if sc.model is None and sc.active_params_b is None:
        raise ValueError("give a catalog model or --active-params (and --total-params)")
    if sc.model is not None and sc.model not in cat.models and sc.model not in cat.closed_models:
        resolve_model(sc.model, cat.models)  # raises, naming the closest ids
        raise ValueError(f"model {sc.model!r} is not a catalog id: pass the scenario through canonical() first")
    if sc.model is None and sc.active_params_b <= 0:
        raise ValueError(f"--active-params must be positive (got {sc.active_params_b:g})")
    if sc.model is None and sc.total_params_b is not None and sc.total_params_b < sc.active_params_b:
        raise ValueError(f"--total-params {sc.total_params_b:g} is below --active-params {sc.active_params_b:g}: "
                         "a model cannot use more parameters per token than it has")
    if sc.hardware not in cat.hardware:
        raise ValueError(f"unknown hardware {sc.hardware!r}; known: {', '.join(cat.hardware)}")
    if not np.isfinite(cat.hardware_arrays["tdp"][cat.hardware.index(sc.hardware)]):
        raise ValueError(f"{sc.hardware}: its vendor publishes no board power (TDP), so no energy can be estimated "
                         "on it (hardware.csv says why)")
    if sc.serving not in SERVING:
        raise ValueError(f"unknown serving regime {sc.serving!r}; known: {', '.join(SERVING)}")
    if sc.regime is None and (sc.input_tokens is None or sc.output_tokens is None):
        raise ValueError("give --regime or both --input-tokens and --output-tokens")
    if sc.regime not in (None, "traditional", "long", "code"):
        raise ValueError(f"unknown regime {sc.regime!r}; known: traditional, long, code")
    if sc.deployment not in DEFAULT_WUE:
        raise ValueError(f"unknown deployment {sc.deployment!r}; known: hyperscale, typical")
    if sc.concurrency is not None and sc.interactivity is not None:
        raise ValueError("give --concurrency or --interactivity, not both: the law maps one to the other")
    for name in ("concurrency", "interactivity", "gpus"):
        v = getattr(sc, name)
        if v is not None and v <= 0:
            raise ValueError(f"--{name} must be positive (got {v:g})")
    if sc.cached_input_tokens < 0 or (sc.input_tokens is not None and sc.cached_input_tokens >= sc.input_tokens):
        raise ValueError(f"--cached-input-tokens ({sc.cached_input_tokens:g}) must be at least 0 and below the "
                         "input tokens: at least one token is prefilled")
    precision_name(sc.precision)


def architecture(sc: Scenario, cat: Catalogs) -> dict[str, float]:
    """The catalog model's architecture, or a generic one for the given counts (with any given fields)."""
    if sc.model is not None:
        return {k: float(v) for k, v in cat.arch(cat.models.index(sc.model)).items()}
    total = sc.total_params_b or sc.active_params_b
    arch = generic_architecture(sc.active_params_b, total, sc.moe or total > sc.active_params_b)
    if sc.layers:
        arch["full_layers"] = float(sc.layers)
    heads = sc.attention_heads
    if heads and sc.head_dim:
        arch["q_dim"] = float(heads * sc.head_dim)
        arch["kv_elements"] = 2.0 * (sc.kv_heads or heads) * sc.head_dim
    arch["architecture_known"] = float(bool(sc.layers and heads and sc.head_dim))
    return arch
