"""The tidy polars frame of `PhaseResults.to_polars`."""

from __future__ import annotations

from typing import Any

import polars as pl

COLUMNS = ("record", "node", "name", "component", "epoch", "batch", "value")


def tidy_frame(metrics_stream: Any, losses_stream: Any) -> pl.DataFrame:
    """Metrics then losses (one row per non-null component), in `COLUMNS` order."""
    metrics = pl.DataFrame(metrics_stream).with_columns(
        record=pl.lit("metric"),
        node=pl.lit(None, dtype=pl.String),
        component=pl.lit(None, dtype=pl.String),
    )
    losses = (
        pl.DataFrame(losses_stream)
        .with_row_index("_row")
        .unpivot(
            on=["trainable", "auxiliary"],
            index=["_row", "node", "label", "epoch", "batch"],
            variable_name="component",
            value_name="value",
        )
        .drop_nulls("value")
        .sort("_row", maintain_order=True)
        .rename({"label": "name"})
        .with_columns(record=pl.lit("loss"))
    )
    frames = [
        frame.select(COLUMNS).with_columns(pl.col("name").cast(pl.String))
        for frame in (metrics, losses)
    ]
    return pl.concat(frames, how="vertical")


def empty_frame() -> pl.DataFrame:
    """A frame with no rows and the columns and dtypes of `tidy_frame`."""
    text, index = pl.String, pl.Int64
    dtypes = [text, text, text, text, index, index, pl.Float64]
    return pl.DataFrame(schema=dict(zip(COLUMNS, dtypes, strict=True)))
