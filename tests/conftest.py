"""Shared fixtures: the shipped tables and paper simulations, built once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inference_energy import data, paper
from inference_energy.paper import presets


@pytest.fixture(scope="session")
def shipped():
    return data.load()


@pytest.fixture(scope="session")
def legacy_runs(shipped):
    """Both presets on the authors' legacy seed-42 stream (reproduces their digits)."""
    return {name: paper.simulate(presets.get_preset(name), shipped, legacy=True) for name in presets.PRESETS}


EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def examples_workdir(tmp_path_factory) -> Path:
    """A workdir holding posterior.nc, written once per session by examples/calibrate_and_estimate.py
    (its stdout kept in calibrate_and_estimate.out); the examples' tests and others share it."""
    path = tmp_path_factory.mktemp("examples")
    proc = subprocess.run([sys.executable, str(EXAMPLES_DIR / "calibrate_and_estimate.py"), "--workdir", str(path)],
                          cwd=path, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path / "calibrate_and_estimate.out").write_text(proc.stdout)
    return path
