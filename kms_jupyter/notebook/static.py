"""Static renderings (PNG via matplotlib, HTML) for nbconvert, GitHub and kernels without widgets.

Matplotlib is used through ``matplotlib.figure.Figure`` and the Agg canvas directly: nothing
here touches ``matplotlib.pyplot``, the user's backend or rcParams. Every label, level and
column name that ends up in HTML goes through :func:`html.escape` (or pandas' escaping
``to_html``); matplotlib text is drawn with math parsing off, so ``$`` stays a dollar.

Also home of the small data helpers the bqplot charts share (labels, per-label shares,
overall accuracy), so the static and interactive views agree by construction.
"""
from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import threading
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "history_frame", "confusion_counts", "per_label_table", "test_accuracy", "main_metric_of",
    "history_png", "confusion_png", "regression_png", "comparison_png", "fit_png",
    "png_html", "table_html", "fit_html", "fit_mimebundle", "keras_summary_text",
    "compact_layers", "layers_table_html", "summary_details_html", "scroll_html",
]

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
MODEL_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf"]


# --------------------------------------------------------------------------- data helpers
def history_frame(history: Any) -> pd.DataFrame:
    """A history as a DataFrame indexed by epoch (1..): accepts a DataFrame, a list of records
    (dicts with an ``"epoch"`` key, as LiveHistory sends them) or a Keras-style dict of lists."""
    if history is None:
        return pd.DataFrame()
    if isinstance(history, pd.DataFrame):
        frame = history.copy()
        if "epoch" in frame.columns:
            frame = frame.set_index("epoch")
        return frame
    if isinstance(history, dict):
        frame = pd.DataFrame(history)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
        return frame
    records = list(history)
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame.from_records(records)
    if "epoch" in frame.columns:
        frame = frame.set_index("epoch")
    return frame


def main_metric_of(columns: Iterable[str], preferred: str | None = None) -> str | None:
    """The metric to plot next to the loss: ``preferred`` if logged, else accuracy/mae/the first
    non-loss metric."""
    cols = [str(c) for c in columns]
    base = [c for c in cols if not c.startswith("val_") and c not in ("loss", "epoch")]
    if preferred and (preferred in cols or f"val_{preferred}" in cols):
        return preferred
    for name in ("accuracy", "acc", "mae", "mean_absolute_error"):
        if name in base:
            return name
    return base[0] if base else preferred


def _strip(label: str, suffix: str) -> str:
    return label[: -len(suffix)] if label.endswith(suffix) else label


def confusion_counts(fit: Any) -> tuple[list[str], list[str], np.ndarray]:
    """(observed labels, predicted labels, counts) from ``fit.confusion`` (index
    ``"<label>_obs"``, columns ``"<label>_pred"``)."""
    conf = getattr(fit, "confusion", None)
    if conf is None:
        raise ValueError("fit has no confusion matrix (continuous outcome)")
    counts = np.asarray(conf.to_numpy(dtype=float), dtype=float)
    rows = [_strip(str(i), "_obs") for i in conf.index]
    cols = [_strip(str(c), "_pred") for c in conf.columns]
    return rows, cols, counts


def per_label_table(fit: Any) -> pd.DataFrame:
    """One row per observed label: N (test rows), correct, share correct."""
    rows, cols, counts = confusion_counts(fit)
    col_pos = {c: j for j, c in enumerate(cols)}
    n = counts.sum(axis=1)
    correct = np.array([counts[i, col_pos[r]] if r in col_pos else 0.0 for i, r in enumerate(rows)])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, correct / np.where(n > 0, n, 1), np.nan)
    return pd.DataFrame({"label": rows, "N": n.astype(int), "correct": correct.astype(int),
                         "share_correct": share})


def test_accuracy(fit: Any) -> float:
    """Overall test accuracy (from the confusion matrix, so every fit is measured alike)."""
    table = per_label_table(fit)
    total = table["N"].sum()
    return float(table["correct"].sum() / total) if total else float("nan")


_NO_JUPYTER = threading.local()
_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _rich_not_jupyter():
    """While active, rich Consoles created *in this thread* do not detect Jupyter.

    Keras 3's ``model.summary(print_fn=...)`` renders through a ``rich`` Console in capture
    mode; inside an ipykernel that Console thinks it is in Jupyter and, when the capture ends,
    displays its (by then empty) buffer: one stray empty ``<pre>`` output per summary. Other
    threads keep rich's own detection (the patch consults a thread-local flag)."""
    import rich.console as rc

    with _PATCH_LOCK:
        original = rc._is_jupyter
        if not getattr(original, "_kms_patch", False):
            def _is_jupyter() -> bool:
                if getattr(_NO_JUPYTER, "depth", 0):
                    return False
                return original()

            _is_jupyter._kms_patch = True  # type: ignore[attr-defined]
            rc._is_jupyter = _is_jupyter
    _NO_JUPYTER.depth = getattr(_NO_JUPYTER, "depth", 0) + 1
    try:
        yield
    finally:
        _NO_JUPYTER.depth -= 1


def keras_summary_text(model: Any) -> str:
    """``model.summary()`` as text (empty string if it cannot be produced), with no display
    side effect in a Jupyter kernel (see :func:`_rich_not_jupyter`)."""
    if model is None:
        return ""
    lines: list[str] = []
    try:
        with _rich_not_jupyter():
            model.summary(print_fn=lambda text, line_break=True: lines.append(str(text)),
                          line_length=90)
    except Exception:
        return ""
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------- matplotlib
def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _text(s: Any) -> str:
    """Text for matplotlib: never parsed as mathtext (``$`` stays literal)."""
    return str(s).replace("$", r"\$")


def _draw_history(axes: Sequence[Any], frame: pd.DataFrame, metric: str | None,
                  planned_epochs: int | None, stopped_at: int | None) -> None:
    from matplotlib.ticker import MaxNLocator

    epochs = list(frame.index)
    last = max(planned_epochs or 0, max(epochs) if epochs else 1, 1)
    for ax, name in zip(axes, ["loss", metric]):
        if name is None:
            ax.set_visible(False)
            continue
        for col, color, label in ((name, TRAIN_COLOR, "training"), (f"val_{name}", VAL_COLOR, "validation")):
            if col in frame.columns:
                ax.plot(epochs, frame[col].to_numpy(dtype=float), marker="o", markersize=3,
                        color=color, label=label)
        ax.set_xlim(0.5, last + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
        ax.set_xlabel("epoch")
        ax.set_title(_text(name))
        if name in ("accuracy", "acc"):
            ax.set_ylim(0, 1)
        if stopped_at is not None:
            ax.axvline(stopped_at, color="#d62728", linestyle="--", linewidth=1)
            ax.text(stopped_at, 0.02, f" stopped at epoch {stopped_at}", color="#d62728",
                    transform=ax.get_xaxis_transform(), fontsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, frameon=False, loc="best")
        ax.grid(alpha=0.3)


def history_png(history: Any, main_metric: str | None = None, planned_epochs: int | None = None,
                stopped_at: int | None = None, title: str | None = None) -> bytes:
    """Loss and main-metric curves (training vs validation) as PNG bytes."""
    frame = history_frame(history)
    metric = main_metric_of(frame.columns, main_metric)
    fig = _figure(9, 3.2)
    axes = fig.subplots(1, 2)
    _draw_history(axes, frame, metric, planned_epochs, stopped_at)
    if title:
        fig.suptitle(_text(title))
    return _png(fig)


def _draw_confusion(ax, rows: list[str], cols: list[str], counts: np.ndarray, normalize: bool) -> None:
    values = counts
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    ax.imshow(values, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(len(cols)))
    ax.set_yticks(range(len(rows)))
    k = max(len(rows), len(cols))
    size = 10 if k <= 8 else 9 if k <= 14 else 8
    ax.set_xticklabels([_text(c) for c in cols], rotation=45, ha="right", fontsize=size)
    ax.set_yticklabels([_text(r) for r in rows], fontsize=size)
    ax.set_xlabel("predicted")
    ax.set_ylabel("observed")
    top = values.max() if values.size else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if counts[i, j] == 0:
                continue
            txt = f"{v:.0%}" if normalize else f"{int(v)}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=size - 1,
                    color="white" if top and v > 0.6 * top else "black")


def confusion_png(fit_or_confusion: Any, normalize: bool = False, title: str | None = None) -> bytes:
    """Observed × predicted heatmap with counts (or row shares) in the cells."""
    fit = fit_or_confusion
    if isinstance(fit_or_confusion, pd.DataFrame):
        class _F:  # adapt a bare matrix to confusion_counts
            confusion = fit_or_confusion
        fit = _F()
    rows, cols, counts = confusion_counts(fit)
    k = max(len(rows), len(cols))
    side = min(10, 3 + 0.4 * k)
    fig = _figure(side + 0.8, side)
    ax = fig.subplots()
    _draw_confusion(ax, rows, cols, counts, normalize)
    ax.set_title(_text(title or ("row shares" if normalize else "test set: observed × predicted")))
    return _png(fig)


def _draw_regression(ax, observed: np.ndarray, predicted: np.ndarray) -> None:
    ax.scatter(observed, predicted, s=8, alpha=0.6, color=TRAIN_COLOR)
    finite = np.concatenate([observed[np.isfinite(observed)], predicted[np.isfinite(predicted)]])
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        ax.plot([lo, hi], [lo, hi], color="#888888", linestyle="--", linewidth=1)
    ax.set_xlabel("observed")
    ax.set_ylabel("predicted")
    ax.grid(alpha=0.3)


def regression_arrays(fit: Any) -> tuple[np.ndarray, np.ndarray]:
    obs = np.asarray(pd.Series(getattr(fit, "y_test", [])).to_numpy(dtype=float), dtype=float).ravel()
    pred = np.asarray(pd.Series(getattr(fit, "predictions", [])).to_numpy(dtype=float), dtype=float).ravel()
    n = min(len(obs), len(pred))
    return obs[:n], pred[:n]


def regression_png(fit: Any, title: str | None = None) -> bytes:
    """Predicted vs observed scatter for a continuous outcome."""
    obs, pred = regression_arrays(fit)
    fig = _figure(4.5, 4.5)
    ax = fig.subplots()
    _draw_regression(ax, obs, pred)
    ax.set_title(_text(title or "test set: predicted vs observed"))
    return _png(fig)


def comparison_png(table: pd.DataFrame, title: str | None = None, subtitle: str | None = None) -> bytes:
    """Per-label share correct by model. ``table`` columns: model, label, N, share_correct."""
    labels = list(dict.fromkeys(table["label"]))
    models = list(dict.fromkeys(table["model"]))
    fig = _figure(max(6, 0.45 * len(labels) + 2), 4)
    ax = fig.subplots()
    pos = {lab: i for i, lab in enumerate(labels)}
    nmax = max(float(table["N"].max()), 1.0) if len(table) else 1.0
    for m_i, model in enumerate(models):
        sub = table[table["model"] == model]
        ax.scatter([pos[lab] for lab in sub["label"]], sub["share_correct"].to_numpy(dtype=float),
                   s=20 + 180 * sub["N"].to_numpy(dtype=float) / nmax, alpha=0.7,
                   color=MODEL_COLORS[m_i % len(MODEL_COLORS)], label=_text(model))
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([_text(lab) for lab in labels], rotation=45, ha="right", fontsize=8)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("share correct (test)")
    ax.grid(alpha=0.3)
    if models:
        ax.legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(_text(title))
    if subtitle:
        ax.set_title(_text(subtitle), fontsize=9)
    return _png(fig)


def fit_png(fit: Any) -> bytes:
    """History curves and the test-set view (heatmap or predicted-vs-observed) in one PNG."""
    frame = history_frame(getattr(fit, "history", None))
    metric = main_metric_of(frame.columns, getattr(fit, "main_metric", None))
    continuous = getattr(fit, "y_type", None) == "continuous"
    no_test = getattr(fit, "confusion", None) is None and not continuous
    k = 0 if continuous or no_test else len(fit.confusion)
    side = 4.5 if continuous else min(10, 3.5 + 0.4 * k)
    fig = _figure(8 + side, max(3.6, side))
    grid = fig.add_gridspec(1, 3, width_ratios=[4, 4, side])
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
    stopped = int(frame.index.max()) if getattr(fit, "partial", False) and len(frame) else None
    _draw_history(axes[:2], frame, metric, getattr(fit, "epochs", None), stopped)
    if no_test:
        axes[2].set_axis_off()
        axes[2].text(0.5, 0.5, "no test rows", ha="center", va="center", transform=axes[2].transAxes)
    elif continuous:
        obs, pred = regression_arrays(fit)
        _draw_regression(axes[2], obs, pred)
        axes[2].set_title("test: predicted vs observed")
    else:
        rows, cols, counts = confusion_counts(fit)
        _draw_confusion(axes[2], rows, cols, counts, normalize=False)
        axes[2].set_title("test: observed × predicted")
    title = getattr(fit, "formula", None)
    if title:
        fig.suptitle(_text(title) + (" (partial)" if getattr(fit, "partial", False) else ""))
    return _png(fig)


# --------------------------------------------------------------------------- HTML
def png_html(png: bytes, alt: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}"/>'


def table_html(frame: pd.DataFrame, float_digits: int = 3, index: bool = True) -> str:
    """A DataFrame as an HTML table, every cell, column and index name escaped."""
    def fmt(x: Any) -> str:
        return f"{x:.{float_digits}g}" if isinstance(x, float) and math.isfinite(x) else str(x)

    return frame.to_html(escape=True, index=index, float_format=fmt, border=0,
                         classes="kms-table", na_rep="")


_REGULARIZER_COLUMNS = (("kernel_regularizer", "kernel"), ("bias_regularizer", "bias"),
                        ("activity_regularizer", "activity"))


def compact_layers(overview: pd.DataFrame) -> pd.DataFrame:
    """The layer table as the notebook shows it: units, activation, dropout, use_bias, the three
    regularizers in one short column, params. (``fit.layers_overview`` keeps every column.)"""
    frame = pd.DataFrame(index=overview.index)
    for col in ("units", "activation", "dropout", "use_bias"):
        if col in overview.columns:
            frame[col] = overview[col]

    def regs(row: pd.Series) -> str:
        parts = [f"{short} {row[col]}" for col, short in _REGULARIZER_COLUMNS
                 if col in row.index and str(row[col]) not in ("None", "none", "", "nan")]
        return ", ".join(parts) if parts else "–"

    frame["regularizers"] = overview.apply(regs, axis=1) if len(overview) else []
    if "params" in overview.columns:
        frame["params"] = overview["params"].map(lambda v: f"{int(v):,}" if pd.notna(v) else "")
    return frame


def scroll_html(inner: str) -> str:
    """Wrap wide content so it scrolls sideways inside the output area instead of being clipped."""
    return f'<div class="kms-scroll" style="overflow-x:auto;max-width:100%">{inner}</div>'


def layers_table_html(overview: pd.DataFrame) -> str:
    """The compact layer table, escaped, in a horizontally scrollable box."""
    return scroll_html(table_html(compact_layers(overview)))


def summary_details_html(model: Any) -> str:
    """The Keras summary collapsed in a <details> ('' when there is no model)."""
    summary = keras_summary_text(model)
    if not summary:
        return ""
    return ("<details><summary>Keras summary</summary>"
            + scroll_html(f"<pre>{html.escape(summary)}</pre>") + "</details>")


def _metrics_frame(fit: Any) -> pd.DataFrame:
    ev = getattr(fit, "evaluations", None) or {}
    rows = []
    for key, value in ev.items():
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            rows.append((str(key), float(value)))
    frame = pd.DataFrame(rows, columns=["metric", "test"])
    return frame


def many_class_table(fit: Any) -> pd.DataFrame | None:
    """``kms_jupyter.confusion(fit, return_xtab=False)`` when the outcome has 6+ classes."""
    if getattr(fit, "confusion", None) is None or len(getattr(fit, "labels", []) or fit.confusion) < 6:
        return None
    from kms_jupyter import confusion

    try:
        return confusion(fit, return_xtab=False)
    except Exception:
        return None


def _partial_note(fit: Any) -> str:
    if not getattr(fit, "partial", False):
        return ""
    reason = getattr(fit, "partial_reason", None) or "stopped"
    done = len(history_frame(getattr(fit, "history", None)))
    planned = getattr(fit, "epochs", None)
    return (f'<p class="kms-partial"><b>Partial fit</b>: {html.escape(str(reason))} after '
            f"{done}/{html.escape(str(planned))} epochs.</p>")


def fit_html(fit: Any, images: bool = True, png: bytes | None = None) -> str:
    """A self-contained HTML rendering of a fit (layer table, metrics, curves, confusion)."""
    parts = ['<div class="kms-fit">']
    formula = getattr(fit, "formula", "")
    y_type = getattr(fit, "y_type", "")
    parts.append(f"<h4>kms: <code>{html.escape(str(formula))}</code></h4>")
    facts = []
    for name in ("y_type", "n", "p", "k", "seed", "epochs", "duration_s"):
        value = getattr(fit, name, None)
        if value is not None:
            if isinstance(value, float):
                value = f"{value:.3g}"
            facts.append(f"{html.escape(name)} = {html.escape(str(value))}")
    parts.append(f"<p>{' · '.join(facts)}</p>")
    parts.append(_partial_note(fit))
    layers = getattr(fit, "layers_overview", None)
    if isinstance(layers, pd.DataFrame):
        parts.append("<b>Layers</b>" + layers_table_html(layers))
    parts.append(summary_details_html(getattr(fit, "model", None)))
    metrics = _metrics_frame(fit)
    if len(metrics):
        parts.append("<b>Test metrics</b>" + table_html(metrics, index=False))
    if images:
        try:
            parts.append(png_html(png or fit_png(fit), alt=f"kms fit: {formula}"))
        except Exception as exc:  # a fallback must never break display
            parts.append(f"<p>(no image: {html.escape(type(exc).__name__)})</p>")
    if y_type != "continuous" and getattr(fit, "confusion", None) is not None:
        table = many_class_table(fit)
        if table is not None:
            parts.append("<b>Per class (test)</b>" + table_html(table))
        elif len(fit.confusion) < 6:
            parts.append("<b>Confusion (test)</b>" + table_html(fit.confusion))
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


def fit_mimebundle(fit: Any, include: Any = None, exclude: Any = None) -> dict:
    """Mime bundle for ``KmsFit._repr_mimebundle_``: text/plain, text/html and image/png."""
    try:
        plain = repr(fit)
    except Exception:
        plain = f"KmsFit({getattr(fit, 'formula', '?')})"
    bundle: dict[str, Any] = {"text/plain": str(plain)}
    try:
        png = fit_png(fit)
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    except Exception:
        png = None
    bundle["text/html"] = fit_html(fit, images=png is not None, png=png)
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle
