"""Write the synthetic example usage log ``examples/usage_log.csv`` (seeded, so the shipped file is reproducible).

    python examples/make_usage_log.py [--out PATH] [--records N] [--seed S]

An organisation's first quarter of 2025 on five services, as an API gateway would log it: a chat
assistant (gpt-4o, gpt-4o-mini), a coding assistant (claude-sonnet-4), document summaries
(gemini-2.5-flash) and a self-hosted-style Llama-3.1-70B endpoint, in Azure, AWS and Google regions.
Chat lengths are drawn from the Azure LLM inference trace's conversation quantiles and coding lengths
from its coding quantiles (the package's token regimes, cited in calibration_data/), so the mix is
realistic; the models, regions and volumes are invented for the example (it is synthetic).  A nightly
batch job adds aggregated records (``requests`` > 1, token columns totals).  Writes nothing else.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

#: service -> (model as the log writes it, region, regime, share of requests)
SERVICES = (
    ("gpt-4o-2024-08-06", "eastus", "traditional", 0.30),
    ("gpt-4o-mini", "swedencentral", "traditional", 0.30),
    ("claude-sonnet-4", "us-east-1", "code", 0.15),
    ("gemini-2.5-flash", "europe-west4", "traditional", 0.15),
    ("meta-llama/Llama-3.1-70B-Instruct", "us-west-2", "traditional", 0.10),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "usage_log.csv")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    from inference_energy.posterior.calibration_file import read_calibration
    from inference_energy.posterior.reference import REFERENCE_PATH

    _, _, traces = read_calibration(REFERENCE_PATH)  # the token regimes, as the calibration fitted them
    rng = np.random.default_rng(args.seed)
    start = pd.Timestamp("2025-01-01T00:00:00Z")
    seconds = (pd.Timestamp("2025-04-01T00:00:00Z") - start).total_seconds()
    shares = np.array([s[3] for s in SERVICES])
    pick = rng.choice(len(SERVICES), size=args.records, p=shares / shares.sum())
    frames = []
    for i, (model, region, regime, _) in enumerate(SERVICES):
        n = int((pick == i).sum())
        ts = start + pd.to_timedelta(np.sort(rng.uniform(0, seconds, n)), unit="s")
        frames.append(pd.DataFrame({
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "model": model, "region": region,
            "input_tokens": traces[regime, "input"].sample(rng, n).astype(int),
            "output_tokens": traces[regime, "output"].sample(rng, n).astype(int), "requests": 1}))
    # the nightly batch job: one aggregated record a night, 200-400 summaries through gpt-4o-mini
    nights = pd.date_range("2025-01-01T02:00:00Z", "2025-03-31T02:00:00Z", freq="D")
    n = rng.integers(200, 401, len(nights))
    frames.append(pd.DataFrame({
        "timestamp": nights.strftime("%Y-%m-%dT%H:%M:%SZ"), "model": "gpt-4o-mini", "region": "swedencentral",
        "input_tokens": n * 3000, "output_tokens": n * 250, "requests": n}))
    log = pd.concat(frames).sort_values("timestamp", kind="stable")
    log["cached_input_tokens"] = 0
    log[["timestamp", "model", "input_tokens", "output_tokens", "cached_input_tokens", "requests", "region"]].to_csv(
        args.out, index=False)
    print(f"wrote {args.out}: {len(log):,} records, {int(log['requests'].sum()):,} requests")


if __name__ == "__main__":
    main()
