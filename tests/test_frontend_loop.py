"""The execution loop: hook order and arguments, results, stopping, recording, errors."""

from __future__ import annotations

import pytest
import torch

from frontend_helpers import seed_setup
from modularml import EvalPhase, PhaseGroup, ResultRecording, TrainPhase
from modularml.core.experiment.callbacks.callback import HOOKS, Callback
from modularml.core.experiment.callbacks.dispatch import HookDispatcher
from modularml.core.experiment.context import ExperimentContext
from modularml.results import CallbackResult, MetricResult, PayloadResult
from modularml.samplers import SimpleSampler


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class Recorder(Callback):
    """Records every hook call: (hook, epoch_idx, batch_idx, sorted kwarg names)."""

    def __init__(self, label="Recorder", execution_order=0, log=None):
        super().__init__(label=label, execution_order=execution_order)
        self.calls = log if log is not None else []

    def _note(self, hook, kwargs):
        ctx = kwargs.get("exec_ctx")
        where = (ctx.epoch_idx, ctx.batch_idx) if ctx is not None else None
        self.calls.append((self.label, hook, where, tuple(sorted(kwargs))))

    def on_phase_start(self, **kw):
        self._note("on_phase_start", kw)

    def on_phase_end(self, **kw):
        self._note("on_phase_end", kw)

    def on_epoch_start(self, **kw):
        self._note("on_epoch_start", kw)

    def on_epoch_end(self, **kw):
        self._note("on_epoch_end", kw)

    def on_batch_start(self, **kw):
        self._note("on_batch_start", kw)

    def on_batch_end(self, **kw):
        self._note("on_batch_end", kw)

    def on_exception(self, **kw):
        self._note("on_exception", kw)
        self.exception = kw["exception"]

    def get_config(self):
        return {"label": self.label}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def train_phase(s, label="train", n_epochs=2, callbacks=(), batch_size=128, **kw):
    return TrainPhase.from_split(
        label=label, split="train", sampler=SimpleSampler(batch_size=batch_size, shuffle=True, seed=7),
        losses=[s.loss], n_epochs=n_epochs, callbacks=list(callbacks), **kw,
    )


CTX_KW = ("exec_ctx", "experiment", "phase", "results")
PHASE_KW = ("experiment", "phase", "results")


def test_hook_order_and_arguments_in_training():
    s = seed_setup()
    rec = Recorder()
    s.exp.run_phase(train_phase(s, callbacks=[rec]))  # 350 rows / 128 -> 3 batches
    expected = [("on_phase_start", None, PHASE_KW)]
    for e in range(2):
        expected.append(("on_epoch_start", (e, 0), CTX_KW))
        for b in range(3):
            expected += [("on_batch_start", (e, b), CTX_KW), ("on_batch_end", (e, b), CTX_KW)]
        expected.append(("on_epoch_end", (e, 2), CTX_KW))
    expected.append(("on_phase_end", None, PHASE_KW))
    assert [c[1:] for c in rec.calls] == expected


def test_eval_phase_has_no_epochs_and_chunks_the_split():
    s = seed_setup()
    rec = Recorder()
    before = [p.clone() for p in s.graph.parameters()]
    phase = EvalPhase.from_split("eval", split="test", losses=[s.loss], batch_size=20, callbacks=[rec])
    res = s.exp.run_phase(phase)
    hooks = [(h, w) for _, h, w, _ in rec.calls]
    assert hooks == [("on_phase_start", None)] + [
        (h, (None, b)) for b in range(4) for h in ("on_batch_start", "on_batch_end")
    ] + [("on_phase_end", None)]
    assert repr(res) == "EvalResults(label='eval', batches=4)"
    assert res.stacked_tensors("MLP", "outputs", fmt="np").shape == (75, 1, 1)
    assert [len(c.domain_data("MLP", "targets")) for c in res.execution_contexts().values()] == [
        20, 20, 20, 15]
    assert all(torch.equal(a, b) for a, b in zip(before, s.graph.parameters(), strict=True))
    assert s.node.model.training  # eval mode is put back


def test_train_loss_metric_per_batch_and_epoch():
    s = seed_setup()
    seen = {}

    class Peek(Callback):
        def on_epoch_end(self, *, experiment, phase, exec_ctx, results):
            seen[exec_ctx.epoch_idx] = len(results.metrics().where(name="train_loss", batch=None))

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    res = s.exp.run_phase(train_phase(s, callbacks=[Peek()]))
    batch_level = res.metrics().where(name="train_loss", epoch=0).values()
    per_batch = [m.value for m in batch_level if m.batch_idx is not None]
    epoch_entry = [m.value for m in batch_level if m.batch_idx is None]
    assert len(per_batch) == 3
    assert epoch_entry == [pytest.approx(sum(per_batch) / 3)]
    losses = res.losses("MLP").where(epoch=0).values()
    assert [r.trainable for r in losses] == pytest.approx(per_batch)
    assert seen == {0: 0, 1: 1}  # the epoch entry is logged after on_epoch_end
    assert repr(res) == "TrainResults(label='train', epochs=2)"
    run = s.exp.last_run
    assert run.status == "completed" and run.results is res and len(s.exp.history) == 1


def test_returned_values_are_wrapped_scoped_and_stored():
    s = seed_setup()

    class Returns(Callback):
        def on_phase_start(self, **kw):
            return {"hello": 1}

        def on_epoch_end(self, *, exec_ctx, **kw):
            return MetricResult(metric_name="custom", metric_value=float(exec_ctx.epoch_idx))

        def on_batch_end(self, *, exec_ctx, **kw):
            return CallbackResult() if exec_ctx.batch_idx == 0 else None

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    res = s.exp.run_phase(train_phase(s, callbacks=[Returns(label="R")]))
    payload = res.callbacks(kind="payload").one()
    assert isinstance(payload, PayloadResult) and payload.payload == {"hello": 1}
    assert (payload.callback_label, payload.phase_label, payload.epoch_idx, payload.batch_idx,
            payload.edge) == ("R", "train", None, None, "start")
    metrics = res.callbacks(kind="metric").values()
    assert [(m.epoch_idx, m.batch_idx, m.edge) for m in metrics] == [(0, None, "end"),
                                                                     (1, None, "end")]
    assert [m.value for m in res.metrics().where(name="custom").values()] == [0.0, 1.0]
    base = res.callbacks(kind="Callback").values()
    assert [(c.epoch_idx, c.batch_idx, c.edge) for c in base] == [(0, 0, "end"), (1, 0, "end")]


def test_execution_order_is_stable_and_labels_unique():
    s = seed_setup()
    log = []
    late = Recorder("late", execution_order=5, log=log)
    a = Recorder("a", log=log)
    phase = train_phase(s, n_epochs=1, callbacks=[late, a])
    phase.add_callback(Recorder("b", log=log))
    phase.add_callback(Recorder("early", execution_order=-1, log=log))
    assert [cb.label for cb in phase.callbacks] == ["early", "a", "b", "late"]
    with pytest.raises(ValueError, match="same label"):
        phase.add_callback(Recorder("a"))
    with pytest.raises(ValueError, match="same label"):
        train_phase(s, callbacks=[Recorder("x"), Recorder("x")])
    s.exp.run_phase(phase)
    assert [c[0] for c in log if c[1] == "on_phase_start"] == ["early", "a", "b", "late"]


def test_dispatcher_only_calls_overridden_hooks():
    class OnlyEpochEnd(Callback):
        def on_epoch_end(self, **kw):
            return None

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    d = HookDispatcher([OnlyEpochEnd()], context={})
    assert {h: len(cbs) for h, cbs in d._callbacks.items()} == {
        h: int(h == "on_epoch_end") for h in HOOKS}


def test_request_stop_ends_after_the_epoch():
    s = seed_setup()
    rec = Recorder()

    class StopAtOne(Callback):
        def on_epoch_end(self, *, phase, exec_ctx, **kw):
            if exec_ctx.epoch_idx == 1:
                phase.request_stop()

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    res = s.exp.run_phase(train_phase(s, n_epochs=5, callbacks=[StopAtOne(), rec]))
    assert res.n_epochs == 2
    assert rec.calls[-1][1] == "on_phase_end"
    assert s.exp.last_run.status == "stopped"


@pytest.mark.parametrize(("mode", "count"), [("all", 22), (ResultRecording.LAST, 11), ("none", 0)])
def test_result_recording_modes(mode, count):
    s = seed_setup()
    phase = train_phase(s, batch_size=32, result_recording=mode)
    res = s.exp.run_phase(phase)
    contexts = res.execution_contexts().values()
    assert len(contexts) == count
    if count:
        assert contexts[-1].epoch_idx == 1
        out = contexts[0].domain_data("MLP", "outputs")
        assert out.shape == (32, 1, 1) and not out.requires_grad


def test_seeded_runs_reproduce_exactly():
    def losses():
        s = seed_setup(seed=3)
        res = s.exp.run_phase(train_phase(s, n_epochs=3, batch_size=32))
        return [m.value for m in res.metrics().where(name="train_loss").values()]

    first, second = losses(), losses()
    assert first == second and len(first) == 3 * 11 + 3


def test_preview_leaves_history_weights_and_optimizer_untouched():
    s = seed_setup()
    s.exp.run_phase(train_phase(s, n_epochs=1))
    weights = {k: v.clone() for k, v in s.node.model.state_dict().items()}
    opt_state = s.graph.optimizer.instance.state_dict()
    steps = [st["step"].item() for st in opt_state["state"].values()]
    res = s.exp.preview_phase(train_phase(s, label="preview", n_epochs=2))
    assert repr(res) == "TrainResults(label='preview', epochs=2)"
    assert len(s.exp.history) == 1
    after = s.node.model.state_dict()
    assert all(torch.equal(weights[k], after[k]) for k in weights)
    new_state = s.graph.optimizer.instance.state_dict()["state"]
    assert [st["step"].item() for st in new_state.values()] == steps


def test_preview_restores_state_when_the_phase_raises():
    s = seed_setup()
    weights = {k: v.clone() for k, v in s.node.model.state_dict().items()}

    class FailLate(Callback):
        def on_batch_end(self, *, exec_ctx, **kw):
            if exec_ctx.batch_idx == 2:
                raise RuntimeError("late failure")

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    with pytest.raises(RuntimeError, match="late failure"):
        s.exp.preview_phase(train_phase(s, callbacks=[FailLate()]))
    after = s.node.model.state_dict()
    assert all(torch.equal(weights[k], after[k]) for k in weights)
    assert s.exp.history == []
    assert s.graph.optimizer.instance.state_dict()["state"] == {}


def test_run_group_and_run_record_history():
    s = seed_setup()
    group = PhaseGroup("cycle", [train_phase(s, label="g_train", n_epochs=1),
                                 EvalPhase.from_split("g_eval", split="val", losses=[s.loss])])
    res = s.exp.run_group(group)
    assert res.labels == ["g_train", "g_eval"]
    assert s.exp.last_run.label == "cycle" and s.exp.last_run.status == "completed"
    s.exp.execution_plan.add_phase(train_phase(s, label="p_train", n_epochs=1))
    s.exp.execution_plan.add_phase(EvalPhase.from_split("p_eval", split="val", losses=[s.loss]))
    out = s.exp.run()
    assert [type(r).__name__ for r in out] == ["TrainResults", "EvalResults"]
    assert [r.label for r in s.exp.history] == ["cycle", "p_train", "p_eval"]


def test_hooks_see_every_step_logged_so_far():
    s = seed_setup()
    seen = []

    class Counts(Callback):
        def on_batch_end(self, *, exec_ctx, results, **kw):
            losses = len(results.losses("MLP"))
            metrics = len(results.metrics().where(name="train_loss"))
            seen.append((exec_ctx.epoch_idx, exec_ctx.batch_idx, losses, metrics,
                         exec_ctx.losses[0].trainable))

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls()

    s.exp.run_phase(train_phase(s, n_epochs=2, callbacks=[Counts()]))
    assert [x[:4] for x in seen] == [(0, 0, 1, 1), (0, 1, 2, 2), (0, 2, 3, 3),
                                    (1, 0, 4, 5), (1, 1, 5, 6), (1, 2, 6, 7)]
    assert all(isinstance(x[4], float) for x in seen)


def test_lr_scheduler_steps_once_per_epoch():
    s = seed_setup()
    from modularml import ModelGraph, Optimizer

    ExperimentContext.get_active().registration_policy = "overwrite"
    opt = Optimizer("sgd", opt_kwargs={"lr": 0.1}, backend="torch", scheduler="steplr",
                    scheduler_kwargs={"step_size": 1, "gamma": 0.5})
    ModelGraph("SimpleGraph", nodes=[s.node], optimizer=opt).build()
    s.exp.run_phase(train_phase(s, n_epochs=3))
    assert opt.instance.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)
