"""This process's rank and world size, rank-zero-only callbacks, and small collectives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import torch

T = TypeVar("T")


def is_distributed() -> bool:
    """True when a torch.distributed process group is initialised in this process."""
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def rank() -> int:
    """This process's rank in the default group (0 without one)."""
    return torch.distributed.get_rank() if is_distributed() else 0


def world_size() -> int:
    """Number of processes in the default group (1 without one)."""
    return torch.distributed.get_world_size() if is_distributed() else 1


def is_rank_zero() -> bool:
    return rank() == 0


def rank_zero_only(callback: T) -> T:
    """Mark a callback (an instance or a Callback subclass) to run on rank 0 only.

    Works as a class decorator (`@rank_zero_only class Plot(Callback): ...`) or on an
    instance (`rank_zero_only(MyCallback())`); both set `rank_zero_only = True`, which
    the hook dispatcher reads. Never mark a callback that takes part in collectives
    (an `Evaluation` under DDP): the other ranks would wait for it forever.
    """
    callback.rank_zero_only = True  # type: ignore[attr-defined]
    return callback


def runs_on_this_rank(callback: Any) -> bool:
    """False for a `rank_zero_only` callback on a rank other than 0."""
    return not getattr(callback, "rank_zero_only", False) or is_rank_zero()


def all_reduce_sum(values: Sequence[float]) -> list[float]:
    """Element-wise sum of `values` over all ranks (float64; identity without a group)."""
    if not is_distributed() or not values:
        return [float(v) for v in values]
    tensor = torch.tensor([float(v) for v in values], dtype=torch.float64, device=_device())
    torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.SUM)
    return tensor.cpu().tolist()


def broadcast_object(value: Any, src: int = 0) -> Any:
    """`value` from rank `src` on every rank (picklable objects; identity without a group)."""
    if not is_distributed():
        return value
    box = [value]
    torch.distributed.broadcast_object_list(box, src=src)
    return box[0]


def _device() -> torch.device:
    """NCCL reduces CUDA tensors only; gloo reduces CPU tensors."""
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")
