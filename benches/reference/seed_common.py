"""The seed's training cells that both this package and the reference (1.0.0) run:
set-up, a LossLogger callback (losses().where().collapse()), and Evaluation with an
EvalLossMetric read back through metrics().where(name="val_loss").

Run under either package's interpreter; prints one JSON object with the seconds spent
after imports, and the val_loss values (so both sides can be checked for sanity).
"""

from __future__ import annotations

import json
import time

t_import = time.perf_counter()
import numpy as np  # noqa: E402

from modularml import (  # noqa: E402
    AppliedLoss,
    Experiment,
    FeatureSet,
    Loss,
    ModelGraph,
    ModelNode,
    Optimizer,
    TrainPhase,
)
from modularml.callbacks import EvalLossMetric, Evaluation  # noqa: E402
from modularml.core.experiment.callbacks.callback import Callback  # noqa: E402
from modularml.models.torch import SequentialMLP  # noqa: E402
from modularml.samplers import SimpleSampler  # noqa: E402

t0 = time.perf_counter()


class LossLogger(Callback):
    def __init__(self, node="MLP", label=None):
        super().__init__(label=label or "LossLogger")
        self.node = node
        self.epoch_losses = []

    def on_epoch_end(self, *, experiment, phase, exec_ctx, results=None):
        series = results.losses(node=self.node).where(epoch=exec_ctx.epoch_idx)
        self.epoch_losses.append(series.collapse(axis="batch", reducer="mean").one().trainable)

    def get_config(self):
        return {"callback_type": "LossLogger", "node": self.node, "label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(node=config["node"], label=config["label"])


rng = np.random.default_rng(42)
fs = FeatureSet.from_dict(
    label="SensorData",
    data={"voltage": list(rng.standard_normal((500, 20))), "soh": list(rng.standard_normal((500, 1)))},
    feature_keys="voltage",
    target_keys="soh",
)
fs.split_random(ratios={"train": 0.7, "val": 0.15, "test": 0.15}, seed=13)
fs_ref = fs.reference(features="voltage", targets="soh")
mn_mlp = ModelNode(label="MLP", model=SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16), upstream_ref=fs_ref)
graph = ModelGraph(label="SimpleGraph", nodes=[mn_mlp], optimizer=Optimizer("adam", opt_kwargs={"lr": 1e-3}, backend="torch"))
graph.build()
exp = Experiment.from_active_context(label="my_experiment")
mse_loss = AppliedLoss(loss=Loss("mse", backend="torch"), on="MLP", inputs=["outputs", "targets"])

logger = LossLogger()
phase = TrainPhase.from_split(label="train", split="train", sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
                              losses=[mse_loss], n_epochs=3, callbacks=[logger])
exp.run_phase(phase)
val = EvalLossMetric(loss=AppliedLoss(loss=Loss("mse", backend="torch"), on="MLP", inputs=["targets", "outputs"]),
                     reducer="mean", name="val_loss")
cb = Evaluation.from_split(label="eval_val", split="val", every_n_epochs=1, metrics=[val])
phase = TrainPhase.from_split(label="train_tracked", split="train", sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
                              losses=[mse_loss], n_epochs=5, callbacks=[cb])
exp.run_phase(phase)
val_losses = [e.value for e in exp.last_run.results.metrics().where(name="val_loss").values()]
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "import_seconds": t0 - t_import, "val_loss": val_losses,
                  "epoch_losses": [float(x) for x in logger.epoch_losses]}))
