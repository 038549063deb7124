"""Fast checks of examples/compare_ecologits.py's helpers (EcoLogits works offline)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ecologits")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cmp():
    spec = importlib.util.spec_from_file_location("compare_ecologits", ROOT / "examples" / "compare_ecologits.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_mapping_covers_the_table_and_matches_both_catalogs(cmp):
    from ecologits.model_repository import ParametersMoE, models

    from inference_energy import data

    tables = data.load()
    assert set(cmp.DEFAULT_MODELS) <= set(cmp.ECOLOGITS_MODELS)
    for ours, theirs in cmp.ECOLOGITS_MODELS.items():
        row = tables.model(ours)  # raises if not in our catalog
        m = models.find_model(cmp.ECOLOGITS_PROVIDER, theirs)
        assert m is not None, f"{theirs} is not in EcoLogits' model repository"
        p = m.architecture.parameters
        total, active = (p.total, p.active) if isinstance(p, ParametersMoE) else (p, p)
        # same model: parameter counts agree within rounding (our catalog rounds gpt-oss-20b's 3.6 B active to 4)
        assert total == pytest.approx(row["total_params_b"], rel=0.02)
        assert active == pytest.approx(row["active_params_b"], rel=0.12)
    for model in cmp.NOT_IN_ECOLOGITS:
        assert model not in cmp.ECOLOGITS_MODELS


def test_ecologits_llama_70b_is_a_few_tenths_of_a_wh_at_500_tokens(cmp):
    r = cmp.ecologits_request("Llama-3.1-70B", 500)
    assert r.gpus == 4  # 70.55 B x 16 bit x 1.2 = 169 GB -> 3 x 80 GB -> next power of two
    assert 0.1 < r.it_wh < 1.0  # Wh: GPU + host share, before PUE
    assert r.it_wh == pytest.approx(r.gpu_wh + r.server_wh)
    assert r.energy_wh == pytest.approx((r.it_wh * r.pue[0], r.it_wh * r.pue[1]))
    assert 1.0 < r.pue[0] <= r.pue[1] < 1.3
    assert math.isfinite(r.latency_s) and r.latency_s > 0  # its own latency model, not the infinite request latency
    # EcoLogits is linear in output tokens
    assert cmp.ecologits_request("Llama-3.1-70B", 1000).it_wh == pytest.approx(2 * r.it_wh)
    assert r.usage_gco2e[0] == pytest.approx(r.energy_wh[0] * r.grid_g_per_kwh / 1000)


def test_ecologits_rejects_a_model_it_does_not_have(cmp):
    with pytest.raises(KeyError, match="no EcoLogits counterpart"):
        cmp.ecologits_request("DeepSeek-R1", 100)


def test_paper_law_at_fixed_tokens(cmp):
    out = cmp.paper_fixed_tokens(["Llama-3.1-70B", "Llama-3.1-8B"], 1000, [100, 500], draws=2000)
    assert set(out) == {"Llama-3.1-70B"}  # the paper has no Llama 3.1 8B
    e = out["Llama-3.1-70B"]
    assert e.shape == (2000, 2) and np.all(e > 0)
    assert 0.01 < np.median(e[:, 1]) < 1.0  # Wh per 500-token query
    # the same PU x PUE draw behind both columns: the ratio is deterministic
    assert np.ptp(e[:, 1] / e[:, 0]) < 1e-9


def test_mlenergy_anchor_is_the_run_nearest_64_requests(cmp):
    a = cmp.mlenergy_anchor("Llama-3.1-70B")
    assert a["gpus"] == 4 and a["workload"] == "chat"
    assert abs(a["concurrency"] - 64) < 1
    assert 1e-4 < a["wh_per_token"] < 1e-3
    assert cmp.mlenergy_anchor("Mixtral-8x22B") is None  # not in ML.ENERGY v3


def test_trimmed_pool_keeps_the_middle_of_each_model(cmp):
    pool = cmp.trimmed_pool([np.arange(1001.0), 1000 + np.arange(1001.0)], ((5, 95), (10, 90)))
    assert pool.min() >= 90 and pool.max() <= 1910
    assert len(pool) == pytest.approx(2 * 0.9 * 0.8 * 1001, rel=0.01)


def test_missing_posterior_exits_2(cmp, tmp_path, capsys):
    assert cmp.main(["--workdir", str(tmp_path)]) == 2
    assert "calibrate_and_estimate.py" in capsys.readouterr().err


def test_unknown_model_exits_2(cmp, tmp_path, capsys):
    (tmp_path / "posterior.nc").touch()
    assert cmp.main(["--workdir", str(tmp_path), "--models", "DeepSeek-R1"]) == 2
    assert "no EcoLogits counterpart" in capsys.readouterr().err


@pytest.mark.slow
def test_posterior_side_orders_scopes_and_agrees_with_the_fixed_token_law(cmp, examples_workdir):
    post, cat, traces = cmp.open_posterior(examples_workdir / "posterior.nc")
    sc = cmp.fixed_token_scenario("Llama-3.1-70B", 1000, 500)
    e = cmp.posterior_energy(post, cat, traces, sc, seed=3)
    assert np.all(e["gpu"] < e["node"]) and np.all(e["node"] <= e["it"]) and np.all(e["it"] < e["facility"])
    # the same law through ScenarioDraws.log_energy (chat workload, same seed) gives the same draws
    same = cmp.ours_at(post, cat, "Llama-3.1-70B", "traditional", 1000, [500], seed=3)
    np.testing.assert_allclose(same["node"][:, 0], e["node"], rtol=1e-12)
    assert 0.005 < np.median(e["node"]) < 0.5
