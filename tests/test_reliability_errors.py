"""The error contract (docs/errors.md), case by case: the exception class, a message that
names what was wrong and what is allowed, and a store left exactly as it was."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from modularml import NodeNotFoundError
from modularml.results import MetricResult, TrainResults


def _results() -> TrainResults:
    results = TrainResults(label="train")
    results.log_metrics({"loss": 1.0, "lr": 0.1}, epoch_idx=0, batch_idx=0)
    results.log_metric("loss", 0.5, 0, 1)
    return results


@pytest.fixture
def results():
    r = _results()
    before = r.metrics().to_polars().rows()
    yield r
    assert r.metrics().to_polars().rows() == before, "a failed call changed the store"


def test_unknown_axis_is_a_key_error_listing_the_axes(results):
    series = results.metrics()
    with pytest.raises(KeyError, match=r"Unknown axis 'node'.*'name', 'epoch', 'batch'"):
        series.where(node="MLP")
    with pytest.raises(KeyError, match=r"Unknown axis 'node'"):
        series.collapse("node", "mean")


def test_reducer_not_allowed_is_a_value_error_listing_the_reducers(results):
    with pytest.raises(ValueError, match=r"Reducer 'median' .*allowed: \['count', 'first'"):
        results.metrics().collapse("batch", "median")


def test_one_on_zero_or_many_is_a_value_error_saying_how_to_narrow(results):
    with pytest.raises(ValueError, match=r"found 0; narrow .*\('name', 'epoch', 'batch'\)"):
        results.metrics().where(name="missing").one()
    with pytest.raises(ValueError, match=r"found 3; narrow"):
        results.metrics().one()
    assert results.metrics().where(name="lr").one().value == pytest.approx(0.1)


def test_at_on_missing_coordinates_is_a_key_error(results):
    with pytest.raises(KeyError, match="No item at"):
        results.metrics().at(name="missing", epoch=0, batch=0)


@pytest.mark.parametrize(
    "value, shape",
    [(torch.ones(2), r"Tensor with shape \(2,\)"), (np.ones(3), r"ndarray with shape \(3,\)")],
)
def test_tensor_or_array_where_a_scalar_is_expected_is_a_type_error(results, value, shape):
    with pytest.raises(TypeError, match=rf"metric 'acc' must be a scalar; got {shape}"):
        results.log_metric("acc", value, 0)
    with pytest.raises(TypeError, match=rf"metric 'acc' must be a scalar; got {shape}"):
        results.log_metrics({"ok": 1.0, "acc": value}, epoch_idx=0)
    with pytest.raises(TypeError, match=rf"metric_value of 'acc' must be a scalar; got {shape}"):
        MetricResult(metric_name="acc", metric_value=value)


def test_a_string_metric_is_a_type_error_naming_the_metric(results):
    with pytest.raises(TypeError, match=r"metric 'acc' must be a real number; got str"):
        results.log_metric("acc", "0.9", 0)
    with pytest.raises(TypeError, match=r"metric 'acc' must be a real number; got str"):
        results.log_metrics({"ok": 1.0, "acc": "0.9"}, epoch_idx=0)


def test_array_logging_with_bad_shapes_is_rejected_whole(results):
    with pytest.raises(TypeError, match="one-dimensional"):
        results.log_metrics(np.ones((2, 2)), names="x", epoch_idx=0)
    with pytest.raises(ValueError, match="different lengths"):
        results.log_metrics(np.ones(3), names=["a", "b"], epoch_idx=0)


def test_one_element_tensors_and_numpy_scalars_are_scalars():
    results = TrainResults(label="t")
    results.log_metric("a", torch.tensor([2.0]), 0)
    results.log_metrics({"b": np.float32(3.0), "c": torch.tensor(4.0)}, epoch_idx=0)
    assert results.metrics().collapse("name", "sum").one().value == pytest.approx(9.0)


def test_non_finite_values_are_data_everywhere():
    """NaN and inf are accepted as values (a diverging loss is data) by every write path."""
    results = TrainResults(label="t")
    results.log_metric("loss", float("nan"), 0, 0)
    results.log_metric("loss", torch.tensor(float("inf")), 0, 1)
    results.log_metrics({"loss": -math.inf}, epoch_idx=0, batch_idx=2)
    results.log_metrics(np.array([np.nan]), names="loss", epoch_idx=0, batch_idx=3)
    result = MetricResult(metric_name="loss", metric_value=float("nan"))
    result.bind_scope(callback_label="cb", phase_label="t", epoch_idx=0, batch_idx=4, edge="end")
    results.add_callback_result(result)
    values = results.metrics().where(name="loss").to_polars()["value"].to_list()
    assert len(values) == 5
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf
    assert math.isnan(values[3]) and math.isnan(values[4])
    # reducers follow IEEE rules: NaN propagates through mean, max picks inf
    assert math.isnan(results.metrics().where(name="loss").collapse("batch", "mean").one().value)


def test_duplicate_records_are_kept_and_the_last_wins_for_at():
    """The rule: appends never overwrite. Both rows count; at()/data give the last written."""
    results = TrainResults(label="t")
    results.log_metric("loss", 1.0, 0, None)
    results.log_metric("loss", 2.0, 0, None)
    series = results.metrics().where(name="loss")
    assert len(series) == 2
    assert [e.value for e in series.values()] == [1.0, 2.0]
    assert series.at(name="loss", epoch=0, batch=None).value == 2.0
    assert series.last().value == 2.0
    assert series.collapse("epoch", "count").one().value == 2
    with pytest.raises(ValueError, match="found 2"):
        series.one()


def test_unknown_node_label_is_node_not_found_error():
    from modularml.core.experiment.context import ExperimentContext

    with ExperimentContext().activate() as ctx:
        with pytest.raises(NodeNotFoundError, match=r"No node labelled 'MLPX'.*known: \[\]"):
            ctx.get_node("MLPX")
    assert issubclass(NodeNotFoundError, KeyError)
