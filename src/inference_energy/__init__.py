"""inference-energy: energy, water and carbon of one LLM query, with honest uncertainty."""

__version__ = "0.1.0"

from . import _moved

_moved.install()


def load(path):
    """Open a result file (netCDF or Zarr) written by this package, checking its schema version.

    Imports xarray only when called, so importing the package stays fast.
    """
    from .files.store import load as _load

    return _load(path)


def sample_energy(posterior, scenario, n: int = 10_000, seed: int = 0, scope: str = "facility", kind: str = "random"):
    """Energy draws of one scenario from a calibration (a path or a loaded DataTree): an xarray.DataArray.

    ``kind="random"``: a random query (per-query variation and parameter uncertainty);
    ``kind="median"``: the median query (parameter uncertainty alone).  See ``export.sample_energy``.
    """
    from .posterior.export import sample_energy as _sample_energy

    return _sample_energy(posterior, scenario, n=n, seed=seed, scope=scope, kind=kind)
