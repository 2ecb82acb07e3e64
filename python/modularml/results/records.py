"""Record types stored in a phase's results: losses, metric entries, artifact entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from modularml.results._scalars import to_float

_UNSET: Any = object()


def _as_list(items: tuple, kind: type) -> list:
    """Accept ``f(a, b, c)`` and ``f([a, b, c])``; check every item is a ``kind``."""
    if len(items) == 1 and isinstance(items[0], (list, tuple)):
        items = tuple(items[0])
    for item in items:
        if not isinstance(item, kind):
            raise TypeError(f"Expected {kind.__name__} items, got {type(item).__name__}.")
    if not items:
        raise ValueError(f"Need at least one {kind.__name__}.")
    return list(items)


def _sum_present(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present[1:], present[0]) if present else None


@dataclass
class LossRecord:
    """One loss value of one node, split into trainable and auxiliary parts.

    Attributes:
        label: The applied loss's label.
        node_label: Label of the node the loss is attached to.
        trainable: The part that is back-propagated (float, tensor, or None).
        auxiliary: The part that is only reported (float, tensor, or None).
    """

    label: str
    node_label: str | None = None
    trainable: Any = None
    auxiliary: Any = None

    @property
    def total(self) -> Any:
        """Sum of the components that are not None (0 when both are None)."""
        total = _sum_present([self.trainable, self.auxiliary])
        return 0 if total is None else total

    def as_dict(self) -> dict[str, Any]:
        """The four fields as a dict."""
        return {
            "label": self.label,
            "node_label": self.node_label,
            "trainable": self.trainable,
            "auxiliary": self.auxiliary,
        }

    def merge_with(self, *others: LossRecord) -> LossRecord:
        """`merge` of this record and ``others``."""
        return LossRecord.merge(self, *others)

    def to_float(self) -> LossRecord:
        """Return a copy whose components are Python floats (or None)."""
        return LossRecord(
            label=self.label,
            node_label=self.node_label,
            trainable=None if self.trainable is None else to_float(self.trainable, "trainable"),
            auxiliary=None if self.auxiliary is None else to_float(self.auxiliary, "auxiliary"),
        )

    @classmethod
    def merge(cls, *records: LossRecord | list[LossRecord]) -> LossRecord:
        """Sum records of the same loss component-wise, skipping None components.

        Args:
            *records: LossRecords, or one list of them.

        Raises:
            TypeError: An item is not a LossRecord.
            ValueError: No records, or the labels or node labels differ.
        """
        items = _as_list(records, cls)
        _check_same_loss(items)
        node_labels = [r.node_label for r in items if r.node_label is not None]
        return cls(
            label=items[0].label,
            node_label=node_labels[0] if node_labels else None,
            trainable=_sum_present(r.trainable for r in items),
            auxiliary=_sum_present(r.auxiliary for r in items),
        )

    @classmethod
    def sum(cls, *records: LossRecord | list[LossRecord]) -> LossRecord:
        """Same as `merge`."""
        return cls.merge(*records)

    @classmethod
    def mean(cls, *records: LossRecord | list[LossRecord]) -> LossRecord:
        """Average records component-wise as floats.

        Each component is divided by the number of records that define it, so
        ``mean([LossRecord("l", trainable=1), LossRecord("l", trainable=3, auxiliary=2)])``
        has trainable 2.0 and auxiliary 2.0.
        """
        items = [r.to_float() for r in _as_list(records, cls)]
        merged = cls.merge(items)
        for component in ("trainable", "auxiliary"):
            count = sum(getattr(r, component) is not None for r in items)
            if count:
                setattr(merged, component, getattr(merged, component) / count)
        return merged

    def __add__(self, other: LossRecord) -> LossRecord:
        if not isinstance(other, LossRecord):
            return NotImplemented
        return LossRecord.merge(self, other)

    def __radd__(self, other: Any) -> LossRecord:
        # 0 is the start value of builtin sum()
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented


def _check_same_loss(records: list[LossRecord]) -> None:
    labels = {r.label for r in records}
    if len(labels) > 1:
        raise ValueError(f"Cannot merge LossRecords with different labels: {sorted(labels)}.")
    node_labels = {r.node_label for r in records if r.node_label is not None}
    if len(node_labels) > 1:
        raise ValueError(f"Cannot merge LossRecords of different nodes: {sorted(node_labels)}.")


def _common(values: list[Any]) -> Any:
    """The shared value, or None when the values differ (e.g. over a collapsed axis)."""
    first = values[0]
    return first if all(v == first for v in values) else None


@dataclass
class MetricEntry:
    """One scalar metric value.

    Attributes:
        name: Metric name, e.g. ``"val_loss"``.
        value: The value as a float.
        epoch_idx: Epoch it was logged in (None at phase level).
        batch_idx: Batch it was logged in (None at epoch or phase level).
    """

    name: str
    value: float
    epoch_idx: int | None = None
    batch_idx: int | None = None

    @classmethod
    def sum(cls, *entries: MetricEntry | list[MetricEntry]) -> MetricEntry:
        """Sum entries of one metric.

        ``epoch_idx``/``batch_idx`` are kept when all entries share them, else None.

        Raises:
            TypeError: An item is not a MetricEntry.
            ValueError: No entries, or the names differ.
        """
        items = _as_list(entries, cls)
        names = {e.name for e in items}
        if len(names) > 1:
            raise ValueError(f"Cannot combine MetricEntries with different names: {sorted(names)}.")
        return cls(
            name=items[0].name,
            value=float(sum(e.value for e in items)),
            epoch_idx=_common([e.epoch_idx for e in items]),
            batch_idx=_common([e.batch_idx for e in items]),
        )

    @classmethod
    def mean(cls, *entries: MetricEntry | list[MetricEntry]) -> MetricEntry:
        """Average entries of one metric (see `sum` for the index fields)."""
        items = _as_list(entries, cls)
        total = cls.sum(items)
        total.value /= len(items)
        return total

    def __add__(self, other: MetricEntry) -> MetricEntry:
        if not isinstance(other, MetricEntry):
            return NotImplemented
        return MetricEntry.sum(self, other)

    def __radd__(self, other: Any) -> MetricEntry:
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented


class ArtifactEntry:
    """One logged artifact (a figure, array, table, text, ...).

    The object is held in memory, or fetched on access from ``loader`` (a
    zero-argument callable; used when artifacts live on disk).

    Attributes:
        name: Artifact name, e.g. ``"val_scatter"``.
        epoch_idx: Epoch it was logged in (None at phase level).
        batch_idx: Batch it was logged in (None at epoch or phase level).
    """

    __slots__ = ("name", "epoch_idx", "batch_idx", "_artifact", "_loader", "_png_loader")

    def __init__(
        self,
        name: str,
        epoch_idx: int | None = None,
        batch_idx: int | None = None,
        *,
        artifact: Any = _UNSET,
        loader: Callable[[], Any] | None = None,
        png_loader: Callable[[], bytes] | None = None,
    ) -> None:
        if (artifact is _UNSET) == (loader is None):
            raise ValueError("Give exactly one of `artifact` and `loader`.")
        self.name = name
        self.epoch_idx = epoch_idx
        self.batch_idx = batch_idx
        self._artifact = artifact
        self._loader = loader
        self._png_loader = png_loader

    @property
    def artifact(self) -> Any:
        """The artifact object (loaded once through the loader when there is one, then cached)."""
        if self._loader is not None:
            self._artifact = self._loader()
            self._loader = None
        return self._artifact

    @property
    def png(self) -> bytes | None:
        """PNG bytes of a matplotlib Figure artifact read from disk (no unpickling), else None."""
        return None if self._png_loader is None else self._png_loader()

    def __repr__(self) -> str:
        return (
            f"ArtifactEntry(name={self.name!r}, epoch_idx={self.epoch_idx!r}, "
            f"batch_idx={self.batch_idx!r})"
        )
