"""Property tests: series queries agree with the pure-Python model on random data."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import semantics_model
from modularml.results import LossRecord, MetricEntry, PayloadResult, TrainResults  # noqa: E402
from semantics_model import SeriesModel

NATIVE = {name: name for name in semantics_model.REDUCERS}

NAMES = ["a", "b", "c"]
LABELS = ["mse", "l1"]
KINDS = ["payload", "metric"]
INDICES = [None, 0, 1, 2, 3]
DOMAINS = {
    "name": NAMES,
    "label": LABELS,
    "kind": KINDS,
    "epoch": INDICES,
    "batch": INDICES,
    "edge": ["start", "end", None],
}

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
maybe = st.one_of(st.none(), finite)

metric_rows = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(NAMES),
            "epoch": st.sampled_from(INDICES),
            "batch": st.sampled_from(INDICES),
            "value": finite,
        }
    ),
    max_size=30,
)
loss_rows = st.lists(
    st.fixed_dictionaries(
        {
            "node": st.sampled_from(["N", "other"]),
            "epoch": st.sampled_from(INDICES),
            "batch": st.sampled_from(INDICES),
            "label": st.sampled_from(LABELS),
            "trainable": maybe,
            "auxiliary": maybe,
        }
    ),
    max_size=30,
)
callback_rows = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(KINDS),
            "label": st.sampled_from(LABELS),
            "epoch": st.sampled_from(INDICES),
            "batch": st.sampled_from(INDICES),
            "edge": st.sampled_from(DOMAINS["edge"]),
        }
    ),
    max_size=30,
)


def _spec(domain: list) -> st.SearchStrategy:
    members = st.lists(st.sampled_from(domain), max_size=3)
    return st.one_of(
        st.sampled_from(domain),
        members,
        members.map(tuple),
        members.map(lambda allowed: lambda value: value in allowed),
    )


def draw_coords(data, axes) -> dict:
    if not axes:
        return {}
    chosen = data.draw(st.lists(st.sampled_from(axes), unique=True, max_size=len(axes)))
    return {axis: data.draw(_spec(DOMAINS[axis])) for axis in chosen}


def close(left, right) -> bool:
    if left is None or right is None:
        return left is right
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-6)
    return left == right


def assert_rows(actual: list[tuple], expected: list[tuple]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert all(close(g, w) for g, w in zip(got, want, strict=True)), (got, want)


def same_outcome(call_series, call_model, fields) -> None:
    """Both raise the same exception type, or both give matching elements."""
    try:
        want = call_model()
    except (ValueError, KeyError) as error:
        with pytest.raises(type(error)):
            call_series()
        return
    assert_rows([fields(call_series())], [want])


def check(series, model: SeriesModel, fields) -> None:
    assert series.axes == model.axes
    assert len(series) == len(model.rows)
    assert series.keys() == model.keys()
    assert_rows([fields(v) for v in series.values()], model.values())
    assert series.axes_values() == model.axes_values()


def explore(data, series, model: SeriesModel, fields, reducers) -> None:
    """A random chain of where / collapse / squeeze, checked after every step."""
    check(series, model, fields)
    for _ in range(data.draw(st.integers(0, 3))):
        step = data.draw(st.sampled_from(["where", "collapse", "squeeze"]))
        if step == "where":
            coords = draw_coords(data, list(model.axes))
            series, model = series.where(**coords), model.where(**coords)
            assert_rows([fields(v) for v in series.select()], model.select())
        elif step == "collapse" and model.axes:
            axis = data.draw(st.sampled_from(model.axes))
            reducer = data.draw(st.sampled_from(sorted(reducers)))
            if not model.rows:
                with pytest.raises(ValueError, match="empty"):
                    series.collapse(axis, reducer)
                continue
            # a reducer is a native name, or a Python callable named after its native twin
            native = reducers[reducer]
            if callable(native) and axis in ("name", "label"):
                native = reducer  # LossRecord/MetricEntry refuse to merge different losses/metrics
            series, model = series.collapse(axis, native), model.collapse(axis, reducer)
        else:
            series, model = series.squeeze(), model.squeeze()
        check(series, model, fields)
    sort_by = data.draw(
        st.one_of(st.none(), st.lists(st.sampled_from(model.axes), min_size=1, max_size=2))
        if model.axes
        else st.none()
    )
    same_outcome(lambda: series.first(sort_by=sort_by), lambda: model.first(sort_by), fields)
    same_outcome(lambda: series.last(sort_by=sort_by), lambda: model.last(sort_by), fields)
    same_outcome(series.one, model.one, fields)
    if model.rows and model.axes:
        row = data.draw(st.sampled_from(model.rows))
        key = {axis: row[axis] for axis in model.axes}
        same_outcome(lambda: series.at(**key), lambda: model.at(**key), fields)


def metric_fields(entry) -> tuple:
    return (entry.value,)


def loss_fields(record) -> tuple:
    return (record.trainable, record.auxiliary)


def payload_fields(result) -> tuple:
    return (result.payload,)


@settings(max_examples=150, deadline=None)
@given(rows=metric_rows, data=st.data())
def test_metric_series_match_the_model(rows, data):
    results = TrainResults(label="t")
    for row in rows:
        results.log_metric(row["name"], row["value"], row["epoch"], row["batch"])
    model = SeriesModel(("name", "epoch", "batch"), rows, ("value",))
    reducers = {**NATIVE, "mean": MetricEntry.mean, "sum": MetricEntry.sum}
    explore(data, results.metrics(), model, metric_fields, NATIVE)
    explore(data, results.metrics(), model, metric_fields, reducers)


@settings(max_examples=150, deadline=None)
@given(rows=loss_rows, data=st.data())
def test_loss_series_match_the_model(rows, data):
    results = TrainResults(label="t")
    for row in rows:
        record = LossRecord(row["label"], row["node"], row["trainable"], row["auxiliary"])
        results.log_losses(row["epoch"], row["batch"], [record])
    mine = [row for row in rows if row["node"] == "N"]
    model = SeriesModel(("epoch", "batch", "label"), mine, ("trainable", "auxiliary"))
    series = results.losses("N")
    reducers = {**NATIVE, "mean": LossRecord.mean, "sum": LossRecord.sum}
    explore(data, series, model, loss_fields, data.draw(st.sampled_from([NATIVE, reducers])))


@settings(max_examples=150, deadline=None)
@given(rows=callback_rows, data=st.data())
def test_callback_series_match_the_model(rows, data):
    results = TrainResults(label="t")
    for position, row in enumerate(rows):
        result = PayloadResult(payload=position).bind_scope(
            callback_label=row["label"],
            phase_label="t",
            epoch_idx=row["epoch"],
            batch_idx=row["batch"],
            edge=row["edge"],
        )
        # the kind axis varies independently of the stored object
        results._callbacks.append(
            row["kind"],
            row["label"],
            row["epoch"],
            row["batch"],
            row["edge"],
            results._keep(result),
        )
    model_rows = [{**row, "payload": position} for position, row in enumerate(rows)]
    model = SeriesModel(("kind", "label", "epoch", "batch", "edge"), model_rows, ("payload",))
    reducers = {"first": "first", "last": "last"}
    python = {"first": lambda results: results[0], "last": lambda results: results[-1]}
    explore(
        data,
        results.callbacks(),
        model,
        payload_fields,
        data.draw(st.sampled_from([reducers, python])),
    )


@settings(max_examples=100, deadline=None)
@given(rows=metric_rows, axis=st.sampled_from(["name", "epoch", "batch"]))
def test_where_calls_a_predicate_once_per_distinct_value(rows, axis):
    results = TrainResults(label="t")
    for row in rows:
        results.log_metric(row["name"], row["value"], row["epoch"], row["batch"])
    calls = Counter()
    kept = results.metrics().where(
        **{axis: lambda value: calls.update([value]) or value is not None}
    )
    assert sorted(calls, key=repr) == sorted({row[axis] for row in rows}, key=repr)
    assert set(calls.values()) <= {1}
    assert len(kept) == sum(row[axis] is not None for row in rows)


@settings(max_examples=100, deadline=None)
@given(rows=metric_rows)
def test_log_metrics_in_bulk_equals_one_by_one(rows):
    one_by_one, bulk = TrainResults(label="a"), TrainResults(label="b")
    for row in rows:
        one_by_one.log_metric(row["name"], row["value"], row["epoch"], row["batch"])
    # bulk logging takes one epoch and batch (or None) for all, so group by them
    for epoch in INDICES:
        for batch in INDICES:
            group = [row for row in rows if row["epoch"] == epoch and row["batch"] == batch]
            if group:
                bulk.log_metrics(
                    [r["value"] for r in group],
                    names=[r["name"] for r in group],
                    epoch_idx=epoch,
                    batch_idx=batch,
                )
    key = lambda entry: (entry.name, repr(entry.epoch_idx), repr(entry.batch_idx), entry.value)  # noqa: E731
    assert sorted(one_by_one.metrics().values(), key=key) == sorted(
        bulk.metrics().values(), key=key
    )
