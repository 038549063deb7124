"""inference-energy: energy, water and carbon of one LLM query, with honest uncertainty.

The public API is this namespace (``docs/api.md`` lists every name).  Each name
is imported from its subpackage only when first used, so ``import
inference_energy`` stays cheap.  The subpackages follow the data flow, and
imports run only downward (``docs/architecture.md``):

    files, stats  ->  data  ->  paper | model  ->  posterior  ->  usage  ->  outputs  ->  cli
"""

__version__ = "0.1.0"

from . import _moved

_moved.install()

#: public name -> (module under the package, attribute)
_PUBLIC = {
    # stored files
    "save": ("files.store", "save"),
    "ResultFileError": ("files.store", "ResultFileError"),
    # calibration tables
    "load_data": ("data.tables", "load"),
    "DataError": ("data.tables", "DataError"),
    # the seed paper
    "get_preset": ("paper.presets", "get_preset"),
    "simulate": ("paper.simulate", "simulate"),
    # the calibrated model
    "build_model": ("model.pymc_model", "build_model"),
    # a stored calibration and its push-forward
    "calibration_tree": ("posterior.calibration_file", "calibration_tree"),
    "open_calibration": ("posterior.calibration_file", "open_calibration"),
    "read_calibration": ("posterior.calibration_file", "read_calibration"),
    "Scenario": ("posterior.scenario", "Scenario"),
    "energy_draws": ("posterior.pushforward", "energy_draws"),
    "summarize_scenario": ("posterior.pushforward", "summarize_scenario"),
    # usage accounting
    "account": ("usage.account", "account"),
    "CallEstimator": ("usage.per_call", "CallEstimator"),
}
# ``calibrate`` and ``compare`` are not root names: before 0.2 they were modules
# (``from inference_energy import calibrate``), and such code keeps working.

__all__ = ["__version__", "load", "sample_energy", *_PUBLIC]


def load(path):
    """Open a result file (netCDF or Zarr) written by this package, checking its schema version.

    Imports xarray only when called, so importing the package stays fast.
    """
    from .files.store import load as _load

    return _load(path)


def sample_energy(posterior, scenario, n: int = 10_000, seed: int = 0, scope: str = "facility", kind: str = "random"):
    """Energy draws of one scenario from a calibration (a path or a loaded DataTree): an xarray.DataArray.

    ``kind="random"``: a random query (per-query variation and parameter uncertainty);
    ``kind="median"``: the median query (parameter uncertainty alone).  See ``posterior.export.sample_energy``.
    """
    from .posterior.export import sample_energy as _sample_energy

    return _sample_energy(posterior, scenario, n=n, seed=seed, scope=scope, kind=kind)


def __getattr__(name: str):
    """Resolve a public name on first use (PEP 562); subpackages import as usual."""
    if name in _PUBLIC:
        import importlib

        module, attribute = _PUBLIC[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
