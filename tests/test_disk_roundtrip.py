"""Property: any rows of any column types come back unchanged from a log and from IPC."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from modularml import _store

VALUES = {
    "str": st.none() | st.text(max_size=20),
    "int": st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "f64": st.floats(allow_nan=False),
    "f64?": st.none() | st.floats(allow_nan=False),
    "obj": st.integers(min_value=0, max_value=2**32 - 1),
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[dict[str, list]]]:
    kinds = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=5))
    schema = [(f"c{i}/ü", kind) for i, kind in enumerate(kinds)]
    batches = []
    for rows in draw(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=4)):
        batches.append(
            {
                name: draw(st.lists(VALUES[kind], min_size=rows, max_size=rows))
                for name, kind in schema
            }
        )
    return schema, batches


@settings(max_examples=60, deadline=None)
@given(tables())
def test_rows_round_trip_through_a_log_and_an_ipc_file(
    table: tuple[list[tuple[str, str]], list[dict[str, list]]],
):
    schema, batches = table
    expected = {name: [v for batch in batches for v in batch[name]] for name, _ in schema}
    with tempfile.TemporaryDirectory() as directory:
        log_path, ipc_path = Path(directory) / "t.log", Path(directory) / "t.arrow"
        with _store.TableLog(log_path, schema) as log:
            for batch in batches:
                log.append(batch)
                log.flush(durable=False)
        columns, problem = _store.read_log(log_path)
        assert problem is None
        assert columns == expected
        assert _store.compact_log(log_path, ipc_path) is None
        assert pl.read_ipc(ipc_path).to_dict(as_series=False) == expected
        parquet_path = Path(directory) / "t.parquet"
        assert _store.compact_log(log_path, parquet_path, format="parquet") is None
        assert pl.read_parquet(parquet_path).to_dict(as_series=False) == expected
