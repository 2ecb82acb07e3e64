"""PhaseGroupResults: the results of a group of phases, in execution order."""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Any

from modularml.results.phase_kinds import EvalResults, TrainResults
from modularml.results.phase_results import PhaseResults

Child = Any  # PhaseResults | PhaseGroupResults


class PhaseGroupResults:
    """Ordered results of the phases and sub-groups of one group.

    Args:
        label: The group's label.
        results: Children in execution order (each has a unique ``label``).
    """

    def __init__(self, label: str, results: list[Child] | None = None) -> None:
        self.label = label
        self._results: dict[str, Child] = {}
        for child in results or []:
            self.add_result(child)

    def add_result(self, result: Child) -> None:
        """Append one child.

        Raises:
            TypeError: Not a PhaseResults or PhaseGroupResults.
            ValueError: A child with that label already exists.
        """
        if not isinstance(result, (PhaseResults, PhaseGroupResults)):
            raise TypeError(
                f"Expected PhaseResults or PhaseGroupResults, got {type(result).__name__}."
            )
        if result.label in self._results:
            raise ValueError(
                f"A result with label {result.label!r} already exists in {self.label!r}."
            )
        self._results[result.label] = result

    @property
    def labels(self) -> list[str]:
        """Child labels in execution order."""
        return list(self._results)

    @property
    def phase_results(self) -> dict[str, PhaseResults]:
        """Top-level phase children."""
        return {k: v for k, v in self._results.items() if isinstance(v, PhaseResults)}

    @property
    def group_results(self) -> dict[str, PhaseGroupResults]:
        """Top-level group children."""
        return {k: v for k, v in self._results.items() if isinstance(v, PhaseGroupResults)}

    def __getitem__(self, label: str) -> Child:
        if label not in self._results:
            raise KeyError(f"No result {label!r}; available: {self.labels}")
        return self._results[label]

    def __contains__(self, label: object) -> bool:
        return label in self._results

    def __len__(self) -> int:
        return len(self._results)

    def items(self) -> ItemsView[str, Child]:
        """``(label, child)`` pairs in execution order."""
        return self._results.items()

    def _single(self, label: str | None, kind: type) -> Any:
        if label is not None:
            if label not in self._results:
                raise ValueError(f"No phase exists with label {label!r}; available: {self.labels}")
            found = self._results[label]
            if not isinstance(found, kind):
                raise TypeError(f"{label!r} is a {type(found).__name__}, not a {kind.__name__}.")
            return found
        matches = [v for v in self._results.values() if isinstance(v, kind)]
        if len(matches) != 1:
            raise ValueError(
                f"Expected exactly one {kind.__name__} in {self.label!r}, found {len(matches)}; "
                "pass a label."
            )
        return matches[0]

    def get_phase_result(self, label: str) -> PhaseResults:
        """The phase child ``label`` (TypeError if it is a group)."""
        return self._single(label, PhaseResults)

    def get_train_result(self, label: str | None = None) -> TrainResults:
        """The TrainResults child ``label``, or the only one when no label is given."""
        return self._single(label, TrainResults)

    def get_eval_result(self, label: str | None = None) -> EvalResults:
        """The EvalResults child ``label``, or the only one when no label is given."""
        return self._single(label, EvalResults)

    def get_group_result(self, label: str | None = None) -> PhaseGroupResults:
        """The group child ``label``, or the only one when no label is given."""
        return self._single(label, PhaseGroupResults)

    def flatten(self) -> dict[str, PhaseResults]:
        """Every phase result at any depth, in execution order.

        Raises:
            ValueError: Two phases at different depths share a label.
        """
        flat: dict[str, PhaseResults] = {}
        for child in self._results.values():
            nested = (
                child.flatten() if isinstance(child, PhaseGroupResults) else {child.label: child}
            )
            for label, result in nested.items():
                if label in flat:
                    raise ValueError(f"Duplicate phase label {label!r} in {self.label!r}.")
                flat[label] = result
        return flat

    def to_polars(self) -> Any:
        """Every phase's scalar records in one frame, with a leading ``phase`` column.

        The other columns are those of `PhaseResults.to_polars`; phases come in
        execution order.
        """
        import polars as pl

        from modularml.results._tidy import COLUMNS, empty_frame

        frames = [
            result.to_polars().select(pl.lit(label).alias("phase"), *COLUMNS)
            for label, result in self.flatten().items()
        ]
        if not frames:
            return empty_frame().select(pl.lit(None, dtype=pl.String).alias("phase"), *COLUMNS)
        return pl.concat(frames, how="vertical")

    def __repr__(self) -> str:
        children = ", ".join(f"{k!r}: {type(v).__name__}" for k, v in self._results.items())
        return f"PhaseGroupResults(label={self.label!r}, results={{{children}}})"

    def plot(self, metrics: Any = None, **options: Any) -> Any:
        """Metric curves as a matplotlib Figure (see `modularml.viz.plot_results`)."""
        from modularml.viz.plotting import plot_results

        return plot_results(self, metrics, **options)

    def _repr_html_(self) -> str:
        from modularml.viz.html import results_html

        return results_html(self)
