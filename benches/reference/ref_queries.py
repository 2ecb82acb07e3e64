"""Reference-package side of the query and logging benchmarks.

Runs inside the reference package's own virtual environment (same import name
as ours), driven by benches/run.py. Prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from functools import cache
from statistics import median

# several names logged per step, as a training loop with a few scalars does
METRIC_NAMES = ("train_loss", "lr", "grad_norm", "val_loss")


def _timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _metric_results(n, batches_per_epoch):
    from modularml.core.experiment.results.train_results import TrainResults

    res = TrainResults(label="bench")
    log = res._metrics.log
    t0 = time.perf_counter()
    names = METRIC_NAMES
    for i in range(n):
        step = i // len(names)
        log(
            name=names[i % len(names)],
            value=float(i),
            epoch_idx=step // batches_per_epoch,
            batch_idx=step % batches_per_epoch,
        )
    return res, (time.perf_counter() - t0) / n


@cache
def _seed_node_id():
    """Builds the seed's MLP node so that `losses(node="MLP")` resolves in the active context."""
    import numpy as np

    from modularml import FeatureSet, ModelNode
    from modularml.models.torch import SequentialMLP

    rng = np.random.default_rng(0)
    fs = FeatureSet.from_dict(
        label="SensorData",
        data={"voltage": list(rng.standard_normal((50, 20))), "soh": list(rng.standard_normal((50, 1)))},
        feature_keys="voltage",
        target_keys="soh",
    )
    node = ModelNode(
        label="MLP",
        model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16),
        upstream_ref=fs.reference(features="voltage", targets="soh"),
    )
    return node.node_id


def _loss_results(n, batches_per_epoch):
    from modularml.core.data.execution_context import ExecutionContext
    from modularml.core.experiment.results.train_results import TrainResults
    from modularml.core.training.loss_record import LossCollection, LossRecord

    node_id = _seed_node_id()
    res = TrainResults(label="bench")
    for i in range(n):
        ctx = ExecutionContext(phase_label="bench", epoch_idx=i // batches_per_epoch, batch_idx=i % batches_per_epoch)
        rec = LossRecord(label="mse", node_id=node_id, trainable=float(i))
        ctx.losses = LossCollection([rec])
        res._execution.append(ctx)
    return res


def main(sizes, repeats, batches_per_epoch=100):
    out = {"metric_log_us": {}, "metric_where_s": {}, "loss_where_collapse_s": {}}
    for n in sizes:
        res, per_log = _metric_results(n, batches_per_epoch)
        out["metric_log_us"][n] = per_log * 1e6
        out["metric_where_s"][n] = median(
            _timed(lambda res=res: len(res.metrics().where(name="train_loss")), repeats)
        )
        lres = _loss_results(n, batches_per_epoch)
        k = (n // batches_per_epoch) // 2
        # the seed's query, as a callback runs it during training: every append
        # clears the reference's series cache, so each query starts cold
        def seed_query(lres=lres, k=k):
            lres._series_cache.clear()
            lres.losses(node="MLP").where(epoch=k).collapse(axis="batch", reducer="mean").one()

        out["loss_where_collapse_s"][n] = median(_timed(seed_query, repeats))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"sizes": [1000, 10000], "repeats": 3}
    main(**args)
