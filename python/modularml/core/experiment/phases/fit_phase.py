"""FitPhase: closed-form fitting (`fit(X, y)`) of the graph's fittable nodes on a whole split."""

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


class FitPhase(ExperimentPhase):
    """Fit every unfrozen node whose model has `fit`/`predict` on the whole split, once.

    Nodes are visited in topological order; fittable nodes are fitted on their input
    features and targets and then predict; torch nodes just run forward. One execution
    context (batch 0, `epoch_idx=None`) holds the whole split; losses, if given, are
    computed after fitting as auxiliary values.

    Args:
        label: phase label.
        input_sources: one InputBinding per head node, all on one FeatureSet and split.
        losses: AppliedLosses to compute after fitting (optional).
        active_nodes: node labels to fit (default: all).
        freeze_after_fit: freeze fitted nodes so later phases leave them as they are.
        callbacks: phase callbacks.
    """

    kind = "fit"

    def __init__(
        self,
        label: str,
        *,
        input_sources: Sequence[InputBinding],
        losses: Sequence[AppliedLoss] | None = None,
        active_nodes: Sequence[str] | None = None,
        freeze_after_fit: bool = True,
        callbacks: Sequence[Callback] | None = None,
    ) -> None:
        super().__init__(label, input_sources=input_sources, losses=losses,
                         active_nodes=active_nodes, callbacks=callbacks)
        self.freeze_after_fit = bool(freeze_after_fit)

    @classmethod
    def from_split(
        cls,
        label: str,
        *,
        split: str | None,
        losses: Sequence[AppliedLoss] | None = None,
        active_nodes: Sequence[str] | None = None,
        freeze_after_fit: bool = True,
        callbacks: Sequence[Callback] | None = None,
    ) -> FitPhase:
        """Fit every active head node's chain on `split` (None: all rows)."""
        return cls(label, input_sources=bindings_from_split(split, active_nodes),
                   losses=losses, active_nodes=active_nodes,
                   freeze_after_fit=freeze_after_fit, callbacks=callbacks)

    def make_results(self) -> Any:
        from modularml.results import FitResults

        return FitResults(label=self.label)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "freeze_after_fit": self.freeze_after_fit}
