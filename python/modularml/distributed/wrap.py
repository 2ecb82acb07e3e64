"""DistributedDataParallel around the trainable torch nodes of a TrainPhase."""

from __future__ import annotations

from typing import Any

import torch


def wrap_trainable(model: Any) -> Any:
    """`model` in a DistributedDataParallel when a process group is up, else `model`.

    Wrapped once per TrainPhase run, so which parameters train (frozen nodes) is read
    afresh each time; building the wrapper copies rank 0's weights to every rank. Only
    torch modules with a parameter that needs a gradient are wrapped (DDP refuses
    others). On CPU (gloo) no device ids are given; on CUDA the module's device is used.
    """
    from modularml.distributed.ranks import is_distributed

    if not is_distributed() or not isinstance(model, torch.nn.Module):
        return model
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        return model
    device = params[0].device
    ids = [device] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
