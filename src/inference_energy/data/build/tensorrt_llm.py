"""NVIDIA's TensorRT-LLM performance overview -> ``tensorrt_llm.csv``: vendor maximum-throughput rows.

Two versions of the page, each transcribed table by table into
``reference_data/tensorrt_llm/`` (its README quotes the page on units and settings):

- v1.0 (``docs/source/performance/perf-overview.md``): the ISL/OSL grid 128/128 ...
  20000/2000 on H100, H200, B200, GB200; "Total Output Throughput" over the run's GPUs;
- main (``docs/source/developer-guide/perf-overview.md``): 1000/1000 ... 32768/1024, adds
  DeepSeek-R1 and gpt-oss; "output tokens per second per GPU", stored here times the GPUs
  so that every row's value is the total over ``num_gpus`` (the note says so).

Every request has exactly the stated lengths (input and output sd 0) and requests are
queued at once, so the batch is what the engine fits: ``concurrency`` is left empty.
Accelerators outside the catalog (RTX 6000 Pro) are left out.

Neither page carries a date: ``date`` is the year of the release it documents (v1.0: 2025) and,
for the main-branch page, the year it was read (2026); the commit in ``source_url`` is exact.
"""

from __future__ import annotations

from pathlib import Path

from .common import BuildError, fmt, read_csv

FILES = {
    "v1.0": ("perf_overview_v1.0.csv", "docs/source/performance/perf-overview.md", "2025"),
    "main": ("perf_overview_main.csv", "docs/source/developer-guide/perf-overview.md", "2026"),
}
MODEL_IDS = {
    "Llama 3.1 8B": "Llama-3.1-8B", "Llama 3.1 405B": "Llama-3.1-405B", "Llama 3.3 70B": "Llama-3.3-70B",
    "LLaMA v3.3 70B": "Llama-3.3-70B", "Llama 4 Maverick": "Llama-4-Maverick-17B-128E",
    "LLaMA v4 Maverick": "Llama-4-Maverick-17B-128E", "Llama 4 Scout": "Llama-4-Scout-17B-16E",
    "Qwen3-235B-A22B": "Qwen3-235B-A22B-Instruct-2507", "Qwen3 235B A22B": "Qwen3-235B-A22B-Instruct-2507",
    "Qwen3-30B-A3B": "Qwen3-30B-A3B-Instruct-2507", "Qwen3 30B A3B": "Qwen3-30B-A3B-Instruct-2507",
    "Deepseek R1 0528": "DeepSeek-R1", "GPT-OSS 120B": "gpt-oss-120b", "GPT-OSS 20B": "gpt-oss-20b",
}
#: Same architecture, different checkpoint: said on every row it concerns.
CHECKPOINT = {"Qwen3-235B-A22B-Instruct-2507": "checkpoint Qwen3-235B-A22B (same architecture as the -2507 release)",
              "Qwen3-30B-A3B-Instruct-2507": "checkpoint Qwen3-30B-A3B (same architecture as the -2507 release)",
              "DeepSeek-R1": "checkpoint DeepSeek-R1-0528 (same architecture as DeepSeek-R1)"}
CATALOG_HARDWARE = {"H100", "H200", "B200", "GB200"}
PRECISION = {"FP8": "fp8", "FP4": "nvfp4"}


def build_tensorrt_llm(reference: Path) -> list[dict[str, str]]:
    rows = []
    for version, (name, path, date) in FILES.items():
        for i, r in enumerate(read_csv(reference / name), start=2):
            if r["hardware"] not in CATALOG_HARDWARE:
                continue
            if r["model"] not in MODEL_IDS:
                raise BuildError(f"{name} line {i}: no catalog id for model {r['model']!r}")
            model = MODEL_IDS[r["model"]]
            n = int(r["num_gpus"])
            per_gpu = r["per"] == "gpu"
            total = float(r["value"]) * (n if per_gpu else 1)
            notes = [f"{r['section']}; TP={r['tp'] or 1} PP={r['pp'] or 1} EP={r['ep'] or 1}",
                     f"page value {r['value']} {r['unit']}" + (f" x {n} GPUs = total" if per_gpu and n > 1 else ""),
                     "max load, constant lengths; batch as the engine fits"]
            if model in CHECKPOINT:
                notes.append(CHECKPOINT[model])
            rows.append({
                "id": f"TR{version[0].upper()}{len(rows) + 1:04d}", "quantity": "output_throughput", "value": fmt(total),
                "unit": "tokens/s", "statistic": "point", "scope": "gpu", "model": model, "hardware": r["hardware"],
                "precision": PRECISION[r["precision"]], "num_gpus": str(n), "input_tokens": r["input_tokens"],
                "output_tokens": r["output_tokens"], "concurrency": "", "data_parallel": "", "cached_input_tokens": "",
                "serving": "vendor_max_benchmark", "workload": "fixed", "operator": "", "deployment": "", "component": "",
                "uncertainty": "", "role": "likelihood",
                "source": f"NVIDIA TensorRT-LLM performance overview ({version})",
                "source_url": f"https://github.com/NVIDIA/TensorRT-LLM/blob/{r['commit']}/{path}",
                "date": date, "evidence": f"primary (vendor documentation, commit {r['commit'][:8]})",
                "note": "; ".join(notes),
            })
    return rows
