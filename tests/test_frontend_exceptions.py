"""Failures: a hook or a step raising reaches every on_exception, is recorded, re-raised."""

from __future__ import annotations

import pytest

from frontend_helpers import seed_setup
from modularml import AppliedLoss, EvalPhase, Loss, TrainPhase
from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.context import ExperimentContext
from modularml.samplers import SimpleSampler
from test_frontend_loop import Recorder, train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Boom(Callback):
    """Raises in on_batch_end at one (epoch, batch)."""

    def __init__(self, at=(1, 1), label="Boom"):
        super().__init__(label=label)
        self.at = at

    def on_batch_end(self, *, exec_ctx, **kw):
        if (exec_ctx.epoch_idx, exec_ctx.batch_idx) == self.at:
            raise ValueError("boom in hook")

    def get_config(self):
        return {"at": self.at, "label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def test_hook_exception_reaches_every_on_exception_and_is_recorded():
    s = seed_setup()
    first, second = Recorder("first"), Recorder("second")
    boom = Boom()
    phase = train_phase(s, n_epochs=3, callbacks=[first, boom, second])
    with pytest.raises(ValueError, match="boom in hook") as info:
        s.exp.run_phase(phase)
    err = info.value
    assert "in callback 'Boom'.on_batch_end" in err.__notes__
    for rec in (first, second):
        assert rec.exception is err
        hook, where = rec.calls[-1][1:3]
        assert (hook, where) == ("on_exception", (1, 1))
    run = s.exp.last_run
    assert run.status == "failed" and run.label == "train"
    assert len(run.results.losses("MLP")) == 3 + 2  # epoch 0 and two batches of epoch 1
    assert [r.label for r in s.exp.history] == ["train"]


def test_step_exception_is_the_real_one_with_its_context():
    s = seed_setup()
    calls = {"n": 0}

    def flaky(pred, target):
        calls["n"] += 1
        if calls["n"] == 5:
            raise FloatingPointError("bad step")
        return (pred - target) ** 2

    loss = AppliedLoss(Loss(flaky), on="MLP", label="flaky")
    rec = Recorder()
    phase = TrainPhase.from_split("t", split="train", sampler=SimpleSampler(128),
                                  losses=[loss], n_epochs=3, callbacks=[rec])
    with pytest.raises(FloatingPointError, match="bad step") as info:
        s.exp.run_phase(phase)
    assert rec.exception is info.value  # not GeneratorExit
    assert rec.calls[-1][1:3] == ("on_exception", (1, 1))  # the failing batch's context
    assert any("TrainPhase 't' step (epoch 1, batch 1)" in n for n in info.value.__notes__)
    assert s.exp.last_run.status == "failed"
    assert len(s.exp.last_run.results.metrics().where(name="train_loss", batch=None)) == 1


def test_exception_in_phase_start_and_in_eval_phase():
    s = seed_setup()

    class StartFails(Callback):
        def on_phase_start(self, **kw):
            raise KeyError("start")

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    rec = Recorder()
    phase = EvalPhase.from_split("ev", split="val", losses=[s.loss], callbacks=[StartFails(), rec])
    with pytest.raises(KeyError) as info:
        s.exp.run_phase(phase)
    # the default label is the class's __qualname__
    assert info.value.__notes__ == [
        "in callback 'test_exception_in_phase_start_and_in_eval_phase.<locals>.StartFails'"
        ".on_phase_start"]
    assert rec.calls[-1][1:3] == ("on_exception", None)  # no batch had started
    assert s.exp.last_run.status == "failed"


def test_failing_on_exception_does_not_hide_the_original():
    s = seed_setup()

    class BadHandler(Callback):
        def on_exception(self, **kw):
            raise RuntimeError("handler broke")

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    rec = Recorder()
    phase = train_phase(s, callbacks=[Boom(at=(0, 0)), BadHandler(), rec])
    with pytest.raises(ValueError, match="boom in hook") as info:
        s.exp.run_phase(phase)
    assert any("BadHandler" in n and "handler broke" in n for n in info.value.__notes__)
    assert rec.exception is info.value
