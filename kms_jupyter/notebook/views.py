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
           "built_html", "metrics_html", "many_class_html"]


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


def built_html(formula: Any, model: Any, overview: Any) -> str:
    """What a cell shows once the network is built, before training: the formula, the compact
    layer table (scrolls sideways when wide) and the Keras summary collapsed in a <details>."""
    parts = [f"<h4>kms: <code>{html.escape(str(formula or ''))}</code></h4>"]
    if overview is not None:
        parts.append("<b>Layers</b>" + static.layers_table_html(overview))
    parts.append(static.summary_details_html(model))
    return "\n".join(p for p in parts if p)


def layers_html(fit: Any) -> str:
    """Layer table plus the Keras summary collapsed in a <details> (and the partial-fit note)."""
    head = built_html(getattr(fit, "formula", ""), getattr(fit, "model", None),
                      getattr(fit, "layers_overview", None))
    return "\n".join(p for p in (head, static._partial_note(fit)) if p)


def metrics_html(fit: Any) -> str:
    """The test metrics table and the training time. (The "N test rows · accuracy" caption is
    the heatmap's, so it is not repeated here.)"""
    metrics = static._metrics_frame(fit)
    extra = ""
    dur = getattr(fit, "duration_s", None)
    if isinstance(dur, (int, float)):
        extra += f"<p>trained in {dur:.1f} s</p>"
    return "<b>Test metrics</b>" + static.table_html(metrics, index=False) + extra


def many_class_html(fit: Any) -> str | None:
    table = static.many_class_table(fit)
    if table is None:
        return None
    return "<b>Per class (test)</b>" + static.table_html(table)


def results_items(fit: Any, layers: bool = True) -> list[Any]:
    """The objects ``show_results`` displays, in order (HTML objects and chart widgets).
    ``layers=False``: the layer table was shown before training (``built_html``), so only the
    partial-fit note (if any) comes before the metrics."""
    from kms_jupyter.notebook.charts import plot_fit_confusion

    head = layers_html(fit) if layers else static._partial_note(fit)
    items: list[Any] = [_html(head)] if head else []
    items.append(_html(metrics_html(fit)))
    try:
        items.append(plot_fit_confusion(fit))
    except Exception as exc:  # e.g. no test rows: say so instead of failing the cell
        items.append(_html(f"<p>(no test-set view: {html.escape(str(exc))})</p>"))
    table = many_class_html(fit)
    if table:
        items.append(_html(table))
    return items


def show_results(fit: Any, display: Callable[..., Any] | None = None,
                 layers: bool = True) -> list[Any]:
    """Display the layer table, Keras summary (collapsed), test metrics, the confusion heatmap
    (or predicted vs observed) and, for 6+ classes, the many-class table. Returns the items.
    ``layers=False`` leaves out the layer table and summary (already shown before training)."""
    display = display or _ipy_display()
    items = results_items(fit, layers=layers)
    for item in items:
        display(item)
    return items
