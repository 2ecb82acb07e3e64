"""Metric callbacks: MetricCallback (a named scalar) and EvaluationMetric (read from an eval)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from modularml.core.experiment.callbacks.callback import Callback

RESERVED_METRIC_NAMES = ("train_loss",)


class MetricCallback(Callback):
    """A callback that produces one named scalar metric; its label is the metric name.

    Subclasses override a hook and return a `MetricResult`; storing it also logs the
    metric. `train_loss` is reserved for the training loop.

    Args:
        name: the metric name.
    """

    def __init__(self, *, name: str) -> None:
        if name in RESERVED_METRIC_NAMES:
            raise ValueError(f"Metric name {name!r} is reserved; choose another name.")
        super().__init__(label=name)

    @property
    def metric_name(self) -> str:
        return self.label

    def get_config(self) -> dict[str, Any]:
        return {"callback_type": type(self).__qualname__, "name": self.metric_name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MetricCallback:
        return cls(name=config["name"])


class EvaluationMetric(MetricCallback):
    """A metric extracted from an `Evaluation` result; run by its Evaluation, not the phase."""

    @abstractmethod
    def extract(self, *, eval_result: Any, exec_ctx: Any = None) -> Any:
        """Return a `MetricResult` (or None) from an `EvaluationCallbackResult`."""
