"""A 2-rank DDP run on disk: one shard per rank, one merged view, Parquet partitions, a kill."""

from __future__ import annotations

import json

import polars as pl
import pytest

from ddp_helpers import kill_worker, spawn, spawn_unchecked, train_worker
from modularml import open_results, scan_results


@pytest.fixture(scope="module")
def ddp_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp_disk")
    (root / "out").mkdir()
    runs = spawn(train_worker, root / "out", 2, str(root / "res"))
    return root / "res", runs


def test_one_run_dir_with_a_shard_per_rank_and_rank0_manifest(ddp_dir):
    res, _ = ddp_dir
    (run_dir,) = [p for p in res.iterdir() if p.is_dir() and p.name != "tables"]
    assert sorted(p.name for p in run_dir.glob("rank=*")) == ["rank=0", "rank=1"]
    manifest = json.loads((run_dir / "manifest.json").read_text())["body"]
    assert manifest["ranks"] == [0, 1] and manifest["status"] == "completed"


def test_merged_view_holds_every_batch_of_every_rank(ddp_dir):
    res, runs = ddp_dir
    (run,) = open_results(res).runs
    assert sorted(run.metadata["ranks"]) == [0, 1]
    frame = open_results(res).to_polars()
    losses = frame.filter((pl.col("record") == "loss") & (pl.col("component") == "trainable"))
    for rank, live in enumerate(runs):
        live_rows = live["losses"].select("epoch", "batch", pl.col("trainable").alias("value"))
        mine = losses.filter(pl.col("rank") == rank).select("epoch", "batch", "value")
        assert mine.sort("epoch", "batch").equals(live_rows.sort("epoch", "batch"))
    assert losses.height == sum(r["losses"].height for r in runs) == 2 * 2 * 6


def test_scan_results_reads_the_hive_partitions(ddp_dir):
    res, runs = ddp_dir
    metrics = scan_results(res).collect()
    assert set(metrics["rank"].unique().to_list()) == {0, 1}
    assert set(metrics.columns) >= {"name", "epoch", "batch", "value", "run", "phase", "rank"}
    epoch_loss = (metrics.filter((pl.col("name") == "train_loss") & pl.col("batch").is_null())
                  .sort("rank", "epoch"))
    assert epoch_loss.height == 4  # 2 epochs x 2 ranks, same global value on both ranks
    by_rank = epoch_loss.partition_by("rank", maintain_order=True)
    assert by_rank[0]["value"].to_list() == by_rank[1]["value"].to_list()
    direct = pl.scan_parquet(res / "tables" / "losses" / "**" / "*.parquet",
                             hive_partitioning=True).collect()
    assert direct.height == sum(r["losses"].height for r in runs)


@pytest.mark.parametrize("victim", [1, 0])
def test_a_killed_rank_leaves_the_other_shard_readable(tmp_path, victim):
    (tmp_path / "out").mkdir()
    codes = spawn_unchecked(kill_worker, tmp_path / "out", str(tmp_path / "res"), victim)
    assert codes[victim] == -9  # SIGKILL
    assert codes[1 - victim] == 0  # the survivor's phase failed, it did not hang
    directory = open_results(tmp_path / "res")
    assert directory.defects == [] or all("torn" in d or "tail" in d for d in directory.defects)
    (run,) = directory.runs
    # both ranks flushed epochs 0 and 1 before the victim died in epoch 2
    for rank in (0, 1):
        losses = run.metadata["ranks"][rank].losses("MLP").to_polars()
        assert {0, 1} <= set(losses["epoch"].to_list())
    # rank 0 owns the manifest: "failed" if it survived, still "running" if it was killed
    assert run.status == ("running" if victim == 0 else "failed")
