"""Artifact codecs, lazy loads, the pickle opt-in, and damage detection."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from modularml import ResultsConfig, TrainResults, open_results  # noqa: E402
from modularml.results import codecs  # noqa: E402
from modularml.results.codecs import PickleNotAllowedError  # noqa: E402
from modularml.results.run_dir import RunRecorder  # noqa: E402

VALUES = {
    "array": np.arange(12, dtype=np.int32).reshape(3, 4),
    "tensor": torch.linspace(0, 1, 7),
    "frame": pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
    "text": "héllo",
    "blob": b"\x00\x01",
    "json": {"k": [1, 2.5, None, True]},
}


@pytest.mark.parametrize("name", list(VALUES))
def test_codecs_round_trip_without_pickle(name):
    data, codec = codecs.encode(VALUES[name])
    assert codec not in codecs.PICKLE_CODECS
    back = codecs.decode(data, codec, allow_pickle=False)
    value = VALUES[name]
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.dtype == value.dtype
    elif isinstance(value, torch.Tensor):
        assert torch.equal(back, value)
    elif isinstance(value, pl.DataFrame):
        assert back.equals(value)
    else:
        assert back == value


def _write(tmp_path, artifacts):
    recorder = RunRecorder(ResultsConfig(results_dir=tmp_path / "res"), "run", "exp")
    results = TrainResults("run")
    recorder.attach(results, [])
    for name, value in artifacts.items():
        results.log_artifact(name, value, 0)
    results.log_metrics(np.arange(1000.0), names="m", epoch_idx=0, batch_idx=np.arange(1000))
    recorder.phase_done(results, "completed")
    recorder.finish("completed")
    return tmp_path / "res"


def test_artifacts_reopen_lazily_and_figures_need_opt_in(tmp_path):
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    path = _write(tmp_path, {**VALUES, "fig": figure})
    results = open_results(path).runs[0].results
    entries = {e.name: e for e in results.artifacts().values()}
    np.testing.assert_array_equal(entries["array"].artifact, VALUES["array"])
    assert entries["array"].artifact is entries["array"].artifact  # cached
    assert torch.equal(entries["tensor"].artifact, VALUES["tensor"])
    with pytest.raises(PickleNotAllowedError, match="allow_pickle=True"):
        _ = entries["fig"].artifact
    assert entries["fig"].png.startswith(b"\x89PNG")
    opened = open_results(path, allow_pickle=True).runs[0].results
    fig = {e.name: e for e in opened.artifacts().values()}["fig"].artifact
    assert type(fig).__name__ == "Figure"


def test_new_process_never_unpickles_without_opt_in(tmp_path):
    path = _write(tmp_path, {"obj": {1, 2}})  # a set: only pickle round-trips it
    code = textwrap.dedent(f"""
        import modularml
        entry = modularml.open_results({str(path)!r}).runs[0].results.artifacts().first()
        try:
            entry.artifact
        except ValueError as e:
            print("refused", "allow_pickle=True" in str(e))
        entry = modularml.open_results({str(path)!r}, allow_pickle=True).runs[0].results
        print(sorted(entry.artifacts().first().artifact))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["refused True", "[1, 2]"]


def test_a_flipped_byte_in_any_file_is_named_and_the_prefix_reads(tmp_path):
    clean = _write(tmp_path / "clean", {"array": np.arange(10_000.0)})
    files = sorted(p for p in clean.rglob("*") if p.is_file() and p.stat().st_size)
    assert len(files) >= 8
    rng = random.Random(3)
    for path in files:
        data = bytearray(path.read_bytes())
        position = rng.randrange(len(data))
        data[position] ^= 0x5A
        original = path.read_bytes()
        path.write_bytes(bytes(data))
        try:
            problems = _problems(clean)
            assert any(path.name in p for p in problems), (path, problems)
        finally:
            path.write_bytes(original)
    assert _problems(clean) == []


def _problems(path):
    try:
        opened = open_results(path)
    except ValueError as e:  # the format marker itself
        return [str(e)]
    found = opened.verify()
    for run in opened.runs:  # the valid prefix still reads
        len(run.results.metrics())
    return found
