"""Experiment-level callbacks: hooks at experiment, group and phase boundaries.

Phase callbacks (`Callback`) see batches and epochs inside one phase; an
`ExperimentCallback` sees whole phases and groups as the experiment runs them
(`run`, `run_group`, `run_phase`; never `preview_phase`, which leaves no trace).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
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
    """Base class of experiment callbacks; every hook is a documented no-op.

    Hooks are called with keyword arguments only, in ascending `execution_order`
    (ties keep registration order); hooks a subclass does not override are never called.

    Args:
        label: identity within the experiment; defaults to the class name.
        execution_order: lower runs first.
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self._label!r})"

    def on_experiment_start(self, *, experiment: Any) -> None:
        """Before the first item of `experiment.run()`."""
        return None

    def on_experiment_end(self, *, experiment: Any, results: list[Any]) -> None:
        """After the last item of `experiment.run()`, with every item's results."""
        return None

    def on_group_start(self, *, experiment: Any, group: Any) -> None:
        """Before the first member of a PhaseGroup (nested groups too)."""
        return None

    def on_group_end(self, *, experiment: Any, group: Any, results: Any) -> None:
        """After a PhaseGroup, with its PhaseGroupResults (also when a member failed)."""
        return None

    def on_phase_start(self, *, experiment: Any, phase: Any) -> None:
        """Before a phase's first batch."""
        return None

    def on_phase_end(self, *, experiment: Any, phase: Any, results: Any) -> None:
        """After a phase, with its results (also when it failed: see `status`)."""
        return None

    def on_exception(self, *, experiment: Any, phase: Any, exception: BaseException) -> None:
        """When a phase (or a hook) raised; `phase` is None outside any phase. Re-raised after."""
        return None

    @abstractmethod
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments needed to rebuild this callback."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any]) -> ExperimentCallback:
        """Rebuild a callback from `get_config()`'s output."""


def _overrides(callback: ExperimentCallback, hook: str) -> bool:
    return getattr(type(callback), hook) is not getattr(ExperimentCallback, hook)


class ExperimentHooks:
    """The experiment's callbacks, sorted once, dispatched by hook name."""

    def __init__(self, callbacks: Sequence[ExperimentCallback] = ()) -> None:
        self._callbacks: list[ExperimentCallback] = []
        for callback in callbacks:
            self.add(callback)

    @property
    def callbacks(self) -> list[ExperimentCallback]:
        return list(self._callbacks)

    def add(self, callback: ExperimentCallback) -> None:
        """Register a callback (TypeError for non-ExperimentCallbacks, ValueError for a taken label)."""
        if not isinstance(callback, ExperimentCallback):
            raise TypeError(
                f"Experiment callbacks must be ExperimentCallback instances, got {type(callback).__name__}; "
                "phase callbacks (Callback) go on a phase."
            )
        if any(cb.label == callback.label for cb in self._callbacks):
            raise ValueError(f"An experiment callback labelled {callback.label!r} is already registered.")
        self._callbacks.append(callback)
        self._callbacks.sort(key=lambda cb: cb.execution_order)  # stable: ties keep order

    def call(self, hook: str, **kwargs: Any) -> None:
        """Run `hook` on every callback that overrides it; a raise gets a note naming it."""
        for callback in self._callbacks:
            if not _overrides(callback, hook):
                continue
            try:
                getattr(callback, hook)(**kwargs)
            except BaseException as error:
                error.add_note(f"in experiment callback {callback.label!r}.{hook}")
                raise

    def exception(self, *, experiment: Any, phase: Any, exception: BaseException) -> None:
        """Give every callback's `on_exception` the exception (each runs even if one raises)."""
        for callback in self._callbacks:
            if not _overrides(callback, "on_exception"):
                continue
            try:
                callback.on_exception(experiment=experiment, phase=phase, exception=exception)
            except Exception as error:  # reported on the original exception, not swallowed silently
                exception.add_note(
                    f"experiment callback {callback.label!r}.on_exception raised {type(error).__name__}: {error}"
                )
