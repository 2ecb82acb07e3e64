"""Progress bars (tqdm): epochs, and batches within the epoch, with loss and val_loss.

Bars are drawn only when stdout is a terminal and they are not turned off, either with
`show_progress=False` or with the environment variable `MODULARML_PROGRESS=0`. When off,
the loop holds None instead of a bar and pays nothing per batch.
"""

from __future__ import annotations

import os
import sys
from typing import Any

OFF_VALUES = ("0", "false", "no", "off")


def progress_enabled(show_progress: bool | None = None) -> bool:
    """Whether to draw bars: not when asked not to, and not when stdout is not a terminal.

    `show_progress=True` still needs a terminal; None means "if stdout is a terminal".
    """
    if show_progress is False:
        return False
    if os.environ.get("MODULARML_PROGRESS", "").strip().lower() in OFF_VALUES:
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


class TrainProgress:
    """An outer bar over epochs and an inner bar over the current epoch's batches."""

    def __init__(self, label: str, n_epochs: int, steps_per_epoch: int) -> None:
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self._steps = steps_per_epoch
        self._epochs = tqdm(total=n_epochs, desc=f"Training [{label!r}]", unit="epoch",
                            leave=True, dynamic_ncols=True, file=sys.stdout)
        self._batches: Any = None
        self._loss_sum = 0.0
        self._count = 0

    def start_epoch(self, epoch: int) -> None:
        self._batches = self._tqdm(total=self._steps, desc=f"  Epoch {epoch}", unit="batch",
                                   leave=False, dynamic_ncols=True, file=sys.stdout)
        self._loss_sum, self._count = 0.0, 0

    def batch_done(self, loss: float) -> None:
        self._loss_sum += loss
        self._count += 1
        bar = self._batches
        bar.set_postfix_str(f"loss={self._loss_sum / self._count:.6f}", refresh=False)
        bar.update(1)

    def end_epoch(self, loss: float, val_loss: float | None) -> None:
        text = f"loss={loss:.6f}" + ("" if val_loss is None else f" | val_loss={val_loss:.6f}")
        if self._batches is not None:
            self._batches.close()
            self._batches = None
        self._epochs.set_postfix_str(text, refresh=False)
        self._epochs.update(1)

    def close(self) -> None:
        if self._batches is not None:
            self._batches.close()
        self._epochs.close()


def latest_metric(results: Any, name: str, epoch: int) -> float | None:
    """The last value of metric `name` logged in `epoch` (e.g. Evaluation's val_loss)."""
    if results is None or name not in results.metric_names():
        return None
    entries = results.metrics().where(name=name, epoch=epoch).values()
    return entries[-1].value if entries else None
