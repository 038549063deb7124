"""A stored calibration and everything computed from its posterior draws.

- ``calibration_file``: the calibration DataTree (ArviZ groups, energy,
  checks, the catalogs the model saw) written and read;
- ``tokens``: token-length regimes (traditional, long, code);
- ``pushforward``: posterior draws -> energy per query at every scope, both
  kinds of uncertainty kept apart;
- ``compare``: what moved between two calibrations and which rows moved it;
- ``sensitivity``: Sobol indices (presets and posteriors), prior sensitivity;
- ``export``, ``grid``, ``fleet``: draws and fitted priors for other
  analyses, scenario grids through dask, fleet energy per day.

Imports ``model``, ``paper``, ``data``, ``files`` and ``stats``; never
``outputs`` or ``cli``.  Push-forward needs no PyMC (``estimate`` starts fast).
"""
