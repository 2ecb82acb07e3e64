"""ModelGraph: model nodes in topological order, lazy shape inference, one global optimizer."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch

from modularml.graph.model_node import ModelNode
from modularml.graph.optimizer import Optimizer
from modularml.models.torch.shapes import normalize_shape


def _topological_order(nodes: dict[str, ModelNode]) -> list[str]:
    """Kahn's algorithm over the node labels; `ValueError` on a cycle or a missing upstream."""
    for node in nodes.values():
        if not node.is_head and node.upstream not in nodes:
            raise KeyError(f"Node {node.label!r} reads {node.upstream!r}, which is not in the graph.")
    pending = {label: (0 if n.is_head else 1) for label, n in nodes.items()}
    ready = [label for label, deg in pending.items() if deg == 0]
    order: list[str] = []
    while ready:
        label = ready.pop(0)
        order.append(label)
        for child, node in nodes.items():
            if not node.is_head and node.upstream == label:
                ready.append(child)
    if len(order) != len(nodes):
        raise ValueError(f"The graph has a cycle among {sorted(set(nodes) - set(order))}.")
    return order


class ModelGraph:
    """Nodes wired by their upstream references, built and trained together.

    Args:
        label: graph label.
        nodes: ModelNodes (or their labels), in any order; they are run in topological order.
        optimizer: the Optimizer over every torch node's parameters (needed to train).
    """

    def __init__(
        self,
        label: str = "model-graph",
        nodes: Sequence[ModelNode | str] | None = None,
        optimizer: Optimizer | None = None,
    ) -> None:
        from modularml.core.experiment.context import ExperimentContext

        ctx = ExperimentContext.get_active()
        given = nodes if nodes is not None else [
            n for n in ctx.available_nodes.values() if isinstance(n, ModelNode)
        ]
        resolved = [ctx.get_node(n) if isinstance(n, str) else n for n in given]
        for n in resolved:
            if not isinstance(n, ModelNode):
                raise TypeError(f"ModelGraph nodes must be ModelNodes, got {n!r}.")
        self.label = label
        self._nodes = {n.label: n for n in resolved}
        self.order = _topological_order(self._nodes)
        self.optimizer = optimizer
        self._device = torch.device("cpu")
        self._built = False
        self.output_shapes: dict[str, tuple] = {}
        self.target_shapes: dict[str, tuple] = {}
        ctx.register_model_graph(self)

    def __repr__(self) -> str:
        opt = type(self.optimizer).__name__ if self.optimizer is not None else None
        return (
            f"ModelGraph(label={self.label!r}, nodes={len(self._nodes)}, built={self._built}, "
            f"optimizer={opt})"
        )

    # -- structure ---------------------------------------------------------------------
    @property
    def nodes(self) -> dict[str, ModelNode]:
        return dict(self._nodes)

    @property
    def node_labels(self) -> list[str]:
        return list(self.order)

    def node(self, label: str) -> ModelNode:
        try:
            return self._nodes[label]
        except KeyError:
            raise KeyError(f"Graph {self.label!r} has no node {label!r}.") from None

    @property
    def head_nodes(self) -> list[ModelNode]:
        return [self._nodes[lb] for lb in self.order if self._nodes[lb].is_head]

    @property
    def tail_nodes(self) -> list[ModelNode]:
        feeding = {n.upstream for n in self._nodes.values() if not n.is_head}
        return [self._nodes[lb] for lb in self.order if lb not in feeding]

    def head_of(self, label: str) -> str:
        """The head node whose FeatureSet batch feeds `label` (targets flow from there)."""
        node = self._nodes[label]
        while not node.is_head:
            node = self._nodes[node.upstream]  # type: ignore[index]
        return node.label

    @property
    def is_built(self) -> bool:
        return self._built

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, device: str | torch.device) -> ModelGraph:
        """Move every torch node (and later-built layers) to `device`."""
        self._device = torch.device(device)
        for node in self._nodes.values():
            if node.is_torch:
                node.model.to(self._device)
        return self

    # -- build ---------------------------------------------------------------------------
    def build(self, *, force: bool = False) -> ModelGraph:
        """Infer every node's shapes from its upstream data, build the models and optimizer.

        A head node's input shape is its FeatureSet feature stack `(n_columns, *shape)`; a
        tail node's output shape is its target stack shape padded to two dims (`(1,)` ->
        `(1, 1)`); other nodes keep their own output shape (or one found by a dummy forward).
        """
        if self._built and not force:
            return self
        tails = {n.label for n in self.tail_nodes}
        for label in self.order:
            self._build_node(self._nodes[label], label in tails, force)
        self.to(self._device)
        if self.optimizer is not None:
            self.optimizer.build(self.parameters())
        self._built = True
        return self

    def _upstream_shapes(self, node: ModelNode) -> tuple[tuple, tuple]:
        if not node.is_head:
            return self.output_shapes[node.upstream], self.target_shapes[node.upstream]  # type: ignore[index]
        fs = node.upstream.resolve()  # type: ignore[union-attr]
        cols = fs.columns
        ref = node.upstream

        def stack_shape(names: tuple) -> tuple:
            return (len(names), *cols[names[0]].shape[1:]) if names else ()

        return stack_shape(ref.features), stack_shape(ref.targets)  # type: ignore[union-attr]

    def _build_node(self, node: ModelNode, is_tail: bool, force: bool) -> None:
        in_shape, target_shape = self._upstream_shapes(node)
        out_shape = normalize_shape(target_shape) if is_tail else None
        model = node.model
        if hasattr(model, "build") and node.is_torch:
            model.build(input_shape=in_shape, output_shape=out_shape, force=force)
        if node.is_torch and getattr(model, "output_shape", None) is not None:
            out_shape = tuple(model.output_shape)
        elif node.is_torch:
            model.to(self._device)
            with torch.no_grad():
                probe = model(torch.zeros(2, *in_shape, device=self._device))
            out_shape = tuple(probe.shape[1:])
        self.output_shapes[node.label] = out_shape or normalize_shape(target_shape)  # type: ignore[assignment]
        self.target_shapes[node.label] = target_shape

    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for label in self.order for p in self._nodes[label].parameters()]

    # -- freezing ----------------------------------------------------------------------
    def freeze(self, nodes: Sequence[str] | None = None) -> None:
        for label in nodes or self.order:
            self.node(label).freeze()

    def unfreeze(self, nodes: Sequence[str] | None = None) -> None:
        for label in nodes or self.order:
            self.node(label).unfreeze()

    @property
    def frozen_nodes(self) -> list[str]:
        return [lb for lb in self.order if self._nodes[lb].is_frozen]

    def reset_state(self) -> None:
        """Re-initialize weights, unfreeze every node and rebuild the optimizer (fresh state)."""
        for node in self._nodes.values():
            node.reset_weights()
        if self._built and self.optimizer is not None:
            self.optimizer.build(self.parameters())

    # -- snapshots (preview_phase) ----------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Copies of the model weights, train/eval modes, frozen flags and optimizer state."""
        models = {}
        for label, node in self._nodes.items():
            if node.is_torch:
                state = {k: v.detach().clone() for k, v in node.model.state_dict().items()}
                modes = [m.training for m in node.model.modules()]
                models[label] = (state, modes, node.is_frozen)
            else:
                models[label] = (copy.deepcopy(node.model), None, node.is_frozen)
        opt = None
        if self.optimizer is not None and self.optimizer.is_built:
            opt = copy.deepcopy(self.optimizer.state_dict())
        return {"models": models, "optimizer": opt, "built": self._built}

    def restore(self, snap: dict[str, Any]) -> None:
        """Put back what `snapshot()` copied."""
        for label, (state, modes, frozen) in snap["models"].items():
            node = self._nodes[label]
            if modes is None:
                node.model = state
            else:
                node.model.load_state_dict(state)
                for module, mode in zip(node.model.modules(), modes, strict=False):
                    module.training = mode
            node._set_frozen(frozen)
        if snap["optimizer"] is not None:
            self.optimizer.load_state_dict(snap["optimizer"])  # type: ignore[union-attr]
