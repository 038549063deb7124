"""``python -m inference_energy``: the same as the ``inference-energy`` command."""

from .cli import main

main()
