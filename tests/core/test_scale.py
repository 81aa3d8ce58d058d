"""Scale: sparse designs, embeddings for many-level factors, the automatic choice, strategies.

Trainings stay tiny (300 rows, 1-2 epochs, a few units): the machine has 2 shared cores.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from kms_jupyter import kms, load_fit
from kms_jupyter.core.design import (DENSE_MAX_CELLS, EMBED_MIN_LEVELS, EMBED_MIN_ROWS, EmbeddingSpec,
                                     Scaler, choose_input_mode, embedding_dim, fit_design)
from kms_jupyter.core.formula import parse_formula
from kms_jupyter.errors import KmsArgumentError, KmsTypeError

TINY = dict(units=(8,), epochs=2, batch_size=32)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


# ----------------------------------------------------------------------------- pure design checks
@pytest.mark.parametrize("scale", ["z", "zero_one", None])
def test_sparse_design_equals_the_dense_one_and_is_never_densified(small_movies, scale):
    parsed = parse_formula("genre ~ . - title", small_movies)
    dense_spec, dense = fit_design(parsed, small_movies, scale, sparse=False, embedding=False)
    sparse_spec, inputs = fit_design(parsed, small_movies, scale, sparse=True, embedding=False)
    assert sparse_spec.mode == "sparse" and dense_spec.mode == "dense"
    X = inputs["design"]
    assert sp.isspmatrix_csr(X) and X.dtype == np.float32
    assert X.nnz < 0.2 * X.shape[0] * X.shape[1]  # the dummies kept their zeros out
    assert sparse_spec.columns == dense_spec.columns
    np.testing.assert_array_equal(sparse_spec.scaler.mask, dense_spec.scaler.mask)
    np.testing.assert_allclose(X.toarray(), dense, rtol=1e-5, atol=1e-5)
    new = small_movies.sample(20, random_state=2)
    np.testing.assert_allclose(_quiet(sparse_spec.matrix, new)["design"].toarray(),
                               _quiet(dense_spec.matrix, new), rtol=1e-5, atol=1e-5)


def test_sparse_scaler_matches_dense_statistics():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(5, 2, 50), rng.integers(0, 2, 50), np.zeros(50),
                         np.where(rng.random(50) < 0.3, rng.normal(size=50), 0.0)])
    for kind in ("z", "zero_one"):
        a, b = Scaler.fit(X, kind), Scaler.fit(sp.csc_matrix(X), kind)
        np.testing.assert_array_equal(a.mask, b.mask)
        np.testing.assert_allclose(a.offset, b.offset, atol=1e-12)
        np.testing.assert_allclose(a.divisor, b.divisor, rtol=1e-9)
        np.testing.assert_allclose(b.transform(sp.csc_matrix(X)).toarray(), a.transform(X), rtol=1e-6)


def test_embedding_indices_reserve_zero_for_unseen_levels():
    spec = EmbeddingSpec("d", ("a", "b", "c"), 2, "d")
    codes = spec.encode(pd.Series(["b", "zz", None, "a", "c"]))
    assert codes.dtype == np.int32 and codes.shape == (5, 1)
    assert codes.ravel().tolist() == [2, 0, 0, 1, 3]
    assert spec.input_dim == 4


def test_embedding_dimension_rule():
    assert [embedding_dim(n) for n in (2, 4, 17, 100, 1000, 1400, 100_000)] == [3, 4, 7, 16, 50, 50, 50]


# ----------------------------------------------------------------------------- automatic choice
def test_auto_choice_follows_the_documented_rule():
    # the movies vignette: no factor in the formula -> dense
    assert choose_input_mode({}, 1_895, 8, 8).mode == "dense"
    # director (1,400 levels) on 3,000-row data: too few rows per level to learn vectors -> dense
    assert choose_input_mode({"director": 1_400}, 1_895, 1_408, 9).mode == "dense"
    # the same on a million rows -> embedding; the rest (8 numeric columns) stays dense
    plan = choose_input_mode({"director": 1_400}, 640_000, 1_408, 9)
    assert plan.mode == "embedding" and plan.embed == ("director",) and "1,400 levels" in plan.reason
    # just under either threshold -> no embedding
    assert choose_input_mode({"d": EMBED_MIN_LEVELS - 1}, 10**6, 200, 2).embed == ()
    assert choose_input_mode({"d": EMBED_MIN_LEVELS}, EMBED_MIN_ROWS - 1, 200, 2).embed == ()
    assert choose_input_mode({"d": EMBED_MIN_LEVELS}, EMBED_MIN_ROWS, 200, 2).embed == ("d",)
    # embedding switched off on a million rows: a 1,408-wide one-hot design is mostly zeros -> sparse
    plan = choose_input_mode({"director": 1_400}, 640_000, 1_408, 9, embedding=False)
    assert plan.mode == "sparse" and "sparse" in plan.reason
    # a big but dense-valued design stays dense (sparse would not save memory)
    assert choose_input_mode({}, 10**7, 40, 40).mode == "dense"
    assert 10**7 * 40 > DENSE_MAX_CELLS
    # explicit values override
    assert choose_input_mode({"director": 1_400}, 640_000, 1_408, 9, sparse=False, embedding=False).mode == "dense"
    assert choose_input_mode({}, 100, 8, 8, sparse=True).mode == "sparse"
    assert choose_input_mode({"d": 12, "e": 5}, 100, 20, 3, embedding=True).embed == ("d",)
    assert choose_input_mode({"d": 12, "e": 5}, 100, 20, 3, embedding=["e"]).embed == ("e",)
    with pytest.raises(KmsArgumentError, match="'x' is not a categorical column"):
        choose_input_mode({"d": 12}, 100, 20, 3, embedding=["x"])


def test_auto_choice_on_frames(small_movies):
    from kms_jupyter.datasets import movies_like

    # the vignette's formula stays exactly as before: dense, p = 8
    spec, X = fit_design(parse_formula("genre ~ . - director - title", small_movies), small_movies, "z",
                         sparse=None, embedding=None)
    assert spec.mode == "dense" and spec.p == 8 and isinstance(X, np.ndarray)
    movies = movies_like(n=3000, seed=0)
    spec, _ = _quiet(fit_design, parse_formula("genre ~ . - title", movies), movies, "z", None, None)
    assert spec.mode == "dense" and spec.p > 800  # one-hot director (813 levels), as kerasformula does
    # 12,000 rows with a 150-level factor -> that factor is embedded, nothing else
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"y": rng.choice(["a", "b", "c"], 12_000), "x": rng.normal(size=12_000),
                        "shop": rng.choice([f"s{i}" for i in range(150)], 12_000),
                        "kind": rng.choice(["p", "q"], 12_000)})
    spec, inputs = fit_design(parse_formula("y ~ .", big), big, "z", None, None)
    assert spec.mode == "embedding" and spec.embedded_columns == ["shop"]
    assert spec.columns == ["x", "kind[p]", "kind[q]"]
    assert set(inputs) == {"design", "shop_index"} and inputs["shop_index"].max() == 150


# ----------------------------------------------------------------------------- training paths
def test_sparse_fit_trains_predicts_saves_and_loads(small_movies, tmp_path):
    fit = _quiet(kms, "genre ~ . - title", small_movies, seed=1, sparse_data=True, **TINY)
    assert fit.input_mode == "sparse" and fit.args["sparse"] is True
    assert fit.model.get_layer("design").output.sparse
    assert "input: sparse" in fit.summary()
    assert fit.layers_overview["params"].sum() == fit.model.count_params()
    assert len(fit.predictions) == len(fit.y_test) and set(fit.predictions) <= set(fit.labels)
    new = small_movies.head(5).copy()
    new.loc[new.index[0], "director"] = "Nobody Ever"
    with pytest.warns(UserWarning, match="'Nobody Ever'.*all-zero dummies"):
        proba = fit.predict_proba(new)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    loaded = load_fit(fit.save(tmp_path / "sparse_fit"))
    assert loaded.input_mode == "sparse"
    rows = small_movies.loc[fit.y_test.index]
    pd.testing.assert_frame_equal(_quiet(fit.predict_proba, rows), _quiet(loaded.predict_proba, rows))
    assert (_quiet(fit.predict, rows) == fit.predictions).all()
    with pytest.raises(KmsArgumentError, match="not supported for sparse fits"):
        fit.to_code()


def test_embedding_fit_trains_predicts_unseen_levels_saves_and_loads(small_movies, tmp_path):
    fit = _quiet(kms, "genre ~ . - title", small_movies, seed=2, embedding=["director"], **TINY)
    assert fit.input_mode == "embedding" and fit.p == 8
    e = fit.design.embeddings[0]
    table = fit.layers_overview
    assert table.index[0] == "embed_director" and table.loc["embed_director", "units"] == e.dim
    assert table.loc["embed_director", "params"] == (len(e.levels) + 1) * e.dim
    assert table["params"].sum() == fit.model.count_params()
    assert f"director: {len(e.levels)} levels -> embedding of {e.dim}" in fit.summary()
    # unseen directors all map to the reserved index 0: the same input, the same prediction
    row = small_movies.loc[[fit.y_test.index[0]]]
    new = pd.concat([row, row, row], ignore_index=True)
    new["director"] = ["Nobody Ever", "Someone Else", row["director"].iloc[0]]
    with pytest.warns(UserWarning, match="2 row\\(s\\) have levels never seen.*reserved 'unseen' index 0"):
        proba = fit.predict_proba(new)
    np.testing.assert_allclose(proba.iloc[0], proba.iloc[1], rtol=1e-6)
    assert not np.allclose(proba.iloc[0], proba.iloc[2])
    loaded = load_fit(fit.save(tmp_path / "embedding_fit"))
    assert loaded.input_mode == "embedding" and loaded.layers_overview.equals(table)
    pd.testing.assert_frame_equal(_quiet(loaded.predict_proba, new), proba)
    with pytest.raises(KmsArgumentError, match="not supported for embedding fits"):
        fit.to_code()


def test_embedding_only_formula_and_embedding_true(small_movies):
    fit = _quiet(kms, "genre ~ director", small_movies, seed=3, embedding=True, units=(4,), epochs=1)
    assert fit.input_mode == "embedding" and fit.p == 0
    assert [i.name for i in fit.model.inputs] == ["director_index"]
    assert len(fit.predict(small_movies.head(7))) == 7


def test_bad_scale_arguments(small_movies):
    with pytest.raises(KmsArgumentError, match="sparse='yes'"):
        kms("genre ~ rating", small_movies, sparse="yes")
    with pytest.raises(KmsArgumentError, match="embedding=3"):
        kms("genre ~ rating", small_movies, embedding=3)
    with pytest.raises(KmsArgumentError, match="'rating' is not a categorical column"):
        kms("genre ~ rating + director", small_movies, embedding="rating")
    with pytest.raises(KmsTypeError, match="tf.distribute.Strategy"):
        kms("genre ~ rating", small_movies, strategy="mirrored")


_MIRRORED = r"""
import json, os, warnings
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from kms_jupyter import kms
from kms_jupyter.datasets import movies_like
warnings.simplefilter("ignore")
df = movies_like(n=300, seed=3)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
args = dict(seed=1, units=(16,), epochs=4, batch_size=32, optimizer_args={"learning_rate": 0.01})
formula = "genre ~ rating + votes + budget + duration + year"
mirrored = kms(formula, df, strategy=strategy, **args)
single = kms(formula, df, **args)
out = {}
for name, fit in (("mirrored", mirrored), ("single", single)):
    out[name] = {"loss": fit.history["loss"].tolist(), "columns": list(fit.history.columns),
                 "params": fit.model.count_params(), "n_test": len(fit.predictions),
                 "accuracy": fit.evaluations["accuracy"], "n_pred": len(fit.predict(df.head(9))),
                 "kernel": type(fit.model.get_layer("dense_1").kernel.value).__name__}
out["replicas"] = strategy.num_replicas_in_sync
print("RESULT " + json.dumps(out))
"""


def test_mirrored_strategy_on_two_logical_cpus_matches_single_device():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    run = subprocess.run([sys.executable, "-c", _MIRRORED], capture_output=True, text=True, env=env,
                         timeout=600)
    lines = [l for l in run.stdout.splitlines() if l.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    m, s = out["mirrored"], out["single"]
    assert out["replicas"] == 2
    assert m["columns"] == s["columns"] and m["params"] == s["params"]
    assert m["n_test"] == s["n_test"] == 60 and m["n_pred"] == 9
    assert len(m["loss"]) == len(s["loss"]) == 4
    assert m["loss"][-1] < m["loss"][0]  # converges
    assert abs(m["loss"][-1] - s["loss"][-1]) < 0.25 * s["loss"][-1]  # like the single-device fit
    assert "Mirrored" in m["kernel"] or "Distributed" in m["kernel"], m["kernel"]


def test_strategy_needs_a_seed(small_movies):
    import tensorflow as tf

    with pytest.raises(KmsArgumentError, match="strategy= needs seed="):
        kms("genre ~ rating", small_movies, strategy=tf.distribute.get_strategy())
