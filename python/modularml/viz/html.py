"""Notebook displays (``_repr_html_``): a caption and a compact table through Polars.

Large series are summarised: their first and last rows, never every row.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

import polars as pl

from modularml.viz.summary import metric_summary, run_summary

MAX_ROWS = 10
_TEXT_WIDTH = 60


def _table(frame: pl.DataFrame) -> str:
    # the caption gives the real size; the table's own shape line would not
    with pl.Config(
        tbl_rows=max(len(frame), 1), fmt_str_lengths=_TEXT_WIDTH, tbl_hide_dataframe_shape=True
    ):
        return frame._repr_html_()


def _block(caption: str, body: str) -> str:
    return f'<div class="modularml"><p>{caption}</p>{body}</div>'


def _short(obj: Any) -> str:
    text = " ".join(repr(obj).split())
    return text if len(text) <= _TEXT_WIDTH else text[: _TEXT_WIDTH - 1] + "…"


def series_html(series: Any, max_rows: int = MAX_ROWS) -> str:
    """A series: class, axes and length, the distinct values per axis, and its rows.

    More than ``max_rows`` rows show as the first and last ``max_rows // 2``;
    objects show as their (shortened) repr.
    """
    frame = series.to_polars()
    size = len(frame)
    half = max(max_rows // 2, 1)
    shown = frame if size <= max_rows else pl.concat([frame.head(half), frame.tail(half)])
    if "obj" in shown.columns:
        texts = [_short(obj) for obj in series.objects(shown["obj"].to_list())]
        shown = shown.with_columns(pl.Series("obj", texts, dtype=pl.String))
    counts = ", ".join(f"{axis}: {n}" for axis, n in series.shape.items()) if size else ""
    caption = f"<b>{type(series).__name__}</b> keyed by {escape(str(series.axes))}, {size:,} rows"
    if counts:
        caption += f" ({escape(counts)} distinct)"
    if size > max_rows:
        caption += f"; first {half} and last {half} shown"
    return _block(caption, _table(shown))


def _summary_table(results: Any) -> str:
    frames = []
    for label, phase in _phases(results).items():
        summary = metric_summary(phase)
        frames.append(summary.select(pl.lit(label).alias("phase"), pl.all()))
    if not frames or not sum(len(f) for f in frames):
        return "<p><i>no scalar records</i></p>"
    table = pl.concat(frames)
    return _table(table if len(frames) > 1 else table.drop("phase"))


def _phases(results: Any) -> dict[str, Any]:
    flatten = getattr(results, "flatten", None)
    return flatten() if flatten is not None else {results.label: results}


def results_html(results: Any) -> str:
    """A phase's or group's results: its repr and one row per metric (last and best value)."""
    return _block(f"<code>{escape(repr(results))}</code>", _summary_table(results))


def run_html(run: Any) -> str:
    """One run: label, status, duration, then its results' metric summary."""
    seconds = run.duration_seconds
    duration = "running" if seconds is None else f"{seconds:.1f} s"
    caption = (
        f"<b>ExperimentRun</b> {escape(repr(run.label))}: {escape(str(run.status))}, {duration}"
    )
    return _block(caption, _summary_table(run.results))


def runs_html(label: str, runs: Iterable[Any]) -> str:
    """Several runs (an experiment's history): one row per run."""
    frame = run_summary(runs)
    caption = f"<b>{escape(label)}</b>: {len(frame)} run{'s' if len(frame) != 1 else ''}"
    return _block(caption, _table(frame))
