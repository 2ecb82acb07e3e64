"""EvalLossMetric: an evaluation's loss, reduced over batches, logged as a metric."""

from __future__ import annotations

from typing import Any, Literal

from modularml.callbacks.metric import EvaluationMetric
from modularml.graph.loss import AppliedLoss
from modularml.results import MetricResult

REDUCERS = ("sum", "mean")


class EvalLossMetric(EvaluationMetric):
    """Logs one applied loss of an `Evaluation` as a scalar metric (default `val_loss`).

    The loss is added to the evaluation phase's losses when the metric is attached to an
    `Evaluation`. Metrics named `val_loss` show in the training progress bar. Under
    torch.distributed the value covers every rank's rows (see `Evaluation`); "mean" is
    then weighted by each batch's rows.

    Args:
        loss: the AppliedLoss to track.
        reducer: how to combine per-batch values: "mean" or "sum".
        name: the metric name.
    """

    def __init__(
        self, *, loss: AppliedLoss, reducer: Literal["sum", "mean"] = "mean", name: str = "val_loss"
    ) -> None:
        if not isinstance(loss, AppliedLoss):
            raise TypeError(f"EvalLossMetric needs an AppliedLoss, got {type(loss).__name__}.")
        if reducer not in REDUCERS:
            raise ValueError(f"reducer must be one of {REDUCERS}, got {reducer!r}.")
        super().__init__(name=name)
        self.loss = loss
        self.reducer = reducer

    def extract(self, *, eval_result: Any, exec_ctx: Any = None) -> MetricResult | None:
        global_losses = getattr(eval_result, "global_losses", None) or {}
        found = global_losses.get(self.loss.node_label, {}).get(self.loss.label)
        if found is not None:
            return MetricResult(metric_name=self.metric_name, metric_value=found[self.reducer])
        results = getattr(eval_result, "eval_results", None)
        if results is None:
            return None
        series = results.losses(self.loss.node_label).where(label=self.loss.label)
        if not len(series):
            return None
        record = series.collapse("batch", self.reducer).one()
        return MetricResult(metric_name=self.metric_name, metric_value=record.auxiliary)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": self.loss.get_config(), "reducer": self.reducer}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EvalLossMetric:
        return cls(loss=AppliedLoss.from_config(config["loss"]), reducer=config["reducer"],
                   name=config["name"])
