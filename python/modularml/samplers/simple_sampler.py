"""SimpleSampler: consecutive batches over the rows, optionally reshuffled every epoch."""

from __future__ import annotations

from typing import Any

import numpy as np

from modularml import distributed


class SimpleSampler:
    """Batches of `batch_size` row positions; the last partial batch is kept unless `drop_last`.

    With `shuffle=True` the rows are permuted anew at the start of every epoch. The
    permutations come from one generator seeded with `seed` when a phase run starts, so a
    run with the same seed sees exactly the same batches. (The reference draws one
    permutation per sampler instance and reuses it for every epoch and rerun; we reshuffle
    per epoch, as its docs describe.) `seed=None` draws fresh entropy on every run.

    Under torch.distributed every rank draws the same permutation (with `seed=None`, rank
    0's entropy is broadcast) and keeps its share of each global batch of
    `batch_size * world_size` rows: every rank runs the same number of steps and every row
    is seen once per epoch in total (`modularml.distributed.sharding` states the rule).

    Args:
        batch_size: samples per batch (>= 1).
        shuffle: reshuffle the rows every epoch.
        seed: seed of the shuffling generator.
        drop_last: drop a last batch smaller than `batch_size`.
    """

    def __init__(
        self,
        batch_size: int = 1,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self._rng: np.random.Generator | None = None
        self._positions: np.ndarray | None = None  # this rank's positions in the epoch order

    def __repr__(self) -> str:
        return f"SimpleSampler(batch_size={self.batch_size})"

    def num_batches(self, n_samples: int) -> int:
        full, rest = divmod(n_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def batch_bounds(self, n_samples: int) -> list[tuple[int, int]]:
        """`(start, stop)` positions of each batch within an epoch's row order (this rank's)."""
        world = distributed.world_size()
        if world > 1:
            positions, bounds = distributed.shard_batches(
                n_samples, self.batch_size, self.drop_last, distributed.rank(), world)
            self._positions = positions
            return bounds
        bs = self.batch_size
        return [(i * bs, min((i + 1) * bs, n_samples)) for i in range(self.num_batches(n_samples))]

    def start(self) -> None:
        """Reset the shuffling generator; called once at the start of each phase run."""
        seed = self.seed
        if seed is None and self.shuffle and distributed.is_distributed():
            seed = distributed.broadcast_object(int(np.random.SeedSequence().entropy % 2**63))
        self._rng = np.random.default_rng(seed)

    def epoch_order(self, n_samples: int) -> np.ndarray | None:
        """This epoch's row order (this rank's rows under DDP), or None for the natural order.

        Call `batch_bounds` first: under DDP the order holds only this rank's rows.
        """
        order = None
        if self.shuffle:
            if self._rng is None:
                self.start()
            order = self._rng.permutation(n_samples)  # type: ignore[union-attr]
        if distributed.world_size() == 1:
            return order
        if self._positions is None:
            self.batch_bounds(n_samples)
        return self._positions if order is None else order[self._positions]

    def get_config(self) -> dict[str, Any]:
        return {
            "sampler_name": type(self).__name__,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "seed": self.seed,
            "drop_last": self.drop_last,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SimpleSampler:
        kwargs = {k: v for k, v in config.items() if k != "sampler_name"}
        return cls(**kwargs)
