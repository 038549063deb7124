"""Location-based grid carbon intensity (gCO2e/kWh) for a zone, country or cloud region and a year.

The values are the shipped ``accounting_data/grid_intensity.csv`` (Our World in Data's
``carbon_intensity_elec``, built by ``data/build/grid.py``); cloud regions map to
countries through ``accounting_data/cloud_regions.csv``.  Every answer carries a
provenance string naming the zone, the year actually used and the source, so a
Scope 3 report can cite it; a year outside a zone's data is clamped and says so.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "accounting_data"
WORLD_ALIASES = ("world", "global")
#: ISO 3166-1 alpha-2 -> alpha-3, only for the zones in the table (the standard library has no such list).
ISO2 = {"AE": "ARE", "AT": "AUT", "AU": "AUS", "BE": "BEL", "BH": "BHR", "BR": "BRA", "CA": "CAN", "CH": "CHE",
        "CL": "CHL", "CN": "CHN", "DE": "DEU", "DK": "DNK", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GB": "GBR",
        "HK": "HKG", "ID": "IDN", "IE": "IRL", "IL": "ISR", "IN": "IND", "IT": "ITA", "JP": "JPN", "KR": "KOR",
        "MX": "MEX", "MY": "MYS", "NL": "NLD", "NO": "NOR", "NZ": "NZL", "PL": "POL", "PT": "PRT", "QA": "QAT",
        "SA": "SAU", "SE": "SWE", "SG": "SGP", "TH": "THA", "TW": "TWN", "US": "USA", "ZA": "ZAF"}


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class GridTable:
    """zone -> {year: gCO2e/kWh}, with each zone's name and source and a lookup of every accepted alias."""

    values: dict[str, dict[int, float]]
    names: dict[str, str]
    sources: dict[str, str]
    aliases: dict[str, str]  # lower-cased zone, ISO2, name, world alias or cloud region -> zone

    def zone(self, region: str) -> str:
        """The zone a zone code, ISO2 code, country name, 'world'/'global' or cloud region code stands for."""
        key = str(region).strip().lower()
        if key in self.aliases:
            return self.aliases[key]
        close = difflib.get_close_matches(key, self.aliases, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown region {region!r}: not a zone, country or cloud region of the grid table{hint}")

    def intensity(self, region: str, year: int) -> tuple[float, str]:
        """(gCO2e/kWh, provenance) for ``region`` in ``year``; a year outside the zone's data uses the nearest one."""
        zone = self.zone(region)
        years = self.values[zone]
        used = min(max(int(year), min(years)), max(years))
        note = ""
        if used != int(year):
            edge = "latest" if used < int(year) else "earliest"
            note = f"; {year} is outside the data, used the {edge} year {used}"
        return years[used], f"{zone} ({self.names[zone]}) {used}: {self.sources[zone]}{note}"


@lru_cache(maxsize=1)
def load_grid() -> GridTable:
    """The shipped grid table and region map, read once."""
    values: dict[str, dict[int, float]] = {}
    names, sources = {}, {}
    for row in _read("grid_intensity.csv"):
        zone = row["zone"]
        values.setdefault(zone, {})[int(row["year"])] = float(row["carbon_intensity_g_per_kwh"])
        names[zone] = row["name"]
        sources[zone] = f"{row['source']}, {row['source_url']}"
    aliases = {z.lower(): z for z in values} | {n.lower(): z for z, n in names.items()}
    aliases |= {iso2.lower(): z for iso2, z in ISO2.items() if z in values}
    aliases |= {alias: "WLD" for alias in WORLD_ALIASES if "WLD" in values}
    for row in _read("cloud_regions.csv"):
        if row["zone"] not in values:
            raise ValueError(f"cloud_regions.csv: {row['region']} maps to {row['zone']}, which has no grid data")
        aliases[row["region"].lower()] = row["zone"]
    return GridTable(values, names, sources, aliases)
