"""Samplers turn a split's rows into batches of row positions."""

from modularml.samplers.simple_sampler import SimpleSampler

__all__ = ["SimpleSampler"]
