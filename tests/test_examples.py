"""Every example in examples/ runs, and prints what it should.

Each example runs as a subprocess (`python examples/X.py --workdir DIR`) in a temporary
directory.  One module-scoped fixture runs calibrate_and_estimate.py once (about two minutes)
and the examples that read DIR/posterior.nc share its workdir.  `test_every_example_is_tested`
fails when a file in examples/ is missing from EXAMPLES, so no example escapes CI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import xarray as xr

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 900  # seconds; a calibration takes about two minutes on two cores
SCOPES = ("gpu", "node", "it", "facility")


def run(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLES_DIR / name), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)


def succeeded(proc: subprocess.CompletedProcess) -> bool:
    return proc.returncode == 0


# --- what each example must print (beyond exiting 0) --------------------------------------------


def check_reproduce_paper(workdir: Path, out: str) -> None:
    """The legacy stream reproduces the published traditional P50 of both versions to within 2 %."""
    rows = re.findall(r"^trad p50\s+Wh\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, re.MULTILINE)
    assert len(rows) == 2, out
    for published, legacy, generator in rows:
        assert abs(float(legacy) / float(published) - 1) < 0.02
        assert abs(float(generator) / float(published) - 1) < 0.02


ESTIMATE_ROW = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(gpu|node|it|facility)\s+Wh\s+(\S+) \[(\S+) - (\S+)\]\s+\S+\s+"
                          r"(\S+) - (\S+)\s+\S+$", re.MULTILINE)


def check_calibrate_and_estimate(workdir: Path, out: str) -> None:
    for text in ("max r_hat", "min bulk ESS", "divergences", "diagnostics passed", "typical query", "random query"):
        assert text in out, text
    tree = xr.open_datatree(workdir / "posterior.nc")
    assert tree.attrs["kind"] == "calibration" and tree.attrs["diagnostics_passed"] == 1 and tree.attrs["run_id"]
    assert tree["energy"]["median_query_energy"].attrs["units"] == "Wh"
    tree.close()
    table: dict[tuple, dict[str, list[float]]] = {}
    for model, hw, regime, scope, *values in ESTIMATE_ROW.findall(out):
        table.setdefault((model, hw, regime), {})[scope] = [float(v) for v in values]
    assert len(table) >= 2, out
    for key, rows in table.items():
        assert tuple(rows) == SCOPES, key
        p50 = [rows[s][0] for s in SCOPES]
        assert p50 == sorted(p50), key  # gpu < node < it < facility
        for scope, (med, med_lo, med_hi, lo, hi) in rows.items():
            assert med_lo < med < med_hi and lo < med < hi, (key, scope)
            assert hi / lo > med_hi / med_lo, (key, scope)  # a random query varies more than the typical one is uncertain


def check_new_telemetry(workdir: Path, out: str) -> None:
    for text in ("NEW01", "pue_hyperscale", "shift/MCSE", "energy_per_query", "Wh"):
        assert text in out, text
    old, new = (xr.open_datatree(workdir / f) for f in ("posterior.nc", "posterior-updated.nc"))
    assert json.loads(new.attrs["rows_added"]) == ["NEW01"] and new.attrs["diagnostics_passed"] == 1
    assert new.attrs["update_of"] == old.attrs["run_id"] and new.attrs["data_sha256"] != old.attrs["data_sha256"]
    old.close()
    new.close()


def sobol_s1(out: str, title: str) -> dict[str, float]:
    """S1 per input of the first Sobol table whose title contains ``title``."""
    block = out[out.index(title):].split("\n\n")[0]
    return {m.group(1).strip(): float(m.group(2))
            for m in re.finditer(r"^  (\S.*?)\s+(-?[\d.]+)\s+[\d.]+\s+-?[\d.]+\s+[\d.]+\s+-?[\d.]+$", block, re.MULTILINE)}


def check_sensitivity(workdir: Path, out: str) -> None:
    calibrated = sobol_s1(out, "calibrated posterior")
    preset = sobol_s1(out, "preset paper-v2")
    assert set(calibrated) == {"parameters (posterior draw)", "output tokens", "input tokens", "operator PUE"}
    assert set(preset) == {"output tokens", "power utilization", "PUE"}
    assert calibrated["output tokens"] > calibrated["operator PUE"]
    assert preset["output tokens"] > 0.5  # the paper's spread is the query's length
    for text in ("Validity check", "Power-scaling", "the prior decides", "host_ratio", "step_overhead"):
        assert text in out, text


def check_load_posterior(workdir: Path, out: str) -> None:
    for text in ("/posterior", "/energy", "median_query_energy [Wh]", "hardware_tdp [W]", "long / traditional",
                 "fleet_energy", "GWh/day"):
        assert text in out, text
    fitted = json.loads((workdir / "energy_prior_median.json").read_text())
    assert fitted["prior"]["dist"] == "LogNormal" and fitted["units"] == "Wh" and fitted["kind"] == "median"
    fleet = re.search(r"^  fleet_energy\s+GWh/day\s+(\S+)\s+(\S+)\s+(\S+)$", out, re.MULTILINE)
    lo, mid, hi = (float(v) for v in fleet.groups())
    assert 0 < lo < mid < hi


def check_compare_ecologits(workdir: Path, out: str) -> None:
    for text in ("EcoLogits", "Wh", "Llama-3.1-70B"):
        assert text in out, text


FLOOR_ROW = re.compile(r"^(.{42}) +(\S+) +(\S+) +(\S+) \[(\S+)-(\S+)\] +(\S+) +(\S+) +(\d+)$", re.MULTILINE)


def check_physical_floors(workdir: Path, out: str) -> None:
    """Four cases; hand counts as in tests/test_serving_law.py; every estimate at or above its floor; no draw below."""
    rows = {m.group(1).strip(): m.groups()[1:] for m in FLOOR_ROW.finditer(out)}
    assert len(rows) == 4, out
    flops = {label: float(v[0]) for label, v in rows.items()}
    assert abs(flops["Llama-3.1-70B 100k fresh context, H100"] / 2.71e16 - 1) < 0.01
    assert abs(flops["Llama-3.1-405B 128/128, H100 vendor max"] / 1.04e14 - 1) < 0.01
    for label, (flop, floor, p50, p5, p95, step_floor, step, below) in rows.items():
        assert float(p5) >= float(floor) * 0.999 and float(step) >= float(step_floor) * 0.999, label
        assert below == "0", label


def check_account_usage(workdir: Path, out: str) -> None:
    """Per-model totals with units; the per-draw interval is narrower than the naive sum of quantiles."""
    for text in ("shipped reference posterior", "P50 kWh", "gpt-4o-mini", "naive sum", "kgCO2e", "Wh"):
        assert text in out, text
    right = re.search(r"per-draw sum P5-P95: \S+ kWh \(width (\S+)x\)", out)
    naive = re.search(r"naive sum of per-model P5 and P95: \S+ kWh \(width (\S+)x\)", out)
    assert float(right.group(1)) < float(naive.group(1))
    assert xr.open_datatree(workdir / "account.nc").attrs["kind"] == "account"


def check_make_usage_log(workdir: Path, out: str) -> None:
    """Seeded: it writes the shipped example log again, byte for byte."""
    assert (workdir / "usage_log.csv").read_bytes() == (EXAMPLES_DIR / "usage_log.csv").read_bytes()


@dataclass(frozen=True)
class Example:
    check: Callable[[Path, str], None]
    posterior: bool = True  # reads WORKDIR/posterior.nc (and exits 2 without it)


EXAMPLES = {
    "reproduce_paper.py": Example(check_reproduce_paper, posterior=False),  # takes no arguments
    "account_usage.py": Example(check_account_usage, posterior=False),  # the shipped reference posterior
    "make_usage_log.py": Example(check_make_usage_log, posterior=False),
    "calibrate_and_estimate.py": Example(check_calibrate_and_estimate, posterior=False),
    "new_telemetry_and_compare.py": Example(check_new_telemetry),
    "sensitivity_study.py": Example(check_sensitivity),
    "load_posterior.py": Example(check_load_posterior),
    "compare_ecologits.py": Example(check_compare_ecologits),
    "physical_floors.py": Example(check_physical_floors),
}
READERS = [name for name, ex in EXAMPLES.items() if ex.posterior]


def require(name: str) -> None:
    if not (EXAMPLES_DIR / name).exists():
        pytest.skip(f"examples/{name} does not exist yet")


# --- the tests --------------------------------------------------------------------------------


def test_every_example_is_tested():
    on_disk = {p.name for p in EXAMPLES_DIR.glob("*.py")}
    untested = sorted(on_disk - set(EXAMPLES))
    assert not untested, f"add {', '.join(untested)} to EXAMPLES in tests/test_examples.py"


def test_every_example_is_in_the_readme():
    readme = (EXAMPLES_DIR / "README.md").read_text()
    for name in EXAMPLES:
        if (EXAMPLES_DIR / name).exists():
            assert f"python examples/{name}" in readme, name


def test_reproduce_paper(tmp_path):
    proc = run("reproduce_paper.py", cwd=tmp_path)
    assert succeeded(proc), proc.stderr[-3000:]
    check_reproduce_paper(tmp_path, proc.stdout)


def test_account_usage(tmp_path):
    proc = run("account_usage.py", "--workdir", str(tmp_path), cwd=tmp_path)
    assert succeeded(proc), proc.stderr[-3000:]
    check_account_usage(tmp_path, proc.stdout)


def test_make_usage_log(tmp_path):
    proc = run("make_usage_log.py", "--out", str(tmp_path / "usage_log.csv"), cwd=tmp_path)
    assert succeeded(proc), proc.stderr[-3000:]
    check_make_usage_log(tmp_path, proc.stdout)


@pytest.mark.parametrize("name", READERS)
def test_an_example_without_a_posterior_says_what_to_run(name, tmp_path):
    require(name)
    proc = run(name, "--workdir", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "calibrate_and_estimate.py" in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def workdir(examples_workdir) -> Path:
    """The session's workdir holding posterior.nc, written once by calibrate_and_estimate.py (conftest)."""
    return examples_workdir


@pytest.mark.slow
def test_calibrate_and_estimate(workdir):
    check_calibrate_and_estimate(workdir, (workdir / "calibrate_and_estimate.out").read_text())


@pytest.mark.slow
def test_calibrate_and_estimate_refuses_to_overwrite(workdir):
    before = (workdir / "posterior.nc").stat().st_mtime_ns
    proc = run("calibrate_and_estimate.py", "--workdir", str(workdir), cwd=workdir)
    assert proc.returncode != 0 and "--force" in proc.stderr
    assert (workdir / "posterior.nc").stat().st_mtime_ns == before


@pytest.mark.slow
@pytest.mark.parametrize("name", READERS)
def test_an_example_on_the_posterior(name, workdir):
    require(name)
    proc = run(name, "--workdir", str(workdir), cwd=workdir)
    assert succeeded(proc), proc.stderr[-3000:]
    EXAMPLES[name].check(workdir, proc.stdout)
