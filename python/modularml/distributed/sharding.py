"""How rows are split between ranks: each epoch's batches, and an eval split's rows.

Training (`shard_batches`): the epoch's row order (identical on every rank: same seed)
is cut into global batches of `batch_size * world_size` rows; each global batch is split
into `world_size` consecutive pieces whose sizes differ by at most one row, piece `r`
going to rank `r`. So every rank runs the same number of steps, every row is seen exactly
once per epoch in total, and a rank's batch never exceeds `batch_size`. With
`drop_last=True` only full global batches are used. The one exception: a last global
batch with fewer rows than ranks gives each rank without a row of its own one row of that
batch again (at most `world_size - 1` repeats per epoch), since every rank must step.

Evaluation (`contiguous_shard`): the split's rows in order, cut into `world_size`
contiguous blocks whose sizes differ by at most one.
"""

from __future__ import annotations

import numpy as np


def _piece(length: int, rank: int, world: int) -> tuple[int, int]:
    """Rows `[start, stop)` of piece `rank` when `length` rows are cut into `world` pieces."""
    base, extra = divmod(length, world)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def contiguous_shard(n_rows: int, rank: int, world: int) -> tuple[int, int]:
    """This rank's `[start, stop)` block of `n_rows` rows (blocks differ by at most one row)."""
    return _piece(n_rows, rank, world)


def shard_batches(
    n_rows: int, batch_size: int, drop_last: bool, rank: int, world: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """This rank's positions into the epoch order, and its batches' bounds within them.

    Returns `(positions, bounds)`: `order[positions[a:b]]` is this rank's batch for each
    `(a, b)` in `bounds`. See the module docstring for the rule.
    """
    step = batch_size * world
    n_global = n_rows // step
    if n_rows % step and not drop_last:
        n_global += 1
    positions: list[np.ndarray] = []
    bounds: list[tuple[int, int]] = []
    offset = 0
    for g in range(n_global):
        start, stop = g * step, min((g + 1) * step, n_rows)
        length = stop - start
        if length >= world:
            a, b = _piece(length, rank, world)
            rows = np.arange(start + a, start + b)
        else:  # fewer rows than ranks: reuse a row of this batch
            rows = np.array([start + rank % length])
        positions.append(rows)
        bounds.append((offset, offset + len(rows)))
        offset += len(rows)
    flat = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    return flat, bounds
