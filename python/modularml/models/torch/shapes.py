"""Shape bookkeeping shared by the lazily built torch models."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "elu": nn.ELU,
}


def activation(name: str) -> nn.Module:
    try:
        return ACTIVATIONS[name.lower()]()
    except KeyError:
        raise ValueError(f"Unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}.") from None


def normalize_shape(shape: Sequence[int] | int | None, min_dims: int = 2) -> tuple[int, ...] | None:
    """Tuple shape padded with leading 1s to `min_dims` dims: `(10,)` -> `(1, 10)`."""
    if shape is None:
        return None
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
    return (1,) * (min_dims - len(shape)) + shape


def merge_shape(
    model: str, name: str, current: tuple | None, given: Sequence[int] | None, force: bool,
    min_dims: int = 2,
) -> tuple | None:
    """The shape to build with; a different given shape is an error unless `force`."""
    given_t = normalize_shape(given, min_dims)
    if given_t is None:
        return current
    if current is not None and current != given_t and not force:
        raise ValueError(
            f"Build called with {name}={given_t} but {model} already has {name}={current}; "
            "pass force=True to rebuild with the new shape."
        )
    return given_t


def numel(shape: Sequence[int]) -> int:
    return math.prod(shape)


def reshape_out(y: torch.Tensor, output_shape: tuple[int, ...]) -> torch.Tensor:
    return y.view(y.shape[0], *output_shape)
