"""Sharding rules of SimpleSampler and eval blocks, checked rank by rank without processes."""

from __future__ import annotations

import numpy as np
import pytest

import modularml.distributed as distributed
from modularml.distributed import contiguous_shard, shard_batches
from modularml.samplers import SimpleSampler


@pytest.mark.parametrize("n", [1, 2, 3, 63, 64, 65, 350, 351])
@pytest.mark.parametrize("world", [2, 3])
def test_every_row_once_and_equal_steps(n, world):
    shards = [shard_batches(n, 32, False, r, world) for r in range(world)]
    steps = {len(bounds) for _, bounds in shards}
    assert len(steps) == 1
    seen = np.concatenate([positions for positions, _ in shards])
    repeats = max(0, world - (n % (32 * world) or 32 * world))
    assert len(seen) == n + repeats
    assert set(seen.tolist()) == set(range(n))
    for positions, bounds in shards:
        assert all(0 < b - a <= 32 for a, b in bounds)
        assert bounds[-1][1] == len(positions)


def test_drop_last_keeps_full_global_batches_only():
    positions, bounds = shard_batches(150, 32, True, 1, 2)
    assert len(bounds) == 2 and len(positions) == 64
    assert positions.tolist() == list(range(32, 64)) + list(range(96, 128))


def test_contiguous_blocks_cover_the_rows():
    blocks = [contiguous_shard(75, r, 2) for r in range(2)]
    assert blocks == [(0, 38), (38, 75)]


def _fake_world(monkeypatch, rank, world):
    monkeypatch.setattr(distributed, "rank", lambda: rank)
    monkeypatch.setattr(distributed, "world_size", lambda: world)


def _rank_rows(monkeypatch, rank, shuffle):
    _fake_world(monkeypatch, rank, 2)
    sampler = SimpleSampler(batch_size=8, shuffle=shuffle, seed=3)
    sampler.start()
    epochs = []
    for _ in range(2):
        bounds = sampler.batch_bounds(50)
        order = sampler.epoch_order(50)
        epochs.append([order[a:b].tolist() for a, b in bounds])
    return epochs


@pytest.mark.parametrize("shuffle", [False, True])
def test_sampler_ranks_partition_each_epoch(monkeypatch, shuffle):
    rank0, rank1 = (_rank_rows(monkeypatch, r, shuffle) for r in range(2))
    for epoch in range(2):
        assert len(rank0[epoch]) == len(rank1[epoch]) == 4
        rows = [x for batch in rank0[epoch] + rank1[epoch] for x in batch]
        assert sorted(rows) == list(range(50))
    assert (rank0[0] != rank0[1]) == shuffle  # reshuffled per epoch, same on reruns
    assert _rank_rows(monkeypatch, 0, shuffle) == rank0


def test_single_process_is_unchanged():
    sampler = SimpleSampler(batch_size=8)
    assert sampler.epoch_order(20) is None
    assert sampler.batch_bounds(20) == [(0, 8), (8, 16), (16, 20)]


def test_unseeded_shuffle_takes_rank_zero_entropy(monkeypatch):
    sent = []

    def broadcast(value, src=0):
        sent.append(value)
        return 1234  # what rank 0 drew

    monkeypatch.setattr(distributed, "is_distributed", lambda: True)
    monkeypatch.setattr(distributed, "broadcast_object", broadcast)
    _fake_world(monkeypatch, 1, 2)
    unseeded, seeded = SimpleSampler(batch_size=8, shuffle=True), SimpleSampler(
        batch_size=8, shuffle=True, seed=1234)
    for sampler in (unseeded, seeded):
        sampler.start()
        sampler.batch_bounds(50)
    assert len(sent) == 1
    assert unseeded.epoch_order(50).tolist() == seeded.epoch_order(50).tolist()
