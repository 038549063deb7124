"""Figures, the HTML report (rendered in headless Chromium) and the CLI's start-up."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inference_energy.outputs import plots, report
from inference_energy.cli import app

runner = CliRunner()
HEAVY = ("numpy", "pandas", "xarray", "scipy", "pymc", "pytensor", "matplotlib", "arviz", "dask")


def chromium() -> str:
    """Debian's chromium (`.ci/run` installs it); required when INFERENCE_ENERGY_REQUIRE_BROWSER is set."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("INFERENCE_ENERGY_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed but INFERENCE_ENERGY_REQUIRE_BROWSER is set")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


def render(page: Path, profile: Path) -> tuple[int, int]:
    """Open the page in headless Chromium, offline; return (images decoded, images) from the page's own count."""
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body, result.stdout[:500]
    counts = dict(re.findall(r'data-images-(loaded|total)="(\d+)"', body.group(0)))
    assert counts, f"the page's load script did not run: {body.group(0)}"
    return int(counts["loaded"]), int(counts["total"])


@pytest.fixture(scope="module")
def preset_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "paper-v2"
    result = runner.invoke(app, ["report", "--preset", "paper-v2", "--draws", "2000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_preset_report_is_self_contained_with_units_and_provenance(preset_report):
    page = (preset_report / "index.html").read_text()
    figures = sorted(p.stem for p in (preset_report / "figures").glob("*.png"))
    assert figures == ["energy_per_query", "fleet", "pathways", "sensitivity"]
    assert page.count('src="data:image/png;base64,') == len(figures)
    assert not re.search(r'(src|href)="https?://', page), "the report must not load anything from the network"
    for text in ("P50 [Wh]", "frontier-blend", "data SHA-256", "paper-v2", "no convergence diagnostics"):
        assert text in page


def test_report_opens_in_headless_chromium_with_every_figure(preset_report, tmp_path):
    loaded, total = render(preset_report / "index.html", tmp_path / "profile")
    assert (loaded, total) == (4, 4)


def test_a_broken_figure_is_caught_by_the_browser_check(preset_report, tmp_path):
    """Negative control: the same page with one image's bytes corrupted must count one image fewer."""
    page = (preset_report / "index.html").read_text()
    start = page.index("data:image/png;base64,") + len("data:image/png;base64,")
    broken = page[:start] + base64.b64encode(b"not a png").decode() + page[page.index('"', start):]
    (tmp_path / "broken.html").write_text(broken)
    assert render(tmp_path / "broken.html", tmp_path / "profile") == (3, 4)


def test_report_refuses_to_overwrite_without_force(preset_report):
    before = (preset_report / "index.html").stat().st_mtime_ns
    result = runner.invoke(app, ["report", "--preset", "paper-v2", "--draws", "2000", "--out", str(preset_report)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert (preset_report / "index.html").stat().st_mtime_ns == before


def test_report_needs_exactly_one_source(tmp_path):
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "exactly one of" in result.output
    assert not (tmp_path / "r").exists()


def test_figures_command_writes_each_format(tmp_path):
    result = runner.invoke(app, ["figures", "--preset", "paper-v1", "--draws", "1000", "--format", "svg", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    svgs = sorted(tmp_path.glob("*.svg"))
    assert [p.stem for p in svgs] == ["energy_per_query", "fleet", "pathways", "sensitivity"]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in svgs)


def test_figure_functions_return_figures_with_labelled_axes():
    tree = report.gather_preset("paper-v2", draws=1000, seed=1)
    for name, make in plots.figure_makers(tree).items():
        fig = make(tree)
        labels = [ax.get_xlabel() for ax in fig.axes]
        assert any("[" in label for label in labels), f"{name}: no axis says its units: {labels}"


@pytest.mark.parametrize("argv", [[], ["calibrate"], ["estimate"], ["report"], ["figures"], ["sensitivity"], ["simulate"]])
def test_help_imports_no_heavy_library(argv):
    """`--help` must stay fast: no numpy, xarray, pymc or matplotlib at import or help time."""
    code = ("import sys\nfrom inference_energy.cli import main\nsys.argv = ['inference-energy', *sys.argv[1:], '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60)
    assert "Usage" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY []"


@pytest.mark.parametrize("words, cword, expected", [("inference-energy rep", 1, "report"),
                                                    ("inference-energy report --po", 2, "--posterior")])
def test_shell_completion_completes_commands_and_options(words, cword, expected):
    env = {**os.environ, "_INFERENCE_ENERGY_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    exe = shutil.which("inference-energy")
    assert exe, "the console script is installed by pip install -e ."
    result = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
    assert expected in result.stdout.split()


def test_table_cells_keep_bracketed_labels():
    """rich reads '[reasoning]' as markup; labels of vector parameters must survive in printed tables."""
    from rich.console import Console
    from rich.table import Table

    from inference_energy.cli import _fmt_cell

    console = Console(record=True, width=80)
    table = Table()
    table.add_column("parameter")
    table.add_row(_fmt_cell("tps_workload[reasoning]"))
    console.print(table)
    assert "tps_workload[reasoning]" in console.export_text()
