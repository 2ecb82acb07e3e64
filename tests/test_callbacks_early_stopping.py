"""EarlyStopping."""

from __future__ import annotations

import pytest
import torch

from frontend_helpers import seed_setup
from modularml.callbacks import EarlyStopping, EarlyStoppingResult
from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.context import ExperimentContext
from modularml.results import MetricResult
from test_frontend_loop import train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Scripted(Callback):
    """Logs metric `score` with a scripted value per epoch; snapshots weights per epoch."""

    def __init__(self, values, label="Scripted", execution_order=0):
        super().__init__(label=label, execution_order=execution_order)
        self.values = values
        self.weights = {}

    def on_epoch_end(self, *, experiment, exec_ctx, **kw):
        epoch = exec_ctx.epoch_idx
        self.weights[epoch] = [p.detach().clone() for p in experiment.model_graph.parameters()]
        if epoch < len(self.values) and self.values[epoch] is not None:
            return MetricResult(metric_name="score", metric_value=self.values[epoch])
        return None

    def get_config(self):
        return {"values": self.values}

    @classmethod
    def from_config(cls, config):
        return cls(config["values"])


def run(s, values, n_epochs=10, **kw):
    stopper = EarlyStopping(monitor="score", **kw)
    res = s.exp.run_phase(train_phase(s, n_epochs=n_epochs, callbacks=[stopper, Scripted(values)]))
    return stopper, res


def test_stops_after_patience_without_improvement():
    s = seed_setup()
    stopper, res = run(s, [1.0, 0.5, 0.6, 0.7, 0.8], patience=2)
    stored = res.callbacks(kind="early_stopping").values()
    assert [r.callback_label for r in stored] == ["EarlyStopping"]
    assert res.n_epochs == 4
    assert s.exp.last_run.status == "stopped"
    result = res.early_stopping_result
    assert isinstance(result, EarlyStoppingResult)
    assert (result.best_epoch, result.best_value, result.stopped_epoch, result.restored) == (
        1, 0.5, 3, False)
    assert (result.epoch_idx, result.edge) == (None, "end")
    assert (stopper.best_epoch, stopper.stopped_epoch) == (1, 3)


def test_min_delta_max_mode_and_missing_values():
    s = seed_setup()
    stopper, res = run(s, [1.0, 1.05, 1.5, 1.55], n_epochs=4, mode="max", min_delta=0.1,
                       patience=2)
    assert res.n_epochs == 4 and stopper.best_epoch == 2  # 1.05 and 1.55 are within min_delta
    s = seed_setup()
    stopper, res = run(s, [None, None, None], patience=2)
    assert res.n_epochs == 2 and stopper.best_epoch is None


def test_restore_best_puts_back_the_best_epoch_weights():
    s = seed_setup()
    stopper = EarlyStopping(monitor="score", patience=2, restore_best=True)
    scripted = Scripted([1.0, 0.2, 0.6, 0.7])  # runs before EarlyStopping (order 1)
    res = s.exp.run_phase(train_phase(s, n_epochs=10, callbacks=[scripted, stopper]))
    assert res.early_stopping_result.restored
    assert res.last_epoch == 1
    best = scripted.weights[1]
    assert all(torch.equal(a, b) for a, b in zip(best, s.graph.parameters(), strict=True))


def test_config_and_validation():
    es = EarlyStopping(monitor="val_loss", patience=3, reducer="mean", restore_best=True)
    assert es.execution_order == 1 and es.label == "EarlyStopping"
    again = EarlyStopping.from_config(es.get_config())
    assert again.get_config() == es.get_config()
    with pytest.raises(ValueError):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError):
        EarlyStopping(reducer="median")


def test_last_recording_keeps_the_restored_best_epoch():
    from modularml import ResultRecording

    s = seed_setup()
    stopper = EarlyStopping(monitor="score", patience=2, restore_best=True)
    phase = train_phase(s, n_epochs=10, callbacks=[Scripted([1.0, 0.2, 0.6, 0.7]), stopper],
                        result_recording=ResultRecording.LAST)
    res = s.exp.run_phase(phase)
    epochs = {c.epoch_idx for c in res.execution_contexts().values()}
    assert epochs == {1} and len(res.execution_contexts()) == 3
