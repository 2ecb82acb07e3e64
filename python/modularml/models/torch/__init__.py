"""Torch models with lazy shape inference: shapes are filled in by `ModelGraph.build()`."""

from modularml.models.torch.sequential_cnn import SequentialCNN
from modularml.models.torch.sequential_mlp import SequentialMLP

__all__ = ["SequentialCNN", "SequentialMLP"]
