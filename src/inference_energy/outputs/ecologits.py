"""EcoLogits (PyPI ``ecologits``, offline) beside our estimates: which of its models is ours, and its
per-call energy summed over an account's requests, the way its users add up calls today.

EcoLogits estimates one call from the model and its output tokens (input tokens are ignored), as a
min-max range over its provider's PUE and its model-size range; ``request_latency=inf`` makes it use
its own latency model.  Summing those ranges over calls is what the issue calls adding up min/max
ranges: the min of the sum is the sum of the mins, which treats every call as sharing the extreme.
"""

from __future__ import annotations

import math

import numpy as np

#: Our catalog id -> EcoLogits model name (provider ``huggingface_hub``, the open-weight models).
ECOLOGITS_PROVIDER = "huggingface_hub"
ECOLOGITS_MODELS = {
    "Llama-3.1-8B": "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "Llama-3.1-70B": "meta-llama/Meta-Llama-3.1-70B-Instruct",
    "Llama-3.1-405B": "meta-llama/Meta-Llama-3.1-405B-Instruct",
    "Mixtral-8x22B": "mistralai/Mixtral-8x22B-Instruct-v0.1",
    "Mistral-Large-2": "mistralai/Mistral-Large-Instruct-2407",
    "gpt-oss-120b": "openai/gpt-oss-120b",
    "gpt-oss-20b": "openai/gpt-oss-20b",
    "Llama-2-70B": "meta-llama/Llama-2-70b-chat-hf",
}
#: Our closed catalog's provider -> EcoLogits' provider name.
CLOSED_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "google": "google_genai", "mistral": "mistralai",
                    "cohere": "cohere"}


def available() -> bool:
    try:
        import ecologits  # noqa: F401
    except ImportError:
        return False
    return True


def ecologits_model(model: str, closed_models: dict) -> tuple[str, str] | None:
    """(provider, name) EcoLogits knows our ``model`` by, or None: open models by the mapping above, closed
    services by their id or any alias in their provider's EcoLogits repository."""
    from ecologits.model_repository import models

    if model in ECOLOGITS_MODELS:
        return ECOLOGITS_PROVIDER, ECOLOGITS_MODELS[model]
    closed = closed_models.get(model)
    if closed is None or closed.provider not in CLOSED_PROVIDERS:
        return None
    provider = CLOSED_PROVIDERS[closed.provider]
    for name in (closed.id, *closed.aliases):
        if models.find_model(provider, name) is not None:
            return provider, name
    return None


def call_energy_wh(provider: str, name: str, output_tokens: int) -> tuple[float, float]:
    """EcoLogits' (min, max) energy of one call [Wh], facility (x its provider's PUE)."""
    from ecologits.tracers.utils import llm_impacts

    impacts = llm_impacts(provider, name, max(1, int(output_tokens)), request_latency=math.inf)
    if impacts.has_errors:
        raise RuntimeError(f"EcoLogits could not estimate {name}: {impacts.errors}")
    v = impacts.energy.value
    lo, hi = (float(v.min), float(v.max)) if hasattr(v, "min") else (float(v), float(v))
    return lo * 1000.0, hi * 1000.0


def account_sums(cells, groups, closed_models: dict) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """EcoLogits' per-call (min, max) energy [kWh] summed over each group's requests (an account's
    ``cells`` group), and why a model got none (not in EcoLogits)."""
    lo, hi = np.zeros(len(groups)), np.zeros(len(groups))
    models = cells["cell_model"].values
    out = np.round(cells["cell_output_tokens"].values).astype(int)
    names, missing, cache = {}, {}, {}
    per_cell = np.full((len(models), 2), np.nan)
    for c, (m, o) in enumerate(zip(models, out)):
        if m not in names:
            names[m] = ecologits_model(m, closed_models)
            if names[m] is None:
                missing[m] = "not in EcoLogits' model repository"
        if names[m] is None:
            continue
        key = (m, o)
        if key not in cache:
            cache[key] = call_energy_wh(*names[m], o)
        per_cell[c] = cache[key]
    cell, group, n = (cells[k].values for k in ("entry_cell", "entry_group", "entry_requests"))
    ok = np.isfinite(per_cell[cell, 0])
    np.add.at(lo, group[ok], n[ok] * per_cell[cell[ok], 0] / 1000.0)
    np.add.at(hi, group[ok], n[ok] * per_cell[cell[ok], 1] / 1000.0)
    covered = np.zeros(len(groups))
    np.add.at(covered, group, np.where(ok, n, 0.0))
    return np.where(covered > 0, lo, np.nan), np.where(covered > 0, hi, np.nan), missing
