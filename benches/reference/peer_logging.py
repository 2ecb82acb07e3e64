"""Peer loggers' scalar logging rate: TensorBoard's SummaryWriter.add_scalar and
MLflow's log_batch. Runs in its own virtual environment, driven by benches/run.py;
prints one JSON object (microseconds per record, or the reason a peer was skipped).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time


def tensorboard_us(n: int) -> float:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(tempfile.mkdtemp())
    t0 = time.perf_counter()
    for i in range(n):
        writer.add_scalar("train_loss", float(i), i)
    writer.flush()
    elapsed = time.perf_counter() - t0
    writer.close()
    return elapsed / n * 1e6


def mlflow_us(n: int, batch: int = 1000) -> float:
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow
    from mlflow.entities import Metric

    mlflow.set_tracking_uri("file://" + tempfile.mkdtemp())
    client = mlflow.tracking.MlflowClient()
    run = client.create_run(client.create_experiment("bench"))
    metrics = [Metric("train_loss", float(i), 0, i) for i in range(batch)]
    rounds = max(1, n // batch)
    t0 = time.perf_counter()
    for _ in range(rounds):
        client.log_batch(run.info.run_id, metrics=metrics)
    return (time.perf_counter() - t0) / (rounds * batch) * 1e6


def main(n: int) -> dict:
    out: dict[str, object] = {}
    for name, fn in (("tensorboard_add_scalar_us", tensorboard_us), ("mlflow_log_batch_us", mlflow_us)):
        try:
            out[name] = fn(n)
        except Exception as exc:  # a peer that can't run is reported, not fatal
            out[name] = f"skipped: {type(exc).__name__}: {exc}"[:300]
    return out


if __name__ == "__main__":
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"n": 10000}
    json.dump(main(args["n"]), sys.stdout)
