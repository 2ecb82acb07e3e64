"""Timing and status of executed phases and groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _seconds(started_at: datetime, ended_at: datetime | None) -> float | None:
    return None if ended_at is None else (ended_at - started_at).total_seconds()


@dataclass
class PhaseExecutionMeta:
    """When one phase ran and how it ended (``"completed"``, ``"failed"``, ``"stopped"``)."""

    label: str
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "completed"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float | None:
        """Seconds between start and end (None while running)."""
        return _seconds(self.started_at, self.ended_at)

    def flatten(self) -> dict[str, PhaseExecutionMeta]:
        """``{label: self}``."""
        return {self.label: self}


@dataclass
class PhaseGroupExecutionMeta:
    """When a group ran, with its children's metadata in execution order."""

    label: str
    started_at: datetime
    ended_at: datetime | None = None
    children: dict[str, Any] = field(default_factory=dict)

    def add_child(self, meta: PhaseExecutionMeta | PhaseGroupExecutionMeta) -> None:
        """Append a child's metadata.

        Raises:
            ValueError: A child with that label already exists.
        """
        if meta.label in self.children:
            raise ValueError(f"Duplicate execution label {meta.label!r} in {self.label!r}.")
        self.children[meta.label] = meta

    @property
    def duration_seconds(self) -> float | None:
        """Seconds between start and end (None while running)."""
        return _seconds(self.started_at, self.ended_at)

    def flatten(self) -> dict[str, PhaseExecutionMeta]:
        """Every phase's metadata at any depth, in execution order."""
        flat: dict[str, PhaseExecutionMeta] = {}
        for child in self.children.values():
            flat.update(child.flatten())
        return flat
