"""Static fallbacks: PNGs drawn without pyplot, escaped HTML, the KmsFit mime bundle."""
from __future__ import annotations

import base64
import html
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from _notebook_fits import EVIL, multi_fit, regression_fit, small_fit  # noqa: F401  (fixtures)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_history_png_from_records_and_frame(multi_fit):
    from kms_jupyter.notebook import static

    png = static.history_png(multi_fit.history, "accuracy", planned_epochs=15, stopped_at=2)
    w, h = _png_size(png)
    assert w > 500 and h > 200
    records = [{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}]
    frame = static.history_frame(records)
    assert list(frame.index) == [1, 2] and list(frame["loss"]) == [1.0, 0.5]
    assert static.history_png(records).startswith(PNG_MAGIC)
    assert static.history_png([]).startswith(PNG_MAGIC)  # empty chart at train start


def test_confusion_and_regression_png(multi_fit, regression_fit):
    from kms_jupyter.notebook import static

    counts = static.confusion_png(multi_fit)
    shares = static.confusion_png(multi_fit, normalize=True)
    assert counts != shares
    assert _png_size(counts)[0] > 300
    assert static.confusion_png(multi_fit.confusion).startswith(PNG_MAGIC)
    assert static.regression_png(regression_fit).startswith(PNG_MAGIC)
    assert static.fit_png(regression_fit).startswith(PNG_MAGIC)


def test_pngs_never_touch_pyplot_or_the_backend():
    """Run in a fresh process where the user chose a backend: it must stay, pyplot untouched."""
    code = textwrap.dedent("""
        import sys, matplotlib
        matplotlib.use("svg")
        before = matplotlib.get_backend(), dict(matplotlib.rcParams)
        from kms_jupyter.notebook import static
        png = static.history_png([{"epoch": 1, "loss": 1.0, "val_loss": 1.2}], planned_epochs=3)
        assert png.startswith(b"\\x89PNG"), png[:8]
        assert "matplotlib.pyplot" not in sys.modules
        after = matplotlib.get_backend(), dict(matplotlib.rcParams)
        assert before[0] == after[0], (before[0], after[0])
        assert before[1] == after[1]
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def test_dollar_labels_are_not_mathtext():
    from kms_jupyter.notebook import static

    conf = pd.DataFrame([[3, 1], [0, 4]], index=["$x_obs", "$y$_obs"], columns=["$x_pred", "$y$_pred"])
    assert static.confusion_png(conf).startswith(PNG_MAGIC)  # "$x" alone would raise in mathtext


def test_fit_html_escapes_every_label(multi_fit):
    from kms_jupyter.notebook import static

    page = static.fit_html(multi_fit)
    assert EVIL not in page
    assert "<b>up</b>" not in page
    assert html.escape(EVIL) in page  # the many-class table shows the label as text
    assert "<details><summary>Keras summary</summary>" in page
    assert '<img src="data:image/png;base64,' in page
    assert "Per class (test)" in page  # 6+ classes


def test_fit_html_few_classes_shows_xtab(small_fit):
    from kms_jupyter.notebook import static

    page = static.fit_html(small_fit, images=False)
    assert "Per class (test)" not in page
    assert "Confusion (test)" in page and "Comedy_obs" in page
    assert "data:image/png" not in page


def test_escaped_column_and_layer_names():
    from kms_jupyter.notebook import static

    frame = pd.DataFrame({EVIL: [1.0]}, index=pd.Index([EVIL], name=EVIL))
    out = static.table_html(frame)
    assert EVIL not in out and out.count(html.escape(EVIL)) == 3


def test_fit_mimebundle(multi_fit):
    from kms_jupyter.notebook.static import fit_mimebundle

    bundle = fit_mimebundle(multi_fit)
    assert set(bundle) == {"text/plain", "text/html", "image/png"}
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    assert EVIL not in bundle["text/html"]
    assert bundle["text/plain"] == repr(multi_fit)
    assert set(fit_mimebundle(multi_fit, include={"text/plain"})) == {"text/plain"}
    assert "image/png" not in fit_mimebundle(multi_fit, exclude={"image/png"})


def test_kmsfit_displays_with_static_fallback_in_ipython(multi_fit):
    """The lead's KmsFit._repr_mimebundle_ delegates here; IPython's formatter must accept it."""
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    data, _meta = ip.display_formatter.format(multi_fit)
    assert {"text/plain", "text/html", "image/png"} <= set(data)
    assert EVIL not in data["text/html"]


def test_partial_fit_is_marked(multi_fit):
    import copy

    from kms_jupyter.notebook import static

    fit = copy.copy(multi_fit)
    fit.partial, fit.partial_reason = True, "interrupted"
    page = static.fit_html(fit, images=False)
    assert "Partial fit" in page and "interrupted" in page
    assert static.fit_png(fit) != static.fit_png(multi_fit)  # the stop is drawn
