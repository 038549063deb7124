"""``python -m inference_energy.cli``: the same as the ``inference-energy`` command."""

from . import main

main()
