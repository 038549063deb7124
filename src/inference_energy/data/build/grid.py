"""Grid carbon intensity by zone and year -> ``accounting_data/grid_intensity.csv``.

Reads the cited excerpt of Our World in Data's energy dataset kept in
``reference_data/grid/owid_carbon_intensity_elec.csv`` (columns ``country, year,
iso_code, carbon_intensity_elec``; see that directory's README for how it was
read) and writes one row per zone and year, each carrying its source and the
OWID commit, so a location-based Scope 3 figure can always be traced back.

Run ``python -m inference_energy.data.build.grid`` to rewrite the shipped table.
"""

from __future__ import annotations

from pathlib import Path

from .common import BuildError, read_csv, write_csv

#: The owid/energy-data commit whose ``owid-energy-data.csv`` the excerpt was read from.
OWID_COMMIT = "e7897aed55b514b8d16e0a3d8f1518789ac3de31"
SOURCE = ("Our World in Data energy dataset, carbon_intensity_elec "
          "(Ember Yearly Electricity Data; Energy Institute Statistical Review of World Energy)")
SOURCE_URL = f"https://github.com/owid/energy-data/blob/{OWID_COMMIT}/owid-energy-data.csv"
FIRST_YEAR = 2015
#: OWID aggregates kept, with the zone code they get (OWID gives them no ISO code).
AGGREGATES = {"World": "WLD", "European Union (27)": "EU"}
COLUMNS = ["zone", "name", "year", "carbon_intensity_g_per_kwh", "source", "source_url", "commit"]

REFERENCE = Path(__file__).resolve().parents[4] / "reference_data" / "grid" / "owid_carbon_intensity_elec.csv"
OUTPUT = Path(__file__).resolve().parents[2] / "accounting_data" / "grid_intensity.csv"


def _zone(row: dict[str, str]) -> str | None:
    """ISO 3166-1 alpha-3 for a country, WLD/EU for the two aggregates kept, None for anything else."""
    if row["country"] in AGGREGATES:
        return AGGREGATES[row["country"]]
    iso = row["iso_code"]
    return iso if len(iso) == 3 and iso.isalpha() and iso.isupper() else None


def build_grid_intensity(owid_csv_path: Path | str = REFERENCE) -> list[dict[str, str]]:
    """One row per zone and year (>= 2015, with a value), sorted, the value exactly as OWID gives it."""
    rows = []
    for row in read_csv(Path(owid_csv_path)):
        zone, value = _zone(row), row["carbon_intensity_elec"].strip()
        if zone is None or not value or int(row["year"]) < FIRST_YEAR:
            continue
        if not 0 < float(value) < 1500:
            raise BuildError(f"{row['country']} {row['year']}: carbon_intensity_elec {value} outside (0, 1500) g/kWh")
        rows.append({"zone": zone, "name": row["country"], "year": row["year"], "carbon_intensity_g_per_kwh": value,
                     "source": SOURCE, "source_url": SOURCE_URL, "commit": OWID_COMMIT})
    rows.sort(key=lambda r: (r["zone"], int(r["year"])))
    keys = [(r["zone"], r["year"]) for r in rows]
    if len(set(keys)) != len(keys):
        raise BuildError("a zone has two rows for the same year")
    return rows


def write_grid_intensity(out: Path | str = OUTPUT, owid_csv_path: Path | str = REFERENCE) -> int:
    """Build the table and write it to ``out``; the number of rows written."""
    rows = build_grid_intensity(owid_csv_path)
    write_csv(Path(out), COLUMNS, rows)
    return len(rows)


def main() -> None:
    """Rewrite the shipped ``accounting_data/grid_intensity.csv`` from the reference excerpt."""
    print(f"{OUTPUT}: {write_grid_intensity()} rows")


if __name__ == "__main__":
    main()
