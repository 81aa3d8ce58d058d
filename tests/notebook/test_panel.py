"""KmsPanel with real widgets (no front end) and real, tiny kms() runs in its background thread."""
from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import pandas as pd
import pytest

from kms_jupyter.errors import KmsDataError, KmsTypeError
from kms_jupyter.notebook import panel_state as ps
from kms_jupyter.notebook.panel import KmsPanel
from kms_jupyter.notebook.panel_runner import BackgroundRunner, one_line

TINY = dict(layers=[ps.LayerState(8, "relu", 0.1)], epochs=2, seed=11)
FORMULA = "genre ~ year + votes + rating + duration"
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    from kms_jupyter.datasets import movies_like

    return movies_like(n=300, seed=0)


def tiny_panel(data, **kw) -> KmsPanel:
    settings = dict(TINY)
    settings.update(kw)
    return KmsPanel(data, formula=settings.pop("formula", FORMULA), **settings)


def live_chart(panel):
    from kms_jupyter.notebook.charts import HistoryChart

    charts = [c for c in panel.live.children if isinstance(c, HistoryChart)]
    return charts[0] if charts else None


def wait_for(predicate, timeout=60.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture(scope="module")
def trained(data):
    """Two runs with the same seed and settings (determinism), trained once for the module."""
    panel = tiny_panel(data)
    assert panel.train(wait=True, timeout=120)
    assert panel.train(wait=True, timeout=120)
    return panel


# --------------------------------------------------------------------------- construction, sync
def test_panel_defaults_on_movies(data):
    panel = KmsPanel(data)
    assert panel.outcome.value == "genre"
    assert panel.editor.value == "genre ~ . - title"
    assert "title" not in panel.predictors.value and "year" in panel.predictors.value
    assert "genre" not in panel.predictors.options
    formula, kwargs = ps.state_to_kwargs(panel.read_state())
    assert formula == "genre ~ . - title" and kwargs["units"] == (64, 32)
    assert not panel.runs and "No runs yet" in panel.board.value
    assert panel.stop_button.disabled and not panel.train_button.disabled


def test_rejects_non_frames_and_bad_outcome(data):
    with pytest.raises(KmsTypeError, match="DataFrame"):
        KmsPanel([1, 2, 3])
    with pytest.raises(KmsDataError, match="no rows"):
        KmsPanel(pd.DataFrame())
    with pytest.raises(KmsDataError, match="'nope'"):
        KmsPanel(data, outcome="nope")


def test_editor_and_picker_stay_in_sync(data):
    panel = KmsPanel(data)
    panel.predictors.value = tuple(c for c in panel.predictors.value if c != "year")
    assert panel.editor.value == "genre ~ . - title - year"
    panel.editor.value = "genre ~ top(director, 3) + votes"
    assert panel.predictors.value == ("director", "votes")
    panel.predictors.value = ("director", "votes", "rating")
    assert panel.editor.value == "genre ~ top(director, 3) + votes + rating"
    panel.outcome.value = "rating"
    assert panel.editor.value == "rating ~ top(director, 3) + votes"
    assert "rating" not in panel.predictors.options
    panel.editor.value = "genre ~ . - title"  # typing another outcome moves the dropdown
    assert panel.outcome.value == "genre"
    assert "rating" in panel.predictors.value
    assert panel.editor.errors == []  # the editor's own check agrees it is valid


def test_layers_add_remove_and_state_round_trip(data):
    panel = KmsPanel(data)
    panel.add_layer(16, "tanh", 0.2)
    assert len(panel.layers_box.children) == 3
    panel.remove_layer(0)
    state = panel.read_state()
    assert [(l.units, l.activation, l.dropout) for l in state.layers] == [(32, "relu", 0.4), (16, "tanh", 0.2)]
    # the × button of a row removes that row
    panel._layer_rows[0][0].children[3].click()
    assert [l.units for l in panel.read_state().layers] == [16]
    panel.remove_layer(0)  # the last layer stays, with a message
    assert len(panel.read_state().layers) == 1 and "at least one hidden layer" in panel.status.value
    target = ps.PanelState(formula="genre ~ votes", layers=[ps.LayerState(5, "elu", 0.3)], epochs=3,
                           batch_size=4, optimizer="rmsprop", learning_rate=0.02, scale_continuous=None,
                           kernel_regularizer="l2", activity_regularizer="l1", class_weight="balanced",
                           p_training=0.7, validation_split=0.1, early_stopping=2, seed=None)
    panel.set_state(target)
    assert panel.read_state() == target
    assert panel.predictors.value == ("votes",)


def test_bad_widget_values_give_a_message_not_a_run(data):
    panel = tiny_panel(data)
    panel.seed.value = "abc"
    assert panel.train() is False
    assert "seed &#x27;abc&#x27; is not a whole number" in panel.status.value
    panel.seed.value = "1"
    panel.learning_rate.value = "fast"
    assert panel.train() is False and "learning rate" in panel.status.value
    assert not panel.runs and not panel.busy and not panel.train_button.disabled


# --------------------------------------------------------------------------- training
def test_train_keeps_the_run_with_live_chart_and_heatmap(trained):
    from kms_jupyter.core.fit import KmsFit
    from kms_jupyter.notebook.charts import ConfusionHeatmap, HistoryChart

    assert len(trained.runs) == 2 and all(isinstance(f, KmsFit) for f in trained.runs)
    fit = trained.runs[1]
    assert fit.formula == FORMULA and fit.epochs_run == 2 and not fit.partial
    kinds = [type(c) for c in trained.live.children]
    assert kinds[0] is HistoryChart and ConfusionHeatmap in kinds
    chart = trained.live.children[0]
    assert [r["epoch"] for r in chart.records] == [1, 2]  # the live chart got every epoch
    assert "run2 done" in trained.status.value and "panel.runs[1]" in trained.status.value
    assert trained.stop_button.disabled and not trained.train_button.disabled
    rows = trained.leaderboard_rows()
    assert [r["run"] for r in rows] == ["run1", "run2"]
    assert rows[0]["score"] == pytest.approx(fit.evaluations["accuracy"])
    assert "run2" in trained.board.value and "accuracy" in trained.board.value
    assert [label for label, _ in trained.run_select.options][0].startswith("run1: " + FORMULA)


def test_same_seed_and_settings_give_identical_runs(trained):
    a, b = trained.runs
    assert a.seed == b.seed == 11
    pd.testing.assert_frame_equal(a.history, b.history, check_exact=True)
    assert a.predictions.equals(b.predictions)
    w_a, w_b = a.model.get_weights(), b.model.get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(w_a, w_b))


def test_selecting_runs_shows_charts_and_comparison(trained):
    from kms_jupyter.notebook.charts import ComparisonChart, ConfusionHeatmap, HistoryChart

    trained.run_select.value = (0,)
    kinds = [type(c) for c in trained.detail.children]
    assert HistoryChart in kinds and ConfusionHeatmap in kinds
    assert "background:#e3f2fd" in trained.board.value
    trained.run_select.value = (0, 1)
    (chart,) = trained.detail.children
    assert isinstance(chart, ComparisonChart) and chart.names == ["run1", "run2"]
    trained.run_select.value = ()
    assert trained.detail.children == ()


def test_copy_as_kms_and_code(trained):
    trained.run_select.value = (1,)
    text = trained.copy_as_kms()
    assert trained.copy_area.value == text
    assert text.startswith("%%kms -o run2 " + FORMULA + "\n")
    assert "units = [8]\n" in text and "seed = 11\n" in text
    code = trained.copy_as_code()
    assert code == trained.runs[1].to_code() == trained.copy_area.value
    trained.run_select.value = ()


def test_runs_survive_a_re_render(trained):
    """A new view of the panel reads the widgets' state, which lives in the kernel."""
    state = trained.board.get_state()
    assert "run1" in state["value"] and "run2" in state["value"]
    assert len(trained.run_select.get_state()["_options_labels"]) == 2
    bundle = trained._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == trained.model_id
    assert "run2" in bundle["text/html"] and "2 run(s)" in bundle["text/plain"]
    assert trained.children[-1].children[1] is trained.board


def test_stop_mid_fit_keeps_the_partial_run(data):
    panel = tiny_panel(data, epochs=400, batch_size=1)
    assert panel.train() is True
    assert panel.busy and panel.train_button.disabled and not panel.stop_button.disabled
    assert panel.train() is False and "in progress" in panel.status.value  # no second thread
    assert wait_for(lambda: live_chart(panel) is not None and len(live_chart(panel).records) >= 1)
    panel.stop_button.click()
    assert panel.runner.stop_event.is_set()
    assert panel.wait(60)
    (fit,) = panel.runs
    assert fit.partial and fit.partial_reason == "stopped"
    assert 1 <= fit.epochs_run < 400 and fit.evaluations["accuracy"] >= 0
    row = panel.leaderboard_rows()[0]
    assert row["partial"] and row["epochs_planned"] == 400
    assert "(stopped)" in panel.board.value
    assert "stopped at epoch" in panel.status.value
    assert not panel.busy and not panel.train_button.disabled and panel.stop_button.disabled
    assert any("partial" in w for w in panel.records[0].warnings)
    assert live_chart(panel).partial is True


def test_sweep_trains_one_run_per_value(data):
    panel = tiny_panel(data, epochs=1)
    assert panel.sweep("dropout", "0.0, 0.5", wait=True, timeout=120)
    assert [f.args["dropout"] for f in panel.runs] == [0.0, 0.5]
    assert [r["run"] for r in panel.leaderboard_rows()] == ["run1", "run2"]


def test_stop_during_a_sweep_keeps_the_run_and_cancels_the_rest(data):
    panel = tiny_panel(data, epochs=400, batch_size=1)
    panel.sweep_setting.value = "units"
    panel.sweep_values.value = "8, 4, 2"
    panel.sweep_button.click()
    assert wait_for(lambda: live_chart(panel) is not None and len(live_chart(panel).records) >= 1)
    panel.stop()
    assert panel.wait(60)
    assert len(panel.runs) == 1 and panel.runs[0].partial
    assert "2 sweep run(s) cancelled" in panel.status.value


def test_training_errors_show_in_the_panel(data):
    evil = data.rename(columns={"rating": EVIL})
    panel = KmsPanel(evil, formula="genre ~ nosuchcolumn + votes", **TINY)
    assert panel.train(wait=True, timeout=60)
    assert not panel.runs and not panel.busy
    assert "kms-panel-error" in panel.status.value and "nosuchcolumn" in panel.status.value
    assert not panel.train_button.disabled
    # labels and column names are escaped everywhere the panel writes HTML
    assert "<img" not in panel.status.value
    panel.editor.value = f"genre ~ votes + `{EVIL}`"
    assert panel.predictors.value == ("votes", EVIL)
    assert panel.train(wait=True, timeout=120) and len(panel.runs) == 1
    panel.run_select.value = (0,)
    for w in [panel.board, panel.status, *panel.detail.children, *panel.live.children]:
        value = getattr(w, "value", "")
        assert "<img" not in value


# --------------------------------------------------------------------------- runner
def test_runner_reports_errors_and_callback_bugs_without_dying():
    runner = BackgroundRunner()
    seen = []

    def ok(stop):
        return "fine"

    def boom(stop):
        raise ValueError("bad value\nsecond line")

    def bad_on_result(i, result):
        raise RuntimeError("panel bug")

    runner.start([ok, boom, ok], on_result=bad_on_result, on_error=lambda i, e: seen.append((i, one_line(e))),
                 on_done=lambda f, c: seen.append(("done", f, c)))
    assert runner.join(10)
    assert seen == [(0, "RuntimeError: panel bug"), (1, "ValueError: bad value"), ("done", 1, 2)]
    assert not runner.busy


def test_runner_runs_in_a_copy_of_the_callers_context():
    import contextvars

    var = contextvars.ContextVar("parent_header", default=None)
    var.set({"msg_id": "abc"})
    runner = BackgroundRunner()
    got = []
    runner.start([lambda stop: var.get()], on_result=lambda i, r: got.append(r),
                 on_error=lambda i, e: got.append(e))
    assert runner.join(10) and got == [{"msg_id": "abc"}]
    assert runner.thread.name == "kms-panel-train" and runner.thread.daemon


def test_runner_stop_sets_the_event_and_cancels_later_jobs():
    runner = BackgroundRunner()
    release = threading.Event()
    done = []

    def slow(stop):
        release.wait(5)
        return stop.is_set()

    runner.start([slow, slow], on_result=lambda i, r: done.append(r), on_error=lambda i, e: done.append(e),
                 on_done=lambda f, c: done.append((f, c)))
    assert runner.start([slow], on_result=print, on_error=print) is False
    assert runner.stop() is True and runner.stop_event.is_set()
    release.set()
    assert runner.join(10)
    assert done == [True, (1, 1)]
    assert runner.stop() is False


def test_kms_panel_magic_returns_a_panel(data):
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    ip.run_line_magic("load_ext", "kms_jupyter")
    ip.user_ns["movies"] = data
    panel = ip.run_line_magic("kms_panel", "movies")
    assert isinstance(panel, KmsPanel) and panel.data is data
    assert panel._data_name() == "movies"
    assert panel.kms_cell().startswith("%%kms -o run1 --data movies genre ~ . - title\n")


def test_thread_warnings_keeps_other_threads_warnings_out():
    import warnings

    from kms_jupyter.notebook.panel_runner import thread_warnings

    inside, elsewhere = [], []
    started, release = threading.Event(), threading.Event()

    def worker():
        with thread_warnings() as caught:
            started.set()
            warnings.warn("from the worker 1", UserWarning)
            release.wait(5)
            warnings.warn("from the worker 2", UserWarning)
        inside.extend(caught)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *a, **k: elsewhere.append(str(message))
        t = threading.Thread(target=worker)
        t.start()
        assert started.wait(5)
        warnings.warn("from the main thread", UserWarning)  # while the worker's hook is installed
        release.set()
        t.join(5)
        assert not t.is_alive()
        warnings.warn("after", UserWarning)
    assert inside == ["from the worker 1", "from the worker 2"]
    assert elsewhere == ["from the main thread", "after"]
