"""With ResultRecording NONE or LAST, memory stays flat over a long run: recorded contexts
(and the output tensors they hold) do not accumulate; only scalar records grow, and those
by a bounded number of bytes per batch."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
import torch

from frontend_helpers import seed_setup
from modularml.core.experiment.callbacks.callback import Callback
from modularml.core.experiment.context import ExperimentContext
from test_frontend_loop import train_phase

EPOCHS, WARMUP = 150, 20
TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)


@pytest.fixture(autouse=True)
def fresh_context():
    with ExperimentContext().activate() as ctx:
        yield ctx


class MemoryProbe(Callback):
    """At chosen epoch ends: live tensors, Python heap, recorded contexts."""

    def __init__(self, at: tuple[int, ...]):
        super().__init__(label="probe")
        self.at, self.samples = at, {}

    def on_epoch_end(self, *, exec_ctx, results=None, **kw):
        if exec_ctx.epoch_idx not in self.at:
            return
        gc.collect()
        tensors = sum(1 for o in gc.get_objects() if type(o) in TENSOR_TYPES)
        heap = tracemalloc.get_traced_memory()[0]
        self.samples[exec_ctx.epoch_idx] = (tensors, heap, len(results.execution_contexts()))

    def get_config(self):
        return {"at": self.at}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@pytest.mark.parametrize(("mode", "contexts"), [("none", 0), ("last", 4)])
def test_memory_is_flat_over_many_epochs(mode, contexts):
    """LAST keeps one epoch's contexts aside and hands them over at the phase end."""
    s = seed_setup(n_samples=160)  # 112 training rows: 4 batches of 32 per epoch
    probe = MemoryProbe(at=(WARMUP, EPOCHS - 1))
    phase = train_phase(
        s, n_epochs=EPOCHS, batch_size=32, callbacks=[probe], result_recording=mode,
    )
    tracemalloc.start()
    try:
        results = s.exp.run_phase(phase)
    finally:
        tracemalloc.stop()
    (t0, heap0, n0), (t1, heap1, n1) = probe.samples[WARMUP], probe.samples[EPOCHS - 1]
    assert n0 == n1 == 0
    recorded = results.execution_contexts().values()
    assert len(recorded) == contexts
    assert all(ctx.epoch_idx == EPOCHS - 1 for ctx in recorded)
    assert t1 <= t0  # no tensor outlives its epoch
    per_batch = (heap1 - heap0) / ((EPOCHS - 1 - WARMUP) * 4)
    # the Python heap grows by less than 600 bytes per batch (scalar records live in Rust)
    assert per_batch < 600, f"{per_batch:.0f} bytes per batch"


def test_recording_all_does_grow_so_the_probe_can_see_growth():
    s = seed_setup(n_samples=160)
    probe = MemoryProbe(at=(5, 30))
    s.exp.run_phase(train_phase(s, n_epochs=31, batch_size=32, callbacks=[probe],
                                result_recording="all"))
    (t0, _, n0), (t1, _, n1) = probe.samples[5], probe.samples[30]
    assert n1 - n0 == 25 * 4 and t1 > t0
