"""What every builder shares: output columns, CSV reading and writing, and the build's own error."""

from __future__ import annotations

import csv
import re
from pathlib import Path


class BuildError(ValueError):
    """A reference row cannot become a calibration row as written; the message names the row."""


OBSERVATION_COLUMNS = [
    "id", "quantity", "value", "unit", "statistic", "scope", "model", "hardware",
    "precision", "num_gpus", "input_tokens", "output_tokens", "concurrency",
    "serving", "uncertainty", "role", "source", "source_url", "date", "evidence",
    "note",
]


#: The observation columns of the tables built below (the schema's order, with the
#: optional workload/operator/deployment/component columns).  ``throughput_paper.csv``
#: keeps the shorter ``OBSERVATION_COLUMNS`` above: those columns are optional.
OBSERVATION_COLUMNS_FULL = [
    "id", "quantity", "value", "unit", "statistic", "scope", "model", "hardware",
    "precision", "num_gpus", "input_tokens", "output_tokens", "concurrency",
    "data_parallel", "cached_input_tokens", "serving", "workload", "operator", "deployment", "component", "uncertainty",
    "role", "source", "source_url", "date", "evidence", "note",
]

#: The tables of operators' figures add where a figure covers part of a replica and the KV precision.
EXTENDED_COLUMNS = OBSERVATION_COLUMNS_FULL[:15] + ["replica_gpus", "kv_precision"] + OBSERVATION_COLUMNS_FULL[15:]

MODEL_COLUMNS = ["id", "name", "total_params_b", "active_params_b", "architecture",
                 "source_url", "date", "evidence", "note"]
#: The architecture columns joined from reference_data/architectures/ (see models.py).
ARCHITECTURE_COLUMNS = ["layers", "attention_layers", "hidden_size", "attention_heads", "kv_heads", "head_dim",
                        "kv_latent_dim", "sliding_window", "sliding_window_layers", "experts", "active_experts",
                        "arch_source_url", "arch_evidence"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def fmt(x: float) -> str:
    """A computed number, without float noise (0.58 * 0.24 -> 0.1392)."""
    return f"{x:.6g}"


def first_url(text: str) -> str:
    match = re.search(r"https?://[^\s;,()]+", text)
    if not match:
        raise BuildError(f"no URL in {text!r}")
    return match.group(0)


def clean_date(text: str) -> str:
    """The leading YYYY, YYYY-MM or YYYY-MM-DD of a reference date ("2025-12 (v3.0; ...)")."""
    match = re.match(r"(\d{4})(-\d{2}(?!\d)(-\d{2}(?!\d))?)?", text.strip())
    if not match:
        raise BuildError(f"no date in {text!r}")
    if text.strip()[match.end():].startswith("/"):  # "2026-05/06": the month is not settled
        return match.group(1)
    return match.group(0)



def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    """One table, with Unix line ends, in the given column order."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
