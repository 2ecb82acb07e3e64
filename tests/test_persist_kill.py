"""Runs SIGKILLed at random instants reopen with every flushed record, once, intact.

Two children: a high-rate metric logger (50 trials; a PhaseResults writing to a
results directory, flushing explicitly) and a real short training run with a
results_dir and a callback that logs many metrics per batch (6 trials). After each
flush returns a child prints what it has flushed; the parent kills it at a random
instant and reopens the directory in this process.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from modularml import open_results

LOGGER = """
import sys
import numpy as np
from modularml.results import ResultsConfig, TrainResults
from modularml.results.run_dir import RunRecorder
rec = RunRecorder(ResultsConfig(results_dir=sys.argv[1]), "logger", "kill")
res = TrainResults("logger")
rec.attach(res, [])
print("ready", flush=True)
step = 0
while True:
    n = 1 + step % 5000
    res.log_metrics(np.arange(n, dtype=float) + step * 1e4, names=f"m{step % 3}",
                    epoch_idx=step, batch_idx=np.arange(n))
    res.flush(durable=step % 7 == 0)
    step += 1
    print(step, flush=True)
"""

TRAINER = """
import sys
sys.path.insert(0, sys.argv[2])
from frontend_helpers import seed_setup
from test_frontend_loop import train_phase
from modularml import ResultsConfig
from modularml.core.experiment.callbacks.callback import Callback
import numpy as np

class Spam(Callback):
    def get_config(self):
        return {"label": self.label}
    @classmethod
    def from_config(cls, config):
        return cls(**config)
    def on_batch_end(self, *, exec_ctx, results, **kw):
        e, b = exec_ctx.epoch_idx, exec_ctx.batch_idx
        results.log_metrics(np.full(2000, e * 1000.0 + b), names="spam", epoch_idx=e,
                            batch_idx=b)
    def on_epoch_start(self, *, exec_ctx, **kw):
        print(exec_ctx.epoch_idx, flush=True)  # epochs before this one are flushed

s = seed_setup(n_samples=2000)
s.exp.results_config = ResultsConfig(results_dir=sys.argv[1])
print("ready", flush=True)
s.exp.run_phase(train_phase(s, n_epochs=200, callbacks=[Spam(label="spam")], batch_size=64))
print("done", flush=True)
"""


def kill_at_random(code: str, args: list[str], rng: random.Random, wait: float) -> list[str]:
    """Start a child, SIGKILL it at a random instant; its stdout lines."""
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.0, wait))
    child.send_signal(signal.SIGKILL)
    lines = child.stdout.read().split()
    child.wait(timeout=30)
    return lines


def check_logger_run(directory: Path, flushed_steps: int) -> None:
    opened = open_results(directory)
    assert opened.defects == [] or all("torn" in d or "tail" in d for d in opened.defects)
    (run,) = opened.runs
    assert run.status == "running"
    frame = run.results.metrics().to_polars()
    assert frame.select(["epoch", "batch"]).is_duplicated().sum() == 0
    steps = frame["epoch"].to_numpy()
    expected = steps * 1e4 + frame["batch"].to_numpy()
    np.testing.assert_array_equal(frame["value"].to_numpy(), expected)
    assert steps.max(initial=-1) + 1 >= flushed_steps
    counts = np.bincount(steps, minlength=flushed_steps)[:flushed_steps]
    np.testing.assert_array_equal(counts, 1 + np.arange(flushed_steps) % 5000)


def test_logger_killed_at_random_instants(tmp_path):
    rng = random.Random(1)
    deadline = time.monotonic() + 150
    for trial in range(50):
        directory = tmp_path / f"t{trial}"
        lines = kill_at_random(LOGGER, [str(directory)], rng, 0.4)
        check_logger_run(directory, int(lines[-1]) if lines else 0)
        assert time.monotonic() < deadline, f"too slow: {trial} trials"


def test_training_run_killed_at_random_instants(tmp_path):
    rng = random.Random(2)
    tests_dir = str(Path(__file__).parent)
    total_flushed = 0
    for trial in range(6):
        directory = tmp_path / f"t{trial}"
        lines = kill_at_random(TRAINER, [str(directory), tests_dir], rng, 3.0)
        flushed_epochs = int(lines[-1]) if lines and lines[-1] != "done" else 0
        total_flushed += flushed_epochs
        (run,) = open_results(directory).runs
        assert run.status in ("running", "completed")
        spam = run.results.metrics().where(name="spam").to_polars()
        assert spam.height % 2000 == 0
        keys = spam.select(["epoch", "batch"]).unique()
        assert keys.height * 2000 == spam.height
        np.testing.assert_array_equal(
            spam["value"].to_numpy(), spam["epoch"].to_numpy() * 1000.0 + spam["batch"])
        epochs = set(spam["epoch"].to_list())
        assert set(range(flushed_epochs)) <= epochs
        train_loss = run.results.metrics().where(name="train_loss", batch=None).to_polars()
        assert set(range(flushed_epochs)) <= set(train_loss["epoch"].to_list())
    assert total_flushed > 0  # some kills came after epochs had been flushed
