"""Scalar logging: ours (one call per value, and batched) vs TensorBoard and MLflow."""

from __future__ import annotations

import numpy as np

import common
from common import PEER_VENV, REFERENCE_DIR, Row, Stat, ensure_venv, repeat, run_in_venv

PEER_PACKAGES = ["tensorboard", "mlflow-skinny"]


def _ours_per_call_us(n: int) -> list[float]:
    from modularml.results import TrainResults

    def fill():
        res = TrainResults(label="bench")
        log = res.log_metric
        for i in range(n):
            log("train_loss", 0.5, i // 1000, i % 1000)

    return [s / n * 1e6 for s in repeat(fill, repeats=5)]


def _ours_batched_us(n: int) -> list[float]:
    from modularml.results import TrainResults

    steps = np.arange(n)
    values = np.random.default_rng(0).standard_normal(n)

    def fill():
        res = TrainResults(label="bench")
        res.log_metrics(values, names="train_loss", epoch_idx=steps // 1000, batch_idx=steps % 1000)

    return [s / n * 1e6 for s in repeat(fill, repeats=5)]


def run(quick: bool) -> list[Row]:
    n = 1_000 if common.TINY else 20_000 if quick else 200_000
    peers: dict[str, float] = {}
    skipped = ensure_venv(PEER_VENV, PEER_PACKAGES)
    note = ""
    if skipped is None:
        out = run_in_venv(PEER_VENV, REFERENCE_DIR / "peer_logging.py", {"n": n}, timeout=900)
        for key, label in (("tensorboard_add_scalar_us", "TensorBoard"), ("mlflow_log_batch_us", "MLflow log_batch")):
            value = out.get(key)
            if isinstance(value, float):
                peers[label] = value
            else:
                note += f"{label} {value}; "
    else:
        note = skipped
    per_call = Stat.of(_ours_per_call_us(n))
    batched = Stat.of(_ours_batched_us(n))
    return [
        Row("log one scalar per call (in memory)", n, "us", per_call, dict(peers), "<= 0.5 us",
            per_call.median <= 0.5, note.strip()),
        Row("log scalars batched (numpy arrays)", n, "us", batched, dict(peers), ">= 50M values/s",
            batched.median <= 0.02),
    ]
