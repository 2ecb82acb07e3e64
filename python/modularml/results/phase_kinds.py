"""Results of the three phase kinds: training, evaluation and fit."""

from __future__ import annotations

from typing import Any, Literal

from modularml.results._formats import check_format, convert
from modularml.results.phase_results import PhaseResults
from modularml.results.typed_series import LossDataSeries

LossReducer = Literal["mean", "sum"]


def _distinct_indices(results: PhaseResults, column: str) -> list[int]:
    """Sorted non-null values of ``column`` over metrics, losses and executions."""
    found: set[int] = set()
    for table in (results._metrics, results._losses, results._executions):
        found.update(v for v in table.view().distinct(column) if v is not None)
    return sorted(found)


def _loss_series(results: PhaseResults, node: Any, reducer: str) -> LossDataSeries:
    if reducer not in ("mean", "sum"):
        raise ValueError(f"reducer must be 'mean' or 'sum', got {reducer!r}.")
    series = results.losses(node)
    if not len(series):
        raise KeyError(f"No losses recorded for node {node!r}; nodes: {results.loss_nodes()}")
    return series


def _by_label(series: LossDataSeries) -> dict[str, float]:
    return {record.label: record.auxiliary for record in series.values()}


class TrainResults(PhaseResults):
    """Results of a training phase."""

    def __repr__(self) -> str:
        return f"TrainResults(label={self.label!r}, epochs={self.n_epochs})"

    @property
    def epoch_indices(self) -> list[int]:
        """Sorted epoch indices that have any record (metrics, losses or contexts)."""
        return _distinct_indices(self, "epoch")

    @property
    def n_epochs(self) -> int:
        """Number of epochs that have any record."""
        return len(self.epoch_indices)

    def best_epoch(
        self, metric: str = "val_loss", direction: Literal["min", "max"] = "min"
    ) -> int | None:
        """Epoch of the best value of ``metric`` (the first one on ties).

        Raises:
            ValueError: Unknown metric or direction.
        """
        if direction not in ("min", "max"):
            raise ValueError(f"direction must be 'min' or 'max', got {direction!r}.")
        series = self.metrics().where(name=metric)
        if not len(series):
            raise ValueError(f"No metric {metric!r}; available: {self.metric_names()}")
        # columnar arg-min/max: no Python object per entry
        frame = series.to_polars()
        values = frame["value"]
        position = values.arg_min() if direction == "min" else values.arg_max()
        return frame["epoch"][position]

    @property
    def early_stopping_result(self) -> Any:
        """The first early-stopping callback result, or None."""
        found = self.callbacks(kind="early_stopping")
        return found.first() if len(found) else None

    @property
    def last_epoch(self) -> int | None:
        """The restored best epoch after early stopping, else the last recorded epoch."""
        stopped = self.early_stopping_result
        if stopped is not None and getattr(stopped, "restored", False):
            return stopped.best_epoch
        indices = self.epoch_indices
        return indices[-1] if indices else None


class EvalResults(PhaseResults):
    """Results of an evaluation phase (one pass over the data)."""

    def __repr__(self) -> str:
        return f"EvalResults(label={self.label!r}, batches={self.n_batches})"

    @property
    def batch_indices(self) -> list[int]:
        """Sorted batch indices that have any record."""
        return _distinct_indices(self, "batch")

    @property
    def n_batches(self) -> int:
        """Number of batches that have any record."""
        return len(self.batch_indices)

    def stacked_tensors(self, node: Any, domain: str, fmt: str | None = None) -> Any:
        """One node's data of one domain, all batches concatenated along axis 0.

        Raises:
            ValueError: Unknown ``fmt``, no recorded contexts, or more than one epoch.
        """
        check_format(fmt)
        stacked = self.tensors(node, domain).collapse("batch", "concat").one()
        return convert(stacked, fmt)

    def aggregated_losses(self, node: Any, reducer: LossReducer = "mean") -> dict[str, float]:
        """``{loss label: auxiliary value}`` reduced over the batches.

        Raises:
            KeyError: No losses for ``node``.
            ValueError: Bad reducer, or losses from more than one epoch.
        """
        series = _loss_series(self, node, reducer)
        epochs = series.axis_values("epoch")
        if len(epochs) > 1:
            raise ValueError(f"Losses span {len(epochs)} epochs {epochs}; expected one.")
        return _by_label(series.collapse("batch", reducer).collapse("epoch", "first"))


class FitResults(PhaseResults):
    """Results of a fit phase (one step on all the data)."""

    def __repr__(self) -> str:
        return f"FitResults(label={self.label!r})"

    def stacked_tensors(self, node: Any, domain: str, fmt: str | None = None) -> Any:
        """One node's data of one domain from the single recorded context.

        Raises:
            ValueError: Unknown ``fmt``, or not exactly one recorded context.
        """
        return self.tensors(node, domain, fmt=fmt).one()

    def aggregated_losses(self, node: Any, reducer: LossReducer = "mean") -> dict[str, float]:
        """``{loss label: auxiliary value}`` reduced over batches and epochs.

        Raises:
            KeyError: No losses for ``node``.
            ValueError: Bad reducer.
        """
        series = _loss_series(self, node, reducer)
        return _by_label(series.collapse("batch", reducer).collapse("epoch", reducer))
