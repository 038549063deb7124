"""Grid carbon intensity: the shipped table is exactly what the build makes from the cited OWID excerpt,
its values are the excerpt's, and the loader resolves zones, countries and cloud regions with provenance."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inference_energy.usage.grid import DATA, load_grid
from inference_energy.data.build.grid import OWID_COMMIT, REFERENCE, build_grid_intensity, write_grid_intensity


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _excerpt(country: str, year: int) -> float:
    (row,) = [r for r in _rows(REFERENCE) if r["country"] == country and int(r["year"]) == year]
    return float(row["carbon_intensity_elec"])


def test_shipped_table_is_what_the_build_makes(tmp_path):
    write_grid_intensity(tmp_path / "grid_intensity.csv", REFERENCE)
    assert (tmp_path / "grid_intensity.csv").read_bytes() == (DATA / "grid_intensity.csv").read_bytes()


@pytest.mark.parametrize("region, country, year", [
    ("world", "World", 2023), ("USA", "United States", 2024), ("DEU", "Germany", 2023),
    ("FRA", "France", 2025), ("EU", "European Union (27)", 2023),
])
def test_spot_values_equal_the_excerpt(region, country, year):
    value, provenance = load_grid().intensity(region, year)
    assert value == _excerpt(country, year)
    assert f" {year}: " in provenance and OWID_COMMIT in provenance and "outside" not in provenance


@pytest.mark.parametrize("region", ["us-east-1", "eastus", "us-central1", "US", "united states", "usa"])
def test_regions_and_aliases_resolve_to_usa(region):
    assert load_grid().zone(region) == "USA"
    assert load_grid().intensity(region, 2024)[1].startswith("USA (United States) 2024")


def test_years_outside_the_data_clamp_and_say_so():
    grid = load_grid()
    latest = max(grid.values["DEU"])
    value, provenance = grid.intensity("germany", latest + 5)
    assert value == grid.values["DEU"][latest] and f"used the latest year {latest}" in provenance
    value, provenance = grid.intensity("de", 2000)
    assert value == grid.values["DEU"][2015] and "used the earliest year 2015" in provenance


def test_unknown_region_names_it_and_suggests_close_matches():
    with pytest.raises(ValueError, match=r"'us-east-9'.*did you mean .*'us-east-1'"):
        load_grid().intensity("us-east-9", 2024)
    with pytest.raises(ValueError, match="'atlantis'"):
        load_grid().intensity("atlantis", 2024)


def test_every_row_is_cited_and_plausible():
    grid_rows = _rows(DATA / "grid_intensity.csv")
    assert grid_rows == build_grid_intensity(REFERENCE)
    for row in grid_rows:
        assert row["source_url"].startswith("https://") and row["commit"] == OWID_COMMIT
        assert 0 < float(row["carbon_intensity_g_per_kwh"]) < 1500
    zones = {r["zone"] for r in grid_rows}
    for row in _rows(DATA / "cloud_regions.csv"):
        assert row["source_url"].startswith("https://") and row["zone"] in zones and row["provider"] in {"aws", "azure", "gcp"}


def test_each_zone_covers_a_run_of_years_from_2015():
    for zone, years in load_grid().values.items():
        assert min(years) >= 2015 and sorted(years) == list(range(min(years), max(years) + 1)), zone
