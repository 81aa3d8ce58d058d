"""A million movies: peak memory and time of kms()'s design + one epoch, with default arguments.

Builds a 1,000,000-row movies-like frame (the columns of the vignette's movies.csv; director
with ~1,400 levels, genre with its 17 imbalanced levels) by resampling a 5,200-row
``movies_like`` set and jittering its numbers, then reports

1. ``kms("genre ~ . - title", big, epochs=1)`` with default arguments: the input mode it chose,
   the time of the design step and of the epoch, and the process's peak RSS (goal <= 3 GB; a
   dense float64 one-hot design alone would need 640,000 x 1,418 x 8 bytes, ~7 GB for the training
   rows and ~11 GB for all rows);
2. on the first 100,000 rows: our design step (default arguments, and sparse=True) against
   formulaic's own dense ``model_matrix`` build of the same formula (time ratio; goal <= 1).

Usage: ``python benchmarks/scale.py [n_rows]`` (default 1,000,000; takes a few minutes).
"""
from __future__ import annotations

import os
import platform
import resource
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux: KiB


def rss_gb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3


def big_movies(n: int, seed: int = 0) -> pd.DataFrame:
    """n movies-like rows: resampled from movies_like(5200) (~1,400 directors, the vignette's genre
    shares), numbers jittered so rows are not copies, a unique title per row."""
    from kms_jupyter.datasets import movies_like

    base = movies_like(n=5200, seed=seed)
    rng = np.random.default_rng(seed + 1)
    idx = rng.integers(0, len(base), n)
    out = {"title": pd.array([f"movie {i}" for i in range(n)], dtype="str"),
           "genre": pd.Categorical(base["genre"].to_numpy()[idx]),
           "director": pd.Categorical(base["director"].to_numpy()[idx])}
    for col in ("year", "duration", "gross", "budget", "cast_facebook_likes", "votes", "reviews"):
        values = base[col].to_numpy(dtype=float)[idx] * np.exp(rng.normal(0, 0.05, n))
        out[col] = np.round(values).astype(np.int64)
    out["rating"] = np.clip(base["rating"].to_numpy()[idx] + rng.normal(0, 0.2, n), 1, 10).round(1)
    return pd.DataFrame(out)


def main(n: int = 1_000_000) -> None:
    from formulaic import model_matrix

    from kms_jupyter import kms
    from kms_jupyter.core.design import fit_design
    from kms_jupyter.core.formula import parse_formula

    formula = "genre ~ . - title"
    t = time.perf_counter()
    big = big_movies(n)
    t_frame = time.perf_counter() - t
    frame_gb = big.memory_usage(deep=True).sum() / 1024 ** 3
    print(f"# scale benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 1024 ** 3:.0f} GB RAM")
    print(f"frame: {n:,} rows, director {big.director.nunique():,} levels, genre {big.genre.nunique()} "
          f"levels; {frame_gb:.2f} GB in pandas; built in {t_frame:.1f} s; RSS now {rss_gb():.2f} GB")

    # 1. the whole kms() run, default arguments, one epoch; the design step timed on its own first
    parsed = parse_formula(formula, big)
    train_rows = big.iloc[: int(0.64 * n)]  # kms() trains on 64 % (80 % minus 20 % validation)
    t = time.perf_counter()
    spec, _ = fit_design(parsed, train_rows, "z", sparse=None, embedding=None)
    t_design = time.perf_counter() - t
    del train_rows, _
    print(f"design (training rows, defaults): {t_design:.1f} s, input mode {spec.mode!r} "
          f"({spec.input_note}), dense part p={spec.p}")
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = kms(formula, big, epochs=1, seed=1)
    t_kms = time.perf_counter() - t
    peak = peak_rss_gb()
    print(f"kms(epochs=1): {t_kms:.1f} s in all, of which training {fit.duration_s:.1f} s "
          f"({fit.args['batch_size']} rows per batch); input mode {fit.input_mode!r}")
    print(fit.layers_overview[["units", "activation", "params"]].to_string())
    print(f"peak RSS: {peak:.2f} GB (goal <= 3 GB: {'met' if peak <= 3 else 'NOT met'})")
    del fit

    # 2. design time against formulaic's own dense build on 100k rows
    small = big.iloc[:100_000].copy()
    del big
    predictors = small.drop(columns=["genre"])
    parsed = parse_formula(formula, small)
    timings = {}
    for name, kwargs in (("ours, defaults", dict(sparse=None, embedding=None)),
                         ("ours, sparse=True", dict(sparse=True, embedding=False))):
        t = time.perf_counter()
        spec, _ = fit_design(parsed, small, "z", **kwargs)
        timings[name] = (time.perf_counter() - t, spec.mode)
    t = time.perf_counter()
    mm = model_matrix(". - title - 1", predictors, ensure_full_rank=False)
    X = np.asarray(mm, dtype="float64")
    t_formulaic = time.perf_counter() - t
    print(f"100,000 rows: formulaic dense model_matrix {t_formulaic:.2f} s ({X.shape[0]:,} x {X.shape[1]:,}, "
          f"{X.nbytes / 1024 ** 3:.2f} GB)")
    for name, (seconds, mode) in timings.items():
        print(f"  {name:18s} {seconds:6.2f} s  mode {mode:9s} ratio {seconds / t_formulaic:.2f} "
              f"(goal <= 1: {'met' if seconds <= t_formulaic else 'NOT met'})")
    print(f"peak RSS after the comparison (formulaic's dense build included): {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
