"""Experiment-level callbacks: hooks at experiment, group and phase boundaries.

Phase-level callbacks (`Callback`) fire inside a phase; these fire around whole phase and
group runs of `Experiment.run`, `run_group` and `run_phase` (never for `preview_phase`,
which leaves no trace). Override only the hooks you need; the same dispatcher as for
phase callbacks calls them, so hooks not overridden cost nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

EXPERIMENT_HOOKS = (
    "on_experiment_start",
    "on_experiment_end",
    "on_group_start",
    "on_group_end",
    "on_phase_start",
    "on_phase_end",
    "on_exception",
)


class ExperimentCallback(ABC):
    """Base class of experiment-level callbacks.

    Args:
        label: identity within the experiment; defaults to the class name.
        execution_order: callbacks run in ascending order (stable).
    """

    def __init__(self, *, label: str | None = None, execution_order: int = 0) -> None:
        self._label = label or type(self).__qualname__
        self._exec_order = int(execution_order)

    @property
    def label(self) -> str:
        return self._label

    @property
    def execution_order(self) -> int:
        return self._exec_order

    def on_experiment_start(self, *, experiment: Any) -> None:
        """Called when `Experiment.run` starts."""
        return None

    def on_experiment_end(self, *, experiment: Any, results: list[Any]) -> None:
        """Called when `Experiment.run` has run every item of the plan, with their results."""
        return None

    def on_group_start(self, *, experiment: Any, group: Any) -> None:
        """Called before a PhaseGroup runs."""
        return None

    def on_group_end(self, *, experiment: Any, group: Any, results: Any) -> None:
        """Called after a PhaseGroup ran, with its PhaseGroupResults."""
        return None

    def on_phase_start(self, *, experiment: Any, phase: Any) -> None:
        """Called before a phase runs."""
        return None

    def on_phase_end(self, *, experiment: Any, phase: Any, results: Any) -> None:
        """Called after a phase completed (or stopped early), with its results."""
        return None

    def on_exception(self, *, experiment: Any, phase: Any, exception: BaseException) -> None:
        """Called once when a phase run fails, with the real exception (then re-raised)."""
        return None

    @abstractmethod
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments needed to rebuild this callback."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any]) -> ExperimentCallback:
        """Rebuild a callback from `get_config()`'s output."""
