"""PhaseGroupResults, ExperimentRun, execution metadata and results configuration."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from modularml.results import (  # noqa: E402
    EvalResults,
    ExperimentRun,
    LossRecord,
    PhaseExecutionMeta,
    PhaseGroupExecutionMeta,
    PhaseGroupResults,
    ResultRecording,
    ResultsConfig,
    TrainResults,
)

START = datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def group() -> PhaseGroupResults:
    inner = PhaseGroupResults("inner", [EvalResults(label="test")])
    return PhaseGroupResults(
        "outer", [TrainResults(label="train"), EvalResults(label="val"), inner]
    )


class TestPhaseGroupResults:
    def test_order_lookup_and_repr(self, group):
        assert group.labels == ["train", "val", "inner"]
        assert len(group) == 3
        assert "val" in group and "test" not in group
        assert isinstance(group["train"], TrainResults)
        assert list(group.phase_results) == ["train", "val"]
        assert list(group.group_results) == ["inner"]
        assert repr(group) == (
            "PhaseGroupResults(label='outer', results={'train': TrainResults, "
            "'val': EvalResults, 'inner': PhaseGroupResults})"
        )
        with pytest.raises(
            KeyError, match=r"No result 'x'; available: \['train', 'val', 'inner'\]"
        ):
            group["x"]

    def test_add_result_errors(self, group):
        with pytest.raises(TypeError, match="Expected PhaseResults or PhaseGroupResults"):
            group.add_result("train")
        with pytest.raises(ValueError, match="'val' already exists"):
            group.add_result(EvalResults(label="val"))

    def test_typed_getters(self, group):
        assert group.get_train_result().label == "train"
        assert group.get_eval_result("val").label == "val"
        assert group.get_group_result().label == "inner"
        assert group.get_phase_result("val").label == "val"
        with pytest.raises(TypeError, match="'train' is a TrainResults, not a EvalResults"):
            group.get_eval_result("train")
        with pytest.raises(ValueError, match="No phase exists with label 'x'"):
            group.get_train_result("x")
        group.add_result(TrainResults(label="train2"))
        with pytest.raises(
            ValueError, match="Expected exactly one TrainResults in 'outer', found 2"
        ):
            group.get_train_result()
        with pytest.raises(TypeError):
            group.get_phase_result("inner")

    def test_flatten(self, group):
        assert list(group.flatten()) == ["train", "val", "test"]
        group.add_result(PhaseGroupResults("again", [TrainResults(label="train")]))
        with pytest.raises(ValueError, match="Duplicate phase label 'train'"):
            group.flatten()


def test_group_to_polars_tags_each_phase(group):
    group["train"].log_metric("train_loss", 0.5, 0, 0)
    group["inner"]["test"].log_losses(None, 0, [LossRecord("mse", node_label="A", auxiliary=0.25)])
    frame = group.to_polars()
    assert frame.columns == [
        "phase",
        "record",
        "node",
        "name",
        "component",
        "epoch",
        "batch",
        "value",
    ]
    assert frame.rows() == [
        ("train", "metric", None, "train_loss", None, 0, 0, 0.5),
        ("test", "loss", "A", "mse", "auxiliary", None, 0, 0.25),
    ]
    empty = PhaseGroupResults("empty").to_polars()
    assert empty.height == 0
    assert empty.columns == frame.columns
    assert empty.dtypes == frame.dtypes


class TestExperimentRun:
    def test_duration_and_repr(self):
        run = ExperimentRun(
            label="run",
            status="completed",
            started_at=START,
            ended_at=START + timedelta(seconds=2.5),
            results=TrainResults(label="train"),
        )
        assert run.duration_seconds == 2.5
        assert run.metadata == {}
        assert repr(run) == (
            "ExperimentRun(label='run', duration=2.5, status='completed', "
            "results=TrainResults(label='train', epochs=0))"
        )

    def test_a_group_of_one_group_is_unwrapped(self):
        inner = PhaseGroupResults("inner", [TrainResults(label="t")])
        run = ExperimentRun("r", "failed", START, None, PhaseGroupResults("outer", [inner]))
        assert run.results is inner
        assert run.duration_seconds is None

    def test_phase_durations(self):
        meta = PhaseGroupExecutionMeta("g", START, START + timedelta(seconds=3))
        meta.add_child(PhaseExecutionMeta("a", START, START + timedelta(seconds=1)))
        nested = PhaseGroupExecutionMeta("h", START)
        nested.add_child(
            PhaseExecutionMeta("b", START, START + timedelta(seconds=2), status="failed")
        )
        meta.add_child(nested)
        with pytest.raises(ValueError, match="Duplicate execution label 'a'"):
            meta.add_child(PhaseExecutionMeta("a", START))
        run = ExperimentRun("r", "completed", START, START, TrainResults(label="a"), meta)
        assert run.phase_durations == {"a": 1.0, "b": 2.0}
        assert meta.duration_seconds == 3.0
        single = ExperimentRun(
            "r", "completed", START, START, None, PhaseExecutionMeta("a", START, START)
        )
        assert single.phase_durations == {"a": 0.0}
        assert ExperimentRun("r", "completed", START, START, None).phase_durations == {}


class TestConfig:
    @pytest.mark.parametrize(
        ("value", "member"),
        [
            ("all", ResultRecording.ALL),
            ("LAST", ResultRecording.LAST),
            ("None", ResultRecording.NONE),
        ],
    )
    def test_result_recording_from_value(self, value, member):
        assert ResultRecording.from_value(value) is member
        assert ResultRecording.from_value(member) is member

    def test_result_recording_rejects_others(self):
        with pytest.raises(ValueError, match="Invalid ResultRecording: 'some'"):
            ResultRecording.from_value("some")
        with pytest.raises(ValueError, match="Invalid ResultRecording: 1"):
            ResultRecording.from_value(1)

    def test_results_config(self, tmp_path):
        config = ResultsConfig()
        assert (
            config.results_dir,
            config.save_execution,
            config.save_metrics,
            config.save_artifacts,
        ) == (
            None,
            True,
            True,
            True,
        )
        assert config.phase_dir("0_train") is None
        on_disk = ResultsConfig(results_dir=str(tmp_path), save_metrics=False)
        assert on_disk.results_dir == Path(tmp_path)
        assert on_disk.phase_dir("0_train") == tmp_path / "0_train"
        assert ResultsConfig.from_config(on_disk.get_config()) == on_disk
        assert on_disk.get_config()["results_dir"] == str(tmp_path)
