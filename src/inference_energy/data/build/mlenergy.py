"""Every ML.ENERGY leaderboard v3 configuration as three rows: output throughput, GPU power, inter-token latency."""

from __future__ import annotations

from .common import BuildError
from .models import (CHECKPOINT_NOTES, MLENERGY_DATE, MLENERGY_EVIDENCE, MLENERGY_SOURCE, MLENERGY_URL,
                     TASK_WORKLOAD, mlenergy_model_id)

# --- ML.ENERGY leaderboard v3: every configuration ------------------------------------


def build_mlenergy(configs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Three rows per configuration: total output throughput, total GPU power, median inter-token latency.

    ``concurrency`` is the measured mean batch over all ``data_parallel`` replicas.
    """
    rows = []
    for i, c in enumerate(configs, start=1):
        if c["gpu"] not in ("H100", "B200"):
            raise BuildError(f"configuration {i}: unexpected GPU {c['gpu']!r}")
        notes = [f"task={c['task']}; hf={c['model_id']}",
                 f"TP={c['tensor_parallel']} EP={c['expert_parallel']} DP={c['data_parallel']} "
                 f"max_num_seqs={c['max_num_seqs']}; totals over {c['num_gpus']} GPU(s)"]
        if c["model_id"] in CHECKPOINT_NOTES:
            notes.append(CHECKPOINT_NOTES[c["model_id"]])
        common = {
            "statistic": "mean", "scope": "gpu", "model": mlenergy_model_id(c["model_id"]),
            "hardware": c["gpu"], "precision": c["weight_precision"], "num_gpus": c["num_gpus"],
            "input_tokens": "", "output_tokens": c["avg_output_tokens"], "concurrency": c["avg_batch_size"],
            "data_parallel": c["data_parallel"], "cached_input_tokens": "",
            "serving": "steady_state", "workload": TASK_WORKLOAD[c["task"]], "operator": "",
            "deployment": "", "component": "", "uncertainty": "", "role": "likelihood",
            "source": MLENERGY_SOURCE, "source_url": MLENERGY_URL, "date": MLENERGY_DATE,
            "evidence": MLENERGY_EVIDENCE, "note": "; ".join(notes),
        }
        rows.append({"id": f"ML{i:04d}a", "quantity": "output_throughput",
                     "value": c["output_tokens_per_s_total"], "unit": "tokens/s", **common})
        rows.append({"id": f"ML{i:04d}b", "quantity": "gpu_power",
                     "value": c["avg_power_w_total"], "unit": "W", **common})
        rows.append({"id": f"ML{i:04d}c", "quantity": "inter_token_latency", **common,
                     "value": c["median_itl_ms"], "unit": "ms", "statistic": "median"})
    return rows


