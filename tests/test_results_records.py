"""LossRecord, MetricEntry, ArtifactEntry and the callback result types."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from modularml.results import (
    ArtifactEntry,
    ArtifactResult,
    CallbackResult,
    LossRecord,
    MetricEntry,
    MetricResult,
    PayloadResult,
)


class TestLossRecord:
    def test_fields_in_reference_order_with_defaults(self):
        record = LossRecord("mse")
        assert [f.name for f in dataclasses.fields(record)] == [
            "label",
            "node_label",
            "trainable",
            "auxiliary",
        ]
        assert (record.node_label, record.trainable, record.auxiliary) == (None, None, None)

    def test_total_sums_present_components(self):
        assert LossRecord("l", trainable=1.5, auxiliary=2.0).total == 3.5
        assert LossRecord("l", auxiliary=2.0).total == 2.0
        assert LossRecord("l").total == 0

    def test_merge_sums_components_separately_and_accepts_a_list(self):
        a = LossRecord("l", node_label="MLP", trainable=1.0)
        b = LossRecord("l", trainable=2.0, auxiliary=4.0)
        merged = LossRecord.merge(a, b)
        assert merged == LossRecord("l", node_label="MLP", trainable=3.0, auxiliary=4.0)
        assert LossRecord.merge([a, b]) == merged
        assert LossRecord.sum([a, b]) == merged

    def test_merge_rejects_mixed_labels_nodes_and_types(self):
        with pytest.raises(ValueError, match="different labels"):
            LossRecord.merge(LossRecord("a"), LossRecord("b"))
        with pytest.raises(ValueError, match="different nodes"):
            LossRecord.merge(LossRecord("a", node_label="x"), LossRecord("a", node_label="y"))
        with pytest.raises(TypeError, match="Expected LossRecord"):
            LossRecord.merge(LossRecord("a"), 1.0)
        with pytest.raises(ValueError, match="at least one"):
            LossRecord.merge([])

    def test_mean_divides_each_component_by_its_own_count(self):
        mean = LossRecord.mean(
            [LossRecord("l", trainable=1), LossRecord("l", trainable=3, auxiliary=2)]
        )
        assert (mean.trainable, mean.auxiliary) == (2.0, 2.0)
        assert isinstance(mean.trainable, float)

    def test_mean_reads_tensors_as_floats(self):
        mean = LossRecord.mean(
            LossRecord("l", trainable=torch.tensor(1.0)),
            LossRecord("l", trainable=torch.tensor(2.0)),
        )
        assert mean.trainable == pytest.approx(1.5)
        assert isinstance(mean.trainable, float)

    def test_add_and_builtin_sum(self):
        records = [LossRecord("l", trainable=float(i)) for i in range(4)]
        assert sum(records).trainable == 6.0
        assert (records[1] + records[2]).trainable == 3.0
        with pytest.raises(TypeError):
            records[0] + 1.0  # noqa: B018

    def test_as_dict_and_merge_with(self):
        a = LossRecord("l", node_label="A", trainable=1.0)
        assert a.as_dict() == {"label": "l", "node_label": "A", "trainable": 1.0, "auxiliary": None}
        merged = a.merge_with(LossRecord("l", auxiliary=2.0), LossRecord("l", trainable=3.0))
        assert merged == LossRecord("l", "A", 4.0, 2.0)

    def test_to_float_rejects_multi_element_tensors(self):
        with pytest.raises(TypeError, match="trainable must be a scalar"):
            LossRecord("l", trainable=torch.ones(3)).to_float()


class TestMetricEntry:
    def test_sum_and_mean_keep_common_indices(self):
        entries = [MetricEntry("m", 1.0, 2, 0), MetricEntry("m", 3.0, 2, 1)]
        assert MetricEntry.sum(entries) == MetricEntry("m", 4.0, 2, None)
        assert MetricEntry.mean(*entries) == MetricEntry("m", 2.0, 2, None)
        assert sum(entries) == MetricEntry("m", 4.0, 2, None)

    def test_sum_rejects_mixed_names_and_types(self):
        with pytest.raises(ValueError, match="different names"):
            MetricEntry.sum(MetricEntry("a", 1.0), MetricEntry("b", 1.0))
        with pytest.raises(TypeError, match="Expected MetricEntry"):
            MetricEntry.sum([MetricEntry("a", 1.0), 2.0])

    def test_defaults(self):
        assert MetricEntry("m", 1.0) == MetricEntry("m", 1.0, None, None)


class TestArtifactEntry:
    def test_in_memory_artifact_and_repr(self):
        figure = object()
        entry = ArtifactEntry("val_scatter", 0, artifact=figure)
        assert entry.artifact is figure
        assert repr(entry) == "ArtifactEntry(name='val_scatter', epoch_idx=0, batch_idx=None)"

    def test_loader_is_called_on_first_access_then_cached(self):
        calls = []
        entry = ArtifactEntry("a", 1, 2, loader=lambda: calls.append(1) or "loaded")
        assert calls == []
        assert entry.artifact == "loaded"
        assert entry.artifact == "loaded"
        assert len(calls) == 1

    def test_exactly_one_source(self):
        with pytest.raises(ValueError, match="exactly one"):
            ArtifactEntry("a", 0)
        with pytest.raises(ValueError, match="exactly one"):
            ArtifactEntry("a", 0, artifact=1, loader=lambda: 1)

    def test_a_none_artifact_is_kept(self):
        assert ArtifactEntry("a", 0, artifact=None).artifact is None


class TestCallbackResults:
    def test_kinds(self):
        assert CallbackResult.kind == "Callback"
        assert PayloadResult.kind == "payload"
        assert MetricResult.kind == "metric"
        assert ArtifactResult.kind == "artifact"

    def test_bind_scope_sets_fields_and_returns_self(self):
        result = PayloadResult(payload=[1, 2])
        bound = result.bind_scope(
            callback_label="cb", phase_label="train", epoch_idx=3, batch_idx=None, edge="end"
        )
        assert bound is result
        assert (result.epoch, result.batch) == (3, None)
        assert result.scope == {"phase": "train", "epoch": 3, "batch": None, "edge": "end"}

    def test_repr_leaves_out_kind(self):
        result = ArtifactResult(artifact_name="fig", artifact=1)
        assert repr(result) == (
            "ArtifactResult(callback_label=None, phase_label=None, epoch_idx=None, "
            "batch_idx=None, edge=None, artifact_name='fig', artifact=1)"
        )

    @pytest.mark.parametrize(
        "value", [3, np.float32(3.0), np.array(3.0), torch.tensor(3.0), torch.tensor([3.0])]
    )
    def test_metric_value_is_coerced_to_float(self, value):
        result = MetricResult(metric_name="m", metric_value=value)
        assert result.metric_value == 3.0
        assert type(result.metric_value) is float

    @pytest.mark.parametrize("value", [torch.ones(2), np.ones((2, 2)), "3.0", None, [1.0]])
    def test_metric_value_refuses_non_scalars(self, value):
        with pytest.raises(TypeError, match="metric_value of 'm'"):
            MetricResult(metric_name="m", metric_value=value)
