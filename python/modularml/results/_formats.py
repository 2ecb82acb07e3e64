"""Conversion of tensors to the formats `PhaseResults.tensors(fmt=...)` accepts."""

from __future__ import annotations

from typing import Any

FORMATS = (None, "np", "numpy", "torch")


def check_format(fmt: str | None) -> None:
    """Raise ValueError unless ``fmt`` is one of `FORMATS`."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown fmt {fmt!r}; allowed: {list(FORMATS)}.")


def convert(value: Any, fmt: str | None) -> Any:
    """``value`` (tensor, array or array-like) in format ``fmt``."""
    if fmt is None:
        return value
    if fmt == "torch":
        import torch

        return value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
    import numpy as np

    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
