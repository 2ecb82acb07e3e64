"""References that wire graph nodes to FeatureSet columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FeatureSetReference:
    """A frozen selection of FeatureSet columns, fully qualified (`features.voltage.raw`).

    Equality and hashing use the node id when both sides have one, so two references to the
    same FeatureSet compare equal whatever columns they select (as in the reference).
    """

    node_label: str | None = None
    node_id: str | None = None
    features: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.node_label is None and self.node_id is None:
            raise ValueError("A FeatureSetReference needs a node_label or a node_id.")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeatureSetReference):
            return NotImplemented
        if self.node_id is not None and other.node_id is not None:
            return self.node_id == other.node_id
        return self.node_label == other.node_label

    def __hash__(self) -> int:
        return hash(self.node_id if self.node_id is not None else self.node_label)

    def resolve(self, context: Any = None) -> Any:
        """Return the referenced FeatureSet from `context` (default: the active one)."""
        from modularml.core.experiment.context import ExperimentContext

        context = context or ExperimentContext.get_active()
        return context.get_node(self.node_label)
