"""The ``modularml`` console command: look at a results directory from a terminal.

    modularml show DIR                       runs, phases, status, epochs, last/best metrics
    modularml plot DIR --metric train_loss --metric val_loss -o curves.png
    modularml export DIR -o out.parquet      one tidy table (.parquet, .csv, .arrow, .ndjson)

DIR is a directory written with ``ResultsConfig(results_dir=DIR)``; ``python -m modularml``
runs the same command. Errors (a missing or foreign directory, an unknown metric or run)
print one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_WRITERS = {
    ".parquet": "write_parquet",
    ".csv": "write_csv",
    ".arrow": "write_ipc",
    ".ipc": "write_ipc",
    ".feather": "write_ipc",
    ".ndjson": "write_ndjson",
    ".jsonl": "write_ndjson",
}


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except CommandError as error:
        print(f"modularml: error: {error}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the three subcommands."""
    parser = argparse.ArgumentParser(
        prog="modularml", description="Look at a modularml results directory."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="print runs, phases, status, epochs and metrics")
    plot = commands.add_parser("plot", help="write metric curves to an image file")
    export = commands.add_parser("export", help="write every scalar record as one table")
    for sub in (show, plot, export):
        sub.add_argument("directory", metavar="DIR", type=Path, help="a results directory")
        sub.add_argument(
            "--run", action="append", metavar="LABEL", help="only this run (repeatable)"
        )
    plot.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="metric to draw (repeatable; default: all)",
    )
    plot.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("curves.png"),
        help="image file: .png, .svg, .pdf, ... (default: curves.png)",
    )
    plot.add_argument(
        "--per", choices=("both", "batch", "epoch"), default="both", help="which values to draw"
    )
    plot.add_argument("--overlay", action="store_true", help="all metrics on one axes")
    plot.add_argument("--dpi", type=int, default=120, help="resolution of the image")
    plot.add_argument("--title", help="figure title (default: the directory's name)")
    export.add_argument(
        "-o", "--output", type=Path, required=True, help=f"table file ({', '.join(_WRITERS)})"
    )
    show.set_defaults(handler=show_command)
    plot.set_defaults(handler=plot_command)
    export.set_defaults(handler=export_command)
    return parser


# ------------------------------------------------------------------- directory


def open_directory(path: Path) -> Any:
    """The results directory at ``path``, or a `CommandError` saying what is wrong."""
    import modularml

    if not path.exists():
        raise CommandError(f"no such directory: {path}")
    if not path.is_dir():
        raise CommandError(f"not a directory: {path}")
    open_results = getattr(modularml, "open_results", None)
    if open_results is None:
        raise CommandError("this modularml build cannot read results directories (no open_results)")
    try:
        return open_results(path)
    except FileNotFoundError as error:
        raise CommandError(f"no such directory: {path} ({error})") from error
    except ValueError as error:
        # the reader's message names the path and what is missing (or too new)
        raise CommandError(str(error).rstrip(".")) from error


def select_runs(directory: Any, labels: Sequence[str] | None) -> list[Any]:
    """The directory's runs, or those labelled ``labels`` (in the directory's order)."""
    runs = list(directory.runs)
    if not labels:
        return runs
    known = [run.label for run in runs]
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise CommandError(f"no run {unknown[0]!r}; runs: {', '.join(known) or '(none)'}")
    return [run for run in runs if run.label in labels]


# --------------------------------------------------------------------- show


def show_command(args: argparse.Namespace) -> None:
    """Print a text summary of the directory (`show_text`)."""
    directory = open_directory(args.directory)
    runs = select_runs(directory, args.run)
    print(show_text(runs, args.directory, getattr(directory, "defects", ())))


def show_text(runs: Sequence[Any], path: Path | str, defects: Sequence[str] = ()) -> str:
    """Runs, their phases, status, epochs, and the last and best value of each metric.

    ``defects`` (damage found while reading the directory) are listed first.
    """
    from modularml.viz.summary import run_summary

    lines = [f"{path}: {len(runs)} run{'' if len(runs) == 1 else 's'}"]
    lines.extend(f"  damaged (read up to the damage): {defect}" for defect in defects)
    summary = run_summary(runs)
    for run, row in zip(runs, summary.iter_rows(named=True), strict=True):
        lines.append("")
        lines.append(_run_line(row))
        for label, phase in _phases(run.results).items():
            lines.extend(_phase_lines(label, phase))
    return "\n".join(lines)


def _run_line(row: dict[str, Any]) -> str:
    started = row["started_at"]
    when = started.strftime("%Y-%m-%d %H:%M:%S") if started is not None else "?"
    duration = "-" if row["duration_s"] is None else f"{row['duration_s']:.1f}s"
    return f"run {row['run']}  [{row['status']}]  started {when}  duration {duration}"


def _phases(results: Any) -> dict[str, Any]:
    flatten = getattr(results, "flatten", None)
    return flatten() if flatten is not None else {results.label: results}


def _phase_lines(label: str, phase: Any) -> list[str]:
    from modularml.viz.summary import metric_summary

    epochs = getattr(phase, "n_epochs", None)
    extent = f", {epochs} epoch{'' if epochs == 1 else 's'}" if epochs is not None else ""
    lines = [f"  phase {label} ({type(phase).__name__}{extent})"]
    summary = metric_summary(phase)
    if not len(summary):
        return [*lines, "    (no metrics)"]
    rows = [("metric", "level", "n", "last", "best", "at")]
    for row in summary.iter_rows(named=True):
        rows.append(
            (
                row["metric"],
                row["level"],
                str(row["records"]),
                _number(row["last"]),
                f"{_number(row['best'])} ({row['goal']})",
                _where(row),
            )
        )
    return lines + ["    " + line for line in _align(rows)]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _where(row: dict[str, Any]) -> str:
    found = [
        f"{axis} {row[f'best_{axis}']}"
        for axis in ("epoch", "batch")
        if row[f"best_{axis}"] is not None
    ]
    return ", ".join(found) or "-"


def _align(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


# --------------------------------------------------------------------- plot


def plot_command(args: argparse.Namespace) -> None:
    """Write the curves of `plot_figure` to ``args.output``."""
    figure = plot_figure(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        figure.savefig(args.output, dpi=args.dpi)
    except ValueError as error:  # an image format matplotlib does not write
        raise CommandError(f"cannot write {args.output}: {error}") from error
    print(f"wrote {args.output}")


def plot_figure(args: argparse.Namespace) -> Any:
    """The Figure the ``plot`` command writes (one legend entry per run)."""
    from modularml.viz.plotting import plot_runs

    directory = open_directory(args.directory)
    runs = select_runs(directory, args.run)
    try:
        return plot_runs(runs, args.metric, per=args.per, overlay=args.overlay, title=_title(args))
    except ValueError as error:
        raise CommandError(str(error)) from error


def _title(args: argparse.Namespace) -> str:
    if args.title is not None:
        return args.title
    return args.directory.resolve().name or str(args.directory)


# ------------------------------------------------------------------- export


def _run_name(run: Any) -> str:
    # the export's `run` column holds the run's directory name (labels need not be unique)
    path = run.metadata.get("path") if isinstance(run.metadata, dict) else None
    return Path(path).name if path else run.label


def export_command(args: argparse.Namespace) -> None:
    """Write the directory's tidy frame (all scalar records, with a ``run`` column)."""
    import polars as pl

    writer = _WRITERS.get(args.output.suffix.lower())
    if writer is None:
        raise CommandError(
            f"cannot tell the format of {args.output}; use one of: {', '.join(_WRITERS)}"
        )
    directory = open_directory(args.directory)
    frame = directory.to_polars()
    if args.run:
        names = [_run_name(run) for run in select_runs(directory, args.run)]
        frame = frame.filter(pl.col("run").is_in(names))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    getattr(frame, writer)(args.output)
    print(f"wrote {len(frame)} records to {args.output}")


if __name__ == "__main__":
    sys.exit(main())
