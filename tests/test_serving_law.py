"""The two-phase serving law against hand counts of FLOPs and bytes, and its floors.

Hand counts (written out so a reader can redo them):

- Llama-3.1-70B (70 B parameters, 80 layers, 64 query heads of 128: d_q = 8192) prefilling a fresh
  100,000-token context: 2 x 70e9 x 1e5 = 1.40e16 FLOP for the weights, plus causal attention
  4 x d_q x layers x L^2 / 2 = 4 x 8192 x 80 x 5e9 = 1.31e16 FLOP: 2.71e16 FLOP.  At the H100's
  dense fp8 peak (1,979 TFLOP/s) drawing its full 700 W: 13.7 s x 700 W = 2.67 Wh.
- Llama-3.1-405B (126 layers, d_q = 16384) 128/128: prefill 2 x 405e9 x 128 + 4 x 16384 x 126 x
  128 x 64 = 1.04e14 FLOP; 2048/128: 1.66e15 + 4 x 16384 x 126 x 2048 x 1024 = 1.69e15 FLOP.
- A batch-1 decode step of Llama-3.1-70B at fp8 reads the 70 GB of weights: 70e9 / 3.35e12 B/s =
  20.9 ms on one H100, 2.61 ms over the 8 GPUs of a node.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference_energy.model import laws
from inference_energy.model.catalog import build_catalogs, generic_architecture, precision_name
from inference_energy.posterior import pushforward, tokens


@pytest.fixture(scope="module")
def cat(shipped):
    return build_catalogs(shipped.models.rows, shipped.hardware.rows)


def _arch(cat, model):
    return {k: float(v) for k, v in cat.arch(cat.models.index(model)).items()}


def test_prefill_flops_of_a_100k_context_match_the_hand_count(cat):
    a = _arch(cat, "Llama-3.1-70B")
    flops = laws.prefill_flops(np, a, 1e5, 0.0)
    assert flops == pytest.approx(2 * 70e9 * 1e5 + 4 * 8192 * 80 * 1e5 * 5e4, rel=1e-9)
    assert flops == pytest.approx(2.71e16, rel=0.01)
    h = cat.hardware.index("H100")
    floor_wh = 700.0 * flops / cat.peak_flops(h, "fp8") / 3600
    assert floor_wh == pytest.approx(2.67, abs=0.02)


def test_prefill_flops_of_405b_short_and_long_prompts(cat):
    a = _arch(cat, "Llama-3.1-405B")
    assert laws.prefill_flops(np, a, 128.0, 0.0) == pytest.approx(1.04e14, rel=0.01)
    assert laws.prefill_flops(np, a, 2048.0, 0.0) == pytest.approx(1.69e15, rel=0.01)


def test_cached_tokens_are_not_prefilled_again(cat):
    a = _arch(cat, "Llama-3.1-70B")
    fresh = laws.prefill_flops(np, a, 30000.0, 0.0)
    mostly_cached = laws.prefill_flops(np, a, 1000.0, 29000.0)  # 1,000 new tokens after 29,000 cached
    assert mostly_cached < 0.1 * fresh
    # the new tokens still attend to the cached ones: more than a fresh 1,000-token prompt
    assert mostly_cached > laws.prefill_flops(np, a, 1000.0, 0.0)


def test_batch_one_decode_reads_the_weights_once(cat):
    a = _arch(cat, "Llama-3.1-70B")
    step = laws.decode_step_bytes(np, a, 1.0, 1.0, 1.0, 1.0)
    assert step == pytest.approx(70e9, rel=0.001)
    assert step / 3.35e12 == pytest.approx(0.0209, rel=0.01)
    assert step / (8 * 3.35e12) == pytest.approx(0.00261, rel=0.01)


def test_moe_touches_its_active_experts_at_batch_one_and_all_at_large_batch(cat):
    a = _arch(cat, "DeepSeek-R1")
    one = laws.touched_params(np, a, 1.0)
    assert one == pytest.approx(37e9, rel=0.01)  # shared part + 8 of 256 routed experts
    assert laws.touched_params(np, a, 4096.0) == pytest.approx(671e9, rel=0.01)
    assert laws.touched_params(np, _arch(cat, "Llama-3.1-70B"), 64.0) == pytest.approx(70e9)


def test_sliding_window_layers_cap_the_kv_cache(cat):
    a = _arch(cat, "gemma-3-27b-it")  # 52 of 62 layers see 1,024 tokens
    short = laws.kv_bytes_per_token(np, a, 1000.0, 2.0)
    long = laws.kv_bytes_per_token(np, a, 100000.0, 2.0)
    assert long / short == pytest.approx((10 * 100000 + 52 * 1024) / (10 * 1000 + 52 * 1000), rel=1e-6)


def test_smooth_roofline_is_at_least_the_max_and_soft_cap_at_most_the_min():
    a, b = np.array([1.0, 10.0, 3.0]), np.array([2.0, 1.0, 3.0])
    top = np.exp(laws.log_smooth_max(np, np.log(a), np.log(b)))
    assert np.all(top >= np.maximum(a, b)) and np.all(top <= 2 ** 0.25 * np.maximum(a, b) + 1e-12)
    low = laws.smooth_min(np, a, b)
    assert np.all(low <= np.minimum(a, b))


def test_generic_architecture_is_close_to_the_llama_catalog(cat):
    for model in ("Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"):
        real, generic = _arch(cat, model), generic_architecture(real_b := _arch(cat, model)["active_params"] / 1e9,
                                                                real_b, False)
        for length in (1000.0, 100000.0):
            ratio = laws.prefill_flops(np, generic, length, 0.0) / laws.prefill_flops(np, real, length, 0.0)
            assert 0.85 < ratio < 1.2, (model, length, ratio)


def test_precision_names_and_unknown_precision():
    assert precision_name("bfloat16") == "bf16" and precision_name("FP4") == "nvfp4"
    with pytest.raises(ValueError, match="unknown precision"):
        precision_name("fp3")


# --- floors hold for every draw ----------------------------------------------------------

@pytest.fixture(scope="module")
def prior_posterior(shipped):
    import pymc as pm

    from inference_energy.model.observations import prepare
    from inference_energy.model.pymc_model import build_model

    md = prepare(shipped)
    with build_model(md):
        prior = pm.sample_prior_predictive(draws=200, random_seed=5)
    return prior["prior"].to_dataset(), md


FLOOR_CASES = [
    ("Llama-3.1-70B", 100000.0, 500.0, "steady_state"),
    ("Llama-3.1-405B", 128.0, 128.0, "vendor_max_benchmark"),
    ("Llama-3.1-405B", 2048.0, 128.0, "vendor_max_benchmark"),
    ("Llama-3.1-70B", 1000.0, 300.0, "production"),
]


@pytest.mark.parametrize("model,inp,out,serving", FLOOR_CASES)
def test_no_draw_falls_below_the_flop_or_bandwidth_floor(prior_posterior, model, inp, out, serving):
    post, md = prior_posterior
    traces = tokens.trace_lengths(md)
    sc = pushforward.Scenario(model=model, hardware="H100", regime=None, input_tokens=inp, output_tokens=out,
                              serving=serving)
    d = pushforward.scenario_draws(post, md.catalogs, sc, 0, traces)
    a, hw = d.arch, d.hw
    phase = d.phase_energy(np.arange(d.size), math.log(inp), math.log(out))
    flop_floor = hw["tdp"] * laws.prefill_flops(np, a, inp, 0.0) / hw["peak_flops"] / 3600
    assert np.all(phase["prefill"] >= flop_floor * (1 - 1e-9))
    _, times = d.point(np.arange(d.size), math.log(inp), math.log(out))
    bw_floor = laws.decode_step_bytes(np, a, d.batch, inp + out / 2, d.weight_bytes, d.kv_bytes) / (d.n_gpus * hw["bandwidth"])
    assert np.all(times["t_step"] >= bw_floor * (1 - 1e-9))


def test_batch_one_decode_step_is_at_least_the_weights_over_bandwidth(prior_posterior):
    post, md = prior_posterior
    sc = pushforward.Scenario(model="Llama-3.1-70B", hardware="H100", regime=None, input_tokens=100.0,
                              output_tokens=100.0, serving="steady_state", concurrency=1 / 8)
    d = pushforward.scenario_draws(post, md.catalogs, sc, 0, tokens.trace_lengths(md))
    _, times = d.point(np.arange(d.size), math.log(100.0), math.log(100.0))
    assert np.all(times["t_step"] >= 70e9 / (8 * 3.35e12))


def test_interactivity_sets_the_batch_and_is_reported(prior_posterior):
    post, md = prior_posterior
    traces = tokens.trace_lengths(md)
    fast = pushforward.Scenario(model="Llama-3.1-70B", regime=None, input_tokens=1000.0, output_tokens=300.0,
                                interactivity=60.0)
    slow = pushforward.Scenario(model="Llama-3.1-70B", regime=None, input_tokens=1000.0, output_tokens=300.0,
                                interactivity=10.0)
    f = pushforward.energy_draws(post, md.catalogs, traces, fast, queries=2, seed=1)
    s = pushforward.energy_draws(post, md.catalogs, traces, slow, queries=2, seed=1)
    # a faster stream per user means a smaller batch and more energy per query
    assert np.median(f["requests_per_gpu"]) < np.median(s["requests_per_gpu"])
    assert np.median(f["gpu"]) > np.median(s["gpu"])
    reached = f["output_speed_per_user"][f["requests_per_gpu"] * 8 > 1.5]
    assert np.allclose(reached, 60.0, rtol=1e-3)


def test_inconsistent_or_impossible_scenarios_are_refused(prior_posterior):
    post, md = prior_posterior
    cat = md.catalogs
    with pytest.raises(ValueError, match="below --active-params"):
        pushforward.scenario_draws(post, cat, pushforward.Scenario(active_params_b=20, total_params_b=10))
    with pytest.raises(ValueError, match="does not fit"):
        pushforward.scenario_draws(post, cat, pushforward.Scenario(model="DeepSeek-R1", gpus=8))
    with pytest.raises(ValueError, match="publishes no board power"):
        pushforward.scenario_draws(post, cat, pushforward.Scenario(model="Llama-3.1-8B", hardware="TPUv6e"))
    with pytest.raises(ValueError, match="not both"):
        pushforward.scenario_draws(post, cat, pushforward.Scenario(model="Llama-3.1-8B", concurrency=8, interactivity=20))


def test_every_catalog_model_has_its_published_architecture(cat):
    """A missing field silently falls back to the generic architecture: the catalog must not rely on it."""
    generic = [m for m, known in zip(cat.models, cat.model_arrays["architecture_known"]) if not known]
    assert generic == []
    deepseek = _arch(cat, "DeepSeek-R1")
    assert deepseek["kv_elements"] == 576 and deepseek["q_dim"] == 128 * 160  # MLA: latent KV, QK 192 / V 128


def test_communication_slopes_stop_at_the_tensor_parallel_domain(prior_posterior):
    """Beyond 8 GPUs a replica adds expert/data parallelism: efficiencies and overhead stay at their 8-GPU values."""
    post, md = prior_posterior
    traces = tokens.trace_lengths(md)
    kw = dict(model="DeepSeek-R1", regime=None, input_tokens=2000.0, output_tokens=500.0, concurrency=16.0)
    d16 = pushforward.scenario_draws(post, md.catalogs, pushforward.Scenario(gpus=16, **kw), 0, traces)
    d144 = pushforward.scenario_draws(post, md.catalogs, pushforward.Scenario(gpus=144, **kw), 0, traces)
    for name in ("eta_bw", "eta_c", "step_overhead"):
        assert np.allclose(getattr(d16, name), getattr(d144, name)), name
    # more GPUs share the weights: a shorter decode step at the same requests per GPU
    _, t16 = d16.point(np.arange(d16.size), math.log(2000.0), math.log(500.0))
    _, t144 = d144.point(np.arange(d144.size), math.log(2000.0), math.log(500.0))
    assert np.all(t144["t_step"] < t16["t_step"])


@pytest.mark.parametrize("name", ["Llama 3.1 70B", "meta-llama/Llama-3.1-70B-Instruct", "llama-3.1-70b",
                                  "LLAMA_3.1_70B", "Llama-3.1-70B-Instruct-FP8"])
def test_model_names_as_users_write_them(cat, name):
    from inference_energy.model.catalog import resolve_model

    assert resolve_model(name, cat.models) == "Llama-3.1-70B"


def test_a_misspelt_or_unknown_model_gets_the_closest_ids(cat):
    from inference_energy.model.catalog import resolve_model

    assert resolve_model("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", cat.models) == "Qwen3-235B-A22B-Instruct-2507"
    with pytest.raises(ValueError, match=r"unknown model 'Lama-3.1-70B'; did you mean Llama-3.1-70B"):
        resolve_model("Lama-3.1-70B", cat.models)
    with pytest.raises(ValueError, match=r"unknown model 'gpt-4o'"):
        resolve_model("gpt-4o", cat.models)


def test_the_push_forward_accepts_a_hugging_face_id(prior_posterior):
    post, md = prior_posterior
    sc = pushforward.Scenario(model="meta-llama/Llama-3.1-70B-Instruct", regime=None, input_tokens=500.0,
                              output_tokens=200.0)
    d = pushforward.energy_draws(post, md.catalogs, tokens.trace_lengths(md), sc, queries=2, seed=1)
    same = pushforward.energy_draws(post, md.catalogs, tokens.trace_lengths(md),
                                    pushforward.Scenario(model="Llama-3.1-70B", regime=None, input_tokens=500.0,
                                                         output_tokens=200.0), queries=2, seed=1)
    assert np.array_equal(d["facility"], same["facility"])
