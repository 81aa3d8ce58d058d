"""Fit a compiled model: seeds, steps_per_execution, early stopping, Stop, interrupts.

The epoch history is recorded by our own callback rather than read from ``model.fit``'s return
value, because a KeyboardInterrupt (or a user callback that raises) loses that return value;
with the recorder, an interrupted fit still has every finished epoch.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kms_jupyter.core.interrupts import InterruptRequest

# Aim for ~256 samples per compiled execution: per-step Python overhead (~2-3 ms here) then no
# longer dominates small batches. Measured on movies, batch_size=1: 2.8 s/epoch at 1, 1.2 at 64.
_SAMPLES_PER_EXECUTION = 256
_MAX_STEPS_PER_EXECUTION = 64


def auto_steps_per_execution(batch_size: int, n_train: int) -> int:
    steps_per_epoch = max(1, math.ceil(n_train / batch_size))
    wanted = max(1, min(_MAX_STEPS_PER_EXECUTION, _SAMPLES_PER_EXECUTION // batch_size))
    return int(min(wanted, steps_per_epoch))


def _callback_base():
    import keras

    return keras.callbacks.Callback


def make_recorder():
    """A callback that keeps one dict of logs per finished epoch (survives interrupts)."""

    class HistoryRecorder(_callback_base()):
        def __init__(self):
            super().__init__()
            self.epochs: list[dict] = []

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append({k: float(v) for k, v in (logs or {}).items()})

    return HistoryRecorder()


def make_stopper(event: threading.Event | None, interrupt: InterruptRequest | None = None):
    """A callback that stops training at the next batch once ``event`` is set (panel's Stop) or
    a SIGINT was received (``interrupt.requested``); ``reason`` says which."""

    class StopOnEvent(_callback_base()):
        def __init__(self):
            super().__init__()
            self.stopped = False
            self.reason: str | None = None
            self.mid_epoch = False  # stopped inside an epoch (so that epoch is cut short)

        def _check(self, mid_epoch: bool = False):
            if self.stopped:
                return
            if interrupt is not None and interrupt.requested:
                self.reason = "interrupted"
            elif event is not None and event.is_set():
                self.reason = "stopped"
            else:
                return
            self.stopped = True
            self.mid_epoch = mid_epoch
            self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            self._check(mid_epoch=True)

        def on_epoch_begin(self, epoch, logs=None):
            self._check()

        def on_epoch_end(self, epoch, logs=None):  # an interrupt during validation
            self._check()

    return StopOnEvent()


def make_early_stopping(early_stopping: Any, has_validation: bool):
    """True -> patience 5; an int -> that patience; restores the best weights."""
    import keras

    if early_stopping is None or early_stopping is False:
        return None
    patience = 5 if early_stopping is True else int(early_stopping)
    return keras.callbacks.EarlyStopping(monitor="val_loss" if has_validation else "loss",
                                         patience=patience, restore_best_weights=True)


@dataclass
class TrainingResult:
    history: pd.DataFrame
    partial: bool
    partial_reason: str | None
    duration_s: float
    stopped_early: bool


def history_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    # losses first, then each metric with its validation twin: the order users read them in
    ordered = [c for c in ("loss", "val_loss") if c in frame] + sorted(
        (c for c in frame if c not in ("loss", "val_loss")), key=lambda c: (c.removeprefix("val_"), c))
    return frame[ordered]


def train(model: Any, x: np.ndarray, y: np.ndarray, validation: tuple | None, *, epochs: int,
          batch_size: int, callbacks: list | None, class_weight: dict | None,
          early_stopping: Any, stop_event: threading.Event | None, verbose: int,
          interrupt: InterruptRequest | None = None) -> TrainingResult:
    """``interrupt``: from :func:`cooperative_sigint`, whose scope the caller chooses (kms()
    keeps it over evaluation too); a SIGINT then stops at the next batch like ``stop_event``."""
    recorder = make_recorder()
    cbs = [recorder] + list(callbacks or [])
    stopper = None
    if stop_event is not None or interrupt is not None:
        stopper = make_stopper(stop_event, interrupt)
        cbs.append(stopper)
    early = make_early_stopping(early_stopping, validation is not None)
    if early is not None:
        cbs.append(early)
    partial_reason = None
    start = time.perf_counter()
    try:
        model.fit(x, y, validation_data=validation, epochs=epochs, batch_size=batch_size,
                  callbacks=cbs, class_weight=class_weight, verbose=verbose, shuffle=True)
    except KeyboardInterrupt:
        partial_reason = "interrupted"
    except Exception as exc:  # a user callback (or the fit itself) failed mid-way
        if not recorder.epochs:
            raise
        partial_reason = f"error: {type(exc).__name__}: {exc}"
    duration = time.perf_counter() - start
    if partial_reason is None and stopper is not None and stopper.stopped:
        # a Stop/SIGINT that came after the last epoch's last batch cut nothing short
        if stopper.mid_epoch or len(recorder.epochs) < epochs:
            partial_reason = stopper.reason
    stopped_early = early is not None and getattr(early, "stopped_epoch", 0) > 0
    return TrainingResult(history_frame(recorder.epochs), partial_reason is not None,
                          partial_reason, duration, stopped_early)
