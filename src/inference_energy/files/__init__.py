"""The stored-file format: what every result file carries and how it is written and read.

- ``format``: the schema version and the provenance attributes at a file's root;
- ``store``: atomic save (netCDF or Zarr), load with the schema-version check.

A base layer: it imports nothing of the package but ``__version__``, so every
layer above (paper runs, calibrations, grids, reports) writes files alike.
"""
