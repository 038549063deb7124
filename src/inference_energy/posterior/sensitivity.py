"""Variance-based global sensitivity of per-query energy: Sobol' indices via SALib.

For each uncertain input X_i of a per-query energy E, the first-order index
S1_i = Var(E[Y | X_i]) / Var(Y) is the share of the variance of Y explained
by X_i alone, and the total index ST_i = E[Var(Y | X_~i)] / Var(Y) its share
including every interaction.  Both are estimated with Saltelli's design on a
scrambled Sobol' sequence and Jansen's / Saltelli's estimators (SALib), with
bootstrap confidence half-widths at 95 % (``S1_conf``, ``ST_conf``).

The target is Y = ln E, not E: energy is a product of lognormal-ish factors
whose variance in Wh is dominated by rare long queries (for the exponential
lengths of the paper, ln E has finite moments of every order while E's
variance estimate converges slowly); in ln space the product becomes a sum
and the indices read as shares of the log-variance.  Every record says so in
its ``target`` field.

Every input is a uniform on [0, 1] mapped through its distribution's inverse
CDF, so SALib's unit hypercube is the whole input space:

- ``preset_sobol``: the paper's formula for one model and regime,
  E = PUE P_max PU L_out / (3.6 TPS(L_out)); inputs output tokens
  (exponential, *not* rounded, so the map is smooth), PU and PUE (the preset's
  P5-P95 lognormals).  Under the load-coupled variant PU follows throughput
  and is not an input.
- ``posterior_sobol``: one ``pushforward.Scenario`` of the calibrated model;
  inputs are groups of uncertainty: the posterior draw (every parameter at
  once: u -> draw floor(u S)), output and input tokens (the regime's quantile
  functions), and the new operator's PUE deviation within its class.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import ndtri

from .pushforward import ScenarioDraws, scenario_draws
from ..paper.presets import PaperPreset
from ..stats import lognormal_from_p5_p95

INDEX_FIELDS = ("S1", "S1_conf", "ST", "ST_conf")
#: Confidence level of the bootstrap half-widths ``S1_conf`` and ``ST_conf``.
CONF_LEVEL = 0.95
#: Bootstrap resamples behind the confidence half-widths.
NUM_RESAMPLES = 100
#: Uniforms are kept this far inside (0, 1) so every inverse CDF is finite.
_U_EPS = 1e-12

PRESET_TARGET = "ln energy per query"
POSTERIOR_TARGET = "ln facility energy per query"
POSTERIOR_INPUTS = ("parameters (posterior draw)", "output tokens", "input tokens", "operator PUE")


# --- SALib plumbing -----------------------------------------------------------

def _salib():
    try:
        from SALib.analyze import sobol as analyze
        from SALib.sample import sobol as sample
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Sobol' indices need SALib: pip install 'inference-energy[scale]' "
                          "(or pip install SALib)") from exc
    return sample, analyze


def _check_n(n: int) -> int:
    n = int(n)
    if n < 16 or n & (n - 1):
        raise ValueError(f"Sobol' base samples must be a power of two >= 16, got {n}")
    return n


def _sobol(names: list[str], model, n: int, seed: int) -> dict[str, np.ndarray]:
    """SALib's Saltelli design on [0, 1]^D, ``model`` (rows -> Y), and its analysis.

    ``model`` maps the (N (D + 2), D) uniform matrix to Y.  The analysis is
    seeded too (SALib treats seed 0 as "unseeded", so a nonzero seed is
    derived from ``seed``).
    """
    sample, analyze = _salib()
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    u = sample.sample(problem, _check_n(n), calc_second_order=False, scramble=True, seed=seed)
    np.clip(u, _U_EPS, 1.0 - _U_EPS, out=u)
    y = np.asarray(model(u), dtype=float)
    if not np.all(np.isfinite(y)):
        raise FloatingPointError(f"{np.count_nonzero(~np.isfinite(y))} non-finite model outputs in the Sobol' design")
    boot_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]) | 1
    res = analyze.analyze(problem, y, calc_second_order=False, num_resamples=NUM_RESAMPLES,
                          conf_level=CONF_LEVEL, seed=boot_seed)
    return {k: np.asarray(res[k], dtype=float) for k in INDEX_FIELDS}


def _records(names, res: dict[str, np.ndarray], context: dict) -> list[dict]:
    from ..stats import rounded

    return [{"input": name, **{k: rounded(res[k][i]) for k in INDEX_FIELDS}, **context}
            for i, name in enumerate(names)]


# --- the paper's formula ----------------------------------------------------------

@dataclass(frozen=True)
class PresetFormula:
    """ln E of the paper's formula for one model and regime, as a function of the uniforms.

    ``inputs`` names the columns ``log_energy`` takes, in order.
    """

    inputs: tuple[str, ...]
    log_node_power: float  # ln P_max, kW
    token_scale: float  # exponential scale: median / ln 2
    input_tokens: float
    input_token_weight: float
    kind: str
    intercept: float
    input_slope: float
    output_slope: float
    cap: float
    pu: tuple[float, float]  # (mu, sigma) of ln PU
    pue: tuple[float, float]
    power_coupling: tuple[float, float] | None

    def log_energy(self, u: np.ndarray) -> np.ndarray:
        """ln E [Wh] for rows of uniforms (columns as ``inputs``)."""
        u = np.asarray(u, dtype=float)
        cols = dict(zip(self.inputs, u.T))
        tokens = -self.token_scale * np.log1p(-cols["output tokens"])
        log_tokens = np.log(tokens)
        if self.kind == "constant":
            log_tps = np.full_like(log_tokens, math.log(self.cap))
        else:
            log_tps = np.minimum(self.intercept + self.input_slope * math.log(self.input_tokens)
                                 + self.output_slope * log_tokens, math.log(self.cap))
        log_pue = self.pue[0] + self.pue[1] * ndtri(cols["PUE"])
        if self.power_coupling is not None:
            a, b = self.power_coupling
            log_pu = np.log(a + b * np.exp(log_tps) / self.cap)
        else:
            log_pu = self.pu[0] + self.pu[1] * ndtri(cols["power utilization"])
        log_work = (np.log(tokens + self.input_token_weight * self.input_tokens) if self.input_token_weight
                    else log_tokens)
        return log_pue + self.log_node_power + log_pu + log_work - math.log(3.6) - log_tps


def preset_formula(preset: PaperPreset, data, model: str, regime: str) -> PresetFormula:
    """The paper's formula for ``model`` in ``regime``, its throughput law fitted on ``data``."""
    from ..data import load
    from ..paper import fit_throughput

    if regime not in preset.output_tokens_median:
        raise ValueError(f"unknown regime {regime!r}; known: {', '.join(preset.output_tokens_median)}")
    fits = fit_throughput(data if data is not None else load(), preset)
    if model not in fits.models:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(fits.models)}")
    m = fits.models.index(model)
    inputs = ("output tokens", "PUE") if preset.power_coupling is not None else (
        "output tokens", "power utilization", "PUE")
    return PresetFormula(
        inputs=inputs, log_node_power=math.log(preset.node_power(model)),
        token_scale=preset.output_tokens_median[regime] / math.log(2), input_tokens=float(preset.input_tokens),
        input_token_weight=float(preset.input_token_weight), kind=fits.kind[m], intercept=float(fits.intercept[m]),
        input_slope=float(fits.input_slope[m]), output_slope=float(fits.output_slope[m]), cap=float(fits.cap[m]),
        pu=lognormal_from_p5_p95(*preset.power_utilization_p5_p95), pue=lognormal_from_p5_p95(*preset.pue_p5_p95),
        power_coupling=preset.power_coupling,
    )


def preset_sobol(preset: PaperPreset, data, model: str, regime: str, n: int = 2**13, seed: int = 0) -> list[dict]:
    """First-order and total Sobol' indices of ln E for one model and regime of a paper preset.

    ``n`` base samples (a power of two) cost n (D + 2) evaluations.  One record
    per input: ``input``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (95 %
    bootstrap half-widths), ``model``, ``regime``, ``unit`` and ``target``.
    """
    f = preset_formula(preset, data, model, regime)
    res = _sobol(list(f.inputs), f.log_energy, n, seed)
    return _records(f.inputs, res, {"model": model, "regime": regime, "unit": "1", "target": PRESET_TARGET})


# --- the calibrated model -------------------------------------------------------

def posterior_model(d: ScenarioDraws, traces, scenario) -> tuple[list[str], Callable[[np.ndarray], np.ndarray]]:
    """(input names, function of the (rows, D) uniforms -> ln E_facility) of ``posterior_sobol``."""
    S = d.size
    regime = scenario.regime
    if regime is not None:
        in_trace = traces["traditional" if regime == "long" else regime, "input"]
        out_trace = None if regime == "long" else traces[regime, "output"]
        names = list(POSTERIOR_INPUTS)
    else:
        names = [POSTERIOR_INPUTS[0], POSTERIOR_INPUTS[3]]

    def model(u: np.ndarray) -> np.ndarray:
        cols = dict(zip(names, np.asarray(u, dtype=float).T))
        k = np.minimum((cols[POSTERIOR_INPUTS[0]] * S).astype(np.intp), S - 1)
        z_pue = ndtri(cols[POSTERIOR_INPUTS[3]])
        if regime is None:
            lin = np.full(k.shape, math.log(scenario.input_tokens))
            lout = np.full(k.shape, math.log(scenario.output_tokens))
        else:
            z_out, z_in = ndtri(cols[POSTERIOR_INPUTS[1]]), ndtri(cols[POSTERIOR_INPUTS[2]])
            lout = d.long_mu[k] + d.long_sigma[k] * z_out if regime == "long" else out_trace.log_ppf(z_out)
            lin = in_trace.log_ppf(z_in)
            lout, lin = np.maximum(lout, 0.0), np.maximum(lin, 0.0)  # at least one token
        return d.log_energy(k, lin, lout, z_pue, ("facility",))["facility"]

    return names, model


def posterior_sobol(post, cat, traces, scenario, n: int = 2**12, seed: int = 0) -> list[dict]:
    """First-order and total Sobol' indices of ln E_facility for one scenario of a calibration.

    Inputs (each a uniform u): ``parameters (posterior draw)`` selects draw
    floor(u S), so its index is the share of parameter uncertainty;
    ``output tokens`` and ``input tokens`` are the regime's lengths at normal
    quantile ndtri(u) (``long``: lognormal with the selected draw's median and
    log-sd, inputs from the traditional trace), unrounded but at least one
    token as in the push-forward; ``operator PUE`` is the new operator's
    deviation ndtri(u) x ``pue_operator_sd``.  A scenario with fixed token
    counts (no regime) has no token inputs.
    """
    names, model = posterior_model(scenario_draws(post, cat, scenario, seed, traces), traces, scenario)
    res = _sobol(names, model, n, seed)
    return _records(names, res, {"model": scenario.label, "regime": scenario.regime_label,
                                 "hardware": scenario.hardware, "serving": scenario.serving,
                                 "deployment": scenario.deployment, "unit": "1", "target": POSTERIOR_TARGET})


# --- checks -------------------------------------------------------------------

def check_indices(records: list[dict], max_sum_s1: float = 1.05) -> list[str]:
    """Problems with a set of Sobol' records (empty when all is well).

    Each S1 and ST must lie within [0 - conf, 1 + conf] (conf: its bootstrap
    half-width) and be finite; within each analysis (records sharing every
    field but the indices and the input) the S1 may sum to at most
    ``max_sum_s1``: first-order shares of one variance cannot exceed it.
    """
    problems: list[str] = []
    sums: dict[tuple, float] = {}
    for r in records:
        key = tuple(sorted((k, str(v)) for k, v in r.items() if k not in INDEX_FIELDS and k != "input"))
        where = f"{r.get('model')}|{r.get('regime')} {r.get('input')!r}"
        for idx in ("S1", "ST"):
            value, conf = r.get(idx), r.get(f"{idx}_conf")
            if value is None or conf is None or not (np.isfinite(value) and np.isfinite(conf)):
                problems.append(f"{where}: {idx}={value} (conf {conf}) is not finite")
                continue
            if not -conf <= value <= 1 + conf:
                problems.append(f"{where}: {idx}={value:.4g} outside [{-conf:.4g}, {1 + conf:.4g}]")
        if r.get("S1") is not None and np.isfinite(r["S1"]):
            sums[key] = sums.get(key, 0.0) + r["S1"]
    for key, total in sums.items():
        if total > max_sum_s1:
            ctx = dict(key)
            problems.append(f"{ctx.get('model')}|{ctx.get('regime')}: sum of S1 = {total:.4g} > {max_sum_s1}")
    return problems


# --- prior sensitivity (power-scaling) ---------------------------------------------


def rebuild_model(tree, data_dir=None):
    """The PyMC model a calibration file was fitted with: its tables (hash-checked) and priors."""
    import json
    from pathlib import Path

    from .. import data as data_mod
    from ..model.pymc_model import build_model
    from ..model.observations import prepare

    added = [Path(p) for p in json.loads(tree.attrs.get("added_files", "[]"))]
    tables = data_mod.load(data_dir, extra=added or None)
    if tables.sha256 != tree.attrs["data_sha256"]:
        raise ValueError(f"the file was calibrated on other data (hash {tree.attrs['data_sha256'][:12]}, these tables "
                         f"{tables.sha256[:12]}); pass the --data DIR it used")
    return build_model(prepare(tables), json.loads(tree.attrs["config"])["priors"])


def prior_sensitivity(tree, data_dir=None, max_elements: int = 12,
                      on_parameter: Callable[[int, int, str], None] | None = None) -> list[dict]:
    """Power-scaling sensitivity of each parameter to its prior and to the likelihood.

    Raises each parameter's own prior (and, separately, the likelihood) to a
    power near 1 and measures how far its marginal posterior moves
    (Kallioinen et al. 2023, via ``arviz_stats.psense_summary``, importance
    weighting of the existing draws: no resampling): a large prior sensitivity
    with a small likelihood sensitivity means the prior, not the data, decides.
    """
    import arviz_stats
    import pymc as pm
    import xarray as xr

    model = rebuild_model(tree, data_dir)
    work = xr.DataTree.from_dict({"/posterior": tree["posterior"].to_dataset(),
                                  "/log_likelihood": tree["log_likelihood"].to_dataset()})
    pm.stats.compute_log_prior(work, model=model, progressbar=False, compile_kwargs={"mode": "FAST_COMPILE"})
    names = [v.name for v in model.free_RVs
             if int(np.prod(work["posterior"][v.name].shape[2:], dtype=int)) <= max_elements]
    out = []
    # psense_summary logs the same "potential issues" advice for every flagged parameter; the
    # diagnosis column says it per row, so the repeated log line is silenced here.
    psense_log = logging.getLogger("arviz_stats.psense")
    level = psense_log.level
    psense_log.setLevel(logging.ERROR)
    try:
        for i, name in enumerate(names):  # each parameter's own prior is scaled, so the answer is about that prior
            if on_parameter:
                on_parameter(i, len(names), name)
            out.extend(_psense_records(arviz_stats.psense_summary(work, var_names=[name], prior_var_names=[name]),
                                       work["posterior"][name], name))
    finally:
        psense_log.setLevel(level)
    return out


def _psense_records(table, var, name: str) -> list[dict]:
    """One record per element of ``name`` from a psense_summary table."""
    return [{"parameter": label, "prior_sensitivity": float(row["prior"]),
             "likelihood_sensitivity": float(row["likelihood"]),
             "diagnosis": str(row["diagnosis"]).replace("\u2713", "ok")}
            for label, (_, row) in zip(_element_labels(var, name), table.iterrows())]


def _element_labels(var, name: str) -> list[str]:
    if var.ndim == 2:
        return [name]
    dim = var.dims[2]
    return [f"{name}[{c}]" for c in var[dim].values]
