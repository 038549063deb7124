"""inference-energy: energy, water and carbon of one LLM query, with honest uncertainty."""

__version__ = "0.1.0"
