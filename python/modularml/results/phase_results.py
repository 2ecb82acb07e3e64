"""PhaseResults: everything one phase recorded, in five native tables."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from modularml import _store
from modularml.results._formats import check_format, convert
from modularml.results._scalars import to_float
from modularml.results.callback_results import ArtifactResult, CallbackResult, MetricResult
from modularml.results.records import ArtifactEntry, LossRecord
from modularml.results.typed_series import (
    ARTIFACTS_SCHEMA,
    CALLBACKS_SCHEMA,
    EXECUTIONS_SCHEMA,
    LOSSES_SCHEMA,
    METRICS_SCHEMA,
    ArtifactDataSeries,
    CallbackDataSeries,
    ExecutionDataSeries,
    LossDataSeries,
    MetricDataSeries,
    TensorDataSeries,
)

_TABLES = {
    "metrics": METRICS_SCHEMA,
    "losses": LOSSES_SCHEMA,
    "callbacks": CALLBACKS_SCHEMA,
    "artifacts": ARTIFACTS_SCHEMA,
    "executions": EXECUTIONS_SCHEMA,
}


def _new_table(schema: dict[str, str], columns: dict[str, list[Any]] | None) -> Any:
    table = _store.Table(list(schema.items()))
    if columns:
        table.extend(columns)
    return table


def _node_label(node: Any) -> str:
    label = getattr(node, "label", node)
    if not isinstance(label, str):
        raise TypeError(f"node must be a node label or a node, got {type(node).__name__}.")
    return label


def _float_or_none(value: Any, what: str) -> float | None:
    return None if value is None else to_float(value, what)


def _mapping_floats(values: Mapping[str, Any]) -> np.ndarray:
    # per value, like log_metric: numpy alone would parse "0.9" and name no metric on failure
    out = np.empty(len(values), dtype=np.float64)
    for i, (name, value) in enumerate(values.items()):
        out[i] = value if type(value) is float else to_float(value, f"metric {name!r}")
    return out


def _as_floats(values: Any) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise TypeError(f"values must be one-dimensional, got shape {array.shape}.")
    return array


def _as_index(value: Any) -> Any:
    # scalars (and None) broadcast in the native extend; int arrays are read in place
    if value is None or isinstance(value, (int, np.ndarray)):
        return int(value) if isinstance(value, np.ndarray) and value.ndim == 0 else value
    if isinstance(value, numbers.Integral):
        return int(value)
    return list(value)


class PhaseResults:
    """Losses, metrics, callback results, artifacts and execution contexts of one phase.

    Args:
        label: The phase's label.
    """

    # set while a results_dir run writes this phase to disk (a persist.PhaseWriter)
    _writer: Any = None

    def __init__(self, label: str) -> None:
        self.label = label
        # Python objects live here; native tables hold their integer handles
        self._objects: list[Any] = []
        self._open_tables({})

    def _open_tables(self, columns: dict[str, dict[str, list[Any]]]) -> None:
        """Create the five tables, filled with ``columns`` (table name -> column lists)."""
        tables = {name: _new_table(schema, columns.get(name)) for name, schema in _TABLES.items()}
        self._metrics = tables["metrics"]
        self._losses = tables["losses"]
        self._callbacks = tables["callbacks"]
        self._artifacts = tables["artifacts"]
        self._executions = tables["executions"]
        self._append_metric = self._metrics.append
        self._tensor_cache: dict[tuple, tuple[list[Any], Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # the native tables do not pickle: keep their columns as lists
        tables = {}
        for name in _TABLES:
            view = getattr(self, f"_{name}").view()
            tables[name] = {column: view.column(column) for column in view.columns}
        return {"label": self.label, "objects": self._objects, "tables": tables}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.label = state["label"]
        self._objects = state["objects"]
        self._open_tables(state["tables"])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(label={self.label!r}, executions={len(self._executions)}, "
            f"callbacks={len(self._callbacks)})"
        )

    def plot(self, metrics: Any = None, **options: Any) -> Any:
        """Metric curves as a matplotlib Figure (see `modularml.viz.plot_results`)."""
        from modularml.viz.plotting import plot_results

        return plot_results(self, metrics, **options)

    def _repr_html_(self) -> str:
        from modularml.viz.html import results_html

        return results_html(self)

    def _keep(self, obj: Any) -> int:
        self._objects.append(obj)
        return len(self._objects) - 1

    # ------------------------------------------------------------------ writes

    def log_metric(
        self, name: str, value: Any, epoch_idx: int | None, batch_idx: int | None = None
    ) -> None:
        """Record one scalar metric.

        Args:
            name: Metric name.
            value: A real number, or a one-element array or tensor.
            epoch_idx: Epoch index (None at phase level).
            batch_idx: Batch index (None at epoch or phase level).

        Raises:
            TypeError: ``value`` is not a scalar real number.
        """
        try:
            self._append_metric(name, epoch_idx, batch_idx, value)
        except TypeError:
            # slow path only for values the store does not read as floats itself
            self._append_metric(name, epoch_idx, batch_idx, to_float(value, f"metric {name!r}"))

    def log_metrics(
        self,
        values: Mapping[str, Any] | Any,
        *,
        names: str | Sequence[str] | None = None,
        epoch_idx: Any = None,
        batch_idx: Any = None,
    ) -> None:
        """Record many scalar metrics in one native call.

        Args:
            values: A mapping ``{name: value}``, or a 1-d array-like of values.
            names: With an array of values: one name for all, or one per value.
            epoch_idx: One epoch index for all values, or one per value.
            batch_idx: One batch index (or None) for all values, or one per value.

        Raises:
            TypeError: Values are not real numbers, or names are missing.
            ValueError: Per-value sequences differ in length.
        """
        if isinstance(values, Mapping):
            if names is not None:
                raise TypeError("Give names either as the mapping's keys or as `names`, not both.")
            names = list(values)
            values = _mapping_floats(values)
        elif names is None:
            raise TypeError("`names` is required when values is not a mapping.")
        array = _as_floats(values)
        if not len(array):
            return
        if not isinstance(names, str):
            names = names.tolist() if isinstance(names, np.ndarray) else list(names)
        self._metrics.extend(
            {
                "name": names,
                "epoch": _as_index(epoch_idx),
                "batch": _as_index(batch_idx),
                "value": array,
            }
        )

    def log_losses(
        self, epoch_idx: int | None, batch_idx: int | None, records: Sequence[LossRecord]
    ) -> None:
        """Record the loss records of one step.

        Args:
            epoch_idx: Epoch index (None in phases without epochs).
            batch_idx: Batch index.
            records: LossRecords with ``node_label`` set; tensor components are
                read as floats.

        Raises:
            ValueError: A record has no ``node_label``.
        """
        self.log_loss_steps([(epoch_idx, batch_idx, records)])

    def log_loss_steps(
        self, steps: Sequence[tuple[int | None, int | None, Sequence[LossRecord]]]
    ) -> None:
        """Record the loss records of many steps in one native call (all or nothing).

        Args:
            steps: ``(epoch_idx, batch_idx, records)`` per step, as for `log_losses`.

        Raises:
            ValueError: A record has no ``node_label``.
        """
        columns: dict[str, list[Any]] = {
            "node": [], "label": [], "epoch": [], "batch": [], "trainable": [], "auxiliary": []
        }
        for epoch_idx, batch_idx, records in steps:
            for r in records:
                if r.node_label is None:
                    raise ValueError(f"LossRecord {r.label!r} has no node_label.")
                columns["node"].append(r.node_label)
                columns["label"].append(r.label)
                columns["epoch"].append(epoch_idx)
                columns["batch"].append(batch_idx)
                columns["trainable"].append(_float_or_none(r.trainable, "trainable"))
                columns["auxiliary"].append(_float_or_none(r.auxiliary, "auxiliary"))
        if columns["node"]:
            self._losses.extend(columns)

    def log_artifact(
        self, name: str, artifact: Any, epoch_idx: int | None, batch_idx: int | None = None
    ) -> ArtifactEntry:
        """Record an artifact object (kept by reference) and return its entry."""
        entry = ArtifactEntry(name, epoch_idx, batch_idx, artifact=artifact)
        handle = self._keep(entry)
        self._artifacts.append(name, epoch_idx, batch_idx, handle)
        if self._writer is not None:  # encoded now; written off this thread
            self._writer.put_artifact(handle, artifact)
        return entry

    def add_execution_context(self, ctx: Any) -> None:
        """Keep one execution context (with ``epoch_idx``, ``batch_idx``, ``domain_data``)."""
        self._executions.append(ctx.epoch_idx, ctx.batch_idx, self._keep(ctx))

    def clear_execution_contexts(self) -> None:
        """Drop every recorded execution context (``ResultRecording.LAST`` keeps one epoch).

        The contexts are released; series taken earlier read None in their place.
        """
        for handle in self._executions.view().column("obj"):
            self._objects[handle] = None
        self._executions = _store.Table(list(EXECUTIONS_SCHEMA.items()))
        self._tensor_cache.clear()

    def replace_execution_contexts(self, contexts: Sequence[Any]) -> None:
        """Drop the recorded contexts and record ``contexts`` instead, in order."""
        self.clear_execution_contexts()
        for ctx in contexts:
            self.add_execution_context(ctx)

    def add_callback_result(self, cb_res: CallbackResult) -> None:
        """Keep one callback result whose scope is already bound.

        A `MetricResult` is also logged as a metric; an `ArtifactResult` is also
        recorded as an artifact (the artifact object itself is not copied).

        Raises:
            TypeError: ``cb_res`` is not a CallbackResult.
        """
        if not isinstance(cb_res, CallbackResult):
            raise TypeError(f"Expected a CallbackResult, got {type(cb_res).__name__}.")
        self._callbacks.append(
            cb_res.kind,
            cb_res.callback_label,
            cb_res.epoch_idx,
            cb_res.batch_idx,
            cb_res.edge,
            self._keep(cb_res),
        )
        if isinstance(cb_res, MetricResult):
            self.log_metric(
                cb_res.metric_name, cb_res.metric_value, cb_res.epoch_idx, cb_res.batch_idx
            )
        elif isinstance(cb_res, ArtifactResult):
            self.log_artifact(
                cb_res.artifact_name, cb_res.artifact, cb_res.epoch_idx, cb_res.batch_idx
            )

    def flush(self, durable: bool = True) -> None:
        """Write every record so far to the results directory (no-op in memory).

        Records are also flushed at each epoch end, at phase end, and at most
        ``persist.FLUSH_SECONDS`` apart while steps run.

        Args:
            durable: Also fsync, so the records survive power loss, not only a kill.
        """
        if self._writer is not None:
            self._writer.flush(durable)

    def _flush_if_due(self) -> None:
        if self._writer is not None:
            self._writer.flush_if_due()

    # ----------------------------------------------------------------- queries

    def losses(self, node: Any) -> LossDataSeries:
        """Losses of one node (label or node object), keyed by ``(epoch, batch, label)``."""
        return LossDataSeries(
            self._losses.view(),
            ("epoch", "batch", "label"),
            self._objects,
            filters=[("node", [_node_label(node)])],
        )

    def loss_nodes(self) -> list[str]:
        """Labels of the nodes with recorded losses, in first-seen order."""
        return self._losses.view().distinct("node")

    def metrics(self) -> MetricDataSeries:
        """All scalar metrics, keyed by ``(name, epoch, batch)``."""
        return MetricDataSeries(self._metrics.view(), ("name", "epoch", "batch"), self._objects)

    def metric_names(self) -> list[str]:
        """Names of the logged metrics in first-seen order."""
        return self._metrics.view().distinct("name")

    def callbacks(self, kind: str | None = None) -> CallbackDataSeries:
        """Callback results keyed by ``(kind, label, epoch, batch, edge)``.

        Args:
            kind: Keep only results of this kind (``"evaluation"``, ``"metric"``,
                ``"artifact"``, ``"payload"``, ``"early_stopping"``, ...).
        """
        series = CallbackDataSeries(
            self._callbacks.view(), ("kind", "label", "epoch", "batch", "edge"), self._objects
        )
        return series if kind is None else series.where(kind=kind)

    def artifacts(self) -> ArtifactDataSeries:
        """Artifact entries keyed by ``(name, epoch, batch)``."""
        return ArtifactDataSeries(self._artifacts.view(), ("name", "epoch", "batch"), self._objects)

    def artifact_names(self) -> list[str]:
        """Names of the logged artifacts in first-seen order."""
        return self._artifacts.view().distinct("name")

    def execution_contexts(self) -> ExecutionDataSeries:
        """Recorded execution contexts keyed by ``(epoch, batch)``."""
        return ExecutionDataSeries(self._executions.view(), ("epoch", "batch"), self._objects)

    def tensors(self, node: Any, domain: str, fmt: str | None = None) -> TensorDataSeries:
        """One node's data of one domain from every recorded context.

        Args:
            node: Node label (or node object).
            domain: ``"outputs"``, ``"targets"`` or ``"features"``.
            fmt: None (as recorded), ``"np"``/``"numpy"`` or ``"torch"``.

        Raises:
            ValueError: Unknown ``fmt``.
        """
        check_format(fmt)
        key = (_node_label(node), domain, fmt)
        if key not in self._tensor_cache:
            self._tensor_cache[key] = ([], _store.Table(list(EXECUTIONS_SCHEMA.items())))
        objects, table = self._tensor_cache[key]
        # contexts are append-only: convert only those added since the last call
        recorded = self._executions.view()
        new = recorded.take(list(range(len(table), len(recorded))))
        contexts = [self._objects[h] for h in new.column("obj")]
        start = len(objects)
        objects.extend(convert(ctx.domain_data(key[0], domain), fmt) for ctx in contexts)
        table.extend(
            {
                "epoch": new.column("epoch"),
                "batch": new.column("batch"),
                "obj": list(range(start, len(objects))),
            }
        )
        return TensorDataSeries(table.view(), ("epoch", "batch"), objects)

    def to_polars(self) -> Any:
        """One tidy frame of every scalar record (metrics and losses).

        Columns: ``record`` ("metric" or "loss"), ``node`` (null for metrics),
        ``name`` (metric name or loss label), ``component`` (null for metrics,
        "trainable" or "auxiliary" for losses), ``epoch``, ``batch``, ``value``.
        Loss components that are None are left out.
        """
        from modularml.results._tidy import tidy_frame

        return tidy_frame(self._metrics.view().to_arrow(), self._losses.view().to_arrow())
