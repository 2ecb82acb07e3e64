"""Evaluation: run an EvalPhase every N training epochs and keep its results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from modularml import distributed
from modularml.callbacks.metric import EvaluationMetric
from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.phases.eval_phase import EvalPhase
from modularml.distributed.eval_reduce import reduce_eval_losses
from modularml.graph.loss import AppliedLoss
from modularml.results import CallbackResult


@dataclass
class EvaluationCallbackResult(CallbackResult):
    """The EvalResults of one evaluation run by an `Evaluation` callback.

    Under torch.distributed `eval_results` hold this rank's rows only, and
    `global_losses` (`{node: {loss label: {"mean": m, "sum": s}}}`) the losses over
    every rank's rows; `aggregated_losses` then returns those global values.
    """

    kind: ClassVar[str] = "evaluation"

    eval_results: Any = None
    global_losses: dict[str, dict[str, dict[str, float]]] | None = None

    def get_eval_results(self) -> Any:
        if self.eval_results is None:
            raise ValueError("This EvaluationCallbackResult holds no eval_results.")
        return self.eval_results

    @property
    def batch_indices(self) -> list[int]:
        return self.get_eval_results().batch_indices

    @property
    def n_batches(self) -> int:
        return self.get_eval_results().n_batches

    def stacked_tensors(self, node: Any, domain: str, fmt: str | None = None) -> Any:
        """A node's outputs/targets/features over all eval batches, concatenated on axis 0."""
        return self.get_eval_results().stacked_tensors(node, domain, fmt=fmt)

    def aggregated_losses(self, node: Any, reducer: str = "mean") -> dict[str, float]:
        """`{loss label: value}` reduced over the eval batches (of every rank under DDP)."""
        label = getattr(node, "label", node)
        if self.global_losses is not None and label in self.global_losses:
            if reducer not in ("mean", "sum"):
                raise ValueError(f"Under DDP the reducer must be 'mean' or 'sum', got {reducer!r}.")
            return {k: v[reducer] for k, v in self.global_losses[label].items()}
        return self.get_eval_results().aggregated_losses(node, reducer=reducer)


class Evaluation(Callback):
    """Runs `eval_phase` through `experiment.preview_phase` after every N-th epoch.

    The evaluation leaves no history and changes no weights or optimizer state. Its
    EvalResults are stored as an `EvaluationCallbackResult` (kind "evaluation") in the
    training phase's results; each metric's value is logged as a metric of that phase.
    Under torch.distributed each rank evaluates its block of the split and the losses are
    summed over ranks (a collective: an Evaluation must run on every rank, never
    `rank_zero_only`), so `val_loss` is the same global value on every rank.

    Args:
        eval_phase: the EvalPhase to run.
        every_n_epochs: evaluate after epochs N-1, 2N-1, ... (`(epoch + 1) % N == 0`).
        run_on_start: also evaluate in `on_phase_start`, before training.
        label: result key (default: the eval phase's label).
        metrics: EvaluationMetrics to extract after each evaluation; their losses are
            added to `eval_phase` if it lacks them.
    """

    def __init__(
        self,
        *,
        eval_phase: EvalPhase,
        every_n_epochs: int = 1,
        run_on_start: bool = False,
        label: str | None = None,
        metrics: Sequence[EvaluationMetric] | None = None,
    ) -> None:
        if not isinstance(eval_phase, EvalPhase):
            raise TypeError(f"eval_phase must be an EvalPhase, got {type(eval_phase).__name__}.")
        if int(every_n_epochs) < 1:
            raise ValueError(f"every_n_epochs must be >= 1, got {every_n_epochs}.")
        super().__init__(label=label or eval_phase.label)
        self.eval_phase = eval_phase
        self.every_n_epochs = int(every_n_epochs)
        self.run_on_start = bool(run_on_start)
        self._metrics: list[EvaluationMetric] = []
        for metric in metrics or []:
            self.attach_metric(metric)

    @classmethod
    def from_split(
        cls,
        *,
        label: str,
        split: str,
        losses: Sequence[AppliedLoss] | None = None,
        active_nodes: Sequence[str] | None = None,
        batch_size: int | None = None,
        every_n_epochs: int = 1,
        run_on_start: bool = False,
        metrics: Sequence[EvaluationMetric] | None = None,
    ) -> Evaluation:
        """Build the EvalPhase on `split` (labelled `label`) and the callback around it."""
        phase = EvalPhase.from_split(label, split=split, losses=losses,
                                     active_nodes=active_nodes, batch_size=batch_size)
        return cls(eval_phase=phase, every_n_epochs=every_n_epochs, run_on_start=run_on_start,
                   label=label, metrics=metrics)

    @property
    def metrics(self) -> list[EvaluationMetric]:
        return list(self._metrics)

    def attach_metric(self, metric: EvaluationMetric) -> None:
        """Add a metric; an EvalLossMetric's loss joins the eval phase's losses."""
        if not isinstance(metric, EvaluationMetric):
            raise TypeError(f"metrics must be EvaluationMetrics, got {type(metric).__name__}.")
        loss = getattr(metric, "loss", None)
        if loss is not None and all(loss is not known for known in self.eval_phase.losses):
            if any(known.label == loss.label for known in self.eval_phase.losses):
                raise ValueError(
                    f"The eval phase already has a different loss labelled {loss.label!r}."
                )
            self.eval_phase.losses.append(loss)
        self._metrics.append(metric)

    # -- hooks -----------------------------------------------------------------------
    def on_phase_start(self, *, experiment: Any, phase: Any, results: Any = None) -> Any:
        if not self.run_on_start:
            return None
        return self._evaluate(experiment, phase, None, results)

    def on_epoch_end(self, *, experiment: Any, phase: Any, exec_ctx: Any, results: Any = None):
        if (exec_ctx.epoch_idx + 1) % self.every_n_epochs != 0:
            return None
        return self._evaluate(experiment, phase, exec_ctx, results)

    def _evaluate(self, experiment: Any, phase: Any, exec_ctx: Any, results: Any) -> Any:
        eval_results = experiment.preview_phase(self.eval_phase)
        result = EvaluationCallbackResult(callback_label=self.label, eval_results=eval_results)
        if distributed.is_distributed():
            result.global_losses = reduce_eval_losses(eval_results, self.eval_phase.losses)
        epoch_idx = None if exec_ctx is None else exec_ctx.epoch_idx
        for metric in self._metrics:
            if results is None:
                break
            extracted = metric.extract(eval_result=result, exec_ctx=exec_ctx)
            if extracted is None:
                continue
            extracted.bind_scope(callback_label=metric.label, phase_label=phase.label,
                                 epoch_idx=epoch_idx, batch_idx=None,
                                 edge="start" if exec_ctx is None else "end")
            results.log_metric(extracted.metric_name, extracted.metric_value, epoch_idx, None)
        return result

    def get_config(self) -> dict[str, Any]:
        return {
            "callback_type": "Evaluation",
            "label": self.label,
            "eval_phase": self.eval_phase.get_config(),
            "every_n_epochs": self.every_n_epochs,
            "run_on_start": self.run_on_start,
            "metrics": [m.get_config() for m in self._metrics],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Evaluation:
        """Rebuild against the active context (the eval phase is rebuilt from its split)."""
        from modularml.callbacks.eval_loss_metric import EvalLossMetric

        if config.get("callback_type") != "Evaluation":
            raise ValueError(f"Not an Evaluation config: {config.get('callback_type')!r}.")
        phase_cfg = config["eval_phase"]
        losses = [AppliedLoss.from_config(c) for c in phase_cfg["losses"]]
        metrics = [EvalLossMetric.from_config(m) for m in config["metrics"]]
        for metric in metrics:  # share the phase's loss object rather than a copy
            metric.loss = next((x for x in losses if x.label == metric.loss.label), metric.loss)
        phase = EvalPhase.from_split(
            phase_cfg["label"], split=phase_cfg["input_sources"][0]["split"], losses=losses,
            active_nodes=phase_cfg["active_nodes"], batch_size=phase_cfg["batch_size"])
        return cls(eval_phase=phase, every_n_epochs=config["every_n_epochs"],
                   run_on_start=config["run_on_start"], label=config["label"], metrics=metrics)
