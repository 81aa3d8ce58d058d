"""The main job (``make demo``): train on the embedded movies-like data, stream, render.

1. trains ``genre ~ . - director - title + top(director, 50)`` with a console sink that prints
   one progress line per epoch as it happens (the same LiveHistory callback that feeds the
   notebook's bqplot charts);
2. renders the history curves, the confusion heatmap, the many-class table and an HTML report,
   and saves the fit;
3. executes ``examples/quickstart.ipynb`` headless (the %%kms magic with live widgets) and writes
   the executed notebook and its HTML export.
Everything lands under ``--out`` (build/demo); nothing needs the network.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class ConsoleSink:
    """A HistorySink that prints: the terminal version of the live chart."""

    def __init__(self, stream=sys.stdout):
        self.stream = stream

    def start(self, planned_epochs: int, metric_names: list[str]) -> None:
        print(f"training {planned_epochs} epochs, logging {', '.join(metric_names)}", file=self.stream,
              flush=True)

    def update(self, epoch_records: list[dict], progress: dict) -> None:
        for rec in epoch_records:
            shown = "  ".join(f"{k} {v:.4f}" for k, v in rec.items() if isinstance(v, float))
            print(f"  {progress.get('text', '')}  |  {shown}", file=self.stream, flush=True)

    def finish(self, partial: bool, reason: str | None = None) -> None:
        print("  stopped early: partial fit kept" if partial else "  done", file=self.stream, flush=True)


def train_and_render(out: Path) -> dict:
    from kms_jupyter import confusion, kms, movies_like
    from kms_jupyter.notebook import static
    from kms_jupyter.notebook.live import live_history

    movies = movies_like()
    print(f"data: embedded movies-like set, {len(movies)} rows x {movies.shape[1]} columns")
    formula = "genre ~ . - director - title + top(director, 50)"
    start = time.perf_counter()
    fit = kms(formula, movies, seed=12345, callbacks=[live_history(ConsoleSink())])
    print(f"trained in {time.perf_counter() - start:.1f} s: {fit!r}")
    print(fit.layers_overview.to_string())

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "history.png": static.history_png(fit.history, fit.main_metric, fit.epochs),
        "confusion.png": static.confusion_png(fit),
        "report.html": ("<!doctype html><meta charset='utf-8'><title>kms_jupyter demo</title>"
                        + static.fit_html(fit)).encode(),
    }
    for name, payload in files.items():
        (out / name).write_bytes(payload)
    confusion(fit).to_csv(out / "many_class_table.csv", index=False)
    fit.history.to_csv(out / "history.csv")
    fit.save(out / "fit.kmsfit")
    (out / "reproduce.py").write_text(fit.to_code())
    print(confusion(fit).to_string(index=False))
    return {"fit": fit}


def run_notebook(notebook: Path, out: Path, timeout: int = 600) -> Path:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    executed = out / notebook.name
    nbformat.write(nb, executed)
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out / notebook.with_suffix(".html").name).write_text(html)
    return executed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "build" / "demo"))
    parser.add_argument("--no-notebook", action="store_true", help="skip the example notebook")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = Path(args.out)
    train_and_render(out)
    if not args.no_notebook:
        executed = run_notebook(REPO / "examples" / "quickstart.ipynb", out)
        print(f"executed {executed} (and its .html export)")
    print(f"results in {out}: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
