"""Usage records -> energy, water and carbon totals per group, per posterior draw.

Records are streamed and summed into cells (group, model, whether lengths are known, ln-length
bins of width ``LOG_BIN``): memory grows with the cells, not the records.  Then, per model, each
cell's mean energy per request is evaluated under every posterior draw and summed per group.  So
for each draw s, total[s, g] = sum over the group's requests of the energy of that request under
draw s: the parameter uncertainty of a deployment is shared by all its requests (it does not
average out), while the variation between the requests behind an aggregated record (lengths known
only as a mean) enters as the sum's own spread, which shrinks as 1/sqrt(requests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..model import laws
from .deployments import LOG_BIN, Deployment, length_spread, model_ids
from .readers import UsageError, read_usage, row_label

GROUPINGS = ("model", "month", "year", "day", "region", "provider")
SUMS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens", "carbon_weight")
ROW_BLOCK = 256  # cells evaluated at once: (draws x cells x 9 nodes) floats per scope


@dataclass
class Cells:
    """Running sums per cell; ``first_row`` remembers where each model name was first seen (errors)."""

    by: tuple[str, ...]
    table: pd.DataFrame | None = None
    records: int = 0
    first_row: dict[str, int] = field(default_factory=dict)

    def add(self, chunk: pd.DataFrame) -> None:
        keys = list(self.by) + ["model_id", "aggregated", "bin_in", "bin_out"]
        summed = chunk.groupby(keys, sort=False, dropna=False)[list(SUMS)].sum()
        self.table = summed if self.table is None else self.table.add(summed, fill_value=0.0)
        self.records += len(chunk)


def _group_columns(chunk: pd.DataFrame, by) -> pd.DataFrame:
    ts = chunk["timestamp"]
    derived = {"month": lambda: ts.dt.strftime("%Y-%m"), "year": lambda: ts.dt.year.astype(str),
               "day": lambda: ts.dt.strftime("%Y-%m-%d"), "region": lambda: chunk["region"].replace("", "unspecified"),
               "provider": lambda: chunk["provider"].replace("", "unspecified")}
    for name in by:
        if name in derived:
            chunk[name] = derived[name]()
    return chunk


def accumulate(path: Path, cat, carbon, by: tuple[str, ...], chunk_rows: int) -> tuple[Cells, str, dict]:
    """Read, check and sum a usage log; returns the cells, the mapping's name and the model map."""
    cells = Cells(by)
    ids: dict[str, str] = {}
    mapping_name = ""
    for mapping, chunk in read_usage(path, chunk_rows):
        mapping_name = mapping.name
        new = [m for m in chunk["model"].unique() if m not in ids]
        for name in new:
            try:
                ids.update(model_ids([name], cat))
            except ValueError as err:
                row = int(chunk.index[(chunk["model"] == name).to_numpy()][0])
                raise UsageError(f"{path}: {row_label(path, row)}, column {chunk.attrs['source_columns']['model']!r}: "
                                 f"{err}") from None
        chunk["model_id"] = chunk["model"].map(ids)
        chunk["model"] = chunk["model_id"]  # group by the model meant, not by how a log spelled it
        n = chunk["requests"].to_numpy()
        chunk["aggregated"] = n > 1
        chunk["bin_in"] = np.floor(np.log(np.maximum(chunk["input_tokens"].to_numpy() / n, 1.0)) / LOG_BIN).astype(np.int32)
        chunk["bin_out"] = np.floor(np.log(np.maximum(chunk["output_tokens"].to_numpy() / n, 1.0)) / LOG_BIN).astype(np.int32)
        chunk["carbon_weight"] = n * carbon.intensities(chunk, path)  # requests x gCO2e/kWh
        cells.add(_group_columns(chunk, by))
    return cells, mapping_name, ids


def evaluate(cells: Cells, post, cat, traces, seed: int) -> dict[str, np.ndarray]:
    """Per-draw sums per group: expected energy per scope [Wh], its variance between requests, carbon [g]."""
    table = cells.table.reset_index()
    group_keys = table[list(cells.by)].astype(str).agg("|".join, axis=1) if cells.by else pd.Series("all", index=table.index)
    groups, g_index = np.unique(group_keys.to_numpy(), return_inverse=True)
    S = next(iter(post.data_vars.values())).shape[0] * next(iter(post.data_vars.values())).shape[1]
    G = len(groups)
    energy = {scope: np.zeros((S, G)) for scope in laws.SCOPES}
    variance, carbon, water = np.zeros((S, G)), np.zeros((S, G)), np.zeros((S, G))
    sd_in, sd_out = length_spread(traces)
    draws = np.arange(S)
    deployments = {}
    for model in sorted(table["model_id"].unique()):
        dep = deployments[model] = Deployment.build(post, cat, traces, model, seed)
        rows = np.flatnonzero((table["model_id"] == model).to_numpy())
        for start in range(0, len(rows), ROW_BLOCK):
            r = rows[start:start + ROW_BLOCK]
            t = table.iloc[r]
            n = t["requests"].to_numpy()
            agg = t["aggregated"].to_numpy()
            mean, var = dep.request_moments(
                draws, np.log(np.maximum(t["input_tokens"].to_numpy() / n, 1.0)),
                np.log(np.maximum(t["output_tokens"].to_numpy() / n, 1.0)), t["cached_input_tokens"].to_numpy() / n,
                np.where(agg, sd_in, 0.0), np.where(agg, sd_out, 0.0))
            onehot = np.zeros((len(r), G))
            onehot[np.arange(len(r)), g_index[r]] = 1.0
            for scope in laws.SCOPES:
                energy[scope] += (mean[scope] * n) @ onehot
            variance += (var * n) @ onehot
            water += (mean["it"] * n * dep.wue_l_per_kwh) @ onehot / 1000.0  # Wh x L/kWh / 1000 = L
            carbon += (mean["facility"] * t["carbon_weight"].to_numpy()) @ onehot / 1000.0  # Wh x g/kWh / 1000
    counts = table.groupby(g_index)[["requests", "input_tokens", "output_tokens", "cached_input_tokens"]].sum()
    return {"groups": groups, "energy": energy, "variance": variance, "carbon": carbon, "water": water, "counts": counts,
            "deployments": deployments, "group_table": table.assign(_g=g_index)}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

