"""Experiment construction, the active context, plans, groups and multi-node graphs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from frontend_helpers import seed_setup
from modularml import (
    AppliedLoss,
    EvalPhase,
    Experiment,
    FeatureSet,
    Loss,
    ModelGraph,
    ModelNode,
    NodeNotFoundError,
    Optimizer,
    PhaseGroup,
    TrainPhase,
)
from modularml.core.experiment.context import ExperimentContext
from modularml.models.torch import SequentialMLP
from modularml.samplers import SimpleSampler
from test_frontend_loop import train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


def test_from_active_context_adopts_nodes_and_guards_ownership():
    s = seed_setup()
    assert s.exp.ctx is ExperimentContext.get_active()
    assert s.exp.model_graph is s.graph
    with pytest.raises(ValueError, match="overwrite=True"):
        Experiment.from_active_context(label="again")
    s.exp.run_phase(train_phase(s, n_epochs=1))
    trained = [p.detach().clone() for p in s.graph.parameters()]
    again = Experiment.from_active_context(label="again", overwrite=True)
    assert again.history == [] and again.model_graph is s.graph
    assert not all(torch.equal(a, b) for a, b in zip(trained, s.graph.parameters(), strict=True))
    assert s.graph.optimizer.instance.state_dict()["state"] == {}


def test_new_experiment_starts_an_empty_context():
    seed_setup()
    exp = Experiment("fresh")
    assert exp.model_graph is None and exp.ctx.available_nodes == {}
    with pytest.raises(NodeNotFoundError):
        AppliedLoss(Loss("mse", backend="torch"), on="MLP")
    with pytest.raises(RuntimeError, match="ModelGraph"):
        EvalPhase.from_split("e", split="val")


def test_duplicate_labels_follow_the_registration_policy():
    data = {"x": np.zeros((4, 2)), "y": np.zeros(4)}
    Experiment("strict")
    FeatureSet.from_dict("D", data, "x", "y")
    with pytest.raises(ValueError, match="already registered"):
        FeatureSet.from_dict("D", data, "x", "y")
    Experiment("loose", registration_policy="overwrite")
    first = FeatureSet.from_dict("D", data, "x", "y")
    second = FeatureSet.from_dict("D", data, "x", "y")
    assert ExperimentContext.get_active().get_node("D") is second is not first


def test_phase_group_structure():
    s = seed_setup()
    t, e = train_phase(s, label="t"), EvalPhase.from_split("e", split="val")
    group = PhaseGroup("g", [t])
    group.add_group(PhaseGroup("inner", [e]))
    assert repr(group) == "PhaseGroup(label=g, entries=2)"
    assert [p.label for p in group.flatten()] == ["t", "e"]
    assert group[0] is t and group["t"] is t and group.get_train_phase("t") is t
    with pytest.raises(ValueError, match="already exists"):
        group.add_phase(train_phase(s, label="g"))
    with pytest.raises(TypeError):
        group.get_eval_phase("t")
    group.remove("inner")
    assert [i.label for i in group.all] == ["t"]


def test_two_node_graph_trains_only_active_nodes():
    ExperimentContext().make_active()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    fs = FeatureSet.from_dict("D", {"x": rng.standard_normal((64, 6)),
                                    "y": rng.standard_normal(64)}, "x", "y")
    fs.split_random({"train": 1.0}, seed=0)
    enc = ModelNode("Enc", SequentialMLP(output_shape=(1, 4), n_layers=1), fs.reference())
    head = ModelNode("Head", nn.Sequential(nn.Flatten(), nn.Linear(4, 1)), upstream_ref="Enc")
    graph = ModelGraph("G", nodes=[enc, head], optimizer=Optimizer("sgd", opt_kwargs={"lr": 0.1},
                                                                   backend="torch"))
    graph.build()
    exp = Experiment.from_active_context("two")
    loss = AppliedLoss(Loss("mse", backend="torch"), on="Head")
    enc_before = [p.detach().clone() for p in enc.parameters()]
    head_before = [p.detach().clone() for p in head.parameters()]
    phase = TrainPhase.from_split("t", split="train", sampler=SimpleSampler(16), losses=[loss],
                                  n_epochs=2, active_nodes=["Head"])
    res = exp.run_phase(phase)
    assert all(torch.equal(a, b) for a, b in zip(enc_before, enc.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(head_before, head.parameters(), strict=True))
    ctx = res.execution_contexts().values()[0]
    assert ctx.domain_data("Head", "features").shape == (16, 1, 4)
    assert ctx.domain_data("Head", "targets").shape == (16, 1)
    both = TrainPhase.from_split("t2", split="train", sampler=SimpleSampler(16), losses=[loss])
    exp.run_phase(both)
    assert not all(torch.equal(a, b) for a, b in zip(enc_before, enc.parameters(), strict=True))
