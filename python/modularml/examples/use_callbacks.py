"""The "How to: Use Callbacks" notebook as a script: every code cell, in order, verbatim.

Run it with `python -m modularml.examples.use_callbacks`. The cells run at module level
as in the notebook (less `%matplotlib inline`); values the notebook displays are printed.
Figures use matplotlib's Agg backend when there is no display.
"""

# ruff: noqa: E402, I001, UP037  (cells import where the notebook does; kept verbatim)
from __future__ import annotations

import os
import sys


def _pick_backend() -> None:
    # figures are built and closed by the callbacks; without a display there is nothing to show
    if "matplotlib.pyplot" in sys.modules or os.environ.get("MPLBACKEND"):
        return
    if not os.environ.get("DISPLAY"):
        import matplotlib

        matplotlib.use("Agg")


_pick_backend()

# --- cell: imports
import numpy as np

from modularml import (
    AppliedLoss,
    EvalPhase,  # noqa: F401 - imported by the notebook
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

# --- cell: experiment setup
rng = np.random.default_rng(42)

# Synthetic data: 500 samples, 20-d feature, 1-d target
fs = FeatureSet.from_dict(
    label="SensorData",
    data={
        "voltage": list(rng.standard_normal((500, 20))),
        "soh": list(rng.standard_normal((500, 1))),
    },
    feature_keys="voltage",
    target_keys="soh",
)
fs.split_random(ratios={"train": 0.7, "val": 0.15, "test": 0.15}, seed=13)
fs_ref = fs.reference(features="voltage", targets="soh")

mn_mlp = ModelNode(
    label="MLP",
    model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16),
    upstream_ref=fs_ref,
)
graph = ModelGraph(
    label="SimpleGraph",
    nodes=[mn_mlp],
    optimizer=Optimizer("adam", opt_kwargs={"lr": 1e-3}, backend="torch"),
)
graph.build()

exp = Experiment.from_active_context(label="my_experiment")

mse_loss = AppliedLoss(
    loss=Loss("mse", backend="torch"),
    on="MLP",
    inputs=["outputs", "targets"],
)
print(f"Splits: {fs.available_splits}")

# --- cell: a custom callback
from typing import Any

from modularml.core.experiment.callbacks.callback import Callback

class LossLogger(Callback):
    """Prints the mean training loss at the end of each epoch."""

    def __init__(self, node: str = "MLP", label: str | None = None):
        super().__init__(label=label or "LossLogger")
        self.node = node
        self._epoch_losses: list[float] = []

    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        epoch_idx = exec_ctx.epoch_idx
        # Use the results provided to this hook
        if results is not None:
            # Grab the recorded losses for this epoch
            epoch_losses = results.losses(node=self.node).where(epoch=epoch_idx)

            # Since we likely have a loss recorded for each batch in the epoch,
            # we can collapse losses via averaging
            if len(epoch_losses.values()) > 0:
                collapsed = epoch_losses.collapse(axis="batch", reducer="mean").one()
                # Grab the trainable component of this loss
                loss_val = collapsed.trainable
                self._epoch_losses.append(loss_val)
                print(f"  epoch {epoch_idx:>3}: train_loss = {loss_val:.4f}")

    def get_config(self) -> dict[str, Any]:
        return {"callback_type": self.__class__.__name__, "node": self.node, "label": self.label}

    @classmethod
    def from_config(cls, config: dict) -> "LossLogger":
        return cls(node=config["node"], label=config["label"])

# --- cell: attach and run
loss_logger = LossLogger(node="MLP")

train_phase = TrainPhase.from_split(
    label="train",
    split="train",
    sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
    losses=[mse_loss],
    n_epochs=3,
    callbacks=[loss_logger],
)
print(f"Attached callbacks: {[cb.label for cb in train_phase.callbacks]}")
train_results = exp.run_phase(train_phase)
print(f"\nRecorded epoch losses: {loss_logger._epoch_losses}")

# --- cell: the Evaluation callback
from modularml.callbacks import Evaluation

eval_cb = Evaluation.from_split(
    label="eval_val",
    split="val",
    every_n_epochs=1,
)

train_phase_with_eval = TrainPhase.from_split(
    label="train_with_eval",
    split="train",
    sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
    losses=[mse_loss],
    n_epochs=3,
    callbacks=[eval_cb],
)

train_results = exp.run_phase(train_phase_with_eval)
print("Training with Evaluation callback complete.")

# --- cell: evaluation results
print(train_results.callbacks())

eval_cbs = train_results.callbacks(kind="evaluation").values()
print(eval_cbs)
# And the eval results in those callbacks can be accessed with
print([eval_cb.eval_results for eval_cb in eval_cbs])

# --- cell: EvalLossMetric
from modularml.callbacks import EvalLossMetric, Evaluation

# We define a loss to be applied during our Evaluation callback
val_loss_metric = EvalLossMetric(
    loss=AppliedLoss(
        loss=Loss("mse", backend="torch"),
        on="MLP",
        inputs=["targets", "outputs"],
    ),
    reducer="mean",
    name="val_loss",
)
# ^ note that metrics with name "val_loss" will be shown in the progress bars during training

eval_cb_with_metric = Evaluation.from_split(
    label="eval_val",
    split="val",
    every_n_epochs=1,
    metrics=[val_loss_metric],
)

train_phase_tracked = TrainPhase.from_split(
    label="train_tracked",
    split="train",
    sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
    losses=[mse_loss],
    n_epochs=5,
    callbacks=[eval_cb_with_metric],
)

train_results = exp.run_phase(train_phase_tracked)
print("Training complete.")

# --- cell: accessing callback results
# Here we grab the training results directly from the experiment's history
last_train_results = exp.last_run.results

# All result attributes return AxisSeries; it's essentially a queriable, multi-keyed dict
# More on those in a later notebook
val_losses = last_train_results.metrics().where(name="val_loss").values()
print("val_loss per epoch:")
for entry in val_losses:
    print(f"  epoch {entry.epoch_idx}: {entry.value:.4f}")

# --- cell: callback axes
print(last_train_results.callbacks().axes)

print("Axis values:")
for k, vs in last_train_results.callbacks().axes_values().items():
    print(f"  {k}: {vs}")

# Grab the underlying EvalResults from epoch 3
cb_res = last_train_results.callbacks(kind="evaluation").where(epoch=3).one()
print(cb_res.eval_results)

# Output tensors accessed directly
pred = cb_res.stacked_tensors(node="MLP", domain="outputs", fmt="np").reshape(-1)
true = cb_res.stacked_tensors(node="MLP", domain="targets", fmt="np").reshape(-1)

# --- cell: scatter plot
import matplotlib.pyplot as plt

plt.figure(figsize=(3, 3))
plt.scatter(pred, true)
plt.show()

# --- cell: ArtifactResult callback
import matplotlib.pyplot as plt

from modularml.callbacks import ArtifactResult

class ScatterPlotCallback(Callback):
    """Produces a pred-vs-true scatter plot at the end of every epoch."""

    def __init__(self, node: str = "MLP", label: str | None = None):
        super().__init__(label=label or "ScatterPlot")
        self.node = node

    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        # Only run every other epoch to keep the demo quick
        if exec_ctx.epoch_idx % 2 != 0:
            return None

        # Pull predictions from the most recent eval callback result
        if results is None:
            return None
        eval_cbs = results.callbacks(kind="evaluation").values()
        if not eval_cbs:
            return None
        last_eval = eval_cbs[-1]

        pred = last_eval.stacked_tensors(node=self.node, domain="outputs", fmt="np").reshape(-1)
        true = last_eval.stacked_tensors(node=self.node, domain="targets", fmt="np").reshape(-1)

        fig, ax = plt.subplots(figsize=(3, 3))
        ax.scatter(pred, true, alpha=0.4, s=10)
        ax.set_xlabel("Predicted")
        ax.set_ylabel("True")
        ax.set_title(f"Epoch {exec_ctx.epoch_idx}")
        plt.tight_layout()
        plt.close()

        return ArtifactResult(artifact_name="val_scatter", artifact=fig)

    def get_config(self):
        return {"callback_type": self.__class__.__name__, "node": self.node, "label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(node=config["node"], label=config["label"])

scatter_cb = ScatterPlotCallback(node="MLP")
eval_cb_for_scatter = Evaluation.from_split(
    label="eval_val",
    split="val",
    every_n_epochs=1,
)

train_phase_with_artifacts = TrainPhase.from_split(
    label="train_with_artifacts",
    split="train",
    sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
    losses=[mse_loss],
    n_epochs=4,
    callbacks=[eval_cb_for_scatter, scatter_cb],
)

train_results = exp.run_phase(train_phase_with_artifacts)
print("Artifact names:", train_results.artifact_names())

# --- cell: artifacts
# List all artifact names produced during the phase
print("Artifact names:", train_results.artifact_names())

# Query via the artifact store; keyed by (name, epoch, batch)
scatter_series = train_results.artifacts().where(name="val_scatter")
print(f"Scatter plots recorded: {len(scatter_series)}")
for entry in scatter_series.values():
    print(f"  epoch {entry.epoch_idx}: {type(entry.artifact).__name__}")

# entry.artifact transparently loads from disk when ResultsConfig(results_dir=...) is set
entry = scatter_series.where(epoch=0).one()
print(repr(entry.artifact))

