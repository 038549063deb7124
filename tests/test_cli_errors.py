"""Bad input at the command line: one `error:` line on stderr, exit 2, nothing written."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inference_energy.cli import app
from inference_energy.data import DEFAULT_DATA_DIR

THROUGHPUT = "throughput_paper.csv"
runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    for path in DEFAULT_DATA_DIR.glob("*.csv"):
        shutil.copy(path, directory / path.name)
    return directory


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[row][rows[0].index(column)] = value
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _bad_value(d: Path) -> str:
    set_cell(d / THROUGHPUT, 3, "value", "fast")
    return THROUGHPUT


def _unknown_model(d: Path) -> str:
    set_cell(d / THROUGHPUT, 5, "model", "GPT-5")
    return THROUGHPUT


def _bad_unit(d: Path) -> str:
    set_cell(d / THROUGHPUT, 2, "unit", "Wh")
    return THROUGHPUT


def _missing_catalog(d: Path) -> str:
    (d / "hardware.csv").unlink()
    return "hardware.csv"


def _non_utf8(d: Path) -> str:
    path = d / "models.csv"
    path.write_bytes(path.read_bytes() + b"Caf\xe9,x\n")
    return "models.csv"


def _ragged(d: Path) -> str:
    path = d / THROUGHPUT
    path.write_text(path.read_text(encoding="utf-8") + "PT99,output_throughput,1\n", encoding="utf-8")
    return THROUGHPUT


def _empty_telemetry(d: Path) -> str:
    (d / "telemetry.csv").write_bytes(b"")
    return "telemetry.csv"


def _duplicate_across_files(d: Path) -> str:
    lines = (d / THROUGHPUT).read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "zz_extra.csv").write_text(lines[0] + lines[4], encoding="utf-8")
    return "zz_extra.csv"


def _directory_named_csv(d: Path) -> str:
    (d / "folder.csv").mkdir()
    return "folder.csv"


BREAKAGES = [_bad_value, _unknown_model, _bad_unit, _missing_catalog, _non_utf8, _ragged,
             _empty_telemetry, _duplicate_across_files, _directory_named_csv]


def assert_one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__.strip("_"))
def test_bad_table_simulate(data_dir, out_dir, breakage):
    bad_file = breakage(data_dir)
    before = sorted(p.name for p in data_dir.iterdir())
    out = out_dir / "OUT.nc"
    result = runner.invoke(app, ["simulate", "--data", str(data_dir), "--output", str(out), "--draws", "20"])
    assert_one_line_error(result, bad_file)
    assert not out.exists()
    assert list(out_dir.iterdir()) == []  # no temp files beside the output either
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_error_names_row_and_column(data_dir, out_dir):
    _bad_value(data_dir)
    result = runner.invoke(app, ["simulate", "--data", str(data_dir), "--output", str(out_dir / "OUT.nc")])
    line = assert_one_line_error(result, THROUGHPUT, "row 3 (line 4)", "column 'value'", "'fast'")
    assert line.startswith(f"error: {data_dir / THROUGHPUT}, row 3")


@pytest.mark.parametrize("command", ["simulate", "pathways", "fleet"])
def test_bad_table_every_command(data_dir, out_dir, command):
    _unknown_model(data_dir)
    out = out_dir / "OUT.zarr"
    result = runner.invoke(app, [command, "--data", str(data_dir), "--output", str(out), "--format", "json"])
    assert_one_line_error(result, THROUGHPUT, "column 'model'")
    assert list(out_dir.iterdir()) == []


def test_bad_table_keeps_existing_output(data_dir, out_dir):
    """With --force, a refused run leaves the old result file as it was."""
    _bad_value(data_dir)
    out = out_dir / "OUT.nc"
    out.write_bytes(b"previous result")
    result = runner.invoke(app, ["simulate", "--data", str(data_dir), "--output", str(out), "--force"])
    assert_one_line_error(result, THROUGHPUT)
    assert out.read_bytes() == b"previous result"
    assert [p.name for p in out_dir.iterdir()] == ["OUT.nc"]


def test_missing_data_directory(tmp_path, out_dir):
    result = runner.invoke(app, ["simulate", "--data", str(tmp_path / "nowhere"), "--output", str(out_dir / "OUT.nc")])
    assert_one_line_error(result, "nowhere", "not a directory")
    assert list(out_dir.iterdir()) == []


def test_unknown_preset(out_dir):
    out = out_dir / "OUT.nc"
    result = runner.invoke(app, ["simulate", "--preset", "paper-v9", "--output", str(out)])
    assert_one_line_error(result, "unknown preset 'paper-v9'", "paper-v1", "paper-v2")
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("command", ["pathways", "fleet"])
def test_unknown_preset_other_commands(command):
    result = runner.invoke(app, [command, "--preset", "nope"])
    assert_one_line_error(result, "unknown preset 'nope'")


def test_subprocess_entry_point(data_dir, out_dir):
    """The real interpreter and entry point: one stderr line, exit 2, no file."""
    _directory_named_csv(data_dir)
    out = out_dir / "OUT.nc"
    proc = subprocess.run(
        [sys.executable, "-m", "inference_energy.cli", "simulate", "--data", str(data_dir), "--output", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "folder.csv" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and list(out_dir.iterdir()) == []
