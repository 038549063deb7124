"""MkDocs hook: the parts of the site that are generated from the code instead of copied by hand.

A page asks for a generated block with a pair of markers::

    <!-- generated:NAME -->
    (anything: replaced at build time)
    <!-- /generated:NAME -->

Blocks:

- ``prior-table``: the default priors, from ``inference_energy.model.priors.PRIOR_TABLE``;
- ``cli-reference``: every command of the typer app ``inference_energy.cli.app`` with its usage,
  arguments and options, walked from ``typer.main.get_command(app)``;
- ``benchmark-figures``: figures drawn from the output that ``docs/benchmarks.md`` records
  verbatim (SVG, added to the site; nothing is re-run).

``docs/model.md`` keeps a copy of the prior table between its markers so that it reads well
outside the site; ``python docs/hooks/generated.py`` rewrites such copies from the code, and
``tests/test_docs.py`` fails when they are stale.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

MARKER = re.compile(r"<!-- generated:(?P<name>[a-z0-9-]+) -->\n.*?<!-- /generated:(?P=name) -->", re.DOTALL)
DOCS = Path(__file__).resolve().parents[1]
#: Committed pages whose generated blocks are kept in step with the code (see ``main``).
COMMITTED_COPIES = {"model.md": ("prior-table",)}
BENCHMARK_FIGURE = "generated/benchmarks.svg"  # site path; docs/figures/ holds committed images


# --- markdown helpers -----------------------------------------------------------------------

def _cell(text: str, table: bool = True) -> str:
    """Plain text as markdown, on one line: markup characters are escaped outside `code` spans
    (and ``|`` too, in a table cell)."""
    parts = re.split(r"(`[^`]*`)", " ".join(str(text).split()))
    return "".join(part if part.startswith("`") else _escape(part, table) for part in parts)


def _escape(text: str, table: bool) -> str:
    for char in "\\[]*_" + ("|" if table else ""):
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;")


def _prose(text: str) -> str:
    """A docstring or help text as markdown paragraphs (the CLI's text is plain prose)."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "\n\n".join(_cell(p, table=False) for p in paragraphs)


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _number(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


# --- prior-table ----------------------------------------------------------------------------

def prior_entries(source_only: bool = False) -> list[tuple[str, str, dict, str]]:
    """(name, distribution, parameters, reason) of every default prior in ``priors.PRIOR_TABLE``.

    Read from the source of ``priors.py``, whose table is a literal of ``_p(dist, reason, **params)``
    calls, so that building the site does not import PyMC (about 5 s). If the source stops
    following that pattern, the module is imported instead; ``tests/test_docs.py`` checks that
    both ways give the same table.
    """
    try:
        return _prior_entries_from_source()
    except Exception:
        if source_only:
            raise
    from inference_energy.model.priors import PRIOR_TABLE

    return [(name, prior.distribution, dict(prior.parameters), reason) for name, (prior, reason) in PRIOR_TABLE.items()]


def _prior_entries_from_source() -> list[tuple[str, str, dict, str]]:
    import ast
    import importlib.util
    import math

    origin = importlib.util.find_spec("inference_energy.model.priors").origin
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    table = next(node.value for node in tree.body if isinstance(node, ast.AnnAssign | ast.Assign)
                 and "PRIOR_TABLE" in [t.id for t in getattr(node, "targets", [getattr(node, "target", None)])
                                       if isinstance(t, ast.Name)])
    names = {"LN": math.log, "math": math}

    def value(node):
        return eval(compile(ast.Expression(node), origin, "eval"), {"__builtins__": {}}, names)

    entries = []
    for key, call in zip(table.keys, table.values, strict=True):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_p"):
            raise ValueError("PRIOR_TABLE entry is not a _p(...) call")
        dist, reason = (value(arg) for arg in call.args)
        entries.append((value(key), dist, {kw.arg: value(kw.value) for kw in call.keywords}, reason))
    return entries


def prior_table() -> str:
    lines = ["| name | prior | reason / source |", "|---|---|---|"]
    for name, dist, params, reason in prior_entries():
        args = ", ".join(f"{k}={_number(v)}" for k, v in params.items())
        lines.append(f"| `{name}` | {dist}({args}) | {reason.replace('|', '/')} |")
    return "\n".join(lines)


# --- cli-reference --------------------------------------------------------------------------

def _help_rows(command, ctx, skip_help: bool = True) -> list[str]:
    rows = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False) or (skip_help and param.name == "help"):
            continue
        record = param.get_help_record(ctx) if hasattr(param, "get_help_record") else None
        if record is None:  # a plain click Argument has no help record
            record = (param.human_readable_name, getattr(param, "help", "") or "")
        names, text = record
        if getattr(param, "required", False) and "[required]" not in text:
            text = f"{text}  [required]".strip()
        rows.append(f"| {_code(names)} | {_cell(text)} |")
    return rows


def cli_reference() -> str:
    import importlib

    import typer

    # reloaded on every build, so that `mkdocs serve` shows a command as soon as it is added
    cli = importlib.reload(importlib.import_module("inference_energy.cli"))
    group = typer.main.get_command(cli.app)
    prog = "inference-energy"
    ctx = group.context_class(group, info_name=prog)
    names = [n for n in group.list_commands(ctx) if not group.get_command(ctx, n).hidden]
    out = [
        (f"Generated from the typer app when this site was built: every command of this version, "
         f"in the order `{prog} --help` lists them ({len(names)} commands). Every command also takes "
         f"`--help`."),
        "",
        "```text",
        group.get_usage(ctx),
        "```",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for name in names:
        out.append(f"| [`{name}`](#{name}) | {_cell(group.get_command(ctx, name).get_short_help_str(limit=300))} |")
    out += ["", "Options of `inference-energy` itself (before the command):", "",
            "| option | description |", "|---|---|", *_help_rows(group, ctx, skip_help=False)]
    for name in names:
        command = group.get_command(ctx, name)
        sub = command.context_class(command, info_name=name, parent=ctx)
        out += ["", f"## {name} {{#{name}}}", "", _prose((command.help or "").split("\f")[0]), "", "```text",
                command.get_usage(sub), "```", "",
                "| argument or option | description |", "|---|---|", *_help_rows(command, sub)]
    return "\n".join(out)


# --- benchmark-figures ----------------------------------------------------------------------

def _tables(text: str, header_start: str) -> list[list[dict[str, str]]]:
    """Every fixed-width output table whose header line starts with ``header_start``, as rows
    keyed by the header (columns are separated by two or more spaces)."""
    lines = text.splitlines()
    tables = []
    for start in [i for i, line in enumerate(lines) if line.startswith(header_start)]:
        header = re.split(r"\s{2,}", lines[start].strip())
        rows = []
        for line in lines[start + 2:]:
            if not line.strip() or line.startswith((" ", "-", "`")):
                break
            rows.append(dict(zip(header, re.split(r"\s{2,}", line.strip()))))
        tables.append(rows)
    if not tables:
        raise ValueError(f"benchmarks.md: no recorded table starting with {header_start!r}")
    return tables


def benchmark_svg(page_markdown: str) -> str:
    """Bar charts of the recorded simulate and sampler benchmarks (numbers parsed from the page)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "inference-energy"  # reproducible SVG ids
    sim = _tables(page_markdown, "variant ")[0]
    runs = _tables(page_markdown, "sampler ")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    labels = [r["variant"] for r in sim][::-1]
    rate = [float(r["throughput [draws/s]"].replace(",", "")) for r in sim][::-1]
    ax1.barh(labels, rate, color="#3f6fb5")
    ax1.set_xscale("log")
    ax1.set_xlim(right=max(rate) * 10)
    ax1.set_xlabel("energy draws per second (log scale)")
    ax1.set_title("simulate --preset paper-v2 (bench_simulate.py)", fontsize=10)
    for y, v in enumerate(rate):
        ax1.text(v, y, f" {v / 1e6:.2g} M/s", va="center", fontsize=8)
    names = [r["sampler"] for r in runs[0]][::-1]
    height = 0.8 / len(runs)
    for k, (run, color) in enumerate(zip(runs, ("#5a9e6f", "#a7cfa9", "#d5e8d4"))):
        by_name = {r["sampler"]: float(r["ESS/s [1/s]"]) for r in run}
        ys = [y - 0.4 + height * (len(runs) - k - 0.5) for y in range(len(names))]
        values = [by_name.get(name, float("nan")) for name in names]
        ax2.barh(ys, values, height=height, color=color, label=("first run", "second run", "third run")[k])
        for y, v in zip(ys, values):
            ax2.text(v, y, f" {v:g}", va="center", fontsize=7)
    ax2.set_yticks(range(len(names)), names)
    ax2.set_xlim(right=max(float(r["ESS/s [1/s]"]) for run in runs for r in run) * 1.2)
    ax2.set_xlabel("minimum bulk ESS per second of sampling")
    ax2.set_title("samplers, 2 chains (bench_calibrate.py)", fontsize=10)
    ax2.legend(fontsize=8, loc="lower right")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def benchmark_figures(page_markdown: str) -> str:
    return (f"![Throughput of the simulate variants and sampling efficiency of the samplers]({BENCHMARK_FIGURE})\n\n"
            "Drawn when the site is built, from the outputs recorded verbatim on this page: the `simulate` "
            "table, and each recorded run of the sampler comparison. Nothing is re-run.")


GENERATORS = {
    "prior-table": lambda page_markdown: prior_table(),
    "cli-reference": lambda page_markdown: cli_reference(),
    "benchmark-figures": benchmark_figures,
}


def render_blocks(markdown: str, where: str = "page", only: tuple[str, ...] | None = None) -> str:
    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise ValueError(f"{where}: unknown generated block {name!r}; known: {', '.join(GENERATORS)}")
        if only is not None and name not in only:
            return match[0]
        return f"<!-- generated:{name} -->\n{GENERATORS[name](markdown)}\n<!-- /generated:{name} -->"

    return MARKER.sub(replace, markdown)


# --- mkdocs events --------------------------------------------------------------------------

def on_config(config, **kwargs):
    """Resolve snippet includes (``--8<-- "calibration_data/README.md"``) from the repository root,
    wherever ``mkdocs`` is run from."""
    snippets = config.mdx_configs.get("pymdownx.snippets")
    if snippets is not None:
        snippets["base_path"] = [str(Path(config.config_file_path).resolve().parent)]
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    from mkdocs.exceptions import PluginError

    try:
        return render_blocks(markdown, page.file.src_uri)
    except ValueError as exc:
        raise PluginError(str(exc)) from exc


def on_files(files, config, **kwargs):
    """Add the benchmark figure, drawn from the numbers ``benchmarks.md`` records, to the site."""
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    page = files.get_file_from_path("benchmarks.md")
    if page is not None and "<!-- generated:benchmark-figures -->" in page.content_string:
        try:
            svg = benchmark_svg(page.content_string)
        except (ValueError, KeyError) as exc:
            raise PluginError(f"benchmarks.md: cannot draw the benchmark figure from the recorded output ({exc!r})") from exc
        files.append(File.generated(config, BENCHMARK_FIGURE, content=svg))
    return files


# --- keeping the committed copies in step -----------------------------------------------------

def stale_copies() -> dict[str, str]:
    """Committed pages whose generated blocks differ from the code: name -> regenerated text."""
    stale = {}
    for name, blocks in COMMITTED_COPIES.items():
        text = (DOCS / name).read_text(encoding="utf-8")
        fresh = render_blocks(text, name, only=blocks)
        if fresh != text:
            stale[name] = fresh
    return stale


def main() -> int:
    for name, text in stale_copies().items():
        (DOCS / name).write_text(text, encoding="utf-8")
        print(f"rewrote the generated blocks of docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
