"""Production telemetry, the realised operating point, closed services by name, and the pieces of
``validate`` (fast: prior draws stand in for a posterior; the refits run in test_calibration.py)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from inference_energy import data
from inference_energy.model import laws
from inference_energy.model.catalog import resolve_model
from inference_energy.model.closed import Z90, alias_keys, closed_catalog, deployment_size_prior
from inference_energy.model.observations import prepare
from inference_energy.posterior.validate import (_summaries, _weighted_quantiles, predict_left_out, production_sources,
                                             without_rows)
from inference_energy.posterior import pushforward
from inference_energy.posterior.notes import estimate_notes


@pytest.fixture(scope="module")
def closed(shipped):
    return closed_catalog(shipped.closed_models.rows)


def test_closed_catalog_reads_ranges_as_90_percent_intervals(closed):
    assert len(closed) >= 30 and {"gpt-4o", "gemini-2.5-flash", "claude-sonnet-4", "mistral-large-2"} <= set(closed)
    m = closed["gpt-4o"]
    mu, sd = m.active_log
    assert math.exp(mu - Z90 * sd) == pytest.approx(44.0) and math.exp(mu + Z90 * sd) == pytest.approx(220.0)
    assert m.provider == "openai" and m.pue_operator == "microsoft" and "gpt-4o-2024-08-06" in m.aliases
    active, total = m.draw_params(np.random.default_rng(0), 20_000)
    assert np.all(total >= active)
    assert np.mean((active > 44e9) & (active < 220e9)) == pytest.approx(0.9, abs=0.01)
    disclosed = closed["mistral-large-2"]  # open weights: 123 B dense, low = high
    a, t = disclosed.draw_params(np.random.default_rng(0), 1000)
    assert np.allclose(a, t) and np.allclose(a / 123e9, 1.0, atol=0.1)


def test_disclosure_deployments_take_the_union_of_their_models_ranges(closed):
    """Gemini Apps (May 2025) ran 2.0 Flash and 2.5 Flash: active 20-132 B, the union of their ranges."""
    mu, sd, log_ratio = deployment_size_prior(closed, "google")
    assert math.exp(mu - Z90 * sd) * 10 == pytest.approx(20.0) and math.exp(mu + Z90 * sd) * 10 == pytest.approx(132.0)
    assert log_ratio > 0
    assert deployment_size_prior(closed, "anthropic") is None  # no disclosure: the generic prior


@pytest.mark.parametrize("name, expect", [
    ("gpt-4o", "gpt-4o"), ("GPT 4o", "gpt-4o"), ("gpt-4o-2024-08-06", "gpt-4o"), ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ("Claude Sonnet 4", "claude-sonnet-4"), ("claude-3-5-haiku-20241022", "claude-3.5-haiku"),
    ("models/gemini-2.5-flash", "gemini-2.5-flash"), ("Llama 3.1 70B", "Llama-3.1-70B"),
    ("meta-llama/Llama-3.1-70B-Instruct", "Llama-3.1-70B"),
])
def test_model_names_as_users_write_them(shipped, closed, name, expect):
    models = [r["id"] for r in shipped.models.rows]
    assert resolve_model(name, models, alias_keys(closed)) == expect


def test_a_misspelt_closed_service_gets_the_closest_ids(shipped, closed):
    models = [r["id"] for r in shipped.models.rows]
    with pytest.raises(ValueError, match=r"did you mean .*gpt-4o"):
        resolve_model("gtp-4o", models, alias_keys(closed))


@pytest.mark.parametrize("column, low, high, message", [
    ("active_params_b", "50", "20", "active_params_b_low is above active_params_b_high"),
    ("total_params_b", "10", "20", "cannot use more parameters per token than it has"),
])
def test_inconsistent_closed_ranges_are_refused_naming_row_and_column(tmp_path, column, low, high, message):
    d = tmp_path / "data"
    shutil.copytree(data.DEFAULT_DATA_DIR, d)
    path = d / "closed_models.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index(f"{column}_low")], cells[header.index(f"{column}_high")] = low, high
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    with pytest.raises(data.DataError, match=message) as err:
        data.load(d)
    assert "closed_models.csv" in str(err.value) and "row 1" in str(err.value)


def test_idle_share_follows_load_reserve_and_idle_power():
    """Hand count: load 0.816 / 1.15 = 0.71 of provisioned capacity, idle servers at 0.3 of the power:
    phi = 0.29 x 0.3 / (0.71 + 0.29 x 0.3) = 0.109."""
    phi = laws.idle_share(0.816 / 1.15, 0.3)
    assert phi == pytest.approx(0.109, abs=0.001)
    assert laws.idle_share(1.0, 0.3) == 0.0 and laws.idle_share(0.5, 1.0) == pytest.approx(0.5)


def test_production_sources_are_publications_without_the_workload_rows(shipped):
    sources = production_sources(shipped)
    deepseek = next(s for s in sources if s.startswith("DeepSeek"))
    assert sources[deepseek] == ["DS01", "DS02", "DS03", "DS04"]
    gemini = next(s for s in sources if s.startswith("Google (Gemini"))
    assert sorted(sources[gemini]) == ["A01", "A05a", "A05b", "A05c", "A05d"]
    ids = {i for rows in sources.values() for i in rows}
    assert "C28c" not in ids and "AZ01" in ids and "D01" in ids  # token lengths out, load and PUE in
    assert len(sources) >= 12


def test_without_rows_is_a_training_set_without_them(shipped):
    train = prepare(without_rows(shipped, {"DS01", "DS02", "A10"}))
    full = prepare(shipped)
    assert len(train.throughput) == len(full.throughput) - 2
    assert "openai" not in train.closed and "openai" in full.closed


def test_weighted_summaries_match_unweighted_ones():
    rng = np.random.default_rng(0)
    sim = rng.standard_normal(40_000)
    p5, p50, p95, pit = _summaries(sim, 1.0)
    assert (p5, p50, p95) == pytest.approx((-1.645, 0.0, 1.645), abs=0.05) and pit == pytest.approx(0.841, abs=0.01)
    w = np.where(sim > 0, 2.0, 1.0)  # twice the weight above 0: the weighted median moves up
    assert _weighted_quantiles(sim, w, [0.5])[0] > 0.3


def test_left_out_rows_are_predicted_in_their_own_units(shipped, prior_calibration):
    post, _, _ = prior_calibration
    md = prepare(shipped)
    ids = ["DS01", "DS02", "DS03", "DS04", "A01", "A05c", "A10", "D05"]
    sims = predict_left_out(post, md, md, ids, np.random.default_rng(0))
    assert set(sims) == set(ids)
    for rid, s in sims.items():
        assert s.shape == (post.sizes["chain"] * post.sizes["draw"],) and np.isfinite(s).all(), rid
    # on the prior, the 90 % interval of DeepSeek's decode throughput per GPU spans its 1,850 tokens/s
    lo, hi = np.exp(np.percentile(sims["DS01"], [5, 95]))
    assert lo < 1850 < hi


def test_a_closed_service_is_estimated_with_its_size_per_draw(prior_calibration):
    post, cat, traces = prior_calibration
    sc = pushforward.Scenario(model="GPT 4o", regime="traditional")
    d = pushforward.scenario_draws(post, cat, sc, 0, traces)
    assert np.ndim(d.arch["active_params"]) == 1 and np.ndim(d.n_gpus) == 1
    assert np.all(d.n_gpus % 8 == 0) and np.all(d.batch / d.n_gpus <= 32.0 + 1e-9)
    draws = pushforward.energy_draws(post, cat, traces, sc, queries=50)
    assert np.isfinite(draws["facility"]).all()
    notes = estimate_notes(d, pushforward.canonical(sc, cat), 1000.0, 130.0)
    assert any("prior-heavy" in n for n in notes)


def test_production_estimates_set_the_operating_point_per_operator(prior_calibration):
    post, cat, traces = prior_calibration
    d = pushforward.scenario_draws(post, cat, pushforward.Scenario(model="Llama-3.1-70B"), 0, traces)
    assert d.interactivity.std() > 0  # an operator drawn per draw, not one fixed speed
    fixed = pushforward.scenario_draws(post, cat, pushforward.Scenario(model="Llama-3.1-70B", interactivity=30), 0, traces)
    assert np.all(fixed.interactivity == 30.0)
