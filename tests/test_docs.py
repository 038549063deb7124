"""The documentation site builds under ``mkdocs build --strict``, and its generated parts match the code.

One build (a subprocess, as CI runs it; no network needed) is shared by the tests of this module.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs extra is not installed")
pytest.importorskip("material", reason="the docs extra is not installed")
pytest.importorskip("mkdocstrings_handlers.python", reason="the docs extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _hook_module():
    spec = importlib.util.spec_from_file_location("docs_hooks_generated", DOCS / "hooks" / "generated.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(markup: str) -> str:
    """Visible text of an HTML page, whitespace collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _plain(docstring_line: str) -> str:
    """A docstring line as it reads once rendered: no Sphinx roles, backticks or ``~``."""
    line = re.sub(r":(?:py:)?\w+:`~?([^`]+)`", lambda m: m[1].rsplit(".", 1)[-1] if "~" in m[0] else m[1], docstring_line)
    return " ".join(line.replace("`", "").split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's banner about MkDocs 2.0
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


def _page(site: Path, src: str) -> str:
    name = src.removesuffix(".md")
    return (site / ("index.html" if name == "index" else f"{name}/index.html")).read_text(encoding="utf-8")


def _nav_pages() -> list[str]:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            yield from walk(value) if isinstance(value, list) else [value]

    return list(walk(config["nav"]))


def test_every_page_of_the_nav_is_built(site):
    pages = _nav_pages()
    for required in ("index.md", "getting-started.md", "concepts.md", "model.md", "data-schema.md", "cli.md",
                     "api.md", "limitations.md", "benchmarks.md"):
        assert required in pages
    for src in pages:
        assert _page(site, src), src
    # every markdown file in docs/ is in the nav (none is built and then unreachable)
    assert sorted(p.name for p in DOCS.glob("*.md")) == sorted(pages)


def test_cli_reference_lists_every_command_of_the_app(site):
    import typer

    from inference_energy.cli import app

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="inference-energy")
    names = [n for n in group.list_commands(ctx) if not group.get_command(ctx, n).hidden]
    page = _page(site, "cli.md")
    text = _text(page)
    assert len(names) >= 9
    for name in names:
        command = group.get_command(ctx, name)
        assert f'id="{name}"' in page, f"no section for command {name!r}"
        assert f"inference-energy {name} [OPTIONS]" in text or f"inference-energy {name} " in text
        sub = command.context_class(command, info_name=name, parent=ctx)
        for param in command.get_params(sub):
            if param.name != "help" and not getattr(param, "hidden", False):
                flag = param.opts[0]
                assert flag in text, f"{name}: {flag} missing from the CLI reference"
    assert "--install-completion" in text and "--show-completion" in text


def test_api_reference_renders_the_docstrings(site):
    page = _page(site, "api.md")
    text = _text(page)
    modules = re.findall(r"^:::\s+([\w.]+)", (DOCS / "api.md").read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert "inference_energy.files.store" in modules and "inference_energy.posterior.pushforward" in modules
    for name in modules:
        module = importlib.import_module(name)
        summary = inspect.getdoc(module).splitlines()[0]
        assert _plain(summary) in text, f"{name}: module docstring not rendered"
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != name or not inspect.getdoc(obj):
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                assert f'id="{name}.{attr}"' in page, f"{name}.{attr} has no entry"
    assert _plain(inspect.getdoc(importlib.import_module("inference_energy.files.store").load).splitlines()[0]) in text
    # Sphinx roles in the source render as links or code, never literally
    assert not re.search(r":(func|class|meth|mod|attr|data):", text)


def test_data_schema_page_is_the_calibration_readme(site):
    readme = (ROOT / "calibration_data" / "README.md").read_text(encoding="utf-8")
    text = _text(_page(site, "data-schema.md"))
    headings = re.findall(r"^#{1,4} (.+)$", readme, flags=re.MULTILINE)
    assert len(headings) > 10
    for heading in headings:
        assert _plain(heading) in text, heading


def test_prior_table_is_generated_from_priors_py(site):
    from inference_energy.model.priors import PRIOR_TABLE

    hook = _hook_module()
    imported = [(n, p.distribution, dict(p.parameters), r) for n, (p, r) in PRIOR_TABLE.items()]
    assert hook.prior_entries(source_only=True) == imported  # the fast path reads what the module holds
    page = _page(site, "model.md")
    for name in PRIOR_TABLE:
        assert f"<code>{name}</code>" in page


def test_committed_generated_blocks_are_current():
    stale = _hook_module().stale_copies()
    assert not stale, (f"generated blocks of {', '.join(f'docs/{n}' for n in stale)} are out of date: "
                       "run `python docs/hooks/generated.py` and commit the result")


def test_benchmark_figure_is_drawn(site):
    svg = (site / "generated" / "benchmarks.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    assert "generated/benchmarks.svg" in _page(site, "benchmarks.md")
