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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..model import laws
from .deployments import LOG_BIN, Deployment, length_spread, model_ids
from .readers import UsageError, read_usage, row_label

GROUPINGS = ("model", "month", "year", "day", "region", "provider")
SUMS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens", "carbon_weight")
BLOCK_ELEMENTS = 500_000  # draws x cells x nodes evaluated at once: bounds the law's temporaries (~40 arrays)


@dataclass
class Cells:
    """Running sums per cell (group, model, lengths known or not, ln-length bins)."""

    by: tuple[str, ...]
    table: pd.DataFrame | None = None
    records: int = 0

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
    """Per-draw sums per group: expected energy per scope [Wh], its variance between requests, water [L],
    carbon [g].

    The energy of a request depends on its model and lengths, not on its group: each length cell
    (model, lengths known or not, ln-length bins) is evaluated once, at the mean lengths of all its
    requests, and reaches the groups through a sparse (cell x group) matrix of request counts.
    """
    from scipy import sparse

    table = cells.table.reset_index()
    if cells.by:
        by = list(cells.by)
        g_index = table.groupby(by, sort=True).ngroup().to_numpy()
        keys = table[by].astype(str).groupby(g_index).first()
        groups = keys.iloc[:, 0].str.cat([keys[c] for c in by[1:]], sep="|").to_numpy() if len(by) > 1 else keys.iloc[:, 0].to_numpy()
    else:
        g_index, groups = np.zeros(len(table), dtype=np.intp), np.array(["all"])
    length_keys = ["model_id", "aggregated", "bin_in", "bin_out"]
    c_index = table.groupby(length_keys, sort=True).ngroup().to_numpy()
    pooled = table.groupby(c_index)[["requests", "input_tokens", "output_tokens", "cached_input_tokens"]].sum()
    first = table.groupby(c_index)[["model_id", "aggregated"]].first()
    C, G = len(pooled), len(groups)
    per_group = {w: sparse.csr_matrix((table[w].to_numpy(), (c_index, g_index)), shape=(C, G))
                 for w in ("requests", "carbon_weight")}
    S = post.sizes["chain"] * post.sizes["draw"]
    energy = {scope: np.zeros((S, G)) for scope in laws.SCOPES}
    variance, carbon, water = np.zeros((S, G)), np.zeros((S, G)), np.zeros((S, G))
    sd_in, sd_out = length_spread(traces)
    draws = np.arange(S)
    deployments = {}
    n_all = pooled["requests"].to_numpy()
    for model in sorted(first["model_id"].unique()):
        dep = deployments[model] = Deployment.build(post, cat, traces, model, seed)
        rows = np.flatnonzero((first["model_id"] == model).to_numpy())
        for r in _blocks(rows, first["aggregated"].to_numpy(), S):
            n = n_all[r]
            agg = first["aggregated"].to_numpy()[r]
            mean, var = dep.request_moments(
                draws, np.log(np.maximum(pooled["input_tokens"].to_numpy()[r] / n, 1.0)),
                np.log(np.maximum(pooled["output_tokens"].to_numpy()[r] / n, 1.0)),
                pooled["cached_input_tokens"].to_numpy()[r] / n, np.where(agg, sd_in, 0.0), np.where(agg, sd_out, 0.0))
            counts, weights = per_group["requests"][r], per_group["carbon_weight"][r]  # (R, G) sparse
            for scope in laws.SCOPES:
                energy[scope] += (counts.T @ mean[scope].T).T
            variance += (counts.T @ var.T).T
            water += (counts.T @ mean["it"].T).T * dep.wue_l_per_kwh / 1000.0  # Wh x L/kWh / 1000 = L
            carbon += (weights.T @ mean["facility"].T).T / 1000.0  # Wh x g/kWh / 1000 = g
    counts = table.groupby(g_index)[["requests", "input_tokens", "output_tokens", "cached_input_tokens"]].sum()
    coo = per_group["requests"].tocoo()
    return {"groups": groups, "energy": energy, "variance": variance, "carbon": carbon, "water": water,
            "counts": counts, "deployments": deployments, "group_table": table.assign(_g=g_index), "length_cells": C,
            "cells": pooled.assign(model=first["model_id"], aggregated=first["aggregated"]),
            "cell_groups": (coo.row, coo.col, coo.data)}


def _blocks(rows: np.ndarray, aggregated: np.ndarray, draws: int):
    """Row blocks of at most ``BLOCK_ELEMENTS`` evaluations: known-length cells at one node each, cells of
    aggregated records at the 9 quadrature nodes (kept apart, so the former do not pay for the latter)."""
    from .deployments import HERMITE

    for agg, nodes in ((False, 1), (True, len(HERMITE[0]) ** 2)):
        part = rows[aggregated[rows] == agg]
        size = max(1, BLOCK_ELEMENTS // (draws * nodes))
        for start in range(0, len(part), size):
            yield part[start:start + size]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

