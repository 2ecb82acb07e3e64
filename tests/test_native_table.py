"""Behaviour of the native Table and View (modularml._store)."""

from __future__ import annotations

import math
import threading

import numpy as np
import polars as pl
import pytest

from modularml import _store

METRICS = [("name", "str"), ("epoch", "int"), ("batch", "int"), ("value", "f64")]
LOSSES = [
    ("node", "str"),
    ("label", "str"),
    ("epoch", "int"),
    ("batch", "int"),
    ("trainable", "f64?"),
    ("auxiliary", "f64?"),
]


def metrics_table(rows: list[tuple[str | None, int | None, int | None, float]]) -> _store.Table:
    table = _store.Table(METRICS)
    for row in rows:
        table.append(*row)
    return table


@pytest.fixture
def metrics() -> _store.Table:
    return metrics_table(
        [
            ("loss", 0, 0, 1.0),
            ("acc", 0, 0, 0.5),
            ("loss", 0, 1, 3.0),
            ("loss", 1, 0, 0.5),
            ("acc", 1, None, 0.75),
            (None, 1, 2, -2.0),
        ]
    )


# --- Table: schema, append, extend -----------------------------------------------------


def test_append_stores_rows_in_order(metrics):
    view = metrics.view()
    assert len(metrics) == 6 and len(view) == 6
    assert metrics.columns == ["name", "epoch", "batch", "value"]
    assert view.column("name") == ["loss", "acc", "loss", "loss", "acc", None]
    assert view.column("batch") == [0, 0, 1, 0, None, 2]
    assert view.column("value") == [1.0, 0.5, 3.0, 0.5, 0.75, -2.0]
    assert view.row(4) == ("acc", 1, None, 0.75)
    assert view.row(-1) == (None, 1, 2, -2.0)


def test_every_column_type_round_trips():
    table = _store.Table([("s", "str"), ("i", "int"), ("f", "f64"), ("o", "f64?"), ("h", "obj")])
    table.append("ünïcode/λ", -(2**62), 1, None, 2**32 - 1)
    table.append(None, None, -0.25, 2.5, 0)
    assert table.view().row(0) == ("ünïcode/λ", -(2**62), 1.0, None, 2**32 - 1)
    assert table.view().row(1) == (None, None, -0.25, 2.5, 0)
    assert isinstance(table.view().row(0)[2], float)


@pytest.mark.parametrize(
    "schema, match",
    [([("a", "float")], "unknown column type"), ([("a", "int"), ("a", "str")], "twice")],
)
def test_bad_schema_is_a_value_error(schema, match):
    with pytest.raises(ValueError, match=match):
        _store.Table(schema)


@pytest.mark.parametrize(
    "row, message",
    [
        (("loss", 1.5, 0, 1.0), 'column "epoch" expects int or None, got float'),
        (("loss", 0, 0, None), 'column "value" expects float, got None'),
        ((3, 0, 0, 1.0), 'column "name" expects str or None, got int'),
        (("loss", 0, "zero", 1.0), 'column "batch" expects int or None, got str'),
    ],
)
def test_append_wrong_type_is_a_type_error_and_leaves_table_unchanged(metrics, row, message):
    with pytest.raises(TypeError) as info:
        metrics.append(*row)
    assert message in str(info.value)
    assert len(metrics) == 6
    assert metrics.view().column("name")[-1] is None


def test_append_wrong_arity_is_a_type_error(metrics):
    with pytest.raises(TypeError, match="append takes 4 values"):
        metrics.append("loss", 0, 0)
    assert len(metrics) == 6


def test_extend_accepts_lists_arrays_and_broadcast_scalars():
    table = _store.Table(METRICS)
    table.extend(
        {
            "name": ["a", "b", "a"],
            "epoch": np.array([3, 3, 4], dtype=np.int32),
            "batch": None,
            "value": np.array([0.5, 1.5, 2.5]),
        }
    )
    table.extend({"name": "c", "epoch": [5, None], "batch": 7, "value": [1, 2.0]})
    view = table.view()
    assert view.column("name") == ["a", "b", "a", "c", "c"]
    assert view.column("epoch") == [3, 3, 4, 5, None]
    assert view.column("batch") == [None, None, None, 7, 7]
    assert view.column("value") == [0.5, 1.5, 2.5, 1.0, 2.0]


def test_extend_reads_strided_and_float32_arrays():
    table = _store.Table([("x", "f64"), ("y", "f64?"), ("n", "int")])
    base = np.arange(10, dtype=np.float64)
    table.extend(
        {"x": base[::2], "y": np.array([1, 2, 3, 4, 5], dtype=np.float32), "n": np.arange(5)}
    )
    view = table.view()
    assert view.column("x") == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert view.column("y") == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert view.column("n") == [0, 1, 2, 3, 4]


def test_extend_all_scalars_adds_one_row():
    table = _store.Table(METRICS)
    table.extend({"name": "lr", "epoch": 0, "batch": None, "value": 0.1})
    assert table.view().row(0) == ("lr", 0, None, 0.1)


@pytest.mark.parametrize(
    "columns, error, match",
    [
        ({"name": ["a"], "epoch": [1]}, ValueError, r'missing \["batch", "value"\]'),
        (
            {"name": ["a", "b"], "epoch": [1], "batch": 0, "value": 1.0},
            ValueError,
            "different lengths",
        ),
        ({"name": ["a"], "epoch": [1], "batch": 0, "value": 1.0, "extra": 1}, KeyError, '"extra"'),
        ({"name": ["a"], "epoch": np.array([1.5]), "batch": 0, "value": 1.0}, TypeError, '"epoch"'),
        ({"name": ["a"], "epoch": [1], "batch": 0, "value": [None]}, TypeError, '"value"'),
        ({"name": [1], "epoch": [1], "batch": 0, "value": 1.0}, TypeError, '"name"'),
        ({"name": ["a"], "epoch": [1], "batch": 0, "value": np.zeros((1, 1))}, ValueError, "1-d"),
    ],
)
def test_extend_is_all_or_nothing(metrics, columns, error, match):
    with pytest.raises(error, match=match):
        metrics.extend(columns)
    assert len(metrics) == 6
    assert metrics.view().distinct("name") == ["loss", "acc", None]


def test_obj_column_rejects_negative_handles():
    table = _store.Table([("obj", "obj")])
    with pytest.raises(TypeError, match='"obj"'):
        table.append(-1)
    with pytest.raises(TypeError, match='"obj"'):
        table.extend({"obj": np.array([1, -1])})
    assert len(table) == 0


def test_nbytes_grows_with_rows():
    table = _store.Table(METRICS)
    empty = table.nbytes()
    table.extend({"name": "loss", "epoch": 0, "batch": np.arange(10_000), "value": np.ones(10_000)})
    assert table.nbytes() >= empty + 10_000 * 20


# --- Views: snapshots and row selection --------------------------------------------------


def test_view_is_a_snapshot(metrics):
    before = metrics.view()
    loss_before = before.where_in("name", ["loss"])
    metrics.append("loss", 9, 9, 9.0)
    metrics.extend({"name": "loss", "epoch": 9, "batch": [1, 2], "value": 1.0})
    assert len(before) == 6 and len(metrics) == 9
    assert before.where_in("name", ["loss"]).column("epoch") == [0, 0, 1]
    assert loss_before.column("epoch") == [0, 0, 1]
    assert before.distinct("epoch") == [0, 1]
    assert metrics.view().where_in("epoch", [9]).column("batch") == [9, 1, 2]


def test_where_in_matches_values_and_null_in_table_order(metrics):
    view = metrics.view()
    assert view.where_in("name", ["acc", "loss"]).column("value") == [1.0, 0.5, 3.0, 0.5, 0.75]
    assert view.where_in("name", [None]).column("value") == [-2.0]
    assert view.where_in("name", ["missing"]).column("value") == []
    assert view.where_in("epoch", [1]).column("name") == ["loss", "acc", None]
    assert view.where_in("batch", [None, 2]).column("value") == [0.75, -2.0]
    assert view.where_in("value", [0.5]).column("name") == ["acc", "loss"]


def test_chained_where_in_narrows_the_subset(metrics):
    view = metrics.view().where_in("name", ["loss"]).where_in("epoch", [0])
    assert view.column("batch") == [0, 1]
    assert view.where_in("batch", [1]).column("value") == [3.0]


def test_where_in_errors(metrics):
    view = metrics.view()
    with pytest.raises(KeyError, match=r'unknown column "nmae"; the columns are \["name", "epoch"'):
        view.where_in("nmae", ["loss"])
    with pytest.raises(TypeError, match='column "epoch" expects int'):
        view.where_in("epoch", ["zero"])
    with pytest.raises(TypeError, match="not a str"):
        view.where_in("name", "loss")
    assert view.where_in("name", ("acc",)).column("epoch") == [0, 1]
    assert view.where_in("epoch", (e for e in [1])).column("batch") == [0, None, 2]


def test_distinct_keeps_first_seen_order(metrics):
    view = metrics.view()
    assert view.distinct("name") == ["loss", "acc", None]
    assert view.distinct("batch") == [0, 1, None, 2]
    assert view.take([5, 1, 0]).distinct("name") == [None, "acc", "loss"]


def test_take_and_row_positions(metrics):
    view = metrics.view().take([3, 0, -1])
    assert view.column("value") == [0.5, 1.0, -2.0]
    assert view.take([2, 2]).column("value") == [-2.0, -2.0]
    with pytest.raises(IndexError, match="position 3 is out of range for a view of 3 rows"):
        view.row(3)
    with pytest.raises(IndexError):
        view.take([0, -4])


def test_sort_positions_is_stable_with_nulls_first(metrics):
    view = metrics.view()
    assert view.sort_positions(["name"]) == [5, 1, 4, 0, 2, 3]
    assert view.sort_positions(["batch", "value"]) == [4, 1, 3, 0, 2, 5]
    assert view.sort_positions(["epoch"]) == [0, 1, 2, 3, 4, 5]
    assert view.sort_positions([]) == [0, 1, 2, 3, 4, 5]


def test_group_returns_first_seen_keys_and_positions(metrics):
    keys, positions = metrics.view().group(["epoch", "name"])
    assert keys.columns == ["epoch", "name"]
    assert [keys.row(i) for i in range(len(keys))] == [
        (0, "loss"),
        (0, "acc"),
        (1, "loss"),
        (1, "acc"),
        (1, None),
    ]
    assert positions == [[0, 2], [1], [3], [4], [5]]


# --- collapse ------------------------------------------------------------------------------


def losses_table() -> _store.Table:
    table = _store.Table(LOSSES)
    rows = [
        ("mse", "train", 0, 0, 1.0, None),
        ("mse", "train", 0, 1, 3.0, 0.5),
        ("mse", "val", 0, None, None, None),
        ("mse", "train", 1, 0, 2.0, 1.5),
        ("mse", "val", 1, None, 4.0, None),
        ("mse", "train", 1, 1, None, 2.5),
    ]
    for row in rows:
        table.append(*row)
    return table


@pytest.mark.parametrize(
    "reducer, trainable, auxiliary",
    [
        ("mean", [2.0, None, 2.0, 4.0], [0.5, None, 2.0, None]),
        ("sum", [4.0, None, 2.0, 4.0], [0.5, None, 4.0, None]),
        ("min", [1.0, None, 2.0, 4.0], [0.5, None, 1.5, None]),
        ("max", [3.0, None, 2.0, 4.0], [0.5, None, 2.5, None]),
        ("first", [1.0, None, 2.0, 4.0], [0.5, None, 1.5, None]),
        ("last", [3.0, None, 2.0, 4.0], [0.5, None, 2.5, None]),
        ("count", [2, 0, 1, 1], [1, 0, 2, 0]),
    ],
)
def test_collapse_reduces_per_group_skipping_nulls(reducer, trainable, auxiliary):
    result = losses_table().view().collapse(["epoch", "label"], reducer)
    assert result.columns == ["epoch", "label", "trainable", "auxiliary"]
    assert result.column("epoch") == [0, 0, 1, 1]
    assert result.column("label") == ["train", "val", "train", "val"]
    assert result.column("trainable") == trainable
    assert result.column("auxiliary") == auxiliary


def test_collapse_of_a_where_in_and_chained_queries():
    view = losses_table().view().where_in("epoch", [1]).collapse(["label"], "mean")
    assert view.column("label") == ["train", "val"]
    assert view.column("trainable") == [2.0, 4.0]
    assert view.where_in("label", ["val"]).column("trainable") == [4.0]


def test_collapse_without_by_reduces_everything(metrics):
    result = metrics.view().collapse([], "sum")
    assert result.columns == ["value"]
    assert result.column("value") == [3.75]


def test_collapse_obj_columns_allow_only_first_and_last():
    table = _store.Table([("kind", "str"), ("score", "f64"), ("obj", "obj")])
    table.extend({"kind": ["a", "b", "a"], "score": [1.0, 2.0, 3.0], "obj": [10, 11, 12]})
    last = table.view().collapse(["kind"], "last")
    assert last.column("obj") == [12, 11] and last.column("score") == [3.0, 2.0]
    with pytest.raises(ValueError, match="allows only 'first' or 'last'"):
        table.view().collapse(["kind"], "mean")


def test_collapse_errors(metrics):
    with pytest.raises(ValueError, match=r'unknown reducer "median"; the reducers are \["mean"'):
        metrics.view().collapse(["name"], "median")
    with pytest.raises(KeyError, match="unknown column"):
        metrics.view().collapse(["nope"], "mean")


def test_collapse_of_nan_keeps_nan():
    table = _store.Table([("k", "int"), ("v", "f64")])
    table.extend({"k": [0, 0], "v": [math.nan, 1.0]})
    assert math.isnan(table.view().collapse(["k"], "sum").column("v")[0])


# --- Arrow export ----------------------------------------------------------------------------


def test_polars_reads_the_arrow_stream_with_exact_values_and_dtypes():
    table = _store.Table([("s", "str"), ("i", "int"), ("f", "f64"), ("o", "f64?"), ("h", "obj")])
    long = "a string longer than twelve bytes"
    table.extend(
        {
            "s": ["a", long, None, long],
            "i": [1, None, -3, 2**40],
            "f": np.array([0.5, -1.0, 2.0, 3.0]),
            "o": [None, 1.5, None, 2.5],
            "h": [0, 1, 2, 3],
        }
    )
    frame = pl.DataFrame(table.view().to_arrow())
    expected = pl.DataFrame(
        {
            "s": ["a", long, None, long],
            "i": [1, None, -3, 2**40],
            "f": [0.5, -1.0, 2.0, 3.0],
            "o": [None, 1.5, None, 2.5],
            "h": pl.Series([0, 1, 2, 3], dtype=pl.UInt32),
        }
    )
    assert frame.schema == pl.Schema(
        {"s": pl.String, "i": pl.Int64, "f": pl.Float64, "o": pl.Float64, "h": pl.UInt32}
    )
    assert frame.equals(expected)


def test_arrow_export_of_selections_results_and_empty_views(metrics):
    subset = metrics.view().where_in("name", ["acc"]).take([1, 0])
    frame = pl.DataFrame(subset.to_arrow())
    assert frame.to_dict(as_series=False) == {
        "name": ["acc", "acc"],
        "epoch": [1, 0],
        "batch": [None, 0],
        "value": [0.75, 0.5],
    }
    collapsed = pl.DataFrame(metrics.view().collapse(["name"], "count").to_arrow())
    assert collapsed.schema == pl.Schema({"name": pl.String, "value": pl.Int64})
    assert collapsed.to_dict(as_series=False) == {"name": ["loss", "acc", None], "value": [3, 2, 1]}
    # Fewer rows than dictionary entries: strings are re-coded for the result.
    single = pl.DataFrame(metrics.view().take([5, 1]).take([0]).to_arrow())
    assert single.to_dict(as_series=False) == {
        "name": [None],
        "epoch": [1],
        "batch": [2],
        "value": [-2.0],
    }
    empty = pl.DataFrame(metrics.view().where_in("epoch", [7]).to_arrow())
    assert empty.shape == (0, 4)
    assert empty.schema["epoch"] == pl.Int64


def test_arrow_stream_can_be_read_twice(metrics):
    stream = metrics.view().to_arrow()
    assert pl.DataFrame(stream).equals(pl.DataFrame(stream))
    assert len(stream) == 6


# --- Threads ----------------------------------------------------------------------------------


def test_concurrent_appends_and_queries_are_exact():
    table = _store.Table(METRICS)
    per_thread = 2_000

    def writer(name: str) -> None:
        for i in range(per_thread):
            table.append(name, i // 100, i, float(i))

    def reader() -> None:
        for _ in range(50):
            view = table.view()
            counts = view.collapse(["name"], "count").column("value")
            assert sum(counts) == len(view)

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    view = table.view()
    assert len(view) == 4 * per_thread
    for k in range(4):
        mine = view.where_in("name", [f"w{k}"])
        assert mine.column("batch") == list(range(per_thread))
        assert len(mine.where_in("epoch", [3])) == 100


def test_sort_positions_of_floats_puts_nulls_first_and_nan_last():
    table = _store.Table([("x", "f64?")])
    table.extend({"x": [math.nan, 1.0, -0.0, 0.0, None, -5.0]})
    assert table.view().sort_positions(["x"]) == [4, 5, 2, 3, 1, 0]


def test_where_in_with_many_keys_on_a_subset():
    table = _store.Table([("name", "str"), ("step", "int")])
    names = [f"m{i}" for i in range(30)]
    table.extend({"name": [*names, None], "step": [*range(30), None]})
    subset = table.view().take(list(range(30, -1, -1)))
    wanted = [f"m{i}" for i in range(0, 30, 3)] + ["absent", None]
    assert subset.where_in("name", wanted).column("step") == [
        None,
        27,
        24,
        21,
        18,
        15,
        12,
        9,
        6,
        3,
        0,
    ]
    steps = [*range(0, 30, 2), None, 99]
    hit = subset.where_in("step", steps)
    assert hit.column("name") == [None, *[f"m{i}" for i in range(28, -1, -2)]]


def test_concurrent_extends_and_appends_keep_every_row():
    table = _store.Table(METRICS)
    batch = np.arange(1_000, dtype=np.int64)

    def extender(epoch: int) -> None:
        for _ in range(20):
            table.extend({"name": "bulk", "epoch": epoch, "batch": batch, "value": batch * 0.5})

    def appender() -> None:
        for i in range(5_000):
            table.append("single", None, i, 1.0)

    threads = [threading.Thread(target=extender, args=(e,)) for e in range(3)]
    threads.append(threading.Thread(target=appender))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    view = table.view()
    assert len(view) == 3 * 20 * 1_000 + 5_000
    counts = view.collapse(["name", "epoch"], "count")
    assert sorted(
        zip(counts.column("epoch"), counts.column("value"), strict=True), key=str
    ) == sorted([(0, 20_000), (1, 20_000), (2, 20_000), (None, 5_000)], key=str)
    assert view.where_in("name", ["single"]).column("batch") == list(range(5_000))
    assert sum(view.where_in("epoch", [1]).column("value")) == 20 * sum(range(1_000)) * 0.5
