"""inference-energy: energy, water and carbon of one LLM query, with honest uncertainty."""

__version__ = "0.1.0"


def load(path):
    """Open a result file (netCDF or Zarr) written by this package, checking its schema version.

    Imports xarray only when called, so importing the package stays fast.
    """
    from .io import load as _load

    return _load(path)
