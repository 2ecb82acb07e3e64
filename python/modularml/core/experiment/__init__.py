"""Experiments, phases, the execution loop and the active context."""
