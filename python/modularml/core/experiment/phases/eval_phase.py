"""EvalPhase: a forward pass over a split, without gradients, in unshuffled chunks."""

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


class EvalPhase(ExperimentPhase):
    """Evaluate the graph on a split; losses are recorded as auxiliary values.

    The phase has no epochs: contexts carry `epoch_idx=None` (as the docs say; the
    reference passed 0) and epoch hooks never fire. Weights, optimizer state and frozen
    flags are untouched; modules run in eval mode and are put back afterwards.

    Args:
        label: phase label.
        input_sources: one InputBinding per head node, all on one FeatureSet and split.
        losses: AppliedLosses to compute (optional).
        active_nodes: node labels to run (default: all).
        batch_size: rows per batch; None evaluates the whole split as one batch.
        callbacks: phase callbacks.
    """

    kind = "eval"

    def __init__(
        self,
        label: str,
        *,
        input_sources: Sequence[InputBinding],
        losses: Sequence[AppliedLoss] | None = None,
        active_nodes: Sequence[str] | None = None,
        batch_size: int | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> None:
        super().__init__(label, input_sources=input_sources, losses=losses,
                         active_nodes=active_nodes, callbacks=callbacks)
        splits = {(b.reference.node_label, b.split) for b in self.input_sources}
        if len(splits) > 1:
            raise ValueError(f"EvalPhase bindings must share one FeatureSet and split: {splits}")
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}.")
        self.batch_size = batch_size

    @classmethod
    def from_split(
        cls,
        label: str,
        *,
        split: str | None,
        losses: Sequence[AppliedLoss] | None = None,
        active_nodes: Sequence[str] | None = None,
        batch_size: int | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> EvalPhase:
        """Evaluate every active head node on `split` (None: all rows)."""
        return cls(label, input_sources=bindings_from_split(split, active_nodes),
                   losses=losses, active_nodes=active_nodes, batch_size=batch_size,
                   callbacks=callbacks)

    @property
    def mutates_state(self) -> bool:
        return False

    def make_results(self) -> Any:
        from modularml.results import EvalResults

        return EvalResults(label=self.label)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "batch_size": self.batch_size}
