"""SequentialMLP: a stack of Linear layers whose sizes are inferred at build time."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from modularml.models.torch.shapes import activation, merge_shape, numel


class SequentialMLP(nn.Module):
    """A multilayer perceptron over flattened per-sample inputs.

    `n_layers - 1` blocks of Linear(hidden_dim) + activation (+ Dropout), then a Linear to
    `prod(output_shape)`; the output is reshaped to `(batch, *output_shape)`. Shapes are
    per sample, padded to at least two dims (`(20,)` -> `(1, 20)`). Given both shapes the
    model builds at once; otherwise `ModelGraph.build()` (or the first forward) builds it.

    Args:
        input_shape: per-sample input shape, or None to infer it.
        output_shape: per-sample output shape, or None to infer it.
        n_layers: number of Linear layers (>= 1).
        hidden_dim: width of the hidden layers.
        activation: relu, leaky_relu, sigmoid, tanh, gelu or elu.
        dropout: dropout probability after each hidden activation (0 disables it).
    """

    def __init__(
        self,
        *,
        input_shape: Sequence[int] | None = None,
        output_shape: Sequence[int] | None = None,
        n_layers: int = 2,
        hidden_dim: int = 32,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}.")
        self.init_args: dict[str, Any] = {
            "input_shape": input_shape, "output_shape": output_shape, "n_layers": n_layers,
            "hidden_dim": hidden_dim, "activation": activation, "dropout": dropout,
        }
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.fc: nn.Sequential | None = None
        self.input_shape = merge_shape("SequentialMLP", "input_shape", None, input_shape, False)
        self.output_shape = merge_shape("SequentialMLP", "output_shape", None, output_shape, False)
        if self.input_shape is not None and self.output_shape is not None:
            self.build()

    @property
    def is_built(self) -> bool:
        return self.fc is not None

    def build(
        self,
        input_shape: Sequence[int] | None = None,
        output_shape: Sequence[int] | None = None,
        *,
        force: bool = False,
    ) -> None:
        """Create the layers for these shapes (no-op when already built with them)."""
        in_shape = merge_shape("SequentialMLP", "input_shape", self.input_shape, input_shape, force)
        out_shape = merge_shape(
            "SequentialMLP", "output_shape", self.output_shape, output_shape, force
        )
        if in_shape is None:
            raise ValueError("SequentialMLP.build needs an input_shape.")
        if out_shape is None:
            warnings.warn("SequentialMLP has no output_shape; using (1, hidden_dim).", stacklevel=2)
            out_shape = (1, self.init_args["hidden_dim"])
        unchanged = (in_shape, out_shape) == (self.input_shape, self.output_shape)
        self.input_shape, self.output_shape = in_shape, out_shape
        if self.fc is not None and unchanged and not force:
            return
        self.fc = self._layers(numel(in_shape), numel(out_shape))

    def _layers(self, n_in: int, n_out: int) -> nn.Sequential:
        args = self.init_args
        layers: list[nn.Module] = []
        for _ in range(args["n_layers"] - 1):
            layers += [nn.Linear(n_in, args["hidden_dim"]), activation(args["activation"])]
            if args["dropout"] > 0:
                layers.append(nn.Dropout(args["dropout"]))
            n_in = args["hidden_dim"]
        layers.append(nn.Linear(n_in, n_out))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fc is None:
            self.build(input_shape=tuple(x.shape[1:]))
            self.to(x.device)
        y = self.fc(x.flatten(1))  # type: ignore[misc]
        return y.view(x.shape[0], *self.output_shape)  # type: ignore[misc]
