"""The command line: the JSON contract, tables with units, and file writing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from inference_energy.cli import app

runner = CliRunner()
ENERGY_KEYS = {"model", "regime", "scope", "unit", "p5", "p25", "p50", "p75", "p95", "mean"}


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--format", "json").stdout)


def test_simulate_json_records():
    out = run_json("simulate", "--preset", "paper-v2", "--legacy-stream")
    records = out["results"]
    assert all(set(r) == ENERGY_KEYS for r in records)
    assert {r["unit"] for r in records} == {"Wh"}
    blend = {r["regime"]: r for r in records if r["model"] == "frontier-blend"}
    assert round(blend["traditional"]["p50"], 2) == 0.31 and round(blend["long"]["p50"], 2) == 3.91
    assert len(records) == 2 * 6


def test_simulate_table_says_its_units():
    out = run("simulate", "--regime", "long", "--draws", "2000").stdout
    assert "Wh" in out and "frontier-blend" in out and "traditional" not in out


def test_pathways_json_records():
    records = run_json("pathways", "--preset", "paper-v1", "--regime", "traditional")["results"]
    assert [r["pathway"] for r in records] == ["baseline", "model", "serving", "hardware", "combined"]
    for r in records:
        assert {"pathway", "regime", "unit", "p5", "p25", "p50", "p75", "p95", "mean", "median_reduction"} <= set(r)
    assert records[0]["median_reduction"] == 1.0
    assert 15 < records[-1]["median_reduction"] < 26


def test_fleet_json_records():
    records = run_json("fleet", "--preset", "paper-v2", "--queries-per-day", "1e9", "--long-share", "0.1",
                       "--legacy-stream")["results"]
    assert [(r["scenario"], r["long_share"]) for r in records] == [("baseline", 0.1), ("improved", 0.1)]
    assert {r["unit"] for r in records} == {"GWh/day"}
    assert round(records[0]["p50"], 1) == 1.7 and round(records[1]["p50"], 1) == 0.8
    assert records[0]["p5"] < records[0]["p50"] < records[0]["p95"]


def test_output_is_written_once_and_never_overwritten_without_force(tmp_path):
    path = tmp_path / "sim.nc"
    run("simulate", "--draws", "500", "--output", str(path))
    before = path.read_bytes()
    refused = runner.invoke(app, ["simulate", "--draws", "600", "--output", str(path)])
    assert refused.exit_code != 0 and "exists; pass --force" in refused.output
    assert path.read_bytes() == before
    run("simulate", "--draws", "600", "--output", str(path), "--force")
    assert path.read_bytes() != before


def test_variants_and_input_tokens_change_the_numbers():
    base = run_json("simulate", "--regime", "traditional", "--draws", "3000")["results"][-1]["p50"]
    weighted = run_json("simulate", "--regime", "traditional", "--draws", "3000", "--variant", "input-weighted",
                        "--input-tokens", "5000")["results"][-1]["p50"]
    assert weighted > base


def test_help_starts_without_heavy_imports():
    code = ("import sys, inference_energy.cli; "
            "print(sorted(m for m in ('numpy', 'xarray', 'pandas', 'pymc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("command", ["simulate", "pathways", "fleet"])
def test_every_command_has_help(command):
    assert "--format" in run(command, "--help").stdout


def test_sensitivity_of_a_preset_gives_valid_sobol_records():
    records = run_json("sensitivity", "--preset", "paper-v2", "--model", "Llama-3.1-405B", "--samples", "1024")["results"]
    assert {r["input"] for r in records} == {"output tokens", "power utilization", "PUE"}
    for r in records:
        assert {"input", "S1", "S1_conf", "ST", "ST_conf"} <= set(r)
        assert -r["S1_conf"] <= r["S1"] <= 1 + r["S1_conf"]
    assert sum(r["S1"] for r in records) <= 1.05
