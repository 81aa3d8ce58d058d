"""Real JupyterLab + Chromium: a %%kms cell on a DataFrame whose class labels and a column name are
HTML/script payloads. No payload runs (window flags stay unset, no dialog opens) and every payload
is visible as text in the outputs (live chart, results, the fit's own rendering).

Fixtures (lab, page) come from tests/ui/conftest.py. Screenshot: build/ui/escaping.png.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "ui"
IMG = "<img src=x onerror=window.__xss=1>"
QUOTE = '"; window.__xss2=1//'
SCRIPT = "</td><script>window.__xss3=1</script>"
PAYLOADS = (IMG, QUOTE, SCRIPT)

SETUP = f"""\
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
from kms_jupyter.datasets import movies_like
%load_ext kms_jupyter
movies = movies_like(n=240, seed=1)
labels = np.array(["Drama", {IMG!r}, {QUOTE!r}, "Comedy", "A&B", {SCRIPT!r}])
movies["genre"] = labels[np.arange(len(movies)) % len(labels)]
movies = movies.rename(columns={{"reviews": {IMG!r}}})
"""

CELL = f"""%%kms -o out genre ~ rating + votes + `{IMG}`
units = [4]
epochs = 2
batch_size = 64
seed = 1
"""

SHOW = 'out\n'
DONE = 'print("ESCAPE" + "DONE")'

OUTPUT_TEXT_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
    .map(e => e.innerText + ' ' + Array.from(e.querySelectorAll('svg text'))
        .map(t => t.textContent).join(' ')).join('\\n')"""

FLAGS_JS = "() => [window.__xss, window.__xss2, window.__xss3].map(v => v === undefined ? null : v)"
FOREIGN_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img[onerror],'
    + ' .jp-OutputArea-output script')).length"""


def test_hostile_labels_and_column_names_render_as_text(lab, page):
    name = lab.notebook("escaping.ipynb", [SETUP, CELL, SHOW, DONE])
    lab.open(page, name)
    lab.run_all(page)
    lab.output(page, "ESCAPEDONE").wait_for(timeout=180_000)
    time.sleep(1.0)  # let widget views and images finish rendering
    page.screenshot(path=str(SCREENSHOTS / "escaping.png"), full_page=True)

    assert page.evaluate(FLAGS_JS) == [None, None, None], "a payload ran"
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert page.evaluate(FOREIGN_JS) == 0

    text = page.evaluate(OUTPUT_TEXT_JS)
    assert "UsageError" not in text and "Traceback" not in text, text[:2000]
    assert "Layers" in text and "test rows" in text  # the cell trained and showed its results
    for payload in PAYLOADS:
        assert payload in text, f"{payload!r} is not visible in the outputs"
