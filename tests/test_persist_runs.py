"""Runs with ResultsConfig(results_dir=...) reopen offline with the same API."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import polars as pl
import pytest
import torch

import modularml
from frontend_helpers import seed_setup
from modularml import EvalPhase, PhaseGroup, ResultsConfig, open_results
from modularml.callbacks import Evaluation
from modularml.core.experiment.context import ExperimentContext
from modularml.results.reopen import UnavailableCallbackResult
from modularml.results.run_dir import ResultsFormatError
from test_frontend_loop import train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


def _disk_setup(tmp_path, **config):
    s = seed_setup()
    s.exp.results_config = ResultsConfig(results_dir=tmp_path / "res", **config)
    return s


def test_train_run_reopens_with_same_series(tmp_path):
    s = _disk_setup(tmp_path)
    cb = Evaluation.from_split(label="ev", split="val", every_n_epochs=2)
    live = s.exp.run_phase(train_phase(s, n_epochs=4, callbacks=[cb]))
    live.log_artifact("arr", np.arange(5.0), 3)
    directory = open_results(tmp_path / "res")
    assert len(directory) == 1 and directory.path == tmp_path / "res"
    (run,) = list(directory)
    assert (run.label, run.status) == ("train", "completed")
    assert run.started_at <= run.ended_at
    back = run.results
    assert type(back).__name__ == "TrainResults"
    assert back.to_polars().equals(live.to_polars())
    assert back.metric_names() == live.metric_names()
    assert back.losses("MLP").collapse("batch", "mean").values() == \
        live.losses("MLP").collapse("batch", "mean").values()
    evals = back.callbacks(kind="evaluation").values()
    assert [(r.epoch_idx, r.edge) for r in evals] == [(1, "end"), (3, "end")]
    want = live.callbacks(kind="evaluation").first().stacked_tensors("MLP", "outputs", fmt="np")
    got = evals[0].stacked_tensors("MLP", "outputs", fmt="np")
    np.testing.assert_array_equal(got, want)
    frame = directory.to_polars()
    assert frame.columns[0] == "run" and frame.height == live.to_polars().height


def test_tensors_of_execution_records_round_trip(tmp_path):
    s = _disk_setup(tmp_path)
    live = s.exp.run_phase(train_phase(s, n_epochs=2))
    back = open_results(tmp_path / "res").runs[0].results
    want = live.tensors("MLP", "outputs", fmt="np").values()
    got = back.tensors("MLP", "outputs", fmt="np").values()
    assert len(got) == len(want) > 0
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert back.tensors("MLP", "targets").first().dtype == torch.float32


def test_groups_failed_runs_and_reused_dirs(tmp_path):
    s = _disk_setup(tmp_path)
    group = PhaseGroup("grp", phases=[train_phase(s, n_epochs=1),
                                      EvalPhase.from_split("test", split="test", losses=[s.loss])])
    s.exp.run_group(group)
    s.exp.run_phase(train_phase(s, n_epochs=1))
    s.exp.run_phase(train_phase(s, n_epochs=1))  # same label: a new run directory
    runs = open_results(tmp_path / "res").runs
    assert [r.label for r in runs] == ["grp", "train", "train"]
    assert len({r.metadata["path"] for r in runs}) == 3
    assert [label for label, _ in runs[0].results.items()] == ["train", "test"]


def test_disk_layout_scans_with_plain_polars(tmp_path):
    s = _disk_setup(tmp_path)
    s.exp.run_phase(train_phase(s, label="tr/ä ü" + "x" * 80, n_epochs=2))
    frame = pl.scan_ipc(tmp_path / "res/tables/metrics/**/*.arrow",
                        hive_partitioning=True).collect()
    assert set(frame.columns) >= {"name", "epoch", "batch", "value", "run", "phase", "rank"}
    assert frame.filter(pl.col("name") == "train_loss").height > 0
    (run_dir,) = [p for p in (tmp_path / "res").iterdir() if p.is_dir() and p.name != "tables"]
    manifest = json.loads((run_dir / "manifest.json").read_text())["body"]
    assert manifest["label"].startswith("tr/ä ü") and "/" not in run_dir.name


def test_save_flags_limit_what_is_written(tmp_path):
    s = _disk_setup(tmp_path, save_metrics=False, save_execution=False)
    s.exp.run_phase(train_phase(s, n_epochs=1))
    back = open_results(tmp_path / "res").runs[0].results
    assert len(back.metrics()) == 0 and len(back.execution_contexts()) == 0


def test_reopen_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_results(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ResultsFormatError, match="not a results directory"):
        open_results(tmp_path / "plain")
    s = _disk_setup(tmp_path)
    s.exp.run_phase(train_phase(s, n_epochs=1))
    (tmp_path / "res/modularml-results.json").write_text(
        json.dumps({"format": "modularml-results", "version": 99}))
    with pytest.raises(ValueError, match="version 99"):
        open_results(tmp_path / "res")
    assert issubclass(ResultsFormatError, ValueError)


def test_unstorable_payload_reopens_as_placeholder(tmp_path):
    from modularml.results.callback_results import PayloadResult

    results = modularml.TrainResults("p")
    from modularml.results.persist import DISK_SCHEMAS, PhaseWriter

    writer = PhaseWriter(results, tmp_path / "shard", list(DISK_SCHEMAS))
    results.add_callback_result(PayloadResult(callback_label="cb", payload=lambda: 1))
    results.add_callback_result(PayloadResult(callback_label="ok", payload={"a": [1, 2]}))
    writer.close(None, [])
    from modularml.results.reopen import _Pack, _PhaseLoader

    shard = tmp_path / "shard"
    loader = _PhaseLoader(shard, _Pack(shard / "objects.pack", False, []), [])
    back = loader.load(modularml.TrainResults, "p")
    lost, kept = back.callbacks().values()
    assert isinstance(lost, UnavailableCallbackResult) and "lambda" in lost.reason
    assert kept.payload == {"a": [1, 2]}


def test_reopen_in_a_new_process_needs_no_model(tmp_path):
    s = _disk_setup(tmp_path)
    live = s.exp.run_phase(train_phase(s, n_epochs=2))
    code = textwrap.dedent(f"""
        import modularml
        d = modularml.open_results({str(tmp_path / 'res')!r})
        r = d.runs[0].results
        print(len(r.metrics().where(name="train_loss")), d.runs[0].status)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(len(live.metrics().where(name="train_loss"))), "completed"]


def test_failed_phase_is_on_disk_with_its_partial_results(tmp_path):
    from test_frontend_exceptions import Boom

    s = _disk_setup(tmp_path)
    with pytest.raises(ValueError, match="boom in hook"):
        s.exp.run_phase(train_phase(s, n_epochs=3, callbacks=[Boom()]))
    (run,) = open_results(tmp_path / "res").runs
    assert run.status == "failed"
    assert len(run.results.losses("MLP")) == len(s.exp.last_run.results.losses("MLP")) == 5


def test_a_disk_error_at_phase_end_fails_the_phase(tmp_path, monkeypatch):
    import errno

    from modularml.results.persist import PhaseWriter

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    s = _disk_setup(tmp_path)
    monkeypatch.setattr(PhaseWriter, "close", full)
    with pytest.raises(OSError, match="No space"):
        s.exp.run_phase(train_phase(s, n_epochs=1))
    assert s.exp.last_run.status == "failed"
    monkeypatch.undo()
    (run,) = open_results(tmp_path / "res").runs
    assert run.status == "failed"
