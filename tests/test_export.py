"""export: energy draws for other analyses, tidy files and a fitted lognormal prior.

The posterior is a stand-in: prior draws of the calibration model, in a
DataTree laid out like a calibration file.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

from inference_energy import data
from inference_energy.posterior import export, calibration_file, tokens
from inference_energy.files import store
from inference_energy.model import observations
from inference_energy.model.pymc_model import build_model
from inference_energy.posterior.pushforward import Scenario

SCENARIO = {"model": "Llama-3.1-70B", "regime": "traditional"}
N = 2000


@pytest.fixture(scope="session")
def calibration_tree():
    md = observations.prepare(data.load())
    with build_model(md):
        prior = pm.sample_prior_predictive(draws=200, random_seed=1)
    return xr.DataTree.from_dict({
        "/": xr.Dataset(attrs={"kind": "calibration", "schema_version": "2.0"}),
        "/posterior": prior["prior"].to_dataset(),
        "/model_inputs": calibration_file.model_inputs(md.catalogs, tokens.trace_lengths(md)),
    })


@pytest.fixture(scope="session")
def random_draws(calibration_tree):
    return export.sample_energy(calibration_tree, SCENARIO, n=N, seed=3)


@pytest.fixture(scope="session")
def median_draws(calibration_tree):
    return export.sample_energy(calibration_tree, SCENARIO, n=N, seed=3, kind="median")


# --------------------------------------------------------------------------- sample_energy


def test_shape_units_and_attrs(random_draws, median_draws):
    for s, kind in ((random_draws, "random"), (median_draws, "median")):
        assert s.dims == ("sample",) and s.shape == (N,)
        assert np.all(np.isfinite(s.values)) and np.all(s.values > 0)
        assert s.attrs["units"] == "Wh" and s.attrs["scope"] == "facility" and s.attrs["kind"] == kind
        assert "Llama-3.1-70B" in s.attrs["long_name"]
        assert json.loads(s.attrs["scenario"]) == {**Scenario().__dict__, **SCENARIO}
        assert set(np.unique(s["posterior_draw"].values)) <= set(range(200))
    assert median_draws.attrs["queries_per_draw"] == export.MEDIAN_QUERIES


@pytest.mark.parametrize(("scope", "unit"), [("gpu", "Wh"), ("it", "Wh"), ("water", "mL"), ("carbon", "gCO2e")])
def test_scopes_and_units(calibration_tree, scope, unit):
    s = export.sample_energy(calibration_tree, SCENARIO, n=300, scope=scope)
    assert s.attrs["units"] == unit and s.shape == (300,) and np.all(s.values > 0)


def test_scopes_nest(calibration_tree):
    """Same seed, same draws: a wider boundary never uses less energy."""
    e = {scope: export.sample_energy(calibration_tree, SCENARIO, n=500, seed=7, scope=scope).values
         for scope in ("gpu", "node", "it", "facility")}
    assert np.all(e["gpu"] <= e["node"]) and np.all(e["node"] <= e["it"]) and np.all(e["it"] <= e["facility"])


def test_reproducible_with_seed(calibration_tree, random_draws):
    again = export.sample_energy(calibration_tree, SCENARIO, n=N, seed=3)
    np.testing.assert_array_equal(again.values, random_draws.values)
    other = export.sample_energy(calibration_tree, SCENARIO, n=N, seed=4)
    assert not np.array_equal(other.values, random_draws.values)
    med = [export.sample_energy(calibration_tree, SCENARIO, n=300, seed=5, kind="median").values for _ in range(2)]
    np.testing.assert_array_equal(*med)


def test_scenario_object_equals_dict(calibration_tree, random_draws):
    s = export.sample_energy(calibration_tree, Scenario(**SCENARIO), n=N, seed=3)
    np.testing.assert_array_equal(s.values, random_draws.values)


def test_median_query_narrower_than_random_query(random_draws, median_draws):
    sd_random, sd_median = np.log(random_draws.values).std(), np.log(median_draws.values).std()
    assert sd_median < 0.95 * sd_random
    # both centre on the same typical query
    assert abs(np.log(np.median(random_draws.values)) - np.log(np.median(median_draws.values))) < 0.5


def test_path_posterior(calibration_tree, tmp_path, random_draws):
    path = store.save(calibration_tree, tmp_path / "cal.nc")
    s = export.sample_energy(str(path), SCENARIO, n=N, seed=3)  # a str; store.load takes Path too
    np.testing.assert_allclose(s.values, random_draws.values, rtol=1e-12)


def test_bad_arguments(calibration_tree):
    with pytest.raises(ValueError, match="unknown scope"):
        export.sample_energy(calibration_tree, SCENARIO, scope="rack")
    with pytest.raises(ValueError, match="unknown kind"):
        export.sample_energy(calibration_tree, SCENARIO, kind="mean")
    with pytest.raises(ValueError, match="unknown scenario field"):
        export.sample_energy(calibration_tree, {"modle": "Llama-3.1-70B"})
    with pytest.raises(ValueError, match="unknown model"):
        export.sample_energy(calibration_tree, {"model": "no-such-model"}, n=10)
    with pytest.raises(ValueError, match="positive integer"):
        export.sample_energy(calibration_tree, SCENARIO, n=0)
    not_cal = xr.DataTree.from_dict({"/": xr.Dataset(attrs={"kind": "paper"})})
    with pytest.raises(ValueError, match="not a calibration file"):
        export.sample_energy(not_cal, SCENARIO, n=10)


# --------------------------------------------------------------------------- tidy files

TIDY_COLUMNS = ["sample", "value", "unit", "scope", "kind", "model", "regime", "hardware", "serving", "deployment"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tidy_round_trip(random_draws, tmp_path, suffix):
    path = export.to_tidy(random_draws, tmp_path / f"draws{suffix}")
    df = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert len(df) == N and set(TIDY_COLUMNS) <= set(df.columns)
    np.testing.assert_array_equal(df["sample"].to_numpy(), np.arange(N))
    np.testing.assert_allclose(df["value"].to_numpy(), random_draws.values, rtol=1e-15)
    assert set(df["unit"]) == {"Wh"} and set(df["scope"]) == {"facility"} and set(df["kind"]) == {"random"}
    assert set(df["model"]) == {"Llama-3.1-70B"} and set(df["hardware"]) == {"H100"}
    np.testing.assert_array_equal(df["posterior_draw"].to_numpy(), random_draws["posterior_draw"].values)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_tidy_refuses_to_overwrite(random_draws, median_draws, tmp_path):
    path = tmp_path / "draws.csv"
    path.write_text("keep me\n")
    with pytest.raises(FileExistsError, match="force"):
        export.to_tidy(random_draws, path)
    assert path.read_text() == "keep me\n"
    export.to_tidy(median_draws, path, force=True)
    assert set(pd.read_csv(path)["kind"]) == {"median"}


def test_tidy_rejects_unknown_format_and_bare_arrays(random_draws, tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        export.to_tidy(random_draws, tmp_path / "draws.xlsx")
    with pytest.raises(ValueError, match="sample_energy"):
        export.to_tidy(xr.DataArray(np.ones(3), dims="sample"), tmp_path / "draws.csv")


def test_parquet_without_pyarrow_names_what_to_install(random_draws, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` raise ImportError
    with pytest.raises(ImportError, match="pip install pyarrow"):
        export.to_tidy(random_draws, tmp_path / "draws.parquet")
    assert not (tmp_path / "draws.parquet").exists()


# --------------------------------------------------------------------------- fitted prior


def test_fitted_prior_matches_samples(random_draws):
    from pymc_extras.prior import Prior

    prior = export.fit_lognormal_prior(random_draws)
    assert isinstance(prior, Prior) and prior.distribution == "LogNormal"
    ln = np.log(random_draws.values)
    assert prior.parameters["mu"] == pytest.approx(ln.mean())
    assert prior.parameters["sigma"] == pytest.approx(ln.std(ddof=1))
    # a lognormal's median is exp(mu); the samples' median is close on the log scale
    # the serving law's prior draws are skewed on the log scale, so the mean of ln E sits a little off its median
    assert abs(prior.parameters["mu"] - np.log(np.median(random_draws.values))) < 0.3 * prior.parameters["sigma"]


def test_prior_json_round_trip(random_draws):
    from pymc_extras.prior import Prior

    doc = json.loads(export.prior_json(random_draws))
    assert Prior.from_dict(doc["prior"]) == export.fit_lognormal_prior(random_draws)
    assert doc["units"] == "Wh" and doc["scope"] == "facility" and doc["kind"] == "random"
    assert doc["scenario"]["model"] == "Llama-3.1-70B"
    fit = doc["fit"]
    assert fit["method"] == "moments of ln" and fit["n"] == N
    assert 0 < fit["ks_statistic"] < 1
    assert set(fit["quantiles"]) == {"p5", "p50", "p95"}


def test_ks_statistic_small_for_lognormal_samples():
    x = np.random.default_rng(0).lognormal(1.0, 0.7, size=5000)
    doc = json.loads(export.prior_json(x))
    assert doc["fit"]["ks_statistic"] < 0.03
    assert doc["prior"]["kwargs"]["mu"] == pytest.approx(1.0, abs=0.05)
    assert doc["units"] is None and doc["scenario"] is None


def test_prior_usable_in_pymc_model(random_draws):
    prior = export.fit_lognormal_prior(random_draws)
    with pm.Model() as m:
        e = prior.create_variable("e")
    assert e in m.free_RVs
    draws = pm.draw(e, draws=4000, random_seed=0)
    assert np.log(np.median(draws)) == pytest.approx(prior.parameters["mu"], abs=0.15 * prior.parameters["sigma"])


def test_fit_rejects_non_positive():
    with pytest.raises(ValueError, match="positive"):
        export.fit_lognormal_prior(np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="do not vary"):
        export.fit_lognormal_prior(np.ones(10))


def test_save_prior_json(random_draws, tmp_path):
    path = export.save_prior_json(random_draws, tmp_path / "prior.json")
    assert json.loads(path.read_text())["prior"]["dist"] == "LogNormal"
    with pytest.raises(FileExistsError):
        export.save_prior_json(random_draws, path)
