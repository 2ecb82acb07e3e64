"""The `modularml` command: show, plot and export a results directory."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402
import pytest  # noqa: E402

import modularml  # noqa: E402
from frontend_helpers import seed_setup  # noqa: E402
from modularml import cli  # noqa: E402
from modularml.core.experiment.context import ExperimentContext  # noqa: E402
from viz_helpers import train_phase, trained_experiment  # noqa: E402

needs_open_results = pytest.mark.skipif(
    not hasattr(modularml, "open_results"),
    reason="modularml.open_results (results directories) is not in this build",
)


def command() -> list[str]:
    """The installed console script, else the module."""
    script = Path(sys.executable).parent / "modularml"
    if script.exists():
        return [str(script)]
    found = shutil.which("modularml")
    return [found] if found else [sys.executable, "-m", "modularml.cli"]


def run_command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=300, cwd=cwd)


class FakeDirectory:
    """The part of a ResultsDirectory the command uses, over an in-memory history."""

    def __init__(self, runs):
        self.runs = runs

    def to_polars(self):
        frames = [
            r.results.to_polars().select(pl.lit(r.label).alias("run"), pl.all()) for r in self.runs
        ]
        return pl.concat(frames)


@pytest.fixture(scope="module")
def history():
    with ExperimentContext().activate():
        return trained_experiment(labels=("run-a", "run-b")).history


@pytest.fixture
def fake(history, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "open_directory", lambda path: FakeDirectory(history))
    return tmp_path


# ------------------------------------------------------------ in process


def test_show_lists_runs_phases_and_metrics(fake, history, capsys):
    assert cli.main(["show", str(fake)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{fake}: 2 runs")
    assert "run run-a  [completed]" in out and "run run-b  [completed]" in out
    assert out.count("phase run-a (TrainResults, 3 epochs)") == 1
    val = history[0].results.metrics().where(name="val_loss").values()
    best = min(val, key=lambda e: e.value)
    line = next(line for line in out.splitlines() if line.strip().startswith("val_loss"))
    assert line.split()[:4] == ["val_loss", "epoch", "3", f"{val[-1].value:.6g}"]
    assert f"{best.value:.6g} (min)" in line and f"epoch {best.epoch_idx}" in line


def test_show_one_run(fake, capsys):
    assert cli.main(["show", str(fake), "--run", "run-b"]) == 0
    out = capsys.readouterr().out
    assert "1 run" in out and "run-a" not in out


def test_plot_figure_has_the_named_curves(fake):
    args = cli.build_parser().parse_args(
        ["plot", str(fake), "--metric", "train_loss", "--metric", "val_loss"]
    )
    fig = cli.plot_figure(args)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["train_loss", "val_loss"]
    assert fig._suptitle.get_text() == fake.name
    for ax in axes:
        labels = {line.get_label() for line in ax.get_lines()}
        assert {"run-a", "run-b"} <= labels
    args = cli.build_parser().parse_args(["plot", str(fake), "--title", "mine", "--per", "epoch"])
    fig = cli.plot_figure(args)
    assert fig._suptitle.get_text() == "mine"
    assert all(len(line.get_xdata()) == 3 for line in fig.axes[0].get_lines())


def test_plot_writes_a_png(fake, capsys):
    out = fake / "sub" / "curves.png"
    assert cli.main(["plot", str(fake), "--metric", "val_loss", "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in capsys.readouterr().out


def test_unknown_metric_or_run_is_one_line_error(fake, capsys):
    assert cli.main(["plot", str(fake), "--metric", "acc", "-o", str(fake / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("modularml: error: No metric 'acc'") and err.count("\n") == 1
    assert not (fake / "x.png").exists()
    assert cli.main(["plot", str(fake), "-o", str(fake / "x.xyz")]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert cli.main(["show", str(fake), "--run", "nope"]) == 1
    assert "no run 'nope'; runs: run-a, run-b" in capsys.readouterr().err


def test_export_formats(fake, history, capsys):
    expected = sum(len(r.results.to_polars()) for r in history)
    assert cli.main(["export", str(fake), "-o", str(fake / "out.parquet")]) == 0
    assert f"wrote {expected} records" in capsys.readouterr().out
    assert len(pl.read_parquet(fake / "out.parquet")) == expected
    assert cli.main(["export", str(fake), "-o", str(fake / "out.csv"), "--run", "run-a"]) == 0
    frame = pl.read_csv(fake / "out.csv")
    assert frame["run"].unique().to_list() == ["run-a"]
    assert cli.main(["export", str(fake), "-o", str(fake / "out.xlsx")]) == 1
    assert "cannot tell the format" in capsys.readouterr().err


def test_missing_directory_in_process(tmp_path, capsys):
    assert cli.main(["show", str(tmp_path / "nope")]) == 1
    assert f"no such directory: {tmp_path / 'nope'}" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert cli.main(["show", str(tmp_path / "file")]) == 1
    assert "not a directory" in capsys.readouterr().err


# ------------------------------------------------------------ subprocess


def test_command_missing_directory(tmp_path):
    done = run_command("show", str(tmp_path / "missing"))
    assert done.returncode == 1
    assert done.stderr.strip() == f"modularml: error: no such directory: {tmp_path / 'missing'}"


def test_command_usage_error():
    done = run_command("frobnicate")
    assert done.returncode == 2 and "usage: modularml" in done.stderr


def test_python_dash_m_runs_the_command(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "modularml", "export", str(tmp_path / "x"), "-o", "o.parquet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr == f"modularml: error: no such directory: {tmp_path / 'x'}\n"


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    """A real results directory: two short training runs written to disk."""
    if not hasattr(modularml, "open_results"):
        pytest.skip("modularml.open_results is not in this build")
    from modularml import Experiment, ResultsConfig

    root = tmp_path_factory.mktemp("results")
    with ExperimentContext().activate():
        setup = seed_setup()
        exp = Experiment.from_active_context(
            "viz", results_config=ResultsConfig(results_dir=root), overwrite=True
        )
        for label in ("run-a", "run-b"):
            exp.run_phase(train_phase(setup, label, n_epochs=3), show_progress=False)
    return root


@needs_open_results
def test_command_show(results_dir):
    done = run_command("show", str(results_dir))
    assert done.returncode == 0, done.stderr
    assert "2 runs" in done.stdout
    for text in ("run run-a  [completed]", "run run-b", "train_loss", "val_loss", "3 epochs"):
        assert text in done.stdout


@needs_open_results
def test_command_plot(results_dir, tmp_path):
    from matplotlib.image import imread

    out = tmp_path / "curves.png"
    done = run_command(
        "plot", str(results_dir), "--metric", "train_loss", "--metric", "val_loss", "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    image = imread(out)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    # the command's figure, made in process from the same directory
    args = cli.build_parser().parse_args(
        ["plot", str(results_dir), "--metric", "train_loss", "--metric", "val_loss"]
    )
    axes = [ax for ax in cli.plot_figure(args).axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["train_loss", "val_loss"]
    for ax in axes:
        assert {"run-a", "run-b"} <= {line.get_label() for line in ax.get_lines()}


@needs_open_results
def test_command_export(results_dir, tmp_path):
    out = tmp_path / "out.parquet"
    done = run_command("export", str(results_dir), "-o", str(out))
    assert done.returncode == 0, done.stderr
    frame = pl.read_parquet(out)
    expected = modularml.open_results(results_dir).to_polars()
    assert len(frame) == len(expected) > 0
    assert sorted(frame["run"].unique().to_list()) == ["run-a", "run-b"]
    one = tmp_path / "one.csv"
    done = run_command("export", str(results_dir), "-o", str(one), "--run", "run-b")
    assert done.returncode == 0, done.stderr
    run_b = next(r for r in modularml.open_results(results_dir).runs if r.label == "run-b")
    assert len(pl.read_csv(one)) == len(run_b.results.to_polars())


@needs_open_results
def test_command_foreign_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("not results")
    done = run_command("show", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.startswith(f"modularml: error: {tmp_path} is not a results directory")
    assert done.stderr.count("\n") == 1


def test_show_text_for_group_and_running_runs(history):
    from modularml import ExperimentRun, PhaseGroupResults
    from modularml.results import EvalResults

    group = PhaseGroupResults("grp", [history[0].results, EvalResults("quiet")])
    run = ExperimentRun("grp", "running", history[0].started_at, None, group)
    text = cli.show_text([run], "d")
    lines = text.splitlines()
    assert lines[0] == "d: 1 run"
    assert lines[2].startswith("run grp  [running]  started ") and lines[2].endswith("duration -")
    assert "  phase run-a (TrainResults, 3 epochs)" in lines
    assert lines[-2:] == ["  phase quiet (EvalResults)", "    (no metrics)"]


def test_show_text_lists_defects():
    text = cli.show_text([], "d", ["metrics.log: torn tail at byte 40"])
    assert text.splitlines() == [
        "d: 0 runs",
        "  damaged (read up to the damage): metrics.log: torn tail at byte 40",
    ]


@needs_open_results
def test_reopened_results_display_and_plot(results_dir):
    directory = modularml.open_results(results_dir)
    html = directory._repr_html_()
    assert "2 runs" in html and "run-a" in html and "completed" in html
    run = directory.runs[0]
    assert "train_loss" in run._repr_html_() and "val_loss" in run.results._repr_html_()
    assert "MetricDataSeries" in run.results.metrics()._repr_html_()
    axes = [ax for ax in directory.plot("val_loss").axes if ax.get_visible()]
    assert {line.get_label() for line in axes[0].get_lines()} == {"run-a", "run-b"}
    (line,) = run.results.metrics().where(name="val_loss").plot().axes[0].get_lines()
    assert len(line.get_xdata()) == 3
