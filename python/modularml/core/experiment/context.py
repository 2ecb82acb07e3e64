"""The active experiment context: where FeatureSets, model nodes and the model graph live.

There is no global context built at import. The active context is held in a
`contextvars.ContextVar`; the first call to `ExperimentContext.get_active()` creates one
lazily, so nodes can be created before any `Experiment` exists (the seed's order).
"""

from __future__ import annotations

import contextvars
import os
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ACTIVE: contextvars.ContextVar[ExperimentContext | None] = contextvars.ContextVar(
    "modularml_active_experiment_context", default=None
)

POLICIES = ("error", "overwrite", "overwrite_warn", "no_register")


class EmptyExperimentContextError(RuntimeError):
    """Raised when an operation needs an active context and none can be used."""


class NodeNotFoundError(KeyError):
    """Raised when a label names no node of the active context."""


def _default_policy() -> str:
    env = os.environ.get("MODULARML_EXP_REGISTRATION_POLICY")
    if env:
        return normalize_policy(env)
    try:  # notebooks re-run cells, so a duplicate label there replaces the old node
        get_ipython  # type: ignore[name-defined]  # noqa: B018
    except NameError:
        return "error"
    return "overwrite_warn"


def normalize_policy(policy: str | None) -> str:
    """Return the canonical registration policy name (case-insensitive)."""
    if policy is None:
        return _default_policy()
    name = str(getattr(policy, "value", policy)).lower()
    if name not in POLICIES:
        raise ValueError(f"Unknown registration policy {policy!r}; expected one of {POLICIES}.")
    return name


class ExperimentContext:
    """Nodes by label, at most one model graph, and (weakly) the experiment that owns them.

    Args:
        registration_policy: what happens when a label is registered twice: "error"
            (default in scripts), "overwrite", "overwrite_warn" (default in notebooks) or
            "no_register".
    """

    def __init__(self, registration_policy: str | None = None) -> None:
        self._nodes: dict[str, Any] = {}
        self._model_graph: Any = None
        self._experiment: weakref.ReferenceType[Any] | None = None
        self.registration_policy = normalize_policy(registration_policy)

    # -- activation -------------------------------------------------------------------
    @classmethod
    def get_active(cls) -> ExperimentContext:
        """Return the active context, creating (and activating) an empty one if none is."""
        ctx = _ACTIVE.get()
        if ctx is None:
            ctx = cls()
            _ACTIVE.set(ctx)
        return ctx

    def make_active(self) -> None:
        """Make this context the active one (used by `Experiment`)."""
        _ACTIVE.set(self)

    @contextmanager
    def activate(self) -> Iterator[ExperimentContext]:
        """Make this context active inside a `with` block, restoring the previous one after."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    # -- experiment ownership -----------------------------------------------------------
    @property
    def experiment(self) -> Any:
        """The Experiment bound to this context, or None."""
        return self._experiment() if self._experiment is not None else None

    def bind_experiment(self, experiment: Any) -> None:
        self._experiment = weakref.ref(experiment)

    # -- nodes -----------------------------------------------------------------------
    def register(self, node: Any) -> None:
        """Register a FeatureSet or graph node under its label, following the policy."""
        if self.registration_policy == "no_register":
            return
        old = self._nodes.get(node.label)
        if old is not None and old is not node:
            if self.registration_policy == "error":
                raise ValueError(
                    f"A node labelled {node.label!r} is already registered in the active "
                    "context (registration_policy='error'). Use another label or "
                    "registration_policy='overwrite'."
                )
            if self.registration_policy == "overwrite_warn":
                warnings.warn(f"Replacing registered node {node.label!r}.", stacklevel=3)
        self._nodes[node.label] = node

    def has_node(self, label: str) -> bool:
        return label in self._nodes

    def get_node(self, label: str) -> Any:
        """Return the node registered under `label` (`NodeNotFoundError` if none)."""
        try:
            return self._nodes[label]
        except KeyError:
            raise NodeNotFoundError(
                f"No node labelled {label!r} in the active context; known: {sorted(self._nodes)}"
            ) from None

    @property
    def available_nodes(self) -> dict[str, Any]:
        return dict(self._nodes)

    # -- model graph -------------------------------------------------------------------
    @property
    def model_graph(self) -> Any:
        return self._model_graph

    def register_model_graph(self, graph: Any) -> None:
        if self.registration_policy == "no_register":
            return
        if self._model_graph is not None and self._model_graph is not graph:
            if self.registration_policy == "error":
                raise ValueError(
                    f"The active context already has model graph {self._model_graph.label!r}."
                )
            if self.registration_policy == "overwrite_warn":
                warnings.warn(f"Replacing model graph {self._model_graph.label!r}.", stacklevel=3)
        self._model_graph = graph

    def require_model_graph(self) -> Any:
        if self._model_graph is None:
            raise RuntimeError("No ModelGraph is registered in the active context.")
        return self._model_graph
