"""The seed's MLP trained with DistributedDataParallel, one process per rank.

Launch (2 CPU processes, gloo; on a GPU machine nccl is picked, one GPU per rank)::

    torchrun --nproc_per_node=2 -m modularml.examples.ddp_train --epochs 3
    torchrun --nproc_per_node=2 -m modularml.examples.ddp_train --results-dir runs

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; this script
only calls `torch.distributed.init_process_group`. Nothing else changes from a
single-process run: every rank builds the same experiment, the TrainPhase wraps the MLP
in DDP, the sampler gives each rank its share of every global batch, the Evaluation's
`val_loss` is reduced over ranks, and rank 0 alone draws bars and prints. With
`--results-dir` each rank writes its own shard of the same run (`rank=<r>/`).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np
import torch

from modularml import (
    AppliedLoss,
    Experiment,
    FeatureSet,
    Loss,
    ModelGraph,
    ModelNode,
    Optimizer,
    TrainPhase,
)
from modularml.callbacks import EvalLossMetric, Evaluation
from modularml.core.experiment.context import ExperimentContext
from modularml.models.torch import SequentialMLP
from modularml.samplers import SimpleSampler


def build_experiment(
    n_samples: int = 500, results_dir: str | None = None, seed: int = 0
) -> Experiment:
    """The seed notebook's data, MLP and graph (identical on every rank)."""
    from modularml import ResultsConfig

    ExperimentContext().make_active()
    torch.manual_seed(seed)
    rng = np.random.default_rng(42)
    fs = FeatureSet.from_dict(
        label="SensorData",
        data={"voltage": list(rng.standard_normal((n_samples, 20))),
              "soh": list(rng.standard_normal((n_samples, 1)))},
        feature_keys="voltage", target_keys="soh",
    )
    fs.split_random(ratios={"train": 0.7, "val": 0.15, "test": 0.15}, seed=13)
    node = ModelNode(label="MLP",
                     model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16),
                     upstream_ref=fs.reference(features="voltage", targets="soh"))
    ModelGraph(label="SimpleGraph", nodes=[node],
               optimizer=Optimizer("adam", opt_kwargs={"lr": 1e-3}, backend="torch")).build()
    config = ResultsConfig(results_dir=results_dir, table_format="parquet") if results_dir else None
    return Experiment.from_active_context(label="ddp_example", results_config=config)


def mse() -> AppliedLoss:
    return AppliedLoss(loss=Loss("mse", backend="torch"), on="MLP", inputs=["outputs", "targets"])


def train_phase(n_epochs: int = 3, batch_size: int = 32, callbacks: Any = ()) -> TrainPhase:
    """TrainPhase on "train" with an Evaluation on "val" logging `val_loss` every epoch."""
    evaluation = Evaluation.from_split(label="eval_val", split="val",
                                       metrics=[EvalLossMetric(loss=mse())])
    return TrainPhase.from_split(
        label="train", split="train", losses=[mse()], n_epochs=n_epochs,
        sampler=SimpleSampler(batch_size=batch_size, shuffle=True, seed=42),
        callbacks=[evaluation, *callbacks],
    )


def init_from_env() -> None:
    """Join the process group torchrun describes (nccl with GPUs, gloo otherwise)."""
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    torch.distributed.init_process_group(backend=backend)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    init_from_env()
    try:
        exp = build_experiment(args.samples, args.results_dir)
        if torch.cuda.is_available():
            exp.model_graph.to(f"cuda:{torch.cuda.current_device()}")
        results = exp.run_phase(train_phase(args.epochs))
        rank = torch.distributed.get_rank()
        if rank == 0:
            val = results.metrics().where(name="val_loss").values()
            for entry in val:
                print(f"epoch {entry.epoch_idx}: val_loss={entry.value:.6f}")
            print(f"world_size={torch.distributed.get_world_size()}")
    finally:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
