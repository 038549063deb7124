"""Account for an organisation's usage log: energy, water and carbon per model and month, uncertainty right.

    python examples/account_usage.py [--workdir DIR] [--usage examples/usage_log.csv]

Runs on the shipped reference posterior (no calibration needed) and writes DIR/account.nc.  It shows:

1. totals per model, as ``inference-energy account`` prints them (kWh, with P5-P95);
2. why totals are summed draw by draw: adding each model's P5 and P95 (what summing per-call min/max
   ranges does) gives a wider interval than the per-draw sum, and multiplying one average request by the
   request count gives the right median only by luck of the length mix;
3. the per-call helper, for instrumentation: one request's distribution, cached per model (10 s).
"""

import argparse
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("runs/examples"))
    ap.add_argument("--usage", type=Path, default=HERE / "usage_log.csv")
    args = ap.parse_args()
    import inference_energy as ie
    from inference_energy.files.store import save

    tree = ie.account(args.usage, by=("model", "month"), market_factor=None)
    args.workdir.mkdir(parents=True, exist_ok=True)
    save(tree, args.workdir / "account.nc", force=True)
    totals = tree["totals"]
    energy = totals["energy"].sel(scope="facility").stack(sample=("chain", "draw"))  # (group, sample) kWh
    print(f"{tree.attrs['records']:,} records, {int(totals['requests'].sum()):,} requests "
          f"({'shipped reference posterior' if tree.attrs['reference_posterior'] else tree.attrs['posterior']})")
    print(f"{'model':<20} {'requests':>9} {'P50 kWh':>9} {'P5-P95 kWh':>17}")
    per_model = energy.groupby("model").sum()  # per draw: months of one model share its deployment's parameters
    for m in per_model["model"].values:
        x = per_model.sel(model=m).values
        p5, p50, p95 = np.percentile(x, [5, 50, 95])
        n = int(totals["requests"].where(totals["model"] == m).sum())
        print(f"{m:<20} {n:>9,} {p50:>9.3g} {p5:>8.3g}-{p95:<8.3g}")
    total = per_model.sum("model").values
    p5, p50, p95 = np.percentile(total, [5, 50, 95])
    print(f"{'all':<20} {int(totals['requests'].sum()):>9,} {p50:>9.3g} {p5:>8.3g}-{p95:<8.3g}")

    # 2. the wrong ways
    q = np.percentile(per_model.values, [5, 95], axis=1)  # (2, model)
    print(f"\nper-draw sum P5-P95: {p5:.3g}-{p95:.3g} kWh (width {p95 / p5:.2f}x)")
    print(f"naive sum of per-model P5 and P95: {q[0].sum():.3g}-{q[1].sum():.3g} kWh "
          f"(width {q[1].sum() / q[0].sum():.2f}x): too wide, as if every model sat at its extreme together")
    carbon = totals["carbon_location_all"].values.ravel()
    water = totals["water_all"].values.ravel()
    print(f"carbon (location-based) P50 {np.median(carbon):.3g} kgCO2e, water P50 {np.median(water):.3g} L")

    # 3. the per-call helper
    calls = ie.CallEstimator()
    start = time.perf_counter()
    calls("gpt-4o", 1200, 350)
    first = time.perf_counter() - start
    start = time.perf_counter()
    one = calls("gpt-4o", 1200, 350)
    again = time.perf_counter() - start
    s = one.summary()
    print(f"\none gpt-4o call, 1200 in / 350 out: P50 {s['p50']:.3g} Wh (P5-P95 {s['p5']:.3g}-{s['p95']:.3g} Wh); "
          f"first call {first * 1000:.0f} ms, then {again * 1000:.1f} ms")
    print(f"wrote {args.workdir / 'account.nc'}")


if __name__ == "__main__":
    main()
