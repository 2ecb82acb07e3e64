"""Compacted Arrow IPC files, atomic manifests, slugs and run directories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modularml import _store

SCHEMA = [("name", "str"), ("epoch", "int"), ("value", "f64"), ("aux", "f64?"), ("obj", "obj")]
COLUMNS = {
    "name": ["loss", None, "ü/λ", "loss"],
    "epoch": [0, None, 2, 3],
    "value": [0.5, -1.0, math.inf, 3.0],
    "aux": [None, 2.5, None, 1.0],
    "obj": [0, 1, 2, 4_000_000_000],
}


def test_polars_scans_a_compacted_table_with_exact_values(tmp_path: Path):
    path = tmp_path / "metrics.arrow"
    _store.write_ipc(path, COLUMNS, SCHEMA)
    frame = pl.scan_ipc(path).collect()
    assert frame.columns == [name for name, _ in SCHEMA]
    assert frame.dtypes == [pl.String, pl.Int64, pl.Float64, pl.Float64, pl.UInt32]
    assert frame.to_dict(as_series=False) == COLUMNS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.arrow", "metrics.arrow.crc"]
    assert _store.verify_table(path) is None


@pytest.mark.parametrize("suffix", ["arrow", "parquet"])
def test_a_flipped_byte_in_a_compacted_table_is_detected_and_located(tmp_path: Path, suffix: str):
    path = tmp_path / f"metrics.{suffix}"
    write = _store.write_ipc if suffix == "arrow" else _store.write_parquet
    write(path, COLUMNS, SCHEMA)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    problem = _store.verify_table(path)
    assert problem is not None and f"metrics.{suffix}" in problem and "checksum mismatch" in problem
    assert "offset 0" in problem  # small files are one checksummed block
    Path(f"{path}.crc").unlink()
    with pytest.raises(FileNotFoundError, match="crc"):
        _store.verify_table(path)


def test_a_log_compacts_into_hive_partitions_polars_reads(tmp_path: Path):
    for rank in range(2):
        log_path = tmp_path / f"rank{rank}.log"
        with _store.TableLog(log_path, SCHEMA) as log:
            log.append(COLUMNS)
        columns, problem = _store.read_log(log_path)
        assert problem is None
        keys = [("run", "exp/1"), ("phase", "train λ"), ("rank", str(rank))]
        part = _store.partition_dir(tmp_path / "tables", "metrics", keys)
        part.mkdir(parents=True)
        _store.write_ipc(part / "part-0.arrow", columns, SCHEMA)
    files = str(tmp_path / "tables" / "metrics" / "**" / "*.arrow")
    frame = pl.scan_ipc(files, hive_partitioning=True).collect().sort("rank", maintain_order=True)
    assert frame["rank"].to_list() == [0] * 4 + [1] * 4
    assert frame["value"].to_list() == COLUMNS["value"] * 2
    assert frame["run"].unique().to_list() == [_store.slug("exp/1")]


def test_write_ipc_checks_lengths(tmp_path: Path):
    with pytest.raises(ValueError, match="has 1 values"):
        _store.write_ipc(tmp_path / "a.arrow", {**COLUMNS, "obj": [1]}, SCHEMA)


def test_manifests_are_replaced_atomically(tmp_path: Path):
    path = tmp_path / "manifest.json"
    _store.write_json_atomic(path, json.dumps({"phases": ["train"]}))
    _store.write_json_atomic(str(path), json.dumps({"phases": ["train", "ü"]}))
    assert json.loads(path.read_text()) == {"phases": ["train", "ü"]}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
    with pytest.raises(FileNotFoundError):
        _store.write_json_atomic(tmp_path / "missing" / "m.json", "{}")


def test_run_dirs_are_created_new_and_never_shared(tmp_path: Path):
    first = _store.create_run_dir(tmp_path, "exp/1")
    second = _store.create_run_dir(tmp_path, "exp/1")
    assert first != second and first.is_dir() and second.is_dir()
    assert first.parent == tmp_path and second.name == f"{first.name}-1"


@given(st.text(max_size=300))
def test_slugs_are_safe_file_names_and_deterministic(label: str):
    name = _store.slug(label)
    assert name == _store.slug(label)
    assert 0 < len(name) <= 65 and name not in {".", ".."} and not name.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "-_.") for c in name)


def test_distinct_labels_get_distinct_slugs():
    labels = ["a/b", "a_b", "a?b", "..", ".", "", "x" * 500, "x" * 499 + "y", "train", "Train λ"]
    assert len({_store.slug(label) for label in labels}) == len(labels)
    assert _store.slug("train") == "train"


def test_a_torn_log_compacts_to_its_valid_prefix(tmp_path: Path):
    log_path, ipc_path = tmp_path / "metrics.log", tmp_path / "metrics.arrow"
    with _store.TableLog(log_path, SCHEMA) as log:
        log.append(COLUMNS)
        log.flush(durable=False)
        log.append(COLUMNS)
    log_path.write_bytes(log_path.read_bytes()[:-1])
    problem = _store.compact_log(log_path, ipc_path)
    assert problem is not None and "torn tail" in problem and "metrics.log" in problem
    assert pl.scan_ipc(ipc_path).collect().to_dict(as_series=False) == COLUMNS
    assert _store.compact_log(tmp_path / "metrics.log", tmp_path / "again.arrow") == problem


def test_a_log_with_no_schema_compacts_to_an_empty_table(tmp_path: Path):
    log_path, ipc_path = tmp_path / "empty.log", tmp_path / "empty.arrow"
    log_path.write_bytes(b"")
    assert _store.compact_log(log_path, ipc_path) is None
    assert pl.read_ipc(ipc_path).shape == (0, 0)


def test_parquet_files_scan_with_exact_values(tmp_path: Path):
    path = tmp_path / "metrics.parquet"
    _store.write_parquet(path, COLUMNS, SCHEMA)
    frame = pl.scan_parquet(path).collect()
    assert frame.dtypes == [pl.String, pl.Int64, pl.Float64, pl.Float64, pl.UInt32]
    assert frame.to_dict(as_series=False) == COLUMNS
    log_path = tmp_path / "metrics.log"
    with _store.TableLog(log_path, SCHEMA) as log:
        log.append(COLUMNS)
        log.flush(durable=False)
        log.append(COLUMNS)
    assert _store.compact_log(log_path, tmp_path / "c.parquet", format="parquet") is None
    doubled = {name: values * 2 for name, values in COLUMNS.items()}
    assert pl.read_parquet(tmp_path / "c.parquet").to_dict(as_series=False) == doubled
    with pytest.raises(ValueError, match="unknown table format"):
        _store.compact_log(log_path, tmp_path / "c.csv", format="csv")
