"""Experiment: runs phases and groups against the active context's graph, keeps the history."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from modularml.core.experiment.callbacks.dispatch import HookDispatcher, sort_callbacks
from modularml.core.experiment.callbacks.experiment_callback import (
    EXPERIMENT_HOOKS,
    ExperimentCallback,
)
from modularml.core.experiment.context import ExperimentContext
from modularml.core.experiment.loop import run_phase
from modularml.core.experiment.phase_run import build_phase_run
from modularml.core.experiment.phases.phase import ExperimentPhase
from modularml.core.experiment.phases.phase_group import PhaseGroup


class Experiment:
    """An experiment over the nodes and graph of one `ExperimentContext`.

    `Experiment(label)` creates a new, empty context and makes it active (create nodes
    after it); `Experiment.from_active_context(label)` adopts the active context with the
    nodes already created in it (the seed's order).

    Args:
        label: experiment label (also the label of its execution plan).
        results_config: a `ResultsConfig` (default: everything in memory).
        callbacks: `ExperimentCallback`s, fired around phase and group runs (phase-level
            `Callback`s are attached to phases).
        registration_policy: the new context's policy for duplicate node labels.
    """

    def __init__(
        self,
        label: str,
        results_config: Any = None,
        callbacks: Sequence[Any] | None = None,
        *,
        registration_policy: str | None = None,
        ctx: ExperimentContext | None = None,
    ) -> None:
        from modularml.results import ResultsConfig

        self.label = label
        self._ctx = ctx if ctx is not None else ExperimentContext(registration_policy)
        self._ctx.make_active()
        self._ctx.bind_experiment(self)
        self.results_config = results_config if results_config is not None else ResultsConfig()
        self._callbacks: list[ExperimentCallback] = []
        self._hooks = self._dispatcher()
        for cb in callbacks or []:
            self.add_callback(cb)
        self.execution_plan = PhaseGroup(label)
        self._history: list[Any] = []

    @classmethod
    def from_active_context(
        cls,
        label: str,
        results_config: Any = None,
        callbacks: Sequence[Any] | None = None,
        *,
        overwrite: bool = False,
    ) -> Experiment:
        """Bind a new Experiment to the active context, keeping its registered nodes.

        Raises `ValueError` if that context already belongs to an Experiment, unless
        `overwrite=True`, which resets the model graph (fresh weights and optimizer).
        """
        ctx = ExperimentContext.get_active()
        if ctx.experiment is not None:
            if not overwrite:
                raise ValueError(
                    f"The active context already belongs to Experiment {ctx.experiment.label!r}; "
                    "pass overwrite=True to replace it."
                )
            if ctx.model_graph is not None:
                ctx.model_graph.reset_state()
        return cls(label, results_config, callbacks, ctx=ctx)

    def __repr__(self) -> str:
        return f"Experiment(label={self.label!r}, runs={len(self._history)})"

    # -- experiment callbacks ----------------------------------------------------------------
    @property
    def callbacks(self) -> list[ExperimentCallback]:
        """The experiment-level callbacks in execution order (a copy)."""
        return list(self._callbacks)

    def add_callback(self, callback: ExperimentCallback) -> None:
        """Attach an ExperimentCallback (`TypeError` otherwise; duplicate labels raise)."""
        self._callbacks = sort_callbacks([*self._callbacks, callback], base=ExperimentCallback)
        self._hooks = self._dispatcher()

    def _dispatcher(self) -> HookDispatcher:
        return HookDispatcher(self._callbacks, context={"experiment": self},
                              base=ExperimentCallback, hooks=EXPERIMENT_HOOKS,
                              context_hooks=frozenset())

    # -- properties ------------------------------------------------------------------------
    @property
    def ctx(self) -> ExperimentContext:
        return self._ctx

    @property
    def model_graph(self) -> Any:
        return self._ctx.model_graph

    @property
    def history(self) -> list[Any]:
        """The ExperimentRuns so far (a copy), failed runs included."""
        return list(self._history)

    @property
    def last_run(self) -> Any:
        return self._history[-1] if self._history else None

    def to_polars(self) -> Any:
        """Every scalar record of every run in the history, in one tidy frame.

        Leading columns: ``run`` (the history index: labels can repeat) and ``run_label``;
        then the columns of the run's results' ``to_polars()`` (a group run adds ``phase``).
        """
        import polars as pl

        frames = [
            run.results.to_polars().select(
                pl.lit(index).alias("run"), pl.lit(run.label).alias("run_label"), pl.all())
            for index, run in enumerate(self._history)
        ]
        if not frames:
            return pl.DataFrame(schema={"run": pl.Int32, "run_label": pl.String})
        return pl.concat(frames, how="diagonal_relaxed")

    def plot(self, metrics: Any = None, **options: Any) -> Any:
        """The history's metric curves, one legend entry per run (`modularml.viz.plot_runs`)."""
        from modularml.viz.plotting import plot_runs

        return plot_runs(self._history, metrics, **options)

    def _repr_html_(self) -> str:
        from modularml.viz.html import runs_html

        return runs_html(f"Experiment {self.label!r}", self._history)

    # -- running ---------------------------------------------------------------------------
    def run_phase(self, phase: ExperimentPhase, **display: Any) -> Any:
        """Run one phase, record an ExperimentRun and return the phase's results.

        A failed phase is recorded with status "failed" and its partial results, then its
        exception propagates. Display option: `show_progress` (bool).
        """
        recorder = self._recorder(phase.label)
        results, meta, error = self._execute(phase, recorder=recorder, **display)
        self._append_run(phase.label, meta, results, recorder)
        if error is not None:
            raise error
        return results

    def run_group(self, group: PhaseGroup, **display: Any) -> Any:
        """Run a group's phases and subgroups in order as one ExperimentRun."""
        recorder = self._recorder(group.label)
        results, meta, error = self._execute_group(group, recorder=recorder, **display)
        self._append_run(group.label, meta, results, recorder)
        if error is not None:
            raise error
        return results

    def run(self, **display: Any) -> list[Any]:
        """Run every top-level item of the execution plan; one history entry each."""
        self._hooks.call("on_experiment_start")
        out = []
        for item in self.execution_plan.all:
            runner = self.run_group if isinstance(item, PhaseGroup) else self.run_phase
            out.append(runner(item, **display))
        self._hooks.call("on_experiment_end", results=out)
        return out

    def preview_phase(self, phase: ExperimentPhase, **display: Any) -> Any:
        """Run a phase and return its results, leaving no trace.

        Nothing is added to the history, and the model weights, modes, frozen flags and
        optimizer state are restored afterwards, also when the phase raises. Only model
        and optimizer state are snapshot (and only when the phase can change them).
        """
        display.setdefault("show_progress", False)
        with self._restoring_state(phase.mutates_state):
            results, _meta, error = self._execute(phase, hooks=False, **display)
        if error is not None:
            raise error
        return results

    @contextmanager
    def _restoring_state(self, needed: bool) -> Iterator[None]:
        graph = self.model_graph
        snapshot = graph.snapshot() if needed and graph is not None else None
        try:
            yield
        finally:
            if snapshot is not None:
                graph.restore(snapshot)

    # -- internals ---------------------------------------------------------------------------
    def _recorder(self, label: str) -> Any:
        """A RunRecorder writing this run under the results_dir, or None in memory."""
        if self.results_config.results_dir is None:
            return None
        from modularml.distributed.runs import make_recorder

        return make_recorder(self.results_config, label, self.label)  # one shard per rank

    def _execute(
        self, phase: ExperimentPhase, *, hooks: bool = True, recorder: Any = None,
        groups: tuple[str, ...] = (), **display: Any,
    ) -> tuple[Any, Any, BaseException | None]:
        from modularml.results import PhaseExecutionMeta

        show_progress = _show_progress(display)
        if not isinstance(phase, ExperimentPhase):
            raise TypeError(f"Expected a phase, got {type(phase).__name__}.")
        results = phase.make_results()
        if recorder is not None:
            recorder.attach(results, list(groups))
        meta = PhaseExecutionMeta(label=phase.label, started_at=datetime.now())
        error: BaseException | None = None
        experiment_hooks = self._hooks if hooks else None
        try:
            if experiment_hooks is not None:
                experiment_hooks.call("on_phase_start", phase=phase)
            run = build_phase_run(self, phase, results, show_progress=show_progress)
            meta.status = run_phase(run)
            if experiment_hooks is not None:
                experiment_hooks.call("on_phase_end", phase=phase, results=results)
        except BaseException as e:  # recorded as failed, re-raised by the caller
            meta.status, error = "failed", e
            if experiment_hooks is not None:
                experiment_hooks.exception(e, phase=phase)
        if recorder is not None:
            error = _close_phase(recorder, results, meta, error)
        meta.ended_at = datetime.now()
        return results, meta, error

    def _execute_group(
        self, group: PhaseGroup, *, recorder: Any = None, groups: tuple[str, ...] = (),
        **display: Any,
    ) -> tuple[Any, Any, BaseException | None]:
        from modularml.results import PhaseGroupExecutionMeta, PhaseGroupResults

        results = PhaseGroupResults(label=group.label)
        meta = PhaseGroupExecutionMeta(label=group.label, started_at=datetime.now())
        self._hooks.call("on_group_start", group=group)
        error: BaseException | None = None
        inner = (*groups, group.label)
        for item in group.all:
            runner = self._execute_group if isinstance(item, PhaseGroup) else self._execute
            child, child_meta, error = runner(item, recorder=recorder, groups=inner, **display)
            results.add_result(child)
            meta.add_child(child_meta)
            if error is not None:
                break
        meta.ended_at = datetime.now()
        if error is None:
            self._hooks.call("on_group_end", group=group, results=results)
        return results, meta, error

    def _append_run(self, label: str, meta: Any, results: Any, recorder: Any = None) -> None:
        from modularml.results import ExperimentRun

        status = getattr(meta, "status", None) or _group_status(meta)
        if recorder is not None:
            recorder.finish(status)
        self._history.append(ExperimentRun(
            label=label, status=status, started_at=meta.started_at, ended_at=meta.ended_at,
            results=results, execution_meta=meta,
        ))


# the reference's display options, accepted so its calls keep working
_PROGRESS_ALIASES = ("show_training_progress", "show_eval_progress")
_IGNORED_DISPLAY = ("show_sampler_progress", "persist_progress", "persist_epoch_progress",
                    "val_loss_metric")


def _show_progress(display: dict[str, Any]) -> bool | None:
    """The one display option, `show_progress` (or a reference alias of it)."""
    unknown = set(display) - {"show_progress", *_PROGRESS_ALIASES, *_IGNORED_DISPLAY}
    if unknown:
        raise TypeError(f"Unknown display options {sorted(unknown)}; use show_progress=bool.")
    for key in ("show_progress", *_PROGRESS_ALIASES):
        if display.get(key) is not None:
            return bool(display[key])
    return None


def _close_phase(recorder: Any, results: Any, meta: Any,
                 error: BaseException | None) -> BaseException | None:
    """Finish writing a phase; a disk error fails the phase unless it failed already."""
    try:
        recorder.phase_done(results, meta.status)
    except OSError as e:
        if error is None:
            meta.status, error = "failed", e
    return error


def _group_status(meta: Any) -> str:
    statuses = [m.status for m in meta.flatten().values()]
    if "failed" in statuses:
        return "failed"
    return "stopped" if "stopped" in statuses else "completed"
