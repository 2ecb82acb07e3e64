"""The error contract at the front end: user callbacks with wrong hook signatures,
duplicate callback labels, unknown split labels; each fails before the first batch."""

from __future__ import annotations

import pytest

from frontend_helpers import seed_setup
from modularml import ExperimentCallback, TrainPhase
from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.context import ExperimentContext
from modularml.samplers import SimpleSampler
from test_frontend_loop import Recorder, train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class _Base(Callback):
    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


class Positional(_Base):
    def on_batch_end(self, exec_ctx):  # forgets experiment, phase, results
        raise AssertionError("never called")


class PositionalOnly(_Base):
    def on_epoch_end(self, experiment, phase, exec_ctx, results, /):
        raise AssertionError("never called")


class MissingResults(_Base):
    def on_phase_start(self, *, experiment, phase):
        raise AssertionError("never called")


class Fine(_Base):
    """Every accepted form: explicit keywords, positional-or-keyword names, **kwargs."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def on_phase_start(self, experiment, phase, results=None):
        self.calls += 1

    def on_batch_end(self, **kwargs):
        self.calls += 1

    def on_exception(self, *, exception, **rest):
        self.calls += 1


@pytest.mark.parametrize(
    "callback, hook, expected",
    [
        (Positional(), "on_batch_end", "experiment, phase, exec_ctx, results"),
        (PositionalOnly(), "on_epoch_end", "experiment, phase, exec_ctx, results"),
        (MissingResults(), "on_phase_start", "experiment, phase, results"),
    ],
)
def test_wrong_hook_signature_fails_at_phase_start_naming_callback_hook_and_form(
    callback, hook, expected
):
    s = seed_setup(n_samples=64)
    phase = train_phase(s, n_epochs=1, callbacks=[callback])
    with pytest.raises(TypeError) as info:
        s.exp.run_phase(phase)
    message = str(info.value)
    assert f"callback {type(callback).__name__!r}" in message
    assert f".{hook}(" in message
    assert f"def {hook}(self, *, {expected})" in message
    run = s.exp.last_run
    assert run.status == "failed"
    assert len(run.results.losses("MLP")) == 0  # no batch ran


def test_every_keyword_compatible_signature_is_accepted():
    s = seed_setup(n_samples=64)
    fine = Fine()
    s.exp.run_phase(train_phase(s, n_epochs=1, batch_size=32, callbacks=[fine]))
    assert fine.calls == 1 + 2  # phase start, two batches


def test_experiment_callbacks_are_checked_against_their_own_hooks():
    class BadExperimentCallback(ExperimentCallback):
        def on_phase_end(self, phase, results):  # no experiment
            raise AssertionError("never called")

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    s = seed_setup(n_samples=64)
    with pytest.raises(TypeError, match=r"def on_phase_end\(self, \*, experiment, phase, results\)"):
        s.exp.add_callback(BadExperimentCallback())
        s.exp.run_phase(train_phase(s, n_epochs=1))


def test_duplicate_callback_labels_in_a_phase_are_a_value_error():
    s = seed_setup(n_samples=64)
    with pytest.raises(ValueError, match=r"same label: \['rec'\]; .*distinct label="):
        train_phase(s, callbacks=[Recorder("rec"), Recorder("rec")])


def test_unknown_split_is_a_key_error_listing_the_splits():
    s = seed_setup(n_samples=64)
    with pytest.raises(KeyError, match=r"no split 'trian'; available: \['train', 'val', 'test'\]"):
        phase = TrainPhase.from_split(
            label="t", split="trian", sampler=SimpleSampler(batch_size=32), losses=[s.loss]
        )
        s.exp.run_phase(phase)
    assert all(run.label != "t" or len(run.results.losses("MLP")) == 0 for run in s.exp.history)
