"""The series classes returned by PhaseResults queries, one per results table."""

from __future__ import annotations

from typing import Any, ClassVar

from modularml.results._scalars import to_float
from modularml.results.records import LossRecord, MetricEntry
from modularml.results.series import AxisSeries, read_columns

NUMERIC_REDUCERS = frozenset({"mean", "sum", "min", "max", "first", "last", "count"})
OBJECT_REDUCERS = frozenset({"first", "last"})

METRICS_SCHEMA = {"name": "str", "epoch": "int", "batch": "int", "value": "f64"}
LOSSES_SCHEMA = {
    "node": "str",
    "label": "str",
    "epoch": "int",
    "batch": "int",
    "trainable": "f64?",
    "auxiliary": "f64?",
}
CALLBACKS_SCHEMA = {
    "kind": "str",
    "label": "str",
    "epoch": "int",
    "batch": "int",
    "edge": "str",
    "obj": "obj",
}
ARTIFACTS_SCHEMA = {"name": "str", "epoch": "int", "batch": "int", "obj": "obj"}
EXECUTIONS_SCHEMA = {"epoch": "int", "batch": "int", "obj": "obj"}


class MetricDataSeries(AxisSeries):
    """Scalar metrics keyed by ``(name, epoch, batch)``; elements are `MetricEntry`.

    After a collapse, the index field of the removed axis is None.
    """

    __slots__ = ()
    _value_columns: ClassVar[tuple[str, ...]] = ("value",)
    _schema: ClassVar[dict[str, str]] = METRICS_SCHEMA
    _reducers: ClassVar[frozenset[str]] = NUMERIC_REDUCERS

    def _materialize(self, view: Any) -> list[MetricEntry]:
        names, values, epochs, batches = read_columns(view, ("name", "value", "epoch", "batch"))
        return [MetricEntry(*fields) for fields in zip(names, values, epochs, batches, strict=True)]

    def _result_row(self, result: Any) -> tuple[Any, ...]:
        if isinstance(result, MetricEntry):
            return (to_float(result.value, "metric value"),)
        return (to_float(result, "reducer result"),)

    def plot(self, *, per: str = "both", ax: Any = None, title: str | None = None) -> Any:
        """Draw the series' values (see `modularml.viz.plot_series`); returns the Figure."""
        from modularml.viz.plotting import plot_series

        return plot_series(self, per=per, ax=ax, title=title)  # type: ignore[arg-type]


class LossDataSeries(AxisSeries):
    """Losses of one node keyed by ``(epoch, batch, label)``; elements are `LossRecord`."""

    __slots__ = ()
    _value_columns: ClassVar[tuple[str, ...]] = ("trainable", "auxiliary")
    _schema: ClassVar[dict[str, str]] = LOSSES_SCHEMA
    _reducers: ClassVar[frozenset[str]] = NUMERIC_REDUCERS

    def _materialize(self, view: Any) -> list[LossRecord]:
        columns = read_columns(view, ("label", "node", "trainable", "auxiliary"))
        return [LossRecord(*fields) for fields in zip(*columns, strict=True)]

    def _result_row(self, result: Any) -> tuple[Any, ...]:
        if not isinstance(result, LossRecord):
            raise TypeError(
                f"A LossDataSeries reducer must return a LossRecord, got {type(result).__name__}."
            )
        record = result.to_float()
        return (record.trainable, record.auxiliary)

    def _component_sum(self, component: str) -> float:
        if not len(self):
            return 0.0
        # one native pass; the sum of no present values is null
        (total,) = self._inner.collapse([], "sum").column(component)
        return 0.0 if total is None else float(total)

    def to_float(self) -> LossDataSeries:
        """``self``: stored loss components are floats already."""
        return self

    @property
    def trainable(self) -> float:
        """Sum of the trainable parts that are not None (0.0 if none)."""
        return self._component_sum("trainable")

    @property
    def auxiliary(self) -> float:
        """Sum of the auxiliary parts that are not None (0.0 if none)."""
        return self._component_sum("auxiliary")

    def plot(self, *, per: str = "both", ax: Any = None, title: str | None = None) -> Any:
        """Draw the series' values (see `modularml.viz.plot_series`); returns the Figure."""
        from modularml.viz.plotting import plot_series

        return plot_series(self, per=per, ax=ax, title=title)  # type: ignore[arg-type]


class CallbackDataSeries(AxisSeries):
    """Callback results keyed by ``(kind, label, epoch, batch, edge)``."""

    __slots__ = ()
    _schema: ClassVar[dict[str, str]] = CALLBACKS_SCHEMA
    _reducers: ClassVar[frozenset[str]] = OBJECT_REDUCERS


class ArtifactDataSeries(AxisSeries):
    """Artifacts keyed by ``(name, epoch, batch)``; elements are `ArtifactEntry`."""

    __slots__ = ()
    _schema: ClassVar[dict[str, str]] = ARTIFACTS_SCHEMA
    _reducers: ClassVar[frozenset[str]] = OBJECT_REDUCERS


class ExecutionDataSeries(AxisSeries):
    """Recorded execution contexts keyed by ``(epoch, batch)``."""

    __slots__ = ()
    _schema: ClassVar[dict[str, str]] = EXECUTIONS_SCHEMA
    _reducers: ClassVar[frozenset[str]] = OBJECT_REDUCERS


class TensorDataSeries(AxisSeries):
    """One node's tensors of one domain keyed by ``(epoch, batch)``; also ``"concat"``."""

    __slots__ = ()
    _schema: ClassVar[dict[str, str]] = EXECUTIONS_SCHEMA
    _reducers: ClassVar[frozenset[str]] = OBJECT_REDUCERS | {"concat"}
