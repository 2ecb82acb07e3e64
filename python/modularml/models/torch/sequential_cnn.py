"""SequentialCNN: 1-d convolution blocks, then a Linear sized at build time."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from modularml.models.torch.shapes import activation, merge_shape, numel


class SequentialCNN(nn.Module):
    """Conv1d blocks over `(channels, length)` inputs (a 2-d input gets one channel).

    Each of the `n_layers` blocks is Conv1d(hidden_dim, kernel_size) + activation
    (+ Dropout) (+ MaxPool1d(pooling) while the length allows it). With
    `flatten_output=True` a final Linear maps the flattened maps to `prod(output_shape)`.

    Args:
        input_shape: per-sample `(channels, length)`, or None to infer it.
        output_shape: per-sample output shape, or None to infer it.
        n_layers: number of convolution blocks.
        hidden_dim: channels of every convolution.
        kernel_size: convolution kernel size.
        padding: convolution padding; None means "same" (`(kernel_size - 1) // 2`).
        stride: convolution stride.
        activation: relu, leaky_relu, sigmoid, tanh, gelu or elu.
        dropout: dropout probability after each activation.
        pooling: MaxPool1d kernel after each block (1 disables pooling).
        flatten_output: add the final Linear and reshape to `output_shape`.
    """

    def __init__(
        self,
        *,
        input_shape: Sequence[int] | None = None,
        output_shape: Sequence[int] | None = None,
        n_layers: int = 2,
        hidden_dim: int = 16,
        kernel_size: int = 3,
        padding: int | None = None,
        stride: int = 1,
        activation: str = "relu",
        dropout: float = 0.0,
        pooling: int = 1,
        flatten_output: bool = True,
    ) -> None:
        super().__init__()
        self.init_args: dict[str, Any] = {
            "n_layers": n_layers, "hidden_dim": hidden_dim, "kernel_size": kernel_size,
            "padding": (kernel_size - 1) // 2 if padding is None else padding, "stride": stride,
            "activation": activation, "dropout": dropout, "pooling": pooling,
            "flatten_output": flatten_output,
        }
        self.input_shape = merge_shape("SequentialCNN", "input_shape", None, input_shape, False)
        self.output_shape = merge_shape("SequentialCNN", "output_shape", None, output_shape, False)
        self.conv: nn.Sequential | None = None
        self.fc: nn.Linear | None = None
        if self.input_shape is not None and self.output_shape is not None:
            self.build()

    @property
    def is_built(self) -> bool:
        return self.conv is not None

    def build(
        self,
        input_shape: Sequence[int] | None = None,
        output_shape: Sequence[int] | None = None,
        *,
        force: bool = False,
    ) -> None:
        """Create the layers for these shapes (no-op when already built with them)."""
        in_shape = merge_shape("SequentialCNN", "input_shape", self.input_shape, input_shape, force)
        out_shape = merge_shape(
            "SequentialCNN", "output_shape", self.output_shape, output_shape, force
        )
        if in_shape is None:
            raise ValueError("SequentialCNN.build needs an input_shape.")
        if len(in_shape) != 2:
            raise ValueError(f"SequentialCNN expects (channels, length) inputs, got {in_shape}.")
        if out_shape is None and self.init_args["flatten_output"]:
            warnings.warn("SequentialCNN has no output_shape; using (1, hidden_dim).", stacklevel=2)
            out_shape = (1, self.init_args["hidden_dim"])
        unchanged = (in_shape, out_shape) == (self.input_shape, self.output_shape)
        self.input_shape, self.output_shape = in_shape, out_shape
        if self.conv is not None and unchanged and not force:
            return
        self.conv = self._blocks(in_shape)
        if self.init_args["flatten_output"]:
            with torch.no_grad():
                n_flat = self.conv(torch.zeros(1, *in_shape)).numel()
            self.fc = nn.Linear(n_flat, numel(out_shape))  # type: ignore[arg-type]

    def _blocks(self, in_shape: tuple[int, ...]) -> nn.Sequential:
        a = self.init_args
        channels, length = in_shape
        layers: list[nn.Module] = []
        for _ in range(a["n_layers"]):
            layers += [
                nn.Conv1d(channels, a["hidden_dim"], a["kernel_size"], a["stride"], a["padding"]),
                activation(a["activation"]),
            ]
            length = (length + 2 * a["padding"] - a["kernel_size"]) // a["stride"] + 1
            if a["dropout"] > 0:
                layers.append(nn.Dropout(a["dropout"]))
            if a["pooling"] > 1 and length >= a["pooling"]:
                layers.append(nn.MaxPool1d(a["pooling"]))
                length //= a["pooling"]
            channels = a["hidden_dim"]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(1)
        if self.conv is None:
            self.build(input_shape=tuple(x.shape[1:]))
            self.to(x.device)
        y = self.conv(x)  # type: ignore[misc]
        if self.fc is None:
            return y
        return self.fc(y.flatten(1)).view(x.shape[0], *self.output_shape)  # type: ignore[misc]
