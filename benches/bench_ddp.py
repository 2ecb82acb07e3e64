"""DDP on this machine (report only): step time at 1 vs 2 ranks, and per-rank logging cost.

Each configuration spawns `world` gloo processes on 127.0.0.1 (one torch thread each)
that train the seed's MLP (batch 32 per rank, shuffled) through `Experiment.run_phase`.
A step's time is the wall time of an epoch divided by its steps, medians over epochs
after a warm-up epoch, taken on rank 0, then the median over repeated runs (the
configurations rotate). Configurations:

- `memory, recording=none`: nothing kept but the scalars (the loop's floor);
- `memory, recording=all`: the default (every step's context kept in memory);
- `results_dir, recording=all`: every rank also writes its own shard to disk.

"logging overhead" is results_dir over memory/none at the same world size. On a machine
with fewer free cores than ranks, 2 ranks are slower per step, not faster: the numbers
say what DDP costs here, not what it gains on real hardware.

    python benches/bench_ddp.py            # 20k samples, 6 epochs, 3 repeats
    python benches/bench_ddp.py --quick    # 4k samples, 3 epochs, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import pickle
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = (("memory", "none"), ("memory", "all"), ("results_dir", "all"))


class EpochTimer:
    """Wall time of every epoch (a plain object: attached through a tiny Callback)."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []


def _timer_callback(timer: EpochTimer) -> Any:
    from modularml.core.experiment.callbacks.callback import Callback

    class Timer(Callback):
        def on_epoch_start(self, **_: Any) -> None:
            timer.starts.append(time.perf_counter())

        def on_epoch_end(self, **_: Any) -> None:
            timer.ends.append(time.perf_counter())

        def get_config(self) -> dict[str, Any]:
            return {}

        @classmethod
        def from_config(cls, config: dict[str, Any]) -> Any:
            return cls()

    return Timer(label="timer")


def worker(rank: int, port: int, world: int, n: int, epochs: int, where: str,
           recording: str, out: str) -> None:
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                         rank=rank, world_size=world)
    from modularml import TrainPhase
    from modularml.examples import ddp_train
    from modularml.samplers import SimpleSampler

    with tempfile.TemporaryDirectory() as tmp:
        results_dir = tmp if where == "results_dir" else None
        exp = ddp_train.build_experiment(n_samples=n, results_dir=results_dir)
        timer = EpochTimer()
        phase = TrainPhase.from_split(
            label="train", split="train", losses=[ddp_train.mse()], n_epochs=epochs,
            sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
            callbacks=[_timer_callback(timer)], result_recording=recording)
        results = exp.run_phase(phase, show_progress=False)
        steps = len(results.losses("MLP").where(epoch=0))
    torch.distributed.destroy_process_group()
    if rank == 0:
        per_step = [(e - s) / steps for s, e in zip(timer.starts, timer.ends, strict=True)]
        Path(out).write_bytes(pickle.dumps({"per_step": per_step[1:], "steps": steps}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(world: int, n: int, epochs: int, where: str, recording: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out.pkl")
        torch.multiprocessing.spawn(worker, nprocs=world, join=True,
                                    args=(free_port(), world, n, epochs, where, recording, out))
        found = pickle.loads(Path(out).read_bytes())
    return {"world": world, "where": where, "recording": recording, "steps_per_epoch":
            found["steps"], "step_us": statistics.median(found["per_step"]) * 1e6}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    n, epochs = (4000, 3) if args.quick else (20000, 6)
    repeats = args.repeats or (1 if args.quick else 3)
    keys = [(world, where, recording) for world in (1, 2) for where, recording in CONFIGS]
    runs: dict[tuple, list[dict[str, Any]]] = {key: [] for key in keys}
    for _ in range(repeats):  # configurations rotate, so machine load spreads over all
        for key in keys:
            runs[key].append(measure(key[0], n, epochs, key[1], key[2]))
    rows = [{**found[0], "step_us": statistics.median(r["step_us"] for r in found)}
            for found in runs.values()]
    floor = {r["world"]: r["step_us"] for r in rows if r["recording"] == "none"}
    print(f"seed MLP, {n} samples (70% train), batch 32 per rank, gloo on CPU, "
          f"{torch.get_num_threads()} threads here, 1 per rank")
    print(f"{'ranks':>5} {'results':>12} {'recording':>9} {'steps/epoch':>11} "
          f"{'step (us)':>9} {'vs floor':>8}")
    for r in rows:
        print(f"{r['world']:>5} {r['where']:>12} {r['recording']:>9} {r['steps_per_epoch']:>11} "
              f"{r['step_us']:>9.0f} {r['step_us'] / floor[r['world']]:>7.2f}x")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "python"))
    main()


def run(quick: bool) -> list:
    """Rows for benches/run.py (report only): step time per rank at 1 and 2 gloo ranks,
    with and without per-rank recording to disk; baseline: the same world size recording
    nothing."""
    import common
    from common import Row, Stat

    argv = ["--quick", "--repeats", "1"] if common.TINY else ["--quick"] if quick else []
    rows = main(argv)
    floor = {r["world"]: r["step_us"] * 1e-6 for r in rows if r["recording"] == "none"}
    out = []
    for r in rows:
        step = r["step_us"] * 1e-6
        baselines = {} if r["recording"] == "none" else {"same ranks, no recording": floor[r["world"]]}
        out.append(Row(f"DDP step per rank: {r['world']} rank(s), results {r['where']}, recording {r['recording']}",
                       None, "s", Stat(step, step, step), baselines,
                       note=f"{r['steps_per_epoch']} steps/epoch"))
    return out
