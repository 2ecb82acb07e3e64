"""TrainPhase: epochs of sampled batches, each a gradient step on the phase's losses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.phases.phase import (
    ExperimentPhase,
    InputBinding,
    bindings_from_split,
)
from modularml.graph.loss import AppliedLoss


class TrainPhase(ExperimentPhase):
    """Train the graph for `n_epochs` over sampled batches.

    Every step logs the metric `train_loss` (the step's summed trainable loss, with its
    batch index) and the step's per-loss records; after `on_epoch_end` it logs the
    epoch's `train_loss` (mean over the epoch's steps, batch None). `request_stop()` ends
    training after the current epoch.

    Args:
        label: phase label.
        input_sources: one InputBinding per head node; all share one sampler.
        losses: the AppliedLosses to minimize (at least one).
        n_epochs: number of epochs (>= 1).
        active_nodes: labels of the nodes to train (default: all); others stay fixed.
        callbacks: phase callbacks.
        result_recording: which execution contexts to keep: "all", "last" (final epoch
            only, added to the results when the phase ends) or "none".
    """

    kind = "train"

    def __init__(
        self,
        label: str,
        *,
        input_sources: Sequence[InputBinding],
        losses: Sequence[AppliedLoss] | None,
        n_epochs: int = 1,
        active_nodes: Sequence[str] | None = None,
        callbacks: Sequence[Callback] | None = None,
        result_recording: Any = "all",
    ) -> None:
        if losses is None or len(losses) == 0:
            raise ValueError("Training requires at least one defined loss.")
        if int(n_epochs) < 1:
            raise ValueError(f"n_epochs must be >= 1, got {n_epochs}.")
        super().__init__(label, input_sources=input_sources, losses=losses,
                         active_nodes=active_nodes, callbacks=callbacks)
        samplers = {id(b.sampler) for b in self.input_sources}
        if any(b.sampler is None for b in self.input_sources):
            missing = [b.node_label for b in self.input_sources if b.sampler is None]
            raise ValueError(f"TrainPhase needs a sampler for every binding; missing: {missing}")
        if len(samplers) > 1:
            raise ValueError("All bindings of a TrainPhase must share one sampler.")
        self.sampler = self.input_sources[0].sampler
        self.n_epochs = int(n_epochs)
        self.result_recording = _normalize_recording(result_recording)

    @classmethod
    def from_split(
        cls,
        label: str,
        *,
        split: str,
        sampler: Any,
        losses: Sequence[AppliedLoss] | None,
        n_epochs: int = 1,
        active_nodes: Sequence[str] | None = None,
        callbacks: Sequence[Callback] | None = None,
        result_recording: Any = "all",
    ) -> TrainPhase:
        """Train every active head node on `split` of its FeatureSet with `sampler`."""
        return cls(
            label,
            input_sources=bindings_from_split(split, active_nodes, sampler),
            losses=losses,
            n_epochs=n_epochs,
            active_nodes=active_nodes,
            callbacks=callbacks,
            result_recording=result_recording,
        )

    def make_results(self) -> Any:
        from modularml.results import TrainResults

        return TrainResults(label=self.label)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_epochs": self.n_epochs,
                "sampler": self.sampler.get_config(),
                "result_recording": getattr(self.result_recording, "value", self.result_recording)}


def _normalize_recording(value: Any) -> Any:
    from modularml.results import ResultRecording

    return ResultRecording.from_value(value)
