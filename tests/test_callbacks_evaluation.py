"""The Evaluation callback."""

from __future__ import annotations

import pytest
import torch

from frontend_helpers import seed_setup
from modularml import EvalPhase
from modularml.callbacks import EvalLossMetric, Evaluation, EvaluationCallbackResult
from modularml.core.experiment.context import ExperimentContext
from test_frontend_loop import Recorder, train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


def test_evaluates_every_n_epochs_and_stores_scoped_results():
    s = seed_setup()
    cb = Evaluation.from_split(label="eval_val", split="val", every_n_epochs=2)
    assert cb.label == "eval_val" and cb.eval_phase.label == "eval_val"
    res = s.exp.run_phase(train_phase(s, n_epochs=4, callbacks=[cb]))
    found = res.callbacks(kind="evaluation").values()
    assert [(r.epoch_idx, r.batch_idx, r.edge) for r in found] == [(1, None, "end"),
                                                                   (3, None, "end")]
    first = found[0]
    assert isinstance(first, EvaluationCallbackResult)
    assert repr(first.eval_results) == "EvalResults(label='eval_val', batches=1)"
    assert first.n_batches == 1
    assert first.stacked_tensors(node="MLP", domain="outputs", fmt="np").shape == (75, 1, 1)
    assert [r.label for r in s.exp.history] == ["train"]  # evaluations leave no history


def test_evaluation_does_not_disturb_training():
    def final_weights(with_eval):
        s = seed_setup(seed=5)
        callbacks = [Evaluation.from_split(label="ev", split="val")] if with_eval else []
        res = s.exp.run_phase(train_phase(s, n_epochs=3, callbacks=callbacks))
        losses = [m.value for m in res.metrics().where(name="train_loss").values()]
        return losses, [p.detach().clone() for p in s.graph.parameters()]

    (l1, w1), (l2, w2) = final_weights(False), final_weights(True)
    assert l1 == l2
    assert all(torch.equal(a, b) for a, b in zip(w1, w2, strict=True))


def test_run_on_start_and_metrics_scope():
    s = seed_setup()
    metric = EvalLossMetric(loss=s.loss, name="val_mse")
    cb = Evaluation.from_split(label="ev", split="val", run_on_start=True, every_n_epochs=5,
                               metrics=[metric])
    res = s.exp.run_phase(train_phase(s, n_epochs=2, callbacks=[cb]))
    (start,) = res.callbacks(kind="evaluation").values()
    assert (start.epoch_idx, start.batch_idx, start.edge) == (None, None, "start")
    (entry,) = res.metrics().where(name="val_mse").values()
    assert entry.epoch_idx is None
    assert entry.value == pytest.approx(start.aggregated_losses(node="MLP")["mse"])


def test_inner_phase_callbacks_run_and_validation():
    s = seed_setup()
    inner = Recorder("inner")
    phase = EvalPhase.from_split("ev", split="val", callbacks=[inner])
    s.exp.run_phase(train_phase(s, n_epochs=2, callbacks=[Evaluation(eval_phase=phase)]))
    assert [c[1] for c in inner.calls].count("on_phase_start") == 2
    with pytest.raises(ValueError, match="every_n_epochs"):
        Evaluation(eval_phase=phase, every_n_epochs=0)
    with pytest.raises(TypeError):
        Evaluation(eval_phase=train_phase(s))


def test_config_round_trip():
    s = seed_setup()
    metric = EvalLossMetric(loss=s.loss, reducer="sum")
    cb = Evaluation.from_split(label="ev", split="val", every_n_epochs=3, batch_size=25,
                               metrics=[metric])
    config = cb.get_config()
    again = Evaluation.from_config(config)
    assert again.get_config() == config
    assert again.eval_phase.batch_size == 25 and again.metrics[0].loss in again.eval_phase.losses
