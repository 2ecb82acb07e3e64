"""The execution loop: run_phase -> run_epoch -> run_batch -> step.

One loop runs every phase kind: a TrainPhase has epochs (epoch hooks, `train_loss`, lr
scheduler, progress), EvalPhase and FitPhase run one pass with `epoch_idx=None`. Errors
are handled in one place: every callback's `on_exception` gets the real exception and
the exception propagates with a note saying where it happened.
"""

from __future__ import annotations

from typing import Any

from modularml import distributed
from modularml.core.experiment.execution_context import ExecutionContext
from modularml.core.experiment.phase_run import PhaseRun
from modularml.core.experiment.progress import latest_metric


def run_phase(run: PhaseRun) -> str:
    """Run the phase to completion; returns "completed" or "stopped" (request_stop)."""
    run.phase.reset_stop()
    run.source.start()
    hooks = run.hooks
    try:
        with run.module_modes():
            hooks.call("on_phase_start")
            for epoch in range(run.n_epochs):
                run_epoch(run, epoch)
                if run.phase.stop_requested and epoch + 1 < run.n_epochs:
                    run.stopped = True
                    break
            hooks.call("on_phase_end")
    except BaseException as exc:
        hooks.exception(exc, run.current)
        raise
    finally:
        run.finish()
    return "stopped" if run.stopped else "completed"


def run_epoch(run: PhaseRun, epoch: int) -> None:
    """All batches of one epoch, then (TrainPhase) epoch-end hooks and the epoch train_loss."""
    epoch_idx = epoch if run.has_epochs else None
    if run.progress is not None:
        run.progress.start_epoch(epoch)
    keys = run.source.epoch_keys()
    total = 0.0
    for batch_idx, key in enumerate(keys):
        total += run_batch(run, epoch_idx, batch_idx, key)
    if not run.has_epochs:
        return
    run.hooks.call("on_epoch_end", run.current)
    mean = total / len(keys)
    if distributed.is_distributed():  # every rank logs the mean of the ranks' epoch means
        mean = distributed.all_reduce_sum([mean])[0] / distributed.world_size()
    run.log.flush()  # the epoch entry comes after the epoch's batch entries
    run.results.log_metric("train_loss", mean, epoch, None)
    run.results.flush(durable=False)  # to disk, when the run has a results_dir
    if run.graph.optimizer is not None:
        run.graph.optimizer.epoch_end()
    if run.progress is not None:
        run.progress.end_epoch(mean, latest_metric(run.results, "val_loss", epoch))


def run_batch(run: PhaseRun, epoch_idx: int | None, batch_idx: int, key: Any) -> float:
    """One batch: hooks around the step, then the step's losses and context are recorded."""
    exec_ctx = ExecutionContext(
        run.phase.label, epoch_idx, batch_idx, run.source.inputs(key), run.links
    )
    run.current = exec_ctx
    hooks = run.hooks
    if batch_idx == 0 and run.has_epochs:
        hooks.call("on_epoch_start", exec_ctx)
    hooks.call("on_batch_start", exec_ctx)
    try:
        values = run.step(exec_ctx)
    except Exception as e:
        e.add_note(
            f"in {type(run.phase).__name__} {run.phase.label!r} step "
            f"(epoch {epoch_idx}, batch {batch_idx})"
        )
        raise
    total = record_step(run, exec_ctx, values)
    hooks.call("on_batch_end", exec_ctx)
    if run.progress is not None:
        run.progress.batch_done(total)
    return total


def record_step(run: PhaseRun, exec_ctx: ExecutionContext, values: list[float]) -> float:
    """Attach the step's loss records to its context and queue them for the results."""
    records = [make(v) for make, v in zip(run.make_records, values, strict=True)]
    exec_ctx.losses = records
    total = values[0] if len(values) == 1 else sum(values)
    run.log.add(exec_ctx, records, total)
    return total
