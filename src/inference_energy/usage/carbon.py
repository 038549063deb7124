"""Grid carbon intensity per usage record: location-based by region and year, or from the user's
hourly series; the market-based factor is the user's (a supplier's contractual emission factor).

GHG Protocol: an organisation's use of a provider's models is Scope 3, Category 1 (purchased goods
and services); the provider's electricity is accounted with the Scope 2 Guidance's two methods
(location-based: the grid where the data centre draws power; market-based: the contractual factor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import UsageError, row_label

GHG_METHOD = ("GHG Protocol Corporate Value Chain (Scope 3) Standard, Category 1 (purchased goods and services): "
              "the electricity of the provider's data centres attributed to this organisation's requests; "
              "location-based and market-based methods as in the GHG Protocol Scope 2 Guidance (2015)")
WORLD = "world"


@dataclass
class LocationCarbon:
    """gCO2e/kWh per record: the hourly series if given, else the shipped table by region and year
    (a record without a region: the world average of its year)."""

    hourly: pd.DataFrame | None = None  # index: hour (UTC), columns: region ("*": any) -> gCO2e/kWh
    hourly_path: Path | None = None
    used: dict[tuple[str, int], tuple[float, str]] = field(default_factory=dict)

    @classmethod
    def from_hourly_csv(cls, path: Path) -> "LocationCarbon":
        """A CSV with ``timestamp`` and ``carbon_intensity_g_per_kwh`` (and optionally ``region``), one row per hour."""
        path = Path(path)
        if not path.exists():
            raise UsageError(f"{path}: no such file")
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in ("timestamp", "carbon_intensity_g_per_kwh") if c not in df.columns]
        if missing:
            raise UsageError(f"{path}: hourly carbon intensities lack the column(s) {', '.join(missing)}")
        ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce", format="ISO8601")
        value = pd.to_numeric(df["carbon_intensity_g_per_kwh"], errors="coerce")
        for mask, col, why in ((ts.isna(), "timestamp", "not a date and hour"),
                               (value.isna() | (value < 0), "carbon_intensity_g_per_kwh", "not a non-negative number")):
            if mask.any():
                i = int(np.flatnonzero(mask.to_numpy())[0])
                raise UsageError(f"{path}: {row_label(path, i)}, column {col!r}: {why} (got {df[col].iloc[i]!r})")
        region = df["region"].str.strip() if "region" in df else pd.Series("*", index=df.index)
        table = pd.DataFrame({"hour": ts.dt.floor("h"), "region": region.replace("", "*"), "value": value})
        return cls(hourly=table.pivot_table(index="hour", columns="region", values="value", aggfunc="mean"),
                   hourly_path=path)

    def intensities(self, chunk: pd.DataFrame, path: Path) -> np.ndarray:
        if self.hourly is not None:
            return self._hourly(chunk, path)
        from .grid import load_grid

        grid = load_grid()
        regions = chunk["region"].replace("", WORLD).to_numpy()
        years = chunk["timestamp"].dt.year.to_numpy()
        codes, uniques = pd.factorize(pd.MultiIndex.from_arrays([regions, years]))
        values = np.empty(len(uniques))
        for j, key in enumerate(uniques):
            if key not in self.used:
                try:
                    self.used[key] = grid.intensity(key[0], int(key[1]))
                except ValueError as err:
                    i = int(np.flatnonzero(codes == j)[0])
                    column = chunk.attrs.get("source_columns", {}).get("region", "region")
                    raise UsageError(f"{path}: {row_label(path, int(chunk.index[i]))}, column {column!r}: {err}") from None
            values[j] = self.used[key][0]
        return values[codes]

    def _hourly(self, chunk: pd.DataFrame, path: Path) -> np.ndarray:
        hours = chunk["timestamp"].dt.floor("h")
        regions = chunk["region"].where(chunk["region"].isin(self.hourly.columns), "*")
        if "*" not in self.hourly.columns and (regions == "*").any():
            i = int(np.flatnonzero((regions == "*").to_numpy())[0])
            raise UsageError(f"{path}: {row_label(path, int(chunk.index[i]))}, column 'region': "
                             f"{chunk['region'].iloc[i]!r} has no series in {self.hourly_path}")
        col = regions.map({c: k for k, c in enumerate(self.hourly.columns)}).to_numpy()
        row = self.hourly.index.get_indexer(hours)
        values = np.where(row >= 0, self.hourly.to_numpy()[np.maximum(row, 0), col], np.nan)
        if np.isnan(values).any():
            i = int(np.flatnonzero(np.isnan(values))[0])
            raise UsageError(f"{path}: {row_label(path, int(chunk.index[i]))}, column 'timestamp': no hourly intensity "
                             f"in {self.hourly_path} for {hours.iloc[i]} ({regions.iloc[i]})")
        return values

    def describe(self) -> str:
        if self.hourly is not None:
            return f"location-based, the user's hourly series {self.hourly_path}"
        return "location-based, by region and year: " + "; ".join(
            f"{r} {y}: {v:.0f} g/kWh ({why})" for (r, y), (v, why) in sorted(self.used.items()))
