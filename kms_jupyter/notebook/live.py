"""Keras callback that streams per-epoch records to a *sink*; it knows nothing of bqplot.

A sink is any object with three methods (see :class:`HistorySink`)::

    start(planned_epochs: int, metric_names: list[str])
    update(epoch_records: list[dict], progress: dict)   # records added since the last update
    finish(partial: bool)        # close(partial, reason=...) adds reason=... as a keyword

:class:`LiveHistory` subclasses ``keras.callbacks.Callback``. So that importing this module
never imports Keras/TensorFlow, the class is built on first access of the name
``LiveHistory`` (module ``__getattr__``); use :func:`live_history` or
``from kms_jupyter.notebook.live import LiveHistory`` only when you are about to train.

Updates are coalesced: at most one ``sink.update`` per ``min_interval`` seconds (0.1 s, i.e.
~10/s); records that arrive faster wait and are flushed by the next epoch end or at train end.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Protocol, runtime_checkable

__all__ = ["HistorySink", "LiveHistory", "live_history", "format_progress", "metric_names_of"]


@runtime_checkable
class HistorySink(Protocol):
    def start(self, planned_epochs: int, metric_names: list[str]) -> None: ...

    def update(self, epoch_records: list[dict], progress: dict) -> None: ...

    def finish(self, partial: bool) -> None: ...


def _fmt_seconds(s: float) -> str:
    if s is None or not math.isfinite(s):
        return "?"
    if s < 0.5:
        return "<1 s"
    if s < 90:
        return f"{s:.0f} s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def format_progress(epoch: int, epochs: int, sec_per_epoch: float | None, eta_s: float | None) -> str:
    """``"epoch 7/15 · 0.41 s/epoch · ETA 3 s"``."""
    parts = [f"epoch {epoch}/{epochs}"]
    if sec_per_epoch is not None and math.isfinite(sec_per_epoch):
        parts.append(f"{sec_per_epoch:.2f} s/epoch" if sec_per_epoch < 10 else f"{sec_per_epoch:.0f} s/epoch")
    if eta_s is not None:
        parts.append(f"ETA {_fmt_seconds(eta_s)}")
    return " · ".join(parts)


def metric_names_of(model: Any) -> list[str]:
    """Names logged per epoch without the ``val_`` prefix, e.g. ``["loss", "accuracy"]``.

    Keras 3 only knows ``["loss", "compile_metrics"]`` before the first batch, so read the
    compile config instead; returns ``["loss"]`` when nothing better is known.
    """
    names = ["loss"]
    try:
        config = model.get_compile_config() or {}
    except Exception:  # not compiled, or a custom metric that cannot serialise
        return names
    metrics = config.get("metrics") or []
    if isinstance(metrics, dict):  # {output_name: [...]}: flatten
        metrics = [m for v in metrics.values() for m in (v if isinstance(v, list) else [v])]
    for m in metrics:
        if isinstance(m, str):
            name = m
        elif isinstance(m, dict):
            name = (m.get("config") or {}).get("name") or m.get("class_name")
        else:
            name = getattr(m, "name", None)
        if name and name not in names:
            names.append(str(name))
    return names


class _LiveHistoryMixin:
    """The callback's logic; combined with ``keras.callbacks.Callback`` on first use."""

    def __init__(
        self,
        sink: HistorySink,
        *,
        planned_epochs: int | None = None,
        metric_names: list[str] | None = None,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        self.sink = sink
        self.planned_epochs = planned_epochs
        self.metric_names = list(metric_names) if metric_names is not None else None
        self.min_interval = float(min_interval)
        self.clock = clock
        self.records: list[dict] = []  # every epoch seen, in order
        self._pending: list[dict] = []
        self._t0: float | None = None
        self._epoch_ends: list[float] = []  # clock() at each epoch end, for the time per epoch
        self._last_flush: float = -math.inf
        self._finished = False
        self.n_updates = 0  # number of sink.update calls (for tests and benchmarks)

    # -- Keras hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        params = getattr(self, "params", None) or {}
        epochs = self.planned_epochs or params.get("epochs") or 1
        self.planned_epochs = int(epochs)
        if self.metric_names is None:
            model = getattr(self, "model", None)
            self.metric_names = metric_names_of(model) if model is not None else ["loss"]
        self.records, self._pending = [], []
        self._epoch_ends = []
        self._finished = False
        self._t0 = self.clock()
        self._last_flush = -math.inf
        self.sink.start(self.planned_epochs, list(self.metric_names))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._t0 is None:  # hooks called without on_train_begin
            self.on_train_begin()
        record = {"epoch": int(epoch) + 1}
        for key, value in (logs or {}).items():
            try:
                record[str(key)] = float(value)
            except (TypeError, ValueError):
                continue
        self.records.append(record)
        self._pending.append(record)
        now = self.clock()
        self._epoch_ends.append(now)
        if now - self._last_flush >= self.min_interval:
            self._flush(now)

    def on_train_end(self, logs: dict | None = None) -> None:
        done = len(self.records)
        self.close(partial=done < (self.planned_epochs or done))

    # -- helpers -------------------------------------------------------------------------------
    def progress(self, now: float | None = None) -> dict:
        now = self.clock() if now is None else now
        epoch = self.records[-1]["epoch"] if self.records else 0
        epochs = int(self.planned_epochs or max(epoch, 1))
        elapsed = max(0.0, now - (self._t0 if self._t0 is not None else now))
        spe = self.sec_per_epoch()
        eta = spe * max(0, epochs - epoch) if spe is not None else None
        return {
            "epoch": epoch,
            "epochs": epochs,
            "elapsed_s": elapsed,
            "sec_per_epoch": spe,
            "eta_s": eta,
            "text": format_progress(epoch, epochs, spe, eta),
        }

    def sec_per_epoch(self) -> float | None:
        """Typical seconds per epoch: the median duration of the epochs after the first (the
        first also pays for tracing/compiling the model, often several times an epoch), or the
        first epoch's duration while it is the only one."""
        if not self._epoch_ends or self._t0 is None:
            return None
        ends = [self._t0, *self._epoch_ends]
        durations = [max(0.0, b - a) for a, b in zip(ends, ends[1:])]
        later = sorted(durations[1:])
        if not later:
            return durations[0]
        mid = len(later) // 2
        return later[mid] if len(later) % 2 else (later[mid - 1] + later[mid]) / 2

    def _flush(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        records, self._pending = self._pending, []
        self._last_flush = now
        self.n_updates += 1
        self.sink.update(records, self.progress(now))

    def close(self, partial: bool = True, reason: str | None = None) -> None:
        """Flush what is pending and finish the sink once (safe to call again, e.g. in a
        ``finally`` after a KeyboardInterrupt, when Keras never calls ``on_train_end``).

        ``reason`` (e.g. ``"interrupted"``) is passed as ``sink.finish(partial, reason=...)``
        only when given, so sinks that implement just ``finish(partial)`` keep working."""
        if self._finished:
            return
        if self._t0 is None:
            self.on_train_begin()
        if self._pending:
            self._flush()
        self._finished = True
        if reason is None:
            self.sink.finish(bool(partial))
        else:
            self.sink.finish(bool(partial), reason=reason)


_CLASS: type | None = None


def _build_class() -> type:
    global _CLASS
    if _CLASS is None:
        import keras  # imported here: only when a model is about to train

        _CLASS = type(
            "LiveHistory",
            (_LiveHistoryMixin, keras.callbacks.Callback),
            {"__module__": __name__, "__doc__": _LiveHistoryMixin.__doc__.replace(
                "The callback's logic; combined with ``keras.callbacks.Callback`` on first use.",
                "Keras callback pushing coalesced per-epoch records to a sink "
                "(start/update/finish).")},
        )
    return _CLASS


def live_history(sink: HistorySink, **settings: Any):
    """A ``LiveHistory`` callback feeding ``sink`` (imports Keras)."""
    return _build_class()(sink, **settings)


def __getattr__(name: str) -> Any:
    if name == "LiveHistory":
        return _build_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
