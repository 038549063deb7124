"""Real sampling: parameter recovery from simulated data, and the shipped calibration.

Marked slow (minutes each); .ci/run runs them.
"""

from __future__ import annotations

import copy
import math
import json
import subprocess
import sys

import pymc as pm
import pytest
import xarray as xr

from inference_energy.model import calibrate, observations
from inference_energy.model.pymc_model import build_model

pytestmark = pytest.mark.slow

TRUTH = {  # parameter values to simulate from (within the priors, away from their centres)
    "eff_bw_intercept": 1.0, "eff_compute_intercept": 1.5, "eff_bw_low_precision": -0.6, "step_overhead": 0.004,
    "vendor_batch_cap": 200.0, "power_intercept": 1.4, "power_concurrency_slope": 0.35, "pue_hyperscale": -2.3,
    "pue_operator_sd": 0.2,  # operators near their class, as the shipped PUE rows say (posterior 0.28)
}
RECOVER = ("eff_bw_intercept", "eff_bw_low_precision", "step_overhead", "power_concurrency_slope", "pue_hyperscale")


def test_parameters_are_recovered_from_data_simulated_by_the_model(shipped):
    md = observations.prepare(shipped)
    model = build_model(md)
    with pm.do(model, TRUTH):
        sim = pm.sample_prior_predictive(draws=1, random_seed=11)["prior_predictive"]
    md_sim = copy.deepcopy(md)
    for group, name in ((md_sim.throughput, "throughput"), (md_sim.itl, "inter_token_latency"),
                        (md_sim.power, "gpu_power_fraction"), (md_sim.pue, "pue"),
                        (md_sim.reasoning_means, "reasoning_log_mean"), (md_sim.energy, "energy_per_query")):
        group.columns["y"] = list(sim[name].values.ravel())
    config = calibrate.SamplerConfig(draws=500, tune=700, chains=2, seed=5)
    tree = calibrate.sample(build_model(md_sim), config, progress=False)
    post = tree["posterior"]
    for name in RECOVER:
        draws = post[name].values
        z = (draws.mean() - TRUTH[name]) / draws.std()
        assert abs(z) < 3.5, (name, draws.mean(), draws.std(), TRUTH[name])  # P(|z| > 3.5) ~ 5e-4 per parameter
        prior_sd = float(tree["prior"][name].std())
        assert float(post[name].std()) < 0.5 * prior_sd, name  # the data, not the prior, decide


@pytest.fixture(scope="module")
def calibration_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "posterior.nc"
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "calibrate", "--output", str(out),
                          "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    return out, json.loads(run.stdout)


def test_shipped_calibration_converges_and_moves_from_the_prior(calibration_file):
    path, report = calibration_file
    d = report["diagnostics"]
    assert d["passed"] and d["max_rhat"] <= 1.01 and d["min_ess_bulk"] >= 400 and d["divergences"] == 0
    ratios = {r["parameter"]: r["sd_ratio"] for r in report["results"]}
    for informed in ("eff_bw_low_precision", "step_overhead", "vendor_batch_cap", "power_concurrency_slope",
                     "idle_share", "pue_hyperscale"):
        assert ratios[informed] < 0.5, informed
    # about 10 % of rows outside a 90 % interval is what a calibrated model gives
    assert len(report["outside_posterior_90"]) / 1958 < 0.2


def test_posterior_file_opens_in_plain_xarray_and_arviz(calibration_file):
    import arviz as az

    path, _ = calibration_file
    tree = xr.open_datatree(path)
    for group in ("prior", "posterior", "sample_stats", "observed_data", "prior_predictive", "posterior_predictive",
                  "energy", "checks", "sources", "model_inputs"):
        assert group in tree.children, group
    for node in tree.subtree:
        for name, var in node.dataset.data_vars.items():
            assert "units" in var.attrs and "long_name" in var.attrs, (node.path, name)
    summary = az.summary(tree, var_names=["host_ratio", "idle_share"])
    assert summary.shape[0] == 2
    med = tree["energy"]["median_query_energy"].sel(scenario="Llama-3.1-70B|traditional")
    ordered = med.sel(scope="gpu") < med.sel(scope="node")
    assert bool(ordered.all()) and bool((med.sel(scope="it") < med.sel(scope="facility")).all())


def test_estimate_from_the_file(calibration_file):
    path, _ = calibration_file
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", str(path),
                          "--model", "Llama-3.1-70B", "--hardware", "H100", "--regime", "traditional", "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    recs = {r["scope"]: r for r in json.loads(run.stdout)["results"]}
    assert recs["gpu"]["p50"] < recs["node"]["p50"] < recs["it"]["p50"] < recs["facility"]["p50"]
    f = recs["facility"]
    assert f["median_p5"] < f["median_p50"] < f["median_p95"]
    # per-query variation is wider than the credible interval of the median query
    assert f["p95"] / f["p5"] > f["median_p95"] / f["median_p5"]



@pytest.mark.parametrize("name", ["Llama 3.1 70B", "meta-llama/Llama-3.1-70B-Instruct"])
def test_estimate_takes_model_names_as_users_write_them(calibration_file, name):
    path, _ = calibration_file
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", str(path),
                          "--model", name, "--regime", "traditional", "--scope", "facility", "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["results"][0]["model"] == "Llama-3.1-70B"


def test_estimate_suggests_the_id_of_a_misspelt_model(calibration_file):
    path, _ = calibration_file
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", str(path),
                          "--model", "Lama-3.1-70B", "--regime", "traditional"], capture_output=True, text=True)
    assert run.returncode != 0 and "did you mean Llama-3.1-70B" in run.stderr


def test_prior_only_run_is_a_preset_wider_than_the_posterior(calibration_file, tmp_path):
    path, _ = calibration_file
    prior_path = tmp_path / "prior.nc"
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "calibrate", "--prior-only", "--output",
                          str(prior_path), "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert xr.open_datatree(prior_path).attrs["prior_only"] == 1

    def median_interval(p):
        out = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", str(p),
                              "--model", "Llama-3.1-405B", "--regime", "traditional", "--scope", "facility",
                              "--format", "json"], capture_output=True, text=True, check=True).stdout
        r = json.loads(out)["results"][0]
        return r["median_p95"] / r["median_p5"]

    assert median_interval(prior_path) > 3 * median_interval(path)  # the data narrow it


def test_update_with_new_telemetry_moves_what_the_data_imply(calibration_file, tmp_path):
    """A second Meta PUE (1.09) pulls Meta's PUE down; the class PUE barely moves (Meta already
    reports 1.08 in D07), so its shift is only checked for attribution, not size."""
    import arviz as az
    from pathlib import Path

    path, _ = calibration_file
    new = tmp_path / "updated.nc"
    telemetry = Path(__file__).resolve().parent.parent / "examples" / "new_telemetry.csv"
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "update", "--posterior", str(path),
                          "--add-data", str(telemetry), "--output", str(new), "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["rows_added"] == ["NEW01"] and report["old_data_sha256"] != report["new_data_sha256"]
    pue = next(r for r in report["results"] if r["quantity"] == "pue_hyperscale")
    assert "NEW01" in pue["responsible_rows"]
    meta = [xr.open_datatree(p)["posterior"].to_dataset()[["pue_operator"]].sel(operator="meta") for p in (path, new)]
    shift = float(meta[1]["pue_operator"].mean() - meta[0]["pue_operator"].mean())
    mcse = math.hypot(*(az.mcse(m)["pue_operator"].item() for m in meta))
    assert shift < -4 * mcse  # a real move (about -0.0036 at ~9 MCSE), not Monte Carlo noise
    attrs = xr.open_datatree(new).attrs
    assert json.loads(attrs["rows_added"]) == ["NEW01"]
    assert attrs["update_of"] == xr.open_datatree(path).attrs["run_id"]
    # a second update to the same path is refused and leaves the file as it was
    before = new.read_bytes()
    again = subprocess.run([sys.executable, "-m", "inference_energy.cli", "update", "--posterior", str(path),
                            "--add-data", str(telemetry), "--output", str(new)], capture_output=True, text=True)
    assert again.returncode != 0 and "exists; pass --force" in again.stderr and new.read_bytes() == before


def test_compare_flags_a_conflicting_row(calibration_file, tmp_path):
    """A PUE of 2.5 for a hyperscale operator cannot be reconciled with the rest: flagged, not absorbed."""
    path, _ = calibration_file
    bad = tmp_path / "conflict.csv"
    rows = (Path_of_examples() / "new_telemetry.csv").read_text().splitlines()
    bad.write_text(rows[0] + "\n" + rows[1].replace("NEW01,pue,1.09", "BAD01,pue,2.5").replace(",meta,", ",google,") + "\n")
    new = tmp_path / "conflict.nc"
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "update", "--posterior", str(path),
                          "--add-data", str(bad), "--output", str(new), "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert [c["row"] for c in report["conflicts"]] == ["BAD01"]


def Path_of_examples():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "examples"


def test_sensitivity_and_export_from_the_posterior(calibration_file, tmp_path):
    import pandas as pd

    path, _ = calibration_file
    cli = [sys.executable, "-m", "inference_energy.cli"]
    out = subprocess.run([*cli, "sensitivity", "--posterior", str(path), "--model", "Llama-3.1-70B", "--regime",
                          "traditional", "--samples", "512", "--format", "json"], capture_output=True, text=True, check=True)
    records = {r["input"]: r for r in json.loads(out.stdout)["results"]}
    assert records["output tokens"]["ST"] > records["operator PUE"]["ST"]
    draws, prior = tmp_path / "draws.parquet", tmp_path / "prior.json"
    subprocess.run([*cli, "export", "--posterior", str(path), "--model", "Llama-3.1-70B", "--regime", "traditional",
                    "--output", str(draws), "--prior-json", str(prior), "--n", "2000"], check=True, capture_output=True)
    frame = pd.read_parquet(draws)
    assert len(frame) == 2000 and set(frame["unit"]) == {"Wh"}
    fitted = json.loads(prior.read_text())
    assert fitted["prior"]["dist"] == "LogNormal"
    import inference_energy

    s = inference_energy.sample_energy(path, {"model": "Llama-3.1-70B", "regime": "traditional"}, n=500, kind="median")
    assert s.attrs["units"] == "Wh" and s.sizes["sample"] == 500


def test_scenario_grid_on_a_dask_cluster_writes_zarr(calibration_file, tmp_path):
    from pathlib import Path

    from distributed import LocalCluster
    from typer.testing import CliRunner

    from inference_energy.cli import app

    path, _ = calibration_file
    scenarios = Path(__file__).resolve().parent.parent / "examples" / "scenarios.csv"
    out = tmp_path / "grid.zarr"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        res = CliRunner().invoke(app, ["estimate", "--posterior", str(path), "--scenarios", str(scenarios),
                                       "--output", str(out), "--scheduler", cluster.scheduler_address, "--block", "4"])
    assert res.exit_code == 0, res.output
    grid = xr.open_datatree(out, engine="zarr")["grid"]
    q = grid["typical_query_energy"]
    assert q.attrs["units"] == "Wh" and q.sizes["scenario"] == 13
    facility = q.sel(scope="facility", statistic="p50")
    assert bool((q.sel(scope="gpu", statistic="p50") < facility).all())


def test_power_scaling_prior_sensitivity_flags_what_the_prior_decides(calibration_file):
    path, _ = calibration_file
    out = subprocess.run([sys.executable, "-m", "inference_energy.cli", "sensitivity", "--posterior", str(path),
                          "--prior", "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    rec = {r["parameter"]: r for r in json.loads(out.stdout)["results"]}
    assert rec["step_overhead"]["diagnosis"] == "ok"  # pinned by 525 latency rows
    assert rec["host_ratio"]["prior_sensitivity"] > 5 * rec["step_overhead"]["prior_sensitivity"]


def test_report_of_the_calibration_shows_every_figure_in_a_browser(calibration_file, tmp_path):
    from test_report import render

    path, _ = calibration_file
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "report", "--posterior", str(path),
                          "--out", str(tmp_path / "report")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    page = tmp_path / "report" / "index.html"
    html = page.read_text()
    for text in ("median query 90 % CI [Wh]", "Llama-3.1-70B", "leave-source-out k-hat", "passed", "data SHA-256"):
        assert text in html
    names = sorted(p.stem for p in (tmp_path / "report" / "figures").glob("*.png"))
    assert names == sorted(["energy_per_query", "pathways", "fleet", "sensitivity", "prior_posterior",
                            "predictive_checks", "source_checks", "rank"])
    assert render(page, tmp_path / "profile") == (len(names), len(names))


@pytest.mark.parametrize("name, expect", [("gpt-4o", "gpt-4o"), ("GPT 4o", "gpt-4o"), ("openai/gpt-4o-mini", "gpt-4o-mini"),
                                          ("claude-3-5-haiku-20241022", "claude-3.5-haiku")])
def test_estimate_of_a_closed_service_by_name_says_it_is_prior_heavy(calibration_file, name, expect):
    path, _ = calibration_file
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", str(path),
                          "--model", name, "--regime", "traditional", "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    recs = {r["scope"]: r for r in out["results"]}
    assert recs["facility"]["model"] == expect
    assert recs["gpu"]["median_p50"] < recs["facility"]["median_p50"]
    assert any("prior-heavy" in n for n in out["notes"]) and any("closed_models.csv" in n for n in out["notes"])


def test_estimate_suggests_the_id_of_a_misspelt_closed_service(calibration_file):
    path, _ = calibration_file
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--posterior", str(path),
                          "--model", "gtp-4o", "--regime", "traditional"], capture_output=True, text=True)
    assert run.returncode != 0 and "did you mean" in run.stderr and "gpt-4o" in run.stderr


def test_validate_leaves_a_source_out_and_the_report_shows_it(calibration_file, tmp_path):
    """One refit (OpenAI's disclosure left out, a short run): the prediction of its 0.34 Wh, the JSON, the
    figure, and the report's section and figure."""
    from test_report import render

    path, _ = calibration_file
    out, fig = tmp_path / "validation.json", tmp_path / "validation.png"
    run = subprocess.run([sys.executable, "-m", "inference_energy.cli", "validate", "--posterior", str(path),
                          "--source", "OpenAI (Sam Altman, 'The Gentle Singularity')", "--draws", "150", "--tune",
                          "200", "--chains", "2", "--output", str(out), "--figure", str(fig)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    v = json.loads(out.read_text())
    (row,) = v["rows"]
    assert row["row"] == "A10" and row["method"] == "refit" and row["observed"] == 0.34
    assert 0 < row["p5"] < row["p50"] < row["p95"] and 0 <= row["pit"] <= 1
    assert row["covered"] == (row["p5"] <= 0.34 <= row["p95"])
    assert v["summary"]["sources"] == 1 and fig.stat().st_size > 10_000
    again = subprocess.run([sys.executable, "-m", "inference_energy.cli", "validate", "--posterior", str(path),
                            "--output", str(out)], capture_output=True, text=True)
    assert again.returncode != 0 and "exists; pass --force" in again.stderr
    report = subprocess.run([sys.executable, "-m", "inference_energy.cli", "report", "--posterior", str(path),
                             "--validation", str(out), "--out", str(tmp_path / "report")], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-3000:]
    page = tmp_path / "report" / "index.html"
    assert "Production sources left out" in page.read_text() and "A10" in page.read_text()
    assert (tmp_path / "report" / "figures" / "validation.png").exists()
    assert render(page, tmp_path / "profile") == (9, 9)
