"""Metric curves: results.plot(), series.plot(), experiment and run plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from modularml import EvalPhase, PhaseGroupResults  # noqa: E402
from modularml.core.experiment.context import ExperimentContext  # noqa: E402
from modularml.results import TrainResults  # noqa: E402
from modularml.viz import plot_runs  # noqa: E402
from viz_helpers import trained_experiment  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


@pytest.fixture(scope="module")
def experiment():
    with ExperimentContext().activate():
        return trained_experiment(labels=("run-a", "run-b"))


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_train_results_plot_has_one_axes_per_metric(experiment):
    results = experiment.history[0].results
    fig = results.plot()
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == ["train_loss", "val_loss"]
    assert fig._suptitle.get_text() == "run-a"
    train = lines(axes[0])
    # per batch: thin, out of the legend; per epoch: marked
    assert set(train) == {"_run-a per batch", "run-a"}
    thin, marked = train["_run-a per batch"], train["run-a"]
    assert len(thin.get_xdata()) == 9 and thin.get_linewidth() < marked.get_linewidth()
    assert marked.get_marker() == "o"
    epochs = results.metrics().where(name="train_loss", batch=None)
    assert list(marked.get_ydata()) == pytest.approx([e.value for e in epochs.values()])
    assert list(marked.get_xdata()) == [0, 1, 2]
    # the three batches of epoch 1 spread around x = 1
    assert list(thin.get_xdata())[3:6] == pytest.approx([1 - 1 / 3, 1, 1 + 1 / 3])
    val = lines(axes[1])
    assert list(val) == ["run-a"]
    assert list(val["run-a"].get_ydata()) == pytest.approx(
        [e.value for e in results.metrics().where(name="val_loss").values()]
    )
    assert axes[0].get_xlabel() == "epoch"


def test_overlay_and_selection(experiment):
    results = experiment.history[0].results
    fig = results.plot(["val_loss", "train_loss"], overlay=True, per="epoch", title="t")
    (ax,) = visible_axes(fig)
    assert set(lines(ax)) == {"val_loss", "train_loss"}
    assert len(lines(ax)["train_loss"].get_xdata()) == 3  # no per-batch line
    assert fig._suptitle.get_text() == "t"
    only = visible_axes(results.plot("val_loss"))
    assert [ax.get_title() for ax in only] == ["val_loss"]


def test_unknown_metric_and_per_are_errors(experiment):
    results = experiment.history[0].results
    with pytest.raises(ValueError, match="No metric 'acc'.*train_loss"):
        results.plot("acc")
    with pytest.raises(ValueError, match="per must be"):
        results.plot(per="step")


def test_history_plot_shows_every_run(experiment):
    fig = experiment.plot()
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == ["train_loss", "val_loss"]
    for ax in axes:
        legend = [text.get_text() for text in ax.get_legend().get_texts()]
        assert legend == ["run-a", "run-b"]
    colors = {lines(axes[1])[label].get_color() for label in ("run-a", "run-b")}
    assert len(colors) == 2


def test_runs_with_one_label_get_two_legend_entries(experiment):
    runs = experiment.history
    fig = plot_runs([runs[0], runs[0]], "val_loss")
    assert set(lines(fig.axes[0])) == {"run-a", "run-a (2)"}


def test_run_and_group_plots(experiment):
    run = experiment.history[1]
    assert set(lines(run.plot("val_loss").axes[0])) == {"run-b"}
    group = PhaseGroupResults("g", [r.results for r in experiment.history])
    assert set(lines(group.plot("val_loss").axes[0])) == {"run-a", "run-b"}


def test_series_plot(experiment):
    metrics = experiment.history[0].results.metrics()
    fig = metrics.plot()
    (ax,) = fig.axes
    assert {"train_loss", "val_loss"} <= set(lines(ax))
    collapsed = metrics.where(name="train_loss").collapse("batch", "mean")
    (line,) = collapsed.plot().axes[0].get_lines()
    assert len(line.get_xdata()) == 3
    losses = experiment.history[0].results.losses("MLP")
    (thin,) = losses.plot(per="batch").axes[0].get_lines()
    assert list(thin.get_ydata()) == pytest.approx([r.trainable for r in losses.values()])


def test_series_plot_draws_on_given_axes(experiment):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert experiment.history[0].results.metrics().where(name="val_loss").plot(ax=ax) is fig
    assert len(ax.get_lines()) == 1


def test_eval_results_plot_their_losses():
    exp = trained_experiment(n_epochs=1)
    phase = EvalPhase.from_split(label="test", split="test", losses=[exp_loss(exp)])
    results = exp.run_phase(phase, show_progress=False)
    fig = results.plot()
    (ax,) = visible_axes(fig)
    assert ax.get_title() == "MLP/mse"
    assert ax.get_xlabel() == "batch"


def exp_loss(exp):
    from modularml import AppliedLoss, Loss

    return AppliedLoss(Loss("mse", backend="torch"), on="MLP", inputs=["targets", "outputs"])


def test_empty_results_plot_is_an_empty_figure():
    fig = TrainResults("nothing").plot()
    assert len(fig.axes) == 1 and not fig.axes[0].get_lines()


def test_long_batch_lines_are_thinned_by_means():
    from modularml.viz.plotting import MAX_LINE_POINTS

    results = TrainResults("long")
    n = 3 * MAX_LINE_POINTS
    results.log_metrics(
        [float(i % 3) for i in range(n)], names="x", epoch_idx=0, batch_idx=list(range(n))
    )
    (line,) = results.plot().axes[0].get_lines()
    assert len(line.get_xdata()) == MAX_LINE_POINTS
    assert list(line.get_ydata()[:3]) == pytest.approx([1.0, 1.0, 1.0])


def test_phase_level_values_are_dashed_lines():
    results = TrainResults("p")
    results.log_metric("final", 0.5, None, None)
    results.log_metrics([0.1, 0.2], names="x", epoch_idx=None, batch_idx=[0, 1])
    fig = results.plot()
    final, x = visible_axes(fig)
    (line,) = final.get_lines()
    assert (line.get_linestyle(), list(line.get_ydata())) == ("--", [0.5, 0.5])
    assert line.get_label() == "p"
    (batch_line,) = x.get_lines()
    assert list(batch_line.get_xdata()) == [0, 1] and x.get_xlabel() == "batch"
