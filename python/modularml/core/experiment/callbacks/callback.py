"""The phase-level `Callback` base class: seven documented no-op hooks.

Override only the hooks you need: the dispatcher detects, once per phase run, which hooks
a callback overrides and never calls the others. Every hook is called with keyword
arguments only and may return a value: `None` stores nothing; a `CallbackResult` is stored
as is; anything else is wrapped in a `PayloadResult`. The result is scoped to the callback
label, phase, epoch, batch and edge ("start"/"end"; None for `on_exception`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

HOOKS = (
    "on_phase_start",
    "on_phase_end",
    "on_epoch_start",
    "on_epoch_end",
    "on_batch_start",
    "on_batch_end",
    "on_exception",
)


class Callback(ABC):
    """Base class of phase callbacks (attached to a TrainPhase, EvalPhase or FitPhase).

    Under torch.distributed every rank runs every callback; set `rank_zero_only = True`
    (on a subclass or an instance, or use `modularml.distributed.rank_zero_only`) for
    one that should run on rank 0 alone, e.g. one that writes files or plots.

    Args:
        label: result key and identity within a phase; defaults to the class name.
        execution_order: callbacks run in ascending order (stable: ties keep list order).
    """

    version: ClassVar[str] = "1.0"
    rank_zero_only: bool = False

    def __init__(self, label: str | None = None, execution_order: int = 0) -> None:
        self._label = label or type(self).__qualname__
        self._exec_order = int(execution_order)

    @property
    def label(self) -> str:
        """The callback's label (read-only)."""
        return self._label

    @property
    def execution_order(self) -> int:
        return self._exec_order

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self._label!r})"

    # -- hooks (no-ops) ------------------------------------------------------------------
    def on_phase_start(self, *, experiment: Any, phase: Any, results: Any = None) -> Any:
        """Called once before the first epoch (or batch)."""
        return None

    def on_phase_end(self, *, experiment: Any, phase: Any, results: Any = None) -> Any:
        """Called once after the last epoch (or batch), also when stopped early."""
        return None

    def on_epoch_start(
        self, *, experiment: Any, phase: Any, exec_ctx: Any, results: Any = None
    ) -> Any:
        """Called before each epoch's first batch with that batch's context (TrainPhase)."""
        return None

    def on_epoch_end(
        self, *, experiment: Any, phase: Any, exec_ctx: Any, results: Any = None
    ) -> Any:
        """Called after each epoch's last batch with that batch's context (TrainPhase)."""
        return None

    def on_batch_start(
        self, *, experiment: Any, phase: Any, exec_ctx: Any, results: Any = None
    ) -> Any:
        """Called before each batch's step."""
        return None

    def on_batch_end(
        self, *, experiment: Any, phase: Any, exec_ctx: Any, results: Any = None
    ) -> Any:
        """Called after each batch's step (outputs and losses are set on `exec_ctx`)."""
        return None

    def on_exception(
        self,
        *,
        experiment: Any,
        phase: Any,
        exec_ctx: Any,
        exception: BaseException,
        results: Any = None,
    ) -> Any:
        """Called with the real exception when a hook or a step raises; it is re-raised after.

        `exec_ctx` is the context of the batch in progress, or None before the first batch.
        """
        return None

    # -- configuration -----------------------------------------------------------------
    @abstractmethod
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments needed to rebuild this callback."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any]) -> Callback:
        """Rebuild a callback from `get_config()`'s output."""
