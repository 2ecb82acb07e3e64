"""The one hook dispatcher: calls overridden hooks in order, scopes and stores what they return."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from modularml.core.experiment.callbacks.callback import HOOKS, Callback
from modularml.distributed.ranks import runs_on_this_rank

# phase hooks that receive the batch's ExecutionContext
CONTEXT_HOOKS = frozenset(
    {"on_epoch_start", "on_epoch_end", "on_batch_start", "on_batch_end", "on_exception"}
)


def overrides(callback: Any, hook: str, base: type = Callback) -> bool:
    """True when the callback's class defines `hook` other than as the base no-op."""
    return getattr(type(callback), hook) is not getattr(base, hook)


def hook_keywords(base: type, hook: str) -> list[str]:
    """The keyword arguments the dispatcher passes to `hook`: those of the base no-op."""
    params = inspect.signature(getattr(base, hook)).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def check_hook_signature(callback: Any, hook: str, base: type = Callback) -> None:
    """Raise TypeError now if the overridden `hook` cannot take the documented keywords.

    Checked once when a dispatcher is built (phase or experiment start), so a wrong
    signature fails before the first batch, naming the callback, hook and expected form.
    """
    keywords = hook_keywords(base, hook)
    try:
        signature = inspect.signature(getattr(callback, hook))
    except (TypeError, ValueError):  # not introspectable (C callable): trust it
        return
    try:
        signature.bind(**dict.fromkeys(keywords))
    except TypeError as err:
        expected = ", ".join(f"{name}" for name in keywords)
        raise TypeError(
            f"callback {callback.label!r} ({type(callback).__name__}).{hook}{signature} "
            f"cannot be called as the dispatcher calls it: {err}. Expected "
            f"def {hook}(self, *, {expected}) (keyword arguments; **kwargs also works)."
        ) from None


def sort_callbacks(callbacks: Sequence[Any], base: type = Callback) -> list[Any]:
    """Validate types and unique labels; order by `execution_order` (stable)."""
    for cb in callbacks:
        if not isinstance(cb, base):
            raise TypeError(
                f"Callbacks must be {base.__name__} instances, got {type(cb).__name__}."
            )
    labels = [cb.label for cb in callbacks]
    dupes = sorted({lb for lb in labels if labels.count(lb) > 1})
    if dupes:
        raise ValueError(
            f"Multiple Callbacks have the same label: {dupes}; labels key the results, so "
            f"each callback of a phase needs a distinct label= (default: its class name)."
        )
    return sorted(callbacks, key=lambda cb: cb.execution_order)


def _scope(hook: str, exec_ctx: Any) -> tuple[int | None, int | None, str | None]:
    """(epoch_idx, batch_idx, edge) a hook's result is stored under."""
    edge = "start" if hook.endswith("_start") else ("end" if hook.endswith("_end") else None)
    if exec_ctx is None or hook.startswith("on_phase"):
        return None, None, edge
    batch = None if hook.startswith("on_epoch") else exec_ctx.batch_idx
    return exec_ctx.epoch_idx, batch, edge


class HookDispatcher:
    """Runs a set of callbacks' hooks: a phase's `Callback`s, or an experiment's.

    Built once per phase run (or per experiment). Which hooks each callback overrides is
    found here, once; a hook nobody overrides costs one dict lookup. A hook that raises gets
    a note naming the callback and hook and propagates; the caller then calls
    `exception()`, which gives every callback's `on_exception` the real exception. With
    `results`, non-None returns are wrapped, scoped and stored there.

    Args:
        callbacks: the callbacks, already sorted.
        context: keyword arguments every hook receives (experiment, phase, results).
        results: where to store returned values (phase callbacks only).
        base: the callbacks' base class (its methods are the no-ops).
        hooks: the hook names.
        context_hooks: hooks that also receive `exec_ctx`.
    """

    def __init__(
        self,
        callbacks: Sequence[Any],
        *,
        context: dict[str, Any],
        results: Any = None,
        base: type = Callback,
        hooks: Sequence[str] = HOOKS,
        context_hooks: frozenset[str] = CONTEXT_HOOKS,
    ) -> None:
        here = [cb for cb in callbacks if runs_on_this_rank(cb)]  # rank_zero_only under DDP
        self._callbacks = {h: [cb for cb in here if overrides(cb, h, base)] for h in hooks}
        for hook, overriding in self._callbacks.items():
            for cb in overriding:
                check_hook_signature(cb, hook, base)
        self._context = context
        self._context_hooks = context_hooks
        self._results = results
        # called before any callback runs, so hooks see every step logged so far
        self.before: Callable[[], None] | None = None

    @classmethod
    def for_phase(cls, experiment: Any, phase: Any, results: Any) -> HookDispatcher:
        """The dispatcher of one phase run's callbacks."""
        context = {"experiment": experiment, "phase": phase, "results": results}
        return cls(phase.callbacks, context=context, results=results)

    def call(self, hook: str, exec_ctx: Any = None, **extra: Any) -> None:
        """Run `hook` on every callback that overrides it, storing non-None returns."""
        callbacks = self._callbacks[hook]
        if not callbacks:
            return
        if self.before is not None:
            self.before()
        kwargs = {**self._context, **extra}
        if hook in self._context_hooks:
            kwargs["exec_ctx"] = exec_ctx
        for cb in callbacks:
            try:
                returned = getattr(cb, hook)(**kwargs)
            except BaseException as e:
                e.add_note(f"in callback {cb.label!r}.{hook}")
                raise
            if returned is not None:
                self._store(cb, hook, returned, exec_ctx)

    def exception(self, exception: BaseException, exec_ctx: Any = None, **extra: Any) -> None:
        """Give every callback's `on_exception` the exception; never raises over it.

        If an `on_exception` itself raises, that failure is added as a note to the original
        exception and the remaining callbacks still run.
        """
        kwargs = {**self._context, **extra, "exception": exception}
        if "on_exception" in self._context_hooks:
            kwargs["exec_ctx"] = exec_ctx
        if self.before is not None and self._callbacks["on_exception"]:
            try:
                self.before()
            except Exception as err:
                exception.add_note(f"flushing results also raised {type(err).__name__}: {err}")
        for cb in self._callbacks["on_exception"]:
            try:
                returned = cb.on_exception(**kwargs)
                if returned is not None:
                    self._store(cb, "on_exception", returned, exec_ctx)
            except Exception as err:  # keep the original exception the one that propagates
                exception.add_note(
                    f"callback {cb.label!r}.on_exception also raised {type(err).__name__}: {err}"
                )

    def _store(self, callback: Callback, hook: str, returned: Any, exec_ctx: Any) -> None:
        if self._results is None:
            return
        from modularml.results import CallbackResult, PayloadResult

        result = returned if isinstance(returned, CallbackResult) else PayloadResult(payload=returned)
        epoch_idx, batch_idx, edge = _scope(hook, exec_ctx)
        result.bind_scope(
            callback_label=callback.label,
            phase_label=self._context["phase"].label,
            epoch_idx=epoch_idx,
            batch_idx=batch_idx,
            edge=edge,
        )
        self._results.add_callback_result(result)
