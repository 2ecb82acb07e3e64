"""EvalLossMetric (and the MetricCallback base it builds on)."""

from __future__ import annotations

import pytest

from frontend_helpers import seed_setup
from modularml import AppliedLoss, Loss
from modularml.callbacks import EvalLossMetric, Evaluation, MetricCallback
from modularml.core.experiment.context import ExperimentContext
from modularml.core.experiment.progress import latest_metric
from test_frontend_loop import train_phase


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


def test_val_loss_per_epoch_matches_the_evaluation():
    s = seed_setup()
    loss = AppliedLoss(Loss("mse", backend="torch"), on="MLP", inputs=["targets", "outputs"])
    metric = EvalLossMetric(loss=loss)
    cb = Evaluation.from_split(label="eval_val", split="val", metrics=[metric])
    assert cb.eval_phase.losses == [loss]
    res = s.exp.run_phase(train_phase(s, n_epochs=3, callbacks=[cb]))
    entries = res.metrics().where(name="val_loss").values()
    assert [(e.epoch_idx, e.batch_idx) for e in entries] == [(0, None), (1, None), (2, None)]
    evals = res.callbacks(kind="evaluation").values()
    expected = [r.aggregated_losses(node="MLP")["mse"] for r in evals]
    assert [e.value for e in entries] == pytest.approx(expected)
    assert len(res.callbacks(kind="metric")) == 0  # logged as metrics only
    assert latest_metric(res, "val_loss", 2) == entries[-1].value


def test_reducers_over_batches():
    s = seed_setup()
    mean = EvalLossMetric(loss=s.loss, reducer="mean", name="m")
    total = EvalLossMetric(loss=s.loss, reducer="sum", name="t")
    cb = Evaluation.from_split(label="ev", split="val", batch_size=25, metrics=[mean, total])
    res = s.exp.run_phase(train_phase(s, n_epochs=1, callbacks=[cb]))
    per_batch = [r.auxiliary for r in
                 res.callbacks(kind="evaluation").one().eval_results.losses("MLP").values()]
    assert len(per_batch) == 3
    assert res.metrics().where(name="t").one().value == pytest.approx(sum(per_batch))
    assert res.metrics().where(name="m").one().value == pytest.approx(sum(per_batch) / 3)


def test_validation():
    s = seed_setup()
    with pytest.raises(TypeError):
        EvalLossMetric(loss=Loss("mse", backend="torch"))
    with pytest.raises(ValueError, match="reducer"):
        EvalLossMetric(loss=s.loss, reducer="max")
    with pytest.raises(ValueError, match="reserved"):
        EvalLossMetric(loss=s.loss, name="train_loss")
    assert EvalLossMetric(loss=s.loss).label == "val_loss"
    config = EvalLossMetric(loss=s.loss, reducer="sum", name="x").get_config()
    again = EvalLossMetric.from_config(config)
    assert (again.metric_name, again.reducer, again.loss.label) == ("x", "sum", "mse")
    assert issubclass(EvalLossMetric, MetricCallback)
