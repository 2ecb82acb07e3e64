"""ExecutionContext: what one batch step saw and produced."""

from __future__ import annotations

from typing import Any


class Batch:
    """One head node's input batch: `features` and `targets` tensors (float32, on device).

    A batch built by the loop knows where it came from (the split tensors and the batch's
    row positions) and gathers on first use; `release()` drops the gathered copies, so a
    recorded context holds row positions, not a copy of every batch it saw.
    """

    __slots__ = ("_features", "_targets", "_source", "_key")

    def __init__(
        self, features: Any = None, targets: Any = None, *, source: Any = None, key: Any = None
    ) -> None:
        self._features = features
        self._targets = targets
        self._source = source  # (features, targets) of the whole split
        self._key = key

    def _gather(self, tensor: Any) -> Any:
        key = self._key
        return tensor[key] if isinstance(key, slice) else tensor.index_select(0, key)

    @property
    def features(self) -> Any:
        if self._features is None and self._source is not None:
            self._features = self._gather(self._source[0])
        return self._features

    @property
    def targets(self) -> Any:
        if self._targets is None and self._source is not None and self._source[1] is not None:
            self._targets = self._gather(self._source[1])
        return self._targets

    def release(self) -> None:
        """Forget gathered tensors that can be gathered again."""
        if self._source is not None:
            self._features = self._targets = None

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

    def release_inputs(self) -> None:
        """Keep the inputs' row positions only; `domain_data` gathers them again on demand."""
        for batch in self.inputs.values():
            batch.release()
