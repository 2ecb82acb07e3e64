"""Device handling: everything follows the graph's device (CUDA when available)."""

from __future__ import annotations

import pytest
import torch

from frontend_helpers import seed_setup
from modularml import EvalPhase
from modularml.core.experiment.context import ExperimentContext
from test_frontend_loop import train_phase

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


@pytest.mark.parametrize("device", DEVICES)
def test_training_and_eval_run_on_the_graph_device(device):
    s = seed_setup()
    s.graph.to(device)
    res = s.exp.run_phase(train_phase(s, n_epochs=2, batch_size=32))
    ctx = res.execution_contexts().values()[0]
    assert ctx.domain_data("MLP", "outputs").device.type == device
    assert ctx.domain_data("MLP", "targets").device.type == device
    assert all(p.device.type == device for p in s.graph.parameters())
    ev = s.exp.run_phase(EvalPhase.from_split("ev", split="val", losses=[s.loss]))
    assert ev.stacked_tensors("MLP", "outputs", fmt="np").shape == (75, 1, 1)
    assert s.exp.preview_phase(train_phase(s, label="p", n_epochs=1)).n_epochs == 1
