"""FitPhase: closed-form ridge regression fitted on a whole split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from frontend_helpers import seed_setup
from modularml import (
    AppliedLoss,
    EvalPhase,
    Experiment,
    FeatureSet,
    FitPhase,
    Loss,
    ModelGraph,
    ModelNode,
)
from modularml.core.experiment.context import ExperimentContext


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Ridge:
    """Ridge regression with an intercept, solved in closed form (numpy)."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha
        self.coef = None

    def fit(self, x, y):
        xa = np.hstack([x, np.ones((len(x), 1))])
        reg = self.alpha * np.eye(xa.shape[1])
        reg[-1, -1] = 0.0  # no penalty on the intercept
        self.coef = np.linalg.solve(xa.T @ xa + reg, xa.T @ y)

    def predict(self, x):
        return np.hstack([x, np.ones((len(x), 1))]) @ self.coef


def ridge_setup():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5))
    w = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    y = x @ w + 0.5 + 0.01 * rng.standard_normal(200)
    exp = Experiment("ridge_exp")
    fs = FeatureSet.from_dict("Lin", {"x": x, "y": y}, feature_keys="x", target_keys="y")
    fs.split_random({"train": 0.8, "test": 0.2}, seed=1)
    node = ModelNode("Ridge", Ridge(alpha=0.1), upstream_ref=fs.reference())
    ModelGraph("RidgeGraph", nodes=[node]).build()
    loss = AppliedLoss(Loss("mse", backend="torch"), on="Ridge")
    return exp, fs, node, loss, x, y


def test_fit_phase_solves_ridge_and_freezes():
    exp, fs, node, loss, x, y = ridge_setup()
    res = exp.run_phase(FitPhase.from_split("fit", split="train", losses=[loss]))
    rows = fs["train"].indices
    expected = Ridge(alpha=0.1)
    expected.fit(x[rows], y[rows, None])
    np.testing.assert_allclose(node.model.coef, expected.coef, atol=1e-5)  # float32 data
    assert node.model.coef[:5, 0] == pytest.approx([1.0, -2.0, 0.5, 0.0, 3.0], abs=0.02)
    assert node.is_frozen
    assert repr(res) == "FitResults(label='fit')"
    (ctx,) = res.execution_contexts().values()
    assert (ctx.epoch_idx, ctx.batch_idx) == (None, 0)
    assert res.stacked_tensors("Ridge", "outputs", fmt="np").shape == (160, 1, 1)
    assert res.aggregated_losses("Ridge")["mse"] < 1e-3
    assert exp.last_run.status == "completed"


def test_fitted_node_is_used_by_eval_and_refit_skipped_when_frozen():
    exp, fs, node, loss, x, y = ridge_setup()
    exp.run_phase(FitPhase.from_split("fit", split="train", losses=[loss]))
    coef = node.model.coef.copy()
    test = exp.run_phase(EvalPhase.from_split("test", split="test", losses=[loss]))
    assert test.aggregated_losses("Ridge")["mse"] < 1e-3
    exp.run_phase(FitPhase.from_split("fit_again", split="test"))
    np.testing.assert_array_equal(node.model.coef, coef)  # frozen: not refitted


def test_fit_phase_preview_restores_the_model():
    exp, fs, node, loss, x, y = ridge_setup()
    exp.preview_phase(FitPhase.from_split("fit", split="train"))
    assert node.model.coef is None and not node.is_frozen
    assert exp.history == []


def test_fit_phase_runs_torch_nodes_forward_only():
    s = seed_setup()
    before = [p.clone() for p in s.graph.parameters()]
    res = s.exp.run_phase(FitPhase.from_split("fit", split="val", losses=[s.loss]))
    assert all(torch.equal(a, b) for a, b in zip(before, s.graph.parameters(), strict=True))
    assert set(res.aggregated_losses("MLP")) == {"mse"}
