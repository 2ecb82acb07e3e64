"""PhaseResults: the write API, the queries, and the seed's query chains."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pytest
import torch

from modularml.results import (  # noqa: E402
    ArtifactDataSeries,
    ArtifactEntry,
    ArtifactResult,
    CallbackDataSeries,
    CallbackResult,
    EvalResults,
    FitResults,
    LossRecord,
    MetricEntry,
    MetricResult,
    PayloadResult,
    PhaseResults,
    TensorDataSeries,
    TrainResults,
)


@dataclass
class FakeContext:
    """The part of the front end's ExecutionContext that results use."""

    epoch_idx: int | None
    batch_idx: int
    outputs: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)

    def domain_data(self, node_label, domain):
        return getattr(self, domain)[node_label]


@dataclass
class EvaluationCallbackResult(CallbackResult):
    """Stand-in for the front end's subclass: kind "evaluation" holding EvalResults."""

    kind = "evaluation"
    eval_results: EvalResults | None = None

    def stacked_tensors(self, node, domain, fmt=None):
        return self.eval_results.stacked_tensors(node, domain, fmt=fmt)


def bound(result, *, epoch, batch=None, edge="end", label="cb", phase="train"):
    return result.bind_scope(
        callback_label=label, phase_label=phase, epoch_idx=epoch, batch_idx=batch, edge=edge
    )


def make_eval(label="eval_val", n_batches=3, seed=0) -> EvalResults:
    rng = np.random.default_rng(seed)
    results = EvalResults(label=label)
    for batch in range(n_batches):
        outputs, targets = rng.standard_normal((4, 1)), rng.standard_normal((4, 1))
        results.add_execution_context(
            FakeContext(None, batch, {"MLP": torch.as_tensor(outputs)}, {"MLP": targets})
        )
        mse = float(((outputs - targets) ** 2).mean())
        results.log_losses(None, batch, [LossRecord("mse", node_label="MLP", auxiliary=mse)])
    return results


@pytest.fixture
def train() -> TrainResults:
    """A training phase shaped like the seed's: losses, train_loss, evaluation, artifacts."""
    results = TrainResults(label="train_tracked")
    for epoch in range(5):
        for batch in range(3):
            loss = 1.0 / (epoch + 1) + batch
            results.log_losses(epoch, batch, [LossRecord("mse", node_label="MLP", trainable=loss)])
            results.log_metric("train_loss", loss, epoch, batch)
            results.add_execution_context(FakeContext(epoch, batch))
        eval_results = make_eval(seed=epoch)
        results.add_callback_result(
            bound(
                EvaluationCallbackResult(eval_results=eval_results), epoch=epoch, label="eval_val"
            )
        )
        results.add_callback_result(
            bound(MetricResult(metric_name="val_loss", metric_value=2.0 - epoch / 10), epoch=epoch)
        )
        if epoch % 2 == 0:
            results.add_callback_result(
                bound(
                    ArtifactResult(artifact_name="val_scatter", artifact={"epoch": epoch}),
                    epoch=epoch,
                    label="ScatterPlot",
                )
            )
    return results


class TestSeedChains:
    def test_loss_logger_chain(self, train):
        epoch_losses = train.losses(node="MLP").where(epoch=2)
        assert len(epoch_losses.values()) == 3
        collapsed = epoch_losses.collapse(axis="batch", reducer="mean").one()
        assert collapsed.trainable == pytest.approx(1 / 3 + 1)

    def test_val_loss_entries(self, train):
        val_losses = train.metrics().where(name="val_loss").values()
        assert [entry.epoch_idx for entry in val_losses] == [0, 1, 2, 3, 4]
        assert [entry.value for entry in val_losses] == pytest.approx([2.0, 1.9, 1.8, 1.7, 1.6])

    def test_callbacks_axes_and_axes_values(self, train):
        assert train.callbacks().axes == ("kind", "label", "epoch", "batch", "edge")
        assert train.callbacks().axes_values() == {
            "kind": ["evaluation", "metric", "artifact"],
            "label": ["eval_val", "cb", "ScatterPlot"],
            "epoch": [0, 1, 2, 3, 4],
            "batch": [None],
            "edge": ["end"],
        }

    def test_evaluation_result_at_epoch_3(self, train):
        cb_res = train.callbacks(kind="evaluation").where(epoch=3).one()
        assert isinstance(cb_res, EvaluationCallbackResult)
        assert repr(cb_res.eval_results) == "EvalResults(label='eval_val', batches=3)"
        pred = cb_res.stacked_tensors(node="MLP", domain="outputs", fmt="np").reshape(-1)
        true = cb_res.stacked_tensors(node="MLP", domain="targets", fmt="np").reshape(-1)
        assert pred.shape == true.shape == (12,)
        assert isinstance(pred, np.ndarray)

    def test_callbacks_kind_narrows_and_keeps_the_class(self, train):
        evaluations = train.callbacks(kind="evaluation")
        assert type(evaluations) is CallbackDataSeries
        assert evaluations.axes == ("kind", "label", "epoch", "batch", "edge")
        assert len(evaluations.values()) == 5
        assert [r.metric_name for r in train.callbacks(kind="metric").values()] == ["val_loss"] * 5
        assert len(train.callbacks(kind="payload")) == 0

    def test_artifacts(self, train):
        assert train.artifact_names() == ["val_scatter"]
        scatter_series = train.artifacts().where(name="val_scatter")
        assert type(scatter_series) is ArtifactDataSeries
        assert len(scatter_series) == 3
        assert [e.epoch_idx for e in scatter_series.values()] == [0, 2, 4]
        entry = scatter_series.where(epoch=0).one()
        assert isinstance(entry, ArtifactEntry)
        assert entry.artifact == {"epoch": 0}

    def test_artifact_object_is_shared_with_the_callback_result(self, train):
        entry = train.artifacts().where(epoch=2).one()
        result = train.callbacks(kind="artifact").where(epoch=2).one()
        assert entry.artifact is result.artifact


class TestWrites:
    def test_log_metric_coerces_values(self):
        results = PhaseResults(label="p")
        results.log_metric("a", 1, 0)
        results.log_metric("b", np.float32(0.5), 0, 1)
        results.log_metric("c", torch.tensor(2.5), 1)
        results.log_metric("d", torch.tensor([3.5]), 1)
        values = results.metrics().values()
        assert values == [
            MetricEntry("a", 1.0, 0, None),
            MetricEntry("b", 0.5, 0, 1),
            MetricEntry("c", 2.5, 1, None),
            MetricEntry("d", 3.5, 1, None),
        ]
        assert all(type(e.value) is float for e in values)

    @pytest.mark.parametrize("value", ["1.0", torch.ones(2), None, [1.0]])
    def test_log_metric_refuses_non_scalars_and_keeps_the_table(self, value):
        results = PhaseResults(label="p")
        with pytest.raises(TypeError, match="metric 'm'"):
            results.log_metric("m", value, 0)
        assert len(results.metrics()) == 0

    def test_log_metrics_from_a_mapping(self):
        results = PhaseResults(label="p")
        results.log_metrics({"lr": 0.1, "grad_norm": torch.tensor(3.0)}, epoch_idx=2, batch_idx=7)
        assert results.metrics().values() == [
            MetricEntry("lr", 0.1, 2, 7),
            MetricEntry("grad_norm", 3.0, 2, 7),
        ]

    def test_log_metrics_from_arrays(self):
        results = PhaseResults(label="p")
        n = 10_000
        results.log_metrics(
            np.arange(n, dtype=np.float64),
            names="x",
            epoch_idx=np.repeat(np.arange(10), n // 10),
            batch_idx=np.tile(np.arange(n // 10), 10),
        )
        results.log_metrics(torch.ones(3), names=["a", "b", "c"], epoch_idx=None)
        results.log_metrics(
            [1.0, 2.0], names="y", epoch_idx=[None, np.int64(4)], batch_idx=np.int32(1)
        )
        metrics = results.metrics()
        assert len(metrics) == n + 5
        assert metrics.where(name="y").values() == [
            MetricEntry("y", 1.0, None, 1),
            MetricEntry("y", 2.0, 4, 1),
        ]
        assert (
            metrics.where(name="x").collapse("batch", "count").collapse("epoch", "sum").one().value
            == n
        )
        assert metrics.at(name="x", epoch=3, batch=5).value == 3005.0
        assert metrics.where(name="b").one() == MetricEntry("b", 1.0, None, None)
        assert results.metric_names() == ["x", "a", "b", "c", "y"]

    def test_log_metrics_errors(self):
        results = PhaseResults(label="p")
        with pytest.raises(TypeError, match="`names` is required"):
            results.log_metrics([1.0, 2.0])
        with pytest.raises(TypeError, match="not both"):
            results.log_metrics({"a": 1.0}, names=["a"])
        with pytest.raises(ValueError):
            results.log_metrics([1.0, 2.0], names=["a", "b"], epoch_idx=[0, 1, 2])
        with pytest.raises(TypeError, match="one-dimensional"):
            results.log_metrics(np.ones((2, 2)), names="a")
        assert len(results.metrics()) == 0
        results.log_metrics([], names="a")
        assert len(results.metrics()) == 0

    def test_log_losses_reads_tensors_and_needs_node_labels(self):
        results = PhaseResults(label="p")
        results.log_losses(
            0,
            0,
            [LossRecord("mse", node_label="A", trainable=torch.tensor(0.25, requires_grad=True))],
        )
        assert results.losses("A").one() == LossRecord("mse", "A", 0.25, None)
        with pytest.raises(ValueError, match="'l1' has no node_label"):
            results.log_losses(0, 1, [LossRecord("l1", auxiliary=1.0)])
        results.log_losses(0, 1, [])
        assert len(results.losses("A")) == 1
        assert len(results.losses("B")) == 0
        assert results.loss_nodes() == ["A"]

    def test_log_losses_refuses_non_scalar_components_and_keeps_the_table(self):
        results = PhaseResults(label="p")
        with pytest.raises(TypeError, match="auxiliary must be a scalar"):
            results.log_losses(0, 0, [LossRecord("mse", node_label="A", auxiliary=torch.ones(2))])
        with pytest.raises(TypeError, match="trainable must be a real number"):
            results.log_losses(0, 0, [LossRecord("mse", node_label="A", trainable="0.5")])
        assert len(results.losses("A")) == 0

    def test_losses_accepts_a_node_object(self):
        results = PhaseResults(label="p")
        results.log_losses(0, 0, [LossRecord("mse", node_label="A", trainable=1.0)])

        class Node:
            label = "A"

        assert len(results.losses(Node())) == 1
        with pytest.raises(TypeError, match="node must be a node label"):
            results.losses(3)

    def test_add_callback_result_indexes_metrics_and_artifacts(self):
        results = PhaseResults(label="p")
        results.add_callback_result(
            bound(MetricResult(metric_name="acc", metric_value=0.9), epoch=1, batch=2)
        )
        results.add_callback_result(
            bound(ArtifactResult(artifact_name="fig", artifact="png"), epoch=1)
        )
        results.add_callback_result(bound(PayloadResult(payload=None), epoch=None, edge="start"))
        assert results.metrics().one() == MetricEntry("acc", 0.9, 1, 2)
        assert results.artifacts().one().artifact == "png"
        assert results.callbacks().keys() == [
            ("metric", "cb", 1, 2, "end"),
            ("artifact", "cb", 1, None, "end"),
            ("payload", "cb", None, None, "start"),
        ]
        assert repr(results) == "PhaseResults(label='p', executions=0, callbacks=3)"
        with pytest.raises(TypeError, match="Expected a CallbackResult"):
            results.add_callback_result({"not": "a result"})

    def test_log_artifact_returns_the_entry(self):
        results = PhaseResults(label="p")
        array = np.ones(3)
        entry = results.log_artifact("arr", array, 0, 1)
        assert entry.artifact is array
        assert results.artifacts().one() is entry


class TestTensors:
    def test_tensors_per_context_in_formats(self, train):
        eval_results = train.callbacks(kind="evaluation").first().eval_results
        series = eval_results.tensors("MLP", "outputs")
        assert type(series) is TensorDataSeries
        assert series.axes == ("epoch", "batch")
        assert series.keys() == [(None, 0), (None, 1), (None, 2)]
        assert all(isinstance(t, torch.Tensor) for t in series.values())
        assert all(
            isinstance(t, np.ndarray)
            for t in eval_results.tensors("MLP", "outputs", fmt="numpy").values()
        )
        assert all(
            isinstance(t, torch.Tensor)
            for t in eval_results.tensors("MLP", "targets", fmt="torch").values()
        )
        with pytest.raises(ValueError, match="Unknown fmt 'pd'"):
            eval_results.tensors("MLP", "outputs", fmt="pd")

    def test_tensors_see_contexts_added_later(self):
        results = make_eval(n_batches=2)
        assert len(results.tensors("MLP", "outputs")) == 2
        results.add_execution_context(
            FakeContext(None, 2, {"MLP": torch.zeros(1, 1)}, {"MLP": np.zeros((1, 1))})
        )
        series = results.tensors("MLP", "outputs")
        assert len(series) == 3
        assert series.last().shape == (1, 1)

    def test_stacked_tensors(self):
        results = make_eval(n_batches=3)
        stacked = results.stacked_tensors("MLP", "outputs")
        assert isinstance(stacked, torch.Tensor) and stacked.shape == (12, 1)
        expected = np.concatenate([t.numpy() for t in results.tensors("MLP", "outputs").values()])
        np.testing.assert_array_equal(results.stacked_tensors("MLP", "outputs", fmt="np"), expected)
        assert isinstance(results.stacked_tensors("MLP", "targets", fmt="torch"), torch.Tensor)


class TestPhaseKinds:
    def test_train_results_epochs_from_metrics_without_contexts(self):
        results = TrainResults(label="t")
        assert repr(results) == "TrainResults(label='t', epochs=0)"
        for epoch in (0, 1, 2):
            results.log_metric("train_loss", 1.0, epoch)
        assert results.epoch_indices == [0, 1, 2]
        assert results.n_epochs == 3
        assert repr(results) == "TrainResults(label='t', epochs=3)"

    def test_best_epoch(self, train):
        assert train.best_epoch() == 4
        assert train.best_epoch("val_loss", direction="max") == 0
        assert train.best_epoch("train_loss") == 4
        with pytest.raises(
            ValueError, match=r"No metric 'acc'; available: \['train_loss', 'val_loss'\]"
        ):
            train.best_epoch("acc")
        with pytest.raises(ValueError, match="direction"):
            train.best_epoch(direction="up")

    def test_best_epoch_takes_the_first_of_ties(self):
        results = TrainResults(label="t")
        for epoch, value in enumerate([3.0, 1.0, 2.0, 1.0, 3.0]):
            results.log_metric("v", value, epoch)
        assert results.best_epoch("v") == 1
        assert results.best_epoch("v", direction="max") == 0

    def test_last_epoch_and_early_stopping(self, train):
        assert train.early_stopping_result is None
        assert train.last_epoch == 4

        @dataclass
        class EarlyStoppingResult(CallbackResult):
            kind = "early_stopping"
            best_epoch: int | None = None
            restored: bool = False

        train.add_callback_result(bound(EarlyStoppingResult(best_epoch=1, restored=True), epoch=4))
        assert train.early_stopping_result.best_epoch == 1
        assert train.last_epoch == 1

    def test_eval_results(self):
        results = make_eval(n_batches=3)
        assert results.batch_indices == [0, 1, 2]
        assert results.n_batches == 3
        losses = [r.auxiliary for r in results.losses("MLP").values()]
        assert results.aggregated_losses("MLP") == {"mse": pytest.approx(sum(losses) / 3)}
        assert results.aggregated_losses("MLP", reducer="sum") == {
            "mse": pytest.approx(sum(losses))
        }
        with pytest.raises(KeyError, match="No losses recorded for node 'X'"):
            results.aggregated_losses("X")
        with pytest.raises(ValueError, match="reducer must be"):
            results.aggregated_losses("MLP", reducer="max")

    def test_eval_aggregated_losses_refuses_several_epochs(self):
        results = EvalResults(label="e")
        results.log_losses(0, 0, [LossRecord("mse", node_label="A", auxiliary=1.0)])
        results.log_losses(1, 0, [LossRecord("mse", node_label="A", auxiliary=1.0)])
        with pytest.raises(ValueError, match="span 2 epochs"):
            results.aggregated_losses("A")

    def test_fit_results(self):
        results = FitResults(label="fit")
        assert repr(results) == "FitResults(label='fit')"
        results.add_execution_context(
            FakeContext(0, 0, {"M": torch.ones(5, 2)}, {"M": np.zeros((5, 2))})
        )
        results.log_losses(
            0,
            0,
            [
                LossRecord("mse", node_label="M", auxiliary=0.5),
                LossRecord("l1", node_label="M", auxiliary=0.25),
            ],
        )
        assert results.aggregated_losses("M") == {"mse": 0.5, "l1": 0.25}
        assert results.stacked_tensors("M", "outputs", fmt="np").shape == (5, 2)


class TestPolars:
    def test_tidy_frame_of_metrics_and_losses(self):
        results = TrainResults(label="t")
        results.log_metric("train_loss", 0.5, 0, 0)
        results.log_losses(
            0,
            0,
            [
                LossRecord("mse", node_label="A", trainable=0.5),
                LossRecord("l1", node_label="A", auxiliary=0.1),
            ],
        )
        results.log_losses(0, 1, [LossRecord("mse", node_label="A", trainable=0.4, auxiliary=0.2)])
        results.log_metric("val_loss", 0.7, 0)
        frame = results.to_polars()
        assert frame.columns == ["record", "node", "name", "component", "epoch", "batch", "value"]
        assert frame.dtypes == [
            pl.String,
            pl.String,
            pl.String,
            pl.String,
            pl.Int64,
            pl.Int64,
            pl.Float64,
        ]
        assert frame.rows() == [
            ("metric", None, "train_loss", None, 0, 0, 0.5),
            ("metric", None, "val_loss", None, 0, None, 0.7),
            ("loss", "A", "mse", "trainable", 0, 0, 0.5),
            ("loss", "A", "l1", "auxiliary", 0, 0, 0.1),
            ("loss", "A", "mse", "trainable", 0, 1, 0.4),
            ("loss", "A", "mse", "auxiliary", 0, 1, 0.2),
        ]

    def test_empty_phase(self):
        frame = PhaseResults(label="p").to_polars()
        assert frame.height == 0
        assert frame.columns == ["record", "node", "name", "component", "epoch", "batch", "value"]


class TestRecordingModes:
    def test_clear_and_replace_execution_contexts(self):
        results = TrainResults(label="t")
        contexts = [
            FakeContext(epoch, batch, {"M": torch.full((1, 1), float(epoch))})
            for epoch in range(2)
            for batch in range(2)
        ]
        for ctx in contexts[:2]:
            results.add_execution_context(ctx)
        assert len(results.tensors("M", "outputs")) == 2
        best = results.execution_contexts().values()
        results.clear_execution_contexts()
        assert len(results.execution_contexts()) == 0
        assert len(results.tensors("M", "outputs")) == 0
        for ctx in contexts[2:]:
            results.add_execution_context(ctx)
        assert results.execution_contexts().axis_values("epoch") == [1]
        results.replace_execution_contexts(best)
        assert results.execution_contexts().values() == contexts[:2]
        assert [t.item() for t in results.tensors("M", "outputs").values()] == [0.0, 0.0]
        assert repr(results) == "TrainResults(label='t', epochs=1)"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_device_tensors_are_read_and_converted():
    device = torch.device("cuda")
    results = EvalResults(label="e")
    results.log_metric("m", torch.tensor(0.5, device=device), 0)
    results.add_callback_result(
        bound(
            MetricResult(metric_name="r", metric_value=torch.tensor([2.0], device=device)), epoch=0
        )
    )
    results.log_losses(
        0, 0, [LossRecord("mse", node_label="M", auxiliary=torch.tensor(0.25, device=device))]
    )
    for batch in range(2):
        results.add_execution_context(FakeContext(0, batch, {"M": torch.ones(3, 1, device=device)}))
    assert [e.value for e in results.metrics().values()] == [0.5, 2.0]
    assert results.aggregated_losses("M") == {"mse": 0.25}
    stacked = results.stacked_tensors("M", "outputs")
    assert stacked.device.type == "cuda" and stacked.shape == (6, 1)
    assert isinstance(results.stacked_tensors("M", "outputs", fmt="np"), np.ndarray)
    assert all(
        isinstance(a, np.ndarray) for a in results.tensors("M", "outputs", fmt="np").values()
    )


class TestCopies:
    def test_pickle_round_trip_keeps_every_table(self, train):
        import pickle

        restored = pickle.loads(pickle.dumps(train))
        assert type(restored) is TrainResults
        assert repr(restored) == repr(train)
        assert restored.metrics().values() == train.metrics().values()
        assert restored.losses("MLP").values() == train.losses("MLP").values()
        assert restored.callbacks().keys() == train.callbacks().keys()
        assert restored.artifacts().where(epoch=2).one().artifact == {"epoch": 2}
        assert len(restored.execution_contexts()) == len(train.execution_contexts())
        restored.log_metric("after", 1.0, 9)
        assert "after" not in train.metric_names()

    def test_deepcopy_is_independent(self):
        import copy

        results = EvalResults(label="e")
        results.log_metric("m", 1.0, 0)
        clone = copy.deepcopy(results)
        clone.log_metric("m", 2.0, 1)
        assert len(results.metrics()) == 1
        assert len(clone.metrics()) == 2
        assert repr(clone) == "EvalResults(label='e', batches=0)"
