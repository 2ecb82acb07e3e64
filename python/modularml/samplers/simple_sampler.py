"""SimpleSampler: consecutive batches over the rows, optionally reshuffled every epoch."""

from __future__ import annotations

from typing import Any

import numpy as np


class SimpleSampler:
    """Batches of `batch_size` row positions; the last partial batch is kept unless `drop_last`.

    With `shuffle=True` the rows are permuted anew at the start of every epoch. The
    permutations come from one generator seeded with `seed` when a phase run starts, so a
    run with the same seed sees exactly the same batches. (The reference draws one
    permutation per sampler instance and reuses it for every epoch and rerun; we reshuffle
    per epoch, as its docs describe.) `seed=None` draws fresh entropy on every run.

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

    def __repr__(self) -> str:
        return f"SimpleSampler(batch_size={self.batch_size})"

    def num_batches(self, n_samples: int) -> int:
        full, rest = divmod(n_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def batch_bounds(self, n_samples: int) -> list[tuple[int, int]]:
        """`(start, stop)` positions of each batch within an epoch's row order."""
        bs = self.batch_size
        return [(i * bs, min((i + 1) * bs, n_samples)) for i in range(self.num_batches(n_samples))]

    def start(self) -> None:
        """Reset the shuffling generator; called once at the start of each phase run."""
        self._rng = np.random.default_rng(self.seed)

    def epoch_order(self, n_samples: int) -> np.ndarray | None:
        """This epoch's row order, or None for the natural order (no shuffling)."""
        if not self.shuffle:
            return None
        if self._rng is None:
            self.start()
        return self._rng.permutation(n_samples)  # type: ignore[union-attr]

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
