"""%%kms in real JupyterLab + Chromium: the live chart grows while the cell runs, then the
confusion heatmap shows K×K cells with the counts written in them.

The training is sized to last several seconds (movies-like data, 1,500 rows, 25 epochs,
batch size 8) so the chart can be sampled mid-fit. Screenshots: build/ui/kms_mid_training.png, kms_layers.png, kms_final_chart.png,
kms_final_heatmap.png.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

# the fixtures (lab, page) come from tests/ui/conftest.py
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "ui"
EPOCHS = 25

pytestmark = pytest.mark.ui

CELLS = [
    """%load_ext kms_jupyter
from kms_jupyter import movies_like
movies = movies_like(n=1500, seed=1)
print("DATA" + "READY", movies.shape)""",
    f"""%%kms -o fit genre ~ . - director - title
epochs = {EPOCHS}
batch_size = 8
seed = 1""",
    """import json
print("KMS" + "DONE", json.dumps({"labels": fit.labels, "epochs": len(fit.history),
      "partial": fit.partial, "counts": fit.confusion.to_numpy().astype(int).tolist()}))""",
]

# Points drawn by the live chart (its first figure, the loss): bqplot's Lines draws each series
# as one <path class="line"> whose `d` is "M x,y L x,y ..." (one command per point); the most
# points of any series. The legend's sample lines are path.line too (3 points): skipped.
POINTS_JS = """() => {
  const fig = document.querySelector('.jp-OutputArea-output .bqplot.figure');
  if (!fig) return -1;
  let most = 0;
  for (const p of fig.querySelectorAll('path.line')) {
    if (p.closest('.g_legend')) continue;
    const d = p.getAttribute('d') || '';
    most = Math.max(most, (d.match(/[ML]/g) || []).length);
  }
  return most;
}"""

# The heatmap (bqplot 0.13 GridHeatMap): one <g class="heatmaprow"> per observed label, each
# holding one <rect class="heatmapcell"> per predicted label and, with display_format set, one
# <text class="heatmapcell_label"> with the formatted value.
HEATMAP_JS = """() => {
  const out = [];
  for (const fig of document.querySelectorAll('.jp-OutputArea-output .bqplot.figure')) {
    const cells = fig.querySelectorAll('rect.heatmapcell');
    if (!cells.length) continue;
    const rows = [...fig.querySelectorAll('g.heatmaprow')].map(
      r => [...r.querySelectorAll('text.heatmapcell_label')].map(t => t.textContent.trim()));
    out.push({cells: cells.length, rows});
  }
  return out;
}"""


# Where the heatmap draws its rows: each row's top edge (data order), and the y-axis tick labels
# (those left of the grid) from top to bottom.
ORIENTATION_JS = """() => {
  for (const fig of document.querySelectorAll('.jp-OutputArea-output .bqplot.figure')) {
    const rows = [...fig.querySelectorAll('g.heatmaprow')];
    if (!rows.length) continue;
    const tops = rows.map(r => r.querySelector('rect.heatmapcell').getBoundingClientRect().top);
    const left = Math.min(...[...fig.querySelectorAll('rect.heatmapcell')].map(
      c => c.getBoundingClientRect().left));
    const ticks = [...fig.querySelectorAll('.tick text')]
      .map(t => ({text: t.textContent.trim(), box: t.getBoundingClientRect()}))
      .filter(t => t.text && t.box.right <= left + 1)
      .sort((a, b) => a.box.top - b.box.top).map(t => t.text);
    return {tops, ticks};
  }
  return null;
}"""

# The layer table shown before training: its position relative to the live chart, and whether
# it fits the output area (no clipped params column).
LAYERS_JS = """() => {
  const outs = [...document.querySelectorAll('.jp-OutputArea-output')];
  const layers = outs.findIndex(o => o.querySelector('table.kms-table') &&
                                     (o.textContent || '').includes('Layers'));
  const chart = outs.findIndex(o => o.querySelector('.bqplot.figure'));
  if (layers < 0) return {layers, chart};
  const out = outs[layers];
  const table = out.querySelector('table.kms-table');
  const headers = [...table.querySelectorAll('thead th')].map(t => t.textContent.trim());
  return {layers, chart, headers, table_right: table.getBoundingClientRect().right,
          area_right: out.getBoundingClientRect().right,
          scroll: getComputedStyle(table.parentElement).overflowX};
}"""


def _shot(page, name: str) -> Path:
    path = SCREENSHOTS / f"kms_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_kms_cell_live_chart_and_heatmap(lab, page):
    name = lab.notebook("kms_live.ipynb", CELLS)
    lab.open(page, name)
    lab.run_all(page)
    lab.output(page, "DATAREADY").wait_for(timeout=60_000)

    # sample the live chart until the cell after %%kms prints its marker
    done = lab.output(page, "KMSDONE")
    samples: list[int] = []
    mid_shot = False
    deadline = time.time() + 240
    while time.time() < deadline:
        finished = done.count() > 0
        samples.append(page.evaluate(POINTS_JS))
        if not mid_shot and 3 <= samples[-1] < EPOCHS - 3:
            _shot(page, "mid_training")
            mid_shot = True
        if finished:
            break
        time.sleep(0.3)
    assert done.count() > 0, f"the %%kms cell did not finish in time; samples {samples}"

    print(f"live chart point counts sampled every ~0.3 s: {samples}")
    during = [n for n in samples[:-1] if n > 0]
    distinct = sorted(set(during))
    assert len(distinct) >= 4, (
        f"the live chart did not grow while training: distinct point counts {distinct} "
        f"(all samples {samples})")
    assert max(distinct) <= EPOCHS and min(distinct) < EPOCHS - 2
    assert mid_shot, f"no sample caught the chart mid-training: {samples}"

    report = re.search(r"KMSDONE (\{.*\})", done.first.inner_text())
    assert report, done.first.inner_text()
    import json

    result = json.loads(report.group(1))
    assert result["epochs"] == EPOCHS and not result["partial"]
    page.wait_for_function("() => { const n = (%s)(); return n === %d; }" % (POINTS_JS, EPOCHS),
                           timeout=10_000)

    # heatmap: K×K cells, the counts written in them
    k = len(result["labels"])
    page.wait_for_function("() => (%s)().length > 0" % HEATMAP_JS, timeout=30_000)
    heatmaps = page.evaluate(HEATMAP_JS)
    assert len(heatmaps) == 1, heatmaps
    assert heatmaps[0]["cells"] == k * k, f"{heatmaps[0]['cells']} heatmap cells for K={k}"
    counts = [[str(c) for c in row] for row in result["counts"]]
    assert heatmaps[0]["rows"] == counts, (
        f"cell texts by row {heatmaps[0]['rows'][:3]}... != confusion counts {counts[:3]}...")
    assert sum(int(t) for row in heatmaps[0]["rows"] for t in row) > 0

    # orientation as in the PNG and fit.confusion: first observed label on top, diagonal from
    # top left to bottom right
    where = page.evaluate(ORIENTATION_JS)
    tops = where["tops"]
    assert tops[0] < tops[-1], f"first label's row is not above the last: row tops {tops}"
    assert tops == sorted(tops), f"rows not drawn top to bottom in label order: {tops}"
    assert where["ticks"][:k] == result["labels"], (
        f"y-axis labels from the top {where['ticks'][:k]} != fit labels {result['labels']}")

    # the layer table came before the live chart, fits the output area, scrolls if it must
    layers = page.evaluate(LAYERS_JS)
    assert 0 <= layers["layers"] < layers["chart"], layers
    assert layers["headers"][-1] == "params" and "kernel_initializer" not in layers["headers"], layers
    assert layers["table_right"] <= layers["area_right"] + 1, layers
    assert layers["scroll"] == "auto", layers
    texts = page.locator(".jp-OutputArea-output").all_inner_texts()
    assert sum("test rows · accuracy" in t for t in texts) == 1, [
        t for t in texts if "test rows" in t]
    page.locator(".jp-OutputArea-output table.kms-table").first.scroll_into_view_if_needed()
    _shot(page, "layers")

    page.locator(".jp-OutputArea-output .bqplot.figure").first.scroll_into_view_if_needed()
    _shot(page, "final_chart")
    page.locator(".jp-OutputArea-output .bqplot.figure").last.scroll_into_view_if_needed()
    _shot(page, "final_heatmap")
