"""Property tests: native queries agree with plain-Python definitions."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modularml import _store

SCHEMA = [("label", "str"), ("epoch", "int"), ("value", "f64"), ("maybe", "f64?")]

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["train", "val", "a label longer than twelve", None]),
        st.one_of(st.none(), st.integers(0, 3), st.sampled_from([-(2**60), 2**60])),
        st.floats(-1e6, 1e6),
        st.one_of(st.none(), st.floats(-1e6, 1e6)),
    ),
    max_size=60,
)


def build(rows, split: int) -> _store.Table:
    """Rows appended one by one, then the rest extended as one batch."""
    table = _store.Table(SCHEMA)
    for row in rows[:split]:
        table.append(*row)
    rest = rows[split:]
    if rest:
        columns: dict[str, object] = {
            name: [r[i] for r in rest] for i, (name, _) in enumerate(SCHEMA)
        }
        # Columns without None also go through the numpy path.
        columns["value"] = np.array(columns["value"], dtype=np.float64)
        if None not in columns["epoch"]:  # type: ignore[operator]
            columns["epoch"] = np.array(columns["epoch"], dtype=np.int64)
        table.extend(columns)
    return table


def reference_collapse(rows, by: list[int], reducer: str) -> list[tuple]:
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        groups.setdefault(tuple(row[i] for i in by), []).append(row)
    out = []
    for key, members in groups.items():
        reduced = []
        for column in (2, 3):
            present = [m[column] for m in members if m[column] is not None]
            reduced.append(reduce_list(present, reducer))
        out.append((*key, *reduced))
    return out


def reduce_list(values: list[float], reducer: str):
    if reducer == "count":
        return len(values)
    if not values:
        return None
    return {
        "mean": lambda v: math.fsum(v) / len(v),
        "sum": math.fsum,
        "min": min,
        "max": max,
        "first": lambda v: v[0],
        "last": lambda v: v[-1],
    }[reducer](values)


def close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


@settings(max_examples=150, deadline=None)
@given(
    rows=rows_strategy,
    split=st.integers(0, 60),
    by=st.sampled_from([[0], [1], [1, 0], []]),
    reducer=st.sampled_from(["mean", "sum", "min", "max", "first", "last", "count"]),
)
def test_collapse_matches_python(rows, split, by, reducer):
    view = build(rows, split).view()
    names = [SCHEMA[i][0] for i in by]
    result = view.collapse(names, reducer)
    got = [result.row(i) for i in range(len(result))]
    expected = reference_collapse(rows, by, reducer) if rows else []
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert all(close(a, b) for a, b in zip(g, e, strict=True)), (g, e)


@settings(max_examples=150, deadline=None)
@given(
    rows=rows_strategy,
    split=st.integers(0, 60),
    column=st.sampled_from([0, 1, 2]),
    picks=st.lists(st.integers(0, 59), max_size=4),
)
def test_where_in_sort_and_distinct_match_python(rows, split, column, picks):
    view = build(rows, split).view()
    name = SCHEMA[column][0]
    keys = [rows[p][column] for p in picks if p < len(rows)]
    for subset, subset_rows in (
        (view, rows),
        (view.take(list(range(len(rows)))[::-1]), rows[::-1]),
    ):
        hit = subset.where_in(name, keys)
        assert [hit.row(i) for i in range(len(hit))] == [
            r for r in subset_rows if r[column] in keys
        ]
        assert subset.distinct(name) == list(dict.fromkeys(r[column] for r in subset_rows))
        order = subset.sort_positions([name])
        sort_key = [
            (r[column] is not None, r[column] if r[column] is not None else 0) for r in subset_rows
        ]
        assert order == sorted(range(len(subset_rows)), key=lambda i: sort_key[i])


def test_large_tables_agree_across_chunks_and_index_paths():
    n = 200_003
    rng = np.random.default_rng(7)
    labels = np.array(["train", "val", "test"])[rng.integers(0, 3, n)].tolist()
    epochs = np.repeat(np.arange(n // 1000 + 1), 1000)[:n]
    values = rng.random(n)
    table = _store.Table([("label", "str"), ("epoch", "int"), ("value", "f64")])
    table.extend({"label": labels, "epoch": epochs, "value": values})
    view = table.view()
    hit = view.where_in("epoch", [37, 150]).where_in("label", ["val"])
    mask = np.isin(epochs, [37, 150]) & (np.array(labels) == "val")
    assert hit.column("value") == values[mask].tolist()
    sums = view.where_in("label", ["test"]).collapse(["epoch"], "sum")
    expected = {}
    for label, epoch, value in zip(labels, epochs.tolist(), values.tolist(), strict=True):
        if label == "test":
            expected[epoch] = expected.get(epoch, 0.0) + value
    assert sums.column("epoch") == list(expected)
    assert np.allclose(sums.column("value"), list(expected.values()))
