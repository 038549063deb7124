"""Scenario grids: every posterior draw through every scenario, in chunks, to Zarr.

A grid is a CSV with one scenario per row (the fields of
``pushforward.Scenario``: model or active/total params, hardware, regime or
token counts, serving, concurrency, deployment, ...).  For each scenario and
posterior draw the grid evaluates the **typical query** (the regime's median
input and output lengths, or the given token counts) at every scope; the
spread across draws is parameter uncertainty.  Work is split into blocks of
scenarios with dask, so memory stays bounded whatever the grid's size, and the
result is written to Zarr block by block.  ``scheduler`` names an existing
``dask.distributed`` cluster to run on.
"""

from __future__ import annotations

import csv
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import xarray as xr

from ..model import laws
from ..data import DataError
from .pushforward import Scenario, flatten, scenario_draws

GRID_STATISTICS = ("p5", "p50", "p95", "mean")
_FIELDS = {f.name: f.type for f in fields(Scenario)}
_FLOAT = {"active_params_b", "total_params_b", "input_tokens", "output_tokens", "concurrency", "wue_l_per_kwh",
          "carbon_g_per_kwh", "cached_input_tokens", "interactivity"}
_INT = {"gpus", "layers", "attention_heads", "kv_heads", "head_dim"}


def read_scenarios(path: Path | str) -> list[Scenario]:
    """Scenarios from a CSV; a bad cell is a DataError naming file, row and column."""
    path = Path(path)
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        unknown = set(reader.fieldnames or []) - set(_FIELDS)
        if unknown:
            raise DataError(path, f"unknown column; scenario columns are {', '.join(_FIELDS)}", column=sorted(unknown)[0])
        for i, row in enumerate(reader, start=1):
            kw = {}
            for key, text in row.items():
                text = (text or "").strip()
                if text == "":
                    continue
                try:
                    if key in _FLOAT:
                        kw[key] = float(text)
                    elif key in _INT:
                        kw[key] = int(text)
                    elif key == "moe":
                        kw[key] = text.lower() in ("1", "true", "yes")
                    else:
                        kw[key] = text
                except ValueError:
                    raise DataError(path, f"expected a number, got {text!r}", i, key, reader.line_num) from None
            if "regime" not in kw and "input_tokens" in kw and "output_tokens" in kw:
                kw["regime"] = None
            out.append(Scenario(**kw))
    if not out:
        raise DataError(path, "has no scenarios")
    return out


def _typical_tokens(sc: Scenario, traces, d) -> tuple[np.ndarray, np.ndarray]:
    """ln input and ln output tokens of the typical query, per draw."""
    if sc.regime is None:
        return np.full(d.size, math.log(sc.input_tokens)), np.full(d.size, math.log(sc.output_tokens))
    lin = np.full(d.size, float(traces["traditional" if sc.regime == "long" else sc.regime, "input"].log_ppf(np.array(0.0))))
    if sc.regime == "long":
        return lin, np.asarray(d.long_mu)
    return lin, np.full(d.size, float(traces[sc.regime, "output"].log_ppf(np.array(0.0))))


def block_energy(post, cat, traces, scenarios: list[Scenario], seed: int = 0) -> np.ndarray:
    """Typical-query energy [Wh], shaped (scenario, draw, scope), float32."""
    S = len(next(iter(post.values()))) if isinstance(post, dict) else post.sizes["chain"] * post.sizes["draw"]
    out = np.empty((len(scenarios), S, len(laws.SCOPES)), dtype=np.float32)
    for i, sc in enumerate(scenarios):
        d = scenario_draws(post, cat, sc, seed, traces)
        lin, lout = _typical_tokens(sc, traces, d)
        e = d.log_energy(np.arange(S), lin, lout, 0.0)  # the class's typical operator (z = 0)
        for j, scope in enumerate(laws.SCOPES):
            out[i, :, j] = np.exp(e[scope])
    return out


def grid_dataset(post: xr.Dataset, cat, traces, scenarios: list[Scenario], block: int = 500,
                 keep_draws: bool = False, seed: int = 0) -> xr.Dataset:
    """A lazy (dask) Dataset: per-scenario summaries, and optionally every draw."""
    import dask
    import dask.array as da

    S = post.sizes["chain"] * post.sizes["draw"]
    post = flatten(post.load())  # plain arrays: cheap to reach per scenario, and to ship to workers
    starts = list(range(0, len(scenarios), block))
    blocks = [da.from_delayed(dask.delayed(block_energy)(post, cat, traces, scenarios[s:s + block], seed),
                              shape=(len(scenarios[s:s + block]), S, len(laws.SCOPES)), dtype=np.float32)
              for s in starts]
    energy = da.concatenate(blocks, axis=0)
    # per block: P5, P50, P95 and mean over the draws (axis 1), so no block ever holds more than itself
    q = energy.map_blocks(lambda x: np.concatenate([np.percentile(x, [5, 50, 95], axis=1).transpose(1, 2, 0),
                                                    x.mean(axis=1)[..., None]], axis=-1).astype(np.float32),
                          drop_axis=1, new_axis=2, chunks=(energy.chunks[0], (len(laws.SCOPES),), (4,)),
                          dtype=np.float32)
    coords = {"scenario": np.arange(len(scenarios)), "scope": list(laws.SCOPES), "statistic": list(GRID_STATISTICS)}
    for name in ("model", "hardware", "regime", "serving", "deployment"):
        values = [getattr(sc, name if name != "model" else "label") if name != "regime" else sc.regime_label
                  for sc in scenarios]
        coords[name] = ("scenario", np.array(values, dtype=str))
    ds = xr.Dataset(
        {"typical_query_energy": (("scenario", "scope", "statistic"), q,
                                  {"units": "Wh", "long_name": "typical-query energy across posterior draws "
                                   "(parameter uncertainty): P5, P50, P95, mean"})},
        coords=coords,
    )
    if keep_draws:
        ds["typical_query_energy_draws"] = (("scenario", "sample", "scope"), energy,
                                            {"units": "Wh", "long_name": "typical-query energy per posterior draw"})
    return ds


def sweep(post: xr.Dataset, cat, traces, base: Scenario, seed: int = 0, **axes) -> xr.DataArray:
    """Typical-query energy over a product of scenario fields, one dim per swept field.

    ``sweep(post, cat, traces, Scenario(model="Llama-3.1-70B", regime=None, input_tokens=1000,
    output_tokens=300), output_tokens=[100, 300, 1000], hardware=["H100", "B200"])`` gives dims
    (output_tokens, hardware, scope, statistic).  Batch (``concurrency``: how busy the GPUs are)
    and ``deployment`` (the PUE class) sweep the utilisation and PUE axes.
    """
    import itertools
    from dataclasses import replace

    names, values = list(axes), [list(v) for v in axes.values()]
    unknown = set(names) - set(_FIELDS)
    if unknown:
        raise ValueError(f"cannot sweep {', '.join(sorted(unknown))}; scenario fields: {', '.join(_FIELDS)}")
    scenarios = [replace(base, **dict(zip(names, combo))) for combo in itertools.product(*values)]
    q = grid_dataset(post, cat, traces, scenarios, block=len(scenarios), seed=seed)["typical_query_energy"].values
    return xr.DataArray(
        np.asarray(q).reshape(*[len(v) for v in values], len(laws.SCOPES), len(GRID_STATISTICS)),
        dims=(*names, "scope", "statistic"),
        coords={**dict(zip(names, values)), "scope": list(laws.SCOPES), "statistic": list(GRID_STATISTICS)},
        name="typical_query_energy",
        attrs={"units": "Wh", "long_name": "typical-query energy across posterior draws (P5, P50, P95, mean)"},
    )
