"""The calibrated model's pieces: laws, row sorting, likelihood terms, priors, push-forward.

Fast: no MCMC.  Sampling and parameter recovery are in test_calibration.py (slow).
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pymc as pm
import pytest
from pymc_extras.prior import Prior

from inference_energy import data
from inference_energy.model import laws, observations, priors
from inference_energy.posterior import pushforward, tokens
from inference_energy.model.pymc_model import build_model


@pytest.fixture(scope="session")
def md(shipped):
    return observations.prepare(shipped)


@pytest.fixture(scope="session")
def model(md):
    return build_model(md)


@pytest.fixture(scope="session")
def prior_as_posterior(model):
    """Prior draws shaped like a posterior (chain, draw): enough to exercise the push-forward."""
    with model:
        prior = pm.sample_prior_predictive(draws=300, random_seed=3)
    return prior["prior"].to_dataset()


def test_every_likelihood_row_has_a_term_and_comparisons_stay_out(shipped, md):
    likelihood = {r["id"] for r in shipped.observation_rows() if r["role"] == "likelihood"}
    assert set(md.likelihood_ids()) == likelihood
    assert {r["id"] for r in md.comparison}.isdisjoint(likelihood)
    # the seed paper's own outputs never enter as data
    assert not any(i.startswith(("A16", "A19", "A20", "A21")) for i in md.likelihood_ids())


def test_a_likelihood_row_the_model_cannot_use_is_an_error(shipped, tmp_path):
    for p in shipped.directory.glob("*.csv"):
        shutil.copy(p, tmp_path / p.name)
    header = (tmp_path / "measurements.csv").read_text().splitlines()[0]
    cols = header.split(",")
    row = dict.fromkeys(cols, "")
    row.update(id="X1", quantity="node_power", value="6", unit="kW", statistic="mean", scope="node", serving="production",
               role="likelihood", source="test", source_url="https://example.org", date="2026", evidence="test")
    (tmp_path / "extra.csv").write_text(header + "\n" + ",".join(row[c] for c in cols) + "\n")
    with pytest.raises(data.DataError, match=r"extra.csv, row 1 .*no likelihood term for quantity 'node_power'"):
        observations.prepare(data.load(tmp_path))


def test_scope_factors_are_ordered_gpu_node_it_facility():
    f = laws.scope_log_factors(np, np.array([0.0, 0.4]), np.array([0.0, 0.1]), np.array([1.0, 1.2]))
    assert np.all(f["gpu"] <= f["node"]) and np.all(f["node"] <= f["it"]) and np.all(f["it"] <= f["facility"])
    assert f["facility"][1] == pytest.approx(math.log(1.4 / 0.9 * 1.2))


def test_gpu_energy_law_by_hand():
    # one GPU, batch 10: prefill 0.1 s at f_pre, 300 steps of 20 ms shared by 10 requests at f_dec = 0.5
    # decode: 700 W x 0.5 x 300 x 0.02 / 10 = 210 J; prefill: f_pre = 1 - 0.6 x 0.5 = 0.7: 700 x 0.7 x 0.1 = 49 J
    times = {"t_pre": 0.1, "t_step": 0.02}
    op = {"n_gpus": 1.0, "output": 300.0, "batch": 10.0}
    e = laws.phase_energy_gpu_wh(np, times, op, 700.0, 0.5, 0.4)
    assert e["decode"] == pytest.approx(210 / 3600) and e["prefill"] == pytest.approx(49 / 3600)


def test_throughput_and_speed_per_user_by_hand():
    # replica of 2 GPUs, 20 requests in flight; per request 0.5 s of prefill and 200 steps of 25 ms shared by 20
    op = {"n_gpus": 2.0, "batch": 20.0, "output": 200.0}
    times = {"T": 0.5 + 200 * 0.025 / 20}  # 0.75 s of replica time per request
    assert math.exp(laws.log_output_throughput_per_gpu(np, times, op)) == pytest.approx(200 / (2 * 0.75))
    assert laws.output_speed_per_user(np, times, op) == pytest.approx(200 / (20 * 0.75))


def test_mixture_mean_closed_form():
    rng = np.random.default_rng(0)
    w, mu, sig = 0.3, (4.0, 6.0), (0.5, 0.2)
    comp = rng.random(400_000) < w
    x = np.exp(np.where(comp, rng.normal(mu[1], sig[1], comp.size), rng.normal(mu[0], sig[0], comp.size)))
    assert math.exp(laws.lognormal_mixture_log_mean(np, w, mu, sig)) == pytest.approx(x.mean(), rel=0.01)


def _values_fn(model, outs):
    """outs as a function of the free parameters' values (RVs replaced, not drawn)."""
    single = not isinstance(outs, list)
    fn = model.compile_fn(model.replace_rvs_by_values(outs if not single else [outs]), inputs=model.value_vars,
                          on_unused_input="ignore")
    def call(**point):
        out = fn(point)
        return out[0] if single else out

    return call


def _mu_of(model, name):
    """The location parameter of an observed variable, as a function of the free parameters."""
    rv = model[name]
    loc = 3 if "StudentT" in type(rv.owner.op).__name__ else 2  # after (rng, size[, nu])
    return _values_fn(model, rv.owner.inputs[loc])


def test_energy_components_enter_at_their_scope(model, md):
    point = model.initial_point()
    mu = _mu_of(model, "energy_per_query")(**point)
    fn = _values_fn(model, [model["closed_log_energy_gpu"], model["host_ratio"], model["idle_share"],
                            model["host_tpu_offset"], model["pue_operator_log_excess"]])
    log_gpu, kappa, phi, tpu, z_op = fn(**point)
    e = md.energy
    for i, (comp, scope) in enumerate(zip(e.columns["component"], e.columns["scope"])):
        d, o = e.columns["deployment"][i], e.columns["pue_operator"][i]
        k = kappa * math.exp(tpu) if md.closed[d] == "google" else kappa
        it = log_gpu[d] + math.log1p(k) - math.log1p(-phi)
        expected = {"accelerator": log_gpu[d], "host": log_gpu[d] + math.log(k), "idle": it + math.log(phi),
                    "overhead": it + z_op[o]}.get(comp)
        if expected is None:  # a total at its scope
            expected = {"gpu": log_gpu[d], "node": log_gpu[d] + math.log1p(k), "it": it,
                        "facility": it + math.log1p(math.exp(z_op[o]))}[scope]
        if e.columns["mean"][i]:
            continue  # the mean adds the lognormal shift; checked below
        assert mu[i] == pytest.approx(expected), e.ids[i]


def test_likelihood_and_pushforward_evaluate_one_law(model, md):
    """One expression: at the same parameter values, the likelihood's mean of a TensorRT-LLM row and of an
    ML.ENERGY row equals the push-forward's ln throughput for the same scenario."""
    import xarray as xr

    point = model.initial_point()
    mu = _mu_of(model, "throughput")(**point)
    t = md.throughput
    assert mu.shape == (len(t),) and np.all(np.isfinite(mu))
    names = [v.name for v in model.free_RVs + model.deterministics]
    values = _values_fn(model, [model[n] for n in names])(**point)
    dims = {n: model.named_vars_to_dims.get(n, ()) for n in names}
    post = xr.Dataset({n: (("chain", "draw", *dims[n]), np.asarray(v)[None, None]) for n, v in zip(names, values)})
    cat, traces = md.catalogs, tokens.trace_lengths(md)
    wanted = {"ML0100a", next(i for i in t.ids if i.startswith("TRV"))}
    checked = 0
    for i, row_id in enumerate(t.ids):
        if row_id not in wanted:
            continue
        c = {k: t.columns[k][i] for k in t.columns}
        inp = c["input"] if c["task"] < 0 else float(post["task_input_tokens"].values[0, 0, c["task"]])
        prec = {2.0: "bf16", 1.0: "fp8", 0.5625: "nvfp4", 0.53125: "mxfp4"}[c["weight_bytes"]]
        serving = observations.SERVING[c["serving"]]
        sc = pushforward.Scenario(model=cat.models[c["model"]], hardware=cat.hardware[c["hardware"]], regime=None,
                                  input_tokens=inp, output_tokens=c["output"], serving=serving, precision=prec,
                                  gpus=int(c["replica_gpus"]),
                                  concurrency=c["batch"] / c["replica_gpus"] if c["batch"] > 0 else None)
        d = pushforward.scenario_draws(post, cat, sc, 0, traces)
        if c["batch"] > 0:  # a measured batch is used as is by the likelihood
            d = type(d)(**{**d.__dict__, "batch": np.array([c["batch"]])})
        op, times = d.point(np.arange(1), math.log(inp), math.log(c["output"]))
        assert laws.log_output_throughput_per_gpu(np, times, op)[0] == pytest.approx(mu[i], rel=1e-6), row_id
        checked += 1
    assert checked == 2


def test_every_likelihood_kind_is_an_observed_variable(model, md):
    names = {v.name for v in model.observed_RVs}
    assert names == {"throughput", "inter_token_latency", "gpu_power_fraction", "pue", "energy_per_query",
                     "reasoning_log_mean", "load_factor", "output_speed_per_user"}
    sizes = {v.name: model.rvs_to_values[v].data.size if hasattr(model.rvs_to_values[v], "data") else None
             for v in model.observed_RVs}
    assert sizes["throughput"] == len(md.throughput) and sizes["pue"] == len(md.pue)
    assert sizes["load_factor"] == len(md.load) == 3 and sizes["output_speed_per_user"] == len(md.speed) == 1


def test_model_log_density_is_finite_at_the_start(model):
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_priors_are_overridable_by_name_and_from_json(md, tmp_path):
    new = Prior("LogNormal", mu=math.log(0.2), sigma=0.1)
    m = build_model(md, {"host_ratio": new})
    with m:
        draws = pm.sample_prior_predictive(draws=2000, random_seed=1)["prior"]["host_ratio"].values
    assert np.median(draws) == pytest.approx(0.2, rel=0.05)
    path = tmp_path / "priors.json"
    path.write_text(json.dumps({"host_ratio": new.to_dict()}))
    assert priors.load_prior_file(path)["host_ratio"].to_dict() == new.to_dict()
    with pytest.raises(KeyError, match="unknown prior 'host_ration'"):
        priors.resolve({"host_ration": new})


def test_every_default_prior_has_a_reason():
    for name, (prior, reason) in priors.PRIOR_TABLE.items():
        assert len(reason) > 20, name


def test_trace_lengths_reproduce_the_published_statistics(md):
    traces = tokens.trace_lengths(md)
    rng = np.random.default_rng(1)
    q = md.token_quantiles
    for (regime, kind), dist in traces.items():
        x = dist.sample(rng, 400_000)
        if dist.target_mean:
            assert x.mean() == pytest.approx(dist.target_mean, rel=0.02), (regime, kind)
        sel = [i for i, r in enumerate(q.columns["regime"])
               if observations.TOKEN_REGIMES[r] == regime and q.columns["which"][i] == (kind == "output")]
        for i in sel:
            published = math.exp(q.columns["log_q"][i])
            assert np.percentile(x, 100 * q.columns["p"][i]) == pytest.approx(published, rel=0.03, abs=1.0)


def test_pushforward_orders_scopes_per_draw_and_keeps_uncertainties_apart(prior_as_posterior, md):
    traces = tokens.trace_lengths(md)
    sc = pushforward.Scenario(model="Llama-3.1-70B", hardware="H100", regime="traditional")
    d = pushforward.energy_draws(prior_as_posterior, md.catalogs, traces, sc, queries=50, seed=1)
    assert np.all(d["gpu"] < d["node"]) and np.all(d["node"] <= d["it"]) and np.all(d["it"] < d["facility"])
    rec = {r["scope"]: r for r in pushforward.summarize_scenario(d, sc)}
    f = rec["facility"]
    assert f["unit"] == "Wh" and f["p5"] < f["p50"] < f["p95"]
    # the median query's interval (parameters only) sits inside the random query's spread
    assert f["p5"] <= f["median_p50"] <= f["p95"]
    assert rec["facility-water"]["unit"] == "mL" and rec["facility-carbon"]["unit"] == "gCO2e"


def test_an_unknown_model_is_less_certain_than_a_catalog_one(prior_as_posterior, md):
    traces = tokens.trace_lengths(md)
    known = pushforward.Scenario(model="Llama-3.1-70B")
    unknown = pushforward.Scenario(active_params_b=70, total_params_b=70)
    spread = []
    for sc in (known, unknown):
        d = pushforward.energy_draws(prior_as_posterior, md.catalogs, traces, sc, queries=20, seed=2)
        med = np.median(d["facility"], axis=1)
        spread.append(np.percentile(med, 95) - np.percentile(med, 5))
    assert spread[1] > spread[0] * 0.9  # never narrower (prior draws: the model effect adds width)


def test_water_and_carbon_scale_with_their_factors(prior_as_posterior, md):
    traces = tokens.trace_lengths(md)
    base = pushforward.Scenario(model="Llama-3.1-8B", wue_l_per_kwh=1.0, carbon_g_per_kwh=100.0)
    d = pushforward.energy_draws(prior_as_posterior, md.catalogs, traces, base, queries=10, seed=4)
    assert np.allclose(d["water_ml"], np.exp(d["it"]) * 1.0)
    assert np.allclose(d["carbon_g"], np.exp(d["facility"]) * 0.1)


def test_scenario_errors_name_the_fix(prior_as_posterior, md):
    traces = tokens.trace_lengths(md)
    with pytest.raises(ValueError, match="unknown model 'GPT-9'"):
        pushforward.energy_draws(prior_as_posterior, md.catalogs, traces, pushforward.Scenario(model="GPT-9"))
    with pytest.raises(ValueError, match="unknown hardware"):
        pushforward.energy_draws(prior_as_posterior, md.catalogs, traces,
                                 pushforward.Scenario(model="Llama-3.1-8B", hardware="TPU9"))


def test_scenario_grid_through_dask_matches_the_direct_push_forward(prior_as_posterior, md, tmp_path):
    """Blocks of scenarios on a LocalCluster: the typical query per draw, summarised per scenario."""
    from distributed import Client, LocalCluster

    from inference_energy.posterior import grid

    csv_path = tmp_path / "grid.csv"
    csv_path.write_text("model,hardware,regime,input_tokens,output_tokens\n"
                        "Llama-3.1-8B,H100,traditional,,\nLlama-3.1-70B,B200,long,,\nLlama-3.1-70B,H100,,800,250\n")
    scenarios = grid.read_scenarios(csv_path)
    traces = tokens.trace_lengths(md)
    ds = grid.grid_dataset(prior_as_posterior, md.catalogs, traces, scenarios, block=2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster):
        out = ds.compute()
    q = out["typical_query_energy"]
    assert q.sizes == {"scenario": 3, "scope": 4, "statistic": 4} and q.attrs["units"] == "Wh"
    # fixed tokens: the typical query is the query, so the direct push-forward agrees on its median
    sc = scenarios[2]
    d = pushforward.energy_draws(prior_as_posterior, md.catalogs, traces, sc, queries=1, seed=0)
    s = pushforward.scenario_draws(prior_as_posterior, md.catalogs, sc, 0, traces)
    direct = s.log_energy(np.arange(s.size), math.log(800), math.log(250), 0.0)["facility"]
    assert float(q.sel(scope="facility", statistic="p50")[2]) == pytest.approx(np.median(np.exp(direct)), rel=1e-4)
    assert np.all(d["facility"] > -50)
    bad = tmp_path / "bad.csv"
    bad.write_text("model,hardware,concurrency\nLlama-3.1-8B,H100,lots\n")
    with pytest.raises(data.DataError, match=r"bad.csv, row 1 .*column 'concurrency'"):
        grid.read_scenarios(bad)


def test_fleet_from_a_posterior_scales_and_pathways_reduce(prior_as_posterior, md):
    from inference_energy.posterior import fleet
    from inference_energy.paper import presets

    traces = tokens.trace_lengths(md)
    mix = fleet.parse_mix("Llama-3.1-8B:traditional:0.9,Llama-3.1-8B:long:0.1")
    base = pushforward.Scenario()
    one = fleet.fleet_posterior(prior_as_posterior, md.catalogs, traces, mix, 1e9, base, presets.get_preset("paper-v2"))
    two = fleet.fleet_posterior(prior_as_posterior, md.catalogs, traces, mix, 2e9, base, presets.get_preset("paper-v2"))
    rec = {(r["scenario"], r["quantity"]): r for r in one}
    assert rec["baseline", "energy"]["unit"] == "GWh/day" and rec["baseline", "water"]["unit"] == "m3/day"
    assert two[0]["p50"] == pytest.approx(2 * one[0]["p50"], rel=1e-5)  # records keep 6 significant digits
    assert rec["combined", "energy"]["p50"] < rec["model", "energy"]["p50"] < rec["baseline", "energy"]["p50"]
    for bad in ("Llama-3.1-8B:traditional:0.5", "Llama-3.1-8B:traditional", "Llama-3.1-8B:traditional:x"):
        with pytest.raises(ValueError, match="mix"):
            fleet.parse_mix(bad)


def test_sweep_returns_one_dim_per_swept_input(prior_as_posterior, md):
    from inference_energy.posterior import grid

    base = pushforward.Scenario(model="Llama-3.1-70B", regime=None, input_tokens=1000, output_tokens=300)
    s = grid.sweep(prior_as_posterior, md.catalogs, tokens.trace_lengths(md), base,
                   output_tokens=[100, 300, 1000], hardware=["H100", "B200"], deployment=["hyperscale", "typical"])
    assert s.dims == ("output_tokens", "hardware", "deployment", "scope", "statistic") and s.attrs["units"] == "Wh"
    p50 = s.sel(scope="facility", statistic="p50")
    assert bool((p50.diff("output_tokens") > 0).all())  # longer answers cost more
    assert bool((p50.sel(deployment="typical") > p50.sel(deployment="hyperscale")).all())  # higher PUE class
    with pytest.raises(ValueError, match="cannot sweep"):
        grid.sweep(prior_as_posterior, md.catalogs, tokens.trace_lengths(md), base, colour=["red"])


def test_the_sampler_retries_only_a_run_whose_sole_fault_is_divergences():
    """Divergences alone earn one re-run at a smaller step; r_hat or ESS failures do not (more adaptation will not
    cure a multimodal or sticky posterior, and hiding it behind a retry would be dishonest)."""
    from inference_energy.model.calibrate import Diagnostics, SamplerConfig, _retry_helps

    def diag(problems, div):
        return Diagnostics(1.0, 1000, 1000, div, 1.0, "", "", not problems, problems)

    config = SamplerConfig()
    assert _retry_helps(diag(["1 divergent transitions"], 1), config)
    assert not _retry_helps(diag([], 0), config)
    assert not _retry_helps(diag(["r_hat 1.05 > 1.01 (x)", "2 divergent transitions"], 2), config)
    assert not _retry_helps(diag(["1 divergent transitions"], 1), SamplerConfig(target_accept=0.99))
    assert not _retry_helps(diag(["1 divergent transitions"], 1), SamplerConfig(retry_target_accept=None))
