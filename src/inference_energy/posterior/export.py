"""A scenario's energy distribution for other analyses: draws, tidy files and a fitted prior.

- :func:`sample_energy` -- ``n`` draws of one scenario's energy (or water, or
  carbon) per query, ready to feed another Monte Carlo.  ``kind="random"``
  draws a random query (per-query variation and parameter uncertainty);
  ``kind="median"`` draws the median query (parameter uncertainty alone).
- :func:`to_tidy` -- those draws as a tidy CSV or Parquet table, one row per draw.
- :func:`fit_lognormal_prior` / :func:`prior_json` -- a lognormal
  ``pymc_extras.prior.Prior`` fitted to the draws (moments of ln x), with the
  Kolmogorov-Smirnov distance of the fit so users see how lognormal the
  distribution really is.

Posterior draws are picked with replacement from a seeded stream that depends
only on ``seed``, ``n`` and the number of posterior draws, so two scenarios
sampled from the same calibration with the same seed share their posterior
draws (common random numbers): their joint draws keep the parameter
correlation, and differences between them are not blurred by independent
parameter noise.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ..model import laws
from .pushforward import Scenario, energy_draws

if TYPE_CHECKING:
    from pymc_extras.prior import Prior

#: Units of each scope :func:`sample_energy` can draw.
SCOPE_UNITS = {**{s: "Wh" for s in laws.SCOPES}, "water": "mL", "carbon": "gCO2e"}
KINDS = ("random", "median")
#: Queries per posterior draw whose median is the "median query" (as in ``estimate``).
MEDIAN_QUERIES = 200
#: Posterior draws pushed forward at once for ``kind="median"`` (bounds memory; fixed, so results
#: do not depend on it).
_BLOCK = 1000
TIDY_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

_QUANTITY = {"water": "on-site water (IT energy x WUE)", "carbon": "carbon emissions (facility energy x grid intensity)"}
_KIND_TEXT = {"random": "a random query (per-query variation and parameter uncertainty)",
              "median": "the median query (parameter uncertainty alone)"}


# --------------------------------------------------------------------------- sampling


def _as_scenario(scenario: Scenario | dict) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        known = {f.name for f in fields(Scenario)}
        unknown = sorted(set(scenario) - known)
        if unknown:
            raise ValueError(f"unknown scenario field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return Scenario(**scenario)
    raise TypeError(f"scenario must be a pushforward.Scenario or a dict of its fields, not {type(scenario).__name__}")


def _open(posterior) -> tuple[xr.Dataset, Any, dict]:
    """(posterior, catalogs, traces) from a calibration path or an opened DataTree, in memory."""
    from .calibration_file import open_calibration, read_calibration

    if isinstance(posterior, (str, os.PathLike)):
        return read_calibration(posterior)
    if isinstance(posterior, xr.DataTree):
        return open_calibration(posterior)
    raise TypeError("posterior must be a path to a calibration file or its xarray.DataTree, "
                    f"not {type(posterior).__name__}")


def _resample(post: xr.Dataset, idx: np.ndarray) -> xr.Dataset:
    """The posterior draws ``idx`` (flat over chain x draw) as a one-chain posterior."""
    out = {}
    for name, var in post.data_vars.items():
        if "chain" not in var.dims or "draw" not in var.dims:
            continue
        rest = [d for d in var.dims if d not in ("chain", "draw")]
        v = var.transpose("chain", "draw", *rest).values
        v = v.reshape(-1, *v.shape[2:])[idx]
        out[name] = (("chain", "draw", *rest), v[None])
    return xr.Dataset(out, coords={"chain": [0], "draw": np.arange(len(idx))})


def _values(draws: dict[str, np.ndarray], scope: str) -> np.ndarray:
    if scope == "water":
        return draws["water_ml"]
    if scope == "carbon":
        return draws["carbon_g"]
    return np.exp(draws[scope])


def sample_energy(posterior, scenario: Scenario | dict, n: int = 10_000, seed: int = 0,
                  scope: str = "facility", kind: str = "random", queries: int = MEDIAN_QUERIES) -> xr.DataArray:
    """``n`` draws of a scenario's energy per query [Wh] (or water [mL], carbon [gCO2e]).

    Parameters
    ----------
    posterior
        Path to a calibration file (``.nc``/``.zarr``) or its opened ``xarray.DataTree``.
    scenario
        A :class:`~inference_energy.pushforward.Scenario` or a dict of its fields.
    n
        Number of draws.
    seed
        Seed of every random choice; the same seed gives the same draws.
    scope
        ``gpu``, ``node``, ``it`` or ``facility`` (Wh), ``water`` (mL, from IT
        energy) or ``carbon`` (gCO2e, from facility energy).
    kind
        ``"random"``: each draw picks a posterior draw (with replacement) and
        one simulated query -- per-query variation plus parameter uncertainty.
        ``"median"``: each draw picks a posterior draw and takes the median over
        ``queries`` simulated queries -- parameter uncertainty alone.
    queries
        Queries per posterior draw for ``kind="median"``.

    Returns
    -------
    xarray.DataArray
        Dimension ``sample``; coordinates ``posterior_chain``/``posterior_draw``
        name the posterior draw behind each sample; attrs ``units``,
        ``long_name``, ``scope``, ``kind``, ``seed`` and ``scenario`` (JSON).
    """
    if scope not in SCOPE_UNITS:
        raise ValueError(f"unknown scope {scope!r}; known: {', '.join(SCOPE_UNITS)}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, not {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if kind == "median" and queries < 1:
        raise ValueError(f"queries must be a positive integer, not {queries!r}")
    n = int(n)
    sc = _as_scenario(scenario)
    post, cat, traces = _open(posterior)
    S = post.sizes["chain"] * post.sizes["draw"]

    pick_ss, draw_ss = np.random.SeedSequence(seed).spawn(2)
    idx = np.random.default_rng(pick_ss).integers(0, S, size=n)
    sub = _resample(post, idx)
    if kind == "random":
        d = energy_draws(sub, cat, traces, sc, queries=1, seed=int(draw_ss.generate_state(1)[0]))
        values = _values(d, scope)[:, 0]
    else:
        starts = range(0, n, _BLOCK)
        block_seeds = [int(s.generate_state(1)[0]) for s in draw_ss.spawn(len(starts))]
        values = np.empty(n)
        for start, block_seed in zip(starts, block_seeds):
            stop = min(start + _BLOCK, n)
            d = energy_draws(sub.isel(draw=slice(start, stop)), cat, traces, sc, queries=queries, seed=block_seed)
            values[start:stop] = np.median(_values(d, scope), axis=1)

    chains, draws = np.unravel_index(idx, (post.sizes["chain"], post.sizes["draw"]))
    quantity = _QUANTITY.get(scope, f"{scope} energy")
    attrs = {
        "units": SCOPE_UNITS[scope],
        "long_name": f"{quantity} of {_KIND_TEXT[kind]}: {sc.label}, {sc.regime_label} queries, {sc.hardware}, "
                     f"{sc.serving} serving, {sc.deployment} data centre",
        "scope": scope,
        "kind": kind,
        "seed": int(seed),
        "scenario": json.dumps(asdict(sc)),
        "posterior_draws": int(S),
    }
    if kind == "median":
        attrs["queries_per_draw"] = int(queries)
    return xr.DataArray(
        values, dims="sample", name="water" if scope == "water" else "carbon" if scope == "carbon" else "energy",
        coords={"sample": np.arange(n), "posterior_chain": ("sample", post["chain"].values[chains]),
                "posterior_draw": ("sample", post["draw"].values[draws])},
        attrs=attrs,
    )


# --------------------------------------------------------------------------- tidy files


def _scenario_of(samples) -> dict | None:
    raw = getattr(samples, "attrs", {}).get("scenario")
    if raw is None:
        return None
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def _atomic_write(path: Path | str, force: bool, write) -> Path:
    """Call ``write(staged_path)`` and move the result to ``path`` in one rename."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file path")
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force (force=True) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        staged = tmp / path.name
        write(staged)
        os.replace(staged, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def tidy_frame(samples: xr.DataArray):
    """One row per sample: sample, value, unit, scope, kind, posterior_chain/draw, then the scenario's fields."""
    import pandas as pd

    if samples.ndim != 1:
        raise ValueError(f"expected one-dimensional samples (dim 'sample'), got dims {samples.dims}")
    attrs = samples.attrs
    missing = [k for k in ("units", "scope", "kind", "scenario") if k not in attrs]
    if missing:
        raise ValueError(f"samples lack attrs {', '.join(missing)}; make them with sample_energy()")
    n = samples.size
    cols: dict[str, Any] = {
        "sample": samples["sample"].values if "sample" in samples.coords else np.arange(n),
        "value": samples.values.astype(float),
        "unit": attrs["units"], "scope": attrs["scope"], "kind": attrs["kind"],
    }
    for c in ("posterior_chain", "posterior_draw"):
        if c in samples.coords:
            cols[c] = samples[c].values
    scenario = _scenario_of(samples)
    clash = sorted(set(scenario) & set(cols))
    if clash:
        raise ValueError(f"scenario fields {', '.join(clash)} clash with tidy columns")
    df = pd.DataFrame(cols, index=pd.RangeIndex(n))
    for k, v in scenario.items():
        df[k] = pd.Series([v] * n, dtype=object if v is None else None)
    df.attrs = {"long_name": str(attrs.get("long_name", "")), "scenario": json.dumps(scenario)}
    return df


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ImportError("writing Parquet needs pyarrow, which is not installed: pip install pyarrow "
                          "(or write .csv instead)") from exc


def to_tidy(samples: xr.DataArray, path: Path | str, force: bool = False) -> Path:
    """Write ``samples`` (from :func:`sample_energy`) as a tidy ``.csv`` or ``.parquet`` table.

    One row per sample with columns ``sample``, ``value``, ``unit``, ``scope``,
    ``kind``, ``posterior_chain``, ``posterior_draw`` and the scenario's fields.
    Refuses to replace an existing file unless ``force``; the write is atomic.
    """
    path = Path(path)
    fmt = TIDY_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown tidy format; use a .csv or .parquet path")
    if fmt == "parquet":
        _require_pyarrow()
    df = tidy_frame(samples)
    if fmt == "csv":
        return _atomic_write(path, force, lambda p: df.to_csv(p, index=False))
    return _atomic_write(path, force, lambda p: df.to_parquet(p, index=False, engine="pyarrow"))


# --------------------------------------------------------------------------- fitted prior


def _positive(samples) -> np.ndarray:
    x = np.asarray(samples, dtype=float).ravel()
    if x.size < 2:
        raise ValueError("need at least two samples to fit a distribution")
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("a lognormal needs finite, positive samples")
    return x


def _moments(x: np.ndarray) -> tuple[float, float]:
    lx = np.log(x)
    mu, sigma = float(lx.mean()), float(lx.std(ddof=1))
    if not sigma > 0:
        raise ValueError("the samples do not vary; a lognormal cannot be fitted")
    return mu, sigma


def fit_lognormal_prior(samples) -> "Prior":
    """``Prior("LogNormal", mu=mean(ln x), sigma=sd(ln x))``: the method of moments on logs."""
    from pymc_extras.prior import Prior

    mu, sigma = _moments(_positive(samples))
    return Prior("LogNormal", mu=mu, sigma=sigma)


def prior_json(samples) -> str:
    """The fitted lognormal prior as JSON, with units, scenario and how well it fits.

    ``{"prior": Prior.to_dict(), "units", "scope", "kind", "scenario",
    "fit": {"method", "n", "ks_statistic", "quantiles"}}``.  Rebuild the prior with
    ``Prior.from_dict(json.loads(text)["prior"])``.  ``ks_statistic`` is the
    Kolmogorov-Smirnov distance between the fitted lognormal and the samples
    (0: perfectly lognormal; about 0.01 is a close fit for 10 000 draws); its
    usual p-value does not apply to parameters fitted to the same samples, so
    none is given.  ``quantiles`` sets the samples' P5/P50/P95 beside the fit's.
    """
    from scipy import stats

    x = _positive(samples)
    mu, sigma = _moments(x)
    prior = fit_lognormal_prior(x)
    ks = stats.kstest(x, "lognorm", args=(sigma, 0.0, math.exp(mu)))
    probs = (0.05, 0.5, 0.95)
    sample_q = np.quantile(x, probs)
    fitted_q = stats.lognorm.ppf(probs, sigma, 0.0, math.exp(mu))
    attrs = getattr(samples, "attrs", {})
    return json.dumps({
        "prior": prior.to_dict(),
        "units": attrs.get("units"),
        "scope": attrs.get("scope"),
        "kind": attrs.get("kind"),
        "scenario": _scenario_of(samples),
        "fit": {
            "method": "moments of ln",
            "n": int(x.size),
            "ks_statistic": float(ks.statistic),
            "quantiles": {f"p{round(p * 100)}": {"samples": float(s), "fitted": float(f)}
                          for p, s, f in zip(probs, sample_q, fitted_q)},
        },
    }, indent=2)


def save_prior_json(samples, path: Path | str, force: bool = False) -> Path:
    """Write :func:`prior_json` to ``path`` (atomic; refuses to replace a file unless ``force``)."""
    text = prior_json(samples)
    return _atomic_write(path, force, lambda p: Path(p).write_text(text + "\n", encoding="utf-8"))
