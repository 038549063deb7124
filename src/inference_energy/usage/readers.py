"""Usage logs -> canonical records, in chunks, with errors that name file, row and column.

A usage log is one record per request, or aggregated (``requests`` > 1, token columns then total
over those requests).  The canonical columns are ``timestamp`` (or ``date``), ``model``,
``input_tokens``, ``output_tokens`` and optionally ``cached_input_tokens``, ``requests``, ``region``,
``provider``.  Common exports are read as they are, through a documented mapping (``FORMATS``):
OpenAI's organisation usage API (completions buckets, flat or as returned), OpenTelemetry GenAI
span attributes, LiteLLM spend logs.  CSV, JSON Lines, JSON (OpenAI's page) and Parquet are read in
chunks of ``CHUNK_ROWS`` so a log of any length is read in bounded memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

CHUNK_ROWS = 500_000
CANONICAL = ("timestamp", "model", "input_tokens", "output_tokens", "cached_input_tokens", "requests", "region",
             "provider")
TOKENS = ("input_tokens", "output_tokens", "cached_input_tokens", "requests")


@dataclass(frozen=True)
class Mapping:
    """How one export's columns map to the canonical ones: ``columns[canonical] = (source names, first found wins)``."""

    name: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ("timestamp", "model", "input_tokens", "output_tokens")
    epoch_unit: str | None = None  # numeric timestamps: "s" (unix seconds) or "ns"
    doc: str = ""


FORMATS = (
    Mapping("canonical", {"timestamp": ("timestamp", "date"), "model": ("model",), "input_tokens": ("input_tokens",),
                          "output_tokens": ("output_tokens",), "cached_input_tokens": ("cached_input_tokens",),
                          "requests": ("requests",), "region": ("region",), "provider": ("provider",)},
            doc="this package's own columns"),
    Mapping("openai", {"timestamp": ("start_time",), "model": ("model",), "input_tokens": ("input_tokens",),
                       "output_tokens": ("output_tokens",), "cached_input_tokens": ("input_cached_tokens",),
                       "requests": ("num_model_requests",), "region": ("region",), "provider": ("provider",)},
            epoch_unit="s",
            doc="OpenAI organisation usage API, completions (GET /v1/organization/usage/completions with "
                "group_by=model): each result of each bucket, start_time in unix seconds; input_tokens include "
                "the cached ones"),
    Mapping("otel", {"timestamp": ("start_time", "timestamp", "StartTime", "start_time_unix_nano"),
                     "model": ("gen_ai.response.model", "gen_ai.request.model"),
                     "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
                     "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
                     "cached_input_tokens": ("gen_ai.usage.cache_read.input_tokens",),
                     "region": ("cloud.region",), "provider": ("gen_ai.provider.name", "gen_ai.system")},
            doc="OpenTelemetry GenAI semantic conventions: one span per request, its attributes as columns "
                "(or nested under 'attributes'); cloud.region where the exporter records it"),
    Mapping("litellm", {"timestamp": ("startTime",), "model": ("model",), "input_tokens": ("prompt_tokens",),
                        "output_tokens": ("completion_tokens",), "provider": ("custom_llm_provider",),
                        "region": ("region",)},
            doc="LiteLLM proxy spend logs (table LiteLLM_SpendLogs / /spend/logs): one row per request"),
)


class UsageError(ValueError):
    """A usage log that cannot be read as asked: one line naming file, row and column."""


def detect(columns, path: Path) -> Mapping:
    """The first mapping whose required columns are all present; else one error naming what each lacks."""
    present = set(columns)
    lacks = {}
    for m in FORMATS:
        missing = [c for c in m.required if not any(s in present for s in m.columns[c])]
        if not missing:
            return m
        lacks[m.name] = ", ".join(" or ".join(m.columns[c]) for c in missing)
    raise UsageError(f"{path}: fits no usage format; " + "; ".join(f"{k} lacks {v}" for k, v in lacks.items())
                     + f" (columns found: {', '.join(sorted(present))[:300]})")


def _flatten_attributes(df: pd.DataFrame) -> pd.DataFrame:
    """OTel exports nest span attributes: 'attributes.gen_ai.x' or a dict column 'attributes' -> 'gen_ai.x'."""
    if "attributes" in df.columns and df["attributes"].map(lambda v: isinstance(v, dict)).any():
        inner = pd.json_normalize(df["attributes"].tolist(), sep="\x00")
        inner.columns = [c.replace("\x00", ".") for c in inner.columns]
        df = pd.concat([df.drop(columns="attributes").reset_index(drop=True), inner], axis=1)
    return df.rename(columns={c: c[len("attributes."):] for c in df.columns if c.startswith("attributes.")})


def _openai_page(path: Path) -> pd.DataFrame:
    """OpenAI's usage API page(s) as returned: {"data": [{"start_time", "results": [...]}]}, or a list of pages."""
    doc = json.loads(path.read_text())
    pages = doc if isinstance(doc, list) else [doc]
    rows = [{**r, "start_time": r.get("start_time", b.get("start_time"))}
            for p in pages for b in p.get("data", []) for r in b.get("results", [])]
    if not rows:
        raise UsageError(f"{path}: a JSON file must be an OpenAI usage page ({{'data': [buckets with 'results']}}); "
                         "use JSON Lines (.jsonl) for one record per line")
    return pd.DataFrame(rows)


def raw_chunks(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The file's records as they are, in chunks (CSV, JSON Lines, JSON, Parquet)."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".gz"):
        yield from pd.read_csv(path, chunksize=chunk_rows, sep="\t" if suffix == ".tsv" else ",", dtype=str,
                               keep_default_na=False)
    elif suffix in (".jsonl", ".ndjson"):
        for chunk in pd.read_json(path, lines=True, chunksize=chunk_rows, dtype=False):
            yield _flatten_attributes(chunk)
    elif suffix == ".json":
        yield _flatten_attributes(_openai_page(path))
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield _flatten_attributes(batch.to_pandas())
    else:
        raise UsageError(f"{path}: unknown usage-log format {suffix!r}; use .csv, .jsonl, .json (OpenAI usage page) "
                         "or .parquet")


def row_label(path: Path, index: int) -> str:
    """Row ``index`` (0-based data record) as a user finds it: record number, and the line for a CSV."""
    line = f" (line {index + 2})" if path.suffix.lower() in (".csv", ".tsv") else ""
    return f"row {index + 1}{line}"


def _first_bad(mask, df, path: Path, offset: int, column: str, why: str):
    if mask.any():
        i = int(np.flatnonzero(np.asarray(mask))[0])
        raise UsageError(f"{path}: {row_label(path, offset + i)}, column {column!r}: {why} "
                         f"(got {df[column].iloc[i]!r})")


def canonical_chunk(raw: pd.DataFrame, mapping: Mapping, path: Path, offset: int) -> pd.DataFrame:
    """One chunk in the canonical columns, checked: numbers numeric and non-negative, cached <= input,
    requests >= 1, timestamps parseable (UTC)."""
    src = {}
    for canon, names in mapping.columns.items():
        found = next((n for n in names if n in raw.columns), None)
        if found is not None:
            src[canon] = found
    df = pd.DataFrame({canon: raw[name].to_numpy() for canon, name in src.items()}, index=range(len(raw)))
    label = {canon: src.get(canon, canon) for canon in CANONICAL}
    out = pd.DataFrame(index=df.index)
    for col in TOKENS:
        if col not in df:
            out[col] = 1.0 if col == "requests" else 0.0
            continue
        blank = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if col in ("cached_input_tokens", "requests"):
            df[col] = df[col].astype(object).where(~blank, 1 if col == "requests" else 0)
        else:
            _first_bad(blank, df.rename(columns={col: label[col]}), path, offset, label[col], "a token count is missing")
        values = pd.to_numeric(df[col], errors="coerce").astype(float)
        named = df.rename(columns={col: label[col]})
        _first_bad(values.isna() | ~np.isfinite(values), named, path, offset, label[col], "not a number")
        _first_bad(values < (1 if col == "requests" else 0), named, path, offset, label[col],
                   "must be at least 1" if col == "requests" else "must not be negative")
        out[col] = values
    _first_bad(out["cached_input_tokens"] > out["input_tokens"], df.rename(columns={"cached_input_tokens": label["cached_input_tokens"]})
               if "cached_input_tokens" in df else out, path, offset, label["cached_input_tokens"],
               "more cached input tokens than input tokens")
    _first_bad((out["input_tokens"] + out["output_tokens"]) <= 0, out, path, offset, "input_tokens",
               "a request with no tokens at all")
    out["timestamp"] = _timestamps(df, mapping, path, offset, label["timestamp"])
    model = df["model"].astype(str).str.strip()
    _first_bad(df["model"].isna() | (model == "") | (model.str.lower() == "nan"), df.rename(columns={"model": label["model"]}),
               path, offset, label["model"], "the model is missing")
    out["model"] = model
    for col in ("region", "provider"):
        out[col] = df[col].fillna("").astype(str).str.strip() if col in df else ""
    out.index = out.index + offset
    out.attrs["source_columns"] = label
    return out


def _timestamps(df, mapping: Mapping, path: Path, offset: int, column: str) -> pd.Series:
    raw = df["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):  # Parquet's own timestamps (naive: UTC)
        ts = raw if getattr(raw.dt, "tz", None) is not None else raw.dt.tz_localize("UTC")
        return ts.dt.tz_convert("UTC")
    numeric = pd.to_numeric(raw, errors="coerce")
    if numeric.notna().all() and len(raw):
        unit = "ns" if column == "start_time_unix_nano" or numeric.max() > 1e15 else (mapping.epoch_unit or "s")
        ts = pd.to_datetime(numeric, unit=unit, utc=True, errors="coerce")
    else:
        ts = pd.to_datetime(raw.astype(str), utc=True, errors="coerce", format="ISO8601")
        if ts.isna().any():  # e.g. "2025/03/01" or "01 Mar 2025": let pandas infer, then check
            ts = ts.fillna(pd.to_datetime(raw.astype(str), utc=True, errors="coerce", format="mixed"))
    _first_bad(ts.isna(), df.rename(columns={"timestamp": column}), path, offset, column,
               "not a date or time (use ISO 8601, e.g. 2025-03-01 or 2025-03-01T12:00:00Z)")
    return ts


def read_usage(path: Path | str, chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[Mapping, pd.DataFrame]]:
    """(mapping, canonical chunk) of every chunk of a usage log; the first chunk decides the mapping."""
    path = Path(path)
    mapping, offset = None, 0
    for raw in raw_chunks(path, chunk_rows):
        if mapping is None:
            mapping = detect(raw.columns, path)
        yield mapping, canonical_chunk(raw, mapping, path, offset)
        offset += len(raw)
    if mapping is None:
        raise UsageError(f"{path}: no records")
