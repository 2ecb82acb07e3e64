"""PhaseRun: everything one run of a phase needs, prepared once before the first batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from modularml import distributed
from modularml.core.experiment.batches import BatchSource
from modularml.core.experiment.callbacks.dispatch import HookDispatcher
from modularml.core.experiment.progress import TrainProgress, progress_enabled
from modularml.core.experiment.steps import (
    EvalStep,
    FitStep,
    GraphForward,
    TrainStep,
    active_order,
    node_links,
)


def _record_maker(loss: Any, field_name: str) -> Callable[[float], Any]:
    from modularml.results import LossRecord

    label, node_label = loss.label, loss.node_label
    if field_name == "trainable":
        return lambda v: LossRecord(label=label, node_label=node_label, trainable=v)
    return lambda v: LossRecord(label=label, node_label=node_label, auxiliary=v)


class StepLog:
    """Per-step records waiting to be written to the results, in one burst.

    Writing a few scalars per step to the store costs far more between two torch steps
    (cold caches) than in a burst, so steps are queued here and flushed before any
    callback hook runs (hooks always see every step so far), at the end of each epoch,
    every `max_pending` steps, and when the phase ends or fails. Only scalars and the
    contexts that are recorded anyway are held, so memory stays bounded.
    """

    def __init__(
        self, results: Any, record: Callable[[Any], None] | None, log_train_loss: bool,
        max_pending: int = 1024,
    ) -> None:
        self._results = results
        self._record = record

        self._log_train_loss = log_train_loss
        self._max = max_pending
        self._steps: list[tuple[Any, Any, list[Any], float, Any]] = []

    def add(self, exec_ctx: Any, records: list[Any], total: float) -> None:
        kept = None
        if self._record is not None:  # a recorded context keeps no autograd graph or batch copy
            exec_ctx.detach_outputs()
            exec_ctx.release_inputs()
            kept = exec_ctx
        self._steps.append((exec_ctx.epoch_idx, exec_ctx.batch_idx, records, total, kept))
        if len(self._steps) >= self._max:
            self.flush()

    def flush(self) -> None:
        steps, self._steps = self._steps, []
        if not steps:
            return
        results = self._results
        results.log_loss_steps([s[:3] for s in steps])
        if self._log_train_loss:
            results.log_metrics(
                [s[3] for s in steps], names="train_loss",
                epoch_idx=[s[0] for s in steps], batch_idx=[s[1] for s in steps],
            )
        if self._record is not None:
            for step in steps:
                self._record(step[4])
        results._flush_if_due()


class LastEpochBuffer:
    """ResultRecording.LAST: keep one epoch's contexts; hand them over when the phase ends.

    That epoch is the last one, or, when a callback restores its best epoch (an
    `EarlyStopping(restore_best=True)`, seen through its `restore_best` and `best_epoch`
    attributes), the best one, so the contexts match the weights left in the model.
    """

    def __init__(self, results: Any, callbacks: list[Any] = ()) -> None:  # type: ignore[assignment]
        self._results = results
        self._keeper = next((cb for cb in callbacks if getattr(cb, "restore_best", False)
                             and hasattr(cb, "best_epoch")), None)
        self._epoch: Any = None
        self._contexts: list[Any] = []
        self._best: tuple[Any, list[Any]] = (None, [])

    def add(self, exec_ctx: Any) -> None:
        if exec_ctx.epoch_idx != self._epoch:
            if self._keeper is not None and self._keeper.best_epoch == self._epoch:
                self._best = (self._epoch, self._contexts)
            self._epoch, self._contexts = exec_ctx.epoch_idx, []
        self._contexts.append(exec_ctx)

    def flush(self) -> None:
        contexts = self._contexts
        best_epoch = getattr(self._keeper, "best_epoch", None)
        if best_epoch is not None and best_epoch != self._epoch and best_epoch == self._best[0]:
            contexts = self._best[1]
        for exec_ctx in contexts:
            self._results.add_execution_context(exec_ctx)
        self._contexts, self._best = [], (None, [])


@dataclass(eq=False)
class PhaseRun:
    """The prepared state of one phase run (see `loop.run_phase`)."""

    experiment: Any
    phase: Any
    results: Any
    hooks: HookDispatcher
    source: BatchSource
    step: Callable[[Any], list[float]]
    links: dict[str, tuple[str, str | None]]
    n_epochs: int
    has_epochs: bool
    make_records: list[Callable[[float], Any]]
    record: Callable[[Any], None] | None
    graph: Any
    order: list[str]
    log: StepLog = None  # type: ignore[assignment]  # set by build_phase_run
    progress: TrainProgress | None = None
    buffer: LastEpochBuffer | None = None
    current: Any = None
    stopped: bool = False
    _modes: list[tuple[Any, bool]] = field(default_factory=list)

    @contextmanager
    def module_modes(self) -> Iterator[None]:
        """Train mode for a TrainPhase's nodes, eval mode otherwise; restored afterwards."""
        training = self.phase.kind == "train"
        for label in self.order:
            node = self.graph.node(label)
            if node.is_torch:
                self._modes += [(m, m.training) for m in node.model.modules()]
                node.model.train(training)
        try:
            yield
        finally:
            for module, mode in self._modes:
                module.training = mode
            self._modes.clear()

    def finish(self) -> None:
        """Write pending steps, close bars, hand over LAST-mode contexts (also on failure)."""
        self.log.flush()
        if self.progress is not None:
            self.progress.close()
        if self.buffer is not None:
            self.buffer.flush()


def build_phase_run(
    experiment: Any, phase: Any, results: Any, *, show_progress: bool | None = None
) -> PhaseRun:
    """Resolve the graph, materialize the split tensors and pick the step for `phase`."""
    graph = experiment.model_graph
    if graph is None:
        raise RuntimeError("The experiment's context has no ModelGraph.")
    graph.build()
    order = active_order(graph, phase.active_nodes)
    active = set(phase.active_nodes) if phase.active_nodes is not None else set(order)
    kind = phase.kind
    if kind == "train":
        if not any(loss.node_label in active for loss in phase.losses):
            raise ValueError(
                f"No loss of TrainPhase {phase.label!r} is applied to an active node "
                f"({sorted(active)})."
            )
        graph.unfreeze([lb for lb in order if lb in active])
        source = BatchSource(phase.input_sources, graph.device, sampler=phase.sampler)
        forward = GraphForward(graph, order, active, wrap=distributed.wrap_trainable)
        step: Any = TrainStep(forward, phase.losses, graph.optimizer)
    elif kind == "eval":
        source = BatchSource(phase.input_sources, graph.device, batch_size=phase.batch_size,
                             shard=True)
        step = EvalStep(GraphForward(graph, order), phase.losses)
    else:
        source = BatchSource(phase.input_sources, graph.device)
        step = FitStep(graph, order, active, phase.losses, phase.freeze_after_fit)
    run = PhaseRun(
        experiment=experiment, phase=phase, results=results,
        hooks=HookDispatcher.for_phase(experiment, phase, results),
        source=source, step=step, links=node_links(graph, order),
        n_epochs=phase.n_epochs if kind == "train" else 1, has_epochs=kind == "train",
        make_records=[_record_maker(loss, "trainable" if kind == "train" else "auxiliary")
                      for loss in phase.losses],
        record=results.add_execution_context, graph=graph, order=order,
    )
    if kind == "train":
        _train_extras(run, phase, results, show_progress)
    run.log = StepLog(results, run.record, log_train_loss=kind == "train")
    run.hooks.before = run.log.flush
    return run


def _train_extras(run: PhaseRun, phase: Any, results: Any, show_progress: bool | None) -> None:
    from modularml.results import ResultRecording

    if phase.result_recording is ResultRecording.NONE:
        run.record = None
    elif phase.result_recording is ResultRecording.LAST:
        run.buffer = LastEpochBuffer(results, phase.callbacks)
        run.record = run.buffer.add
    if progress_enabled(show_progress) and distributed.is_rank_zero():
        steps = len(phase.sampler.batch_bounds(run.source.n_samples))
        run.progress = TrainProgress(phase.label, phase.n_epochs, steps)
