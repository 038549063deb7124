"""The stored-file format: schema version and the provenance every result file carries at its root.

A file records who wrote it (package and library versions), with what
(configuration as JSON, seed, SHA-256 of the calibration tables) and when, so
a number can be traced back to its inputs.  ``store.load`` refuses a schema
version it does not know.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from .. import __version__

#: Version of the stored-file layout; bump on any incompatible change.
SCHEMA_VERSION = "2.0"
#: Schema versions this package reads.
SUPPORTED_SCHEMA_VERSIONS = ("1.0", "2.0")


def provenance(kind: str, config: dict[str, Any], seed: int, data_sha256: str, **extra: Any) -> dict[str, Any]:
    """Root attributes every stored file carries (strings and numbers only, for netCDF)."""
    import numpy, xarray  # noqa: E401  (versions recorded for reproducibility)

    return {
        "schema_version": SCHEMA_VERSION,
        "package": "inference-energy",
        "package_version": __version__,
        "kind": kind,
        "config": json.dumps(config, sort_keys=True),
        "seed": int(seed),
        "data_sha256": data_sha256,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": json.dumps({"numpy": numpy.__version__, "xarray": xarray.__version__}),
        **{k: v for k, v in extra.items() if v is not None},
    }
