"""The model and accelerator catalogs as SI arrays for the serving laws.

``Catalogs`` holds, per catalog model, the architecture the serving law needs
(parameters, attention layers, query and KV widths, experts) and, per
accelerator, its peak FLOP/s by precision, HBM bandwidth and capacity, TDP and
GPUs per node.  A model whose configuration is not in ``models.csv`` gets a
generic architecture from its parameter counts (``generic_architecture``), and
so does a model a user describes by its parameter counts alone.

It is stored in calibration files (``to_dataset`` / ``from_dataset``) so a file
alone suffices for ``estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

REF_ACTIVE_B = 10.0  # billions: x = ln(active / 10 B) is the size covariate of the power law

#: Accelerators that are another's chip sold under export rules: same die, HBM and software, so
#: they share its efficiency and power effects.  NVIDIA's aiconfigurator (systems/h800_sxm.yaml):
#: "Compute (TFLOPS), HBM capacity, and HBM bandwidth are identical to H100 SXM"; only NVLink
#: is halved.
EFFICIENCY_TWIN = {"H800": "H100"}
#: Bytes per weight by precision name (4-bit formats carry one 8-bit scale per 16 or 32 weights).
WEIGHT_BYTES = {"bf16": 2.0, "fp8": 1.0, "nvfp4": 0.5625, "mxfp4": 0.53125}
PRECISION_ALIASES = {"bfloat16": "bf16", "bf16": "bf16", "fp16": "bf16", "float16": "bf16", "fp8": "fp8",
                     "int8": "fp8", "fp4": "nvfp4", "nvfp4": "nvfp4", "mxfp4": "mxfp4", "int4": "mxfp4"}
#: The precision whose peak FLOP/s the matmuls run at, with fallbacks when an accelerator lacks it.
#: MXFP4 (gpt-oss under vLLM) is weight-only: activations stay in bf16.
COMPUTE_PRECISION = {"bf16": ("bf16",), "fp8": ("fp8", "bf16"), "nvfp4": ("fp4", "fp8", "bf16"), "mxfp4": ("bf16",)}
#: Generic attention of a model known only by its size: 8 KV heads of 128 (Llama 3, Qwen3, Mistral).
GENERIC_KV_ELEMENTS = 2 * 8 * 128

MODEL_FIELDS = {  # name -> (units, meaning)
    "active_params": ("1", "parameters active per token"),
    "total_params": ("1", "parameters held in memory"),
    "routed_params": ("1", "parameters in routed experts (0 for a dense model)"),
    "expert_share": ("1", "routed experts active per token / routed experts (1 for dense)"),
    "full_layers": ("1", "attention layers over the full context"),
    "window_layers": ("1", "attention layers over a sliding window"),
    "window": ("tokens", "sliding window (0: none)"),
    "q_dim": ("1", "query width: attention heads x head dim"),
    "kv_elements": ("1", "KV-cache elements per token per attention layer"),
    "architecture_known": ("1", "1: from the published configuration; 0: generic from parameter counts"),
    "moe": ("1", "1 for a mixture of experts"),
}
HARDWARE_FIELDS = {
    "tdp": ("W", "board power limit of one accelerator"),
    "gpus_per_node": ("1", "accelerators per node"),
    "bandwidth": ("B/s", "HBM bandwidth of one accelerator"),
    "hbm_bytes": ("B", "HBM capacity of one accelerator"),
    "peak_bf16": ("FLOP/s", "dense peak at bf16"),
    "peak_fp8": ("FLOP/s", "dense peak at fp8 (NaN: none)"),
    "peak_fp4": ("FLOP/s", "dense peak at fp4 (NaN: none)"),
}


#: Suffixes of repository names that do not change the architecture (checkpoints of one model).
NAME_SUFFIXES = ("instruct", "fp8", "hf", "chat", "base")


def _name_key(text: str) -> str:
    """Lower case, no organisation prefix, letters, digits and dots only: "Llama 3.1 70B" ~ "llama-3.1-70b"."""
    base = text.strip().rsplit("/", 1)[-1].lower()
    return "".join(ch for ch in base if ch.isalnum() or ch == ".")


def resolve_model(name: str, models: list[str], aliases: dict[str, str] | None = None, list_known: bool = True) -> str:
    """The catalog id a user means: case, spaces, hyphens and underscores ignored; a Hugging Face id
    (``meta-llama/Llama-3.1-70B-Instruct``) or a checkpoint suffix (-Instruct, -FP8, -hf) accepted.
    ``aliases``: more names (normalised by ``_name_key``) -> id, e.g. the closed services'.
    A miss is a ValueError that names the closest ids (and every known id, unless ``list_known`` is False:
    a usage log's error line stays one short line)."""
    import difflib

    keys: dict[str, str] = {}
    for m in models:
        keys.setdefault(_name_key(m), m)
    for k, m in (aliases or {}).items():
        keys.setdefault(k, m)
    key = _name_key(name)
    while key:
        if key in keys:
            return keys[key]
        stripped = next((key[: -len(s)] for s in NAME_SUFFIXES if key.endswith(s) and len(key) > len(s)), None)
        if stripped is None:
            break
        key = stripped
    close = difflib.get_close_matches(_name_key(name), list(keys), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(keys[c] for c in close)}? " if close else ""
    if not list_known:
        raise ValueError(f"unknown model {name!r}" + (f"; {hint.strip()}" if hint else ""))
    known = ", ".join(dict.fromkeys([*models, *(aliases or {}).values()]))
    raise ValueError(f"unknown model {name!r}; {hint}known: {known}; "
                     "or give --active-params (and --total-params)")


def precision_name(text: str | None) -> str:
    """Canonical precision of a table cell or a CLI option (bf16, fp8, nvfp4, mxfp4)."""
    key = (text or "bf16").strip().lower()
    if key not in PRECISION_ALIASES:
        raise ValueError(f"unknown precision {text!r}; known: {', '.join(sorted(PRECISION_ALIASES))}")
    return PRECISION_ALIASES[key]


def kv_cache_bytes(precision: str, serving: str) -> float:
    """KV-cache bytes per element: 8-bit where the stack quantises it (vendor tables and
    production at fp8/fp4 weights); bf16 under the steady-state benchmark (vLLM's default)."""
    return 1.0 if precision in ("fp8", "nvfp4") and serving != "steady_state" else 2.0


def generic_architecture_xp(xp, active_params, total_params):
    """Architecture of a model known by its parameter counts (any array namespace): Llama-3-like scaling.

    Layers grow as N^0.36 (32 at 8 B, 70 at 70 B, 131 at 405 B; the catalog has 32, 80, 126)
    and the width d follows from N = 12 layers d^2; attention is GQA with 8 KV heads of 128.
    Experts, if any, hold all parameters beyond the active ones (no shared part).
    """
    layers = xp.maximum(16.0, 32.0 * (active_params / 8e9) ** 0.36)
    d = xp.sqrt(active_params / (12.0 * layers))
    share = active_params / total_params
    moe = total_params > active_params
    return {"active_params": active_params, "total_params": total_params,
            "routed_params": xp.where(moe, total_params, 0.0), "expert_share": xp.where(moe, share, 1.0),
            "full_layers": layers, "window_layers": 0.0 * layers, "window": 0.0 * layers, "q_dim": d,
            "kv_elements": float(GENERIC_KV_ELEMENTS) + 0.0 * layers}


def generic_architecture(active_b: float, total_b: float, moe: bool) -> dict[str, float]:
    """``generic_architecture_xp`` for one model given in billions (and the catalog's bookkeeping fields)."""
    arch = {k: float(v) for k, v in generic_architecture_xp(np, np.float64(active_b * 1e9),
                                                             np.float64((total_b if moe else active_b) * 1e9)).items()}
    return arch | {"architecture_known": 0.0, "moe": float(moe)}


def _num(row: dict, name: str) -> float | None:
    v = row.get(name)
    return None if v in (None, "") else float(v)


def architecture_of(row: dict) -> dict[str, float]:
    """SI architecture of one models.csv row (generic where the configuration is not given)."""
    active, total = float(row["active_params_b"]), float(row["total_params_b"])
    moe = row["architecture"] == "moe"
    arch = generic_architecture(active, total, moe)
    layers, heads, head_dim = _num(row, "attention_layers") or _num(row, "layers"), _num(row, "attention_heads"), _num(row, "head_dim")
    if layers is None or heads is None or head_dim is None:
        return arch
    window_layers = _num(row, "sliding_window_layers") or 0.0
    kv = _num(row, "kv_latent_dim") or 2.0 * (_num(row, "kv_heads") or heads) * head_dim
    experts, k = _num(row, "experts"), _num(row, "active_experts")
    if moe and experts and k:
        share = k / experts
        arch["expert_share"] = share
        arch["routed_params"] = (total - active) * 1e9 / (1.0 - share)
    arch.update(full_layers=layers - window_layers, window_layers=window_layers,
                window=_num(row, "sliding_window") or 0.0, q_dim=heads * head_dim, kv_elements=kv,
                architecture_known=1.0)
    return arch


def hardware_of(row: dict) -> dict[str, float]:
    nan = float("nan")
    get = lambda name: _num(row, name)  # noqa: E731
    bf16 = get("dense_bf16_tflops")
    return {
        "tdp": get("gpu_tdp_w") or nan, "gpus_per_node": float(row["gpus_per_node"]),
        "bandwidth": float(row["memory_bandwidth_tbs"]) * 1e12,
        "hbm_bytes": (get("hbm_capacity_gb") or nan) * 1e9,
        "peak_bf16": (bf16 or nan) * 1e12,
        "peak_fp8": (get("dense_fp8_tflops") or nan) * 1e12,
        "peak_fp4": (get("dense_fp4_tflops") or nan) * 1e12,
    }


@dataclass
class Catalogs:
    """Per-model and per-accelerator arrays (SI units) in catalog order."""

    models: list[str]
    model_arrays: dict[str, np.ndarray]
    hardware: list[str]
    hardware_arrays: dict[str, np.ndarray]
    fitted_hardware: list[str] = field(default_factory=list)  # accelerators with likelihood rows
    closed_models: dict = field(default_factory=dict)  # id -> closed.ClosedModel: closed services by name

    # --- the covariates of the power-fraction law and the stored-file summary ---------
    @property
    def x_size(self) -> np.ndarray:
        return np.log(self.model_arrays["active_params"] / (REF_ACTIVE_B * 1e9))

    @property
    def x_ratio(self) -> np.ndarray:
        return np.log(self.model_arrays["total_params"] / self.model_arrays["active_params"])

    @property
    def moe(self) -> np.ndarray:
        return self.model_arrays["moe"]

    @property
    def log_tdp(self) -> np.ndarray:
        return np.log(self.hardware_arrays["tdp"])

    @property
    def gpus_per_node(self) -> np.ndarray:
        return self.hardware_arrays["gpus_per_node"]

    def arch(self, m: int | np.ndarray) -> dict[str, np.ndarray]:
        return {k: v[m] for k, v in self.model_arrays.items()}

    def peak_flops(self, h: int, precision: str) -> float:
        """Dense peak FLOP/s of accelerator ``h`` for matmuls at ``precision`` (with fallbacks)."""
        for p in COMPUTE_PRECISION[precision]:
            v = self.hardware_arrays[f"peak_{p}"][h]
            if np.isfinite(v):
                return float(v)
        raise ValueError(f"{self.hardware[h]}: no published peak FLOP/s for {precision}")

    def hw(self, h: int, precision: str, kv_bytes: float) -> dict[str, float]:
        """Peaks (weight matmuls at ``precision``, attention at the KV cache's), bandwidth, HBM, TDP."""
        a = self.hardware_arrays
        return {"peak_flops": self.peak_flops(h, precision), "attention_flops": self.attention_flops(h, kv_bytes),
                "bandwidth": float(a["bandwidth"][h]), "hbm_bytes": float(a["hbm_bytes"][h]), "tdp": float(a["tdp"][h])}

    def attention_flops(self, h: int, kv_bytes: float) -> float:
        """Dense peak of attention: fp8 with an 8-bit KV cache (where the accelerator has fp8), else bf16."""
        return self.peak_flops(h, "fp8" if kv_bytes == 1.0 else "bf16")

    def to_dataset(self):
        import xarray as xr

        data = {f"model_{k}": ("model", v, {"units": MODEL_FIELDS[k][0], "long_name": MODEL_FIELDS[k][1]})
                for k, v in self.model_arrays.items()}
        data |= {f"hardware_{k}": ("hardware", v, {"units": HARDWARE_FIELDS[k][0], "long_name": HARDWARE_FIELDS[k][1]})
                 for k, v in self.hardware_arrays.items()}
        data["hardware_fitted"] = ("hardware", np.array([h in self.fitted_hardware for h in self.hardware], dtype=np.int8),
                                   {"units": "1", "long_name": "1: the calibration had throughput rows on it"})
        coords = {"model": self.models, "hardware": self.hardware}
        if self.closed_models:
            from .closed import closed_dataset

            data |= closed_dataset(self.closed_models)
            coords["closed_model"] = list(self.closed_models)
        return xr.Dataset(data, coords=coords)

    @classmethod
    def from_dataset(cls, ds) -> "Catalogs":
        hardware = [str(h) for h in ds["hardware"].values]
        return cls(
            models=[str(m) for m in ds["model"].values],
            model_arrays={k: ds[f"model_{k}"].values.astype(float) for k in MODEL_FIELDS},
            hardware=hardware,
            hardware_arrays={k: ds[f"hardware_{k}"].values.astype(float) for k in HARDWARE_FIELDS},
            fitted_hardware=[h for h, f in zip(hardware, ds["hardware_fitted"].values) if f],
            closed_models=_closed_from(ds),
        )


def _closed_from(ds) -> dict:
    if "closed_model" not in ds.coords:
        return {}
    from .closed import closed_from_dataset

    return closed_from_dataset(ds)


def build_catalogs(model_rows: list[dict], hardware_rows: list[dict]) -> Catalogs:
    archs = [architecture_of(r) for r in model_rows]
    hws = [hardware_of(r) for r in hardware_rows]
    return Catalogs(
        models=[r["id"] for r in model_rows],
        model_arrays={k: np.array([a[k] for a in archs]) for k in MODEL_FIELDS},
        hardware=[r["id"] for r in hardware_rows],
        hardware_arrays={k: np.array([h[k] for h in hws]) for k in HARDWARE_FIELDS},
    )
