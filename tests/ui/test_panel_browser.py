"""KmsPanel in real JupyterLab + Chromium: type a formula with completion, train with a live
chart, Stop mid-run (the partial run is kept), a second run, compare both, copy as %%kms.

Runs are slowed on purpose (batch_size=1, many epochs on 300 rows) so Stop lands mid-fit.
Screenshots: build/ui/panel_*.png.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

# the fixtures (lab, page) come from tests/ui/conftest.py
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "ui"

pytestmark = pytest.mark.ui

SETUP = """\
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from kms_jupyter import KmsPanel, movies_like
from kms_jupyter.notebook.panel_state import LayerState
movies = movies_like(n=300, seed=0)
# hostile labels: a column name and a class label that are HTML (must show as text, never run)
movies = movies.rename(columns={"reviews": "<img src=x onerror=alert(1)>"})
movies["genre"] = movies["genre"].replace({"Drama": "<img src=y onerror=alert(2)>"})
panel = KmsPanel(movies, layers=[LayerState(8, "relu", 0.1)], epochs=300, batch_size=1, seed=1)
print("PANEL" + "READY")
panel
"""

POINTS_JS = """() => {
  const paths = document.querySelectorAll('.kms-panel-live .bqplot path.line');
  let most = 0;
  for (const p of paths) {
    const d = p.getAttribute('d') || '';
    most = Math.max(most, (d.match(/[ML]/g) || []).length);
  }
  return most;
}"""


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"panel_{name}.png"), full_page=True)


def _wait_text(page, selector: str, text: str, timeout: float = 60.0) -> str:
    end = time.time() + timeout
    shown = ""
    while time.time() < end:
        shown = page.locator(selector).inner_text()
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{selector} never showed {text!r}; it shows:\n{shown}\nstatus: "
                         f"{page.locator('.kms-panel-status').inner_text()}")


def _wait_board(page, text: str, timeout: float = 60.0) -> str:
    return _wait_text(page, ".kms-panel-board", text, timeout)


def test_panel_type_train_stop_compare(lab, page):
    t0 = time.time()
    name = lab.notebook("panel.ipynb", [SETUP])
    lab.open(page, name)
    lab.run_all(page)
    lab.output(page, "PANELREADY").wait_for(timeout=60_000)
    editor = page.locator(".kms-panel .kms-fe-input")
    editor.wait_for(timeout=30_000)
    assert editor.input_value() == "genre ~ . - title"
    options = page.evaluate("""() => Array.from(
        document.querySelectorAll('.kms-panel-predictors select option'), o => o.textContent.replace(/\u00a0/g, ' '))""")  # ipywidgets shows spaces as nbsp
    assert "<img src=x onerror=alert(1)>" in options, options  # the column name shown as text

    # -- type a formula, accept a completion from the editor's list ------------------------------
    editor.click()
    editor.press("Control+a")
    editor.press("Backspace")
    editor.press_sequentially("genre ~ yea", delay=40)
    item = page.locator(".kms-fe-completions .kms-fe-item", has_text="year")
    item.first.wait_for(timeout=10_000)
    _shot(page, "1_completion")
    editor.press("Tab")  # accepts the highlighted completion
    assert editor.input_value().startswith("genre ~ year")
    editor.press_sequentially(" + votes", delay=40)
    editor.press("Escape")
    assert editor.input_value().strip() == "genre ~ year + votes"
    # the predictors picker follows the formula (kernel-side sync, back in the browser)
    page.wait_for_function("""() => {
        const sel = document.querySelector('.kms-panel-predictors select');
        const on = sel ? Array.from(sel.selectedOptions).map(o => o.textContent) : [];
        return on.length === 2 && on.includes('year') && on.includes('votes'); }""", timeout=15_000)

    # -- train: the live chart grows, then Stop mid-run -----------------------------------------
    page.locator(".kms-panel-train-button").click()
    seen, end = set(), time.time() + 45
    while time.time() < end and len({n for n in seen if n > 0}) < 3:
        seen.add(page.evaluate(POINTS_JS))
        time.sleep(0.3)
    grown = sorted(n for n in seen if n > 0)
    assert len(grown) >= 3, f"the live chart did not grow while training (point counts {sorted(seen)})"
    _shot(page, "2_live")
    page.locator(".kms-panel-stop-button").click()
    board = _wait_board(page, "(stopped)")
    assert "run1" in board and "genre ~ year + votes" in board and "/300" in board
    _wait_text(page, ".kms-panel-status", "stopped at epoch", 20)
    page.locator(".kms-panel-live .bqplot").first.wait_for()  # chart kept, heatmap added
    page.wait_for_function("() => document.querySelectorAll('.kms-panel-live .bqplot').length >= 3",
                           timeout=20_000)
    _shot(page, "3_stopped")

    # -- a second, short run --------------------------------------------------------------------
    epochs = page.locator(".kms-panel-epochs input")
    epochs.fill("3")
    epochs.press("Enter")
    epochs.blur()
    page.locator(".kms-panel-train-button").click()
    board = _wait_board(page, "run2")
    assert "3/3" in board, board

    # -- select both runs and compare -----------------------------------------------------------
    page.locator(".kms-panel-run-select select").select_option(index=[0, 1])
    detail = page.locator(".kms-panel-detail")
    detail.locator("text=selected runs compared").first.wait_for(timeout=20_000)
    assert "Leaderboard" in detail.inner_text()
    page.locator(".kms-panel-copy-kms-button").click()
    page.wait_for_function("""() => { const t = document.querySelector('.kms-panel-copy-area textarea');
        return t && t.value.startsWith('%%kms -o run1 --data movies genre ~ year + votes'); }""",
                           timeout=10_000)
    detail.scroll_into_view_if_needed()
    _shot(page, "4_compare")
    # the HTML class label is drawn as text in the heatmap/comparison, never as an element
    assert page.locator(".kms-panel text", has_text="<img src=y onerror=alert(2)>").count() >= 1
    assert page.evaluate("() => document.querySelectorAll('img[src=x], img[src=y]').length") == 0
    assert page.dialogs == []
    elapsed = time.time() - t0
    assert elapsed < 150, f"panel browser test took {elapsed:.0f} s"
