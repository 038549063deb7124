"""The calibrated Bayesian model: equations, priors, observations, the PyMC model, calibration.

- ``laws``: the equations (throughput, power, energy per scope), written once
  for numpy and PyTensor, so the likelihood and the push-forward agree;
- ``priors``: the default priors, each with its reason, overridable by name;
- ``observations``: validated table rows -> arrays, one group per likelihood term;
- ``pymc_model``: the PyMC model (latent parameters, one likelihood term per row);
- ``calibrate``: nutpie sampling, the diagnostics gate, predictive checks.

Imports ``data``, ``files`` and ``stats`` only (beside ``paper``, never
above).  ``laws`` and ``observations`` need no PyMC, so the push-forward of a
stored posterior stays fast; ``build_model`` is re-exported lazily.
"""

from __future__ import annotations


def __getattr__(name: str):
    if name in ("build_model", "coords_for"):
        from . import pymc_model

        return getattr(pymc_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
