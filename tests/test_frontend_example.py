"""The seed notebook, run as `python -m modularml.examples.use_callbacks` in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_use_callbacks_example_runs_and_prints_what_the_notebook_shows():
    env = {**os.environ, "MPLBACKEND": "Agg", "MODULARML_PROGRESS": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "modularml.examples.use_callbacks"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    lines = out.splitlines()
    assert lines[0] == "Splits: ['train', 'val', 'test']"
    assert lines[1] == "Attached callbacks: ['LossLogger']"
    assert [ln.split(":")[0] for ln in lines[2:5]] == [
        "  epoch   0", "  epoch   1", "  epoch   2"]
    assert re.search(r"Recorded epoch losses: \[[0-9.]+, [0-9.]+, [0-9.]+\]", out)
    assert "Training with Evaluation callback complete." in out
    assert "CallbackDataSeries(keyed_by=('kind', 'label', 'epoch', 'batch', 'edge'), len=3)" in out
    assert out.count("EvaluationCallbackResult(callback_label='eval_val', "
                     "phase_label='train_with_eval'") == 3
    assert "[EvalResults(label='eval_val', batches=1), " in out
    val = re.findall(r"^  epoch (\d): (\d+\.\d{4})$", out, flags=re.M)
    assert [e for e, _ in val] == ["0", "1", "2", "3", "4"]
    for expected in (
        "  kind: ['evaluation']", "  label: ['eval_val']", "  epoch: [0, 1, 2, 3, 4]",
        "  batch: [None]", "  edge: ['end']", "Artifact names: ['val_scatter']",
        "Scatter plots recorded: 2", "  epoch 0: Figure", "  epoch 2: Figure",
    ):
        assert expected in lines, expected
    assert lines[-1] == "<Figure size 300x300 with 1 Axes>"
