"""BatchSource: a phase's split tensors, built once, and each epoch's batch keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from modularml import distributed
from modularml.core.experiment.execution_context import Batch


class BatchSource:
    """Gathers every step's head-node inputs from tensors materialized once per split.

    Each binding's `(features, targets)` come from `FeatureSetView.tensors` (float32 on the
    graph's device, cached on the split view). A batch is a slice (unshuffled) or an index
    gather (shuffled) into them, never a per-sample Python loop. Bindings that read the
    same columns of the same split share one batch.

    Args:
        bindings: the phase's InputBindings (all on one split, so one row count).
        device: where the tensors live.
        sampler: a sampler with `start`, `epoch_order` and `batch_bounds`, or None.
        batch_size: rows per batch without a sampler; None means one batch of all rows.
        shard: without a sampler, keep only this rank's contiguous block of rows under
            torch.distributed (EvalPhase; see `modularml.distributed.sharding`).
    """

    def __init__(
        self,
        bindings: Sequence[Any],
        device: torch.device,
        sampler: Any = None,
        batch_size: int | None = None,
        shard: bool = False,
    ) -> None:
        self._device = device
        self._sampler = sampler
        self._tensors: dict[tuple, tuple[Any, Any]] = {}
        self._heads: list[tuple[str, tuple]] = []
        sizes = set()
        for b in bindings:
            view = b.resolve_view()
            sizes.add(len(view))
            key = (b.reference.node_label, b.split, b.reference.features, b.reference.targets)
            if key not in self._tensors:
                self._tensors[key] = view.tensors(b.reference, device)
            self._heads.append((b.node_label, key))
        if len(sizes) != 1:
            raise ValueError(f"Input bindings cover different numbers of rows: {sorted(sizes)}.")
        self.n_samples = sizes.pop()
        if self.n_samples == 0:
            raise RuntimeError("The phase's split is empty: there is nothing to run.")
        self._batch_size = batch_size or self.n_samples
        self._shard = shard
        self._single = len(self._heads) == 1

    def start(self) -> None:
        """Called once per phase run (resets the sampler's shuffling generator)."""
        if self._sampler is not None:
            self._sampler.start()

    def epoch_keys(self) -> list[Any]:
        """One key per batch of the next epoch: a slice, or a tensor of row positions."""
        n = self.n_samples
        if self._sampler is None:
            start, n = 0, self.n_samples
            if self._shard and distributed.world_size() > 1:
                start, n = distributed.contiguous_shard(n, distributed.rank(),
                                                        distributed.world_size())
            bs = self._batch_size
            return [slice(i, min(i + bs, n)) for i in range(start, n, bs)]
        bounds = self._sampler.batch_bounds(n)
        if not bounds:
            raise RuntimeError(f"The sampler yields no batches for {n} rows.")
        order = self._sampler.epoch_order(n)
        if order is None:
            return [slice(a, b) for a, b in bounds]
        order_t = torch.from_numpy(order).to(self._device)
        return [order_t[a:b] for a, b in bounds]

    def inputs(self, key: Any) -> dict[str, Batch]:
        """`{head node label: Batch}` for one batch key (gathered when first read)."""
        if self._single:
            label, tkey = self._heads[0]
            return {label: Batch(source=self._tensors[tkey], key=key)}
        batches = {k: Batch(source=pair, key=key) for k, pair in self._tensors.items()}
        return {label: batches[k] for label, k in self._heads}
