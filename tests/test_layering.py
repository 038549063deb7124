"""The tree is the map: imports run only downward, modules stay small, old paths still work.

Layers, bottom to top (``docs/architecture.md``):

    stats, files  <  data  <  paper | model  <  posterior  <  usage  <  outputs  <  cli  <  the package root (public API)

A module may import its own subpackage and any lower layer; ``paper`` and
``model`` sit side by side and never import each other.  The one exception is
``__version__``, which any module may take from the package root.
"""

from __future__ import annotations

import ast
import importlib
import re
import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

import inference_energy

PACKAGE_DIR = Path(inference_energy.__file__).resolve().parent

LAYERS = {
    "stats": 0, "files": 0,
    "data": 1,
    "paper": 2, "model": 2,
    "posterior": 3,
    "usage": 4,
    "outputs": 5,
    "cli": 6,
    "": 7,  # the package root: the public API (__init__, __main__, _moved)
}
ROOT_MODULES = {"__init__", "__main__", "_moved"}
MAX_LINES = 400
LONG_MODULE_MARK = "longer than 400 lines because"


def _part(module: str, package: str) -> str:
    """The top-level part of ``package.a.b`` -> ``a`` ('' for the package root itself)."""
    first = module[len(package):].lstrip(".").split(".", 1)[0]
    return "" if first in ROOT_MODULES else first


def _imports(path: Path, root: Path, package: str):
    """(line, absolute target module, imported names) of every import in ``path``, nested ones included."""
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        current_pkg = [package, *parts]
    else:
        current_pkg = [package, *parts[:-1]]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = current_pkg[: len(current_pkg) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == package or target.startswith(package + "."):
                names = tuple(a.name for a in node.names)
                if node.module is None or target == package:  # `from .. import data, paper`: submodules
                    for name in names:
                        yield node.lineno, (f"{target}.{name}" if name != "__version__" else target), (name,)
                else:
                    yield node.lineno, target, names


def layering_violations(root: Path, package: str = "inference_energy") -> list[str]:
    """Every upward or sideways import in the package at ``root``, as 'file:line: a -> b' messages."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        source = _part(".".join([package, *path.relative_to(root).with_suffix("").parts]), package)
        if source not in LAYERS:
            problems.append(f"{path.relative_to(root)}: {source!r} is in no layer; add it to LAYERS")
            continue
        for line, target, names in _imports(path, root, package):
            dest = _part(target, package)
            if dest == source:
                continue
            if dest == "" and names == ("__version__",):
                continue
            if dest not in LAYERS:
                problems.append(f"{path.relative_to(root)}:{line}: imports {target}, which is in no layer")
            elif LAYERS[dest] >= LAYERS[source]:
                problems.append(f"{path.relative_to(root)}:{line}: {source or 'root'} (layer {LAYERS[source]}) "
                                f"imports {target} (layer {LAYERS[dest]}): imports must run downward")
    return problems


def test_imports_run_only_downward():
    assert layering_violations(PACKAGE_DIR) == []


def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "inference_energy"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("files, culprit", [
    ({"data/__init__.py": "", "posterior/__init__.py": "", "data/tables.py": "from ..posterior import pushforward\n"},
     "data/tables.py:1"),
    ({"model/__init__.py": "", "paper/__init__.py": "", "model/laws.py": "def f():\n    from ..paper import simulate\n"},
     "model/laws.py:2"),
    ({"stats.py": "import inference_energy.cli\n", "cli/__init__.py": ""}, "stats.py:1"),
    ({"files/__init__.py": "", "files/store.py": "from .. import data\n", "data/__init__.py": ""}, "files/store.py:1"),
])
def test_checker_catches_an_upward_import(tmp_path, files, culprit):
    problems = layering_violations(_fake_package(tmp_path, files))
    assert len(problems) == 1 and problems[0].startswith(culprit), problems


def test_checker_allows_downward_imports_and_version(tmp_path):
    root = _fake_package(tmp_path, {
        "posterior/__init__.py": "", "model/__init__.py": "", "data/__init__.py": "", "files/__init__.py": "",
        "posterior/pushforward.py": "from ..model import laws\nfrom ..data import load\nfrom .. import __version__\n",
        "files/format.py": "from .. import __version__\n",
    })
    assert layering_violations(root) == []


def test_every_subpackage_says_what_lives_there_and_what_it_may_import():
    for init in sorted(PACKAGE_DIR.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert len(doc) > 80, f"{init.parent.name}/__init__.py needs a docstring saying what lives there"
        assert "import" in doc.lower(), f"{init.parent.name}/__init__.py must say what it may import"


def test_modules_are_short_or_say_why():
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > MAX_LINES:
            doc = (ast.get_docstring(ast.parse(text)) or "").lower()
            assert LONG_MODULE_MARK in doc, (f"{path.relative_to(PACKAGE_DIR)} has {text.count(chr(10))} lines; "
                                             f"split it or say '{LONG_MODULE_MARK} ...' in its docstring")


@pytest.mark.parametrize("old, new", [
    ("io", "files.store"), ("pushforward", "posterior.pushforward"), ("posterior_file", "posterior.calibration_file"),
    ("calibrate", "model.calibrate"), ("plots", "outputs.plots"), ("presets", "paper.presets"),
])
def test_old_module_paths_still_import_with_a_warning(old, new):
    from inference_energy._moved import MOVED

    assert MOVED[old] == new
    sys.modules.pop(f"inference_energy.{old}", None)  # an earlier test may have imported the alias already
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = importlib.import_module(f"inference_energy.{old}")
    assert moved is importlib.import_module(f"inference_energy.{new}")
    assert moved.__spec__.name == f"inference_energy.{new}"  # the module keeps its own identity
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught)


def test_every_moved_target_exists():
    from inference_energy._moved import MOVED

    for old, new in MOVED.items():
        assert importlib.util.find_spec(f"inference_energy.{new}") is not None, (old, new)
        assert not (PACKAGE_DIR / f"{old}.py").exists(), f"{old}.py is back beside its alias"


def test_public_api_is_what_the_api_page_lists():
    table = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    listed = set(re.findall(r"^\| `(\w+)", table, flags=re.MULTILINE))
    listed |= {m for row in re.findall(r"^\| `\w+\(.*?\)` / `(\w+)", table, flags=re.MULTILINE) for m in [row]}
    public = set(inference_energy.__all__) - {"__version__"}
    assert listed == public
    for name in public:  # each resolves, and to something documented
        assert (getattr(inference_energy, name).__doc__ or "").strip(), name
