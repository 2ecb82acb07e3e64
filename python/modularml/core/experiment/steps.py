"""The three kinds of step: train (gradient), eval (no grad) and fit (closed form).

A step fills `exec_ctx.outputs` and returns the float value of every applied loss, read
from the device with one `.item()`/`.tolist()` per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from modularml.graph.loss import AppliedLoss


def active_order(graph: Any, active_nodes: Sequence[str] | None) -> list[str]:
    """Graph order restricted to the active nodes plus everything upstream of them."""
    if active_nodes is None:
        return list(graph.order)
    needed: set[str] = set()
    for label in active_nodes:
        node = graph.node(label)
        needed.add(label)
        while not node.is_head:
            needed.add(node.upstream)
            node = graph.node(node.upstream)
    return [label for label in graph.order if label in needed]


def node_links(graph: Any, order: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """node label -> (head node feeding it, upstream node or None); see ExecutionContext."""
    links = {}
    for label in order:
        node = graph.node(label)
        links[label] = (graph.head_of(label), None if node.is_head else node.upstream)
    return links


class GraphForward:
    """Runs the nodes in order, writing each output into `exec_ctx.outputs`.

    Nodes outside `trainable` run under `torch.no_grad()`, so they get no gradients and
    the optimizer leaves them as they are. `wrap` (e.g. DistributedDataParallel) is
    applied to the trainable nodes' models.
    """

    def __init__(
        self, graph: Any, order: Sequence[str], trainable: set[str] | None = None,
        wrap: Callable[[Any], Any] | None = None,
    ):
        self._plan: list[tuple[str, Callable[[Any], Any], str | None, bool]] = []
        for label in order:
            node = graph.node(label)
            if node.is_fittable:
                shape = graph.output_shapes[label]
                model: Callable[[Any], Any] = lambda x, n=node, s=shape: n.predict(x, s)  # noqa: E731
            else:
                model = node.model
            upstream = None if node.is_head else node.upstream
            grad = trainable is None or label in trainable
            if grad and wrap is not None and node.is_torch:
                model = wrap(model)
            self._plan.append((label, model, upstream, grad))

    def __call__(self, exec_ctx: Any) -> None:
        inputs, outputs = exec_ctx.inputs, exec_ctx.outputs
        for label, model, upstream, grad in self._plan:
            x = inputs[label].features if upstream is None else outputs[upstream]
            if grad:
                outputs[label] = model(x)
            else:
                with torch.no_grad():
                    outputs[label] = model(x)


def _floats(values: list[torch.Tensor]) -> list[float]:
    if not values:
        return []
    if len(values) == 1:
        return [values[0].item()]
    return torch.stack(values).tolist()


class TrainStep:
    """zero_grad -> forward -> losses -> backward of their sum -> optimizer step."""

    def __init__(self, forward: GraphForward, losses: Sequence[AppliedLoss], optimizer: Any):
        if optimizer is None or not optimizer.is_built:
            raise RuntimeError("Training needs a built ModelGraph with an Optimizer.")
        self._forward = forward
        self._compute = [loss.compute for loss in losses]
        self._zero_grad = optimizer.instance.zero_grad
        self._step = optimizer.instance.step

    def __call__(self, exec_ctx: Any) -> list[float]:
        self._zero_grad()
        self._forward(exec_ctx)
        if len(self._compute) == 1:
            total = self._compute[0](exec_ctx)
            total.backward()
            self._step()
            return [total.item()]
        stacked = torch.stack([compute(exec_ctx) for compute in self._compute])
        stacked.sum().backward()
        self._step()
        return stacked.detach().tolist()


class EvalStep:
    """Forward and losses under `torch.no_grad()`."""

    def __init__(self, forward: GraphForward, losses: Sequence[AppliedLoss]):
        self._forward = forward
        self._compute = [loss.compute for loss in losses]

    def __call__(self, exec_ctx: Any) -> list[float]:
        with torch.no_grad():
            self._forward(exec_ctx)
            return _floats([compute(exec_ctx) for compute in self._compute])


class FitStep:
    """Fit each unfrozen fittable active node on the whole split, then forward everything."""

    def __init__(
        self,
        graph: Any,
        order: Sequence[str],
        active: set[str],
        losses: Sequence[AppliedLoss],
        freeze_after_fit: bool,
    ):
        self._graph = graph
        self._order = list(order)
        self._active = active
        self._compute = [loss.compute for loss in losses]
        self._freeze_after_fit = freeze_after_fit

    def __call__(self, exec_ctx: Any) -> list[float]:
        graph, outputs = self._graph, exec_ctx.outputs
        with torch.no_grad():
            for label in self._order:
                node = graph.node(label)
                x = exec_ctx.domain_data(label, "features")
                if node.is_fittable:
                    if label in self._active and not node.is_frozen:
                        node.fit(x, exec_ctx.domain_data(label, "targets"))
                        if self._freeze_after_fit:
                            node.freeze()
                    outputs[label] = node.predict(x, graph.output_shapes[label])
                else:
                    outputs[label] = node.model(x)
            return _floats([compute(exec_ctx) for compute in self._compute])
