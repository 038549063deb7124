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


@pytest.fixture(scope="session")
def prior_calibration(shipped):
    """(post, cat, traces) with prior draws standing in for a posterior."""
    import pymc as pm

    from inference_energy.model import observations
    from inference_energy.posterior import tokens
    from inference_energy.model.pymc_model import build_model

    md = observations.prepare(shipped)
    with build_model(md) as model:
        # only what a posterior holds (no predictive draws), compiled quickly: ~1 s instead of ~8 s
        names = [v.name for v in model.free_RVs + model.deterministics]
        prior = pm.sample_prior_predictive(draws=200, random_seed=1, var_names=names,
                                           compile_kwargs={"mode": "FAST_COMPILE"})
    return prior["prior"].to_dataset(), md.catalogs, tokens.trace_lengths(md)


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
