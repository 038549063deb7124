"""Old flat module paths (``inference_energy.io``, ``.pushforward``, ...) kept importable.

Before 0.2 every module sat side by side in the package; they now live in
subpackages along the data flow (``docs/architecture.md``).  Code written
against an old path keeps working, with a ``DeprecationWarning`` naming the
new one: the import resolves to the very same module object.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module (under ``inference_energy.``) -> its home now
MOVED: dict[str, str] = {
    "io": "files.store",
    "presets": "paper.presets",
    "results": "paper.tree",
    "laws": "model.laws",
    "priors": "model.priors",
    "observations": "model.observations",
    "calibrate": "model.calibrate",
    "posterior_file": "posterior.calibration_file",
    "tokens": "posterior.tokens",
    "pushforward": "posterior.pushforward",
    "compare": "posterior.compare",
    "export": "posterior.export",
    "grid": "posterior.grid",
    "fleet": "posterior.fleet",
    "sensitivity": "posterior.sensitivity",
    "records": "outputs.records",
    "plots": "outputs.plots",
    "report": "outputs.report",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # The target ran its own code already; the import machinery has just set
        # ``__spec__`` to the alias, so give the module its own back.
        module.__spec__ = self._own_spec


def _imported_from_inside() -> bool:
    """True when the import comes from the package's own code: only users' code is warned."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        spec = frame.f_globals.get("__spec__")
        name = spec.name if spec is not None and module == "__main__" else module
        if not name.startswith(("importlib", "_frozen_importlib")) and name != __name__:
            return name == __package__ or name.startswith(__package__ + ".")
        frame = frame.f_back
    return False


class _MovedFinder(importlib.abc.MetaPathFinder):
    prefix = __package__ + "."

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(self.prefix):
            return None
        new = MOVED.get(fullname[len(self.prefix):])
        if new is None:
            return None
        if not _imported_from_inside():
            warnings.warn(f"{fullname} moved to {self.prefix}{new}; the old path will be removed in a later release",
                          DeprecationWarning, stacklevel=3)
        return importlib.util.spec_from_loader(fullname, _Alias(self.prefix + new))


def install() -> None:
    """Add the finder once (idempotent)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())


