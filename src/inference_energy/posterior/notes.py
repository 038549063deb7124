"""What an estimate should say beside its numbers: the physical floor, the operating point,
and where it extrapolates (an accelerator without data, a model known only by its size)."""

from __future__ import annotations

import numpy as np

from ..model import laws
from .pushforward import DEFAULT_INTERACTIVITY, PRODUCTION, ScenarioDraws


def hand_count(d: ScenarioDraws, input_tokens: float, output_tokens: float) -> dict[str, float]:
    """FLOPs and bytes of one query at the given lengths, and the floors they set on this hardware.

    - prefill floor [Wh]: the prefill FLOPs at the accelerator's dense peak (weight matmuls at the weights'
      precision, attention at the KV cache's), drawing its full TDP;
    - decode step floor [s]: the bytes one step moves (weights once, each request's KV cache) at
      full HBM bandwidth, at the scenario's median batch; and at batch 1.
    """
    a, hw = d.arch, d.hw
    cached = min(d.cached, input_tokens - 1.0)
    weights, attention = laws.prefill_flops_split(np, a, input_tokens - cached, cached)
    flops = float(weights + attention)
    context = input_tokens + 0.5 * output_tokens
    batch = float(np.median(d.batch))
    step_bytes = float(laws.decode_step_bytes(np, a, batch, context, d.weight_bytes, d.kv_bytes))
    one_bytes = float(laws.decode_step_bytes(np, a, 1.0, context, d.weight_bytes, d.kv_bytes))
    return {
        "prefill_flops": flops,
        "prefill_floor_wh": hw["tdp"] * float(laws.compute_seconds(hw, weights, attention)) / 3600.0,
        "decode_step_bytes": step_bytes,
        "decode_step_floor_s": step_bytes / (d.n_gpus * hw["bandwidth"]),
        "batch1_step_floor_s": one_bytes / (d.n_gpus * hw["bandwidth"]),
        "median_batch": batch,
    }


def estimate_notes(d: ScenarioDraws, sc, input_tokens: float, output_tokens: float) -> list[str]:
    """Lines to print under an estimate (and to put in its JSON)."""
    h = hand_count(d, input_tokens, output_tokens)
    notes = [
        f"hand count at {input_tokens:g} in / {output_tokens:g} out: prefill {h['prefill_flops']:.3g} FLOP, at least "
        f"{h['prefill_floor_wh']:.3g} Wh of GPU energy (dense peaks {d.hw['peak_flops'] / 1e12:.0f} TFLOP/s for "
        f"weights, {d.hw['attention_flops'] / 1e12:.0f} for attention, at "
        f"{d.hw['tdp']:.0f} W); a decode step moves {h['decode_step_bytes'] / 1e9:.3g} GB at batch "
        f"{h['median_batch']:.0f}, at least {1e3 * h['decode_step_floor_s']:.3g} ms on {d.n_gpus:g} GPU(s) "
        f"({1e3 * h['batch1_step_floor_s']:.3g} ms at batch 1). No draw is below these floors.",
    ]
    if sc.concurrency is None and (sc.interactivity is not None or sc.serving in PRODUCTION):
        target = sc.interactivity or DEFAULT_INTERACTIVITY
        why = "" if sc.interactivity else (" (default: DeepSeek's production average of 20-22 output tokens/s "
                                           "per user; set --interactivity or --concurrency)")
        notes.append(f"operating point: {target:g} output tokens/s per user{why}, "
                     f"{np.median(d.batch) / d.n_gpus:.3g} requests in flight per GPU (posterior median).")
    if not d.hardware_fitted:
        notes.append(f"{sc.hardware} has no throughput data in this calibration: its efficiencies are drawn from "
                     "the accelerator prior (prior-based extrapolation from its published FLOP/s and bandwidth).")
    if sc.model is None:
        kind = "as given" if d.arch.get("architecture_known") else "generic for its size (give --layers, --attention-heads, --kv-heads, --head-dim)"
        notes.append(f"{sc.label} is not in the catalog: architecture {kind}; model effects drawn from their fitted spread.")
    elif not d.arch.get("architecture_known"):
        notes.append(f"{sc.model}: no published configuration in the catalog; generic architecture for its size.")
    return notes


def typical_lengths(sc, post, traces) -> tuple[float, float]:
    """Median input and output tokens of the scenario (the hand count's lengths)."""
    from .pushforward import _typical_tokens

    inp, out = _typical_tokens(sc, post, traces)
    return float(inp), float(np.median(out)) if not isinstance(out, float) else out


__all__ = ["estimate_notes", "hand_count", "typical_lengths"]
