"""ModelNode: one model in the graph, fed by a FeatureSet reference or another node."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from modularml.data.reference import FeatureSetReference


class ModelNode:
    """A labelled model wired to one upstream source.

    Args:
        label: unique node label (node identity in results).
        model: any `torch.nn.Module` (built-in models infer their shapes at
            `ModelGraph.build()`), or an object with `fit(X, y)` and `predict(X)` for
            `FitPhase` (it receives numpy arrays flattened to `(n_samples, -1)`).
        upstream_ref: a `FeatureSetReference`, a FeatureSet (all its columns), or the
            upstream ModelNode (or its label).
    """

    def __init__(self, label: str, model: Any, upstream_ref: Any) -> None:
        from modularml.core.experiment.context import ExperimentContext

        self._label = label
        self.model = model
        self.upstream = self._normalize_upstream(upstream_ref)
        self._frozen = False
        ExperimentContext.get_active().register(self)

    @staticmethod
    def _normalize_upstream(ref: Any) -> FeatureSetReference | str:
        if isinstance(ref, (FeatureSetReference, str)):
            return ref
        if isinstance(ref, ModelNode):
            return ref.label
        if hasattr(ref, "reference") and hasattr(ref, "available_splits"):  # a FeatureSet
            return ref.reference()
        raise TypeError(f"upstream_ref must be a FeatureSetReference or a node, got {ref!r}.")

    @property
    def label(self) -> str:
        return self._label

    def __repr__(self) -> str:
        up = self.upstream.node_label if self.is_head else self.upstream
        return f"ModelNode(label={self._label!r}, upstream={up!r}, model={type(self.model).__name__})"

    def __str__(self) -> str:
        return f"ModelNode({self._label!r})"

    @property
    def is_head(self) -> bool:
        """True when the node reads a FeatureSet directly."""
        return isinstance(self.upstream, FeatureSetReference)

    @property
    def is_torch(self) -> bool:
        return isinstance(self.model, torch.nn.Module)

    @property
    def is_fittable(self) -> bool:
        """True for closed-form models trained by `FitPhase` (they have `fit` and `predict`)."""
        return not self.is_torch and hasattr(self.model, "fit") and hasattr(self.model, "predict")

    @property
    def input_shape(self) -> tuple | None:
        return getattr(self.model, "input_shape", None)

    @property
    def output_shape(self) -> tuple | None:
        return getattr(self.model, "output_shape", None)

    @property
    def is_built(self) -> bool:
        return bool(getattr(self.model, "is_built", True))

    # -- freezing ------------------------------------------------------------------------
    @property
    def is_frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        """Stop training this node: its parameters no longer receive gradients."""
        self._set_frozen(True)

    def unfreeze(self) -> None:
        self._set_frozen(False)

    def _set_frozen(self, frozen: bool) -> None:
        self._frozen = frozen
        if self.is_torch:
            for p in self.model.parameters():
                p.requires_grad_(not frozen)

    def parameters(self) -> list[torch.nn.Parameter]:
        return list(self.model.parameters()) if self.is_torch else []

    def reset_weights(self) -> None:
        """Re-initialize every submodule that can reset itself, and unfreeze."""
        if self.is_torch:
            for module in self.model.modules():
                if module is not self.model and hasattr(module, "reset_parameters"):
                    module.reset_parameters()
        self.unfreeze()

    # -- closed-form fitting ---------------------------------------------------------------
    def fit(self, features: torch.Tensor, targets: torch.Tensor) -> None:
        """Fit a closed-form model on the whole split (numpy, flattened to 2-d)."""
        x = features.detach().cpu().numpy().reshape(len(features), -1)
        y = targets.detach().cpu().numpy().reshape(len(targets), -1)
        self.model.fit(x, y)

    def predict(self, features: torch.Tensor, output_shape: tuple) -> torch.Tensor:
        x = features.detach().cpu().numpy().reshape(len(features), -1)
        out = np.asarray(self.model.predict(x), dtype=np.float32)
        return torch.from_numpy(out).to(features.device).reshape(len(features), *output_shape)
