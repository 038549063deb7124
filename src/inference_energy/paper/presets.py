"""The seed paper's hand-set inputs, as named presets.

``paper-v1`` is the September 2025 preprint (arXiv 2509.20241v1), ``paper-v2``
the June 2026 revision published in Joule.  The only difference is the node
power (see ``docs/paper-method.md``).  A preset is plain data: it serialises to
JSON, is stored in every result file, and can be varied field by field with
:meth:`PaperPreset.replace` (that is how the sensitivity variants are built).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

REGIMES = ("traditional", "long")


@dataclass(frozen=True)
class PaperPreset:
    """Inputs of the paper's forward Monte Carlo (see docs/paper-method.md)."""

    name: str
    description: str
    #: P_max of one 8-GPU node, kW, for every model not listed below.
    node_power_kw: float
    #: P_max overrides by model id, kW (DeepSeek-R1's rows are H200 or scaled figures).
    node_power_kw_by_model: dict[str, float] = field(default_factory=dict)
    #: P5 and P95 of the lognormal power utilization (fraction of P_max; not clipped at 1).
    power_utilization_p5_p95: tuple[float, float] = (0.4, 0.9)
    #: P5 and P95 of the lognormal PUE.
    pue_p5_p95: tuple[float, float] = (1.05, 1.6)
    #: Input tokens per query (fixed; acts only through throughput unless weighted).
    input_tokens: float = 500.0
    #: Median output tokens of the exponential length distribution, per regime.
    output_tokens_median: dict[str, float] = field(
        default_factory=lambda: {"traditional": 300.0, "long": 5000.0}
    )
    #: Monte Carlo draws per model and regime.
    draws: int = 10_000
    #: Throughput table and the precision whose rows are used.
    throughput_table: str = "throughput_paper.csv"
    precision: str = "FP8"
    #: A model needs this many rows for the log-linear fit; fewer: constant max TPS.
    min_rows_for_fit: int = 3
    #: The frontier blend: the k models with the highest median energy, trimmed twice.
    blend_size: int = 3
    blend_trims: tuple[tuple[float, float], ...] = ((5.0, 95.0), (10.0, 90.0))
    #: Efficiency pathways: P5 and P95 of each lognormal divisor.
    pathways: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"model": (1.5, 10.0), "serving": (1.5, 5.0), "hardware": (1.5, 2.5)}
    )
    #: Fleet: overhead factors multiplied onto the mean query energy (no derivation published).
    fleet_overhead: tuple[float, ...] = (1.10, 1.076, 1.12)
    #: Fleet "improved": P5 and P95 of the serving divisor, per regime.
    fleet_serving_multiplier: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"traditional": (1.5, 3.5), "long": (1.5, 3.0)}
    )
    fleet_bootstrap: int = 1000
    #: Sensitivity (section 8): an input token costs this fraction of an output token.
    input_token_weight: float = 0.0
    #: Sensitivity (section 8): PU = a + b * TPS / TPS_max instead of the lognormal.
    power_coupling: tuple[float, float] | None = None

    def node_power(self, model_id: str) -> float:
        """P_max in kW for this model (a per-model override, else the preset's node power)."""
        return self.node_power_kw_by_model.get(model_id, self.node_power_kw)

    def replace(self, **changes: Any) -> "PaperPreset":
        """A copy with some fields changed (presets are frozen)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every field, as stored in a result file's ``config`` attribute."""
        return asdict(self)

    def to_json(self) -> str:
        """:meth:`to_dict` as sorted JSON."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PaperPreset":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown preset fields: {', '.join(sorted(unknown))}")
        tuples = {"power_utilization_p5_p95", "pue_p5_p95", "fleet_overhead", "power_coupling"}
        data = {k: (tuple(v) if k in tuples and v is not None else v) for k, v in data.items()}
        if "blend_trims" in data:
            data["blend_trims"] = tuple(tuple(t) for t in data["blend_trims"])
        for key in ("pathways", "fleet_serving_multiplier"):
            if key in data:
                data[key] = {k: tuple(v) for k, v in data[key].items()}
        return cls(**data)


PRESETS: dict[str, PaperPreset] = {
    "paper-v1": PaperPreset(
        name="paper-v1",
        description="Oviedo et al., arXiv 2509.20241v1 (Sep 2025): P_max 11.3 kW; 14.1 kW for DeepSeek-R1",
        node_power_kw=11.3,
        node_power_kw_by_model={"DeepSeek-R1": 14.1},
    ),
    "paper-v2": PaperPreset(
        name="paper-v2",
        description="Oviedo et al., Joule 2026 (arXiv 2509.20241v2): P_max 10.2 kW; 12.8 kW for DeepSeek-R1",
        node_power_kw=10.2,
        node_power_kw_by_model={"DeepSeek-R1": 12.8},
    ),
}

#: The two sensitivity scripts of paper-method.md section 8, as preset changes.
VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "input-weighted": {"input_token_weight": 1.0 / 30.0},
    "load-coupled": {"power_coupling": (0.24, 0.56)},
}


def get_preset(name: str, variant: str = "baseline", **changes: Any) -> PaperPreset:
    """A named preset, optionally with a sensitivity variant and field changes."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    if variant not in VARIANTS:
        raise KeyError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    preset = PRESETS[name]
    changes = {**VARIANTS[variant], **{k: v for k, v in changes.items() if v is not None}}
    if changes:
        suffix = "" if variant == "baseline" else f"+{variant}"
        preset = preset.replace(name=preset.name + suffix, **changes)
    return preset
