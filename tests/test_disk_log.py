"""Table logs through the Python API: round trips, reopen, damage, errors."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from modularml import _store

SCHEMA = [
    ("name", "str"),
    ("epoch", "int"),
    ("batch", "int"),
    ("value", "f64"),
    ("aux", "f64?"),
    ("obj", "obj"),
]


def rows(start: int, count: int) -> dict[str, list]:
    span = range(start, start + count)
    return {
        "name": [None if i % 7 == 6 else f"metric/ü{i % 3}" for i in span],
        "epoch": [i // 10 for i in span],
        "batch": [None if i % 10 == 0 else i for i in span],
        "value": [i * 0.25 for i in span],
        "aux": [None if i % 2 else -float(i) for i in span],
        "obj": list(span),
    }


def joined(*parts: dict[str, list]) -> dict[str, list]:
    return {name: [v for part in parts for v in part[name]] for name, _ in SCHEMA}


def test_appended_rows_read_back_exactly(tmp_path: Path):
    path = tmp_path / "metrics.log"
    log = _store.TableLog(path, SCHEMA)
    log.append(rows(0, 25))
    log.flush()
    log.append(rows(25, 5))
    log.close()
    columns, problem = _store.read_log(path)
    assert problem is None
    assert list(columns) == [name for name, _ in SCHEMA]
    assert columns == joined(rows(0, 25), rows(25, 5))


def test_flush_makes_rows_visible_to_a_reader_while_the_log_stays_open(tmp_path: Path):
    path = tmp_path / "metrics.log"
    with _store.TableLog(str(path), SCHEMA) as log:
        log.append(rows(0, 3))
        log.flush(durable=False)
        assert _store.read_log(path)[0]["obj"] == [0, 1, 2]
    with pytest.raises(ValueError, match="closed"):
        log.append(rows(3, 1))


def test_special_floats_round_trip(tmp_path: Path):
    path = tmp_path / "floats.log"
    schema = [("value", "f64"), ("aux", "f64?")]
    with _store.TableLog(path, schema) as log:
        log.append({"value": [math.inf, -0.0, math.nan, 1e-308], "aux": [None, math.nan, 2, None]})
    columns, _ = _store.read_log(path)
    assert columns["value"][:2] == [math.inf, -0.0] and math.isnan(columns["value"][2])
    assert (
        columns["aux"][0] is None
        and math.isnan(columns["aux"][1])
        and columns["aux"][2:] == [2.0, None]
    )


def test_reopening_appends_after_the_existing_rows(tmp_path: Path):
    path = tmp_path / "metrics.log"
    with _store.TableLog(path, SCHEMA) as log:
        log.append(rows(0, 4))
    with _store.TableLog(path, SCHEMA) as log:
        log.append(rows(4, 4))
    assert _store.read_log(path)[0] == joined(rows(0, 4), rows(4, 4))
    with pytest.raises(ValueError, match=r"holds columns \[name: str"):
        _store.TableLog(path, [("name", "str")])


def test_bad_columns_are_refused_and_the_log_is_unchanged(tmp_path: Path):
    path = tmp_path / "metrics.log"
    with _store.TableLog(path, SCHEMA) as log:
        with pytest.raises(ValueError, match="missing column"):
            log.append({**{k: v for k, v in rows(0, 1).items() if k != "aux"}, "extra": [1]})
        with pytest.raises(TypeError, match=r'column "value" \(f64\): must be real number'):
            log.append({**rows(0, 1), "value": ["x"]})
        with pytest.raises(ValueError, match="has 2 values"):
            log.append({**rows(0, 1), "obj": [1, 2]})
        with pytest.raises(ValueError, match="unknown column type"):
            _store.TableLog(tmp_path / "other.log", [("a", "float")])
    assert _store.read_log(path)[0]["obj"] == []


def test_a_truncated_log_gives_the_valid_prefix_and_names_the_offset(tmp_path: Path):
    path = tmp_path / "metrics.log"
    with _store.TableLog(path, SCHEMA) as log:
        for start in range(0, 30, 10):
            log.append(rows(start, 10))
            log.flush(durable=False)
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    columns, problem = _store.read_log(path)
    assert columns == joined(rows(0, 10), rows(10, 10))
    assert problem is not None and "metrics.log" in problem and "torn tail" in problem
    assert f"offset {frame_offsets(data)[-1]}" in problem


def frame_offsets(data: bytes) -> list[int]:
    """Start of each frame, from the length field of each 20-byte header."""
    offsets, offset = [], 0
    while offset < len(data):
        offsets.append(offset)
        offset += 20 + int.from_bytes(data[offset + 8 : offset + 12], "little")
    return offsets


def test_a_flipped_byte_is_detected_named_and_the_prefix_reads(tmp_path: Path):
    path = tmp_path / "metrics.log"
    with _store.TableLog(path, SCHEMA) as log:
        log.append(rows(0, 10))
        log.flush(durable=False)
        log.append(rows(10, 10))
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    columns, problem = _store.read_log(path)
    assert columns == rows(0, 10)
    assert problem is not None and "checksum mismatch" in problem and "metrics.log" in problem
    with pytest.raises(_store.CorruptFileError, match="checksum mismatch") as raised:
        _store.TableLog(path, SCHEMA)
    assert isinstance(raised.value, OSError)


def test_io_errors_are_os_errors_naming_the_path(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="missing.log"):
        _store.read_log(tmp_path / "missing.log")
    with pytest.raises(FileNotFoundError, match="no-dir"):
        _store.TableLog(tmp_path / "no-dir" / "a.log", SCHEMA)


def test_an_empty_file_reads_as_no_columns(tmp_path: Path):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    assert _store.read_log(path) == ({}, None)


def test_rows_reach_the_file_within_max_delay_without_a_flush(tmp_path: Path):
    path = tmp_path / "metrics.log"
    log = _store.TableLog(path, SCHEMA, max_delay=0.01)
    log.append(rows(0, 5))
    deadline = time.monotonic() + 5
    while len(_store.read_log(path)[0]["obj"]) < 5:
        assert time.monotonic() < deadline, "rows never written"
        time.sleep(0.005)
    with pytest.raises(ValueError, match="max_delay"):
        _store.TableLog(tmp_path / "b.log", SCHEMA, max_delay=-1)
    log.close()
