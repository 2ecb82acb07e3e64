"""PhaseGroup: an ordered execution plan of phases and nested groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modularml.core.experiment.phases.phase import ExperimentPhase


class PhaseGroup:
    """Phases and nested groups, run in order by `Experiment.run_group` / `Experiment.run`.

    Labels must be unique within a group, the group's own label included.
    """

    def __init__(self, label: str, phases: Iterable[ExperimentPhase | PhaseGroup] | None = None):
        self.label = label
        self._items: list[ExperimentPhase | PhaseGroup] = []
        for item in phases or []:
            self._add(item)

    def __repr__(self) -> str:
        return f"PhaseGroup(label={self.label}, entries={len(self._items)})"

    def __len__(self) -> int:
        return len(self._items)

    def _add(self, item: Any) -> PhaseGroup:
        if not isinstance(item, (ExperimentPhase, PhaseGroup)):
            raise TypeError(f"A PhaseGroup holds phases and groups, not {type(item).__name__}.")
        if item.label == self.label or any(i.label == item.label for i in self._items):
            raise ValueError(f"An item already exists with label {item.label!r}.")
        self._items.append(item)
        return self

    def add_phase(self, phase: ExperimentPhase) -> PhaseGroup:
        if not isinstance(phase, ExperimentPhase):
            raise TypeError(f"add_phase needs a phase, got {type(phase).__name__}.")
        return self._add(phase)

    def add_group(self, group: PhaseGroup) -> PhaseGroup:
        if not isinstance(group, PhaseGroup):
            raise TypeError(f"add_group needs a PhaseGroup, got {type(group).__name__}.")
        return self._add(group)

    def remove(self, key: int | str) -> PhaseGroup:
        """Remove the item at an index or with a label (`KeyError` if absent)."""
        self._items.remove(self[key])
        return self

    remove_phase = remove_group = remove

    def clear(self) -> None:
        self._items.clear()

    @property
    def all(self) -> list[ExperimentPhase | PhaseGroup]:
        return list(self._items)

    @property
    def phases(self) -> dict[str, ExperimentPhase]:
        return {i.label: i for i in self._items if isinstance(i, ExperimentPhase)}

    @property
    def phase_groups(self) -> dict[str, PhaseGroup]:
        return {i.label: i for i in self._items if isinstance(i, PhaseGroup)}

    def items(self) -> list[tuple[str, ExperimentPhase | PhaseGroup]]:
        return [(i.label, i) for i in self._items]

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self._items[key]
        for item in self._items:
            if item.label == key:
                return item
        raise KeyError(f"No item labelled {key!r}; available: {[i.label for i in self._items]}")

    def flatten(self) -> list[ExperimentPhase]:
        """All phases, depth-first, in execution order."""
        out: list[ExperimentPhase] = []
        for item in self._items:
            out.extend(item.flatten() if isinstance(item, PhaseGroup) else [item])
        return out

    def get_phase(self, key: int | str) -> ExperimentPhase:
        item = self[key]
        if not isinstance(item, ExperimentPhase):
            raise TypeError(f"Item {key!r} is a PhaseGroup, not a phase.")
        return item

    def get_train_phase(self, key: int | str) -> Any:
        return self._typed(key, "TrainPhase")

    def get_eval_phase(self, key: int | str) -> Any:
        return self._typed(key, "EvalPhase")

    def get_group(self, key: int | str) -> PhaseGroup:
        item = self[key]
        if not isinstance(item, PhaseGroup):
            raise TypeError(f"Item {key!r} is not a PhaseGroup.")
        return item

    def _typed(self, key: int | str, name: str) -> Any:
        item = self[key]
        if type(item).__name__ != name:
            raise TypeError(f"Item {key!r} is a {type(item).__name__}, not a {name}.")
        return item

    def get_config(self) -> dict[str, Any]:
        return {"label": self.label, "items": [
            {"item_type": "PhaseGroup" if isinstance(i, PhaseGroup) else "ExperimentPhase",
             "config": i.get_config()} for i in self._items]}
