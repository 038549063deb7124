"""Input tables: their schema and units, loading with row-level validation, the data hash.

- ``schema``: units, quantities, the columns of the catalogs (``models.csv``,
  ``hardware.csv``) and of the observation tables;
- ``tables``: read and check every table of a directory (errors name file,
  row and column), the SHA-256 of the data.

The lowest layer above the base modules: it imports nothing of the package
(plain ``csv``, so loading stays cheap).  Every name below is re-exported, so
``inference_energy.data.load(...)`` reads as before.
"""

from .schema import (ARCHITECTURES, CATALOG_FILES, COMPONENTS, DEPLOYMENTS, HARDWARE_SCHEMA, MODEL_SCHEMA,
                     OBSERVATION_SCHEMA, QUANTITIES, ROLES, SCHEMAS, SCOPES, SERVING, STATISTICS, UNIT_DIMENSION,
                     UNITS, WORKLOADS, Column, schema_for, to_canonical)
from .tables import DEFAULT_DATA_DIR, CalibrationData, DataError, Table, data_hash, load, read_table

__all__ = [
    "ARCHITECTURES", "CATALOG_FILES", "COMPONENTS", "DEPLOYMENTS", "HARDWARE_SCHEMA", "MODEL_SCHEMA",
    "OBSERVATION_SCHEMA", "QUANTITIES", "ROLES", "SCHEMAS", "SCOPES", "SERVING", "STATISTICS", "UNIT_DIMENSION",
    "UNITS", "WORKLOADS", "Column", "schema_for", "to_canonical",
    "DEFAULT_DATA_DIR", "CalibrationData", "DataError", "Table", "data_hash", "load", "read_table",
]
