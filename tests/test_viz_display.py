"""Notebook displays (_repr_html_) and the one-line reprs they sit beside."""

from __future__ import annotations

import re

import pytest

from modularml.core.experiment.context import ExperimentContext
from modularml.results import TrainResults
from modularml.viz import metric_summary, run_summary
from viz_helpers import trained_experiment


@pytest.fixture(scope="module")
def experiment():
    with ExperimentContext().activate():
        return trained_experiment(labels=("run-a", "run-b"))


def body_rows(html: str) -> int:
    return html.split("<tbody>", 1)[1].count("<tr>")


def test_reprs_stay_one_line(experiment):
    results = experiment.history[0].results
    assert repr(results) == "TrainResults(label='run-a', epochs=3)"
    assert (
        repr(results.metrics()) == "MetricDataSeries(keyed_by=('name', 'epoch', 'batch'), len=15)"
    )
    callbacks = results.callbacks()
    assert repr(callbacks) == (
        "CallbackDataSeries(keyed_by=('kind', 'label', 'epoch', 'batch', 'edge'), len=3)"
    )
    assert repr(experiment) == "Experiment(label='my_experiment', runs=2)"


def test_small_series_html_shows_every_row(experiment):
    series = experiment.history[0].results.metrics().where(name="val_loss")
    html = series._repr_html_()
    assert "<b>MetricDataSeries</b>" in html
    assert "3 rows" in html and "epoch: 3" in html
    assert body_rows(html) == 3
    assert "shown" not in html


def test_large_series_html_is_summarised():
    results = TrainResults("big")
    results.log_metrics(list(range(10_000)), names="x", epoch_idx=0, batch_idx=list(range(10_000)))
    html = results.metrics()._repr_html_()
    assert "10,000 rows" in html and "first 5 and last 5 shown" in html
    assert body_rows(html) == 10
    assert ">9999<" in html and ">5000<" not in html


def test_object_series_html_shows_object_reprs(experiment):
    html = experiment.history[0].results.callbacks()._repr_html_()
    assert "EvaluationCallbackResult" in html or "CallbackResult" in html
    assert body_rows(html) == 3


def test_results_html_summarises_metrics(experiment):
    results = experiment.history[0].results
    html = results._repr_html_()
    assert "TrainResults(label=&#x27;run-a&#x27;, epochs=3)" in html
    assert "train_loss" in html and "val_loss" in html
    assert body_rows(html) == 2


def test_metric_summary_values(experiment):
    results = experiment.history[0].results
    summary = metric_summary(results)
    assert summary["metric"].to_list() == ["train_loss", "val_loss"]
    val = results.metrics().where(name="val_loss").values()
    row = summary.row(1, named=True)
    assert row["level"] == "epoch" and row["records"] == 3
    assert row["last"] == pytest.approx(val[-1].value)
    best = min(val, key=lambda e: e.value)
    assert (row["best"], row["best_epoch"], row["goal"]) == (best.value, best.epoch_idx, "min")
    assert row["best_batch"] is None


def test_metric_summary_goal_and_batch_level():
    results = TrainResults("x")
    results.log_metrics([0.5, 0.9, 0.7], names="accuracy", epoch_idx=0, batch_idx=[0, 1, 2])
    row = metric_summary(results).row(0, named=True)
    assert (row["level"], row["best"], row["best_batch"], row["goal"]) == ("batch", 0.9, 1, "max")
    assert len(metric_summary(TrainResults("empty"))) == 0


def test_run_and_history_html(experiment):
    run = experiment.history[1]
    html = run._repr_html_()
    assert "&#x27;run-b&#x27;: completed" in html
    assert re.search(r"\d+\.\d s", html)
    history = experiment._repr_html_()
    assert "2 runs" in history and "run-a" in history and "run-b" in history
    frame = run_summary(experiment.history)
    assert frame["run"].to_list() == ["run-a", "run-b"]
    assert frame["status"].to_list() == ["completed", "completed"]
    assert frame["epochs"].to_list() == [3, 3]


def test_group_html_has_a_phase_column(experiment):
    from modularml import PhaseGroupResults

    group = PhaseGroupResults("g", [r.results for r in experiment.history])
    html = group._repr_html_()
    assert ">phase<" in html and body_rows(html) == 4
