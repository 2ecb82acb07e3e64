"""Reference-package side of the training-step benchmark (seed MLP, batch 32).

Runs in the reference package's own virtual environment, driven by
benches/run.py. Prints one JSON object: seconds per step for each size.
"""

from __future__ import annotations

import json
import sys
import time


def step_seconds(n_samples: int, n_epochs: int, seed: int = 0) -> float:
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
    from modularml.models.torch import SequentialMLP
    from modularml.samplers import SimpleSampler

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    exp = Experiment(label=f"bench_{n_samples}", registration_policy="overwrite")
    fs = FeatureSet.from_dict(
        label=f"SensorData{n_samples}",
        data={"voltage": list(rng.standard_normal((n_samples, 20))), "soh": list(rng.standard_normal((n_samples, 1)))},
        feature_keys="voltage",
        target_keys="soh",
    )
    fs.split_random(ratios={"train": 1.0}, seed=13)
    node = ModelNode(
        label="MLP",
        model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16),
        upstream_ref=fs.reference(features="voltage", targets="soh"),
    )
    graph = ModelGraph(label="G", nodes=[node], optimizer=Optimizer("adam", opt_kwargs={"lr": 1e-3}, backend="torch"))
    graph.build()
    loss = AppliedLoss(loss=Loss("mse", backend="torch"), on="MLP", inputs=["outputs", "targets"])
    phase = TrainPhase.from_split(
        label="train",
        split="train",
        sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
        losses=[loss],
        n_epochs=n_epochs,
    )
    t0 = time.perf_counter()
    exp.run_phase(phase, show_sampler_progress=False, show_training_progress=False)
    elapsed = time.perf_counter() - t0
    steps = n_epochs * -(-n_samples // 32)
    return elapsed / steps


if __name__ == "__main__":
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"sizes": [10000], "n_epochs": 1}
    out = {str(n): step_seconds(n, args["n_epochs"]) for n in args["sizes"]}
    json.dump({"step_s": out}, sys.stdout)
