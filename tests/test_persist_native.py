"""The two native helpers of the persistence layer: TableLog.append_table and load_log."""

from __future__ import annotations

import pytest

from modularml import _store

SCHEMA = [("s", "str"), ("i", "int"), ("f", "f64"), ("o", "f64?"), ("h", "obj")]
ROWS = [("a/ü", 1, 0.5, None, 3), (None, None, -1.0, 2.5, 0), ("a/ü", 7, 2.0, 1.0, 9)]


def _table(rows):
    table = _store.Table(SCHEMA)
    for row in rows:
        table.append(*row)
    return table


def _rows(table):
    view = table.view()
    return list(zip(*(view.column(name) for name, _ in SCHEMA), strict=True))


def test_append_table_writes_only_new_rows_and_load_log_reads_them_back(tmp_path):
    table = _table(ROWS[:2])
    with _store.TableLog(tmp_path / "t.log", SCHEMA) as log:
        assert log.append_table(table, 0) == 2
        assert log.append_table(table, 2) == 2  # nothing new
        table.append(*ROWS[2])
        assert log.append_table(table, 2) == 3
    loaded = _store.Table(SCHEMA)
    assert _store.load_log(tmp_path / "t.log", loaded) is None
    assert _rows(loaded) == ROWS
    assert _store.read_log(tmp_path / "t.log")[0]["s"] == ["a/ü", None, "a/ü"]


def test_load_log_matches_columns_by_name_and_reports_damage(tmp_path):
    path = tmp_path / "t.log"
    with _store.TableLog(path, SCHEMA) as log:
        log.append_table(_table(ROWS), 0)
        log.flush()
        log.append_table(_table(ROWS), 0)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    reordered = _store.Table(list(reversed(SCHEMA)))
    defect = _store.load_log(path, reordered)
    assert defect is not None and "t.log" in defect
    assert len(reordered) == 3  # the first frame, intact
    assert reordered.view().column("s") == ["a/ü", None, "a/ü"]


def test_type_mismatch_is_refused(tmp_path):
    other = _store.Table([("s", "int"), ("i", "int"), ("f", "f64"), ("o", "f64?"), ("h", "obj")])
    other.append(1, 2, 3.0, None, 0)
    with _store.TableLog(tmp_path / "t.log", SCHEMA) as log, pytest.raises(ValueError):
        log.append_table(other, 0)
    with pytest.raises(ValueError, match="no column"):
        _store.load_log(tmp_path / "t.log", _store.Table([("zz", "str")]))
