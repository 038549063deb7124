"""The figure of the validate command: production figures against their left-out predictions.

Each figure a production source published, against the prediction of the model refitted without
that source (``posterior/validate.py``), from the command's JSON or a report tree."""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure

from .plots import _short


def validation_payload(tree_or_payload) -> dict:
    """The results of ``inference-energy validate``: a dict, or a tree with a ``validation`` group."""
    if isinstance(tree_or_payload, dict):
        return tree_or_payload
    return json.loads(tree_or_payload["validation"].attrs["json"])


def validation(tree_or_payload) -> Figure:
    """Each production figure against its leave-source-out prediction, as ratios to the published
    value (so figures of different units share one axis): the 90 % interval, the median, and 1."""
    v = validation_payload(tree_or_payload)
    rows = v["rows"]
    fig = Figure(figsize=(9, 1.2 + 0.28 * len(rows)), layout="constrained")
    ax = fig.subplots()
    ax.axvline(1.0, color="#444444", lw=1)
    for y, r in enumerate(rows):
        color = "#3182bd" if r["covered"] else "#de2d26"
        ax.plot([r["p5"] / r["observed"], r["p95"] / r["observed"]], [y, y], color=color, lw=2.5, alpha=0.7)
        ax.plot(r["p50"] / r["observed"], y, "o", color=color, ms=4)
    ax.set_xscale("log")
    ax.set_yticks(np.arange(len(rows)), [f"{r['row']} {r['quantity']} ({_short(r['source'], 34)}; {r['method']})"
                                         for r in rows], fontsize=7)
    ax.invert_yaxis()
    s = v["summary"]
    ax.set_xlabel("prediction without the source / published value   [1]")
    ax.set_title(f"Production sources left out one at a time: {s['sources_covered']} of {s['sources']} sources, "
                 f"{s['rows_covered']} of {s['rows']} figures inside the 90 % interval (red: outside)", fontsize=9)
    return fig
