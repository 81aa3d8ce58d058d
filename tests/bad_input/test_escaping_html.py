"""Labels, levels and column names that look like markup or script stay text in every HTML the
package produces (fit repr, static fallback, views, chart widgets, comparison and panel boards)."""
from __future__ import annotations

import warnings
from html.parser import HTMLParser

import numpy as np
import pytest

from kms_jupyter import kms
from kms_jupyter.datasets import movies_like

XSS = "<img src=x onerror=alert(1)>"
QUOTE = '"; alert(1)//'
CLOSE = "</td><script>alert(2)</script>"
LABELS = ["Drama", XSS, QUOTE, "Comedy", "A&B", CLOSE]


class Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.problems.append("a <script> element")
            self._in_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and not dict(attrs).get("src", "").startswith("data:image/png;base64,"):
            self.problems.append(f"a foreign <img> {attrs}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        self.text.append(data)


def audit(markup: str, must_show: tuple[str, ...]) -> None:
    parser = Audit()
    parser.feed(markup)
    parser.close()
    assert not parser.problems, parser.problems
    text = "".join(parser.text)
    for s in must_show:
        assert s in text, f"{s!r} is not visible as text"


@pytest.fixture(scope="module")
def fit():
    df = movies_like(n=240, seed=7)
    df["genre"] = np.array(LABELS)[np.arange(len(df)) % len(LABELS)]
    df[XSS] = np.array(["a", "b", QUOTE])[np.arange(len(df)) % 3]
    df = df.rename(columns={"votes": QUOTE})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kms(f"genre ~ rating + `{XSS}` + `{QUOTE}`", df, units=(4,), epochs=2, batch_size=64,
                   seed=1)


def test_fit_repr_html(fit):
    audit(fit._repr_html_(), (XSS, QUOTE))


def test_static_fallback_bundle(fit):
    from kms_jupyter.notebook.static import fit_mimebundle

    bundle = fit_mimebundle(fit)
    audit(bundle["text/html"], (XSS, QUOTE, CLOSE))  # formula + many-class table labels
    assert XSS not in bundle["text/plain"] or bundle["text/plain"].startswith("<KmsFit")


def test_views_html(fit):
    import ipywidgets as widgets

    from kms_jupyter.notebook import views

    audit(views.layers_html(fit), (XSS, QUOTE))
    audit(views.metrics_html(fit), ())
    audit(views.many_class_html(fit), (XSS, QUOTE, CLOSE))
    items = views.results_items(fit)
    markup = [i.value if isinstance(i, widgets.HTML) else i.data for i in items
              if isinstance(i, widgets.HTML) or isinstance(getattr(i, "data", None), str)]
    assert len(markup) >= 3
    for text in markup:
        audit(text, ())
    audit(markup[-1], (XSS, QUOTE, CLOSE))  # the many-class table: every label, as text


def test_chart_widgets_html(fit):
    import ipywidgets as widgets

    from kms_jupyter.notebook.charts import plot_confusion, plot_fit_confusion, plot_history

    for chart in (plot_fit_confusion(fit), plot_history(fit), plot_confusion(fit, fit)):
        bundle = chart._repr_mimebundle_()
        html_text = bundle.get("text/html", "") if isinstance(bundle, dict) else ""
        audit(html_text, ())
        stack = [chart]
        while stack:
            w = stack.pop()
            if isinstance(w, widgets.HTML):
                audit(w.value, ())
            stack.extend(getattr(w, "children", ()))
    heat = plot_fit_confusion(fit)
    # bqplot draws axis labels with d3 .text(): the labels are passed as plain data
    assert any(XSS in str(v) for v in heat.row_scale.domain)


def test_comparison_leaderboard_and_panel_board(fit):
    from kms_jupyter.notebook import panel_state as ps
    from kms_jupyter.notebook.charts import plot_confusion

    board = plot_confusion(fit, fit, names=[XSS, QUOTE])._board_html()
    audit(board, (XSS, QUOTE))
    audit(ps.leaderboard_html([ps.leaderboard_row(0, fit)], selected=[0]), (XSS,))
