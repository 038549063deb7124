"""Operators' production telemetry (``reference_data/production/``) -> ``production.csv``.

Each source is kept as a verbatim excerpt; every figure a row cites must appear in
its excerpt, so a typing slip fails the build.  Figures the source does not state
but that follow from the ones it does (requests in flight, mean lengths) are
computed here, with the arithmetic in the row's note.
"""

from __future__ import annotations

from pathlib import Path

from .common import EXTENDED_COLUMNS as PRODUCTION_COLUMNS
from .common import BuildError, fmt

DEEPSEEK_FILE = "deepseek_v3r1_inference_system.md"
DEEPSEEK_SOURCE = "DeepSeek (V3/R1 inference system overview, Open Source Week day 6)"
DEEPSEEK_URL = ("https://github.com/deepseek-ai/open-infra-index/blob/main/202502OpenSourceWeek/"
                "day_6_one_more_thing_deepseekV3R1_inference_system_overview.md")
DEEPSEEK_EVIDENCE = ("primary: the operator's own statistics of its service over 24 h (2025-02-27/28); verbatim excerpt "
                     f"in reference_data/production/{DEEPSEEK_FILE} (open-infra-index @ 56d86855)")


class _Rows:
    def __init__(self, text: str, file: str):
        self.text, self.file, self.rows = text, file, []

    def add(self, row_id: str, cite: list[str], **cols: str) -> None:
        for piece in cite:
            if piece not in self.text:
                raise BuildError(f"{row_id}: {piece!r} is not in reference_data/production/{self.file}")
        self.rows.append({c: "" for c in PRODUCTION_COLUMNS} | {"id": row_id} | cols)


def deepseek_rows(reference: Path) -> list[dict[str, str]]:
    """DeepSeek-V3/R1 on H800, disaggregated: decode and prefill throughput per node, speed per user, load."""
    m = _Rows((reference / DEEPSEEK_FILE).read_text(encoding="utf-8"), DEEPSEEK_FILE)
    # Stated figures.
    input_b, output_b, hit = 608.0, 168.0, 0.563
    kv_length, speed, decode_node, prefill_node, peak, average = 4989.0, 21.0, 14.8e3, 73.7e3, 278.0, 226.75
    # Derived: mean lengths whose ratio is the day's token ratio and whose decode context
    # (input + output / 2, the law's) is the stated KV length per output token.
    output = kv_length / (input_b / output_b + 0.5)
    inp = output * input_b / output_b
    lengths = dict(input_tokens=fmt(round(inp)), output_tokens=fmt(round(output)),
                   cached_input_tokens=fmt(round(hit * inp)))
    length_note = (f"lengths derived: input/output = 608B/168B and input + output/2 = 4,989 (the KV length per "
                   f"output token) give {inp:.0f} in / {output:.0f} out per request, {hit:.1%} of the input from "
                   "the on-disk KV cache")
    common = dict(model="DeepSeek-R1", hardware="H800", precision="fp8", kv_precision="bf16", num_gpus="8",
                  serving="production_disaggregated", workload="mixed", operator="deepseek", role="likelihood",
                  source=DEEPSEEK_SOURCE, source_url=DEEPSEEK_URL, date="2025-03-01", evidence=DEEPSEEK_EVIDENCE,
                  **lengths)
    precision_note = ("FP8 matmuls, BF16 MLA (kv_precision bf16); V3 and R1 share the architecture (the catalog's "
                      "DeepSeek-R1)")
    per_gpu = decode_node / 8
    m.add("DS01", ["~14.8k tokens/s output during decoding", "20–22 tokens per second", "EP144", "18 nodes", "FP8"],
          quantity="output_throughput", value=fmt(decode_node), unit="tokens/s", statistic="mean", scope="node",
          replica_gpus="144", concurrency=fmt(round(decode_node / speed)), component="decode", uncertainty="0.1",
          **common,
          note=f"average over 24 h of one H800 decode node (8 GPUs) in an 18-node EP144 unit; requests in flight "
               f"per node derived: {decode_node:.0f} / {speed:g} tokens/s per user = {decode_node / speed:.0f} "
               f"({per_gpu / speed:.0f} per GPU); {length_note}; {precision_note}; uncertainty 0.1 for the '~'")
    m.add("DS02", ["~73.7k tokens/s input (including cache hits)", "EP32", "spans 4 nodes", "56.3%"],
          quantity="input_throughput", value=fmt(prefill_node), unit="tokens/s", statistic="mean", scope="node",
          replica_gpus="32", component="prefill", uncertainty="0.1", **common,
          note=f"average over 24 h of one H800 prefill node (8 GPUs) in a 4-node EP32 unit, input tokens "
               f"including cache hits; {length_note}; {precision_note}; uncertainty 0.1 for the '~'")
    fleet = dict(serving="production_disaggregated", workload="mixed", operator="deepseek", role="likelihood",
                 source=DEEPSEEK_SOURCE, source_url=DEEPSEEK_URL, date="2025-03-01", evidence=DEEPSEEK_EVIDENCE)
    m.add("DS03", ["20–22 tokens per second"], quantity="output_speed_per_user", value=fmt(speed), unit="tokens/s",
          statistic="mean", scope="it", uncertainty="0.05", **fleet,
          note="average output speed a user saw over the day (20-22 tokens/s; 21 with sd 0.05 on ln)")
    m.add("DS04", ["reached 278", "average occupancy of 226.75 nodes", "reduce inference nodes"],
          quantity="load_factor", value=fmt(average / peak), unit="fraction", statistic="mean", scope="it",
          uncertainty="0.02", **fleet,
          note=f"average over peak inference nodes in the day: {average:g} / {peak:g} = {average / peak:.4f}; "
               "DeepSeek follows the load with nodes (the rest go to research and training at night)")
    return m.rows


AZURE_FILE = "azure_llm_trace_2024/output.txt"
AZURE_SOURCE = "Microsoft Azure LLM inference trace 2024 (AzurePublicDataset; the DynamoLLM paper's trace)"
AZURE_URL = "https://github.com/Azure/AzurePublicDataset/blob/master/AzureLLMInferenceDataset2024.md"
AZURE_EVIDENCE = ("derived: the week's tokens per minute, digitised from the plots of the dataset's own notebook "
                  "(analysis/AzureLLMInferenceDataset2024.ipynb @ b469a113) by reference_data/production/"
                  "azure_llm_trace_2024/digitise.py; the digitised weekly mean request rate is within 1 % of the "
                  "exact row count the notebook prints (the week-long CSVs are on an Azure blob, not in the repository)")


def azure_rows(reference: Path) -> list[dict[str, str]]:
    """Average over peak hourly tokens of Azure's conversation and coding services over a week (May 2024)."""
    m = _Rows((reference / AZURE_FILE).read_text(encoding="utf-8"), AZURE_FILE)
    common = dict(quantity="load_factor", unit="fraction", statistic="mean", scope="it", serving="production",
                  operator="microsoft", role="likelihood", uncertainty="0.1", source=AZURE_SOURCE,
                  source_url=AZURE_URL, date="2024-05", evidence=AZURE_EVIDENCE)
    for row_id, service, workload, value, what in [
        ("AZ01", "conv", "chat", "0.634", "conversation service, 2024-05-12..18"),
        ("AZ02", "code", "code", "0.318", "coding service, 2024-05-10..16 (weekend trough included)"),
    ]:
        m.add(row_id, [f"{service} input+output tokens/h", f"mean/max={value}"], value=value, workload=workload,
              **common, note=f"mean over maximum hourly input+output tokens across 168 hours, {what}; "
                             "uncertainty 0.1 for the digitising")
    return m.rows


def build_production(reference: Path) -> list[dict[str, str]]:
    """Every operator's telemetry rows, in source order."""
    for name in (DEEPSEEK_FILE, AZURE_FILE):
        if not (reference / name).is_file():
            raise BuildError(f"{reference / name}: the source's excerpt is missing")
    return deepseek_rows(reference) + azure_rows(reference)
