"""The reference posterior shipped with the package: thinned draws of a calibration of the shipped tables.

``estimate`` and ``account`` default to it, so they work right after ``pip install``, before any
calibration.  It keeps what the push-forward needs (the posterior, the catalogs and traces, the
default scenarios' energy) and the calibration's provenance and diagnostics; it drops the prior,
the predictive groups and the per-row checks (the full file has them).  A test checks that its data
hash is the shipped tables' hash, so a changed table cannot leave a stale reference behind.

Built by ``inference-energy data reference --posterior runs/posterior.nc --force``.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

#: Where the package keeps it.
REFERENCE_PATH = Path(__file__).resolve().parent / "reference.nc"
#: Draws it keeps (over all chains): enough for 1 % Monte Carlo error on a median.
REFERENCE_DRAWS = 1000
#: Groups of a calibration file it keeps.
KEPT_GROUPS = ("posterior", "energy", "model_inputs", "sources")
MAX_BYTES = 10_000_000


def thin(tree: xr.DataTree, draws: int = REFERENCE_DRAWS) -> xr.DataTree:
    """Every k-th draw of each chain (k so that about ``draws`` remain) of the kept groups, with the
    calibration's attributes and what was thinned recorded."""
    if tree.attrs.get("kind") != "calibration":
        raise ValueError(f"not a calibration file (kind {tree.attrs.get('kind')!r})")
    if not tree.attrs.get("diagnostics_passed", 0):
        raise ValueError("the calibration failed its diagnostics; a reference posterior must come from one that passed")
    post = tree["posterior"]
    total = post.sizes["chain"] * post.sizes["draw"]
    step = max(1, total // draws)
    groups = {}
    for name in KEPT_GROUPS:
        if name not in tree.children:
            continue
        ds = tree[name].to_dataset()
        groups[f"/{name}"] = ds.isel(draw=slice(None, None, step)) if "draw" in ds.dims else ds
    attrs = {**tree.attrs, "reference": 1, "thinned_every": step,
             "thinned_from_run_id": tree.attrs.get("run_id", ""),
             "reference_note": f"every {step}th draw of each chain of calibration run "
                               f"{tree.attrs.get('run_id', '')[:12]}; prior, predictive groups and checks dropped"}
    return xr.DataTree.from_dict({"/": xr.Dataset(attrs=attrs), **groups})


def build(calibration: Path, output: Path = REFERENCE_PATH, force: bool = False, draws: int = REFERENCE_DRAWS) -> Path:
    """Thin ``calibration`` into ``output`` (compressed); refuse a result over ``MAX_BYTES``."""
    from ..files.store import load, save

    tree = load(calibration)
    try:
        small = thin(tree, draws).load()
    finally:
        tree.close()
    save(small, output, force=force, compress=True)
    size = Path(output).stat().st_size
    if size > MAX_BYTES:
        Path(output).unlink()
        raise ValueError(f"the reference posterior would be {size / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB): "
                         "keep fewer --draws")
    return Path(output)


def resolve_posterior(path: Path | None) -> tuple[Path, str | None]:
    """The posterior to use and, when it is the shipped reference, a line saying so (None otherwise)."""
    if path is not None:
        return Path(path), None
    if not REFERENCE_PATH.exists():
        raise FileNotFoundError(f"no --posterior given and the reference posterior {REFERENCE_PATH} is missing; "
                                "run inference-energy calibrate --output runs/posterior.nc and pass --posterior")
    attrs = xr.open_datatree(REFERENCE_PATH).attrs
    diag = json.loads(attrs.get("diagnostics", "{}"))
    return REFERENCE_PATH, (f"using the shipped reference posterior ({REFERENCE_PATH.name}, data "
                            f"{attrs['data_sha256'][:12]}, {attrs.get('thinned_every')}x-thinned draws of a calibration "
                            f"with max r_hat {diag.get('max_rhat', float('nan')):.3f}); pass --posterior for your own")
