"""Loss (a torch loss by name or a callable) and AppliedLoss (a loss wired to a node)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

DOMAIN_NAMES = ("outputs", "targets", "features")


def _torch_losses() -> dict[str, type]:
    table: dict[str, type] = {}
    for name, cls in vars(torch.nn).items():
        if isinstance(cls, type) and issubclass(cls, torch.nn.Module) and name.endswith("Loss"):
            table[name.lower()] = cls
            table[name.lower().replace("loss", "")] = cls  # "mse" -> MSELoss
    return table


class Loss:
    """A loss function: a `torch.nn` loss by name ("mse" -> MSELoss), a class, or a callable.

    Built-in losses are created with `reduction` ("mean" by default) and extra
    `loss_kwargs`. A callable may return per-element values or a scalar; `AppliedLoss`
    averages non-scalar results (a scalar is used as is, fixing the reference's
    B-times-too-large value for scalar callables).

    Args:
        loss: loss name, `torch.nn` loss class, or callable `(prediction, target) -> Tensor`.
        loss_kwargs: keyword arguments for the loss class (or bound to the callable).
        backend: "torch" (the only backend supported; required with a name).
        reduction: reduction passed to built-in loss classes.
    """

    def __init__(
        self,
        loss: str | type | Callable[..., Any] | None = None,
        *,
        loss_kwargs: dict[str, Any] | None = None,
        backend: str | None = None,
        reduction: str = "mean",
    ) -> None:
        if loss is None:
            raise ValueError("Loss needs `loss` (a torch.nn loss name, class or callable).")
        if backend is not None and str(backend).lower() not in ("torch", "pytorch"):
            raise ValueError(f"Unsupported loss backend {backend!r}; only 'torch'.")
        self.kwargs = dict(loss_kwargs or {})
        self.reduction = reduction
        self.backend = "torch"
        self.spec = loss
        if isinstance(loss, str):
            if backend is None:
                raise ValueError("Loss given by name needs backend='torch'.")
            table = _torch_losses()
            if loss.lower() not in table:
                raise ValueError(f"Unknown torch loss {loss!r}; available: {sorted(table)}")
            self.name, self._cls = loss.lower(), table[loss.lower()]
        elif isinstance(loss, type):
            self.name, self._cls = loss.__name__.lower(), loss
        elif callable(loss):
            self.name = getattr(loss, "__name__", type(loss).__name__).lower()
            self._cls = None
        else:
            raise TypeError(f"`loss` must be a name, a class or a callable, got {loss!r}.")
        self._fn: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"Loss(name={self.name}, backend=Backend.{self.backend.upper()})"

    def build(self) -> Callable[..., Any]:
        """The callable that computes the loss (created on first use)."""
        if self._fn is None:
            if self._cls is not None:
                takes_reduction = "reduction" in inspect.signature(self._cls).parameters
                extra = {"reduction": self.reduction} if takes_reduction else {}
                self._fn = self._cls(**extra, **self.kwargs)
            elif self.kwargs:
                fn, kw = self.spec, self.kwargs
                self._fn = lambda *a, **k: fn(*a, **kw, **k)  # type: ignore[operator]
            else:
                self._fn = self.spec  # type: ignore[assignment]
        return self._fn  # type: ignore[return-value]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.build()(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"loss": self.spec, "loss_kwargs": dict(self.kwargs), "backend": self.backend,
                "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


def _parse_spec(spec: str, on: str) -> tuple[str, str]:
    """`"outputs"` -> (on, "outputs"); `"Encoder.outputs"` -> ("Encoder", "outputs")."""
    node, _, domain = spec.rpartition(".")
    if domain not in DOMAIN_NAMES:
        raise ValueError(f"Loss input {spec!r} must end with one of {DOMAIN_NAMES}.")
    return (node or on), domain


class AppliedLoss:
    """A Loss applied to a node's data each step: `weight * mean(loss(*inputs))`.

    Args:
        loss: the Loss.
        on: the ModelNode (or its label) the loss is attached to.
        inputs: a list (passed positionally, in order) or a dict (passed as keyword
            arguments) of specs: "outputs", "targets", "features", or "<node>.<domain>".
        weight: multiplier applied to the loss value.
        label: unique label within a phase; defaults to the loss name.
    """

    def __init__(
        self,
        loss: Loss,
        on: Any,
        inputs: Sequence[str] | Mapping[str, str] = ("outputs", "targets"),
        *,
        weight: float = 1.0,
        label: str | None = None,
    ) -> None:
        if not isinstance(loss, Loss):
            raise TypeError(f"AppliedLoss needs a Loss, got {type(loss).__name__}.")
        self.loss = loss
        self.node_label = self._resolve_node(on)
        if isinstance(inputs, Mapping):
            self.inputs = {str(k): v for k, v in inputs.items()}
            self._keywords = True
        elif isinstance(inputs, Sequence) and not isinstance(inputs, str):
            self.inputs = {str(i): v for i, v in enumerate(inputs)}
            self._keywords = False
        else:
            raise TypeError("`inputs` must be a list or a dict of input specs.")
        self._specs = [(k, *_parse_spec(v, self.node_label)) for k, v in self.inputs.items()]
        self.weight = float(weight)
        self.label = label or loss.name
        self._fn: Any = None

    @staticmethod
    def _resolve_node(on: Any) -> str:
        from modularml.core.experiment.context import ExperimentContext

        label = on if isinstance(on, str) else getattr(on, "label", None)
        if label is None:
            raise TypeError(f"`on` must be a ModelNode or a node label, got {on!r}.")
        ExperimentContext.get_active().get_node(label)  # fail early on an unknown node
        return label

    def __repr__(self) -> str:
        return (
            f"AppliedLoss(label={self.label!r}, loss={self.loss.name!r}, inputs={self.inputs}, "
            f"weight={self.weight})"
        )

    def compute(self, exec_ctx: Any) -> torch.Tensor:
        """The weighted loss value (a 0-d tensor) for one step's execution context.

        Inputs of a lower rank than the first are viewed with its shape (singleton axes
        inserted: `(B, 1)` targets against `(B, 1, 1)` outputs); element counts must match.
        """
        fn = self._fn or self._bind()
        first = None
        values = []
        for _, node, domain in self._specs:
            v = exec_ctx.domain_data(node, domain)
            if first is None:
                first = v
            elif v.dim() != first.dim():
                v = v.view_as(first) if v.is_contiguous() else v.reshape(first.shape)
            values.append(v)
        if self._keywords:
            raw = fn(**{key: v for (key, _, _), v in zip(self._specs, values, strict=True)})
        else:
            raw = fn(*values)
        if raw.dim() != 0:
            raw = raw.mean()
        return raw if self.weight == 1.0 else raw * self.weight

    def _bind(self) -> Any:
        fn = self.loss.build()
        if isinstance(fn, torch.nn.Module) and not (fn._forward_hooks or fn._forward_pre_hooks):
            fn = fn.forward  # a hook-free loss module: skip Module.__call__ on the hot path
        self._fn = fn
        return fn

    def get_config(self) -> dict[str, Any]:
        return {"loss": self.loss.get_config(), "on": self.node_label, "inputs": dict(self.inputs),
                "weight": self.weight, "label": self.label}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AppliedLoss:
        """Rebuild from `get_config()` (the node is looked up in the active context)."""
        inputs = config["inputs"]
        if all(k.isdigit() for k in inputs):  # positional specs were stored as {"0": ...}
            inputs = [inputs[k] for k in sorted(inputs, key=int)]
        return cls(Loss.from_config(config["loss"]), on=config["on"], inputs=inputs,
                   weight=config["weight"], label=config["label"])
