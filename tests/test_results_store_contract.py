"""The native Table/View behave like the model of docs/internals.md §1.

Skipped while the extension has no `Table` (the model stands in for it then).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import semantics_model
from modularml import _store
from semantics_model import REDUCERS, TableModel

pytestmark = pytest.mark.skipif(
    getattr(_store, "Table", TableModel) is TableModel, reason="native Table not built yet"
)

SCHEMA = [("name", "str"), ("epoch", "int"), ("batch", "int"), ("score", "f64?"), ("value", "f64")]
OBJ_SCHEMA = [("kind", "str"), ("epoch", "int"), ("obj", "obj")]

rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", None]),
        st.sampled_from([None, 0, 1, 2]),
        st.sampled_from([None, 0, 1]),
        st.one_of(st.none(), st.floats(-1e3, 1e3)),
        st.floats(-1e3, 1e3),
    ),
    max_size=25,
)


def both(schema, data):
    native, model = _store.Table(schema), TableModel(schema)
    for row in data:
        native.append(*row)
        model.append(*row)
    return native, model


def same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return left == right


def same_view(native, model) -> None:
    assert len(native) == len(model)
    assert list(native.columns) == model.columns
    for column in model.columns:
        assert same(native.column(column), model.column(column)), column


@settings(max_examples=100, deadline=None)
@given(
    data=rows,
    wanted=st.lists(st.sampled_from(["a", "b", None]), max_size=2),
    by=st.lists(st.sampled_from(["name", "epoch", "batch"]), unique=True, max_size=3),
)
def test_views_agree_with_the_model(data, wanted, by):
    native_table, model_table = both(SCHEMA, data)
    native, model = native_table.view(), model_table.view()
    same_view(native, model)
    same_view(native.where_in("name", wanted), model.where_in("name", wanted))
    for column in ("name", "epoch", "batch"):
        assert native.distinct(column) == model.distinct(column)
    assert native.sort_positions(by) == model.sort_positions(by)
    positions = list(range(len(model)))[::-2]
    same_view(native.take(positions), model.take(positions))
    native_keys, native_groups = native.group(by)
    model_keys, model_groups = model.group(by)
    assert native_groups == model_groups
    same_view(native_keys, model_keys)
    if data:
        assert same(native.row(0), model.row(0))
    for reducer in REDUCERS:
        same_view(native.collapse(by, reducer), model.collapse(by, reducer))


@settings(max_examples=50, deadline=None)
@given(data=rows)
def test_arrow_export_matches(data):
    native_table, model_table = both(SCHEMA, data)
    frame = pl.DataFrame(native_table.view().to_arrow())
    expected = pl.DataFrame(model_table.view().to_arrow())
    assert frame.schema == expected.schema
    assert frame.equals(expected)


def test_obj_columns_allow_only_first_and_last():
    native, _ = both(OBJ_SCHEMA, [("x", 0, 0), ("x", 1, 1)])
    assert native.view().collapse(["kind"], "last").column("obj") == [1]
    with pytest.raises(ValueError):
        native.view().collapse(["kind"], "mean")


def test_errors_leave_the_table_unchanged():
    native, _ = both(SCHEMA, [("a", 0, 0, None, 1.0)])
    with pytest.raises(TypeError, match="value"):
        native.append("a", 0, 0, None, None)
    with pytest.raises(TypeError, match="epoch"):
        native.append("a", "zero", 0, None, 1.0)
    with pytest.raises(ValueError):
        native.extend(
            {"name": ["a", "b"], "epoch": [0], "batch": None, "score": None, "value": np.ones(2)}
        )
    assert len(native) == 1
    with pytest.raises(KeyError, match="nope"):
        native.view().where_in("nope", [1])
    with pytest.raises(ValueError, match="mean"):
        native.view().collapse([], "median")
    with pytest.raises(IndexError):
        native.view().row(5)


def test_extend_broadcasts_scalars_and_reads_arrays():
    native, model = _store.Table(SCHEMA), semantics_model.TableModel(SCHEMA)
    columns = {
        "name": "m",
        "epoch": np.arange(4),
        "batch": None,
        "score": None,
        "value": np.linspace(0, 1, 4),
    }
    native.extend(columns)
    model.extend(columns)
    same_view(native.view(), model.view())
