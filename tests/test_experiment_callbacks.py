"""ExperimentCallback: hooks at experiment, group and phase boundaries, in order."""

from __future__ import annotations

import pytest

from frontend_helpers import seed_setup
from modularml import EvalPhase, ExperimentCallback, PhaseGroup, TrainPhase
from modularml.callbacks import Evaluation
from modularml.core.experiment.callbacks.callback import Callback
from modularml.samplers import SimpleSampler


class Recorder(ExperimentCallback):
    def __init__(self, events, label=None, execution_order=0):
        super().__init__(label=label, execution_order=execution_order)
        self.events = events

    def _log(self, *item):
        self.events.append((self.label, *item))

    def on_experiment_start(self, *, experiment):
        self._log("experiment_start", experiment.label)

    def on_experiment_end(self, *, experiment, results):
        self._log("experiment_end", [type(r).__name__ for r in results])

    def on_group_start(self, *, experiment, group):
        self._log("group_start", group.label)

    def on_group_end(self, *, experiment, group, results):
        self._log("group_end", group.label, sorted(results.flatten()))

    def on_phase_start(self, *, experiment, phase):
        self._log("phase_start", phase.label)

    def on_phase_end(self, *, experiment, phase, results):
        self._log("phase_end", phase.label, repr(results))

    def on_exception(self, *, experiment, phase, exception):
        self._log("exception", getattr(phase, "label", None), type(exception).__name__, str(exception))

    def get_config(self):
        return {"callback_type": "Recorder", "label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls([], label=config["label"])


def _train(setup, label, n_epochs=1, callbacks=()):
    return TrainPhase.from_split(
        label, split="train", sampler=SimpleSampler(batch_size=64, shuffle=True, seed=0),
        losses=[setup.loss], n_epochs=n_epochs, callbacks=list(callbacks),
    )


def test_run_fires_hooks_in_order_with_results():
    setup = seed_setup()
    events = []
    setup.exp.add_callback(Recorder(events, label="rec"))
    group = PhaseGroup("cycle").add_phase(_train(setup, "g_train")).add_phase(
        EvalPhase.from_split("g_eval", split="val", losses=[setup.loss]))
    setup.exp.execution_plan.add_phase(_train(setup, "warmup")).add_group(group)

    setup.exp.run()

    assert [e[1:] for e in events] == [
        ("experiment_start", setup.exp.label),
        ("phase_start", "warmup"),
        ("phase_end", "warmup", "TrainResults(label='warmup', epochs=1)"),
        ("group_start", "cycle"),
        ("phase_start", "g_train"),
        ("phase_end", "g_train", "TrainResults(label='g_train', epochs=1)"),
        ("phase_start", "g_eval"),
        ("phase_end", "g_eval", "EvalResults(label='g_eval', batches=1)"),
        ("group_end", "cycle", ["g_eval", "g_train"]),
        ("experiment_end", ["TrainResults", "PhaseGroupResults"]),
    ]


def test_previews_fire_no_experiment_hooks():
    setup = seed_setup()
    events = []
    setup.exp.add_callback(Recorder(events))
    evaluation = Evaluation.from_split(label="ev", split="val")
    setup.exp.run_phase(_train(setup, "t", n_epochs=2, callbacks=[evaluation]))
    setup.exp.preview_phase(EvalPhase.from_split("peek", split="val", losses=[setup.loss]))
    assert [e[1:3] for e in events] == [("phase_start", "t"), ("phase_end", "t")]


class Boom(Callback):
    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        raise RuntimeError("boom at epoch end")

    def get_config(self):
        return {"callback_type": "Boom"}

    @classmethod
    def from_config(cls, config):
        return cls()


def test_failed_phase_reaches_on_exception_not_on_phase_end():
    setup = seed_setup()
    events = []
    setup.exp.add_callback(Recorder(events))
    with pytest.raises(RuntimeError, match="boom at epoch end"):
        setup.exp.run_phase(_train(setup, "bad", callbacks=[Boom()]))
    assert [e[1:3] for e in events] == [("phase_start", "bad"), ("exception", "bad")]
    assert events[1][3:] == ("RuntimeError", "boom at epoch end")
    assert setup.exp.last_run.status == "failed"


def test_order_validation_and_errors():
    setup = seed_setup()
    events = []
    setup.exp.add_callback(Recorder(events, label="late", execution_order=5))
    setup.exp.add_callback(Recorder(events, label="early", execution_order=-1))
    assert [cb.label for cb in setup.exp.callbacks] == ["early", "late"]
    setup.exp.run_phase(_train(setup, "t"))
    assert [e[0] for e in events] == ["early", "late", "early", "late"]
    with pytest.raises(ValueError, match="same label"):
        setup.exp.add_callback(Recorder(events, label="late"))
    with pytest.raises(TypeError, match="ExperimentCallback"):
        setup.exp.add_callback(Boom())


class Failing(Recorder):
    def on_phase_start(self, *, experiment, phase):
        raise ValueError("refused")


def test_a_raising_hook_is_named_and_the_run_is_recorded_failed():
    setup = seed_setup()
    events = []
    setup.exp.add_callback(Failing(events, label="gate"))
    with pytest.raises(ValueError, match="refused") as info:
        setup.exp.run_phase(_train(setup, "t"))
    assert "in callback 'gate'.on_phase_start" in info.value.__notes__
    assert setup.exp.last_run.status == "failed"
    assert ("gate", "exception", "t", "ValueError", "refused") in events
