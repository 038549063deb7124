"""Shared fixtures: the shipped tables and paper simulations, built once per session."""

from __future__ import annotations

import pytest

from inference_energy import data, paper, presets


@pytest.fixture(scope="session")
def shipped():
    return data.load()


@pytest.fixture(scope="session")
def legacy_runs(shipped):
    """Both presets on the authors' legacy seed-42 stream (reproduces their digits)."""
    return {name: paper.simulate(presets.get_preset(name), shipped, legacy=True) for name in presets.PRESETS}
