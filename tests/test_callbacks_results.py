"""What hooks return lands in the right series: artifacts (stored once), metrics
(scalars only), payloads; and any callback rebuilds from its config."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from frontend_helpers import seed_setup  # noqa: E402
from modularml import TrainPhase  # noqa: E402
from modularml.callbacks import (  # noqa: E402
    ArtifactResult,
    EarlyStopping,
    Evaluation,
    MetricCallback,
    MetricResult,
    PayloadResult,
    callback_from_config,
)
from modularml.core.experiment.callbacks.callback import Callback  # noqa: E402
from modularml.samplers import SimpleSampler  # noqa: E402


def _train(setup, n_epochs, callbacks):
    return TrainPhase.from_split(
        "t", split="train", sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
        losses=[setup.loss], n_epochs=n_epochs, callbacks=callbacks,
    )


class Scatter(Callback):
    def __init__(self, label="ScatterPlot"):
        super().__init__(label=label)

    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        if exec_ctx.epoch_idx % 2 != 0:
            return None
        last = results.callbacks(kind="evaluation").values()[-1]
        pred = last.stacked_tensors(node="MLP", domain="outputs", fmt="np").reshape(-1)
        fig, ax = plt.subplots(figsize=(3, 3))
        ax.scatter(pred, pred)
        plt.close(fig)
        return ArtifactResult(artifact_name="val_scatter", artifact=fig)

    def get_config(self):
        return {"callback_type": type(self).__name__, "label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(label=config["label"])


def test_figures_at_epochs_0_and_2_are_stored_once():
    setup = seed_setup()
    cbs = [Evaluation.from_split(label="eval_val", split="val"), Scatter()]
    res = setup.exp.run_phase(_train(setup, 4, cbs))

    assert res.artifact_names() == ["val_scatter"]
    series = res.artifacts().where(name="val_scatter")
    assert len(series) == 2
    assert [(e.epoch_idx, type(e.artifact)) for e in series.values()] == [(0, Figure), (2, Figure)]
    via_callbacks = res.callbacks(kind="artifact").values()
    assert [(r.epoch_idx, r.edge, r.callback_label) for r in via_callbacks] == [
        (0, "end", "ScatterPlot"), (2, "end", "ScatterPlot")]
    assert via_callbacks[0].artifact is series.where(epoch=0).one().artifact


class BatchIndex(MetricCallback):
    def on_batch_end(self, *, experiment, phase, exec_ctx, results=None):
        return MetricResult(metric_name=self.metric_name, metric_value=np.float32(exec_ctx.batch_idx))


def test_metric_results_are_logged_at_their_batch():
    setup = seed_setup()
    res = setup.exp.run_phase(_train(setup, 2, [BatchIndex(name="batch_no")]))
    series = res.metrics().where(name="batch_no")
    assert len(series) == 22
    assert [e.value for e in series.where(epoch=1).values()] == [float(i) for i in range(11)]
    assert [e.batch_idx for e in series.where(epoch=0).values()] == list(range(11))
    assert len(res.callbacks(kind="metric")) == 22


class ArrayMetric(MetricCallback):
    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        return MetricResult(metric_name=self.metric_name, metric_value=np.ones(3))


def test_a_non_scalar_metric_fails_the_run_with_the_metric_named():
    setup = seed_setup()
    with pytest.raises(TypeError, match="bad_metric"):
        setup.exp.run_phase(_train(setup, 1, [ArrayMetric(name="bad_metric")]))
    assert setup.exp.last_run.status == "failed"


class Echo(Callback):
    def on_phase_end(self, *, experiment, phase, results=None):
        return {"epochs": len(results.epoch_indices)}

    def get_config(self):
        return {"callback_type": "Echo", "label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(label=config["label"])


def test_other_returns_are_wrapped_as_payloads():
    setup = seed_setup()
    res = setup.exp.run_phase(_train(setup, 3, [Echo()]))
    payload = res.callbacks(kind="payload").one()
    assert isinstance(payload, PayloadResult)
    assert payload.payload == {"epochs": 3}
    assert (payload.callback_label, payload.epoch_idx, payload.edge) == ("Echo", None, "end")


def test_callback_from_config_finds_built_in_and_user_classes():
    again = callback_from_config(Scatter(label="s2").get_config())
    assert isinstance(again, Scatter) and again.label == "s2"
    stopper = callback_from_config(EarlyStopping(patience=3).get_config())
    assert isinstance(stopper, EarlyStopping) and stopper.get_config()["patience"] == 3
    with pytest.raises(ValueError, match="Unknown callback_type 'NoSuchCallback'"):
        callback_from_config({"callback_type": "NoSuchCallback"})
