"""Use a stored calibration in your own analysis: plain xarray first, then as a prior in your own PyMC model.

    python examples/calibrate_and_estimate.py          # first: writes runs/examples/posterior.nc
    python examples/load_posterior.py [--workdir runs/examples] [--queries-per-day 1e9]

1. Open WORKDIR/posterior.nc with plain `xarray.open_datatree` (no package
   code), list its groups and variables with their units, and compute things
   the package does not print, draw by draw with xarray (so the parameters'
   correlations are kept): how many times a long (test-time-scaling) query
   costs a traditional one, and how much the boundary (GPU vs facility) matters.
2. Export the per-query energy of one scenario as a fitted lognormal prior
   (the package's `sample_energy` and `save_prior_json`, the same as
   `inference-energy export --prior-json`), and put it into a small PyMC model
   of your own: a fleet's energy per day with an uncertain number of queries.
   The model is forward-sampled (`pm.sample_prior_predictive`, a few seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior

import inference_energy
from inference_energy.posterior.export import save_prior_json

MODELS = ("Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B", "DeepSeek-R1", "gpt-oss-120b")
REFERENCE = "Llama-3.1-70B"
SCENARIO = {"model": "Llama-3.1-70B", "hardware": "H100", "regime": "traditional"}  # production, hyperscale
EXPORT_DRAWS = 10_000
QUERY_COUNT_SIGMA = 0.3  # sd of ln queries/day: your own uncertainty about traffic (P5-P95 about x0.6-x1.6)
SEED = 0
QUANTILES = [0.05, 0.5, 0.95]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs/examples"),
                        help="holds posterior.nc (from calibrate_and_estimate.py); gets the exported priors")
    parser.add_argument("--queries-per-day", type=float, default=1e9, help="median of the fleet's queries per day")
    return parser.parse_args()


def require_posterior(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "posterior.nc"
    if not path.exists():
        print(f"error: {path} not found; run `python examples/calibrate_and_estimate.py --workdir {workdir}` first",
              file=sys.stderr)
        sys.exit(2)
    return path


# --- 1. plain xarray -------------------------------------------------------------------------


def list_contents(tree: xr.DataTree) -> None:
    attrs = tree.attrs
    print(f"{attrs['kind']} file, schema {attrs['schema_version']}, created {attrs['created_at']}, "
          f"data sha256 {attrs['data_sha256'][:12]}, diagnostics passed: {bool(attrs['diagnostics_passed'])}")
    seen = {}  # variable names -> the group that listed them first
    for node in tree.subtree:
        if not node.data_vars:
            continue
        sample = {d: n for d, n in node.dataset.sizes.items() if d in ("chain", "draw")}
        others = len(node.dataset.sizes) - len(sample)
        dims = ", ".join(f"{d}={n}" for d, n in sample.items()) or "no sample dims"
        print(f"\n{node.path}  ({len(node.data_vars)} variables; {dims}; {others} other dims)")
        names = frozenset(node.data_vars)
        if names in seen:
            print(f"  the variables of {seen[names]}")
            continue
        seen[names] = node.path
        cells = ", ".join(f"{name} [{var.attrs.get('units', 'NO UNITS')}]" for name, var in node.data_vars.items())
        print(textwrap.fill(cells, width=118, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False))


def by_model_and_regime(tree: xr.DataTree) -> xr.DataArray:
    """The median query's energy [Wh] with dims (chain, draw, scope, model, regime) instead of `scenario`."""
    energy = tree["energy"]["median_query_energy"]
    return (energy.drop_vars(["hardware", "serving"])  # every stored scenario is H100, production serving
            .set_index(scenario=["model", "regime"]).unstack("scenario"))


def interval(da: xr.DataArray) -> xr.DataArray:
    """P5, P50, P95 across posterior draws."""
    return da.quantile(QUANTILES, dim=("chain", "draw"))


def own_analysis(tree: xr.DataTree) -> None:
    energy = by_model_and_regime(tree)
    facility = energy.sel(scope="facility")
    typical = interval(facility)
    reference = facility.sel(model=REFERENCE, regime="traditional")
    more = (facility.sel(regime="traditional") > reference).mean(("chain", "draw"))
    unit = tree["energy"]["median_query_energy"].attrs["units"]

    def fmt(da, spec=".3g"):
        lo, mid, hi = da.values
        return f"{mid:{spec}} [{lo:{spec}}-{hi:{spec}}]"

    print("\nComputed here with xarray, draw by draw (P50 [P5-P95] across posterior draws; the typical query, "
          "facility energy, H100, production serving, hyperscale):")
    print(f"  {'model':<16} {'traditional [' + unit + ']':>28} {'long [' + unit + ']':>24} "
          f"{'P(traditional > ' + REFERENCE + ')':>32}")
    for m in MODELS:
        p_more = "(reference)" if m == REFERENCE else f"{float(more.sel(model=m)):.2f}"
        print(f"  {m:<16} {fmt(typical.sel(model=m, regime='traditional')):>28} "
              f"{fmt(typical.sel(model=m, regime='long')):>24} {p_more:>32}")
    ratio = interval(facility.sel(regime="long") / facility.sel(regime="traditional"))
    medians = ratio.sel(quantile=0.5)
    print(f"  long / traditional query [x], {REFERENCE}: {fmt(ratio.sel(model=REFERENCE))}; its P50 ranges "
          f"{float(medians.min()):.3g}-{float(medians.max()):.3g} over all {medians.sizes['model']} stored models")
    boundary = interval(facility.sel(regime="traditional") / energy.sel(scope="gpu", regime="traditional"))
    print(f"  facility / GPU energy [x] (host, idle capacity, PUE), {REFERENCE}: "
          f"{fmt(boundary.sel(model=REFERENCE), '.3f')}")


# --- 2. the package's fitted prior in a PyMC model of your own ------------------------------


def export_priors(path: Path, workdir: Path) -> tuple[dict, dict, float]:
    """Fitted lognormal priors (JSON files) of the typical and of a random query, and a random query's mean [Wh]."""
    fitted = {}
    mean_random = float("nan")
    for kind in ("median", "random"):
        samples = inference_energy.sample_energy(path, SCENARIO, n=EXPORT_DRAWS, seed=SEED, kind=kind)
        out = save_prior_json(samples, workdir / f"energy_prior_{kind}.json", force=True)  # the example's own output
        fitted[kind] = json.loads(out.read_text())
        fit = fitted[kind]["fit"]
        prior = fitted[kind]["prior"]
        print(f"  {kind:>6} query: wrote {out.name}: {prior['dist']}(mu={prior['kwargs']['mu']:.4f}, "
              f"sigma={prior['kwargs']['sigma']:.4f}) of energy in {fitted[kind]['units']}; "
              f"KS distance of the fit {fit['ks_statistic']:.3f}")
        if kind == "random":
            mean_random = float(samples.mean())
    return fitted["median"], fitted["random"], mean_random


def mean_over_median(median_fit: dict, random_fit: dict) -> float:
    """Mean / median of one draw's per-query energies, if the query-to-query variation is lognormal.

    ln(random query) = ln(typical query) + query variation, so the variances of ln add up:
    sigma_random^2 = sigma_median^2 + sigma_query^2, and mean / median = exp(sigma_query^2 / 2).
    """
    s_random = random_fit["prior"]["kwargs"]["sigma"]
    s_median = median_fit["prior"]["kwargs"]["sigma"]
    return float(np.exp((s_random**2 - s_median**2) / 2))


def fleet_model(median_fit: dict, ratio: float, queries_per_day: float) -> pm.Model:
    with pm.Model() as model:
        typical = Prior.from_dict(median_fit["prior"]).create_variable("typical_query_energy")  # Wh
        queries = pm.LogNormal("queries_per_day", mu=np.log(queries_per_day), sigma=QUERY_COUNT_SIGMA)
        mean_query = pm.Deterministic("mean_query_energy", typical * ratio)  # Wh
        pm.Deterministic("fleet_energy", queries * mean_query / 1e9)  # Wh/day -> GWh/day
    return model


def fleet_study(path: Path, workdir: Path, queries_per_day: float) -> None:
    print(f"\nExported priors for {SCENARIO} (facility energy per query, {EXPORT_DRAWS:,} draws each):")
    median_fit, random_fit, mean_random = export_priors(path, workdir)
    ratio = mean_over_median(median_fit, random_fit)
    with fleet_model(median_fit, ratio, queries_per_day):
        prior = pm.sample_prior_predictive(draws=4000, random_seed=SEED)["prior"].to_dataset()
    units = {"typical_query_energy": "Wh", "mean_query_energy": "Wh", "queries_per_day": "1/day",
             "fleet_energy": "GWh/day"}
    q = prior[list(units)].quantile(QUANTILES, dim=("chain", "draw"))
    print(f"\nYour PyMC model: fleet energy per day = queries/day x typical query x {ratio:.2f} (mean / median of "
          "a draw's queries) / 1e9")
    print(f"  {'variable':<22} {'unit':<8} {'P5':>10} {'P50':>10} {'P95':>10}")
    for name, unit in units.items():
        lo, mid, hi = q[name].values
        print(f"  {name:<22} {unit:<8} {lo:>10.3g} {mid:>10.3g} {hi:>10.3g}")
    print(f"  check: the model's mean energy per query {float(prior['mean_query_energy'].mean()):.3g} Wh vs the "
          f"exported random queries' mean {mean_random:.3g} Wh (they agree if the lognormal approximation holds)")


def main() -> None:
    args = parse_args()
    path = require_posterior(args.workdir)
    tree = xr.open_datatree(path)  # plain xarray: no package code
    list_contents(tree)
    own_analysis(tree)
    tree.close()
    fleet_study(path, args.workdir, args.queries_per_day)


if __name__ == "__main__":
    main()
