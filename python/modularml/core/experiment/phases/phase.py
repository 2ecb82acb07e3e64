"""What every phase has: a label, input bindings, losses, callbacks and a stop request."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.callbacks.dispatch import sort_callbacks
from modularml.core.experiment.context import ExperimentContext
from modularml.data.reference import FeatureSetReference
from modularml.graph.loss import AppliedLoss


@dataclass(frozen=True)
class InputBinding:
    """Feeds one head node from a split (None: all rows) of its upstream FeatureSet."""

    node_label: str
    reference: FeatureSetReference
    split: str | None = None
    sampler: Any = None

    def resolve_view(self) -> Any:
        fs = self.reference.resolve()
        return fs.to_view() if self.split is None else fs.get_split(self.split)


def bindings_from_split(
    split: str | None, active_nodes: Sequence[str] | None, sampler: Any = None
) -> list[InputBinding]:
    """One binding per head node that feeds the active nodes, all on `split`.

    The heads are those among the active nodes and everything upstream of them, so
    `active_nodes=["Head"]` on an `Enc -> Head` chain binds Enc's FeatureSet (the reference
    raised "No active head nodes" there).
    """
    from modularml.core.experiment.steps import active_order

    ctx = ExperimentContext.get_active()
    if ctx.model_graph is None:
        raise RuntimeError("Cannot infer input sources without a registered ModelGraph.")
    graph = ctx.model_graph
    needed = set(active_order(graph, active_nodes))
    heads = [n for n in graph.head_nodes if n.label in needed]
    if not heads:
        raise ValueError("No active head nodes found for phase.")
    bindings = [InputBinding(n.label, n.upstream, split, sampler) for n in heads]
    sources = {b.reference.node_label for b in bindings}
    if len(sources) > 1:
        raise ValueError(f"from_split needs one FeatureSet for all head nodes, got {sources}.")
    if split is not None:
        bindings[0].resolve_view()  # KeyError listing the available splits
    return bindings


def _validate_losses(losses: Sequence[AppliedLoss] | None) -> list[AppliedLoss]:
    losses = list(losses or [])
    for loss in losses:
        if not isinstance(loss, AppliedLoss):
            raise TypeError(f"losses must be AppliedLoss instances, got {type(loss).__name__}.")
    labels = [loss.label for loss in losses]
    if len(set(labels)) != len(labels):
        raise ValueError(f"AppliedLoss labels must be unique within a phase: {labels}")
    return losses


class ExperimentPhase(ABC):
    """Base of TrainPhase, EvalPhase and FitPhase (configuration only; the loop runs them).

    Callbacks run in ascending `execution_order` (stable); labels must be unique.
    """

    kind: str = "phase"

    def __init__(
        self,
        label: str,
        *,
        input_sources: Sequence[InputBinding],
        losses: Sequence[AppliedLoss] | None = None,
        active_nodes: Sequence[str] | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> None:
        self.label = label
        self.input_sources = list(input_sources)
        if not self.input_sources:
            raise ValueError(f"Phase {label!r} needs at least one input binding.")
        for b in self.input_sources:
            if not isinstance(b, InputBinding):
                raise TypeError(f"input_sources must be InputBindings, got {type(b).__name__}.")
        self.losses = _validate_losses(losses)
        self.active_nodes = list(active_nodes) if active_nodes is not None else None
        self._callbacks = sort_callbacks(list(callbacks or []))
        self._stop_requested = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r})"

    @property
    def callbacks(self) -> list[Callback]:
        """The callbacks in execution order (a copy)."""
        return list(self._callbacks)

    def add_callback(self, callback: Callback) -> None:
        """Attach a callback, keeping `execution_order` (stable); duplicate labels raise."""
        self._callbacks = sort_callbacks([*self._callbacks, callback])

    def request_stop(self) -> None:
        """Ask the phase to stop after the current epoch (the one stopping mechanism)."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def reset_stop(self) -> None:
        self._stop_requested = False

    @property
    def mutates_state(self) -> bool:
        """Whether running this phase can change weights or optimizer state."""
        return True

    @abstractmethod
    def make_results(self) -> Any:
        """A fresh results container for one run of this phase."""

    def get_config(self) -> dict[str, Any]:
        return {
            "phase_type": type(self).__name__,
            "label": self.label,
            "input_sources": [
                {"node": b.node_label, "featureset": b.reference.node_label, "split": b.split}
                for b in self.input_sources
            ],
            "losses": [loss.get_config() for loss in self.losses],
            "active_nodes": self.active_nodes,
            "callbacks": [cb.get_config() for cb in self._callbacks],
        }
