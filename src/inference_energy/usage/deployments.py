"""Which deployment serves each model a usage log names, and its per-draw energy per request.

One deployment per model: the catalog's model (or a closed service by name) in production serving,
its operating point set by the chat regime's typical lengths (a provider sets its batch for its
traffic, not for one request).  Every parameter of the deployment (the posterior draw, the closed
model's size, the new operator's PUE and idle capacity) is drawn once per posterior draw and shared
by every request to that model: that is the correlation a total must keep.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from ..model.catalog import Catalogs, resolve_model
from ..model.closed import alias_keys
from ..posterior.pushforward import ScenarioDraws, scenario_draws
from ..posterior.scenario import DEFAULT_WUE, OPERATOR_WUE, Scenario

#: Gauss-Hermite nodes per token length for requests whose lengths are known only as a mean (an
#: aggregated record): 3 x 3 nodes integrate a lognormal's first two moments of a smooth law well.
HERMITE = np.polynomial.hermite_e.hermegauss(3)
FALLBACK_HARDWARE = "H100"


def model_ids(names, cat: Catalogs) -> dict[str, str]:
    """Catalog id of each name as written; a ValueError (with suggestions) for the first unknown."""
    aliases = alias_keys(cat.closed_models)
    out = {}
    for name in names:
        out[name] = resolve_model(name, cat.models, aliases, list_known=False)
    return out


def scenario_for(model: str, cat: Catalogs) -> Scenario:
    """Production serving of ``model`` on its provider's likely accelerator (closed services), else H100."""
    closed = cat.closed_models.get(model)
    hardware = FALLBACK_HARDWARE
    if closed is not None and closed.hardware in cat.hardware:
        tdp = cat.hardware_arrays["tdp"][cat.hardware.index(closed.hardware)]
        hardware = closed.hardware if np.isfinite(tdp) else FALLBACK_HARDWARE
    return Scenario(model=model, regime="traditional", serving="production", hardware=hardware)


@dataclass
class Deployment:
    """A model's deployment under every posterior draw (``draws``) and its own new-operator PUE draw."""

    model: str
    scenario: Scenario
    draws: ScenarioDraws
    z_pue: np.ndarray  # (S,)
    wue_l_per_kwh: float
    wue_source: str

    @classmethod
    def build(cls, post, cat: Catalogs, traces, model: str, seed: int) -> "Deployment":
        """The deployment's draws; its random stream depends on the seed and the model id alone, so the
        same model gets the same draws in any log and in the per-call helper."""
        rng = np.random.default_rng([seed, zlib.crc32(model.encode())])
        sc = scenario_for(model, cat)
        d = scenario_draws(post, cat, sc, rng, traces)
        closed = cat.closed_models.get(model)
        operator = closed.pue_operator if closed is not None else None
        wue_id, wue = OPERATOR_WUE.get(operator, DEFAULT_WUE[sc.deployment])  # the provider's disclosed fleet WUE
        return cls(model, sc, d, rng.standard_normal(d.size), wue, wue_id)

    def request_moments(self, draws: np.ndarray, log_in: np.ndarray, log_out: np.ndarray, cached: np.ndarray,
                        sigma_in: np.ndarray, sigma_out: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Mean energy of one request [Wh] per scope, shaped (S, R), and its variance between requests
        (facility scope), for rows of mean lengths exp(log_in), exp(log_out) whose requests' lengths vary
        lognormally with log-sd ``sigma_*`` around those means (0: the lengths are known)."""
        z, w = HERMITE
        if not (np.any(sigma_in) or np.any(sigma_out)):  # lengths known: one node
            z, w = np.zeros(1), np.ones(1)
        w = w / w.sum()
        zi, zo = np.meshgrid(z, z, indexing="ij")
        wk = (w[:, None] * w[None, :]).ravel()  # (K,)
        li = log_in[:, None] - 0.5 * sigma_in[:, None] ** 2 + sigma_in[:, None] * zi.ravel()  # (R, K), mean-preserving
        lo = log_out[:, None] - 0.5 * sigma_out[:, None] ** 2 + sigma_out[:, None] * zo.ravel()
        li = np.maximum(li, np.log(cached[:, None] + 1.0))  # at least one token is prefilled
        lo = np.maximum(lo, 0.0)
        d = replace(self.draws, cached=cached[None, :, None])
        k = draws[:, None, None]
        log_e = d.log_energy(k, li[None], lo[None], self.z_pue[draws][:, None, None])
        mean = {scope: np.exp(v) @ wk for scope, v in log_e.items()}
        fac = np.exp(log_e["facility"])
        var = np.maximum((fac ** 2) @ wk - mean["facility"] ** 2, 0.0)
        return mean, var


def length_spread(traces) -> tuple[float, float]:
    """Log-sd of input and output lengths of chat requests (the traditional regime's traces, from their
    16th and 84th percentiles): how much the requests behind an aggregated record differ."""
    p = np.array([-1.0, 1.0])
    out = []
    for kind in ("input", "output"):
        q = traces["traditional", kind].log_ppf(p)
        out.append(float((q[1] - q[0]) / 2.0))
    return out[0], out[1]


LOG_BIN = 0.2  # width of the ln-length bins records are summed in (22 %): the law is nearly linear on that scale
