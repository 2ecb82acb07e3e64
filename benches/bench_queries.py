"""The seed's queries through the public results API, against the reference package
(at sizes it can hold) and against the same filter + group_by written in Polars on an
in-memory DataFrame of the same records, all in the same run.

    losses(node).where(epoch=k).collapse("batch", "mean").one()   (the seed's LossLogger)
    metrics().where(name="train_loss")                            (4 names logged per step)
"""

from __future__ import annotations

import numpy as np
import polars as pl

import common
from common import REFERENCE_DIR, REFERENCE_VENV, Row, Stat, ensure_venv, repeat, run_in_venv

BATCHES_PER_EPOCH = 100  # as in benches/reference/ref_queries.py
METRIC_NAMES = ("train_loss", "lr", "grad_norm", "val_loss")
REFERENCE_PACKAGES = ["modularml==1.0.0", "ipython"]


def _losses(n: int):
    from modularml.results import TrainResults

    res = TrainResults(label="bench")
    steps = np.arange(n, dtype=np.int64)
    columns = {
        "node": "MLP",
        "label": "mse",
        "epoch": steps // BATCHES_PER_EPOCH,
        "batch": steps % BATCHES_PER_EPOCH,
        "trainable": np.random.default_rng(0).random(n),
        "auxiliary": None,
    }
    res._losses.extend(columns)  # bulk fill; the query below is the public path
    frame = pl.DataFrame({k: v for k, v in columns.items() if k != "auxiliary"})
    return res, frame


def _metrics(n: int):
    from modularml.results import TrainResults

    res = TrainResults(label="bench")
    i = np.arange(n, dtype=np.int64)
    step = i // len(METRIC_NAMES)
    names = np.array(METRIC_NAMES)[i % len(METRIC_NAMES)]
    values = np.random.default_rng(1).random(n)
    res.log_metrics(values, names=names, epoch_idx=step // BATCHES_PER_EPOCH, batch_idx=step % BATCHES_PER_EPOCH)
    frame = pl.DataFrame({"name": names, "epoch": step // BATCHES_PER_EPOCH, "batch": step % BATCHES_PER_EPOCH,
                          "value": values}, schema_overrides={"name": pl.Categorical})
    return res, frame


def _ours_and_polars(n: int, repeats: int) -> dict[str, tuple[Stat, float]]:
    res, frame = _losses(n)
    k = (n // BATCHES_PER_EPOCH) // 2
    seed = repeat(lambda: res.losses(node="MLP").where(epoch=k).collapse(axis="batch", reducer="mean").one(), repeats)
    by_polars = repeat(
        lambda: frame.filter((pl.col("node") == "MLP") & (pl.col("epoch") == k))
        .group_by(["epoch", "label"], maintain_order=True)
        .agg(pl.col("trainable").mean()),
        repeats,
    )
    mres, mframe = _metrics(n)
    where = repeat(lambda: len(mres.metrics().where(name="train_loss")), repeats)
    where_polars = repeat(lambda: mframe.filter(pl.col("name") == "train_loss").height, repeats)
    return {
        "seed": (Stat.of(seed), Stat.of(by_polars).median),
        "where": (Stat.of(where), Stat.of(where_polars).median),
    }


def _reference(sizes: list[int], repeats: int) -> tuple[dict, str]:
    why = ensure_venv(REFERENCE_VENV, REFERENCE_PACKAGES)
    if why:
        return {}, why
    args = {"sizes": sizes, "repeats": repeats, "batches_per_epoch": BATCHES_PER_EPOCH}
    try:
        return run_in_venv(REFERENCE_VENV, REFERENCE_DIR / "ref_queries.py", args, timeout=1800), ""
    except (RuntimeError, OSError) as exc:
        return {}, f"reference failed: {exc}"[:300]


def run(quick: bool) -> list[Row]:
    sizes = [10**3, 10**4, 10**5] if quick else [10**3, 10**4, 10**5, 10**6, 10**7]
    ref_sizes = [10**3, 10**4] if quick else [10**3, 10**4, 10**5]
    repeats = 5 if quick else 9
    if common.TINY:
        sizes, ref_sizes, repeats = [10**3], [10**3], 2
    ref, why = _reference(ref_sizes, 3)
    rows = []
    for n in sizes:
        measured = _ours_and_polars(n, repeats)
        for key, workload, ref_key in (
            ("seed", 'losses(node).where(epoch=k).collapse("batch","mean").one()', "loss_where_collapse_s"),
            ("where", 'metrics().where(name="train_loss")', "metric_where_s"),
        ):
            ours, polars_s = measured[key]
            baselines = {"polars": polars_s}
            ref_s = ref.get(ref_key, {}).get(str(n))
            if ref_s is not None:
                baselines["reference"] = ref_s
            bar, met = _bar(n, ours.median, baselines)
            rows.append(Row(workload, n, "s", ours, baselines, bar, met, why if n == sizes[0] else ""))
    return rows


def _bar(n: int, ours: float, baselines: dict[str, float]) -> tuple[str, bool | None]:
    if n == 10**5 and "reference" in baselines:
        return ">= 1000x vs reference", baselines["reference"] / ours >= 1000
    if n == 10**7:
        return "<= polars", ours <= baselines["polars"]
    return "", None
