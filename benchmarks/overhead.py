"""kms() against hand-written formulaic + Keras: same data, same network, same epochs.

For batch sizes 256, 32 and 1 (and for batch 32 with the notebook's live chart attached) the
same job runs three ways, each timed from the DataFrame to test-set predictions:

* ``kms()`` with default arguments (its automatic steps_per_execution);
* hand-written with Keras defaults (``steps_per_execution=1``): what a user writes by hand;
* hand-written with kms()'s steps_per_execution: the pure cost of kms()'s own bookkeeping.

Goals (issue 2): kms() wall time <= 1.05 x the hand-written code on the same data and epochs, and
the batch_size=1 epoch <= 0.6 x the plain-Keras-defaults epoch. The medians of ``--repeats`` runs
are printed as a markdown table (date and machine size included) to paste into the README.

Usage: ``python benchmarks/overhead.py [--repeats 3] [--rows 2961]``.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

FORMULA = "genre ~ . - director - title"


def hand_written(data, epochs: int, batch_size: int, seed: int, steps_per_execution: int = 1,
                 callbacks=None) -> tuple[float, list]:
    """What a user writes without kms_jupyter: split, formulaic design, z-scaling, Keras MLP."""
    import keras
    from formulaic import model_matrix

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = len(data)
    perm = rng.permutation(n)
    n_test = round(0.2 * n)
    test, train = data.iloc[perm[:n_test]], data.iloc[perm[n_test:]]
    n_val = round(0.2 * len(train))
    val, fit_rows = train.iloc[:n_val], train.iloc[n_val:]
    classes = sorted(data["genre"].unique())
    code = {c: i for i, c in enumerate(classes)}
    mm = model_matrix(". - director - title - 1", fit_rows.drop(columns="genre"), ensure_full_rank=False)
    spec = mm.model_spec
    X = np.asarray(mm, dtype="float64")
    mean, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1

    def design(rows):
        return ((np.asarray(spec.get_model_matrix(rows), dtype="float64") - mean) / sd).astype("float32")

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((X.shape[1],)),
                              keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.4),
                              keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.4),
                              keras.layers.Dense(len(classes), activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    model.fit(((X - mean) / sd).astype("float32"), fit_rows["genre"].map(code).to_numpy("int32"),
              validation_data=(design(val), val["genre"].map(code).to_numpy("int32")),
              epochs=epochs, batch_size=batch_size, verbose=0, callbacks=callbacks)
    model.predict(design(test), verbose=0).argmax(axis=1)
    return time.perf_counter() - t0, list(getattr(callbacks[0], "times", [])) if callbacks else []


def epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._t)

    return EpochTimer()


def live_callback():
    """The notebook's live chart (LiveHistory + bqplot HistoryChart), headless."""
    from kms_jupyter.notebook.charts import HistoryChart
    from kms_jupyter.notebook.live import live_history

    return live_history(HistoryChart())


def run_kms(data, epochs, batch_size, seed, callbacks):
    from kms_jupyter import kms

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = kms(FORMULA, data, epochs=epochs, batch_size=batch_size, seed=seed, callbacks=callbacks)
    return time.perf_counter() - t0, fit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2961)
    opts = parser.parse_args()

    from kms_jupyter.core.training import auto_steps_per_execution
    from kms_jupyter.datasets import movies_like

    data = movies_like(n=opts.rows, seed=0)
    n_fit = len(data) - round(0.2 * len(data))
    n_fit -= round(0.2 * n_fit)
    run_kms(data, 1, 32, 0, None)  # warm-up: imports, first graph builds
    hand_written(data, 1, 32, 0)

    cases = [("batch 256, 15 epochs", 256, 15, False), ("batch 32, 15 epochs", 32, 15, False),
             ("batch 32 + live chart", 32, 15, True), ("batch 1, 2 epochs", 1, 2, False)]
    rows = []
    for label, bs, epochs, live in cases:
        spe = auto_steps_per_execution(bs, n_fit)
        k_times, h_times, hs_times, k_epoch, h_epoch = [], [], [], [], []
        for r in range(opts.repeats):
            seed = 100 + r
            timer = epoch_timer()
            cbs = [timer] + ([live_callback()] if live else [])
            k, _ = run_kms(data, epochs, bs, seed, cbs)
            k_times.append(k)
            k_epoch += timer.times[1:]  # epoch 1 includes tracing
            timer = epoch_timer()
            h, _ = hand_written(data, epochs, bs, seed, 1, [timer])
            h_times.append(h)
            h_epoch += timer.times[1:]
            hs, _ = hand_written(data, epochs, bs, seed, spe)
            hs_times.append(hs)
        k, h, hs = (statistics.median(x) for x in (k_times, h_times, hs_times))
        ke, he = statistics.median(k_epoch), statistics.median(h_epoch)
        rows.append((label, spe, k, h, hs, ke, he))
        print(f"{label:24s} spe={spe:3d}  kms {k:7.2f} s  hand(Keras defaults) {h:7.2f} s  "
              f"hand(same spe) {hs:7.2f} s  | kms/hand {k / h:.2f}  kms/hand(same spe) {k / hs:.2f}  "
              f"| epoch kms {ke * 1000:.0f} ms vs Keras defaults {he * 1000:.0f} ms ({ke / he:.2f})",
              flush=True)

    mem = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3
    import keras
    import tensorflow as tf

    print()
    print(f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU cores ({platform.machine()}, "
          f"{mem:.0f} GB RAM, shared), TensorFlow {tf.__version__} CPU, Keras {keras.__version__}; "
          f"movies_like({opts.rows}), `{FORMULA}`, default network; median of {opts.repeats} runs, "
          "DataFrame to test predictions.")
    print()
    print("| case | kms() | hand-written, Keras defaults | ratio | hand-written, same steps_per_execution "
          "| ratio | epoch time vs Keras defaults |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, spe, k, h, hs, ke, he in rows:
        print(f"| {label} (spe {spe}) | {k:.2f} s | {h:.2f} s | {k / h:.2f} | {hs:.2f} s | {k / hs:.2f} "
              f"| {ke / he:.2f} |")
    k1 = [r for r in rows if r[0].startswith("batch 1,")][0]
    k32 = [r for r in rows if r[0] == "batch 32, 15 epochs"][0]
    print()
    print(f"goal kms()/hand-written (batch 32, same spe) <= 1.05: {k32[2] / k32[4]:.2f} "
          f"{'met' if k32[2] / k32[4] <= 1.05 else 'NOT met'}")
    print(f"goal batch_size=1 epoch <= 0.6 x Keras defaults: {k1[5] / k1[6]:.2f} "
          f"{'met' if k1[5] / k1[6] <= 0.6 else 'NOT met'}")


if __name__ == "__main__":
    main()
