"""The example notebooks execute headless (nbclient, kernel python3, cwd examples/) and their
outputs say what they should: no errors, the end marker, the fitted variables, and for every
live chart and heatmap both the widget view and a static fallback (PNG, and HTML with an <img>).

Each notebook is listed explicitly (no glob): a missing notebook fails its test. Executed copies
are written to build/examples/ for inspection (not committed). One extra cell is appended at
test time to report the notebook's variables as JSON.
"""
from __future__ import annotations

import functools
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from kms_test_support import movies_csv_path
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
EXECUTED = REPO / "build" / "examples"
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
REPORT = "KMS_TEST_REPORT"

# Appended to each notebook: what its fits are, reported as one JSON line.
REPORT_CELL = """
import json as _json
_fits = {_k: _v for _k, _v in dict(globals()).items()
         if not _k.startswith("_") and type(_v).__name__ == "KmsFit"}
print("%s", _json.dumps({_k: {
    "type": type(_v).__name__, "accuracy": float(_v.evaluations["accuracy"]),
    "n_test": int(len(_v.y_test)), "p": int(_v.p), "params": int(_v.model.count_params()),
    "epochs_done": int(len(_v.history)), "partial": bool(_v.partial),
    "predicted_classes": int(_v.predictions.nunique()), "labels": list(_v.labels),
    "confusion_shape": list(_v.confusion.shape)} for _k, _v in _fits.items()}))
""" % REPORT


pytestmark = pytest.mark.slow


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env["KMS_MOVIES_CSV"] = str(movies_csv_path())
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    home = REPO / "build" / "home"
    for var in ("IPYTHONDIR", "JUPYTER_RUNTIME_DIR", "KERAS_HOME", "MPLCONFIGDIR", "XDG_CACHE_HOME",
                "XDG_CONFIG_HOME"):
        if var not in os.environ:
            env[var] = str(home / var.lower())
            Path(env[var]).mkdir(parents=True, exist_ok=True)
    return env


@functools.lru_cache(maxsize=None)
def executed(name: str) -> tuple[nbformat.NotebookNode, float]:
    """Execute examples/NAME plus the report cell; return the notebook and the wall time."""
    path = EXAMPLES / name
    assert path.is_file(), f"example notebook {path} is missing"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CELL.strip()))
    client = NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                            resources={"metadata": {"path": str(EXAMPLES)}})
    start = time.perf_counter()
    try:
        client.execute(env=_kernel_env(), cwd=str(EXAMPLES))
    finally:
        EXECUTED.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, EXECUTED / name)
    return nb, time.perf_counter() - start


# ---------------------------------------------------------------------------- helpers
def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def outputs(nb) -> list[dict]:
    return [o for c in code_cells(nb) for o in c.outputs]


def stream_text(nb) -> str:
    return "".join(o.get("text", "") for o in outputs(nb) if o.output_type == "stream")


def errors(nb) -> list[str]:
    found = []
    for i, cell in enumerate(code_cells(nb)):
        for o in cell.outputs:
            if o.output_type == "error":
                found.append(f"code cell {i}: {o.ename}: {o.evalue}")
            elif o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text:
                found.append(f"code cell {i}: traceback on stderr: {o.text[:300]}")
    return found


def report(nb) -> dict:
    lines = [ln for ln in stream_text(nb).splitlines() if ln.startswith(REPORT + " ")]
    assert lines, f"the appended report cell printed nothing; errors: {errors(nb)}"
    return json.loads(lines[-1][len(REPORT) + 1:])


def views(nb, alt: str) -> list[dict]:
    """Rich outputs whose static HTML fallback is an <img> with this alt text."""
    return [o for o in outputs(nb) if "data" in o and f'alt="{alt}"' in o["data"].get("text/html", "")]


def cell_views(cell, alt: str) -> list[dict]:
    return [o for o in cell.outputs if "data" in o and f'alt="{alt}"' in o["data"].get("text/html", "")]


def assert_widget_and_fallback(nb, bundle: dict, what: str) -> None:
    data = bundle["data"]
    assert WIDGET in data, f"{what}: no widget view in {sorted(data)}"
    model_id = data[WIDGET]["model_id"]
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert model_id in state, f"{what}: widget model {model_id} not in the notebook's widget state"
    png = data.get("image/png", "")
    assert len(png) > 1000 and png.startswith("iVBORw0KGgo"), f"{what}: image/png fallback missing"
    assert re.search(r'<img [^>]*src="data:image/png;base64,iVBORw0KGgo', data["text/html"]), \
        f"{what}: text/html fallback has no inline PNG <img>"


def magic_cells(nb) -> dict[str, object]:
    """{output variable: cell} for the %%kms cells with -o."""
    found = {}
    for cell in code_cells(nb):
        m = re.match(r"%%kms\s+(?:.*?\s)?(?:-o|--out)\s+(\w+)", cell.source)
        if m:
            found[m.group(1)] = cell
    return found


def assert_kms_cell(nb, name: str, cell, epochs: int) -> None:
    """A %%kms cell shows its live chart (final state stored) and its heatmap, widget + PNG."""
    live = cell_views(cell, "training history")
    assert len(live) == 1, f"{name}: expected one live chart in its cell, found {len(live)}"
    assert_widget_and_fallback(nb, live[0], f"{name} live chart")
    # the display was refreshed at the end: the stored fallback shows the finished curves
    assert f"done: {epochs}/{epochs} epochs" in live[0]["data"]["text/html"], \
        f"{name}: the stored live chart is not the final one"
    heat = cell_views(cell, "confusion heatmap")
    assert len(heat) == 1, f"{name}: expected one confusion heatmap in its cell, found {len(heat)}"
    assert_widget_and_fallback(nb, heat[0], f"{name} heatmap")
    html_text = " ".join(o["data"].get("text/html", "") for o in cell.outputs if "data" in o)
    assert "Layers" in html_text and "Test metrics" in html_text, f"{name}: layer table/metrics missing"


# ---------------------------------------------------------------------------- quickstart
def test_quickstart_executes():
    nb, seconds = executed("quickstart.ipynb")
    print(f"quickstart.ipynb executed in {seconds:.1f} s")
    assert errors(nb) == []
    assert re.search(r"QUICKSTART_DONE 0\.\d+ 0\.\d+", stream_text(nb)), "end marker not printed"
    fits = report(nb)
    assert set(fits) >= {"out1", "out2"}, f"fits found: {sorted(fits)}"
    for name in ("out1", "out2"):
        fit = fits[name]
        assert fit["type"] == "KmsFit" and not fit["partial"]
        assert fit["epochs_done"] == 10
        assert fit["confusion_shape"] == [17, 17]
        assert 0.2 < fit["accuracy"] <= 1.0
    assert fits["out2"]["p"] > fits["out1"]["p"], "top(director, 50) added no columns"


def test_quickstart_views():
    nb, _ = executed("quickstart.ipynb")
    cells = magic_cells(nb)
    assert "out1" in cells, f"%%kms cells: {sorted(cells)}"
    assert_kms_cell(nb, "out1", cells["out1"], epochs=10)
    comparison = views(nb, "model comparison")
    assert len(comparison) == 1, "plot_confusion(out1, out2) output missing"
    assert_widget_and_fallback(nb, comparison[0], "plot_confusion")


# ---------------------------------------------------------------------------- movies vignette
def test_movies_genre_executes():
    nb, seconds = executed("movies_genre.ipynb")
    print(f"movies_genre.ipynb executed in {seconds:.1f} s")
    assert errors(nb) == []
    marker = re.search(r"MOVIES_DONE (\{.*\})", stream_text(nb))
    assert marker, "MOVIES_DONE marker not printed"
    fits = report(nb)
    assert set(fits) >= {"out1", "out2", "out3"}, f"fits found: {sorted(fits)}"
    printed = json.loads(marker.group(1).replace("'", '"'))
    for name in ("out1", "out2", "out3"):
        fit = fits[name]
        assert fit["type"] == "KmsFit" and not fit["partial"]
        assert fit["epochs_done"] == 15
        assert fit["n_test"] == 592  # the notebook's text says so
        assert fit["confusion_shape"] == [17, 17] and len(fit["labels"]) == 17
        # softmax output: not the vignette's all-Comedy collapse (majority share is 0.286)
        assert fit["predicted_classes"] >= 3, f"{name} predicts {fit['predicted_classes']} classes"
        assert fit["accuracy"] > 0.33, f"{name}: accuracy {fit['accuracy']:.3f}"
        assert printed[name] == round(fit["accuracy"], 3)
    # the numbers the notebook's markdown quotes
    assert fits["out1"]["p"] == 8 and fits["out1"]["params"] == 36_992
    assert fits["out3"]["p"] == 8 + 51  # 50 directors + "other"
    assert fits["out2"]["p"] > 1000  # director one-hot: the overfitting example


def test_movies_genre_vignette_tables():
    nb, _ = executed("movies_genre.ipynb")
    plain = "\n".join(o["data"].get("text/plain", "") for o in outputs(nb) if "data" in o)
    assert "Observations: 2,961" in stream_text(nb)
    assert re.search(r"Steven Spielberg\s+23", plain), "top directors table missing"
    assert re.search(r"^788$", plain, re.M), "directors appearing once (788) missing"
    assert re.search(r"Thriller\s+1\b", plain) and re.search(r"Comedy\s+848", plain), "genre counts"
    conf = [o for o in outputs(nb) if "data" in o and "Action_obs" in o["data"].get("text/plain", "")]
    assert conf, "out1.confusion (K×K table with *_obs rows) not shown"
    assert any("pCorrect" in o["data"].get("text/html", "") for o in outputs(nb) if "data" in o), \
        "confusion(out1) many-class table not shown"


def test_movies_genre_views():
    nb, _ = executed("movies_genre.ipynb")
    cells = magic_cells(nb)
    assert set(cells) == {"out1", "out2", "out3"}, f"%%kms cells: {sorted(cells)}"
    for name, cell in cells.items():
        assert_kms_cell(nb, name, cell, epochs=15)
    # out1.plot_history() (the vignette's plot(out1$history)) plus the three live charts
    assert len(views(nb, "training history")) == 4
    comparison = views(nb, "model comparison")
    assert len(comparison) == 1, "plot_confusion(out1, out2, out3) output missing"
    assert_widget_and_fallback(nb, comparison[0], "plot_confusion")
    board = comparison[0]["data"]["text/html"]
    assert all(n in board for n in ("out1", "out2", "out3")), "models not named by their variables"
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    titles = [m["state"].get("title", "") for m in state.values() if m["model_name"] == "FigureModel"]
    assert any("Classifying Genre" in t and "movies.csv" in t for t in titles), \
        f"plot_confusion title/subtitle missing from the figure: {titles}"
    assert sum(m["model_name"] == "GridHeatMapModel" for m in state.values()) == 3


# ---------------------------------------------------------------------------- tuning panel
def test_tuning_panel_executes():
    nb, seconds = executed("tuning_panel.ipynb")
    print(f"tuning_panel.ipynb executed in {seconds:.1f} s")
    assert errors(nb) == []
    marker = re.search(r"TUNING_PANEL_DONE (\d+) (0\.\d+)", stream_text(nb))
    assert marker, "TUNING_PANEL_DONE marker not printed"
    assert int(marker.group(1)) == 3  # one train() plus a sweep over two dropout values
    fits = report(nb)
    assert "best" in fits, f"fits found: {sorted(fits)}"
    best = fits["best"]
    assert best["type"] == "KmsFit" and not best["partial"]
    assert best["n_test"] == 592 and best["confusion_shape"] == [17, 17]
    assert round(best["accuracy"], 3) == float(marker.group(2)) and best["accuracy"] > 0.33
    assert re.search(r"%%kms -o run\d+ --data movies genre ~ \. - director - title", stream_text(nb))


def test_tuning_panel_views():
    nb, _ = executed("tuning_panel.ipynb")
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    panels = [o for o in outputs(nb) if "data" in o and "kms-panel-static" in o["data"].get("text/html", "")]
    assert len(panels) == 1, "the panel's output (widget + static HTML) is missing"
    assert WIDGET in panels[0]["data"] and panels[0]["data"][WIDGET]["model_id"] in state
    # the panel holds the live chart and heatmap widgets
    assert any(m["model_name"] == "GridHeatMapModel" for m in state.values())
    assert sum(m["model_name"] == "LinesModel" for m in state.values()) >= 4
    # `best` (a KmsFit) renders with a PNG fallback
    fit_outputs = [o for o in outputs(nb) if "data" in o and 'class="kms-fit"' in o["data"].get("text/html", "")]
    assert fit_outputs and fit_outputs[0]["data"].get("image/png", "").startswith("iVBORw0KGgo")
