"""Runnable examples: `python -m modularml.examples.<name>`."""
