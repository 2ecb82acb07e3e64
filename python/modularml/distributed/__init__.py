"""Training under torch.distributed (DDP): ranks, sharding rules, cross-rank reductions.

Nothing here starts processes or a process group: launch with `torchrun` (or
`torch.multiprocessing.spawn`) and call `torch.distributed.init_process_group` ("gloo"
on CPU, "nccl" on GPUs) before running phases. When a group is initialised:

- a TrainPhase wraps each trainable torch node in `DistributedDataParallel`, so
  gradients are averaged across ranks and weights stay identical;
- `SimpleSampler` shards each epoch's rows by rank (see `shard_batches`);
- EvalPhases shard their rows into contiguous blocks, one per rank, and `Evaluation`
  reduces its losses across ranks, so `val_loss` is the global value on every rank;
- the per-epoch `train_loss` is the mean over ranks; progress bars draw on rank 0 only;
- callbacks run on every rank, except those with `rank_zero_only = True`
  (see `rank_zero_only`).

Without a process group every function here is the single-process identity.
"""

from modularml.distributed.ranks import (
    all_reduce_sum,
    broadcast_object,
    is_distributed,
    is_rank_zero,
    rank,
    rank_zero_only,
    runs_on_this_rank,
    world_size,
)
from modularml.distributed.sharding import contiguous_shard, shard_batches
from modularml.distributed.wrap import wrap_trainable

__all__ = [
    "all_reduce_sum",
    "broadcast_object",
    "contiguous_shard",
    "is_distributed",
    "is_rank_zero",
    "rank",
    "rank_zero_only",
    "runs_on_this_rank",
    "shard_batches",
    "world_size",
    "wrap_trainable",
]
