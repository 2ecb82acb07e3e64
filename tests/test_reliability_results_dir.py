"""results_dir edge cases through the public API: unwritable, a file, already used."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from frontend_helpers import seed_setup
from modularml import ResultsConfig, open_results
from test_frontend_loop import train_phase

TESTS = os.path.dirname(__file__)

CHILD = """
import os, sys
sys.path.insert(0, {tests!r})
from frontend_helpers import seed_setup
from test_frontend_loop import train_phase
from modularml import ResultsConfig
import modularml.results.persist, modularml.results.run_dir  # imported while readable
s = seed_setup(n_samples=64)
s.exp.results_config = ResultsConfig(results_dir={target!r})
phase = train_phase(s, n_epochs=1)
before = [p.detach().clone() for p in s.graph.parameters()]
os.setgid(65534); os.setuid(65534)  # as root, a read-only directory does not deny
try:
    s.exp.run_phase(phase)
except OSError as err:
    print("ERR", type(err).__name__, err.errno, {target!r} in str(err))
same = all((a == b).all() for a, b in zip(before, s.graph.parameters()))
print("history", len(s.exp.history), "weights unchanged", bool(same))
"""


@pytest.mark.skipif(not hasattr(os, "setuid") or os.geteuid() != 0, reason="needs root to drop to nobody")
def test_unwritable_results_dir_fails_before_training_with_permission_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    os.chmod(tmp_path, 0o755)
    script = textwrap.dedent(CHILD.format(tests=TESTS, target=str(locked / "res")))
    child = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.splitlines() == ["ERR PermissionError 13 True", "history 0 weights unchanged True"]
    assert os.listdir(locked) == []


def test_results_dir_that_is_a_file_is_an_oserror_naming_it(tmp_path):
    target = tmp_path / "not_a_dir"
    target.write_text("x")
    s = seed_setup(n_samples=64)
    s.exp.results_config = ResultsConfig(results_dir=target)
    with pytest.raises(OSError, match="not_a_dir"):
        s.exp.run_phase(train_phase(s, n_epochs=1))
    assert target.read_text() == "x"


def _run_into(res, label):
    s = seed_setup(n_samples=64)
    s.exp.results_config = ResultsConfig(results_dir=res)
    s.exp.run_phase(train_phase(s, label=label, n_epochs=1))


def test_a_used_results_dir_gets_a_new_run_and_keeps_the_old(tmp_path):
    res = tmp_path / "res"
    _run_into(res, "same")
    first = {p: p.read_bytes() for p in res.glob("*/rank=*/**/*") if p.is_file()}
    assert first
    _run_into(res, "same")
    runs = open_results(res).runs
    assert [(r.label, r.status) for r in runs] == [("same", "completed"), ("same", "completed")]
    assert len({r.metadata["path"] for r in runs}) == 2
    assert all(path.read_bytes() == data for path, data in first.items())
