"""bqplot views of a fit: live history, confusion heatmap, regression scatter, model comparison.

Figures are built explicitly (Figure/Marks/Scales/Axes), never through ``bqplot.pyplot``'s
global context, because several live charts exist at once. Each chart is an ipywidgets box
whose ``_repr_mimebundle_`` keeps the widget view and adds ``image/png`` and ``text/html``
fallbacks (rendered by :mod:`kms_jupyter.notebook.static`), so nbconvert and GitHub show the
curves and the heatmap too. bqplot draws labels as SVG text; anything that goes into an HTML
widget is escaped with :func:`html.escape`.
"""
from __future__ import annotations

import base64
import html
import math
from typing import Any, Sequence

import ipywidgets as widgets
import numpy as np
import pandas as pd
from bqplot import (Axis, ColorScale, Figure, GridHeatMap, Label, LinearScale, Lines,
                    OrdinalScale, Scatter, Tooltip)

from kms_jupyter.notebook import static

__all__ = ["HistoryChart", "ConfusionHeatmap", "PredictedObservedChart", "ComparisonChart",
           "plot_history", "plot_fit_confusion", "plot_confusion", "fit_names"]


class _FallbackMixin:
    """Adds ``image/png`` and ``text/html`` to the widget's own mime bundle."""

    _alt = "kms chart"

    def to_png(self) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def _extra_html(self) -> str:
        return ""

    def _repr_mimebundle_(self, **kwargs: Any):
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data = dict(data or {})
        try:
            png = self.to_png()
        except Exception as exc:  # a fallback must never break display
            data.setdefault("text/html", f"<p>(no static rendering: {html.escape(type(exc).__name__)})</p>")
            return data
        data["image/png"] = base64.b64encode(png).decode("ascii")
        data["text/html"] = (f'<div class="kms-static">{static.png_html(png, self._alt)}'
                             f"{self._extra_html()}</div>")
        return data


# --------------------------------------------------------------------------- live history
# metrics that are shares in [0, 1]: fixed 0..1 axis with two decimals
_SHARE_METRICS = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                  "sparse_categorical_accuracy", "top5_accuracy", "precision", "recall", "auc")
_NICE_STEPS = (1, 2, 5, 10, 20, 25, 50)


def nice_ticks(lo: float, hi: float, target: int = 5) -> tuple[list[float], str]:
    """About ``target`` round tick values inside [lo, hi] (steps 1, 2, 2.5, 5 × 10^k) and a tick
    format with the same number of decimals on every tick (``1.4 1.6 1.8 2.0``)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], ".3~g"
    if hi <= lo:
        span = abs(lo) * 0.1 or 1.0
        lo, hi = lo - span, hi + span
    raw = (hi - lo) / max(1, target - 1)
    power = 10.0 ** math.floor(math.log10(raw))

    def ticks_for(step: float) -> list[float]:
        first = math.ceil(lo / step - 1e-9) * step
        return [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]

    # the round step whose tick count is closest to the target (ties: the larger step)
    steps = [m * p for p in (power / 10, power, power * 10) for m in (1, 2, 2.5, 5)]
    step = min(reversed(steps), key=lambda st: abs(len(ticks_for(st)) - target))
    ticks = ticks_for(step)
    decimals = max(0, -math.floor(math.log10(step) + 1e-12))
    if round(step / 10.0 ** -decimals, 6) % 1:  # 2.5 × 10^k needs one more decimal
        decimals += 1
    return ticks, f".{decimals}f"


def epoch_ticks(planned: int, most: int = 10) -> list[int]:
    """Whole-epoch ticks at a regular step for an axis from 1 to ``planned``: every epoch up to
    10 epochs, then 1, 3, 5, ... (step 2) or 1, 5, 10, 15, ... (step 5, 10, 20, 25, 50, 100...),
    never more than ``most`` ticks."""
    planned = max(1, int(planned))
    step = None
    for scale in (1, 10, 100, 1000, 10_000, 100_000):
        for base in _NICE_STEPS:
            candidate = base * scale
            n = (len(range(1, planned + 1, candidate)) if candidate <= 2
                 else 1 + planned // candidate)
            if n <= most:
                step = candidate
                break
        if step:
            break
    step = step or max(1, planned // (most - 1))
    if step <= 2:
        return list(range(1, planned + 1, step))
    return [1] + list(range(step, planned + 1, step))


class HistoryChart(_FallbackMixin, widgets.VBox):
    """Loss and main metric (training vs validation), one point per epoch, plus a progress line.

    Implements the :class:`~kms_jupyter.notebook.live.HistorySink` protocol
    (``start`` / ``update`` / ``finish``) so a ``LiveHistory`` callback can feed it.
    """

    _alt = "training history"

    def __init__(self, main_metric: str | None = None, planned_epochs: int | None = None,
                 title: str | None = None, **kwargs: Any) -> None:
        self.main_metric = main_metric
        self.planned_epochs = int(planned_epochs) if planned_epochs else None
        self.records: list[dict] = []
        self.partial: bool | None = None
        self.reason: str | None = None
        self.display_handle: Any = None  # set by views.show_live; refreshed at finish
        self.title = title
        self._x = LinearScale(min=1.0, max=float(max(self.planned_epochs or 2, 2)))
        self._marks: dict[str, tuple[Lines, Lines]] = {}
        self._stops: dict[str, tuple[Lines, Label]] = {}
        self._yscales: dict[str, LinearScale] = {}
        self.figures = [self._figure("loss", "loss"), self._figure("metric", main_metric or "metric")]
        self.progress = widgets.HTML(value="<span>waiting for the first epoch…</span>")
        children = [widgets.HBox(self.figures), self.progress]
        if title:
            children.insert(0, widgets.HTML(value=f"<b>{html.escape(str(title))}</b>"))
        super().__init__(children=children, **kwargs)

    def _figure(self, key: str, name: str) -> Figure:
        y = LinearScale()
        if name in ("accuracy", "acc"):
            y = LinearScale(min=0.0, max=1.0)
        self._yscales[key] = y
        scales = {"x": self._x, "y": y}
        train = Lines(x=[], y=[], scales=scales, colors=[static.TRAIN_COLOR], marker="circle",
                      marker_size=24, labels=["training"], display_legend=True)
        val = Lines(x=[], y=[], scales=scales, colors=[static.VAL_COLOR], marker="circle",
                    marker_size=24, labels=["validation"], display_legend=True)
        stop = Lines(x=[], y=[], scales=scales, colors=["#d62728"], line_style="dashed")
        stop_label = Label(x=[], y=[], text=[], scales=scales, colors=["#d62728"],
                           font_weight="normal", default_size=11, x_offset=4)
        self._marks[key] = (train, val)
        self._stops[key] = (stop, stop_label)
        ax_x = Axis(scale=self._x, label="epoch", tick_format="d",
                    tick_values=np.asarray(epoch_ticks(self.planned_epochs or 2), dtype=float))
        ax_y = Axis(scale=y, side="left", label=name, label_offset="48px")
        self._style_y_axis(ax_y, name)
        return Figure(marks=[train, val, stop, stop_label], axes=[ax_x, ax_y], title=name,
                      legend_location="top-right", animation_duration=0,
                      fig_margin={"top": 40, "bottom": 45, "left": 72, "right": 15},
                      layout=widgets.Layout(width="430px", height="300px"))

    @staticmethod
    def _style_y_axis(axis: Axis, name: str) -> None:
        """Shares in [0, 1] get fixed ticks 0.00, 0.25, ... 1.00 (same decimals throughout);
        anything else (loss, MAE) ~5 ticks with up to 3 significant digits."""
        with axis.hold_sync():
            if name in _SHARE_METRICS:
                axis.tick_format = ".2f"
                axis.tick_values = np.linspace(0.0, 1.0, 5)
                axis.num_ticks = None
            else:  # nice_ticks() sets round values once data arrive (_redraw)
                axis.tick_format = ".3~g"
                axis.tick_values = None
                axis.num_ticks = 5

    def _nice_y_ticks(self, key: str) -> None:
        col = self._column(key)
        if not col or col in _SHARE_METRICS:
            return
        values = [v for name in (col, f"val_{col}") for v in self._series(name)[1]]
        if not values:
            return
        ticks, fmt = nice_ticks(min(values), max(values))
        axis = self.figures[0 if key == "loss" else 1].axes[1]
        if len(ticks) >= 2 and (axis.tick_values is None or list(axis.tick_values) != ticks
                                or axis.tick_format != fmt):
            with axis.hold_sync():
                axis.tick_values = np.asarray(ticks, dtype=float)
                axis.tick_format = fmt

    # -- sink protocol -------------------------------------------------------------------------
    def start(self, planned_epochs: int, metric_names: Sequence[str] = ()) -> None:
        self.planned_epochs = int(planned_epochs)
        self.records = []
        self.partial = None
        self.reason = None
        with self._x.hold_sync():
            self._x.min, self._x.max = 1.0, float(max(self.planned_epochs, 2))
        for fig in self.figures:
            fig.axes[0].tick_values = np.asarray(epoch_ticks(self.planned_epochs), dtype=float)
        metric = static.main_metric_of(list(metric_names), self.main_metric)
        if metric:
            self._set_metric(metric)
        for key in self._marks:
            self._redraw(key)
        self.progress.value = f"<span>epoch 0/{self.planned_epochs} · starting…</span>"

    def update(self, epoch_records: Sequence[dict], progress: dict | None = None) -> None:
        if epoch_records:
            self.records.extend(dict(r) for r in epoch_records)
            if self.main_metric is None:
                metric = static.main_metric_of(self.records[-1].keys())
                if metric:
                    self._set_metric(metric)
            for key in self._marks:
                self._redraw(key)
        if progress:
            self.progress.value = f"<span>{html.escape(str(progress.get('text', '')))}</span>"

    def finish(self, partial: bool, reason: str | None = None) -> None:
        self.partial = bool(partial)
        self.reason = reason or self.reason
        done = self.records[-1]["epoch"] if self.records else 0
        planned = self.planned_epochs or done
        if self.partial:
            why = f" ({self.reason})" if self.reason else ""
            self.progress.value = (f'<span style="color:#d62728">stopped at epoch {done}/{planned}'
                                   f"{html.escape(why)}</span>")
            if done and planned >= 3 * done:
                # a run stopped early (e.g. 9 of 300) would be squeezed against the left edge:
                # zoom the epoch axis to what was trained, with room for the stop marker
                self._zoom_epochs(done + max(1, done // 5))
            for key in self._marks:
                self._mark_stop(key, done)
        else:
            self.progress.value = f"<span>done: {done}/{planned} epochs</span>"
        if self.display_handle is not None:
            try:  # refresh the stored output so its static fallback shows the final curves
                self.display_handle.update(self)
            except Exception:
                pass

    def _zoom_epochs(self, last: int) -> None:
        last = max(2, int(last))
        with self._x.hold_sync():
            self._x.min, self._x.max = 1.0, float(last)
        for fig in self.figures:
            fig.axes[0].tick_values = np.asarray(epoch_ticks(last), dtype=float)

    # -- drawing -------------------------------------------------------------------------------
    def _set_metric(self, metric: str) -> None:
        self.main_metric = metric
        fig = self.figures[1]
        fig.title = metric
        fig.axes[1].label = metric
        self._style_y_axis(fig.axes[1], metric)
        if metric in ("accuracy", "acc"):
            with self._yscales["metric"].hold_sync():
                self._yscales["metric"].min, self._yscales["metric"].max = 0.0, 1.0

    def _column(self, key: str) -> str | None:
        return "loss" if key == "loss" else self.main_metric

    def _series(self, col: str) -> tuple[list[int], list[float]]:
        xs, ys = [], []
        for r in self.records:
            v = r.get(col)
            if v is not None and math.isfinite(v):
                xs.append(int(r["epoch"]))
                ys.append(float(v))
        return xs, ys

    def _redraw(self, key: str) -> None:
        col = self._column(key)
        train, val = self._marks[key]
        for mark, name in ((train, col), (val, f"val_{col}" if col else None)):
            xs, ys = self._series(name) if name else ([], [])
            with mark.hold_sync():
                mark.x = np.asarray(xs, dtype=float)
                mark.y = np.asarray(ys, dtype=float)
        self._nice_y_ticks(key)

    def _mark_stop(self, key: str, epoch: int) -> None:
        col = self._column(key)
        values = [v for name in (col, f"val_{col}") for v in self._series(name)[1]] if col else []
        if not values or not epoch:
            return
        lo, hi = min(values), max(values)
        if key == "metric" and self.main_metric in ("accuracy", "acc"):
            lo, hi = 0.0, 1.0
        stop, label = self._stops[key]
        with stop.hold_sync():
            stop.x = np.array([epoch, epoch], dtype=float)
            stop.y = np.array([lo, hi], dtype=float)
        with label.hold_sync():
            label.x = np.array([epoch], dtype=float)
            label.y = np.array([hi], dtype=float)
            label.text = ["stopped"]

    # -- static --------------------------------------------------------------------------------
    def history(self) -> pd.DataFrame:
        return static.history_frame(self.records)

    def to_png(self) -> bytes:
        stopped = self.records[-1]["epoch"] if self.partial and self.records else None
        return static.history_png(self.records, self.main_metric, self.planned_epochs, stopped,
                                  title=self.title)

    def _extra_html(self) -> str:
        text = self.progress.value
        return f"<div>{text}</div>"  # already escaped when set


# --------------------------------------------------------------------------- confusion
def _fit_label(fit: Any) -> str:
    return str(getattr(fit, "formula", None) or type(fit).__name__)


class ConfusionHeatmap(_FallbackMixin, widgets.VBox):
    """Observed × predicted GridHeatMap with counts in the cells, tooltips, and a toggle for
    row-normalised shares."""

    _alt = "confusion heatmap"

    def __init__(self, fit: Any, title: str | None = None, **kwargs: Any) -> None:
        self.fit = fit
        self.rows, self.cols, self.counts = static.confusion_counts(fit)
        totals = self.counts.sum(axis=1, keepdims=True)
        self.shares = np.divide(self.counts, totals, out=np.zeros_like(self.counts), where=totals > 0)
        k = max(len(self.rows), len(self.cols))
        longest = max((len(s) for s in self.rows + self.cols), default=1)
        margin = int(min(160, 30 + 6.5 * longest))
        side = int(min(760, max(320, 34 * k + margin)))
        font = "12px" if k <= 8 else "11px" if k <= 14 else "10px"
        # reverse=True puts the first observed label at the top, as in the PNG (matplotlib
        # imshow) and in fit.confusion: the diagonal runs from top left to bottom right.
        self.row_scale = OrdinalScale(domain=list(self.rows), reverse=True)
        self.col_scale = OrdinalScale(domain=list(self.cols))
        self.color_scale = ColorScale(colors=["#f7fbff", "#9ecae1", "#4292c6"], min=0.0)
        self.heat = GridHeatMap(
            row=np.asarray(self.rows, dtype=object), column=np.asarray(self.cols, dtype=object),
            color=self.counts, scales={"row": self.row_scale, "column": self.col_scale,
                                       "color": self.color_scale},
            display_format=".0f", font_style={"font-size": font, "fill": "black"},
            stroke="white", null_color="#ffffff",
            tooltip=Tooltip(fields=["row", "column", "color"], labels=["observed", "predicted", "count"],
                            formats=["", "", ".0f"]),
        )
        ax_col = Axis(scale=self.col_scale, label="predicted", tick_rotate=-45 if k > 4 else 0,
                      tick_style={"text-anchor": "end" if k > 4 else "middle", "font-size": font},
                      label_offset=f"{margin - 12}px" if k > 4 else "35px")
        ax_row = Axis(scale=self.row_scale, side="left", label="observed",
                      tick_style={"font-size": font}, label_offset=f"{margin - 12}px")
        self.figure = Figure(
            marks=[self.heat], axes=[ax_col, ax_row], padding_x=0, padding_y=0,
            title=title or "test set: observed × predicted",
            fig_margin={"top": 40, "bottom": margin if k > 4 else 60, "left": margin, "right": 20},
            layout=widgets.Layout(width=f"{side + 40}px", height=f"{side}px"),
        )
        self.toggle = widgets.ToggleButton(value=False, description="row shares",
                                           tooltip="show each observed row as shares of its total")
        self.toggle.observe(self._on_toggle, names="value")
        n = int(self.counts.sum())
        acc = static.test_accuracy(fit)
        self.caption = widgets.HTML(value=f"<span>{n} test rows · accuracy {acc:.3f}</span>"
                                    if math.isfinite(acc) else f"<span>{n} test rows</span>")
        super().__init__(children=[widgets.HBox([self.toggle, self.caption]), self.figure], **kwargs)

    @property
    def normalized(self) -> bool:
        return bool(self.toggle.value)

    def _on_toggle(self, change: dict) -> None:
        norm = bool(change["new"])
        with self.heat.hold_sync():
            self.heat.color = self.shares if norm else self.counts
            self.heat.display_format = ".0%" if norm else ".0f"
            self.heat.tooltip.labels = ["observed", "predicted", "share of row" if norm else "count"]
            self.heat.tooltip.formats = ["", "", ".1%" if norm else ".0f"]
        with self.color_scale.hold_sync():
            self.color_scale.max = 1.0 if norm else None

    def to_png(self) -> bytes:
        return static.confusion_png(self.fit, normalize=self.normalized)


class PredictedObservedChart(_FallbackMixin, widgets.VBox):
    """Predicted vs observed scatter (test set) for a continuous outcome."""

    _alt = "predicted vs observed"

    def __init__(self, fit: Any, title: str | None = None, **kwargs: Any) -> None:
        self.fit = fit
        obs, pred = static.regression_arrays(fit)
        ok = np.isfinite(obs) & np.isfinite(pred)
        obs, pred = obs[ok], pred[ok]
        x, y = LinearScale(), LinearScale()
        lo = float(min(obs.min(), pred.min())) if obs.size else 0.0
        hi = float(max(obs.max(), pred.max())) if obs.size else 1.0
        self.points = Scatter(x=obs, y=pred, scales={"x": x, "y": y}, colors=[static.TRAIN_COLOR],
                              default_size=16, opacities=[0.6],
                              tooltip=Tooltip(fields=["x", "y"], labels=["observed", "predicted"],
                                              formats=[".4g", ".4g"]))
        diag = Lines(x=np.array([lo, hi]), y=np.array([lo, hi]), scales={"x": x, "y": y},
                     colors=["#888888"], line_style="dashed")
        self.figure = Figure(marks=[self.points, diag],
                             axes=[Axis(scale=x, label="observed"),
                                   Axis(scale=y, side="left", label="predicted")],
                             title=title or "test set: predicted vs observed",
                             layout=widgets.Layout(width="440px", height="420px"))
        mae = float(np.mean(np.abs(obs - pred))) if obs.size else float("nan")
        self.caption = widgets.HTML(value=f"<span>{obs.size} test rows · MAE {mae:.4g}</span>")
        super().__init__(children=[self.caption, self.figure], **kwargs)

    def to_png(self) -> bytes:
        return static.regression_png(self.fit)


# --------------------------------------------------------------------------- comparison
def fit_names(fits: Sequence[Any], names: Sequence[str] | None = None) -> list[str]:
    """Display names: ``names`` if given, else the notebook variables holding each fit (looked
    up in the IPython user namespace), else ``"model 1"``, ``"model 2"``..."""
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(fits):
            from kms_jupyter.errors import KmsArgumentError

            raise KmsArgumentError(f"names has {len(names)} entries for {len(fits)} fits; "
                                   "give one name per fit.")
        return names
    user_ns: dict = {}
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            user_ns = shell.user_ns
    except Exception:
        user_ns = {}
    result = []
    for i, fit in enumerate(fits):
        found = [k for k, v in list(user_ns.items()) if v is fit and not k.startswith("_")]
        result.append(sorted(found, key=lambda k: (len(k), k))[0] if found else f"model {i + 1}")
    # the same object twice, or two fits found under one name: keep names unique
    seen: dict[str, int] = {}
    for i, name in enumerate(result):
        if name in seen:
            seen[name] += 1
            result[i] = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
    return result


def comparison_table(fits: Sequence[Any], names: Sequence[str]) -> pd.DataFrame:
    frames = []
    for fit, name in zip(fits, names):
        t = static.per_label_table(fit)
        t.insert(0, "model", name)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["model", "label", "N", "correct", "share_correct"])


def leaderboard(fits: Sequence[Any], names: Sequence[str]) -> pd.DataFrame:
    rows = []
    for fit, name in zip(fits, names):
        table = static.per_label_table(fit)
        rows.append({"model": name, "formula": str(getattr(fit, "formula", "")),
                     "test accuracy": static.test_accuracy(fit), "N test": int(table["N"].sum()),
                     "epochs": len(static.history_frame(getattr(fit, "history", None))),
                     "partial": bool(getattr(fit, "partial", False))})
    board = pd.DataFrame(rows)
    if len(board):
        board = board.sort_values("test accuracy", ascending=False, kind="stable").reset_index(drop=True)
        board.index = board.index + 1
    return board


class ComparisonChart(_FallbackMixin, widgets.VBox):
    """Per-label share correct for several classification fits, plus a leaderboard."""

    _alt = "model comparison"

    def __init__(self, fits: Sequence[Any], names: Sequence[str], title: str | None = None,
                 subtitle: str | None = None, **kwargs: Any) -> None:
        self.fits = list(fits)
        self.names = list(names)
        self.title = title
        self.subtitle = subtitle
        self.table = comparison_table(self.fits, self.names)
        self.leaderboard = leaderboard(self.fits, self.names)
        labels = list(dict.fromkeys(self.table["label"]))
        x = OrdinalScale(domain=labels)
        y = LinearScale(min=0.0, max=1.0)
        size = LinearScale(min=0.0, max=float(max(self.table["N"].max(), 1)) if len(self.table) else 1.0)
        self.marks = []
        for i, name in enumerate(self.names):
            sub = self.table[self.table["model"] == name]
            share = sub["share_correct"].to_numpy(dtype=float)
            self.marks.append(Scatter(
                x=np.asarray(sub["label"], dtype=object), y=np.nan_to_num(share, nan=0.0),
                size=sub["N"].to_numpy(dtype=float), scales={"x": x, "y": y, "size": size},
                colors=[static.MODEL_COLORS[i % len(static.MODEL_COLORS)]], default_size=220,
                opacities=[0.75], labels=[name], display_legend=True,
                tooltip=Tooltip(fields=["x", "y", "size"], labels=["label", "share correct", "N"],
                                formats=["", ".3f", ".0f"])))
        k = len(labels)
        longest = max((len(s) for s in labels), default=1)
        bottom = int(min(160, 30 + 6.5 * longest)) if k > 4 else 60
        fig_title = " — ".join(t for t in (title, subtitle) if t) or "share correct by label (test)"
        self.figure = Figure(
            marks=self.marks, title=fig_title, legend_location="bottom-right",
            axes=[Axis(scale=x, label="label", tick_rotate=-45 if k > 4 else 0,
                       tick_style={"text-anchor": "end" if k > 4 else "middle", "font-size": "11px"},
                       label_offset=f"{bottom - 12}px" if k > 4 else "35px"),
                  Axis(scale=y, side="left", label="share correct", tick_format=".0%")],
            fig_margin={"top": 50, "bottom": bottom, "left": 60, "right": 20},
            layout=widgets.Layout(width=f"{max(480, 40 * k + 120)}px", height="420px"),
        )
        self.board = widgets.HTML(value=self._board_html())
        super().__init__(children=[self.figure, self.board], **kwargs)

    def _board_html(self) -> str:
        board = self.leaderboard.copy()
        if len(board):
            board["test accuracy"] = board["test accuracy"].map(lambda v: f"{v:.3f}")
        return "<b>Leaderboard (overall test accuracy)</b>" + static.table_html(board)

    def to_png(self) -> bytes:
        return static.comparison_png(self.table, self.title, self.subtitle)

    def _extra_html(self) -> str:
        return self._board_html()


# --------------------------------------------------------------------------- entry points
def plot_history(fit: Any) -> HistoryChart:
    """``fit.plot_history()``: a finished HistoryChart filled from ``fit.history``."""
    frame = static.history_frame(getattr(fit, "history", None))
    planned = int(getattr(fit, "epochs", None) or len(frame) or 1)
    chart = HistoryChart(main_metric=getattr(fit, "main_metric", None), planned_epochs=planned,
                         title=getattr(fit, "formula", None))
    names = ["loss"] + [c for c in frame.columns if not str(c).startswith("val_") and c != "loss"]
    chart.start(planned, names)
    records = [{"epoch": int(e), **{str(k): float(v) for k, v in row.items() if pd.notna(v)}}
               for e, row in frame.iterrows()]
    done = len(records)
    chart.update(records, {"text": f"epoch {done}/{planned}"})
    chart.finish(partial=bool(getattr(fit, "partial", False)) or done < planned,
                 reason=getattr(fit, "partial_reason", None))
    return chart


def _is_continuous(fit: Any) -> bool:
    return getattr(fit, "y_type", None) == "continuous"


def _no_test_rows(fit: Any, name: str) -> None:
    from kms_jupyter.errors import KmsArgumentError

    if getattr(fit, "confusion", None) is None:
        raise KmsArgumentError(f"{name} has no test rows (p_training=1?), so there is no confusion "
                               "matrix; refit with p_training < 1.")


def plot_fit_confusion(fit: Any) -> ConfusionHeatmap | PredictedObservedChart:
    """``fit.plot_confusion()``: the heatmap, or predicted vs observed for a regression."""
    if _is_continuous(fit):
        return PredictedObservedChart(fit)
    _no_test_rows(fit, _fit_label(fit))
    return ConfusionHeatmap(fit)


def plot_confusion(*fits: Any, title: str | None = None, subtitle: str | None = None,
                   names: Sequence[str] | None = None) -> ComparisonChart:
    """Compare classification fits per label (share correct, point size by N, one colour per
    model named by its notebook variable) with a leaderboard of overall test accuracy."""
    from kms_jupyter.errors import KmsArgumentError, KmsTypeError

    if len(fits) == 1 and isinstance(fits[0], (list, tuple)):
        fits = tuple(fits[0])
    if not fits:
        raise KmsArgumentError("plot_confusion() needs at least one fit, e.g. plot_confusion(out1, out2).")
    labels = fit_names(fits, names)
    for fit, name in zip(fits, labels):
        if not hasattr(fit, "confusion") or not hasattr(fit, "y_type"):
            raise KmsTypeError(f"plot_confusion(): {name} is a {type(fit).__name__}, not a KmsFit; "
                               "pass the results of kms().")
        if _is_continuous(fit):
            raise KmsArgumentError(
                f"plot_confusion(): {name} is a regression fit ({_fit_label(fit)}); it has no "
                f"confusion matrix. Use {name}.plot_confusion() for predicted vs observed.")
        _no_test_rows(fit, name)
    return ComparisonChart(fits, labels, title=title, subtitle=subtitle)
