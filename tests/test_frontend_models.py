"""Models, shape inference, graph, losses and optimizer."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from frontend_helpers import seed_setup
from modularml import AppliedLoss, Loss, ModelGraph, ModelNode, Optimizer
from modularml.core.experiment.context import ExperimentContext
from modularml.models.torch import SequentialCNN, SequentialMLP


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


def test_seed_graph_builds_with_inferred_shapes():
    s = seed_setup()
    mlp = s.node.model
    assert mlp.input_shape == (1, 20) and mlp.output_shape == (1, 1)
    linears = [m for m in mlp.fc if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(20, 16), (16, 1)]
    assert repr(s.graph) == (
        "ModelGraph(label='SimpleGraph', nodes=1, built=True, optimizer=Optimizer)"
    )
    assert repr(s.graph.optimizer) == "Optimizer('adam', lr=0.001)"
    assert repr(Loss("mse", backend="torch")) == "Loss(name=mse, backend=Backend.TORCH)"
    assert repr(s.loss) == (
        "AppliedLoss(label='mse', loss='mse', inputs={'0': 'outputs', '1': 'targets'}, "
        "weight=1.0)"
    )
    assert mlp(torch.zeros(32, 1, 20)).shape == (32, 1, 1)


def test_mlp_lazy_and_conflicting_shapes():
    mlp = SequentialMLP(n_layers=1)
    assert not mlp.is_built
    mlp.build(input_shape=(10,), output_shape=(3,))
    assert mlp.input_shape == (1, 10) and mlp.output_shape == (1, 3)
    with pytest.raises(ValueError, match="force=True"):
        mlp.build(output_shape=(1, 8))
    mlp.build(output_shape=(1, 8), force=True)
    assert mlp(torch.zeros(2, 1, 10)).shape == (2, 1, 8)


def test_tail_with_conflicting_output_shape_fails_to_build():
    s = seed_setup()
    ExperimentContext.get_active().registration_policy = "overwrite"
    node = ModelNode("Wide", SequentialMLP(output_shape=(1, 8)), upstream_ref=s.fs.reference())
    with pytest.raises(ValueError, match="force=True"):
        ModelGraph("G2", nodes=[node]).build()


def test_cnn_and_raw_module_chain_infers_shapes():
    s = seed_setup()
    ExperimentContext.get_active().registration_policy = "overwrite"
    enc = ModelNode("Enc", SequentialCNN(output_shape=(1, 8), pooling=2), s.fs.reference())
    head = ModelNode("Head", nn.Sequential(nn.Flatten(), nn.Linear(8, 1)), upstream_ref=enc)
    graph = ModelGraph("Chain", nodes=[head, enc], optimizer=Optimizer("sgd", backend="torch"))
    graph.build()
    assert graph.node_labels == ["Enc", "Head"]
    assert enc.model.input_shape == (1, 20)
    assert graph.output_shapes == {"Enc": (1, 8), "Head": (1,)}
    assert len(graph.optimizer.instance.param_groups[0]["params"]) == len(graph.parameters())


def test_loss_resolution_and_callables():
    assert isinstance(Loss("l1", backend="torch").build(), nn.L1Loss)
    assert Loss(nn.HuberLoss).name == "huberloss"
    with pytest.raises(ValueError, match="backend"):
        Loss("mse")
    with pytest.raises(ValueError, match="Unknown torch loss"):
        Loss("nope", backend="torch")

    def scalar_mse(pred, target):
        return ((pred - target) ** 2).mean()

    assert Loss(scalar_mse).name == "scalar_mse"
    assert Loss(nn.MSELoss()).name == "mseloss"  # callable objects work too


def test_applied_loss_validates_node_and_inputs():
    s = seed_setup()
    with pytest.raises(KeyError):
        AppliedLoss(Loss("mse", backend="torch"), on="Nope")
    with pytest.raises(ValueError, match="must end with"):
        AppliedLoss(Loss("mse", backend="torch"), on=s.node, inputs=["outputs", "bogus"])
    weighted = AppliedLoss(Loss("mse", backend="torch"), on="MLP", weight=2.0, label="w")
    assert weighted.label == "w" and weighted.weight == 2.0


def test_optimizer_by_name_class_and_scheduler():
    with pytest.raises(ValueError, match="backend"):
        Optimizer("adam")
    with pytest.raises(ValueError, match="Unknown torch optimizer"):
        Optimizer("nope", backend="torch")
    opt = Optimizer(torch.optim.SGD, opt_kwargs={"lr": 0.5}, scheduler="steplr",
                    scheduler_kwargs={"step_size": 1, "gamma": 0.1})
    assert repr(opt) == "Optimizer('sgd', lr=0.5)"
    opt.build([nn.Parameter(torch.zeros(1))])
    opt.step()
    opt.epoch_end()
    assert opt.instance.param_groups[0]["lr"] == pytest.approx(0.05)


def test_scalar_callable_losses_are_not_rescaled():
    s = seed_setup()

    def scalar_mse(pred, target):
        return ((pred - target) ** 2).mean()

    from modularml.core.experiment.execution_context import Batch, ExecutionContext

    x, y = torch.randn(8, 1, 20), torch.randn(8, 1)
    ctx = ExecutionContext("p", 0, 0, {"MLP": Batch(x, y)})
    ctx.outputs["MLP"] = s.node.model(x)
    builtin = s.loss.compute(ctx)
    custom = AppliedLoss(Loss(scalar_mse), on="MLP", label="c").compute(ctx)
    weighted = AppliedLoss(Loss("mse", backend="torch"), on="MLP", weight=3.0).compute(ctx)
    assert custom.item() == pytest.approx(builtin.item())
    assert weighted.item() == pytest.approx(3 * builtin.item())
