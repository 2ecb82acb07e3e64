"""AxisSeries behaviour: queries, errors, reprs, and class preservation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import torch

from modularml.results import (  # noqa: E402
    CallbackDataSeries,
    LossDataSeries,
    LossRecord,
    MetricDataSeries,
    MetricEntry,
    PayloadResult,
    TrainResults,
)


@pytest.fixture
def results() -> TrainResults:
    results = TrainResults(label="train")
    for epoch in range(3):
        for batch in range(4):
            results.log_metric("train_loss", epoch * 10 + batch, epoch, batch)
            results.log_losses(
                epoch,
                batch,
                [
                    LossRecord("mse", node_label="MLP", trainable=float(epoch + batch)),
                    LossRecord("l1", node_label="MLP", auxiliary=1.0),
                ],
            )
        results.log_metric("val_loss", 1.0 / (epoch + 1), epoch)
    return results


@pytest.fixture
def metrics(results) -> MetricDataSeries:
    return results.metrics()


def test_repr_and_len(metrics, results):
    assert repr(metrics) == "MetricDataSeries(keyed_by=('name', 'epoch', 'batch'), len=15)"
    assert len(metrics) == 15
    assert (
        repr(results.losses("MLP"))
        == "LossDataSeries(keyed_by=('epoch', 'batch', 'label'), len=24)"
    )


class TestWhere:
    def test_scalar_equality_keeps_class_and_axes(self, metrics):
        found = metrics.where(name="val_loss")
        assert type(found) is MetricDataSeries
        assert found.axes == ("name", "epoch", "batch")
        assert [e.value for e in found.values()] == [1.0, 0.5, 1.0 / 3]

    def test_none_matches_missing_values(self, metrics):
        assert metrics.where(batch=None).axis_values("name") == ["val_loss"]

    def test_iterables_mean_membership_and_strings_do_not(self, metrics):
        assert len(metrics.where(epoch=[0, 2], batch=(1,))) == 2
        assert len(metrics.where(epoch=range(1, 3), name={"train_loss"})) == 8
        assert len(metrics.where(name="val")) == 0

    def test_numpy_integers_are_accepted(self, metrics):
        assert len(metrics.where(epoch=np.int64(1))) == 5
        assert len(metrics.where(epoch=np.array([0, 1]))) == 10

    def test_callable_runs_once_per_distinct_value(self, metrics):
        seen = []
        found = metrics.where(epoch=lambda e: seen.append(e) or e >= 1)
        assert sorted(seen) == [0, 1, 2]
        assert len(found) == 10

    def test_chaining(self, metrics):
        assert metrics.where(name="train_loss").where(epoch=1).where(batch=3).one().value == 13.0

    def test_unknown_axis_names_the_axes(self, metrics):
        with pytest.raises(
            KeyError, match=r"Unknown axis 'node'. Available: \('name', 'epoch', 'batch'\)"
        ):
            metrics.where(node="MLP")

    def test_a_coordinate_of_the_wrong_type_names_the_column(self, metrics):
        with pytest.raises(TypeError, match="Axis 'epoch' holds int values; got str '1'"):
            metrics.where(epoch="1")
        with pytest.raises(TypeError, match="Axis 'name' holds str values; got int 1"):
            metrics.where(name=[None, 1])

    def test_select_returns_the_elements(self, metrics):
        assert metrics.select(name="val_loss", epoch=1) == [MetricEntry("val_loss", 0.5, 1, None)]


class TestCollapse:
    def test_mean_over_batches_of_losses_keeps_trainable(self, results):
        collapsed = results.losses("MLP").where(epoch=1).collapse(axis="batch", reducer="mean")
        assert type(collapsed) is LossDataSeries
        assert collapsed.axes == ("epoch", "label")
        assert collapsed.trainable == pytest.approx(2.5)
        mse = collapsed.where(label="mse").one()
        assert mse == LossRecord("mse", node_label="MLP", trainable=2.5, auxiliary=None)

    @pytest.mark.parametrize(
        ("reducer", "expected"),
        [
            ("mean", 11.5),
            ("sum", 46.0),
            ("min", 10.0),
            ("max", 13.0),
            ("first", 10.0),
            ("last", 13.0),
            ("count", 4.0),
        ],
    )
    def test_native_reducers_on_metrics(self, metrics, reducer, expected):
        collapsed = metrics.where(name="train_loss", epoch=1).collapse("batch", reducer)
        assert collapsed.one() == MetricEntry("train_loss", expected, 1, None)

    def test_groups_in_first_seen_order(self, metrics):
        collapsed = metrics.collapse("batch", "max")
        assert collapsed.keys() == [
            ("train_loss", 0),
            ("val_loss", 0),
            ("train_loss", 1),
            ("val_loss", 1),
            ("train_loss", 2),
            ("val_loss", 2),
        ]

    def test_python_callable_gets_a_list_and_keeps_the_class(self, results):
        calls = []

        def reducer(records):
            calls.append(len(records))
            return LossRecord.mean(records)

        collapsed = results.losses("MLP").collapse("batch", reducer)
        assert calls == [4] * 6
        assert type(collapsed) is LossDataSeries
        assert collapsed.at(epoch=2, label="mse").trainable == pytest.approx(3.5)

    def test_callable_returning_a_float_on_metrics(self, metrics):
        collapsed = metrics.where(name="train_loss").collapse(
            "epoch", lambda es: max(e.value for e in es)
        )
        assert [e.value for e in collapsed.values()] == [20.0, 21.0, 22.0, 23.0]

    def test_callable_with_a_wrong_result_type(self, results):
        with pytest.raises(TypeError, match="must return a LossRecord"):
            results.losses("MLP").collapse("batch", lambda records: 1.0)

    def test_collapse_to_zero_axes(self, metrics):
        total = (
            metrics.where(name="val_loss")
            .collapse("batch", "sum")
            .collapse("epoch", "sum")
            .collapse("name", "sum")
        )
        assert total.axes == ()
        assert total.keys() == [()]
        assert total.one().value == pytest.approx(1 + 0.5 + 1 / 3)

    def test_reducer_not_allowed_names_the_allowed(self, metrics):
        with pytest.raises(
            ValueError, match=r"allowed: \['count', 'first', 'last', 'max', 'mean', 'min', 'sum'\]"
        ):
            metrics.collapse("batch", "concat")

    def test_callbacks_allow_only_first_last_and_callables(self):
        results = TrainResults(label="t")
        with pytest.raises(
            ValueError,
            match=r"'mean' is not supported by CallbackDataSeries; allowed: \['first', 'last'\]",
        ):
            results.callbacks().collapse("batch", "mean")

    def test_empty_and_unknown_axis(self, metrics):
        with pytest.raises(
            ValueError, match=r"Cannot collapse an empty MetricDataSeries \(0 items\)"
        ):
            metrics.where(name="nope").collapse("batch", "mean")
        with pytest.raises(KeyError, match="Unknown axis 'label'"):
            metrics.collapse("label", "mean")


class TestPositional:
    def test_one(self, metrics):
        with pytest.raises(ValueError, match="Expected exactly one item, found 15."):
            metrics.one()
        with pytest.raises(ValueError, match="Expected exactly one item, found 0."):
            metrics.where(name="x").one()

    def test_first_and_last_in_insertion_order(self, metrics):
        assert metrics.first() == MetricEntry("train_loss", 0.0, 0, 0)
        assert metrics.last() == MetricEntry("val_loss", 1 / 3, 2, None)

    def test_first_and_last_raise_on_empty(self, metrics):
        with pytest.raises(ValueError, match="first element of an empty series"):
            metrics.where(name="x").first()
        with pytest.raises(ValueError, match="last element of an empty series"):
            metrics.where(name="x").last()

    def test_sort_by_on_multi_axis_series(self, metrics):
        assert metrics.first(sort_by="batch").batch_idx is None
        assert metrics.last(sort_by=["batch", "epoch"]) == MetricEntry("train_loss", 23.0, 2, 3)
        # ties keep insertion order
        assert metrics.first(sort_by="epoch") == MetricEntry("train_loss", 0.0, 0, 0)
        assert metrics.last(sort_by="epoch") == MetricEntry("val_loss", 1 / 3, 2, None)

    def test_sort_by_on_single_axis_series(self, results):
        per_epoch = results.metrics().where(name="val_loss").squeeze()
        assert per_epoch.axes == ("epoch",)
        assert per_epoch.last(sort_by="epoch").epoch_idx == 2
        assert per_epoch.first(sort_by="epoch").epoch_idx == 0

    def test_sort_by_unknown_axis(self, metrics):
        with pytest.raises(KeyError, match="Unknown axis 'value'"):
            metrics.first(sort_by="value")

    def test_at_and_getitem(self, metrics):
        assert metrics.at(name="train_loss", epoch=2, batch=1).value == 21.0
        assert metrics["val_loss", 1, None].value == 0.5
        with pytest.raises(KeyError, match=r"Missing axis 'batch'"):
            metrics.at(name="val_loss", epoch=1)
        with pytest.raises(KeyError, match="No item at"):
            metrics.at(name="val_loss", epoch=7, batch=None)

    def test_at_with_a_repeated_key_returns_the_last(self):
        results = TrainResults(label="t")
        results.log_metric("m", 1.0, 0)
        results.log_metric("m", 2.0, 0)
        assert len(results.metrics()) == 2
        assert results.metrics().at(name="m", epoch=0, batch=None).value == 2.0
        assert results.metrics().data == {("m", 0, None): MetricEntry("m", 2.0, 0, None)}


class TestKeysAndAxes:
    def test_keys_items_iter(self, metrics):
        val = metrics.where(name="val_loss")
        assert val.keys() == [("val_loss", 0, None), ("val_loss", 1, None), ("val_loss", 2, None)]
        assert list(val) == val.keys()
        assert [k for k, _ in val.items()] == val.keys()

    def test_single_axis_keys_are_scalars(self, metrics):
        per_epoch = metrics.where(name="val_loss").squeeze()
        assert per_epoch.keys() == [0, 1, 2]
        assert per_epoch[1].value == 0.5
        assert per_epoch.data[2].value == pytest.approx(1 / 3)

    def test_axes_values_in_first_seen_order(self, metrics):
        assert metrics.axes_values() == {
            "name": ["train_loss", "val_loss"],
            "epoch": [0, 1, 2],
            "batch": [0, 1, 2, 3, None],
        }
        assert metrics.shape == {"name": 2, "epoch": 3, "batch": 5}
        with pytest.raises(KeyError, match="Unknown axis"):
            metrics.axis_values("node")

    def test_squeeze(self, metrics, results):
        assert metrics.squeeze() is metrics
        one = metrics.where(name="train_loss", epoch=1, batch=2).squeeze()
        assert one.axes == ()
        assert one.one().value == 12.0
        assert type(one) is MetricDataSeries
        squeezed = results.losses("MLP").where(epoch=0).squeeze()
        assert type(squeezed) is LossDataSeries
        assert squeezed.axes == ("batch", "label")
        empty = metrics.where(name="x")
        assert empty.squeeze() is empty

    def test_collapse_after_squeeze_keeps_squeezed_fields(self, metrics):
        squeezed = metrics.where(name="train_loss", epoch=2).squeeze()
        assert squeezed.axes == ("batch",)
        entry = squeezed.collapse("batch", "mean").one()
        assert entry == MetricEntry("train_loss", 21.5, 2, None)


class TestPolars:
    def test_metric_frame_values_and_dtypes(self, metrics):
        frame = metrics.where(name="val_loss").to_polars()
        assert frame.columns == ["name", "epoch", "batch", "value"]
        assert frame.dtypes == [pl.String, pl.Int64, pl.Int64, pl.Float64]
        assert frame["epoch"].to_list() == [0, 1, 2]
        assert frame["batch"].to_list() == [None, None, None]
        assert frame["value"].to_list() == [1.0, 0.5, 1 / 3]

    def test_collapsed_frame(self, results):
        frame = results.losses("MLP").collapse("batch", "mean").to_polars()
        assert frame.columns == ["node", "label", "epoch", "trainable", "auxiliary"]
        assert frame.filter(pl.col("label") == "l1")["auxiliary"].to_list() == [1.0, 1.0, 1.0]
        assert frame.filter(pl.col("label") == "l1")["trainable"].to_list() == [None, None, None]

    def test_object_handles_come_back_through_objects(self):
        results = TrainResults(label="t")
        payloads = [
            PayloadResult(payload=i).bind_scope(
                callback_label="cb", phase_label="t", epoch_idx=i, batch_idx=None, edge="end"
            )
            for i in range(3)
        ]
        for payload in payloads:
            results.add_callback_result(payload)
        series = results.callbacks()
        frame = series.to_polars()
        assert frame.columns == ["kind", "label", "epoch", "batch", "edge", "obj"]
        assert frame["obj"].dtype == pl.UInt32
        assert series.objects(frame["obj"]) == payloads
        assert series.objects(frame["obj"][1]) is payloads[1]


class TestObjectSeries:
    @pytest.fixture
    def callbacks(self) -> CallbackDataSeries:
        results = TrainResults(label="t")
        for epoch in range(3):
            for edge in ("start", "end"):
                result = PayloadResult(payload=(epoch, edge))
                results.add_callback_result(
                    result.bind_scope(
                        callback_label="cb",
                        phase_label="t",
                        epoch_idx=epoch,
                        batch_idx=None,
                        edge=edge,
                    )
                )
        return results.callbacks()

    def test_first_last_collapse_return_the_stored_objects(self, callbacks):
        collapsed = callbacks.collapse("edge", "last")
        assert type(collapsed) is CallbackDataSeries
        assert [r.payload for r in collapsed.values()] == [(0, "end"), (1, "end"), (2, "end")]
        assert collapsed.values()[0] is callbacks.at(
            kind="payload", label="cb", epoch=0, batch=None, edge="end"
        )

    def test_callable_collapse_stores_any_object(self, callbacks):
        collapsed = callbacks.collapse("epoch", lambda results: [r.payload[0] for r in results])
        assert collapsed.axes == ("kind", "label", "batch", "edge")
        assert collapsed.values() == [[0, 1, 2], [0, 1, 2]]
        assert collapsed.keys() == [
            ("payload", "cb", None, "start"),
            ("payload", "cb", None, "end"),
        ]

    def test_tensor_concat(self):
        results = TrainResults(label="t")
        series = results.tensors("MLP", "outputs")
        assert len(series) == 0
        assert "concat" in series.allowed_reducers()


def test_concat_rejects_other_types():
    from modularml.results.series import concat

    with pytest.raises(TypeError, match="'concat' needs torch tensors or numpy arrays"):
        concat([[1], [2]])
    assert concat([torch.ones(2, 1), torch.zeros(1, 1)]).shape == (3, 1)
    assert concat([np.ones((2, 1)), np.zeros((1, 1))]).shape == (3, 1)


@pytest.mark.parametrize(
    ("query", "cls", "axes", "allowed"),
    [
        (
            lambda r: r.metrics(),
            "MetricDataSeries",
            ("name", "epoch", "batch"),
            ["count", "first", "last", "max", "mean", "min", "sum"],
        ),
        (
            lambda r: r.losses("MLP"),
            "LossDataSeries",
            ("epoch", "batch", "label"),
            ["count", "first", "last", "max", "mean", "min", "sum"],
        ),
        (
            lambda r: r.callbacks(),
            "CallbackDataSeries",
            ("kind", "label", "epoch", "batch", "edge"),
            ["first", "last"],
        ),
        (
            lambda r: r.artifacts(),
            "ArtifactDataSeries",
            ("name", "epoch", "batch"),
            ["first", "last"],
        ),
        (
            lambda r: r.execution_contexts(),
            "ExecutionDataSeries",
            ("epoch", "batch"),
            ["first", "last"],
        ),
        (
            lambda r: r.tensors("MLP", "outputs"),
            "TensorDataSeries",
            ("epoch", "batch"),
            ["concat", "first", "last"],
        ),
    ],
)
def test_series_classes_axes_and_reducers(results, query, cls, axes, allowed):
    series = query(results)
    assert type(series).__name__ == cls
    assert series.axes == axes
    assert series.allowed_reducers() == allowed
    assert type(series.where()) is type(series)
    assert len(series.where()) == len(series)
    assert repr(series).startswith(f"{cls}(keyed_by={axes!r}, len=")


def test_loss_components_sum_present_values(results):
    losses = results.losses("MLP")
    assert losses.auxiliary == 12.0
    assert losses.where(label="mse").auxiliary == 0.0
    assert losses.where(label="l1").trainable == 0.0
    assert losses.where(epoch=0).trainable == pytest.approx(0 + 1 + 2 + 3)
    assert results.losses("nobody").trainable == 0.0
    assert losses.to_float() is losses
