"""Make the README picture: two short runs written to disk, drawn by `modularml plot`.

python docs/images/make_curves.py     (writes docs/images/curves.png)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

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
    ResultsConfig,
    TrainPhase,
)
from modularml.callbacks import EvalLossMetric, Evaluation
from modularml.models.torch import SequentialMLP
from modularml.samplers import SimpleSampler

OUT = Path(__file__).with_name("curves.png")


def train(results_dir: Path, lr: float) -> None:
    """The seed's set-up learning y = 3 mean(x) + noise; one run of 12 epochs at ``lr``."""
    torch.manual_seed(0)
    rng = np.random.default_rng(42)
    x = rng.standard_normal((2000, 20))
    y = x.mean(axis=1, keepdims=True) * 3 + 0.1 * rng.standard_normal((2000, 1))
    exp = Experiment("readme", results_config=ResultsConfig(results_dir=results_dir))
    fs = FeatureSet.from_dict(
        label="SensorData",
        data={"voltage": list(x), "soh": list(y)},
        feature_keys="voltage",
        target_keys="soh",
    )
    fs.split_random(ratios={"train": 0.7, "val": 0.15, "test": 0.15}, seed=13)
    node = ModelNode(
        label="MLP",
        model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=32),
        upstream_ref=fs.reference(features="voltage", targets="soh"),
    )
    graph = ModelGraph(
        label="graph",
        nodes=[node],
        optimizer=Optimizer("adam", opt_kwargs={"lr": lr}, backend="torch"),
    )
    graph.build()
    loss = AppliedLoss(Loss("mse", backend="torch"), on="MLP", inputs=["outputs", "targets"])
    val = EvalLossMetric(
        loss=AppliedLoss(Loss("mse", backend="torch"), on="MLP", inputs=["targets", "outputs"])
    )
    phase = TrainPhase.from_split(
        label=f"lr-{lr:g}",
        split="train",
        sampler=SimpleSampler(batch_size=64, shuffle=True, seed=42),
        losses=[loss],
        n_epochs=12,
        callbacks=[Evaluation.from_split(label="eval_val", split="val", metrics=[val])],
    )
    exp.run_phase(phase, show_progress=False)


def main() -> None:
    results_dir = Path(tempfile.mkdtemp()) / "runs"
    try:
        for lr in (3e-4, 3e-3):
            train(results_dir, lr)
        command = [sys.executable, "-m", "modularml.cli"]
        subprocess.run([*command, "show", str(results_dir)], check=True)
        plot = ["plot", str(results_dir), "--metric", "train_loss", "--metric", "val_loss"]
        subprocess.run([*command, *plot, "-o", str(OUT), "--title", "runs"], check=True)
    finally:
        shutil.rmtree(results_dir.parent)


if __name__ == "__main__":
    main()
