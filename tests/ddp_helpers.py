"""Spawning 2-process gloo runs on 127.0.0.1 for the DDP tests (workers are importable)."""

from __future__ import annotations

import os
import pickle
import signal
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch

from modularml.core.experiment.callbacks.callback import Callback
from modularml.distributed import rank_zero_only

WORLD = 2
TIMEOUT_S = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(worker: Any, out_dir: Path, *args: Any) -> list[dict[str, Any]]:
    """Run `worker(rank, port, out_dir, *args)` on WORLD processes; their pickled outputs."""
    port = free_port()
    context = torch.multiprocessing.spawn(worker, args=(port, str(out_dir), *args),
                                          nprocs=WORLD, join=False)
    deadline = time.monotonic() + TIMEOUT_S
    while not context.join(timeout=1):  # raises if a worker failed
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            raise TimeoutError(f"DDP workers still running after {TIMEOUT_S} s")
    return [pickle.loads((out_dir / f"rank{r}.pkl").read_bytes()) for r in range(WORLD)]


def spawn_unchecked(worker: Any, out_dir: Path, *args: Any) -> list[int | None]:
    """Like `spawn`, but a dead worker is not an error: the exit codes, in rank order."""
    context = torch.multiprocessing.spawn(worker, args=(free_port(), str(out_dir), *args),
                                          nprocs=WORLD, join=False)
    deadline = time.monotonic() + TIMEOUT_S
    for process in context.processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    codes = [process.exitcode for process in context.processes]
    for process in context.processes:
        if process.exitcode is None:
            process.kill()
    return codes


def init(rank: int, port: int, timeout_s: int = TIMEOUT_S) -> None:
    torch.set_num_threads(1)
    os.environ["MODULARML_PROGRESS"] = "0"
    torch.distributed.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD,
        timeout=timedelta(seconds=timeout_s))


def save(out_dir: str, rank: int, value: dict[str, Any]) -> None:
    (Path(out_dir) / f"rank{rank}.pkl").write_bytes(pickle.dumps(value))


class EpochCounter(Callback):
    """Counts the epoch ends it sees."""

    def __init__(self, label: str) -> None:
        super().__init__(label=label)
        self.calls = 0

    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        self.calls += 1

    def get_config(self) -> dict[str, Any]:
        return {"label": self.label}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EpochCounter:
        return cls(config["label"])


def train_worker(rank: int, port: int, out_dir: str, n_epochs: int,
                 results_dir: str | None) -> None:
    """Train the seed MLP under DDP; save losses, metrics, weights and a local re-evaluation."""
    from modularml.examples import ddp_train

    init(rank, port)
    try:
        exp = ddp_train.build_experiment(results_dir=results_dir)
        everywhere, rank_zero = EpochCounter("everywhere"), EpochCounter("rank_zero")
        phase = ddp_train.train_phase(n_epochs, callbacks=[everywhere, rank_zero_only(rank_zero)])
        results = exp.run_phase(phase)
        out = {
            "calls": (everywhere.calls, rank_zero.calls),
            "losses": results.losses("MLP").to_polars(),
            "metrics": results.metrics().to_polars(),
            "state": {k: v.clone() for k, v in exp.model_graph.node("MLP").model.state_dict().items()},
        }
    finally:
        torch.distributed.destroy_process_group()
    evaluation = phase.callbacks[0]  # without a group now: a single-process evaluation
    single = exp.preview_phase(evaluation.eval_phase)
    out["single_val_loss"] = single.aggregated_losses("MLP")
    save(out_dir, rank, out)


class KillAt(Callback):
    """SIGKILLs its own process at the start of a given batch of a given epoch."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__(label="KillAt")
        self.epoch, self.batch = epoch, batch

    def on_batch_start(self, *, experiment, phase, exec_ctx, results=None):
        if (exec_ctx.epoch_idx, exec_ctx.batch_idx) == (self.epoch, self.batch):
            os.kill(os.getpid(), signal.SIGKILL)

    def get_config(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batch": self.batch}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KillAt:
        return cls(config["epoch"], config["batch"])


def kill_worker(rank: int, port: int, out_dir: str, results_dir: str, victim: int) -> None:
    """Rank `victim` kills itself in epoch 2; the other fails in its next collective."""
    from modularml.examples import ddp_train

    init(rank, port, timeout_s=15)
    error = None
    try:
        exp = ddp_train.build_experiment(results_dir=results_dir)
        callbacks = [KillAt(2, 1)] if rank == victim else []
        exp.run_phase(ddp_train.train_phase(4, callbacks=callbacks))
    except Exception as e:  # the survivor's phase fails when its peer is gone
        error = f"{type(e).__name__}: {e}"
    save(out_dir, rank, {"error": error})
    os._exit(0)  # the group cannot be destroyed cleanly without its peer
