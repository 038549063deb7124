"""Sobol' indices of per-query energy (sensitivity.py) against independent computations.

The paper's formula is additive in ln space,

    ln E = ln PUE + ln PU + g(ln L) + const,   g(x) = x - min(b0 + b1 ln L_in + b2 x, ln cap),

with PU, PUE and L independent, so every first-order index is a variance
ratio and the total index equals it (no interactions).  Those ratios are
computed here from the preset and the fit directly, with plain Monte Carlo
for Var g(ln L), and compared with SALib's estimates.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference_energy import paper
from inference_energy.paper import presets
from inference_energy.posterior import pushforward, sensitivity
from inference_energy.stats import lognormal_from_p5_p95

N_PRESET = 2**12
N_POSTERIOR = 2**11


def by_input(records):
    return {r["input"]: r for r in records}


def analytic_first_order(preset, fits, model, regime, draws=1_000_000, seed=7):
    """Var(ln X) / Var(ln E) for X = PU, PUE and output tokens, with Var(ln E) by plain Monte Carlo."""
    rng = np.random.default_rng(seed)
    m = fits.models.index(model)
    _, s_pu = lognormal_from_p5_p95(*preset.power_utilization_p5_p95)
    _, s_pue = lognormal_from_p5_p95(*preset.pue_p5_p95)
    log_l = np.log(rng.exponential(preset.output_tokens_median[regime] / math.log(2), draws))
    if fits.kind[m] == "constant":
        g = log_l
    else:
        g = log_l - np.minimum(fits.intercept[m] + fits.input_slope[m] * math.log(preset.input_tokens)
                               + fits.output_slope[m] * log_l, math.log(fits.cap[m]))
    log_e = g + s_pu * rng.standard_normal(draws) + s_pue * rng.standard_normal(draws)
    var = log_e.var()
    return {"power utilization": s_pu**2 / var, "PUE": s_pue**2 / var, "output tokens": g.var() / var}


def test_preset_indices_are_valid_records(shipped):
    preset = presets.get_preset("paper-v2")
    for model in ("DeepSeek-R1", "Llama-3.1-70B"):
        for regime in presets.REGIMES:
            recs = sensitivity.preset_sobol(preset, shipped, model, regime, n=N_PRESET)
            assert [r["input"] for r in recs] == ["output tokens", "power utilization", "PUE"]
            for r in recs:
                assert set(r) == {"input", "S1", "S1_conf", "ST", "ST_conf", "model", "regime", "unit", "target"}
                assert (r["model"], r["regime"], r["unit"], r["target"]) == (model, regime, "1", "ln energy per query")
                assert r["S1_conf"] > 0 and r["ST_conf"] > 0
            assert sensitivity.check_indices(recs) == []
            assert sum(r["S1"] for r in recs) <= 1.05
            # output length dominates the paper's spread; then PU (wider than PUE in log space)
            s = by_input(recs)
            assert s["output tokens"]["ST"] > s["power utilization"]["ST"] > s["PUE"]["ST"] > 0


@pytest.mark.parametrize("widen", [False, True], ids=["paper-v2", "wide-PU-PUE"])
@pytest.mark.parametrize("model,regime", [("Llama-3.1-405B", "traditional"), ("DeepSeek-R1", "long"),
                                          ("Llama-3.1-Nemotron-Ultra-253B", "traditional")])
def test_preset_indices_match_the_analytic_variance_ratios(shipped, model, regime, widen):
    preset = presets.get_preset("paper-v2")
    if widen:  # shares large enough that an absolute tolerance of 0.03 means something
        preset = preset.replace(power_utilization_p5_p95=(0.05, 1.0), pue_p5_p95=(1.05, 10.0))
    fits = paper.fit_throughput(shipped, preset)
    expected = analytic_first_order(preset, fits, model, regime)
    got = by_input(sensitivity.preset_sobol(preset, shipped, model, regime, n=N_PRESET, seed=3))
    for name in ("PUE", "power utilization", "output tokens"):
        r = got[name]
        assert abs(r["S1"] - expected[name]) <= max(3 * r["S1_conf"], 0.03), (name, r, expected[name])
        # additive in ln space: no interactions, so ST = S1; Jansen's ST estimator is tight here
        assert abs(r["ST"] - expected[name]) <= max(3 * r["ST_conf"], 0.003), (name, r, expected[name])
    if widen:
        assert expected["PUE"] > 0.1 and expected["power utilization"] > 0.1


def test_preset_formula_reproduces_the_paper_simulation(shipped):
    """The smooth map from uniforms is the paper's formula: quantiles agree with ``paper.simulate``."""
    preset = presets.get_preset("paper-v2")
    sim = paper.simulate(preset, shipped, draws=40_000, seed=11, regimes=("traditional",))
    u = np.random.default_rng(5).random((40_000, 3))
    for m, model in enumerate(sim.models):
        f = sensitivity.preset_formula(preset, shipped, model, "traditional")
        ours = np.percentile(np.exp(f.log_energy(u)), [25, 50, 75])
        theirs = sim.summary[0, m, [1, 2, 3]]
        np.testing.assert_allclose(ours, theirs, rtol=0.04, err_msg=model)


def test_variants_change_the_inputs(shipped):
    coupled = sensitivity.preset_sobol(presets.get_preset("paper-v2", "load-coupled"), shipped, "DeepSeek-R1",
                                       "traditional", n=2**10)
    assert [r["input"] for r in coupled] == ["output tokens", "PUE"]
    assert sensitivity.check_indices(coupled) == []


def test_seeded_and_reproducible(shipped):
    preset = presets.get_preset("paper-v1")
    a = sensitivity.preset_sobol(preset, shipped, "Llama-3.1-70B", "long", n=2**10, seed=0)
    b = sensitivity.preset_sobol(preset, shipped, "Llama-3.1-70B", "long", n=2**10, seed=0)
    c = sensitivity.preset_sobol(preset, shipped, "Llama-3.1-70B", "long", n=2**10, seed=1)
    assert a == b  # confidence half-widths included (SALib's bootstrap is seeded too)
    assert a != c


def test_bad_arguments(shipped):
    preset = presets.get_preset("paper-v2")
    with pytest.raises(ValueError, match="power of two"):
        sensitivity.preset_sobol(preset, shipped, "DeepSeek-R1", "long", n=1000)
    with pytest.raises(ValueError, match="unknown model"):
        sensitivity.preset_sobol(preset, shipped, "GPT-9", "long", n=2**10)
    with pytest.raises(ValueError, match="unknown regime"):
        sensitivity.preset_sobol(preset, shipped, "DeepSeek-R1", "medium", n=2**10)


def test_check_indices_flags_problems():
    ok = {"model": "m", "regime": "r", "unit": "1", "target": "t"}
    good = [{"input": "a", "S1": 0.6, "S1_conf": 0.05, "ST": 0.62, "ST_conf": 0.02, **ok},
            {"input": "b", "S1": 0.41, "S1_conf": 0.05, "ST": 1.01, "ST_conf": 0.02, **ok}]
    assert sensitivity.check_indices(good) == []
    assert any("sum of S1" in p for p in sensitivity.check_indices(
        [good[0], {**good[1], "S1": 0.5}]))
    assert any("outside" in p for p in sensitivity.check_indices([{**good[0], "S1": -0.2}]))
    assert any("outside" in p for p in sensitivity.check_indices([{**good[0], "ST": 1.1}]))
    assert any("not finite" in p for p in sensitivity.check_indices([{**good[0], "ST": None}]))
    # separate analyses are summed separately
    other = [{**r, "regime": "other"} for r in good]
    assert sensitivity.check_indices(good + other) == []


# --- the calibrated model (prior draws stand in for a posterior) ----------------------------

@pytest.mark.parametrize("regime", ["traditional", "long"])
def test_posterior_model_matches_pushforward_distribution(prior_calibration, regime):
    """Uniform inputs through the quantile maps give the push-forward's random-query distribution."""
    post, cat, traces = prior_calibration
    sc = pushforward.Scenario(model="Llama-3.1-70B", regime=regime)
    # The same per-draw operator (its interactivity and idle share) on both sides: seed 3 as energy_draws.
    d = pushforward.scenario_draws(post, cat, sc, np.random.default_rng(3), traces)
    names, model = sensitivity.posterior_model(d, traces, sc)
    ours = model(np.random.default_rng(2).random((100_000, len(names))))
    ref = pushforward.energy_draws(post, cat, traces, sc, queries=500, seed=3)["facility"].ravel()
    np.testing.assert_allclose(np.percentile(ours, [10, 50, 90]), np.percentile(ref, [10, 50, 90]), atol=0.1)


def test_posterior_sobol_on_prior_draws(prior_calibration):
    post, cat, traces = prior_calibration
    sc = pushforward.Scenario(model="Llama-3.1-70B", regime="traditional")
    recs = sensitivity.posterior_sobol(post, cat, traces, sc, n=N_POSTERIOR)
    assert [r["input"] for r in recs] == list(sensitivity.POSTERIOR_INPUTS)
    for r in recs:
        assert (r["model"], r["regime"], r["unit"], r["target"]) == ("Llama-3.1-70B", "traditional", "1",
                                                                     "ln facility energy per query")
    assert sensitivity.check_indices(recs) == []
    s = by_input(recs)
    out = s["output tokens"]
    assert out["ST"] > 0.05 and out["ST"] > 3 * out["ST_conf"]
    assert out["S1"] > 3 * out["S1_conf"]
    # prior draws: parameter uncertainty dominates
    assert s["parameters (posterior draw)"]["ST"] > 0.5


def test_posterior_sobol_fixed_tokens_has_no_token_inputs(prior_calibration):
    post, cat, traces = prior_calibration
    sc = pushforward.Scenario(model="DeepSeek-R1", regime=None, input_tokens=1000, output_tokens=2000)
    recs = sensitivity.posterior_sobol(post, cat, traces, sc, n=2**10)
    assert [r["input"] for r in recs] == ["parameters (posterior draw)", "operator PUE"]
    assert sensitivity.check_indices(recs) == []
