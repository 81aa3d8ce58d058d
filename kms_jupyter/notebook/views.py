"""Display helpers shared by the %%kms magic and the panel.

``show_live`` puts a HistoryChart in the output and returns it ready to be a LiveHistory sink;
``show_results`` shows what a finished fit has to say (layers, Keras summary, test metrics,
heatmap or regression scatter, and the many-class table for 6+ classes). Nothing here clears
the cell's output: every item is a separate ``display()`` call.
"""
from __future__ import annotations

import html
from typing import Any, Callable

from kms_jupyter.notebook import static

__all__ = ["show_live", "live_callback", "results_items", "show_results", "layers_html",
           "metrics_html", "many_class_html"]


def _ipy_display() -> Callable[..., Any]:
    from IPython.display import display

    return display


def show_live(main_metric: str | None = None, planned_epochs: int | None = None,
              title: str | None = None, display: Callable[..., Any] | None = None):
    """Display an empty HistoryChart (with a display id) and return it.

    When training ends, ``chart.finish()`` updates that display so the stored output's static
    fallback (PNG/HTML) shows the final curves rather than the empty chart of the start.
    """
    from kms_jupyter.notebook.charts import HistoryChart

    chart = HistoryChart(main_metric=main_metric, planned_epochs=planned_epochs, title=title)
    if display is None:
        chart.display_handle = _ipy_display()(chart, display_id=True)
    else:
        display(chart)
    return chart


def live_callback(chart: Any, **settings: Any):
    """A ``LiveHistory`` Keras callback feeding ``chart`` (imports Keras)."""
    from kms_jupyter.notebook.live import live_history

    return live_history(chart, **settings)


def _html(markup: str):
    from IPython.display import HTML

    return HTML(markup)


def layers_html(fit: Any) -> str:
    """Layer table plus the Keras summary collapsed in a <details>."""
    parts = [f"<h4>kms: <code>{html.escape(str(getattr(fit, 'formula', '')))}</code></h4>",
             static._partial_note(fit)]
    layers = getattr(fit, "layers_overview", None)
    if layers is not None:
        parts.append("<b>Layers</b>" + static.table_html(layers))
    summary = static.keras_summary_text(getattr(fit, "model", None))
    if summary:
        parts.append("<details><summary>Keras summary</summary><pre>"
                     f"{html.escape(summary)}</pre></details>")
    return "\n".join(p for p in parts if p)


def metrics_html(fit: Any) -> str:
    metrics = static._metrics_frame(fit)
    extra = ""
    if getattr(fit, "confusion", None) is not None:
        acc = static.test_accuracy(fit)
        n = int(static.per_label_table(fit)["N"].sum())
        extra = f"<p>{n} test rows · accuracy {acc:.3f}</p>"
    dur = getattr(fit, "duration_s", None)
    if isinstance(dur, (int, float)):
        extra += f"<p>trained in {dur:.1f} s</p>"
    return "<b>Test metrics</b>" + static.table_html(metrics, index=False) + extra


def many_class_html(fit: Any) -> str | None:
    table = static.many_class_table(fit)
    if table is None:
        return None
    return "<b>Per class (test)</b>" + static.table_html(table)


def results_items(fit: Any) -> list[Any]:
    """The objects ``show_results`` displays, in order (HTML objects and chart widgets)."""
    from kms_jupyter.notebook.charts import plot_fit_confusion

    items: list[Any] = [_html(layers_html(fit)), _html(metrics_html(fit))]
    try:
        items.append(plot_fit_confusion(fit))
    except Exception as exc:  # e.g. no test rows: say so instead of failing the cell
        items.append(_html(f"<p>(no test-set view: {html.escape(str(exc))})</p>"))
    table = many_class_html(fit)
    if table:
        items.append(_html(table))
    return items


def show_results(fit: Any, display: Callable[..., Any] | None = None) -> list[Any]:
    """Display the layer table, Keras summary (collapsed), test metrics, the confusion heatmap
    (or predicted vs observed) and, for 6+ classes, the many-class table. Returns the items."""
    display = display or _ipy_display()
    items = results_items(fit)
    for item in items:
        display(item)
    return items
