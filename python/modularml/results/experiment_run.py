"""ExperimentRun: one entry of an experiment's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modularml.results.group_results import PhaseGroupResults


@dataclass
class ExperimentRun:
    """One run of a phase or group, with its results.

    Attributes:
        label: The run's label.
        status: ``"completed"``, ``"failed"`` or ``"stopped"``.
        started_at: Start time.
        ended_at: End time (None while running).
        results: A PhaseResults or PhaseGroupResults.
        execution_meta: A PhaseExecutionMeta or PhaseGroupExecutionMeta, if any.
        metadata: Free-form extra information.
    """

    label: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    results: Any
    execution_meta: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a group wrapping a single group is shown as that group
        results = self.results
        if isinstance(results, PhaseGroupResults) and len(results) == 1:
            (only,) = [child for _, child in results.items()]
            if isinstance(only, PhaseGroupResults):
                self.results = only

    @property
    def duration_seconds(self) -> float | None:
        """Seconds between start and end (None while running)."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def phase_durations(self) -> dict[str, float | None]:
        """``{phase label: seconds}`` from the execution metadata (empty without it)."""
        if self.execution_meta is None:
            return {}
        return {k: meta.duration_seconds for k, meta in self.execution_meta.flatten().items()}

    def __repr__(self) -> str:
        return (
            f"ExperimentRun(label={self.label!r}, duration={self.duration_seconds}, "
            f"status={self.status!r}, results={self.results!r})"
        )

    def plot(self, metrics: Any = None, **options: Any) -> Any:
        """This run's metric curves as a matplotlib Figure (see `modularml.viz.plot_runs`)."""
        from modularml.viz.plotting import plot_runs

        return plot_runs([self], metrics, **options)

    def _repr_html_(self) -> str:
        from modularml.viz.html import run_html

        return run_html(self)
