"""A self-contained HTML report of a preset run or a calibration.

:func:`gather` turns a preset or a calibration file into one DataTree with
everything the figures need (adding ``pathways``, ``fleet`` and ``sensitivity``
groups); :func:`write_report` draws the figures, embeds them as base64 PNG in
one ``index.html`` (no network needed to view it) beside the headline
estimates, the diagnostics and the provenance, and writes the directory
atomically.  An inline script counts the images that decoded into
``<body data-images-loaded>``, so a headless browser can check the figures.
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr

from .. import __version__

#: The fleet a calibration report shows (the paper's frontier example: 10 % long queries).
DEFAULT_MIX = (("Llama-3.1-405B", "traditional", 0.9), ("Llama-3.1-405B", "long", 0.1))
DEFAULT_SENSITIVITY = ("Llama-3.1-70B", "traditional")

Step = Callable[[str], None]
REGIME_ORDER = ("traditional", "code", "long")


def _quiet(_: str) -> None:
    return None


# --- gather ---------------------------------------------------------------------------

def sensitivity_dataset(records: list[dict], source: str) -> xr.Dataset:
    """Sobol records (input, S1, S1_conf, ST, ST_conf) as a Dataset (input, index)."""
    from ..posterior.sensitivity import INDEX_FIELDS

    values = np.array([[r[k] for k in INDEX_FIELDS] for r in records], dtype=float)
    first = records[0]
    return xr.Dataset(
        {"sobol": (("input", "index"), values,
                   {"units": "1", "long_name": f"Sobol indices of ln energy per query (+- {INDEX_FIELDS[1]}: 95 % confidence)"})},
        coords={"input": [r["input"] for r in records], "index": list(INDEX_FIELDS)},
        attrs={"model": first.get("model", ""), "regime": first.get("regime", ""), "source": source},
    )


def posterior_fleet_dataset(records: list[dict], mix: str, queries_per_day: float) -> xr.Dataset:
    """fleet_posterior records as (pathway, quantile) variables energy, water, carbon."""
    quantiles = ["p5", "p50", "p95"]
    out = {}
    for quantity in ("energy", "water", "carbon"):
        rows = [r for r in records if r["quantity"] == quantity]
        out[quantity] = (("pathway", "quantile"), np.array([[r[q] for q in quantiles] for r in rows], dtype=float),
                         {"units": rows[0]["unit"], "long_name": f"fleet {quantity} per day (posterior P5, P50, P95)"})
    pathways = [r["scenario"] for r in records if r["quantity"] == "energy"]
    return xr.Dataset(out, coords={"pathway": pathways, "quantile": quantiles},
                      attrs={"mix": mix, "queries_per_day": queries_per_day})


def gather_preset(preset: str, data_dir: Path | None = None, draws: int | None = None, seed: int = 42,
                  step: Step = _quiet) -> xr.DataTree:
    """Simulate a preset with its pathways, fleet and one Sobol study, as one DataTree."""
    from .. import data, paper
    from ..paper.presets import get_preset
    from ..paper.tree import simulation_tree
    from ..posterior.sensitivity import preset_sobol

    p, tables = get_preset(preset), data.load(data_dir)
    step(f"simulating preset {preset}")
    sim = paper.simulate(p, tables, draws=draws, seed=seed)
    step("efficiency pathways and fleet")
    tree = simulation_tree(sim, paper.pathways(sim), paper.fleet(sim, 1e9, (0.0, 0.1)), keep_draws=False)
    step("Sobol sensitivity")
    model, regime = DEFAULT_SENSITIVITY
    tree["sensitivity"] = sensitivity_dataset(preset_sobol(p, tables, model, regime, n=2**12, seed=seed), f"preset {preset}")
    return tree


def gather_calibration(path: Path, seed: int = 0, step: Step = _quiet) -> xr.DataTree:
    """Open a calibration file and add the fleet (with pathways) and one Sobol study."""
    from ..posterior.fleet import fleet_posterior
    from ..files.store import load
    from ..posterior.calibration_file import open_calibration
    from ..paper.presets import get_preset
    from ..posterior.pushforward import Scenario
    from ..posterior.sensitivity import posterior_sobol

    step(f"opening {path}")
    tree = load(path)
    post, cat, traces = open_calibration(tree)
    step("fleet and efficiency pathways")
    mix_text = ", ".join(f"{m}:{r}:{s:g}" for m, r, s in DEFAULT_MIX)
    records = fleet_posterior(post, cat, traces, list(DEFAULT_MIX), 1e9, Scenario(), get_preset("paper-v2"), seed=seed)
    tree["fleet"] = posterior_fleet_dataset(records, mix_text, 1e9)
    step("Sobol sensitivity")
    model, regime = DEFAULT_SENSITIVITY
    sobol = posterior_sobol(post, cat, traces, Scenario(model=model, regime=regime), n=2**12, seed=seed)
    tree["sensitivity"] = sensitivity_dataset(sobol, "calibrated posterior")
    return tree


# --- HTML -------------------------------------------------------------------------------

def attach_validation(tree: xr.DataTree, path: Path) -> xr.DataTree:
    """Add the results of ``inference-energy validate`` (its JSON) as a ``validation`` group."""
    payload = json.loads(Path(path).read_text())
    if "rows" not in payload or "summary" not in payload:
        raise ValueError(f"{path}: not the output of `inference-energy validate`")
    if tree.attrs.get("data_sha256") and payload.get("data_sha256") != tree.attrs["data_sha256"]:
        raise ValueError(f"{path} validates a calibration of other data than this one's; run validate on it")
    tree["validation"] = xr.Dataset(attrs={"json": json.dumps(payload)})
    return tree


def validation_section(tree: xr.DataTree) -> str:
    """Each production source left out: its figures, the prediction without it, coverage."""
    if "validation" not in tree:
        return ("<p>Not run for this page: <code>inference-energy validate --posterior FILE --output V.json</code>, "
                "then <code>report --validation V.json</code>.</p>")
    from .validation import validation_payload

    v = validation_payload(tree)
    s = v["summary"]
    rows = [[r["row"], r["source"], r["quantity"], r["unit"], r["observed"], r["p50"], f"{r['p5']:.3g} - {r['p95']:.3g}",
             r["pit"], "yes" if r["covered"] else "NO", r["method"]] for r in v["rows"]]
    return (f"<p>Each production source left out in turn ({'refit' if not v['refit']['psis_where_reliable'] else 'refit, or PSIS-LOO where Pareto k < 0.7'}): "
            f"{s['sources_covered']} of {s['sources']} sources and {s['rows_covered']} of {s['rows']} figures inside "
            "their 90 % predictive interval. This is how far a production estimate can be trusted: a source the "
            "rest of the data do not predict is one the estimate leans on.</p>"
            + _table(["row", "source", "quantity", "unit", "published", "predicted P50", "predicted P5-P95", "PIT",
                      "covered", "method"], rows))


def _table(header: list[str], rows: list[list]) -> str:
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return f"{v:.3g}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def headline(tree: xr.DataTree) -> str:
    """The headline estimates as HTML tables, units in every header."""
    from .plots import is_calibration

    if is_calibration(tree):
        ds = tree["energy"].to_dataset().sel(scope="facility")
        mq = ds["median_query_energy"].quantile([0.05, 0.5, 0.95], dim=("chain", "draw")).values  # (q, scenario)
        rq = ds["random_query_energy"]
        regime_rank = np.array([REGIME_ORDER.index(r) if r in REGIME_ORDER else len(REGIME_ORDER)
                                for r in ds["regime"].values])
        order = np.lexsort((mq[1], regime_rank))
        rows = [[ds["model"].values[i], ds["regime"].values[i], ds["hardware"].values[i], ds["serving"].values[i],
                 mq[1, i], f"{mq[0, i]:.3g} - {mq[2, i]:.3g}",
                 *(float(rq.sel(statistic=s).values[i]) for s in ("p5", "p50", "p95", "mean"))] for i in order]
        return ("<p>Facility-boundary energy of one query. <b>Median query</b>: the typical query of the scenario; "
                "its 90 % credible interval is parameter uncertainty alone. <b>Random query</b>: P5-P95 of a query drawn "
                "at random (per-query variation and parameter uncertainty together).</p>"
                + _table(["model", "regime", "hardware", "serving", "median query P50 [Wh]", "median query 90 % CI [Wh]",
                          "random query P5 [Wh]", "random query P50 [Wh]", "random query P95 [Wh]", "random query mean [Wh]"],
                         rows))
    e = tree["summary"]["energy"]
    rows = [[m, r, *(float(e.sel(regime=r, model=m, statistic=s)) for s in ("p5", "p25", "p50", "p75", "p95", "mean"))]
            for r in e["regime"].values for m in e["model"].values]
    return (f"<p>Energy per query at the facility boundary ({html.escape(e.attrs.get('long_name', ''))}); the preset's "
            "hand-set ranges mix parameter uncertainty and per-query variation.</p>"
            + _table(["model", "regime", "P5 [Wh]", "P25 [Wh]", "P50 [Wh]", "P75 [Wh]", "P95 [Wh]", "mean [Wh]"], rows))


def summary(tree: xr.DataTree) -> str:
    """One sentence: what was run, on which data, and whether its checks passed."""
    from .plots import is_calibration

    sha = html.escape(tree.attrs.get("data_sha256", "")[:12])
    if not is_calibration(tree):
        return (f"A forward Monte Carlo of the seed paper's hand-set inputs (preset "
                f"{html.escape(str(tree.attrs.get('preset', '')))}, seed {tree.attrs.get('seed', '')}, data {sha}).")
    d = json.loads(tree.attrs["diagnostics"])
    checks = tree["checks"].to_dataset()
    verdict = "passed its convergence gate" if d.get("passed") else "<b>FAILED its convergence gate</b>"
    return (f"A calibration on {checks.sizes['row']} likelihood rows (data {sha}, seed {tree.attrs.get('seed', '')}) that "
            f"{verdict} (max r_hat {d['max_rhat']:.4f}, min bulk ESS {d['min_ess_bulk']:.0f}, {d['divergences']} "
            f"divergences); {int(checks['outside_posterior_90'].sum())} rows fall outside their posterior predictive "
            "90 % interval.")


def diagnostics(tree: xr.DataTree) -> str:
    from .plots import is_calibration

    if not is_calibration(tree):
        return ("<p>A forward Monte Carlo of the preset's hand-set inputs: no sampler, so no convergence diagnostics. "
                f"Draws per model and regime: {html.escape(str(json.loads(tree.attrs['config']).get('draws', '')))}.</p>")
    d = json.loads(tree.attrs["diagnostics"])
    verdict = "passed" if d.get("passed") else "FAILED: " + "; ".join(d.get("problems", []))
    checks, sources = tree["checks"].to_dataset(), tree["sources"].to_dataset()
    outside = int(checks["outside_posterior_90"].sum())
    src_rows = [[s, int(n), float(o), float(z), float(k)] for s, n, o, z, k in zip(
        sources["source"].values, sources["rows"].values, sources["share_outside_90"].values,
        sources["mean_abs_z"].values, sources["loso_khat"].values)]
    src_rows.sort(key=lambda r: -r[4])
    return (_table(["max r_hat [1]", "min bulk ESS [draws]", "min tail ESS [draws]", "divergences [1]", "sampling [s]", "gate"],
                   [[d["max_rhat"], d["min_ess_bulk"], d["min_ess_tail"], d["divergences"], d["seconds"], verdict]])
            + "<p>Gate: r_hat &le; 1.01, bulk and tail ESS &ge; 400, no divergences. "
            f"{outside} of {checks.sizes['row']} calibration rows fall outside their posterior predictive 90 % "
            "interval (about 10 % expected).</p>"
            + _table(["source", "likelihood rows", "share outside 90 % [1]", "mean |z| [1]", "leave-source-out k-hat [1]"],
                     src_rows))


def provenance(tree: xr.DataTree, origin: str) -> str:
    a = tree.attrs
    rows = [["origin", origin], ["kind", a.get("kind", "")], ["schema version", a.get("schema_version", "")],
            ["package version (run)", a.get("package_version", "")], ["package version (report)", __version__],
            ["created", a.get("created_at", "")], ["seed", a.get("seed", "")], ["data SHA-256", a.get("data_sha256", "")]]
    config = json.dumps(json.loads(a["config"]), indent=1) if "config" in a else ""
    versions = a.get("versions", "")
    return (_table(["field", "value"], rows)
            + f"<details><summary>configuration</summary><pre>{html.escape(config)}</pre></details>"
            + f"<details><summary>library versions</summary><pre>{html.escape(str(versions))}</pre></details>")


SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images-total', imgs.length);
  document.body.setAttribute('data-images-loaded', ok);
});
"""

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; } pre { font-size: 0.75em; overflow-x: auto; }
"""


def render_html(tree: xr.DataTree, figures: dict[str, tuple[bytes, str]], origin: str) -> str:
    """The whole page: headline, figures (PNG bytes, caption), diagnostics, provenance."""
    from .plots import is_calibration

    title = ("Calibrated energy per LLM query" if is_calibration(tree)
             else f"Energy per LLM query: preset {tree.attrs.get('preset', '')}")
    figs = "".join(
        f'<figure id="fig-{name}"><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"><figcaption>{html.escape(caption)}</figcaption></figure>'
        for name, (png, caption) in figures.items())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    contents = " &middot; ".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("headline", "Headline estimates"), ("figures", "Figures"), ("diagnostics", "Diagnostics"),
        ("validation", "Production sources left out"), *((("account", "Usage account"),) if "account" in tree else ()),
        ("provenance", "Provenance")))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body>"
            f"<h1>{html.escape(title)}</h1><p>inference-energy {__version__}, report written {now} from "
            f"<code>{html.escape(origin)}</code>.</p><p>{summary(tree)}</p><p>{contents}</p>"
            f"<h2 id=\"headline\">Headline estimates</h2>{headline(tree)}"
            f"<h2 id=\"figures\">Figures</h2>{figs}"
            f"<h2 id=\"diagnostics\">Diagnostics</h2>{diagnostics(tree)}"
            f"<h2 id=\"validation\">Production sources left out</h2>{validation_section(tree)}"
            f"{_account_html(tree)}"
            f"<h2 id=\"provenance\">Provenance</h2>{provenance(tree, origin)}"
            "</body></html>")


def _account_html(tree: xr.DataTree) -> str:
    """The usage account section, when ``report --account`` attached one (group ``account``)."""
    if "account" not in tree:
        return ""
    from ..posterior.calibration_file import read_model_inputs
    from .account_report import account_section

    closed = read_model_inputs(tree["model_inputs"].to_dataset())[0].closed_models if "model_inputs" in tree else None
    return f"<h2 id=\"account\">Usage account</h2>{account_section(tree['account'], closed)}"


def _caption(make) -> str:
    return (make.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


def write_report(tree: xr.DataTree, out_dir: Path, origin: str, force: bool = False, step: Step = _quiet) -> Path:
    """Draw the figures, write ``out_dir/index.html`` and ``out_dir/figures/*.png``; atomic, refuses to
    replace a non-empty ``out_dir`` without ``force``.  Returns the HTML path."""
    from .plots import figure_makers, save_figures

    def fill(tmp: Path) -> None:
        makers = figure_makers(tree)
        paths = save_figures(tree, tmp / "figures", on_figure=lambda name: step(f"figure {name}"))
        figures = {p.stem: (p.read_bytes(), _caption(makers[p.stem])) for p in paths}
        step("writing HTML")
        (tmp / "index.html").write_text(render_html(tree, figures, origin), encoding="utf-8")

    return write_dir_atomically(out_dir, fill, force) / "index.html"


def write_dir_atomically(out_dir: Path, fill: Callable[[Path], None], force: bool = False) -> Path:
    """``fill`` a temporary sibling directory, then rename it to ``out_dir``: a failure leaves nothing
    half-written, and a non-empty ``out_dir`` is replaced only with ``force``."""
    check_out_dir(out_dir, force)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        tmp.chmod(0o755)
        fill(tmp)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse early (before any work) to replace an existing non-empty directory without ``force``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise FileExistsError(f"{out_dir} exists and is not empty; pass --force to replace it")
