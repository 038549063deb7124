"""Diurnal load ratios for the Azure LLM inference trace 2024 (DynamoLLM trace).

The week-long CSVs (AzureLLMInferenceTrace_{code,conv}_1week.csv) are NOT in the
GitHub repo Azure/AzurePublicDataset; they live on an Azure blob
(azurepublicdatasettraces.blob.core.windows.net), which is unreachable here.
The repo's notebook analysis/AzureLLMInferenceDataset2024.ipynb, however, stores
(a) the exact row counts of both traces (printed DataFrame outputs) and
(b) PNG plots of invocations per minute and tokens per minute over the week.

This script DIGITISES those published PNG plots (pixel -> value, using the
axis spines and grid lines as calibration), aggregates to hours, and reports
mean/max and mean/p95 hourly ratios.  The digitised weekly mean request rate is
checked against the exact row count (rows / minutes) printed in the notebook.
These are figure-derived estimates, not values computed from the raw CSV.

Also reports what the small 2023 CSVs (in the repo, ~1 h each) contain.

Usage:  python azure_diurnal.py /path/to/Azure+AzurePublicDataset/repo
Needs:  numpy, pillow, git.
"""
import base64
import csv
import io
import json
import subprocess
import sys
from datetime import datetime

import numpy as np
from PIL import Image

REPO = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/Azure+AzurePublicDataset/repo"


def git_show(path):
    return subprocess.run(["git", "-C", REPO, "show", "HEAD:" + path],
                          check=True, capture_output=True).stdout


def head_commit():
    return subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


nb = json.loads(git_show("analysis/AzureLLMInferenceDataset2024.ipynb"))


def png(cell, out):
    d = nb["cells"][cell]["outputs"][out]["data"]["image/png"]
    return np.array(Image.open(io.BytesIO(base64.b64decode(d))).convert("RGB")).astype(int)


def mask(a, colour):
    r, g, b = a[:, :, 0], a[:, :, 1], a[:, :, 2]
    if colour == "blue":      # matplotlib C0 = (31,119,180)
        return (b > 150) & (r < 80) & (g > 90) & (g < 150)
    if colour == "orange":    # matplotlib C1 = (255,127,14)
        return (r > 200) & (g > 100) & (g < 160) & (b < 60)
    raise ValueError(colour)


def digitise(a, colour, x0, x1, y_cal, minutes, exclude=None):
    """Per pixel column: mean value of the coloured pixels (line centre).
    x0/x1: pixel columns of left/right spines (= first/last minute of data).
    y_cal: list of (pixel_row, value) for the linear y calibration.
    exclude: (xa, xb, ya, yb) box to ignore (legend)."""
    m = mask(a, colour).copy()
    if exclude:
        xa, xb, ya, yb = exclude
        m[ya:yb, xa:xb] = False
    rows = np.array([p for p, _ in y_cal], float)
    vals = np.array([v for _, v in y_cal], float)
    slope, icpt = np.polyfit(rows, vals, 1)
    t, v = [], []
    for x in range(x0 + 1, x1):
        ys = np.where(m[:, x])[0]
        if len(ys) == 0:
            continue
        t.append((x - x0) / (x1 - x0) * minutes)
        v.append(float(np.mean(slope * ys + icpt)))
    return np.array(t), np.array(v)


def hourly(t, v, minutes):
    nh = int(round(minutes / 60))
    h = np.minimum((t // 60).astype(int), nh - 1)
    return np.array([v[h == i].mean() * 60 for i in range(nh) if np.any(h == i)])


def ratios(name, hr, exact_mean_per_min=None):
    mean, mx, p95, mn = hr.mean(), hr.max(), np.percentile(hr, 95), hr.min()
    print(f"{name}: hours={len(hr)}  mean/h={mean:,.0f}  max/h={mx:,.0f}  "
          f"p95/h={p95:,.0f}  min/h={mn:,.0f}")
    print(f"    mean/max={mean/mx:.3f}  mean/p95={mean/p95:.3f}  min/max={mn/mx:.3f}  "
          f"max/mean={mx/mean:.2f}")
    if exact_mean_per_min is not None:
        print(f"    digitised weekly mean = {mean/60:,.0f}/min vs exact rows/minutes = "
              f"{exact_mean_per_min:,.0f}/min  (ratio {mean/60/exact_mean_per_min:.3f})")
    return mean, mx, p95


print("Azure/AzurePublicDataset HEAD", head_commit())
MIN = 7 * 24 * 60  # both week traces span 7 days (xlim = first..last minute)

# exact row counts printed in notebook cells 5 and 6
N_CODE, N_CONV = 16_803_695, 27_303_999
print(f"exact rows: code {N_CODE:,} (2024-05-10..16), conv {N_CONV:,} (2024-05-12..18)")
print(f"exact mean requests/h: code {N_CODE/168:,.0f}, conv {N_CONV/168:,.0f}")
print()
print("== Requests per hour (digitised from notebook cell 18, invocations/minute plots)")
a = png(18, 0)  # Coding: spines x=74,1471 ; y: 0@404, grid 1000..6000
t, v = digitise(a, "blue", 74, 1471,
                [(404, 0), (344, 1000), (284, 2000), (223, 3000), (163, 4000), (103, 5000), (42, 6000)], MIN)
code_req = hourly(t, v, MIN)
ratios("code requests/h", code_req, N_CODE / MIN)
a = png(18, 1)  # Conversation: y: 0@404, grid 1000..5000
t, v = digitise(a, "blue", 74, 1471,
                [(404, 0), (336, 1000), (267, 2000), (198, 3000), (130, 4000), (61, 5000)], MIN)
conv_req = hourly(t, v, MIN)
ratios("conv requests/h", conv_req, N_CONV / MIN)

print()
print("== Tokens per hour, input+output (digitised from notebook cell 19, tokens/minute plots)")
a = png(19, 0)  # Coding, y in units of 1e7; legend top-left
cal = [(401, 0)] + [(r, k * 0.2e7) for k, r in enumerate([356, 311, 266, 221, 175, 130, 85, 40], start=1)]
leg = (62, 150, 33, 95)
ti, vi = digitise(a, "blue", 61, 557, cal, MIN, exclude=leg)
to, vo = digitise(a, "orange", 61, 557, cal, MIN, exclude=leg)
code_in, code_out = hourly(ti, vi, MIN), hourly(to, vo, MIN)
n = min(len(code_in), len(code_out))
ratios("code input tokens/h", code_in)
ratios("code input+output tokens/h", code_in[:n] + code_out[:n])
a = png(19, 1)  # Conversation, y in units of 1e6; legend top-right
cal = [(401, 0)] + [(r, k * 1e6) for k, r in enumerate([359, 316, 273, 231, 188, 145, 103, 60], start=1)]
leg = (440, 544, 33, 95)
ti, vi = digitise(a, "blue", 48, 544, cal, MIN, exclude=leg)
to, vo = digitise(a, "orange", 48, 544, cal, MIN, exclude=leg)
conv_in, conv_out = hourly(ti, vi, MIN), hourly(to, vo, MIN)
n = min(len(conv_in), len(conv_out))
ratios("conv input tokens/h", conv_in)
ratios("conv output tokens/h", conv_out)
ratios("conv input+output tokens/h", conv_in[:n] + conv_out[:n])

print()
print("== Combined code+conv requests/h over the 5 overlapping days (May 12-16)?")
print("   (traces cover different 7-day windows; offset code by 2 days = 48 h)")
comb = code_req[48:] + conv_req[:len(code_req) - 48]
ratios("code+conv requests/h (May 12-16, 120 h)", comb)

print()
print("== 2023 traces in the repo (data/*.csv; ~1 hour each, no diurnal information)")
for f in ["data/AzureLLMInferenceTrace_code.csv", "data/AzureLLMInferenceTrace_conv.csv"]:
    rows = list(csv.DictReader(io.StringIO(git_show(f).decode())))
    ts = [datetime.strptime(r["TIMESTAMP"][:26], "%Y-%m-%d %H:%M:%S.%f") for r in rows]
    dur = (max(ts) - min(ts)).total_seconds()
    ci = sum(int(r["ContextTokens"]) for r in rows)
    co = sum(int(r["GeneratedTokens"]) for r in rows)
    print(f"{f}: {len(rows)} requests, {min(ts)} .. {max(ts)} ({dur/3600:.2f} h), "
          f"input {ci:,} tokens (mean {ci/len(rows):.0f}), output {co:,} (mean {co/len(rows):.0f})")
