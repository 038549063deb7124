"""An account as one tidy Parquet table: one row per draw, group, quantity and scope (with units)."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

PER_DRAW = ("energy", "energy_expected", "water", "carbon_location", "carbon_market")


def to_tidy(tree: xr.DataTree):
    """Long pandas table of the per-draw totals: chain, draw, group (and its groupings), quantity, scope, unit, value."""
    import pandas as pd

    ds = tree["totals"].to_dataset()
    frames = []
    for name in PER_DRAW:
        if name not in ds:
            continue
        da = ds[name]
        df = da.to_dataframe(name="value").reset_index()
        if "scope" not in df:
            df["scope"] = "facility" if name.startswith("carbon") else "site"
        frames.append(df.assign(quantity=name, unit=da.attrs["units"]))
    return pd.concat(frames, ignore_index=True)


def to_parquet(tree: xr.DataTree, path: Path, force: bool = False) -> Path:
    """Write :func:`to_tidy` atomically, with the account's provenance in the file's metadata."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..posterior.export import _atomic_write

    table = pa.Table.from_pandas(to_tidy(tree), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"inference_energy": json.dumps(dict(tree.attrs)).encode()})
    return _atomic_write(path, force, lambda staged: pq.write_table(table, staged))
