"""genlab: deep generative models trained on real data and checked against exact answers."""

__version__ = "0.1.0"
