"""Optimizer: a torch optimizer described by name (or class), built over the graph's parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


def _torch_optimizers() -> dict[str, type]:
    return {
        name.lower(): cls
        for name, cls in vars(torch.optim).items()
        if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)
        and cls is not torch.optim.Optimizer
    }


def _torch_schedulers() -> dict[str, type]:
    sched = torch.optim.lr_scheduler
    return {
        name.lower(): cls
        for name, cls in vars(sched).items()
        if isinstance(cls, type) and issubclass(cls, sched.LRScheduler)
        and cls is not sched.LRScheduler
    }


class Optimizer:
    """A torch optimizer, built later over the parameters of the graph's nodes.

    Args:
        opt: a `torch.optim` class name (case-insensitive, e.g. "adam") or class.
        opt_kwargs: keyword arguments for the optimizer (e.g. `{"lr": 1e-3}`).
        backend: "torch" (required with a name; the only backend supported).
        scheduler: optional learning-rate scheduler, stepped once per training epoch: a
            `torch.optim.lr_scheduler` class name or class, or a callable that takes the
            built torch optimizer and returns a scheduler.
        scheduler_kwargs: keyword arguments for a scheduler given by name or class.
    """

    def __init__(
        self,
        opt: str | type | None = None,
        *,
        opt_kwargs: dict[str, Any] | None = None,
        backend: str | None = None,
        scheduler: str | type | Callable[[Any], Any] | None = None,
        scheduler_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if opt is None:
            raise ValueError("Optimizer needs `opt` (a torch.optim name or class).")
        if isinstance(opt, str):
            if backend is None:
                raise ValueError("Optimizer given by name needs backend='torch'.")
            table = _torch_optimizers()
            if opt.lower() not in table:
                raise ValueError(f"Unknown torch optimizer {opt!r}; available: {sorted(table)}")
            self.name, self.cls = opt.lower(), table[opt.lower()]
        elif isinstance(opt, type) and issubclass(opt, torch.optim.Optimizer):
            self.name, self.cls = opt.__name__.lower(), opt
        else:
            raise TypeError(f"`opt` must be a torch.optim name or class, got {opt!r}.")
        if backend is not None and str(backend).lower() not in ("torch", "pytorch"):
            raise ValueError(f"Unsupported optimizer backend {backend!r}; only 'torch'.")
        self.backend = "torch"
        self.kwargs: dict[str, Any] = dict(opt_kwargs or {})
        self.scheduler_spec = scheduler
        self.scheduler_kwargs = dict(scheduler_kwargs or {})
        self.instance: torch.optim.Optimizer | None = None
        self.scheduler: Any = None

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"Optimizer({self.name!r}{args})"

    @property
    def is_built(self) -> bool:
        return self.instance is not None

    def build(self, parameters: Iterable[torch.nn.Parameter]) -> None:
        """(Re)create the torch optimizer (fresh state) and its scheduler."""
        self.instance = self.cls(list(parameters), **self.kwargs)
        self.scheduler = self._make_scheduler(self.instance)

    def _make_scheduler(self, instance: torch.optim.Optimizer) -> Any:
        spec = self.scheduler_spec
        if spec is None:
            return None
        if isinstance(spec, str):
            table = _torch_schedulers()
            if spec.lower() not in table:
                raise ValueError(f"Unknown lr scheduler {spec!r}; available: {sorted(table)}")
            return table[spec.lower()](instance, **self.scheduler_kwargs)
        if isinstance(spec, type):
            return spec(instance, **self.scheduler_kwargs)
        return spec(instance)

    def _require(self) -> torch.optim.Optimizer:
        if self.instance is None:
            raise RuntimeError("The optimizer is not built yet: call ModelGraph.build().")
        return self.instance

    def zero_grad(self) -> None:
        self._require().zero_grad(set_to_none=True)

    def step(self) -> None:
        self._require().step()

    def epoch_end(self) -> None:
        """Advance the learning-rate scheduler, if any (once per training epoch)."""
        if self.scheduler is not None:
            self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        state = {"optimizer": self._require().state_dict()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._require().load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])

    def get_config(self) -> dict[str, Any]:
        return {"opt": self.name, "opt_kwargs": dict(self.kwargs), "backend": self.backend}
