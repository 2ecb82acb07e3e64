"""What callback hooks return, wrapped with the scope they were returned in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from modularml.results._scalars import to_float

Edge = Literal["start", "end"]


@dataclass
class CallbackResult:
    """Base of every stored callback result.

    Subclasses set the class attribute ``kind``, the value of the ``kind`` axis
    in ``PhaseResults.callbacks()``. Construct subclasses by keyword.

    Attributes:
        callback_label: Label of the callback that produced the result.
        phase_label: Label of the phase it ran in.
        epoch_idx: Epoch of the hook (None at phase level).
        batch_idx: Batch of the hook (None at epoch or phase level).
        edge: ``"start"`` or ``"end"`` of the hook's boundary; None for ``on_exception``.
    """

    kind: ClassVar[str] = "Callback"

    callback_label: str | None = None
    phase_label: str | None = None
    epoch_idx: int | None = None
    batch_idx: int | None = None
    edge: Edge | None = None

    @property
    def epoch(self) -> int | None:
        """Same as ``epoch_idx``."""
        return self.epoch_idx

    @property
    def batch(self) -> int | None:
        """Same as ``batch_idx``."""
        return self.batch_idx

    @property
    def scope(self) -> dict[str, Any]:
        """``{"phase", "epoch", "batch", "edge"}`` of the hook that produced the result."""
        return {
            "phase": self.phase_label,
            "epoch": self.epoch_idx,
            "batch": self.batch_idx,
            "edge": self.edge,
        }

    def bind_scope(
        self,
        *,
        callback_label: str | None,
        phase_label: str | None,
        epoch_idx: int | None,
        batch_idx: int | None,
        edge: Edge | None,
    ) -> CallbackResult:
        """Set the five scope fields in place and return ``self``."""
        self.callback_label = callback_label
        self.phase_label = phase_label
        self.epoch_idx = epoch_idx
        self.batch_idx = batch_idx
        self.edge = edge
        return self


@dataclass
class PayloadResult(CallbackResult):
    """Any value a hook returned that is not already a CallbackResult."""

    kind: ClassVar[str] = "payload"

    payload: Any = None


@dataclass
class MetricResult(CallbackResult):
    """A named scalar; storing it also logs it in the phase's metrics.

    Raises:
        TypeError: ``metric_value`` is not a real number (a string, or an array or
            tensor with more than one element).
    """

    kind: ClassVar[str] = "metric"

    metric_name: str = ""
    metric_value: float = 0.0

    def __post_init__(self) -> None:
        self.metric_value = to_float(self.metric_value, f"metric_value of {self.metric_name!r}")


@dataclass
class ArtifactResult(CallbackResult):
    """A named rich object (figure, array, table, text); also indexed in the artifacts."""

    kind: ClassVar[str] = "artifact"

    artifact_name: str = ""
    artifact: Any = None
