"""Energy of one API call as it happens: model and token counts in, a distribution out.

For instrumentation (a callback after each request): the posterior is read once, each model's
deployment is built on its first call and cached, so later calls cost one vectorised evaluation
over the draws (about a millisecond).  The draws are the same deployment draws ``account`` uses for
the same seed, so per-call results summed draw by draw equal an account of the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model import laws


@dataclass(frozen=True)
class CallEnergy:
    """Energy of one call under every posterior draw [Wh] per scope; water [mL]; carbon [gCO2e]."""

    model: str
    draws: dict[str, np.ndarray]  # scope -> (S,) Wh
    water_ml: np.ndarray
    carbon_g: np.ndarray

    def summary(self, scope: str = "facility") -> dict[str, float]:
        x = self.draws[scope]
        p5, p50, p95 = np.percentile(x, [5, 50, 95])
        return {"model": self.model, "scope": scope, "unit": "Wh", "p5": float(p5), "p50": float(p50),
                "p95": float(p95), "mean": float(x.mean())}


class CallEstimator:
    """``CallEstimator()(model, input_tokens, output_tokens)`` -> :class:`CallEnergy`.

    ``carbon_g_per_kwh`` defaults to the world average the push-forward uses (G01)."""

    def __init__(self, posterior: str | Path | None = None, seed: int = 0, carbon_g_per_kwh: float | None = None):
        from ..files.store import load
        from ..posterior.calibration_file import open_calibration
        from ..posterior.reference import resolve_posterior
        from ..posterior.scenario import DEFAULT_CARBON

        self.path, self.note = resolve_posterior(Path(posterior) if posterior else None)
        tree = load(self.path)
        post, self.catalogs, self.traces = open_calibration(tree)
        self.posterior = post.load()
        tree.close()
        self.seed = seed
        self.carbon = DEFAULT_CARBON[1] if carbon_g_per_kwh is None else float(carbon_g_per_kwh)
        self._ids: dict[str, str] = {}
        self._deployments: dict = {}

    def deployment(self, model: str):
        from .deployments import Deployment, model_ids

        if model not in self._ids:
            self._ids.update(model_ids([model], self.catalogs))
        mid = self._ids[model]
        if mid not in self._deployments:
            self._deployments[mid] = Deployment.build(self.posterior, self.catalogs, self.traces, mid, self.seed)
        return self._deployments[mid]

    def __call__(self, model: str, input_tokens: float, output_tokens: float, cached_input_tokens: float = 0.0) -> CallEnergy:
        if min(input_tokens, output_tokens, cached_input_tokens) < 0 or cached_input_tokens > input_tokens:
            raise ValueError("token counts must be non-negative, with cached input tokens at most the input tokens")
        dep = self.deployment(model)
        S = dep.draws.size
        zero = np.zeros(1)
        mean, _ = dep.request_moments(np.arange(S), np.log([max(input_tokens, 1.0)]), np.log([max(output_tokens, 1.0)]),
                                      np.array([float(cached_input_tokens)]), zero, zero)
        draws = {scope: mean[scope][:, 0] for scope in laws.SCOPES}
        return CallEnergy(dep.model, draws, draws["it"] * dep.wue_l_per_kwh, draws["facility"] * self.carbon / 1000.0)

