"""A calibration as one self-contained DataTree, and back.

Groups: the ArviZ ones (``prior``, ``posterior``, ``sample_stats``,
``observed_data``, ``prior_predictive``, ``posterior_predictive``,
``log_likelihood``), ``energy`` (the push-forward of the default scenarios),
``checks`` (per calibration row) and ``sources`` (per source), and
``model_inputs`` (the catalogs and token-length traces the push-forward
needs), so ``estimate`` works from the file alone.
"""

from __future__ import annotations

import json

import xarray as xr

from .. import __version__
from ..model.catalog import Catalogs
from ..files.format import provenance
from .tokens import TraceLengths

ARVIZ_GROUPS = ("prior", "posterior", "sample_stats", "observed_data", "prior_predictive",
                "posterior_predictive", "log_likelihood")

DERIVED_META = {
    "eff_bw_hardware_effect": "logit offset of each accelerator's HBM-bandwidth utilisation (prior draws where it has no data)",
    "eff_compute_hardware_effect": "logit offset of each accelerator's FLOP utilisation (prior draws where it has no data)",
    "eff_bw_model_effect": "logit offset of each catalog model's bandwidth utilisation",
    "eff_bw_serving_effect": "logit offset of the bandwidth utilisation of each serving kind (0: steady state, unknown)",
    "eff_compute_serving_effect": "logit offset of the FLOP utilisation of each serving kind (0: steady state, unknown)",
    "power_hardware_effect": "logit power-fraction offset of each accelerator relative to H100",
    "power_model_effect": "logit power-fraction offset of each catalog model",
    "pue_operator_log_excess": "ln(PUE - 1) of each operator",
    "pue_operator": "PUE of each operator",
    "pue_operator_z": "standardised operator deviation within its class",
    "closed_log_energy_gpu": "ln accelerator energy [Wh] of the median query of an undisclosed-model deployment",
    "closed_ridge_z": "standardised x + ln L of each undisclosed deployment (the coordinate its disclosure fixes)",
    "closed_size_z": "standardised size of each undisclosed deployment given x + ln L",
    "idle_share": "share of IT energy drawn by provisioned servers that serve nothing (laws.idle_share of "
                  "diurnal_load / (1 + reserve_margin) and idle_power_ratio)",
}
OBSERVED_META = {
    "throughput": "ln output tokens/s per GPU",
    "inter_token_latency": "ln median inter-token latency, s",
    "gpu_power_fraction": "logit of GPU power / TDP",
    "pue": "ln(PUE - 1)",
    "reasoning_log_mean": "ln mean output tokens of a model's reasoning answers",
    "energy_per_query": "ln Wh per query",
    "load_factor": "logit of a production fleet's average over peak load",
    "output_speed_per_user": "ln output tokens/s per user of a production service",
}


def _annotate(ds: xr.Dataset, group: str) -> xr.Dataset:
    """units and long_name on every variable (parameters are log-scale or ratios: units "1")."""
    from ..model.priors import PRIOR_TABLE  # imports pymc: only needed when writing a calibration

    for name, var in ds.data_vars.items():
        if "units" in var.attrs and "long_name" in var.attrs:
            continue
        if name in PRIOR_TABLE:
            long_name = PRIOR_TABLE[name][1]
        elif name in DERIVED_META:
            long_name = DERIVED_META[name]
        elif name in OBSERVED_META:
            long_name = OBSERVED_META[name] + (" (pointwise log-likelihood)" if group == "log_likelihood" else "")
        else:
            long_name = f"{name} ({group})"
        var.attrs.update({"units": var.attrs.get("units", "1"), "long_name": long_name})
    return ds


def model_inputs(cat: Catalogs, traces: dict[tuple[str, str], TraceLengths]) -> xr.Dataset:
    """The catalogs and token-length traces the push-forward needs, so a file suffices for ``estimate``."""
    ds = cat.to_dataset()
    for (regime, kind), t in traces.items():
        key = f"{regime}_{kind}"
        ds[f"trace_{key}_probit"] = (f"knot_{key}", t.probits, {"units": "1", "long_name": f"normal quantiles of the {regime} {kind}-length trace's published probabilities"})
        ds[f"trace_{key}_log_tokens"] = (f"knot_{key}", t.log_tokens, {"units": "1", "long_name": f"ln tokens at those quantiles ({regime} {kind})"})
        ds[f"trace_{key}_upper_slope"] = ((), t.upper_slope, {"units": "1", "long_name": "slope of the upper tail (set to match the trace mean)", "source_ids": ",".join(t.source_ids)})
    return ds


def read_model_inputs(ds: xr.Dataset) -> tuple[Catalogs, dict[tuple[str, str], TraceLengths]]:
    """Inverse of :func:`model_inputs`."""
    cat = Catalogs.from_dataset(ds)
    traces = {}
    for name in ds.data_vars:
        if name.startswith("trace_") and name.endswith("_upper_slope"):
            key = name[len("trace_"):-len("_upper_slope")]
            regime, kind = key.rsplit("_", 1)
            traces[regime, kind] = TraceLengths(ds[f"trace_{key}_probit"].values, ds[f"trace_{key}_log_tokens"].values,
                                                float(ds[name]), None, ())
    return cat, traces


def build_tree(cal, traces, energy: xr.Dataset, data_sha256: str, extra: dict | None = None) -> xr.DataTree:
    """The calibration's DataTree with provenance at the root."""
    import arviz
    import nutpie
    import pymc

    from ..model.calibrate import config_json

    groups = {g: _annotate(cal.tree[g].to_dataset(), g) for g in ARVIZ_GROUPS if g in cal.tree.children}
    groups["energy"] = energy
    groups["checks"] = cal.checks
    groups["sources"] = cal.sources
    groups["model_inputs"] = model_inputs(cal.md.catalogs, traces)
    d = cal.diagnostics
    root = xr.Dataset(attrs=provenance(
        "calibration", json.loads(config_json(cal)), cal.config.seed, data_sha256,
        diagnostics=json.dumps({k: v for k, v in vars(d).items()}), diagnostics_passed=int(d.passed),
        sampler_versions=json.dumps({"pymc": pymc.__version__, "nutpie": nutpie.__version__,
                                     "arviz": arviz.__version__, "inference_energy": __version__}),
        **(extra or {}),
    ))
    return xr.DataTree.from_dict({"/": root, **{f"/{k}": v for k, v in groups.items()}})


def calibration_tree(cal, data_sha256: str, extra: dict | None = None) -> xr.DataTree:
    """Everything a calibration file holds: push the posterior forward to the default scenarios and
    build the tree, with a fresh ``run_id`` (what ``update`` records as ``update_of``).  Save it with
    :func:`inference_energy.io.save`."""
    import uuid

    from .pushforward import energy_dataset
    from .tokens import trace_lengths

    traces = trace_lengths(cal.md)
    energy = energy_dataset(cal.tree["posterior"].to_dataset(), cal.md.catalogs, traces, seed=cal.config.seed)
    extra = {**(extra or {}), "prior_only": int(cal.config.prior_only), "run_id": uuid.uuid4().hex}
    return build_tree(cal, traces, energy, data_sha256, extra)


def open_calibration(tree: xr.DataTree) -> tuple[xr.Dataset, Catalogs, dict]:
    """(posterior, catalogs, traces) of a calibration file."""
    if tree.attrs.get("kind") != "calibration":
        raise ValueError(f"not a calibration file (kind {tree.attrs.get('kind')!r}); run `inference-energy calibrate`")
    if tree.attrs.get("schema_version") == "1.0":
        raise ValueError("this calibration was written by inference-energy before the two-phase serving law "
                         "(schema 1.0: a power law in token lengths); re-run `inference-energy calibrate`")
    cat, traces = read_model_inputs(tree["model_inputs"].to_dataset())
    return tree["posterior"].to_dataset(), cat, traces


def read_calibration(path) -> tuple[xr.Dataset, Catalogs, dict]:
    """:func:`open_calibration` of a file, with the posterior read into memory and the file closed."""
    from ..files.store import load

    tree = load(path)
    try:
        post, cat, traces = open_calibration(tree)
        return post.load(), cat, traces
    finally:
        tree.close()
