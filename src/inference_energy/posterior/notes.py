"""What an estimate should say beside its numbers: the physical floor, the operating point,
and where it extrapolates (an accelerator without data, a model known only by its size)."""

from __future__ import annotations

import numpy as np

from ..model import laws
from .pushforward import ScenarioDraws


def hand_count(d: ScenarioDraws, input_tokens: float, output_tokens: float) -> dict[str, float]:
    """FLOPs and bytes of one query at the given lengths, and the floors they set on this hardware.

    - prefill floor [Wh]: the prefill FLOPs at the accelerator's dense peak (weight matmuls at the weights'
      precision, attention at the KV cache's), drawing its full TDP;
    - decode step floor [s]: the bytes one step moves (weights once, each request's KV cache) at
      full HBM bandwidth, at the scenario's median batch; and at batch 1.
    """
    # A closed model's size (and GPUs) vary by draw: the hand count is at the median draw.
    a, hw, n = {k: float(np.median(v)) for k, v in d.arch.items()}, d.hw, float(np.median(d.n_gpus))
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
        "decode_step_floor_s": step_bytes / (n * hw["bandwidth"]),
        "batch1_step_floor_s": one_bytes / (n * hw["bandwidth"]),
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
        f"{h['median_batch']:.0f}, at least {1e3 * h['decode_step_floor_s']:.3g} ms on {np.median(d.n_gpus):g} GPU(s) "
        f"({1e3 * h['batch1_step_floor_s']:.3g} ms at batch 1). No draw is below these floors.",
    ]
    if d.interactivity is not None:
        if sc.interactivity:
            target = f"{sc.interactivity:g} output tokens/s per user"
        else:
            lo, mid, hi = np.percentile(d.interactivity, [5, 50, 95])
            target = (f"{mid:.3g} ({lo:.3g}-{hi:.3g}) output tokens/s per user, the realised production operating "
                      "point of an operator (fitted to DeepSeek's published 20-22; set --interactivity or "
                      "--concurrency)")
        notes.append(f"operating point: {target}, {np.median(d.batch / d.n_gpus):.3g} requests in flight per GPU "
                     "(posterior median).")
    if not d.hardware_fitted:
        notes.append(f"{sc.hardware} has no throughput data in this calibration: its efficiencies are drawn from "
                     "the accelerator prior (prior-based extrapolation from its published FLOP/s and bandwidth).")
    if np.ndim(d.arch["active_params"]):
        notes.append(closed_note(d, sc))
    if sc.model is None:
        kind = "as given" if d.arch.get("architecture_known") else "generic for its size (give --layers, --attention-heads, --kv-heads, --head-dim)"
        notes.append(f"{sc.label} is not in the catalog: architecture {kind}; model effects drawn from their fitted spread.")
    elif not np.ndim(d.arch["active_params"]) and not d.arch.get("architecture_known"):
        notes.append(f"{sc.model}: no published configuration in the catalog; generic architecture for its size.")
    return notes


def closed_note(d: ScenarioDraws, sc) -> str:
    """Why a closed model's estimate is prior-heavy and what constrains it."""
    lo, mid, hi = np.percentile(d.arch["active_params"] / 1e9, [5, 50, 95])
    return (f"{sc.model} is a closed model: its size is not published, so the estimate is prior-heavy. Its active "
            f"parameters are drawn from the cited estimates in closed_models.csv ({mid:.3g} B median, {lo:.3g}-{hi:.3g} "
            "B), on a generic architecture, at the hand count's median size, at the operating point the disclosures were "
            f"fitted at ({np.median(d.batch / d.n_gpus):.3g} requests in flight per GPU). What constrains it: its provider's own "
            "per-query disclosure where it stands for the model (gpt-4o for ChatGPT, Gemini Flash for Gemini Apps: "
            "the size the disclosure implies); production serving's efficiencies, fitted to DeepSeek's fleet and the "
            "disclosures; host power; the idle capacity of the realised utilisation; the provider's PUE.")


def typical_lengths(sc, post, traces) -> tuple[float, float]:
    """Median input and output tokens of the scenario (the hand count's lengths)."""
    from .pushforward import _typical_tokens

    inp, out = _typical_tokens(sc, post, traces)
    return float(inp), float(np.median(out)) if not isinstance(out, float) else out


__all__ = ["closed_note", "estimate_notes", "hand_count", "typical_lengths"]
