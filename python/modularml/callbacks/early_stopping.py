"""EarlyStopping: stop training when a monitored metric stops improving."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from modularml.core.experiment.callbacks.callback import Callback
from modularml.results import CallbackResult

REDUCERS = ("mean", "sum", "last", "first")


@dataclass
class EarlyStoppingResult(CallbackResult):
    """What EarlyStopping decided, returned from `on_phase_end`."""

    kind: ClassVar[str] = "early_stopping"

    best_epoch: int | None = None
    best_value: float | None = None
    stopped_epoch: int | None = None
    restored: bool = False


class EarlyStopping(Callback):
    """Requests a stop after `patience` epochs without improvement of `monitor`.

    At each epoch end the monitored metric's entries of that epoch are reduced with
    `reducer`; a missing value counts as no improvement. The first value always improves;
    later ones must beat the best by more than `min_delta`. With `restore_best=True` the
    model and optimizer state of the best epoch are kept in memory and put back when the
    phase ends. The default `execution_order=1` runs it after Evaluation (order 0), whose
    metrics it reads. Note that the epoch-level `train_loss` is logged after
    `on_epoch_end`, so monitoring `train_loss` sees only that epoch's per-batch values.

    Args:
        monitor: metric name.
        mode: "min" or "max".
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        restore_best: restore the best epoch's state at the end of the phase.
        reducer: "mean", "sum", "last" or "first" over the epoch's entries.
        label: result key (default "EarlyStopping").
        execution_order: hook order among the phase's callbacks.
    """

    def __init__(
        self,
        *,
        monitor: str = "val_loss",
        mode: Literal["min", "max"] = "min",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = False,
        reducer: Literal["mean", "sum", "last", "first"] = "last",
        label: str | None = None,
        execution_order: int = 1,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
        if reducer not in REDUCERS:
            raise ValueError(f"reducer must be one of {REDUCERS}, got {reducer!r}.")
        if int(patience) < 1:
            raise ValueError(f"patience must be >= 1, got {patience}.")
        super().__init__(label=label or "EarlyStopping", execution_order=execution_order)
        self._monitor, self._mode, self._reducer = monitor, mode, reducer
        self._patience, self._min_delta = int(patience), float(min_delta)
        self._restore_best = bool(restore_best)
        self._reset()

    def _reset(self) -> None:
        # runtime state, separate from the configuration above
        self._best_value: float | None = None
        self._best_epoch: int | None = None
        self._stopped_epoch: int | None = None
        self._wait = 0
        self._best_state: Any = None

    monitor = property(lambda self: self._monitor)
    best_value = property(lambda self: self._best_value)
    best_epoch = property(lambda self: self._best_epoch)
    stopped_epoch = property(lambda self: self._stopped_epoch)
    restore_best = property(lambda self: self._restore_best)

    def on_phase_start(self, *, experiment: Any, phase: Any, results: Any = None) -> None:
        self._reset()

    def on_epoch_end(self, *, experiment: Any, phase: Any, exec_ctx: Any, results: Any = None):
        if results is None:
            return None
        epoch = exec_ctx.epoch_idx
        value = self._epoch_value(results, epoch)
        if value is not None and self._improved(value):
            self._best_value, self._best_epoch, self._wait = value, epoch, 0
            if self._restore_best and experiment.model_graph is not None:
                self._best_state = experiment.model_graph.snapshot()
            return None
        self._wait += 1
        if self._wait >= self._patience:
            self._stopped_epoch = epoch
            phase.request_stop()
        return None

    def _epoch_value(self, results: Any, epoch: int) -> float | None:
        if self._monitor not in results.metric_names():
            return None
        series = results.metrics().where(name=self._monitor, epoch=epoch)
        if not len(series):
            return None
        return series.collapse("batch", self._reducer).one().value

    def _improved(self, value: float) -> bool:
        if self._best_value is None:
            return True
        if self._mode == "min":
            return value < self._best_value - self._min_delta
        return value > self._best_value + self._min_delta

    def on_phase_end(self, *, experiment: Any, phase: Any, results: Any = None) -> Any:
        restored = False
        if self._restore_best and self._best_epoch is not None:
            if self._best_state is not None:
                experiment.model_graph.restore(self._best_state)
                restored = True
            else:
                warnings.warn("EarlyStopping could not restore the best state.", stacklevel=2)
        return EarlyStoppingResult(best_epoch=self._best_epoch, best_value=self._best_value,
                                   stopped_epoch=self._stopped_epoch, restored=restored)

    def get_config(self) -> dict[str, Any]:
        return {
            "callback_type": "EarlyStopping", "monitor": self._monitor, "mode": self._mode,
            "patience": self._patience, "min_delta": self._min_delta,
            "restore_best": self._restore_best, "reducer": self._reducer, "label": self.label,
            "execution_order": self.execution_order,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EarlyStopping:
        return cls(**{k: v for k, v in config.items() if k != "callback_type"})
