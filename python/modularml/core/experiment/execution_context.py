"""ExecutionContext: what one batch step saw and produced."""

from __future__ import annotations

from typing import Any


class Batch:
    """One head node's input batch: `features` and `targets` tensors (float32, on device)."""

    __slots__ = ("features", "targets")

    def __init__(self, features: Any, targets: Any) -> None:
        self.features = features
        self.targets = targets

    @property
    def batch_size(self) -> int:
        return len(self.features)

    def __repr__(self) -> str:
        return f"Batch(batch_size={self.batch_size})"


class ExecutionContext:
    """The data of one step: inputs of every head node, outputs of every node, and losses.

    Attributes:
        phase_label: label of the running phase.
        epoch_idx: zero-based epoch; None in EvalPhase and FitPhase (they have no epochs).
        batch_idx: zero-based batch index within the epoch.
        inputs: head node label -> `Batch` (features, targets) for this step.
        outputs: node label -> output tensor (detached once the step has run).
        losses: the step's `LossRecord`s (floats), or None before the step.
    """

    __slots__ = ("phase_label", "epoch_idx", "batch_idx", "inputs", "outputs", "losses", "_links")

    def __init__(
        self,
        phase_label: str,
        epoch_idx: int | None,
        batch_idx: int,
        inputs: dict[str, Batch],
        links: dict[str, tuple[str, str | None]] | None = None,
    ) -> None:
        self.phase_label = phase_label
        self.epoch_idx = epoch_idx
        self.batch_idx = batch_idx
        self.inputs = inputs
        self.outputs: dict[str, Any] = {}
        self.losses: list[Any] | None = None
        # node label -> (head node whose batch feeds it, upstream node label or None)
        self._links = links or {}

    def __repr__(self) -> str:
        return (
            f"ExecutionContext(phase_label={self.phase_label!r}, epoch_idx={self.epoch_idx}, "
            f"batch_idx={self.batch_idx})"
        )

    def domain_data(self, node_label: str, domain: str) -> Any:
        """A node's "outputs", "targets" (from its head batch) or "features" (its input)."""
        if domain == "outputs":
            return self.outputs[node_label]
        head, upstream = self._links.get(node_label, (node_label, None))
        if domain == "targets":
            return self.inputs[head].targets
        if domain == "features":
            return self.inputs[head].features if upstream is None else self.outputs[upstream]
        raise ValueError(f"Unknown domain {domain!r}; use 'outputs', 'targets' or 'features'.")

    def detach_outputs(self) -> None:
        """Drop the autograd graph from the outputs (what recorded contexts keep)."""
        outputs = self.outputs
        for label in outputs:
            outputs[label] = outputs[label].detach()
