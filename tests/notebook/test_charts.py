"""bqplot views: HistoryChart (sink), ConfusionHeatmap, regression scatter, comparison, views."""
from __future__ import annotations

import base64
import html

import ipywidgets as widgets
import numpy as np
import pytest

from _notebook_fits import EVIL, multi_fit, regression_fit, small_fit  # noqa: F401  (fixtures)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _points(mark):
    return len(mark.x)


def _assert_fallbacks(widget, base_cls=widgets.VBox):
    bundle = widget._repr_mimebundle_()
    own = base_cls._repr_mimebundle_(widget)  # what ipywidgets alone would give
    for key, value in own.items():
        assert bundle[key] == value  # kept, not replaced
    assert bundle[WIDGET_MIME]["model_id"] == widget.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG_MAGIC) and len(png) > 2000
    assert '<img src="data:image/png;base64,' in bundle["text/html"]
    return bundle


# --------------------------------------------------------------------------- HistoryChart
def test_history_chart_sink_grows_one_point_per_epoch():
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart()
    chart.start(5, ["loss", "accuracy"])
    assert (chart._x.min, chart._x.max) == (1.0, 5.0)  # x axis fixed to planned epochs
    assert chart.main_metric == "accuracy"
    for epoch in range(1, 4):
        chart.update([{"epoch": epoch, "loss": 1.0 / epoch, "val_loss": 1.1 / epoch,
                       "accuracy": 0.1 * epoch, "val_accuracy": 0.09 * epoch}],
                     {"text": f"epoch {epoch}/5 · 0.40 s/epoch · ETA 1 s"})
        for key in ("loss", "metric"):
            for mark in chart._marks[key]:
                assert len(mark.x) == len(mark.y) == epoch
    assert list(chart._marks["metric"][0].y) == pytest.approx([0.1, 0.2, 0.3])
    assert list(chart._marks["loss"][1].y) == pytest.approx([1.1, 0.55, 1.1 / 3])
    assert "epoch 3/5" in chart.progress.value
    assert (chart._x.min, chart._x.max) == (1.0, 5.0)  # still fixed


def test_history_chart_without_validation_and_with_mae():
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart()
    chart.start(3, ["loss", "mae"])
    chart.update([{"epoch": 1, "loss": 2.0, "mae": 1.0}, {"epoch": 2, "loss": 1.0, "mae": 0.5}],
                 {"text": "epoch 2/3"})
    assert chart.main_metric == "mae"
    assert list(chart._marks["metric"][0].y) == [1.0, 0.5]
    assert _points(chart._marks["loss"][1]) == 0  # no validation: empty, not NaN


def test_history_chart_finish_partial_marks_the_stop():
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart(main_metric="accuracy")
    chart.start(15, ["loss", "accuracy"])
    chart.update([{"epoch": e, "loss": 2.0 - 0.1 * e, "val_loss": 2.1 - 0.1 * e,
                   "accuracy": 0.1 * e, "val_accuracy": 0.1 * e} for e in range(1, 8)], {"text": ""})
    chart.finish(partial=True, reason="interrupted")
    assert "stopped at epoch 7/15" in chart.progress.value and "interrupted" in chart.progress.value
    stop_line, stop_label = chart._stops["loss"]
    assert list(stop_line.x) == [7.0, 7.0]
    assert list(stop_label.text) == ["stopped"]
    assert (chart._x.min, chart._x.max) == (1.0, 15.0)
    bundle = _assert_fallbacks(chart)
    assert "stopped at epoch 7/15" in bundle["text/html"]


def test_history_chart_zooms_to_the_epochs_run_when_stopped_very_early():
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart(main_metric="accuracy")
    chart.start(300, ["loss", "accuracy"])
    chart.update([{"epoch": e, "loss": 2.0 - 0.1 * e, "accuracy": 0.05 * e} for e in range(1, 10)],
                 {"text": ""})
    chart.finish(partial=True, reason="stopped")
    assert chart._x.max == 10.0  # 9 epochs run plus room for the stop marker, not 300
    assert max(chart.figures[0].axes[0].tick_values) <= 10
    assert list(chart._stops["loss"][0].x) == [9.0, 9.0]


def test_history_chart_finish_complete():
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart()
    chart.start(2, ["loss"])
    chart.update([{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}], {"text": "epoch 2/2"})
    chart.finish(partial=False)
    assert "done: 2/2 epochs" in chart.progress.value
    assert _points(chart._stops["loss"][0]) == 0


def test_history_chart_escapes_progress_and_title():
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart(title=EVIL)
    chart.start(2, ["loss"])
    chart.update([], {"text": EVIL})
    assert EVIL not in chart.progress.value and html.escape(EVIL) in chart.progress.value
    assert EVIL not in chart.children[0].value


def test_plot_history_from_fit(multi_fit):
    from kms_jupyter.notebook.charts import HistoryChart, plot_history

    chart = multi_fit.plot_history()  # delegates to charts.plot_history
    assert isinstance(chart, HistoryChart)
    n = len(multi_fit.history)
    assert _points(chart._marks["loss"][0]) == n
    assert list(chart._marks["metric"][1].y) == pytest.approx(
        multi_fit.history["val_accuracy"].to_list(), rel=1e-6)
    assert chart._x.max == float(max(multi_fit.epochs, 2))
    assert chart.partial is False
    _assert_fallbacks(plot_history(multi_fit))


# --------------------------------------------------------------------------- heatmap
def test_confusion_heatmap_counts_and_labels(multi_fit):
    from kms_jupyter.notebook.charts import ConfusionHeatmap

    heat = multi_fit.plot_confusion()
    assert isinstance(heat, ConfusionHeatmap)
    k = len(multi_fit.labels)
    assert k >= 6
    assert heat.heat.color.shape == (k, k)
    np.testing.assert_array_equal(heat.heat.color, multi_fit.confusion.to_numpy())
    assert list(heat.heat.row) == list(multi_fit.labels)
    assert list(heat.heat.column) == list(multi_fit.labels)
    assert EVIL in list(heat.heat.row)  # bqplot draws it as SVG text: kept verbatim
    assert heat.heat.display_format == ".0f"  # counts written in the cells
    assert heat.heat.tooltip.fields == ["row", "column", "color"]
    axis_x = heat.figure.axes[0]
    assert axis_x.tick_rotate != 0 and axis_x.label == "predicted"


def test_confusion_heatmap_toggle_row_shares(multi_fit):
    heat = multi_fit.plot_confusion()
    heat.toggle.value = True
    shares = np.asarray(heat.heat.color, dtype=float)
    totals = multi_fit.confusion.to_numpy().sum(axis=1)
    np.testing.assert_allclose(shares.sum(axis=1)[totals > 0], 1.0)
    assert heat.heat.display_format == ".0%"
    assert heat.normalized
    heat.toggle.value = False
    np.testing.assert_array_equal(heat.heat.color, multi_fit.confusion.to_numpy())


def test_confusion_heatmap_fallback_and_escaping(multi_fit):
    heat = multi_fit.plot_confusion()
    bundle = _assert_fallbacks(heat)
    assert EVIL not in bundle["text/html"]
    assert EVIL not in heat.caption.value


def test_seventeen_classes_are_readable():
    """17 classes (the vignette's genres): rotated ticks, big enough figure, every cell."""
    import pandas as pd

    from kms_jupyter.notebook.charts import ConfusionHeatmap

    labels = [f"genre {i}" for i in range(16)] + [EVIL]
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 9, size=(17, 17)) + 20 * np.eye(17, dtype=int)
    conf = pd.DataFrame(counts, index=[f"{x}_obs" for x in labels],
                        columns=[f"{x}_pred" for x in labels])

    class Fit:  # only the attributes a heatmap reads; built from a real confusion layout
        confusion = conf
        y_type = "multiclass"

    heat = ConfusionHeatmap(Fit(), title="17")
    assert heat.heat.color.shape == (17, 17)
    assert heat.figure.axes[0].tick_rotate == -45
    width = int(heat.figure.layout.width.rstrip("px"))
    assert width >= 17 * 30
    assert heat.figure.fig_margin["bottom"] >= 100  # room for rotated labels
    bundle = heat._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)


def test_regression_shows_predicted_vs_observed(regression_fit):
    from kms_jupyter.notebook.charts import PredictedObservedChart

    view = regression_fit.plot_confusion()
    assert isinstance(view, PredictedObservedChart)
    assert len(view.points.x) == len(regression_fit.y_test)
    np.testing.assert_allclose(np.sort(view.points.y),
                               np.sort(regression_fit.predictions.to_numpy(dtype=float)), rtol=1e-6)
    _assert_fallbacks(view)


# --------------------------------------------------------------------------- comparison
def test_plot_confusion_names_from_notebook_namespace(multi_fit, small_fit):
    from IPython.testing.globalipapp import get_ipython

    from kms_jupyter import plot_confusion

    ip = get_ipython()
    ip.user_ns["out1"], ip.user_ns["out2"] = multi_fit, small_fit
    try:
        cmp = plot_confusion(multi_fit, small_fit, title="genres", subtitle="two fits")
    finally:
        del ip.user_ns["out1"], ip.user_ns["out2"]
    assert cmp.names == ["out1", "out2"]
    assert [m.labels[0] for m in cmp.marks] == ["out1", "out2"]
    assert len({m.colors[0] for m in cmp.marks}) == 2
    # per label: share correct = diagonal / row total, size = N
    conf = multi_fit.confusion.to_numpy()
    mark = cmp.marks[0]
    assert list(mark.x) == list(multi_fit.labels)
    np.testing.assert_allclose(mark.size, conf.sum(axis=1))
    rows = conf.sum(axis=1)
    expected = np.where(rows > 0, np.diag(conf) / np.maximum(rows, 1), 0.0)
    np.testing.assert_allclose(mark.y, expected)
    # leaderboard: overall test accuracy per model, matching the engine's metric
    board = cmp.leaderboard.set_index("model")
    assert board.loc["out1", "test accuracy"] == pytest.approx(multi_fit.evaluations["accuracy"])
    assert board.loc["out2", "test accuracy"] == pytest.approx(small_fit.evaluations["accuracy"])
    assert "genres" in cmp.figure.title and "two fits" in cmp.figure.title
    bundle = _assert_fallbacks(cmp)
    assert "out1" in bundle["text/html"] and "Leaderboard" in bundle["text/html"]


def test_plot_confusion_default_and_explicit_names(multi_fit, small_fit):
    from kms_jupyter.notebook.charts import plot_confusion

    cmp = plot_confusion(multi_fit, small_fit)
    assert cmp.names == ["model 1", "model 2"]
    cmp = plot_confusion(multi_fit, small_fit, names=[EVIL, "b"])
    assert EVIL not in cmp.board.value and html.escape(EVIL) in cmp.board.value


def test_plot_confusion_refuses_regression(multi_fit, regression_fit):
    from IPython.testing.globalipapp import get_ipython

    from kms_jupyter.errors import KmsArgumentError, KmsTypeError
    from kms_jupyter.notebook.charts import plot_confusion

    ip = get_ipython()
    ip.user_ns["reg_fit"] = regression_fit
    try:
        with pytest.raises(KmsArgumentError, match="reg_fit is a regression fit"):
            plot_confusion(multi_fit, regression_fit)
    finally:
        del ip.user_ns["reg_fit"]
    with pytest.raises(KmsArgumentError, match="at least one fit"):
        plot_confusion()
    with pytest.raises(KmsTypeError, match="not a KmsFit"):
        plot_confusion(multi_fit, "out1")
    with pytest.raises(KmsArgumentError, match="one name per fit"):
        plot_confusion(multi_fit, names=["a", "b"])


# --------------------------------------------------------------------------- views
def test_show_results_classification_many_classes(multi_fit):
    from kms_jupyter.notebook.charts import ConfusionHeatmap
    from kms_jupyter.notebook.views import show_results

    shown = []
    items = show_results(multi_fit, display=shown.append)
    assert shown == items
    kinds = [type(x).__name__ for x in shown]
    assert kinds == ["HTML", "HTML", "ConfusionHeatmap", "HTML"]
    layers, metrics, heat, many = shown
    assert "<details><summary>Keras summary</summary>" in layers.data
    assert "Total params" in layers.data
    assert "<table" in layers.data
    assert "accuracy" in metrics.data
    assert isinstance(heat, ConfusionHeatmap)
    assert "pCorrect" in many.data or "pcorrect" in many.data.lower()
    for item in (layers, metrics, many):
        assert EVIL not in item.data
    assert html.escape(EVIL) in many.data


def test_show_results_few_classes_and_regression(small_fit, regression_fit):
    from kms_jupyter.notebook.charts import PredictedObservedChart
    from kms_jupyter.notebook.views import show_results

    shown = []
    show_results(small_fit, display=shown.append)
    assert [type(x).__name__ for x in shown] == ["HTML", "HTML", "ConfusionHeatmap"]
    shown = []
    show_results(regression_fit, display=shown.append)
    assert isinstance(shown[-1], PredictedObservedChart)
    assert "mae" in shown[1].data.lower()


def test_show_live_returns_a_displayed_sink():
    from kms_jupyter.notebook.views import show_live

    shown = []
    chart = show_live(planned_epochs=4, display=shown.append)
    assert shown == [chart]
    chart.start(4, ["loss", "accuracy"])
    chart.update([{"epoch": 1, "loss": 1.0, "accuracy": 0.5}], {"text": "epoch 1/4"})
    assert _points(chart._marks["loss"][0]) == 1


def test_show_live_refreshes_its_output_when_training_ends():
    """In a real shell: the live chart is displayed with an id and updated at finish, so the
    stored output's PNG fallback shows the final curves, not the empty start."""
    from IPython.testing.globalipapp import get_ipython
    from IPython.utils.capture import capture_output

    from kms_jupyter.notebook.views import show_live

    get_ipython()
    with capture_output() as cap:
        chart = show_live(planned_epochs=3)
        chart.start(3, ["loss"])
        chart.update([{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.4}], {"text": "epoch 2/3"})
        chart.finish(True, reason="interrupted")
    first, last = cap.outputs
    assert not first.update and last.update
    assert first.transient["display_id"] == last.transient["display_id"]
    assert WIDGET_MIME in last.data
    assert last.data["image/png"] != first.data["image/png"]
    assert "stopped at epoch 2/3 (interrupted)" in last.data["text/html"]


def test_live_callback_close_passes_the_reason():
    from kms_jupyter.notebook.views import live_callback, show_live

    chart = show_live(planned_epochs=5, display=lambda obj: None)
    callback = live_callback(chart, min_interval=60)
    callback.params = {"epochs": 5}
    callback.on_train_begin()
    callback.on_epoch_end(0, logs={"loss": 1.0, "accuracy": 0.5})
    callback.on_epoch_end(1, logs={"loss": 0.8, "accuracy": 0.6})  # pending (coalesced)
    callback.close(partial=True, reason="interrupted")  # as after a KeyboardInterrupt
    assert len(chart._marks["loss"][0].x) == 2
    assert "stopped at epoch 2/5 (interrupted)" in chart.progress.value


# --------------------------------------------------------------------------- polish
def test_history_axes_ticks_are_regular_and_consistent():
    from kms_jupyter.notebook.charts import HistoryChart, epoch_ticks

    assert epoch_ticks(10) == list(range(1, 11))
    assert epoch_ticks(15) == [1, 3, 5, 7, 9, 11, 13, 15]
    assert epoch_ticks(25) == [1, 5, 10, 15, 20, 25]
    assert epoch_ticks(100) == [1, 20, 40, 60, 80, 100]
    for n in (1, 7, 12, 33, 250, 999):
        ticks = epoch_ticks(n)
        assert ticks[0] == 1 and ticks[-1] <= n and len(ticks) <= 10
        steps = {b - a for a, b in zip(ticks[1:], ticks[2:])}
        assert len(steps) <= 1, ticks  # one step after the first tick

    chart = HistoryChart(planned_epochs=25)
    chart.start(25, ["loss", "accuracy"])
    x_axis, loss_axis = chart.figures[0].axes
    assert list(x_axis.tick_values) == [1, 5, 10, 15, 20, 25] and x_axis.tick_format == "d"
    assert loss_axis.tick_format == ".3~g" and loss_axis.num_ticks == 5
    acc_axis = chart.figures[1].axes[1]
    assert acc_axis.tick_format == ".2f"  # 0.00 ... 1.00: no "1.00" next to "0.900"
    assert list(acc_axis.tick_values) == [0.0, 0.25, 0.5, 0.75, 1.0]
    # the y label sits clear of the tick labels: offset inside the left margin
    assert int(acc_axis.label_offset.rstrip("px")) < chart.figures[1].fig_margin["left"]
    assert int(acc_axis.label_offset.rstrip("px")) >= 45
    # once data arrive: round loss ticks, ~5 of them, one number of decimals for all
    chart.update([{"epoch": 1, "loss": 2.07, "val_loss": 1.65}, {"epoch": 2, "loss": 1.36,
                  "val_loss": 1.5}], {"text": ""})
    assert list(loss_axis.tick_values) == pytest.approx([1.4, 1.6, 1.8, 2.0])
    assert loss_axis.tick_format == ".1f"
    assert acc_axis.tick_format == ".2f"  # shares keep their fixed ticks
    chart2 = HistoryChart()
    chart2.start(40, ["loss", "mae"])
    assert chart2.figures[1].axes[1].tick_format == ".3~g"
    assert list(chart2.figures[0].axes[0].tick_values) == [1, 5, 10, 15, 20, 25, 30, 35, 40]


def test_nice_ticks():
    from kms_jupyter.notebook.charts import nice_ticks

    assert nice_ticks(1.36, 2.07) == ([1.4, 1.6, 1.8, 2.0], ".1f")
    assert nice_ticks(10, 250) == ([50.0, 100.0, 150.0, 200.0, 250.0], ".0f")
    ticks, fmt = nice_ticks(0.0012, 0.0019)
    assert fmt == ".4f" and 3 <= len(ticks) <= 7
    for lo, hi in ((0.05, 3.2), (1234, 98765), (0.5, 0.52), (-3, 4)):
        ticks, fmt = nice_ticks(lo, hi)
        assert 3 <= len(ticks) <= 7 and lo <= ticks[0] and ticks[-1] <= hi, (lo, hi, ticks)
        labels = [format(t, fmt) for t in ticks]
        assert len({len(x.split(".")[-1]) for x in labels if "." in x}) <= 1, labels
        assert len(set(labels)) == len(labels), labels  # no two ticks print the same


def test_heatmap_first_label_on_top_like_the_png(multi_fit):
    """bqplot's OrdinalScale puts domain[0] at the bottom unless reversed; the PNG (imshow) and
    fit.confusion have the first label on top (the browser test checks the drawn positions)."""
    heat = multi_fit.plot_confusion()
    assert heat.row_scale.reverse is True
    assert list(heat.row_scale.domain) == list(multi_fit.labels)
    assert heat.col_scale.reverse is False


def test_accuracy_caption_appears_once(multi_fit):
    from kms_jupyter.notebook.views import results_items

    items = results_items(multi_fit)
    texts = [getattr(i, "data", None) or "" for i in items]
    heat = next(i for i in items if type(i).__name__ == "ConfusionHeatmap")
    texts.append(heat.caption.value)
    assert sum("test rows · accuracy" in t for t in texts) == 1, texts


def test_layer_table_is_compact_and_scrolls(multi_fit):
    from kms_jupyter.notebook import static
    from kms_jupyter.notebook.views import built_html, layers_html

    compact = static.compact_layers(multi_fit.layers_overview)
    assert list(compact.columns) == ["units", "activation", "dropout", "use_bias", "regularizers",
                                     "params"]
    assert list(compact.index) == list(multi_fit.layers_overview.index)
    assert "kernel_initializer" in multi_fit.layers_overview.columns  # the full table stays
    total = sum(int(p.replace(",", "")) for p in compact["params"])
    assert total == multi_fit.model.count_params()
    for markup in (layers_html(multi_fit), static.fit_html(multi_fit, images=False),
                   built_html(multi_fit.formula, multi_fit.model, multi_fit.layers_overview)):
        assert 'style="overflow-x:auto' in markup
        assert "kernel_initializer" not in markup and "regularizers" in markup
        assert "<details><summary>Keras summary</summary>" in markup


def test_regularizers_column_combines_the_three():
    import pandas as pd

    from kms_jupyter.notebook.static import compact_layers

    overview = pd.DataFrame({
        "units": [8, 2], "activation": ["relu", "softmax"], "dropout": [0.4, 0.0],
        "use_bias": [True, True], "kernel_initializer": ["glorot_uniform"] * 2,
        "kernel_regularizer": ["l2", "None"], "bias_regularizer": ["l1", "None"],
        "activity_regularizer": ["None", "None"], "params": [24, 18]}, index=["layer1", "output"])
    compact = compact_layers(overview)
    assert list(compact["regularizers"]) == ["kernel l2, bias l1", "–"]
    assert list(compact["params"]) == ["24", "18"]


def test_show_results_without_layers_after_on_built(multi_fit):
    from kms_jupyter.notebook.views import show_results

    shown = []
    show_results(multi_fit, display=shown.append, layers=False)
    assert [type(x).__name__ for x in shown] == ["HTML", "ConfusionHeatmap", "HTML"]
    assert "Test metrics" in shown[0].data and "Keras summary" not in shown[0].data
