"""The model catalog: the curated rows, every ML.ENERGY v3 model, and the models measurements use."""

from __future__ import annotations

import csv
from collections import defaultdict

from .common import ARCHITECTURE_COLUMNS, BuildError, fmt

# --- the model catalog ----------------------------------------------------------------

#: The hand-curated catalog rows (each checked against its model card); written first,
#: byte for byte as they were before this script wrote the catalog.
CURATED_MODELS_CSV = '''\
id,name,total_params_b,active_params_b,architecture,source_url,date,evidence,note
Llama-3.1-405B,Llama 3.1 405B,405,405,dense,https://huggingface.co/meta-llama/Llama-3.1-405B,2024-07-23,model card,
Llama-3.1-70B,Llama 3.1 70B,70,70,dense,https://huggingface.co/meta-llama/Llama-3.1-70B,2024-07-23,model card,
Llama-3.1-8B,Llama 3.1 8B,8,8,dense,https://huggingface.co/meta-llama/Llama-3.1-8B,2024-07-23,model card,
Mixtral-8x22B,Mixtral 8x22B,141,39,moe,https://mistral.ai/news/mixtral-8x22b,2024-04-17,vendor announcement,the Oviedo et al. table lists 22 B active parameters; Mistral gives 39 B active of 141 B (reference-data README Corrections)
Mistral-Large-2,Mistral Large 2,123,123,dense,https://mistral.ai/news/mistral-large-2407,2024-07-24,vendor announcement,"the Oviedo et al. table calls it Mistral Large (123 B, dense)"
DeepSeek-R1,DeepSeek-R1,671,37,moe,https://huggingface.co/deepseek-ai/DeepSeek-R1,2025-01-20,model card,
Llama-3.1-Nemotron-Ultra-253B,Llama 3.1 Nemotron Ultra 253B,253,253,dense,https://huggingface.co/nvidia/Llama-3_1-Nemotron-Ultra-253B-v1,2025-04-07,model card,the Oviedo et al. table lists 235 B total parameters; the model card gives 253 B (dense; derived from Llama 3.1 405B by architecture search)
'''

#: Catalog models that only the measurements use; each is written only if a row uses it.
EXTRA_MODELS = {
    "Llama-2-70B": {
        "id": "Llama-2-70B", "name": "Llama 2 70B", "total_params_b": "70", "active_params_b": "70",
        "architecture": "dense", "source_url": "https://huggingface.co/meta-llama/Llama-2-70b-hf",
        "date": "2023-07", "evidence": "model card",
        "note": "the MLPerf Llama-2-70B benchmark model (measurements.csv C09, C10a)",
    },
}

MLENERGY_URL = "https://ml.energy/leaderboard"
MLENERGY_DATE = "2026-02-16"
MLENERGY_SOURCE = "ML.ENERGY leaderboard v3.0 (Chung et al., NeurIPS D&B 2025)"
MLENERGY_EVIDENCE = "primary data (leaderboard JSON, commit 0cd52da)"
TASK_WORKLOAD = {"lm-arena-chat": "chat", "gpqa": "reasoning", "sourcegraph-fim": "code"}
ARCHITECTURE = {"Dense Transformer": "dense", "MoE": "moe", "Mamba-Transformer Hybrid": "hybrid"}

#: Catalog ids of leaderboard models whose id is not simply the Hugging Face repository
#: name (without the organisation and the -FP8 suffix).
MLENERGY_MODEL_IDS = {
    "meta-llama/Llama-3.1-8B-Instruct": "Llama-3.1-8B",
    "meta-llama/Llama-3.1-70B-Instruct": "Llama-3.1-70B",
    "meta-llama/Llama-3.1-405B-Instruct": "Llama-3.1-405B",
    "meta-llama/Llama-3.3-70B-Instruct": "Llama-3.3-70B",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": "Llama-4-Scout-17B-16E",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "Llama-4-Maverick-17B-128E",
    "deepseek-ai/DeepSeek-R1-0528": "DeepSeek-R1",
}
#: Notes carried on the observation rows of a leaderboard checkpoint mapped to an older id.
CHECKPOINT_NOTES = {
    "deepseek-ai/DeepSeek-R1-0528": "checkpoint DeepSeek-R1-0528: same architecture as DeepSeek-R1 (671 B total, 37 B active)",
}


def base_hf_id(hf_id: str) -> str:
    """The -FP8 repositories hold the same model as the repository without the suffix."""
    return hf_id[: -len("-FP8")] if hf_id.endswith("-FP8") else hf_id


def mlenergy_model_id(hf_id: str) -> str:
    base = base_hf_id(hf_id)
    return MLENERGY_MODEL_IDS.get(base, base.split("/", 1)[1])


def build_models(configs: list[dict[str, str]], used: set[str]) -> list[dict[str, str]]:
    """The curated rows, then one row per leaderboard model not yet in the catalog, then
    the measurement-only models that a measurement row uses."""
    rows = list(csv.DictReader(CURATED_MODELS_CSV.splitlines()))
    by_id = {r["id"]: r for r in rows}
    per_model: dict[str, list[dict[str, str]]] = defaultdict(list)
    for c in configs:
        per_model[mlenergy_model_id(c["model_id"])].append(c)
    for model_id, cs in per_model.items():
        meta = {(float(c["total_params_b"]), float(c["active_params_b"]), ARCHITECTURE[c["architecture"]]) for c in cs}
        if len(meta) != 1:
            raise BuildError(f"{model_id}: the leaderboard rows disagree on size or architecture: {meta}")
        total, active, arch = meta.pop()
        if model_id in by_id:  # a curated row: the leaderboard must agree with it
            row = by_id[model_id]
            if (float(row["total_params_b"]), float(row["active_params_b"]), row["architecture"]) != (total, active, arch):
                raise BuildError(f"{model_id}: the leaderboard metadata disagrees with the curated catalog row")
            continue
        hf_ids = sorted({c["model_id"] for c in cs})
        (base,) = {base_hf_id(h) for h in hf_ids}
        shown = base if base in hf_ids else hf_ids[0]
        if len(hf_ids) > 1:
            note = f"benchmarked as {' and '.join(hf_ids)}; precision is on the observation rows"
        elif shown != base:
            note = f"only the FP8 checkpoint {shown} was benchmarked"
        else:
            note = ""
        rows.append({
            "id": model_id, "name": base.split("/", 1)[1], "total_params_b": fmt(total),
            "active_params_b": fmt(active), "architecture": arch,
            "source_url": f"https://huggingface.co/{shown}", "date": MLENERGY_DATE,
            "evidence": "ML.ENERGY leaderboard v3 model metadata", "note": note,
        })
        by_id[model_id] = rows[-1]
    for model_id, row in EXTRA_MODELS.items():
        if model_id in used and model_id not in by_id:
            rows.append(dict(row))
    return rows


def with_architecture(rows: list[dict[str, str]], architectures: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each catalog row joined with its published configuration (empty cells where none was read).

    An architecture row for a model not in the catalog is an error, so a typo cannot drop one.
    """
    by_id = {r["id"]: r for r in architectures}
    unknown = set(by_id) - {r["id"] for r in rows}
    if unknown:
        raise BuildError(f"architectures of models not in the catalog: {sorted(unknown)}")
    return [{**r, **{c: by_id.get(r["id"], {}).get(c, "") for c in ARCHITECTURE_COLUMNS}} for r in rows]


