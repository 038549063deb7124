"""Units, quantities and the columns of every calibration table, declared as data.

The schema is documented in ``calibration_data/README.md``; a test keeps the
two in step.  ``tables.py`` parses and checks tables against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# --- units and quantities -------------------------------------------------

#: Accepted units, grouped by dimension, with the factor to the canonical unit
#: of that dimension (the first listed).
UNITS: dict[str, dict[str, float]] = {
    "energy": {"Wh": 1.0, "J": 1 / 3600, "kWh": 1e3, "mWh": 1e-3},
    "power": {"W": 1.0, "kW": 1e3},
    "throughput": {"tokens/s": 1.0},
    "time": {"s": 1.0, "ms": 1e-3},
    "tokens": {"tokens": 1.0},
    "ratio": {"ratio": 1.0},
    "fraction": {"fraction": 1.0, "%": 0.01},
    "water": {"mL": 1.0, "L": 1e3},
    "carbon": {"gCO2e": 1.0, "kgCO2e": 1e3},
    "water_intensity": {"L/kWh": 1.0},
    "carbon_intensity": {"gCO2e/kWh": 1.0, "kgCO2e/MWh": 1.0},
}
UNIT_DIMENSION = {u: dim for dim, units in UNITS.items() for u in units}

#: Observation quantities and the dimension each must be measured in.
QUANTITIES: dict[str, str] = {
    "output_throughput": "throughput",
    "input_throughput": "throughput",
    "output_speed_per_user": "throughput",
    "load_factor": "fraction",
    "energy_per_query": "energy",
    "energy_per_output_token": "energy",
    "gpu_power": "power",
    "node_power": "power",
    "gpu_power_fraction": "fraction",
    "idle_share": "fraction",
    "pue": "ratio",
    "wue": "water_intensity",
    "carbon_intensity": "carbon_intensity",
    "water_per_query": "water",
    "carbon_per_query": "carbon",
    "output_tokens": "tokens",
    "input_tokens": "tokens",
    "inter_token_latency": "time",
}

STATISTICS = ("point", "mean", "median", "p5", "p10", "p25", "p75", "p90", "p95", "p99")
SCOPES = ("gpu", "node", "it", "facility", "workload", "grid")
SERVING = ("vendor_max_benchmark", "vendor_benchmark", "steady_state", "production",
           "production_disaggregated", "unknown")
WORKLOADS = ("chat", "reasoning", "code", "fixed", "mixed", "unknown")
COMPONENTS = ("total", "accelerator", "host", "idle", "overhead", "prefill", "decode")
DEPLOYMENTS = ("hyperscale", "typical")
ROLES = ("likelihood", "comparison")
ARCHITECTURES = ("dense", "moe", "hybrid")


def to_canonical(value: float, unit: str) -> float:
    """Convert ``value`` in ``unit`` to its dimension's canonical unit (Wh, W, ...)."""
    return value * UNITS[UNIT_DIMENSION[unit]][unit]


# --- schema ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table: its type and the rules every cell must meet."""

    name: str
    kind: type = str  # str, int or float
    required: bool = True  # the column must exist
    nonempty: bool = True  # every cell must be filled
    positive: bool = False
    choices: tuple[str, ...] | None = None
    references: str | None = None  # "models" or "hardware": must be a catalog id
    doc: str = ""


def _cols(*cols: Column) -> tuple[Column, ...]:
    return cols


_PROVENANCE = (
    Column("source_url", doc="where the figure was published"),
    Column("date", doc="publication date (YYYY, YYYY-MM or YYYY-MM-DD)"),
    Column("evidence", doc="how close our copy is to the primary source"),
    Column("note", required=False, nonempty=False, doc="free text"),
)

MODEL_SCHEMA = _cols(
    Column("id", doc="identifier used by the observation tables and the CLI"),
    Column("name", doc="display name"),
    Column("total_params_b", float, positive=True, doc="total parameters, billions"),
    Column("active_params_b", float, positive=True, doc="parameters active per token, billions"),
    Column("architecture", choices=ARCHITECTURES, doc="dense, moe or hybrid"),
    *_PROVENANCE,
    # The architecture the serving law needs (from the published configuration; empty:
    # a generic architecture from the parameter counts).
    Column("layers", int, required=False, nonempty=False, positive=True, doc="transformer (or hybrid) layers"),
    Column("attention_layers", int, required=False, nonempty=False, positive=True,
           doc="layers with attention and a KV cache (fewer than `layers` in a hybrid Mamba model)"),
    Column("hidden_size", int, required=False, nonempty=False, positive=True, doc="model width"),
    Column("attention_heads", int, required=False, nonempty=False, positive=True, doc="query heads"),
    Column("kv_heads", int, required=False, nonempty=False, positive=True, doc="key/value heads (GQA)"),
    Column("head_dim", int, required=False, nonempty=False, positive=True, doc="width of one head"),
    Column("kv_latent_dim", int, required=False, nonempty=False, positive=True,
           doc="MLA only: elements cached per token per layer (KV rank + RoPE dim)"),
    Column("sliding_window", int, required=False, nonempty=False, positive=True,
           doc="window of the local-attention layers, tokens"),
    Column("sliding_window_layers", int, required=False, nonempty=False, positive=True,
           doc="how many attention layers use the sliding window"),
    Column("experts", int, required=False, nonempty=False, positive=True, doc="routed experts (MoE)"),
    Column("active_experts", int, required=False, nonempty=False, positive=True, doc="routed experts per token"),
    Column("arch_source_url", required=False, nonempty=False, doc="where the architecture was read"),
    Column("arch_evidence", required=False, nonempty=False, doc="the configuration's own words"),
)

HARDWARE_SCHEMA = _cols(
    Column("id", doc="identifier used by the observation tables and the CLI"),
    Column("name", doc="display name"),
    Column("gpus_per_node", int, positive=True, doc="accelerators in one node"),
    Column("gpu_tdp_w", float, nonempty=False, positive=True,
           doc="board power limit of one GPU, W (empty where unpublished: no energy estimate on it)"),
    Column("node_max_power_kw", float, nonempty=False, positive=True, doc="maximum power of one node, kW"),
    Column("memory_bandwidth_tbs", float, positive=True,
           doc="HBM bandwidth of one GPU, TB/s: centres the throughput prior (decode is bandwidth-bound)"),
    Column("memory_bandwidth_source", doc="where the bandwidth figure was published"),
    *_PROVENANCE,
    # What the serving law needs beyond bandwidth and TDP (vendor pages, cited per row).
    Column("vendor", required=False, nonempty=False, doc="NVIDIA, AMD, Google"),
    Column("generation", required=False, nonempty=False, doc="architecture generation (hopper, blackwell, ...)"),
    Column("hbm_capacity_gb", float, required=False, nonempty=False, positive=True, doc="HBM of one accelerator, GB"),
    Column("dense_bf16_tflops", float, required=False, nonempty=False, positive=True,
           doc="dense (no sparsity) peak at bf16, TFLOP/s"),
    Column("dense_fp8_tflops", float, required=False, nonempty=False, positive=True,
           doc="dense peak at fp8, TFLOP/s (empty: no fp8 units)"),
    Column("dense_fp4_tflops", float, required=False, nonempty=False, positive=True,
           doc="dense peak at fp4, TFLOP/s (empty: no fp4 units)"),
    Column("scaleup_interconnect", required=False, nonempty=False, doc="GPU-to-GPU link within a scale-up domain"),
    Column("scaleup_domain", int, required=False, nonempty=False, positive=True,
           doc="accelerators in one scale-up (NVLink, ICI) domain"),
    Column("specs_source_url", required=False, nonempty=False, doc="where the FLOP/s and HBM figures were published"),
    Column("specs_evidence", required=False, nonempty=False, doc="the vendor's own words"),
)

OBSERVATION_SCHEMA = _cols(
    Column("id", doc="unique across every observation table"),
    Column("quantity", choices=tuple(QUANTITIES), doc="what was measured"),
    Column("value", float, positive=True, doc="the figure, in `unit`"),
    Column("unit", choices=tuple(UNIT_DIMENSION), doc="unit of `value`; must fit the quantity"),
    Column("statistic", choices=STATISTICS, doc="point, mean, median or a quantile (p5 ... p99)"),
    Column("scope", choices=SCOPES, doc="boundary: gpu < node < it < facility (or workload, grid)"),
    Column("model", nonempty=False, references="models", doc="catalog model id, empty if none or undisclosed"),
    Column("hardware", nonempty=False, references="hardware", doc="catalog hardware id, empty if none or undisclosed"),
    Column("precision", nonempty=False, doc="weight precision (FP8, FP16, bfloat16, ...)"),
    Column("num_gpus", int, nonempty=False, positive=True, doc="GPUs the figure covers"),
    Column("input_tokens", float, nonempty=False, positive=True, doc="input tokens per request"),
    Column("output_tokens", float, nonempty=False, positive=True, doc="output tokens per request"),
    Column("concurrency", float, nonempty=False, positive=True, doc="requests in flight (batch)"),
    Column("data_parallel", int, required=False, nonempty=False, positive=True,
           doc="replicas the GPUs form (each holds the weights; default 1)"),
    Column("cached_input_tokens", float, required=False, nonempty=False,
           doc="input tokens per request served from a prefix cache (default 0)"),
    Column("replica_gpus", int, required=False, nonempty=False, positive=True,
           doc="GPUs one replica spans when the figure covers part of it (default num_gpus / data_parallel)"),
    Column("kv_precision", required=False, nonempty=False,
           doc="precision of the KV cache and attention when it differs from the stack's default"),
    Column("serving", choices=SERVING, doc="how the figure was obtained"),
    Column("workload", required=False, nonempty=False, choices=WORKLOADS,
           doc="kind of requests: chat, reasoning, code, fixed (synthetic lengths), mixed, unknown"),
    Column("operator", required=False, nonempty=False,
           doc="who runs the deployment (google, microsoft, ...); keys PUE and undisclosed-model deployments"),
    Column("deployment", required=False, nonempty=False, choices=DEPLOYMENTS,
           doc="deployment class of a PUE/WUE figure: hyperscale or typical"),
    Column("component", required=False, nonempty=False, choices=COMPONENTS,
           doc="part of an energy breakdown: total (default), accelerator, host, idle, overhead; "
               "of a disaggregated service's throughput: prefill or decode (that phase's GPUs alone)"),
    Column("uncertainty", float, nonempty=False, positive=True,
           doc="observation sd on the natural-log scale; empty: the model's default for the serving kind"),
    Column("role", choices=ROLES, doc="likelihood (calibration data) or comparison (shown, never fitted)"),
    Column("source", doc="who published it, in words"),
    *_PROVENANCE,
)

CLOSED_MODEL_SCHEMA = _cols(
    Column("id", doc="the provider's API name, lower case (gpt-4o, gemini-2.5-flash, claude-sonnet-4)"),
    Column("provider", doc="who serves it (openai, google, anthropic, ...): keys its disclosure, if any"),
    Column("aliases", nonempty=False, doc="other names users write (dated snapshots, router prefixes), ';'-separated"),
    Column("active_params_b_low", float, positive=True, doc="active parameters, billions: low end of the cited estimates"),
    Column("active_params_b_high", float, positive=True, doc="active parameters, billions: high end"),
    Column("total_params_b_low", float, positive=True, doc="total parameters, billions: low end"),
    Column("total_params_b_high", float, positive=True, doc="total parameters, billions: high end"),
    Column("moe", nonempty=False, choices=("true", "false"), doc="mixture of experts (empty: not known)"),
    Column("hardware", references="hardware", doc="the accelerator it most likely runs on"),
    Column("pue_operator", doc="whose data centres (an operator of the PUE rows)"),
    Column("date", doc="the model's release date (YYYY-MM-DD)"),
    Column("source", doc="who published the estimates, in words"),
    *_PROVENANCE[:1], *_PROVENANCE[2:],
)

CATALOG_FILES = ("models.csv", "hardware.csv")
#: Catalogs a data directory may leave out.
OPTIONAL_CATALOG_FILES = ("closed_models.csv",)
SCHEMAS = {"models.csv": MODEL_SCHEMA, "hardware.csv": HARDWARE_SCHEMA, "closed_models.csv": CLOSED_MODEL_SCHEMA}


def schema_for(path: Path) -> tuple[Column, ...]:
    """The columns a table must have: its own schema for the catalogs, else the observation schema."""
    return SCHEMAS.get(path.name, OBSERVATION_SCHEMA)

