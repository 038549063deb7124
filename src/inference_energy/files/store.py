"""Save and load result files: one ``xarray.DataTree`` per run, netCDF or Zarr.

Writes are atomic (a temporary sibling, then a rename) and never replace an
existing file unless ``force=True``.  Files open with plain
``xarray.open_datatree`` and ArviZ; :func:`load` adds the schema-version check.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .format import SUPPORTED_SCHEMA_VERSIONS

if TYPE_CHECKING:
    import xarray as xr

FORMATS = {".nc": "netcdf", ".zarr": "zarr"}


class ResultFileError(ValueError):
    """A result file cannot be written or read as asked."""


def file_format(path: Path) -> str:
    """The format of a result path from its suffix: netcdf (.nc) or zarr (.zarr); anything else is refused."""
    fmt = FORMATS.get(Path(path).suffix)
    if fmt is None:
        raise ResultFileError(f"{path}: unknown result format; use a .nc (netCDF) or .zarr (Zarr) path")
    return fmt


def check_writable(path: Path | str, force: bool = False) -> Path:
    """Fail early, before any work, if ``path`` cannot be written."""
    path = Path(path)
    file_format(path)
    if path.exists() and not force:
        raise ResultFileError(f"{path} exists; pass --force (force=True) to replace it")
    if path.parent.exists() and not path.parent.is_dir():
        raise ResultFileError(f"{path.parent} is not a directory")
    return path


def save(tree: "xr.DataTree", path: Path | str, force: bool = False, compress: bool = False) -> Path:
    """Write ``tree`` to ``path`` atomically; refuse to replace a file unless ``force``.

    ``compress``: zlib every netCDF variable (lossless; for files shipped in the package)."""
    path = check_writable(path, force)
    fmt = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    staged = tmp / path.name
    try:
        if fmt == "netcdf":
            encoding = ({node.path: {name: {"zlib": True, "complevel": 6} for name in node.dataset.data_vars}
                         for node in tree.subtree if node.dataset.data_vars} if compress else None)
            tree.to_netcdf(staged, engine="h5netcdf", encoding=encoding)
        else:
            with warnings.catch_warnings():
                # Consolidated metadata is not (yet) in the Zarr v3 spec, but
                # zarr-python and xarray read it, and without it every plain
                # ``open_datatree`` warns while falling back.
                warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
                tree.to_zarr(staged, consolidated=True)
        if path.exists() and path.is_dir() and not path.is_symlink():
            old = tmp / (path.name + ".old")
            os.replace(path, old)
            os.replace(staged, path)
        else:
            os.replace(staged, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def load(path: Path | str) -> "xr.DataTree":
    """Open a result file and check that this package knows its schema version."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise ResultFileError(f"{path}: no such file (a calibration is made by `inference-energy calibrate --output {path}`)")
    fmt = file_format(path)
    try:
        tree = xr.open_datatree(path, engine="h5netcdf" if fmt == "netcdf" else "zarr")
    except Exception as exc:  # the engines raise many types; say which file failed
        raise ResultFileError(f"{path}: cannot be read as {fmt} ({exc})") from exc
    version = tree.attrs.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        tree.close()
        raise ResultFileError(
            f"{path}: schema_version {version!r} is not one this package reads "
            f"(supported: {', '.join(SUPPORTED_SCHEMA_VERSIONS)}); upgrade inference-energy or re-create the file"
        )
    return tree
