"""Shared set-up for the viz and CLI tests: a short seeded training with val_loss."""

from __future__ import annotations

from typing import Any

from frontend_helpers import seed_setup
from modularml import AppliedLoss, Loss, TrainPhase
from modularml.callbacks import EvalLossMetric, Evaluation
from modularml.samplers import SimpleSampler


def train_phase(setup: Any, label: str = "train", n_epochs: int = 3) -> Any:
    """350 training rows in batches of 128 (3 batches per epoch), val_loss per epoch."""
    loss = AppliedLoss(Loss("mse", backend="torch"), on="MLP", inputs=["targets", "outputs"])
    evaluation = Evaluation.from_split(
        label="eval_val", split="val", metrics=[EvalLossMetric(loss=loss)]
    )
    return TrainPhase.from_split(
        label=label,
        split="train",
        sampler=SimpleSampler(batch_size=128, shuffle=True, seed=7),
        losses=[setup.loss],
        n_epochs=n_epochs,
        callbacks=[evaluation],
    )


def trained_experiment(labels: tuple[str, ...] = ("train",), n_epochs: int = 3) -> Any:
    """The seed experiment after one training run per label (no progress bars)."""
    setup = seed_setup()
    for label in labels:
        setup.exp.run_phase(train_phase(setup, label, n_epochs), show_progress=False)
    return setup.exp
