"""Summaries as Polars frames: one row per metric of a phase, one row per run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from modularml.viz.curves import default_curves, place, results_curves

# names whose best value is the largest; every other metric is best when smallest
_HIGHER_IS_BETTER = r"(?i)(acc|auc|f1|precision|recall|r2|score|iou|dice)"
_LEVEL_RANK = {"epoch": 0, "phase": 1, "batch": 2}

SUMMARY_SCHEMA = {
    "metric": pl.String,
    "level": pl.String,
    "records": pl.UInt32,
    "last": pl.Float64,
    "best": pl.Float64,
    "best_epoch": pl.Int64,
    "best_batch": pl.Int64,
    "goal": pl.String,
}


def metric_summary(results: Any) -> pl.DataFrame:
    """One row per metric of one phase: its last and best value.

    Each metric is summarised at its coarsest level (per-epoch values when it has
    them, else phase-level, else per-batch). ``goal`` is "max" for names that look
    like scores (accuracy, auc, f1, r2, ...) and "min" otherwise; ``best_epoch``
    and ``best_batch`` locate the best value. Metrics come in first-logged order;
    a phase that logged no metric is summarised by its losses (``node/label``).
    """
    placed = place(default_curves(results_curves(results)))
    if not len(placed):
        return pl.DataFrame(schema=SUMMARY_SCHEMA)
    rank = pl.col("level").replace_strict(_LEVEL_RANK, return_dtype=pl.Int8)
    goal = pl.when(pl.col("curve").str.contains(_HIGHER_IS_BETTER)).then(pl.lit("max"))
    # keep first-logged order although the chosen level may be logged later
    first_seen = pl.col("row").min().over("curve")
    chosen = (
        placed.with_row_index("row")
        .with_columns(rank=rank, goal=goal.otherwise(pl.lit("min")), first_seen=first_seen)
        .filter(pl.col("rank") == pl.col("rank").min().over("curve"))
        .sort("first_seen", maintain_order=True)
    )
    # the best row is the arg-min of the value signed by its goal
    signed = pl.when(pl.col("goal") == "max").then(-pl.col("value")).otherwise(pl.col("value"))
    best = signed.arg_min()
    summary = chosen.group_by("curve", maintain_order=True).agg(
        pl.col("level").first(),
        pl.len().alias("records"),
        pl.col("value").last().alias("last"),
        pl.col("value").get(best).alias("best"),
        pl.col("epoch").get(best).alias("best_epoch"),
        pl.col("batch").get(best).alias("best_batch"),
        pl.col("goal").first(),
    )
    return summary.rename({"curve": "metric"}).cast(SUMMARY_SCHEMA)  # type: ignore[arg-type]


def _phases(results: Any) -> dict[str, Any]:
    flatten = getattr(results, "flatten", None)
    return flatten() if flatten is not None else {results.label: results}


def _epochs(results: Any) -> int | None:
    counts = [p.n_epochs for p in _phases(results).values() if hasattr(p, "n_epochs")]
    return sum(counts) if counts else None


def run_summary(runs: Iterable[Any]) -> pl.DataFrame:
    """One row per run: label, status, phases, epochs, start time and duration in seconds."""
    rows = [
        {
            "run": run.label,
            "status": run.status,
            "phases": ", ".join(_phases(run.results)),
            "epochs": _epochs(run.results),
            "started_at": run.started_at,
            "duration_s": _duration(run),
        }
        for run in runs
    ]
    schema: dict[str, Any] = {
        "run": pl.String,
        "status": pl.String,
        "phases": pl.String,
        "epochs": pl.Int64,
        "started_at": pl.Datetime("us"),
        "duration_s": pl.Float64,
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    # start times keep their own type (a reopened run's may carry a time zone)
    del schema["started_at"]
    return pl.DataFrame(rows, schema_overrides=schema)


def _duration(run: Any) -> float | None:
    if run.ended_at is None or run.started_at is None:
        return None
    return (run.ended_at - run.started_at).total_seconds()
