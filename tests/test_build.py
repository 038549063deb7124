"""The shipped tables are exactly what `inference-energy data build` makes from reference_data/."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from inference_energy.cli import app
from inference_energy.data import DEFAULT_DATA_DIR, load
from inference_energy.data.build import DEFAULT_REFERENCE_DIR, BuildError, build_tables, check, write_tables

runner = CliRunner()


def test_shipped_tables_are_the_build_output():
    assert check(DEFAULT_DATA_DIR) == []


def test_built_tables_load_and_validate(tmp_path):
    shutil.copytree(DEFAULT_DATA_DIR, tmp_path / "data", symlinks=False)
    counts = write_tables(tmp_path / "data")
    assert counts == {"throughput_paper.csv": 25, "models.csv": 26, "mlenergy_v3.csv": 1575, "measurements.csv": 128,
                      "tensorrt_llm.csv": 333, "production.csv": 6}
    assert load(tmp_path / "data").sha256 == load().sha256  # byte for byte the shipped data


def test_a_figure_not_in_its_reference_row_fails_the_build(tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(DEFAULT_REFERENCE_DIR, ref)
    table = ref / "seed" / "published_measurements.csv"
    text = table.read_text()
    assert "A01,A,\"Median Gemini Apps text prompt energy, comprehensive boundary\",0.24," in text
    table.write_text(text.replace("boundary\",0.24,", "boundary\",0.25,", 1))  # a typing slip in the source copy
    with pytest.raises(BuildError, match=r"A01: '0.24' is not in the reference row's text"):
        build_tables(ref)


def test_a_production_figure_not_in_its_excerpt_fails_the_build(tmp_path):
    ref = tmp_path / "reference"
    shutil.copytree(DEFAULT_REFERENCE_DIR, ref)
    excerpt = ref / "production" / "deepseek_v3r1_inference_system.md"
    text = excerpt.read_text()
    assert "~14.8k tokens/s output during decoding" in text
    excerpt.write_text(text.replace("~14.8k tokens/s output", "~18.4k tokens/s output"))  # a slip in the copy
    with pytest.raises(BuildError, match=r"DS01: '~14.8k tokens/s output during decoding' is not in"):
        build_tables(ref)


def test_deepseek_derived_covariates_follow_from_the_stated_figures():
    """Hand count: 608B in / 168B out, KV length 4,989 = L_in + L_out / 2 -> 1,211 out, 4,383 in; 56.3 % cached;
    14.8k tokens/s per node / 21 tokens/s per user = 705 requests in flight per node; 226.75 / 278 nodes."""
    rows = {r["id"]: r for r in build_tables()["production.csv"][1]}
    ds01 = rows["DS01"]
    assert (ds01["input_tokens"], ds01["output_tokens"], ds01["cached_input_tokens"]) == ("4383", "1211", "2468")
    assert ds01["concurrency"] == "705" and ds01["replica_gpus"] == "144" and ds01["component"] == "decode"
    assert rows["DS02"]["replica_gpus"] == "32" and rows["DS02"]["quantity"] == "input_throughput"
    assert abs(float(rows["DS04"]["value"]) - 226.75 / 278) < 1e-6


def test_check_names_the_stale_table_and_build_refuses_to_overwrite(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    models = data / "models.csv"
    models.write_text(models.read_text().replace("Llama 3.1 405B,405,405", "Llama 3.1 405B,405,404", 1))
    stale = models.read_text()
    result = runner.invoke(app, ["data", "build", "--out", str(data), "--check"])
    assert result.exit_code == 1 and "models.csv" in result.output
    result = runner.invoke(app, ["data", "build", "--out", str(data)])
    assert result.exit_code == 2 and "pass --force" in result.output
    assert models.read_text() == stale  # nothing written
    result = runner.invoke(app, ["data", "build", "--out", str(data), "--force"])
    assert result.exit_code == 0, result.output
    assert check(data) == []
