"""Result files: round trips, the file contract, and refusal to overwrite."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import xarray as xr

from inference_energy import paper
from inference_energy.files import store
from inference_energy.paper import presets
from inference_energy.files.format import SCHEMA_VERSION
from inference_energy.paper.tree import simulation_tree

ROOT_ATTRS = ("schema_version", "package_version", "config", "seed", "data_sha256", "created_at", "kind")


@pytest.fixture(scope="module")
def tree(shipped):
    sim = paper.simulate(presets.get_preset("paper-v2"), shipped, draws=500, seed=9)
    return simulation_tree(sim, pathway_result=paper.pathways(sim), fleet_result=paper.fleet(sim))


def all_variables(t: xr.DataTree):
    for node in t.subtree:
        for name, var in node.dataset.variables.items():
            yield node.path, name, var


def test_every_variable_has_units_and_long_name(tree):
    for path, name, var in all_variables(tree):
        if name in var.dims:  # index coordinates are labels, not quantities
            continue
        assert "units" in var.attrs and "long_name" in var.attrs, (path, name)


def test_root_records_provenance(tree):
    for key in ROOT_ATTRS:
        assert key in tree.attrs, key
    assert tree.attrs["schema_version"] == SCHEMA_VERSION
    assert json.loads(tree.attrs["config"])["name"] == "paper-v2"
    assert len(tree.attrs["data_sha256"]) == 64


def test_sample_dims_follow_arviz(tree):
    energy = tree["draws"]["energy"]
    assert energy.dims[:2] == ("chain", "draw")
    assert energy.attrs["units"] == "Wh"


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_round_trip_with_plain_xarray_and_load(tree, tmp_path, suffix):
    path = tmp_path / f"run{suffix}"
    store.save(tree, path)
    plain = xr.open_datatree(path, engine="h5netcdf" if suffix == ".nc" else "zarr")
    import inference_energy

    loaded = inference_energy.load(path)
    for t in (plain, loaded):
        assert t.attrs["seed"] == 9
        np.testing.assert_array_equal(t["draws"]["energy"].values, tree["draws"]["energy"].values)
        np.testing.assert_array_equal(t["summary"]["energy"].values, tree["summary"]["energy"].values)
        assert list(t["summary"]["model"].values) == list(tree["summary"]["model"].values)
        assert t["fleet"]["energy"].attrs["units"] == "GWh/day"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_existing_file_is_never_replaced_without_force(tree, tmp_path, suffix):
    path = tmp_path / f"run{suffix}"
    store.save(tree, path)
    before = _snapshot(path)
    with pytest.raises(store.ResultFileError, match="exists; pass --force"):
        store.save(tree, path)
    assert _snapshot(path) == before
    store.save(tree, path, force=True)
    assert store.load(path).attrs["seed"] == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def _snapshot(path):
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p): p.read_bytes() for p in files}


def test_unknown_schema_version_is_refused(tree, tmp_path):
    path = tmp_path / "future.nc"
    future = tree.copy()
    future.attrs = {**tree.attrs, "schema_version": "99.0"}
    store.save(future, path)
    with pytest.raises(store.ResultFileError, match=r"schema_version '99.0'.*supported: 1.0"):
        store.load(path)


def test_unknown_suffix_and_missing_file(tmp_path, tree):
    with pytest.raises(store.ResultFileError, match=".nc"):
        store.save(tree, tmp_path / "out.csv")
    with pytest.raises(store.ResultFileError, match="no such file"):
        store.load(tmp_path / "absent.nc")


def test_failed_write_leaves_nothing(tmp_path, tree, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", boom)
    with pytest.raises(RuntimeError):
        store.save(tree, tmp_path / "out.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("ncdump") is None, reason="netCDF tools (Debian netcdf-bin) not installed")
def test_netcdf_tools_read_the_header(tree, tmp_path):
    path = store.save(tree, tmp_path / "run.nc")
    header = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True, check=True).stdout
    assert "group: draws" in header and 'energy:units = "Wh"' in header
    assert f':schema_version = "{SCHEMA_VERSION}"' in header
