"""Build the calibration tables from the collected, cited reference data in reference_data/.

``inference-energy data build`` regenerates ``calibration_data/`` from the
reference tables; ``inference-energy data build --check`` (and a test) fails
if the shipped tables are not exactly what the build makes, so a table can
never drift from its sources.  The builders:

- ``paper_table``: the seed paper's throughput table -> ``throughput_paper.csv``;
- ``models``: the model catalog, joined with ``architectures/`` -> ``models.csv``;
- ``mlenergy``: every ML.ENERGY v3 configuration -> ``mlenergy_v3.csv``;
- ``tensorrt_llm``: NVIDIA's TensorRT-LLM performance tables -> ``tensorrt_llm.csv``;
- ``measurements`` and ``measurement_rows``: published measurements -> ``measurements.csv``,
  each figure checked against the text of its reference row;
- ``production``: operators' production telemetry, kept as verbatim excerpts -> ``production.csv``.

Part of the data layer: imports nothing of the package above ``data``.
``hardware.csv`` and ``grid_carbon.csv`` are written by hand and not built.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .common import ARCHITECTURE_COLUMNS, EXTENDED_COLUMNS, MODEL_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_COLUMNS_FULL, BuildError, read_csv, write_csv
from .measurement_rows import (add_disclosures, add_facilities, add_power, add_reasoning_lengths,
                               add_throughput_and_tokens, add_utilisation)
from .measurements import SKIPPED, Measurements
from .mlenergy import build_mlenergy
from .models import build_models, with_architecture
from .paper_table import build_paper_throughput
from .production import PRODUCTION_COLUMNS, build_production
from .tensorrt_llm import build_tensorrt_llm

#: The reference data of a source checkout (``reference_data/`` beside ``src/``).
DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[4] / "reference_data"
#: The seed data set (the project's shared reference data, as collected).
SEED = "seed"
#: Each catalog model's published configuration (layers, heads, experts), cited per row.
ARCHITECTURES = "architectures"
#: NVIDIA's TensorRT-LLM performance overview, transcribed table by table.
TENSORRT_LLM = "tensorrt_llm"
#: Operators' production telemetry, as verbatim excerpts of what they published.
PRODUCTION = "production"

__all__ = ["BuildError", "DEFAULT_REFERENCE_DIR", "build_measurements", "build_tables", "check", "write_tables"]


def build_measurements(reference: Path, configs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every published measurement mapped (or skipped with its reason): nothing left over, nothing twice."""
    refs = {r["id"]: r for r in read_csv(reference / "published_measurements.csv")}
    m = Measurements(refs)
    add_disclosures(m)
    add_power(m)
    add_throughput_and_tokens(m)
    add_reasoning_lengths(m.rows, configs)
    add_facilities(m)
    add_utilisation(m)
    both = m.mapped & set(SKIPPED)
    missing = set(refs) - m.mapped - set(SKIPPED)
    unknown = set(SKIPPED) - set(refs)
    if both or missing or unknown:
        raise BuildError(f"reference rows mapped and skipped: {sorted(both)}; neither: {sorted(missing)}; "
                         f"skipped but absent: {sorted(unknown)}")
    return m.rows


def build_tables(reference: Path | str | None = None) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    """file name -> (columns, rows) of every built table, from the reference directory."""
    root = Path(reference) if reference is not None else DEFAULT_REFERENCE_DIR
    seed = root / SEED
    if not seed.is_dir():
        raise BuildError(f"{seed}: no reference data here (a source checkout has reference_data/{SEED}/)")
    configs = read_csv(seed / "mlenergy_v3_llm_configs.csv")
    measurements = build_measurements(seed, configs)
    return {
        "throughput_paper.csv": (OBSERVATION_COLUMNS, build_paper_throughput(seed)),
        "models.csv": (MODEL_COLUMNS + ARCHITECTURE_COLUMNS, with_architecture(
            build_models(configs, {r["model"] for r in measurements}),
            read_csv(root / ARCHITECTURES / "model_architectures.csv"))),
        "mlenergy_v3.csv": (OBSERVATION_COLUMNS_FULL, build_mlenergy(configs)),
        "measurements.csv": (EXTENDED_COLUMNS, measurements),
        "tensorrt_llm.csv": (OBSERVATION_COLUMNS_FULL, build_tensorrt_llm(root / TENSORRT_LLM)),
        "production.csv": (PRODUCTION_COLUMNS, build_production(root / PRODUCTION)),
    }


def write_tables(out: Path | str, reference: Path | str | None = None) -> dict[str, int]:
    """Build every table and write it into ``out`` (each file atomically); file name -> rows written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (columns, rows) in build_tables(reference).items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
        os.close(fd)
        try:
            write_csv(Path(tmp), columns, rows)
            os.replace(tmp, out / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written[name] = len(rows)
    return written


def check(data_dir: Path | str, reference: Path | str | None = None) -> list[str]:
    """Names of the tables in ``data_dir`` that differ from what the build makes (empty: all match)."""
    data_dir = Path(data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        write_tables(tmp, reference)
        return [name for name in sorted(os.listdir(tmp))
                if not (data_dir / name).is_file() or (data_dir / name).read_bytes() != (Path(tmp) / name).read_bytes()]
