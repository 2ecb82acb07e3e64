"""Shared set-up for the front-end tests: the seed's experiment, small and seeded."""

from __future__ import annotations

from dataclasses import dataclass
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
)
from modularml.core.experiment.context import ExperimentContext
from modularml.models.torch import SequentialMLP


@dataclass
class Setup:
    fs: Any
    node: Any
    graph: Any
    exp: Any
    loss: Any


def seed_setup(n_samples: int = 500, seed: int = 0, lr: float = 1e-3) -> Setup:
    """The seed notebook's set-up in a fresh active context (weights seeded by `seed`)."""
    ExperimentContext().make_active()
    torch.manual_seed(seed)
    rng = np.random.default_rng(42)
    fs = FeatureSet.from_dict(
        label="SensorData",
        data={
            "voltage": list(rng.standard_normal((n_samples, 20))),
            "soh": list(rng.standard_normal((n_samples, 1))),
        },
        feature_keys="voltage",
        target_keys="soh",
    )
    fs.split_random(ratios={"train": 0.7, "val": 0.15, "test": 0.15}, seed=13)
    node = ModelNode(
        label="MLP",
        model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16),
        upstream_ref=fs.reference(features="voltage", targets="soh"),
    )
    graph = ModelGraph(
        label="SimpleGraph",
        nodes=[node],
        optimizer=Optimizer("adam", opt_kwargs={"lr": lr}, backend="torch"),
    )
    graph.build()
    exp = Experiment.from_active_context(label="my_experiment")
    loss = AppliedLoss(loss=Loss("mse", backend="torch"), on="MLP", inputs=["outputs", "targets"])
    return Setup(fs, node, graph, exp, loss)
