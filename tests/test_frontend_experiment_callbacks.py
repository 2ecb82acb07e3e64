"""Experiment-level callbacks around phase and group runs."""

from __future__ import annotations

import pytest

from frontend_helpers import seed_setup
from modularml import EvalPhase, ExperimentCallback, PhaseGroup
from modularml.core.experiment.context import ExperimentContext
from test_frontend_exceptions import Boom
from test_frontend_loop import Recorder, train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Tracker(ExperimentCallback):
    """Records (hook, phase or group label, argument names) of every hook."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _note(self, hook, kw):
        item = kw.get("phase", kw.get("group"))
        self.calls.append((hook, getattr(item, "label", None), tuple(sorted(kw))))

    def on_experiment_start(self, **kw):
        self._note("on_experiment_start", kw)

    def on_experiment_end(self, **kw):
        self._note("on_experiment_end", kw)

    def on_group_start(self, **kw):
        self._note("on_group_start", kw)

    def on_group_end(self, **kw):
        self._note("on_group_end", kw)

    def on_phase_start(self, **kw):
        self._note("on_phase_start", kw)

    def on_phase_end(self, **kw):
        self._note("on_phase_end", kw)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


class PhaseEnds(ExperimentCallback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_phase_end(self, *, experiment, phase, results):
        self.seen.append((phase.label, repr(results)))

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


def test_hooks_fire_around_run_groups_and_phases_but_not_previews():
    s = seed_setup()
    ends = PhaseEnds()
    s.exp.add_callback(ends)
    s.exp.execution_plan.add_phase(train_phase(s, label="t", n_epochs=1))
    s.exp.execution_plan.add_group(PhaseGroup("g", [EvalPhase.from_split("e", split="val")]))
    s.exp.run()
    s.exp.preview_phase(train_phase(s, label="p", n_epochs=1))
    assert ends.seen == [("t", "TrainResults(label='t', epochs=1)"),
                         ("e", "EvalResults(label='e', batches=1)")]


def test_order_and_arguments():
    s = seed_setup()
    tracker = Tracker()
    s.exp.add_callback(tracker)
    s.exp.execution_plan.add_group(PhaseGroup("g", [train_phase(s, label="t", n_epochs=1)]))
    s.exp.run()
    e, eg, egr, ep, epr = (("experiment",), ("experiment", "group"),
                           ("experiment", "group", "results"), ("experiment", "phase"),
                           ("experiment", "phase", "results"))
    assert tracker.calls == [
        ("on_experiment_start", None, e), ("on_group_start", "g", eg),
        ("on_phase_start", "t", ep), ("on_phase_end", "t", epr),
        ("on_group_end", "g", egr), ("on_experiment_end", None, ("experiment", "results")),
    ]


def test_exception_reaches_experiment_callbacks_once():
    s = seed_setup()
    seen = []

    class OnError(ExperimentCallback):
        def on_exception(self, *, experiment, phase, exception):
            seen.append((phase.label, exception))

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    s.exp.add_callback(OnError())
    with pytest.raises(ValueError) as info:
        s.exp.run_phase(train_phase(s, callbacks=[Boom(at=(0, 1)), Recorder()]))
    assert seen == [("train", info.value)]
    with pytest.raises(TypeError):
        s.exp.add_callback(Recorder())


def test_history_to_polars_has_every_run():
    s = seed_setup()
    s.exp.run_phase(train_phase(s, label="first", n_epochs=2))
    s.exp.run_phase(train_phase(s, label="first", n_epochs=1))
    frame = s.exp.to_polars()
    assert frame.columns[:2] == ["run", "run_label"]
    assert frame["run"].unique().sort().to_list() == [0, 1]
    per_run = [len(run.results.to_polars()) for run in s.exp.history]
    assert [frame.filter(frame["run"] == i).height for i in (0, 1)] == per_run
    assert set(frame["run_label"]) == {"first"}
