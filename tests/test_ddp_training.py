"""Two gloo processes on CPU train the seed's MLP under DistributedDataParallel."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import torch

from ddp_helpers import spawn, train_worker


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    return spawn(train_worker, out, 3, None)


def test_every_rank_runs_the_same_steps_and_all_rows(ddp_run):
    per_rank = [r["losses"].filter(pl.col("epoch") == 0).height for r in ddp_run]
    # global batches of 64 rows: ceil(350 / 64) = 6 steps on each rank
    assert per_rank == [6, 6]
    for r in ddp_run:
        assert sorted(r["losses"]["epoch"].unique().to_list()) == [0, 1, 2]


def test_weights_identical_across_ranks(ddp_run):
    a, b = (r["state"] for r in ddp_run)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def _epoch_train_loss(run) -> list[float]:
    m = run["metrics"]
    rows = m.filter((pl.col("name") == "train_loss") & pl.col("batch").is_null()).sort("epoch")
    return rows["value"].to_list()


def test_epoch_train_loss_is_the_mean_over_ranks(ddp_run):
    local_means = []
    for r in ddp_run:
        batches = r["metrics"].filter((pl.col("name") == "train_loss") & pl.col("batch").is_not_null())
        local_means.append(batches.group_by("epoch").agg(pl.col("value").mean()).sort("epoch")["value"].to_numpy())
    expected = np.mean(local_means, axis=0)
    for r in ddp_run:
        np.testing.assert_allclose(_epoch_train_loss(r), expected, rtol=1e-12)


def test_val_loss_is_global_and_matches_single_process(ddp_run):
    vals = []
    for r in ddp_run:
        m = r["metrics"].filter(pl.col("name") == "val_loss").sort("epoch")
        vals.append(m["value"].to_list())
    assert len(vals[0]) == 3
    assert vals[0] == vals[1]
    single = ddp_run[0]["single_val_loss"]
    (value,) = single.values()
    np.testing.assert_allclose(vals[0][-1], value, rtol=1e-5)


def test_rank_zero_only_callbacks_run_on_rank_zero_alone(ddp_run):
    assert [r["calls"] for r in ddp_run] == [(3, 3), (3, 0)]
