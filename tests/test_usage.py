"""Usage accounting: totals whose uncertainty adds up, readers of the common exports, errors that name
file, row and column.  Runs on the shipped reference posterior (no calibration), in seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from inference_energy.usage.account import account
from inference_energy.usage.per_call import CallEstimator
from inference_energy.usage.readers import UsageError, read_usage

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def calls():
    return CallEstimator()


def _log(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _width(x):
    p5, p95 = np.percentile(x, [5, 95])
    return p95 / p5


def test_ten_thousand_identical_requests_keep_one_requests_relative_width(tmp_path, calls):
    """Shared parameter uncertainty does not average out: the total of 10,000 identical requests is as
    wide, relatively, as one request's median-query interval, not sqrt(10,000) = 100 times narrower,
    and its median is 10,000 x one request's."""
    from inference_energy.files.store import load
    from inference_energy.posterior.calibration_file import open_calibration
    from inference_energy.posterior.pushforward import Scenario, energy_draws
    from inference_energy.posterior.reference import REFERENCE_PATH

    post, cat, traces = open_calibration(load(REFERENCE_PATH))
    # the chat regime's typical lengths, where the operating point of `estimate` and `account` coincide
    inp = float(np.exp(traces["traditional", "input"].log_ppf(np.zeros(1))[0]))
    out = float(np.exp(traces["traditional", "output"].log_ppf(np.zeros(1))[0]))
    log = _log(tmp_path / "same.csv", [{"timestamp": "2025-03-01T12:00:00Z", "model": "Llama-3.1-70B",
                                        "input_tokens": inp, "output_tokens": out}] * 10_000)
    total = account(log, by=())["totals"]["energy_all"].sel(scope="facility").values.ravel()  # kWh
    one = np.exp(energy_draws(post, cat, traces, Scenario(model="Llama-3.1-70B", regime=None, input_tokens=inp,
                                                         output_tokens=out), queries=10)["facility"][:, 0])  # Wh
    assert _width(total) == pytest.approx(_width(one), rel=0.15)  # the same, up to Monte Carlo error
    # were every request's parameters independent, the ln width would shrink 100-fold (P95/P5 ~ 1.01)
    independent = np.exp(np.log(_width(one)) / np.sqrt(10_000))
    assert _width(total) > 1.5 and independent < 1.02
    se = np.std(np.log(one)) / np.sqrt(len(one)) * 1.25  # Monte Carlo s.e. of a median, in ln
    assert abs(np.log(np.median(total) * 1000 / (10_000 * np.median(one)))) < 4 * se + 0.02
    # and against the per-call helper (the same deployment draws as account): equal draw by draw
    single = calls("Llama-3.1-70B", inp, out).draws["facility"]
    np.testing.assert_allclose(total * 1000, 10_000 * single, rtol=1e-9)


def test_two_models_are_two_deployments_summed_per_draw(tmp_path):
    rows = ([{"timestamp": "2025-03-01", "model": "gpt-4o", "input_tokens": 800, "output_tokens": 300}] * 50
            + [{"timestamp": "2025-03-02", "model": "Llama-3.1-8B", "input_tokens": 800, "output_tokens": 300}] * 50)
    ds = account(_log(tmp_path / "two.csv", rows), by=("model",))["totals"]
    e = ds["energy"].sel(scope="facility")
    a, b = (e.sel(group=m).values.ravel() for m in ("gpt-4o", "Llama-3.1-8B"))
    total = ds["energy_all"].sel(scope="facility").values.ravel()
    np.testing.assert_allclose(total, a + b)  # per draw: every correlation kept
    assert np.corrcoef(np.log(a), np.log(b))[0, 1] < 0.9  # their own deployment parameters, not one
    # adding quantiles (what per-call min/max sums do) overstates the interval of the sum
    q = lambda x: np.percentile(x, [5, 95])  # noqa: E731
    assert q(total)[1] - q(total)[0] < (q(a)[1] + q(b)[1]) - (q(a)[0] + q(b)[0])
    # groupby on the coordinates works on the per-draw totals
    assert float(e.groupby("model").sum().sum("model").mean()) == pytest.approx(float(total.mean()))


def test_aggregated_records_vary_between_requests_and_shrink_as_one_over_sqrt_n(tmp_path):
    rows = [{"timestamp": "2025-03-01", "model": "Llama-3.1-70B", "input_tokens": 1000 * n, "output_tokens": 250 * n,
             "requests": n, "region": ""} for n in (4, 400)]
    rows[1]["timestamp"] = "2025-04-01"
    ds = account(_log(tmp_path / "agg.csv", rows), by=("month",))["totals"]
    ratio = (ds["energy"] / ds["energy_expected"]).sel(scope="facility")
    spread = {m: float(np.std(np.log(ratio.sel(group=m).values))) for m in ("2025-03", "2025-04")}
    assert spread["2025-03"] > 0.05  # four requests of unknown lengths: a real spread
    assert spread["2025-03"] / spread["2025-04"] == pytest.approx(10, rel=0.3)  # sqrt(400 / 4)
    # records with known lengths have none
    one = account(_log(tmp_path / "one.csv", [{"timestamp": "2025-03-01", "model": "Llama-3.1-70B",
                                                "input_tokens": 1000, "output_tokens": 250}]), by=())["totals"]
    np.testing.assert_allclose(one["energy"].values, one["energy_expected"].values)


def test_binned_sums_match_the_exact_per_call_sum(tmp_path, calls):
    """Records are summed in 22 % length bins; the law is nearly linear on that scale, so the total is the
    exact per-call sum to well under 1 % in every draw."""
    rng = np.random.default_rng(3)
    n = 300
    rows = pd.DataFrame({"timestamp": "2025-03-01", "model": "gpt-4o-mini",
                         "input_tokens": np.round(np.exp(rng.normal(6.5, 1.2, n))) + 1,
                         "output_tokens": np.round(np.exp(rng.normal(5.5, 0.9, n))) + 1})
    rows.to_csv(tmp_path / "mix.csv", index=False)
    total = account(tmp_path / "mix.csv", by=())["totals"]["energy_all"].sel(scope="facility").values.ravel() * 1000
    exact = sum(calls("gpt-4o-mini", r.input_tokens, r.output_tokens).draws["facility"] for r in rows.itertuples())
    assert np.max(np.abs(total / exact - 1)) < 0.01


def test_carbon_follows_the_hourly_series_and_the_market_factor(tmp_path):
    log = _log(tmp_path / "h.csv", [
        {"timestamp": "2025-03-01T10:15:00Z", "model": "gpt-4o", "input_tokens": 500, "output_tokens": 200},
        {"timestamp": "2025-03-01T11:15:00Z", "model": "gpt-4o", "input_tokens": 500, "output_tokens": 200}])
    hourly = tmp_path / "grid.csv"
    hourly.write_text("timestamp,carbon_intensity_g_per_kwh\n2025-03-01T10:00:00Z,100\n2025-03-01T11:00:00Z,300\n")
    tree = account(log, by=(), hourly_carbon=hourly, market_factor=50)
    ds = tree["totals"]
    fac = ds["energy_all"].sel(scope="facility")
    np.testing.assert_allclose(ds["carbon_location_all"], fac * 200.0 / 1000.0, rtol=1e-9)  # kWh x g/kWh / 1000 = kg
    np.testing.assert_allclose(ds["carbon_market_all"], fac * 50.0 / 1000.0, rtol=1e-9)
    assert "(Scope 3) Standard, Category 1" in tree.attrs["ghg_protocol"] and "hourly" in tree.attrs["carbon_location_method"]
    with pytest.raises(UsageError, match=r"row 2 \(line 3\), column 'timestamp': no hourly intensity"):
        hourly.write_text("timestamp,carbon_intensity_g_per_kwh\n2025-03-01T10:00:00Z,100\n")
        account(log, by=(), hourly_carbon=hourly)


# --- readers ------------------------------------------------------------------------------------


def _read(path):
    return pd.concat([c for _, c in read_usage(path)]), next(iter(read_usage(path)))[0].name


def test_the_common_exports_read_as_they_are(tmp_path):
    page = {"object": "page", "data": [{"object": "bucket", "start_time": 1740787200, "end_time": 1740873600, "results": [
        {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 500,
         "input_cached_tokens": 800, "num_model_requests": 5, "model": "gpt-4o-2024-08-06"}]}]}
    (tmp_path / "openai.json").write_text(json.dumps(page))
    df, name = _read(tmp_path / "openai.json")
    assert name == "openai" and df["requests"].iloc[0] == 5 and df["cached_input_tokens"].iloc[0] == 800
    assert str(df["timestamp"].iloc[0]) == "2025-03-01 00:00:00+00:00"

    spans = [{"start_time": "2025-03-01T10:00:00Z", "attributes": {"gen_ai.request.model": "gpt-4o",
              "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 80, "gen_ai.provider.name": "openai"}}]
    (tmp_path / "otel.jsonl").write_text("\n".join(json.dumps(s) for s in spans))
    df, name = _read(tmp_path / "otel.jsonl")
    assert name == "otel" and df["output_tokens"].iloc[0] == 80 and df["provider"].iloc[0] == "openai"

    pd.DataFrame({"request_id": ["a"], "startTime": ["2025-03-01 10:00:00"], "model": ["gpt-4o-mini"],
                  "prompt_tokens": [300], "completion_tokens": [40], "custom_llm_provider": ["openai"],
                  "spend": [0.001]}).to_csv(tmp_path / "litellm.csv", index=False)
    df, name = _read(tmp_path / "litellm.csv")
    assert name == "litellm" and df["input_tokens"].iloc[0] == 300

    pd.DataFrame({"date": ["2025-03-01"], "model": ["gpt-4o"], "input_tokens": [10], "output_tokens": [5]}).to_parquet(
        tmp_path / "log.parquet")
    df, name = _read(tmp_path / "log.parquet")
    assert name == "canonical" and df["requests"].iloc[0] == 1


@pytest.mark.parametrize("row, column, message", [
    ({"input_tokens": "-5"}, "input_tokens", "must not be negative"),
    ({"output_tokens": "many"}, "output_tokens", "not a number"),
    ({"timestamp": "the third of March"}, "timestamp", "not a date"),
    ({"model": "gpt-4o-mnii"}, "model", "did you mean gpt-4o-mini"),
    ({"region": "atlantis-central1"}, "region", "atlantis-central1"),
    ({"requests": "0"}, "requests", "at least 1"),
    ({"cached_input_tokens": "900"}, "cached_input_tokens", "more cached input tokens"),
])
def test_bad_input_is_one_line_naming_file_row_and_column_and_nothing_is_written(tmp_path, row, column, message):
    good = {"timestamp": "2025-03-01T10:00:00Z", "model": "gpt-4o", "input_tokens": "500", "output_tokens": "100",
            "cached_input_tokens": "0", "requests": "1", "region": "eastus"}
    log = _log(tmp_path / "bad.csv", [good, good, {**good, **row}])
    out = tmp_path / "out.nc"
    proc = subprocess.run([sys.executable, "-m", "inference_energy.cli", "account", "--usage", str(log),
                           "--output", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert f"{log}: row 3 (line 4), column '{column}'" in line and message in line, line
    assert not out.exists()


def test_a_file_of_no_known_format_names_what_each_lacks(tmp_path):
    log = _log(tmp_path / "odd.csv", [{"when": "2025-03-01", "engine": "gpt-4o", "tokens": 5}])
    with pytest.raises(UsageError) as err:
        list(read_usage(log))
    msg = str(err.value)
    assert "\n" not in msg and "canonical lacks timestamp or date, model, input_tokens, output_tokens" in msg
    assert "otel lacks" in msg and "gen_ai.usage.input_tokens" in msg and "litellm lacks startTime" in msg


# --- the example, the stored file, the reference posterior -----------------------------------------


def test_the_example_log_from_a_fresh_install(tmp_path):
    """No calibration: the shipped reference posterior; the per-draw file opens in plain xarray."""
    out = tmp_path / "account.nc"
    proc = subprocess.run([sys.executable, "-m", "inference_energy.cli", "account", "--usage",
                           str(EXAMPLES / "usage_log.csv"), "--output", str(out), "--format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["reference_posterior"] and report["units"]["energy"] == "kWh"
    everything = report["results"][-1]
    assert everything["group"] == "all" and everything["requests"] == pd.read_csv(EXAMPLES / "usage_log.csv")["requests"].sum()
    assert everything["energy_p5"] < everything["energy_p50"] < everything["energy_p95"]
    tree = xr.open_datatree(out)
    for node in tree.subtree:
        for name, var in node.dataset.data_vars.items():
            assert "units" in var.attrs and "long_name" in var.attrs, name
    assert tree.attrs["kind"] == "account" and len(tree.attrs["usage_sha256"]) == 64
    assert set(tree["totals"]["model"].values) == {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash",
                                                   "Llama-3.1-70B"}
    again = subprocess.run([sys.executable, "-m", "inference_energy.cli", "account", "--usage",
                            str(EXAMPLES / "usage_log.csv"), "--output", str(out)], capture_output=True, text=True)
    assert again.returncode == 2 and "--force" in again.stderr


def test_the_same_seed_gives_the_same_totals(tmp_path):
    log = EXAMPLES / "usage_log.csv"
    a, b = (account(log, by=("model",), seed=4)["totals"]["energy"].values for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_the_reference_posterior_is_small_and_from_the_shipped_tables():
    from inference_energy import data
    from inference_energy.posterior.reference import MAX_BYTES, REFERENCE_PATH

    assert REFERENCE_PATH.stat().st_size <= MAX_BYTES
    attrs = xr.open_datatree(REFERENCE_PATH).attrs
    assert attrs["data_sha256"] == data.load().sha256, (
        "the shipped tables changed: rebuild the reference with inference-energy calibrate --output runs/posterior.nc "
        "--force && inference-energy data reference --posterior runs/posterior.nc --force")
    assert attrs["diagnostics_passed"] == 1 and attrs["reference"] == 1


def test_estimate_without_a_posterior_uses_the_reference_and_says_so():
    proc = subprocess.run([sys.executable, "-m", "inference_energy.cli", "estimate", "--model", "Llama-3.1-70B",
                           "--regime", "traditional", "--scope", "facility"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "shipped reference posterior" in proc.stderr


def test_per_call_estimator_caches_each_deployment(calls):
    first = calls("gpt-4o", 1000, 300)
    dep = calls.deployment("gpt-4o-2024-08-06")  # an alias of the same service: the same cached deployment
    assert dep is calls.deployment("gpt-4o") and first.model == "gpt-4o"
    assert first.summary()["p5"] < first.summary()["p95"] and first.carbon_g.shape == first.water_ml.shape
    with pytest.raises(ValueError, match="cached input tokens"):
        calls("gpt-4o", 10, 5, cached_input_tokens=20)


def test_report_of_an_account_has_totals_by_each_grouping_and_ecologits_beside(tmp_path):
    acc = tmp_path / "acc.nc"
    subprocess.run([sys.executable, "-m", "inference_energy.cli", "account", "--usage", str(EXAMPLES / "usage_log.csv"),
                    "--output", str(acc), "--market-factor", "30"], capture_output=True, text=True, check=True)
    proc = subprocess.run([sys.executable, "-m", "inference_energy.cli", "report", "--account", str(acc), "--out",
                           str(tmp_path / "rep")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = (tmp_path / "rep" / "index.html").read_text()
    for text in ("By model", "By month", "By region", "parameter only P5 - P95 [kWh]", "EcoLogits sum [kWh]",
                 "not in EcoLogits", "(Scope 3) Standard, Category 1", "CO2e market P50 [kg]"):
        assert text in page, text
    # the model totals are per-draw sums over months and regions: they add up to the grand total per draw
    from inference_energy.outputs.account_report import marginal_rows, read_account

    tree = read_account(acc)
    rows = marginal_rows(tree, "model", None)
    assert sum(r[1] for r in rows) == float(tree["totals"]["requests"].sum())


def test_cited_water_and_carbon_defaults_are_the_rows_they_name():
    """The WUE and carbon constants of the push-forward and the account equal the calibration rows they cite."""
    from inference_energy import data
    from inference_energy.posterior.scenario import DEFAULT_CARBON, DEFAULT_WUE, OPERATOR_WUE

    rows = {r["id"]: r for t in data.load().observations.values() for r in t.rows}
    for row_id, value in [DEFAULT_CARBON, *DEFAULT_WUE.values(), *OPERATOR_WUE.values()]:
        assert float(rows[row_id]["value"]) == value, row_id
    for operator, (row_id, _) in OPERATOR_WUE.items():
        assert rows[row_id]["quantity"] == "wue" and rows[row_id]["operator"] == operator
