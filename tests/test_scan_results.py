"""scan_results: a sweep of runs (and of results directories) as one hive-partitioned LazyFrame."""

from __future__ import annotations

import polars as pl
import pytest

from modularml import ResultsConfig, open_results, scan_results
from modularml.examples import ddp_train


def _run(results_dir, table_format="parquet", label="train"):
    exp = ddp_train.build_experiment(n_samples=120, results_dir=None)
    exp.results_config = ResultsConfig(results_dir=results_dir, table_format=table_format)
    phase = ddp_train.train_phase(n_epochs=2)
    phase.label = label  # the run directory's name: the `run` partition
    exp.run_phase(phase, show_progress=False)


def test_a_sweep_directory_is_one_dataset(tmp_path):
    for name in ("a", "b"):
        _run(tmp_path / "sweep" / name, label=f"lr-{name}")
    _run(tmp_path / "sweep" / "a", label="lr-a")  # same label again: run "lr-a-1"
    frame = scan_results(tmp_path / "sweep").collect()
    assert sorted(frame["run"].unique().to_list()) == ["lr-a", "lr-a-1", "lr-b"]
    assert set(frame["rank"].unique().to_list()) == {0}
    epoch_rows = frame.filter((pl.col("name") == "train_loss") & pl.col("batch").is_null())
    assert epoch_rows.height == 3 * 2
    one = scan_results(tmp_path / "sweep" / "a", table="losses").collect()
    direct = pl.scan_parquet(tmp_path / "sweep" / "a" / "tables" / "losses" / "**" / "*.parquet",
                             hive_partitioning=True).collect()
    assert one.height == direct.height > 0
    merged = open_results(tmp_path / "sweep" / "a").to_polars()
    assert merged.columns[:2] == ["run", "rank"] and merged["run"].n_unique() == 2


def test_ipc_runs_scan_too_and_errors_are_clear(tmp_path):
    _run(tmp_path / "ipc", table_format="ipc")
    assert scan_results(tmp_path / "ipc").collect().height > 0
    with pytest.raises(ValueError, match="Unknown table"):
        scan_results(tmp_path / "ipc", table="nope")
    with pytest.raises(FileNotFoundError):
        scan_results(tmp_path / "empty")
    with pytest.raises(ValueError, match="table_format"):
        ResultsConfig(results_dir=tmp_path, table_format="csv")
