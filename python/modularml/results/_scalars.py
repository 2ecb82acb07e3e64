"""Coercion of logged values to Python floats, with clear errors."""

from __future__ import annotations

import numbers
from typing import Any


def to_float(value: Any, what: str = "value") -> float:
    """Return ``value`` as a float.

    Accepts Python and numpy numbers, and one-element numpy arrays or torch tensors.

    Raises:
        TypeError: ``value`` is a string, a multi-element array or tensor, or
            anything else that is not a real number.
    """
    if isinstance(value, float):
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    size = getattr(value, "size", None)
    if size is not None:
        count = size() if callable(size) else size
        count = _element_count(count)
        if count != 1:
            shape = tuple(getattr(value, "shape", ()))
            raise TypeError(
                f"{what} must be a scalar; got {type(value).__name__} with shape {shape}."
            )
        return float(value.item())
    raise TypeError(f"{what} must be a real number; got {type(value).__name__}: {value!r:.80}.")


def _element_count(size: Any) -> int:
    # torch's Tensor.size() is a shape tuple; numpy's .size is the element count
    if isinstance(size, tuple):
        count = 1
        for dim in size:
            count *= dim
        return count
    return int(size)
