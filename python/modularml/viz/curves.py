"""Curve frames: the points of named metric curves, placed on an epoch (or batch) axis.

A curve frame has the columns ``curve`` (metric name, or ``node/label`` for a loss),
``record`` ("metric" or "loss"), ``epoch``, ``batch`` and ``value``. `place` adds ``x`` and ``level``: batch-level
points spread across their epoch, centred on it, so an epoch's value sits in the
middle of the batches it summarises.
"""

from __future__ import annotations

from typing import Any

import polars as pl

CURVE_SCHEMA = {
    "curve": pl.String,
    "record": pl.String,
    "epoch": pl.Int64,
    "batch": pl.Int64,
    "value": pl.Float64,
}


def empty_curves() -> pl.DataFrame:
    """A curve frame with no rows."""
    return pl.DataFrame(schema=CURVE_SCHEMA)


def _conform(frame: pl.DataFrame, record: str, curve: pl.Expr, value: pl.Expr) -> pl.DataFrame:
    # a collapsed series lacks the axis it lost: read it as null
    missing = [pl.lit(None, dtype=pl.Int64).alias(c) for c in ("epoch", "batch") if c not in frame]
    return frame.with_columns(missing).select(
        curve.cast(pl.String).alias("curve"),
        pl.lit(record, dtype=pl.String).alias("record"),
        pl.col("epoch").cast(pl.Int64),
        pl.col("batch").cast(pl.Int64),
        value.cast(pl.Float64).alias("value"),
    )


def _loss_value() -> pl.Expr:
    # evaluation losses carry only the auxiliary part; training losses the trainable one
    return pl.coalesce(pl.col("trainable"), pl.col("auxiliary"))


def metric_curves(frame: pl.DataFrame) -> pl.DataFrame:
    """Curves of a metrics frame (``name``, ``epoch``, ``batch``, ``value``)."""
    return _conform(frame, "metric", pl.col("name"), pl.col("value"))


def loss_curves(frame: pl.DataFrame, prefix: str = "") -> pl.DataFrame:
    """Curves of a losses frame, one per loss label (``prefix + label``)."""
    curve = pl.lit(prefix) + pl.col("label").cast(pl.String)
    return _conform(frame, "loss", curve, _loss_value())


def series_curves(series: Any) -> pl.DataFrame:
    """Curves of a metric or loss series.

    Raises:
        TypeError: The series holds no scalar values.
    """
    frame = series.to_polars()
    if "value" in frame.columns and "name" in frame.columns:
        return metric_curves(frame)
    if "trainable" in frame.columns:
        return loss_curves(frame)
    raise TypeError(
        f"{type(series).__name__} holds objects, not numbers; "
        "plot a metric or loss series (results.metrics(), results.losses(node))."
    )


def results_curves(results: Any) -> pl.DataFrame:
    """Every curve of one phase: its metrics, then each node's losses as ``node/label``."""
    frames = [metric_curves(results.metrics().to_polars())]
    for node in results.loss_nodes():
        frames.append(loss_curves(results.losses(node).to_polars(), prefix=f"{node}/"))
    return pl.concat(frames, how="vertical")


def default_curves(frame: pl.DataFrame) -> pl.DataFrame:
    """The metric curves of ``frame``, or all its curves when it has no metric."""
    metrics = frame.filter(pl.col("record") == "metric")
    return metrics if len(metrics) else frame


def place(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``level`` ("batch", "epoch" or "phase") and the x position ``x`` of each point."""
    per_epoch = pl.col("batch").max().over("curve", "epoch") + 1
    spread = pl.col("epoch") - 0.5 + (pl.col("batch") + 0.5) / per_epoch
    return frame.with_columns(
        level=pl.when(pl.col("batch").is_not_null())
        .then(pl.lit("batch"))
        .when(pl.col("epoch").is_not_null())
        .then(pl.lit("epoch"))
        .otherwise(pl.lit("phase")),
        x=pl.when(pl.col("batch").is_null())
        .then(pl.col("epoch").cast(pl.Float64))
        .when(pl.col("epoch").is_null())
        .then(pl.col("batch").cast(pl.Float64))
        .otherwise(spread),
    )
