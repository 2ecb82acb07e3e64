"""Rank-dependent behaviour checked in one process: bars on rank 0, rank_zero_only callbacks."""

from __future__ import annotations

import io

import pytest

import modularml.distributed as distributed
from frontend_helpers import seed_setup
from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.callbacks.dispatch import HookDispatcher
from modularml.core.experiment.context import ExperimentContext
from modularml.distributed import ranks
from test_frontend_loop import train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("rank", "drawn"), [(0, True), (1, False)])
def test_bars_draw_on_rank_zero_only(monkeypatch, rank, drawn):
    monkeypatch.delenv("MODULARML_PROGRESS", raising=False)
    monkeypatch.setattr(distributed, "is_rank_zero", lambda: rank == 0)
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    s = seed_setup()
    s.exp.run_phase(train_phase(s, n_epochs=1))
    assert ("Training ['train']" in terminal.getvalue()) is drawn


CALLED: list[str] = []


class Noted(Callback):
    def on_phase_start(self, *, experiment, phase, results=None):
        CALLED.append(self.label)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


@distributed.rank_zero_only
class NotedOnZero(Noted):
    pass


def _called(rank):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranks, "rank", lambda: rank)
        callbacks = [Noted(label="all"), NotedOnZero(label="zero"),
                     distributed.rank_zero_only(Noted(label="zero-instance"))]
        CALLED.clear()
        HookDispatcher(callbacks, context={"experiment": None, "phase": None}).call(
            "on_phase_start")
        return list(CALLED)


def test_rank_zero_only_as_class_decorator_or_on_an_instance():
    assert _called(0) == ["all", "zero", "zero-instance"]
    assert _called(1) == ["all"]
    assert Noted.rank_zero_only is False and NotedOnZero.rank_zero_only is True
