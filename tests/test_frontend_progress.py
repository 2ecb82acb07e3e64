"""Progress bars: on only in a terminal and when not turned off; loss and val_loss shown."""

from __future__ import annotations

import io

import pytest

from frontend_helpers import seed_setup
from modularml.callbacks import EvalLossMetric, Evaluation
from modularml.core.experiment.context import ExperimentContext
from modularml.core.experiment.progress import progress_enabled
from test_frontend_loop import train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_enabled_only_in_a_terminal_and_when_not_turned_off(monkeypatch):
    monkeypatch.delenv("MODULARML_PROGRESS", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert not progress_enabled() and not progress_enabled(True)
    monkeypatch.setattr("sys.stdout", Terminal())
    assert progress_enabled() and progress_enabled(True)
    assert not progress_enabled(False)
    monkeypatch.setenv("MODULARML_PROGRESS", "0")
    assert not progress_enabled()


def test_bars_show_epochs_loss_and_val_loss(monkeypatch):
    monkeypatch.delenv("MODULARML_PROGRESS", raising=False)
    s = seed_setup()
    cb = Evaluation.from_split(label="ev", split="val", metrics=[EvalLossMetric(loss=s.loss)])
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    res = s.exp.run_phase(train_phase(s, n_epochs=2, callbacks=[cb]))
    out = terminal.getvalue()
    assert "Training ['train']" in out and "2/2" in out
    last_val = res.metrics().where(name="val_loss", epoch=1).one().value
    assert f"val_loss={last_val:.6f}" in out
    assert "loss=" in out


def test_no_bars_when_asked(monkeypatch):
    s = seed_setup()
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    s.exp.run_phase(train_phase(s, n_epochs=1), show_progress=False)
    assert terminal.getvalue() == ""
    with pytest.raises(TypeError, match="Unknown display options"):
        s.exp.run_phase(train_phase(s, n_epochs=1), show_bars=True)
