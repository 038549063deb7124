"""The command-line interface: ``inference-energy COMMAND``; thin: parse, call the library, print.

One module per group of commands, in the order ``--help`` lists them:

- ``paper``: ``simulate``, ``pathways``, ``fleet`` (the seed paper's presets);
- ``calibration``: ``calibrate``, ``compare``, ``update``;
- ``estimates``: ``estimate`` (one scenario, or a grid through dask), ``export``;
- ``accounting``: ``account`` (a usage log -> totals per group, per draw);
- ``studies``: ``sensitivity``;
- ``outputs``: ``figures``, ``report``;
- ``data``: ``data build`` (maintainers: regenerate the tables from ``reference_data/``), ``data reference``;
- ``common``: the typer app, option types, error handling, printing.

The top layer: it may import anything below, but only inside a command's body,
so ``--help`` imports typer alone (``benchmarks/bench_cli_startup.py``).  Every
command that prints numbers takes ``--format table|json``; JSON is
``{"results": [flat records], ...}``.  Errors print one line naming what to fix
and exit non-zero, writing nothing.
"""

from __future__ import annotations

# Each module registers its commands on import; --help lists them in this order.
from . import paper, calibration, estimates, accounting, studies, outputs, data  # noqa: F401, I001
from .common import _fmt_cell, app  # noqa: F401  (app: the entry point; _fmt_cell: tested)


def main() -> None:  # console-script entry point
    app()

