"""Calibration rows -> arrays, one group per kind of likelihood term.

Every ``role=likelihood`` row must land in exactly one group; a row the model
has no likelihood for is an error naming the row (so new telemetry is never
silently ignored).  ``role=comparison`` rows are kept for checks and reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import CalibrationData, DataError, to_canonical
from .catalog import WEIGHT_BYTES, Catalogs, build_catalogs, kv_cache_bytes, precision_name
from .closed import closed_catalog

WORKLOADS = ("chat", "reasoning", "code", "fixed", "mixed", "unknown")
SERVING = ("steady_state", "vendor_max_benchmark", "vendor_benchmark", "production",
           "production_disaggregated", "unknown")
TOKEN_REGIMES = ("traditional", "long", "code")
WORKLOAD_REGIME = {"chat": "traditional", "reasoning": "long", "code": "code"}
DEPLOYMENT_CLASSES = ("hyperscale", "typical")
LOW_PRECISION = {"fp8", "fp4", "mxfp4", "int8", "int4", "nvfp4"}
#: Operators whose accelerators are TPUs (their host ratio gets its own offset).
TPU_OPERATORS = {"google"}
#: Where an operator's service runs when its own PUE is not published.
PUE_OPERATOR = {"openai": "microsoft"}
#: Default uncertainty (sd of ln value) of a figure that states none.
DEFAULT_UNCERTAINTY = 0.05
POWER_REF_LOG_CONCURRENCY = math.log(32.0)
#: Workloads whose benchmark input lengths are latent (ML.ENERGY does not publish them).
TASKS = ("chat", "reasoning", "code")
#: Output length assumed where a throughput row gives none (tokens).
REF_OUTPUT_TOKENS = 300.0
#: What a throughput row counts: the whole service (0), a disaggregated service's decode GPUs
#: alone (1, output tokens/s) or its prefill GPUs alone (2, input tokens/s, cache hits included).
PHASE_OF_COMPONENT = {None: 0, "total": 0, "decode": 1, "prefill": 2}


@dataclass
class Group:
    """Arrays of one likelihood group (all the same length) and the rows behind them."""

    ids: list[str] = field(default_factory=list)
    columns: dict[str, list] = field(default_factory=dict)

    def add(self, row_id: str, **values: Any) -> None:
        self.ids.append(row_id)
        for k, v in values.items():
            self.columns.setdefault(k, []).append(v)

    def __len__(self) -> int:
        return len(self.ids)

    def array(self, name: str, dtype=float) -> np.ndarray:
        return np.asarray(self.columns.get(name, []), dtype=dtype)


@dataclass
class ModelData:
    """Everything the PyMC model needs, derived from validated tables."""

    catalogs: Catalogs
    throughput: Group
    power: Group
    itl: Group
    pue: Group
    token_quantiles: Group
    token_means: Group
    reasoning_means: Group
    energy: Group
    load: Group  # diurnal average over peak load of a production fleet
    speed: Group  # output tokens/s per user of a production service
    operators: list[str]
    operator_class: np.ndarray
    closed: list[str]  # undisclosed-model deployments, keyed by operator
    comparison: list[dict[str, Any]]
    data_sha256: str

    def likelihood_ids(self) -> list[str]:
        groups = (self.throughput, self.power, self.itl, self.pue, self.token_quantiles, self.token_means,
                  self.reasoning_means, self.energy, self.load, self.speed)
        return [i for g in groups for i in g.ids]


def _catalogs(data: CalibrationData) -> Catalogs:
    cat = build_catalogs(data.models.rows, data.hardware.rows)
    cat.closed_models = closed_catalog(data.closed_models.rows if data.closed_models else None)
    return cat


def _workload(row: dict) -> str:
    if row.get("workload"):
        return row["workload"]
    if row["input_tokens"] is not None and row["output_tokens"] is not None:
        return "fixed"
    return "chat" if row["serving"] == "steady_state" else "unknown"


def _num_gpus(row: dict, cat: Catalogs) -> float:
    if row["num_gpus"] is not None:
        return float(row["num_gpus"])
    if row["scope"] == "node" and row["hardware"] is not None:
        return float(cat.gpus_per_node[cat.hardware.index(row["hardware"])])
    return 1.0


def _covariates(row: dict, cat: Catalogs) -> dict[str, Any]:
    """What the serving law needs of one row: model, accelerator, replica, operating point, lengths."""
    n = _num_gpus(row, cat)
    replica = float(row.get("replica_gpus") or n / float(row.get("data_parallel") or 1))
    h = cat.hardware.index(row["hardware"])
    precision = precision_name(row["precision"])
    kv_bytes = (WEIGHT_BYTES[precision_name(row["kv_precision"])] if row.get("kv_precision")
                else kv_cache_bytes(precision, row["serving"]))
    workload = _workload(row)
    c = row["concurrency"]
    return {
        "model": cat.models.index(row["model"]),
        "hardware": h,
        "n_gpus": n,  # GPUs the figure covers
        "replica_gpus": replica,
        "batch": c * replica / n if c is not None else 0.0,  # requests in flight per replica; 0: as many as fit
        "serving": SERVING.index(row["serving"]),
        "workload": WORKLOADS.index(workload),
        # Input length: the row's own, else the task's latent length (ML.ENERGY does not publish it).
        "input": row["input_tokens"] or 0.0,
        "task": TASKS.index(workload) if not row["input_tokens"] and workload in TASKS else -1,
        "cached": row.get("cached_input_tokens") or 0.0,
        "output": row["output_tokens"] or REF_OUTPUT_TOKENS,
        "low_precision": float(precision != "bf16"),
        "weight_bytes": WEIGHT_BYTES[precision],
        "kv_bytes": kv_bytes,
        "peak_flops": cat.peak_flops(h, precision),
        "attention_flops": cat.attention_flops(h, kv_bytes),
    }


def _unsupported(row: dict, why: str) -> DataError:
    return DataError(row["_file"], f"role=likelihood, but {why}; mark it role=comparison or fill the columns",
                     row["_row"], None, row.get("_line"))


def _sd(row: dict) -> float:
    return row["uncertainty"] if row["uncertainty"] is not None else DEFAULT_UNCERTAINTY


def prepare(data: CalibrationData) -> ModelData:
    """Sort every likelihood row into its group; collect comparison rows."""
    cat = _catalogs(data)
    groups = {k: Group() for k in ("throughput", "power", "itl", "pue", "tq", "tm", "rm", "energy", "load", "speed")}
    operators: list[str] = []
    operator_class: dict[str, str] = {}
    closed: list[str] = []
    comparison = []

    def operator_index(name: str, klass: str | None = None) -> int:
        if name not in operators:
            operators.append(name)
        if klass:
            operator_class.setdefault(name, klass)
        return operators.index(name)

    for row in data.observation_rows():
        if row["role"] != "likelihood":
            comparison.append(row)
            continue
        q, value = row["quantity"], to_canonical(row["value"], row["unit"])
        if q in ("output_throughput", "input_throughput", "gpu_power", "inter_token_latency"):
            if row["model"] is None or row["hardware"] is None:
                raise _unsupported(row, f"{q} needs a catalog model and hardware")
            cov = _covariates(row, cat)
            if q in ("output_throughput", "input_throughput"):
                phase = PHASE_OF_COMPONENT.get(row.get("component"))
                if phase is None or (phase == 2) != (q == "input_throughput"):
                    raise _unsupported(row, f"{q} with component {row.get('component')!r}: output_throughput "
                                       "takes total or decode, input_throughput takes prefill")
                groups["throughput"].add(row["id"], y=math.log(value / cov["n_gpus"]), sd=row["uncertainty"] or 0.0,
                                         phase=phase, **cov)
            elif q == "inter_token_latency":
                if row["concurrency"] is None:
                    raise _unsupported(row, "inter_token_latency needs the concurrency it was measured at")
                groups["itl"].add(row["id"], y=math.log(value), **cov)
            else:
                if row["concurrency"] is None:
                    raise _unsupported(row, "gpu_power needs the concurrency it was measured at")
                tdp = math.exp(cat.log_tdp[cov["hardware"]])
                f = min(max(value / (cov["n_gpus"] * tdp), 0.02), 0.995)
                groups["power"].add(row["id"], y=math.log(f / (1 - f)), **cov)
        elif q == "pue":
            if not row.get("operator"):
                raise _unsupported(row, "pue needs an operator")
            klass = row.get("deployment") or "hyperscale"
            o = operator_index(row["operator"], klass)
            groups["pue"].add(row["id"], operator=o, y=math.log(value - 1.0),
                              sd=_sd(row) * value / (value - 1.0))
        elif q in ("input_tokens", "output_tokens"):
            regime = WORKLOAD_REGIME.get(_workload(row))
            if regime is None:
                raise _unsupported(row, f"token lengths need workload chat, reasoning or code (got {row.get('workload')})")
            which = 0 if q == "input_tokens" else 1
            if regime == "long":
                if q != "output_tokens" or row["statistic"] != "mean":
                    raise _unsupported(row, "reasoning rows enter as mean output tokens only")
                groups["rm"].add(row["id"], y=math.log(value), sd=_sd(row))
            elif row["statistic"] == "mean":
                groups["tm"].add(row["id"], regime=TOKEN_REGIMES.index(regime), which=which,
                                 y=math.log(value), sd=_sd(row))
            elif row["statistic"] in ("median", "p5", "p10", "p25", "p75", "p90", "p95", "p99"):
                p = 0.5 if row["statistic"] == "median" else float(row["statistic"][1:]) / 100
                groups["tq"].add(row["id"], regime=TOKEN_REGIMES.index(regime), which=which,
                                 log_q=math.log(value), p=p)
            else:
                raise _unsupported(row, f"statistic {row['statistic']!r} of token lengths")
        elif q in ("load_factor", "output_speed_per_user"):
            if row["serving"] not in ("production", "production_disaggregated"):
                raise _unsupported(row, f"{q} describes a production fleet (serving production)")
            if q == "load_factor" and not 0 < value < 1:
                raise _unsupported(row, "a load factor (average over peak) lies in (0, 1)")
            y = math.log(value / (1 - value)) if q == "load_factor" else math.log(value)
            # On the logit scale a relative sd s of the value is s / (1 - value).
            sd = _sd(row) / (1 - value) if q == "load_factor" else _sd(row)
            groups["load" if q == "load_factor" else "speed"].add(row["id"], y=y, sd=sd)
        elif q == "energy_per_query":
            if row["model"] is not None:
                raise _unsupported(row, "energy rows of catalog models are not yet a likelihood term")
            if not row.get("operator"):
                raise _unsupported(row, "an undisclosed-model energy row needs an operator")
            op = row["operator"]
            if op not in closed:
                closed.append(op)
            pue_op = PUE_OPERATOR.get(op, op)
            groups["energy"].add(
                row["id"], deployment=closed.index(op), pue_operator=operator_index(pue_op, "hyperscale"),
                component=row.get("component") or "total", scope=row["scope"],
                mean=float(row["statistic"] == "mean"), y=math.log(value), sd=_sd(row),
            )
            if row["statistic"] not in ("median", "mean", "point"):
                raise _unsupported(row, f"statistic {row['statistic']!r} of energy per query")
        else:
            raise _unsupported(row, f"the model has no likelihood term for quantity {q!r}")

    fitted = {int(h) for g in ("throughput", "itl") for h in groups[g].array("hardware", int)}
    cat.fitted_hardware = [cat.hardware[h] for h in sorted(fitted)]
    return ModelData(
        catalogs=cat, throughput=groups["throughput"], power=groups["power"], itl=groups["itl"], pue=groups["pue"],
        token_quantiles=groups["tq"], token_means=groups["tm"], reasoning_means=groups["rm"],
        energy=groups["energy"], load=groups["load"], speed=groups["speed"], operators=operators,
        operator_class=np.array([DEPLOYMENT_CLASSES.index(operator_class.get(o, "hyperscale")) for o in operators]),
        closed=closed, comparison=comparison, data_sha256=data.sha256,
    )
