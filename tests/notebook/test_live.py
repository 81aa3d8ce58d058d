"""LiveHistory: a Keras callback pushing coalesced epoch records to a sink.

The hooks are called directly (no training) with a controllable clock, plus one real 2-epoch
kms() fit that feeds a HistoryChart.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from _notebook_fits import FORMULA, movies, train  # noqa: F401  (fixtures module)


class RecordingSink:
    """A minimal sink that records every call (a real implementation of the protocol)."""

    def __init__(self):
        self.calls = []

    def start(self, planned_epochs, metric_names):
        self.calls.append(("start", planned_epochs, list(metric_names)))

    def update(self, epoch_records, progress):
        self.calls.append(("update", [dict(r) for r in epoch_records], dict(progress)))

    def finish(self, partial):
        self.calls.append(("finish", partial))

    def of(self, kind):
        return [c for c in self.calls if c[0] == kind]


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def make(sink, clock, **kw):
    from kms_jupyter.notebook.live import live_history

    cb = live_history(sink, clock=clock, **kw)
    cb.params = {"epochs": 5, "verbose": 0, "steps": 3}
    return cb


def test_import_does_not_pull_tensorflow_or_bqplot():
    code = textwrap.dedent("""
        import sys
        import kms_jupyter, kms_jupyter.notebook
        import kms_jupyter.notebook.live, kms_jupyter.notebook.views, kms_jupyter.notebook.static
        heavy = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'bqplot')]
        print(heavy)
        assert not heavy, heavy
        assert 'matplotlib.pyplot' not in sys.modules
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert result.returncode == 0, result.stdout + result.stderr


def test_is_a_keras_callback_and_init_only_stores_settings():
    import keras

    from kms_jupyter.notebook.live import LiveHistory

    sink = RecordingSink()
    cb = LiveHistory(sink, min_interval=0.5)
    assert isinstance(cb, keras.callbacks.Callback)
    assert cb.min_interval == 0.5 and cb.sink is sink
    assert sink.calls == []  # nothing happens before the hooks


def test_hooks_push_records_and_progress():
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock, metric_names=["loss", "accuracy"])
    cb.on_train_begin()
    assert sink.calls == [("start", 5, ["loss", "accuracy"])]
    clock.t += 0.4
    cb.on_epoch_end(0, logs={"loss": 1.5, "accuracy": 0.3, "val_loss": 1.6, "val_accuracy": 0.25})
    clock.t += 0.4
    cb.on_epoch_end(1, logs={"loss": 1.2, "accuracy": 0.4, "val_loss": 1.3, "val_accuracy": 0.35})
    updates = sink.of("update")
    assert len(updates) == 2
    first_records, first_progress = updates[0][1], updates[0][2]
    assert first_records == [{"epoch": 1, "loss": 1.5, "accuracy": 0.3, "val_loss": 1.6,
                              "val_accuracy": 0.25}]
    progress = updates[1][2]
    assert progress["epoch"] == 2 and progress["epochs"] == 5
    assert progress["sec_per_epoch"] == pytest.approx(0.4)
    assert progress["eta_s"] == pytest.approx(1.2)
    assert progress["text"] == "epoch 2/5 · 0.40 s/epoch · ETA 1 s"
    assert first_progress["text"].startswith("epoch 1/5 · 0.40 s/epoch")


def test_time_per_epoch_leaves_out_the_slow_first_epoch():
    """Epoch 1 pays for tracing/compiling (here 5 s against 0.5 s per later epoch): the rate and
    the ETA come from the epochs after it (their median), not from elapsed / epochs."""
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock, planned_epochs=10, min_interval=0.0)
    cb.on_train_begin()
    clock.t += 5.0
    cb.on_epoch_end(0, logs={"loss": 1.0})
    first = sink.of("update")[-1][2]
    assert first["sec_per_epoch"] == pytest.approx(5.0)  # only one epoch known so far
    for epoch, dt in zip(range(1, 4), (0.5, 0.6, 0.5)):
        clock.t += dt
        cb.on_epoch_end(epoch, logs={"loss": 1.0})
    progress = sink.of("update")[-1][2]
    assert progress["epoch"] == 4
    assert progress["sec_per_epoch"] == pytest.approx(0.5)  # median of 0.5, 0.6, 0.5
    assert progress["eta_s"] == pytest.approx(6 * 0.5)
    assert progress["elapsed_s"] == pytest.approx(6.6)
    assert progress["text"] == "epoch 4/10 · 0.50 s/epoch · ETA 3 s"
    clock.t += 2.0  # one slow epoch (e.g. a garbage collection) barely moves the median
    cb.on_epoch_end(4, logs={"loss": 1.0})
    assert sink.of("update")[-1][2]["sec_per_epoch"] == pytest.approx(0.55)


def test_updates_are_coalesced_and_flushed_at_train_end():
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock, min_interval=0.1)
    cb.on_train_begin()
    for epoch in range(5):  # 5 epochs within 40 ms: one update, the rest wait
        clock.t += 0.01
        cb.on_epoch_end(epoch, logs={"loss": 1.0 / (epoch + 1)})
    updates = sink.of("update")
    assert len(updates) == 1 and [r["epoch"] for r in updates[0][1]] == [1]
    cb.on_train_end()
    updates = sink.of("update")
    assert len(updates) == 2
    assert [r["epoch"] for r in updates[1][1]] == [2, 3, 4, 5]  # pending records, in order
    assert sink.calls[-1] == ("finish", False)
    # every epoch reached the sink exactly once
    assert [r["epoch"] for u in updates for r in u[1]] == [1, 2, 3, 4, 5]


def test_at_most_ten_updates_per_second():
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock)
    cb.params["epochs"] = 200
    cb.on_train_begin()
    for epoch in range(200):  # 200 epochs in 2 s
        clock.t += 0.01
        cb.on_epoch_end(epoch, logs={"loss": 1.0})
    assert 15 <= len(sink.of("update")) <= 21
    cb.on_train_end()
    assert sum(len(u[1]) for u in sink.of("update")) == 200


def test_partial_when_fewer_epochs_than_planned_and_close_is_idempotent():
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock)
    cb.on_train_begin()
    clock.t += 1
    cb.on_epoch_end(0, logs={"loss": 2.0})
    cb.on_train_end()
    cb.close(partial=True)  # e.g. from a finally after KeyboardInterrupt: no second finish
    assert sink.of("finish") == [("finish", True)]


def test_close_without_train_end_flushes_pending():
    """Keras skips on_train_end when KeyboardInterrupt escapes fit(): close() must flush."""
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock, min_interval=10)
    cb.on_train_begin()
    clock.t += 0.01
    cb.on_epoch_end(0, logs={"loss": 2.0})
    clock.t += 0.01
    cb.on_epoch_end(1, logs={"loss": 1.0})
    assert [r["epoch"] for u in sink.of("update") for r in u[1]] == [1]
    cb.close(partial=True)
    assert [r["epoch"] for u in sink.of("update") for r in u[1]] == [1, 2]
    assert sink.calls[-1] == ("finish", True)


def test_non_numeric_logs_are_ignored():
    sink, clock = RecordingSink(), Clock()
    cb = make(sink, clock)
    cb.on_train_begin()
    clock.t += 1
    cb.on_epoch_end(0, logs={"loss": 1.0, "note": "x", "lr": None})
    assert sink.of("update")[0][1] == [{"epoch": 1, "loss": 1.0}]


def test_format_progress():
    from kms_jupyter.notebook.live import format_progress

    assert format_progress(7, 15, 0.41, 3.28) == "epoch 7/15 · 0.41 s/epoch · ETA 3 s"
    assert format_progress(0, 15, None, None) == "epoch 0/15"
    assert format_progress(1, 400, 12.0, 4788) == "epoch 1/400 · 12 s/epoch · ETA 1 h 19 min"
    assert format_progress(9, 10, 0.1, 0.1) == "epoch 9/10 · 0.10 s/epoch · ETA <1 s"


def test_real_two_epoch_fit_feeds_the_chart():
    from kms_jupyter.notebook.charts import HistoryChart
    from kms_jupyter.notebook.live import live_history

    class Tee(RecordingSink):
        def __init__(self, chart):
            super().__init__()
            self.chart = chart

        def start(self, planned_epochs, metric_names):
            super().start(planned_epochs, metric_names)
            self.chart.start(planned_epochs, metric_names)

        def update(self, epoch_records, progress):
            super().update(epoch_records, progress)
            self.chart.update(epoch_records, progress)
            self.points.append(len(self.chart._marks["loss"][0].x))

        def finish(self, partial):
            super().finish(partial)
            self.chart.finish(partial)

    chart = HistoryChart()
    tee = Tee(chart)
    tee.points = []
    cb = live_history(tee, min_interval=0.0)
    fit = train(FORMULA, movies(), epochs=2, callbacks=[cb])
    assert tee.calls[0][0] == "start" and tee.calls[0][1] == 2
    assert "accuracy" in tee.calls[0][2]
    assert tee.points == [1, 2]  # one point per epoch, growing live
    assert tee.calls[-1] == ("finish", False)
    assert chart.main_metric == "accuracy"
    assert list(chart._marks["metric"][1].x) == [1.0, 2.0]  # validation accuracy
    # the chart holds exactly what the fit's history says
    hist = fit.history
    assert list(chart._marks["loss"][0].y) == pytest.approx(hist["loss"].to_list(), rel=1e-6)
    assert list(chart._marks["loss"][1].y) == pytest.approx(hist["val_loss"].to_list(), rel=1e-6)
    assert "done: 2/2 epochs" in chart.progress.value


def test_interrupted_fit_keeps_partial_chart():
    """A KeyboardInterrupt during fit (as from the kernel's interrupt): the engine returns a
    partial fit, Keras skips on_train_end, and close() leaves the chart showing the stop."""
    import keras

    from kms_jupyter.notebook.charts import HistoryChart
    from kms_jupyter.notebook.live import live_history

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    chart = HistoryChart()
    cb = live_history(chart, min_interval=0.0)
    try:
        fit = train(FORMULA, movies(), epochs=4, callbacks=[cb, Interrupt()])
    finally:
        cb.close(partial=True, reason="interrupted")
    assert fit.partial and fit.partial_reason == "interrupted"
    assert len(chart._marks["loss"][0].x) == len(fit.history) == 2
    assert "stopped at epoch 2/4 (interrupted)" in chart.progress.value
    assert list(chart._stops["loss"][0].x) == [2.0, 2.0]
