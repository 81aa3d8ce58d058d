"""Cost of the live chart per epoch: LiveHistory + HistoryChart vs a bare fit.

Runs the same small kms() fit (same seed, same epochs) with and without the live chart attached
(widgets created headless: no front end, so the comm send is a no-op but every trait is still
serialised) and prints

* the time spent inside the chart's hooks per epoch, measured directly (the reliable figure),
  as a share of the epoch time;
* the mean epoch wall time of both runs (noisy on a shared machine; shown for context).

Goal: under 2 % of epoch time. Usage: ``python benchmarks/live_overhead.py [n_rows] [epochs]``.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main(n_rows: int = 1000, epochs: int = 12, repeats: int = 3) -> None:
    from kms_jupyter import kms
    from kms_jupyter.datasets import movies_like
    from kms_jupyter.notebook.charts import HistoryChart
    from kms_jupyter.notebook.live import live_history
    from overhead import epoch_timer  # benchmarks/ is on sys.path when run as a script

    class TimedSink:
        """Forwards to the chart and accumulates the time the chart takes."""

        def __init__(self, chart):
            self.chart, self.seconds, self.updates = chart, 0.0, 0

        def start(self, planned_epochs, metric_names):
            self.chart.start(planned_epochs, metric_names)

        def update(self, records, progress):
            t = time.perf_counter()
            self.chart.update(records, progress)
            self.seconds += time.perf_counter() - t
            self.updates += 1

        def finish(self, partial):
            self.chart.finish(partial)

    data = movies_like(n=n_rows, seed=0)
    formula = "genre ~ rating + votes + year + duration + budget + gross + reviews"
    args = dict(epochs=epochs, seed=7, batch_size=32)
    kms(formula, data, epochs=1, seed=7)  # warm up TF graph building / imports

    bare_times, live_times, hook_per_epoch, per_update = [], [], [], []
    for _ in range(repeats):
        timer = epoch_timer()
        kms(formula, data, callbacks=[timer], **args)
        bare_times += timer.times[1:]  # epoch 1 includes tracing

        timer = epoch_timer()
        sink = TimedSink(HistoryChart())
        callback = live_history(sink, min_interval=0.0)  # worst case: every epoch updates
        t_hooks = {"s": 0.0}
        original = callback.on_epoch_end

        def timed_on_epoch_end(epoch, logs=None, _orig=original):
            t = time.perf_counter()
            _orig(epoch, logs)
            t_hooks["s"] += time.perf_counter() - t

        callback.on_epoch_end = timed_on_epoch_end
        kms(formula, data, callbacks=[callback, timer], **args)  # timer last: includes our hook
        live_times += timer.times[1:]
        hook_per_epoch.append(t_hooks["s"] / len(timer.times))
        per_update.append(sink.seconds / max(sink.updates, 1))

    bare, live = statistics.median(bare_times), statistics.median(live_times)
    print(f"data: movies_like(n={n_rows}), {epochs} epochs x {repeats} runs, default network")
    print(f"median epoch      bare {bare * 1000:8.1f} ms   with live chart {live * 1000:8.1f} ms"
          f"   ratio {live / bare:.3f} (wall clock, noisy on a shared machine)")
    hook = statistics.mean(hook_per_epoch)
    print(f"chart update      {statistics.mean(per_update) * 1000:8.2f} ms per epoch (HistoryChart.update)")
    print(f"callback+chart    {hook * 1000:8.2f} ms per epoch (LiveHistory.on_epoch_end incl. sink)")
    share = hook / bare
    print(f"overhead ratio    {share * 100:8.2f} % of the bare median epoch time")
    print(f"goal < 2 %: {'met' if share < 0.02 else 'NOT met'}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
