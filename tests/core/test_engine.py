"""kms() end to end on small data (tiny networks, 1-3 epochs: the machine has 2 cores)."""
import threading
import warnings

import keras
import numpy as np
import pandas as pd
import pytest

from kms_jupyter import confusion, kms, kms_kcv, load_fit
from kms_jupyter.errors import KmsArgumentError, KmsDataError

SMALL = dict(units=(16,), epochs=2, batch_size=32)


def test_fit_has_the_promised_shape(small_movies):
    fit = kms("genre ~ . - director - title", small_movies, seed=1, **SMALL)
    assert fit.y_type == "multiclass" and fit.k == small_movies.genre.nunique()
    assert list(fit.history.columns) == ["loss", "val_loss", "accuracy", "val_accuracy"]
    assert list(fit.history.index) == [1, 2]
    assert len(fit.y_test) == round(0.2 * len(small_movies)) == len(fit.predictions)
    assert fit.predictions.index.equals(fit.y_test.index)
    assert set(fit.y_test.index) <= set(small_movies.index)
    assert fit.confusion.shape == (fit.k, fit.k)
    assert fit.confusion.to_numpy().sum() == len(fit.y_test)
    assert fit.confusion.index[0].endswith("_obs") and fit.confusion.columns[0].endswith("_pred")
    assert 0 <= fit.evaluations["accuracy"] <= 1
    assert fit.n == len(small_movies) and fit.p == 8
    assert "layer1" in fit.summary() and "Total params" in fit.summary()
    assert "genre ~ . - director - title" in repr(fit)


def test_same_seed_gives_identical_history_and_predictions(small_movies):
    a = kms("genre ~ rating + votes + budget", small_movies, seed=7, **SMALL)
    b = kms("genre ~ rating + votes + budget", small_movies, seed=7, **SMALL)
    pd.testing.assert_frame_equal(a.history, b.history, check_exact=True)
    pd.testing.assert_series_equal(a.predictions, b.predictions)
    c = kms("genre ~ rating + votes + budget", small_movies, seed=8, **SMALL)
    assert not a.history.equals(c.history)


def test_seed_none_records_the_seed_used(small_movies):
    fit = kms("genre ~ rating", small_movies, units=(4,), epochs=1)
    assert isinstance(fit.seed, int)
    again = kms("genre ~ rating", small_movies, units=(4,), epochs=1, seed=fit.seed)
    pd.testing.assert_frame_equal(fit.history, again.history, check_exact=True)


def test_keyboard_interrupt_keeps_a_partial_fit(small_movies):
    class InterruptAtSecondEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.warns(UserWarning, match="interrupted after 2 of 6 epochs"):
        fit = kms("genre ~ rating + votes", small_movies, seed=1, units=(8,), epochs=6,
                  callbacks=[InterruptAtSecondEpoch()])
    assert fit.partial and fit.partial_reason == "interrupted"
    assert len(fit.history) == 2 and fit.epochs == 6
    assert "PARTIAL" in repr(fit)
    assert len(fit.predict(small_movies.head(5))) == 5  # still usable


def test_stop_event_stops_and_keeps_the_run(small_movies):
    stop = threading.Event()

    class SetStopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stop.set()

    with pytest.warns(UserWarning, match="stopped"):
        fit = kms("genre ~ rating", small_movies, seed=1, units=(4,), epochs=5, stop_event=stop,
                  callbacks=[SetStopAfterFirstEpoch()])
    # Keras checks the flag between executions: the run stops within one epoch of the click
    assert fit.partial and fit.partial_reason == "stopped" and len(fit.history) in (1, 2)


def test_error_in_user_callback_keeps_the_epochs_done(small_movies):
    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("disk full")

    with pytest.warns(UserWarning, match="partial"):
        fit = kms("genre ~ rating", small_movies, seed=1, units=(4,), epochs=4, callbacks=[Boom()])
    assert fit.partial and "RuntimeError: disk full" in fit.partial_reason
    assert len(fit.history) == 2


def test_predict_uses_training_encoding_and_reports_unseen_levels(small_movies):
    fit = kms("genre ~ rating + director", small_movies, seed=2, **SMALL)
    new = small_movies.head(4).copy()
    new.loc[new.index[0], "director"] = "Nobody Ever"
    new["extra column"] = 1  # ignored
    with pytest.warns(UserWarning, match=r"'director': 1 row\(s\) have levels never seen.*'Nobody Ever'"):
        pred = fit.predict(new)
    assert list(pred.index) == list(new.index)
    assert set(pred) <= set(fit.labels)
    proba = fit.predict_proba(new.iloc[1:])
    assert list(proba.columns) == fit.labels
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    with pytest.raises(KmsDataError, match="'rating'"):
        fit.predict(new.drop(columns="rating"))


def test_predict_matches_test_predictions(small_movies):
    fit = kms("genre ~ . - title", small_movies, seed=4, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = fit.predict(small_movies.loc[fit.y_test.index])
    assert (again == fit.predictions).all()


def test_save_and_load_round_trip(small_movies, tmp_path):
    fit = kms("genre ~ . - director - title + top(director, 5)", small_movies, seed=5, **SMALL)
    path = fit.save(tmp_path / "movies_fit")
    loaded = load_fit(path)
    new = small_movies.sample(40, random_state=1)
    pd.testing.assert_frame_equal(fit.predict_proba(new), loaded.predict_proba(new))
    pd.testing.assert_frame_equal(fit.history, loaded.history)
    pd.testing.assert_frame_equal(fit.confusion, loaded.confusion)
    assert loaded.formula == fit.formula and loaded.seed == fit.seed
    assert loaded.layers_overview.equals(fit.layers_overview)
    assert [p.name for p in tmp_path.iterdir()] == ["movies_fit.kmsfit"]  # no temp files left


def test_continuous_outcome(small_movies):
    fit = kms("rating ~ votes + budget + duration", small_movies, seed=3, units=(16,), epochs=3)
    assert fit.y_type == "continuous" and fit.confusion is None
    assert set(fit.evaluations) >= {"mse", "mae", "r2", "kendall_tau"}
    assert list(fit.history.columns) == ["loss", "val_loss", "mae", "val_mae"]
    # predictions come back on the outcome's own scale (ratings ~ 2..9), not z-scores
    assert 2 < fit.predictions.mean() < 9
    with pytest.raises(Exception, match="continuous"):
        confusion(fit)


def test_binary_outcome(small_movies):
    df = small_movies.assign(is_comedy=(small_movies.genre == "Comedy").map({True: "yes", False: "no"}))
    fit = kms("is_comedy ~ rating + duration + budget", df, seed=3, **SMALL)
    assert fit.y_type == "binary" and fit.model.output_shape[-1] == 1
    assert fit.layers[-1].activation == "sigmoid"
    assert fit.confusion.shape == (2, 2)
    assert set(fit.predict(df.head(10))) <= {"yes", "no"}


def test_confusion_both_forms_with_never_predicted_labels(small_movies):
    fit = kms("genre ~ rating", small_movies, seed=1, units=(4,), epochs=1)
    xtab = confusion(fit, return_xtab=True)
    assert xtab.shape == (fit.k, fit.k)
    table = confusion(fit)  # many classes -> kerasformula's table
    assert list(table.columns) == ["label", "N", "pCorrect", "MCE", "pMCE", "MCE2", "pMCE2", "pOther"]
    never_predicted = [l for l in fit.labels if xtab[f"{l}_pred"].sum() == 0]
    assert never_predicted  # a tiny 1-epoch net predicts few classes
    row = table.set_index("label").loc[fit.labels[0]]
    counts = xtab.loc[f"{fit.labels[0]}_obs"]
    if row.N:
        assert row.pCorrect == round(counts[f"{fit.labels[0]}_pred"] / row.N, 3)
    assert table["N"].sum() == len(fit.y_test)


def test_many_class_table_by_hand():
    from kms_jupyter.core.evaluation import many_class_table

    xtab = pd.DataFrame([[5, 3, 2], [0, 0, 0], [1, 1, 8]], index=["a_obs", "b_obs", "c_obs"],
                        columns=["a_pred", "b_pred", "c_pred"])
    t = many_class_table(xtab).set_index("label")
    assert t.loc["a"].tolist() == [10, 0.5, "b", 0.3, "c", 0.2, 0.0]
    assert t.loc["b", "N"] == 0 and np.isnan(t.loc["b", "pCorrect"])
    assert t.loc["c", "MCE"] == "a" and t.loc["c", "MCE2"] == "b"  # ties broken by label


def test_na_rows_dropped_with_warning(small_movies):
    df = small_movies.copy()
    df.loc[df.index[:7], "rating"] = np.nan
    with pytest.warns(UserWarning, match="7 of 300 rows have missing values"):
        fit = kms("genre ~ rating + votes", df, seed=1, units=(4,), epochs=1)
    assert fit.n == 293


def test_kerasformula_aliases(small_movies):
    fit = kms("genre ~ rating", small_movies, seed=1, units=(4,), Nepochs=2, pTraining=0.5)
    assert fit.epochs == 2 and len(fit.y_test) == 150
    fit = kms("genre ~ rating", small_movies, seed=1, units=8, N_layers=3, epochs=1)
    assert [l.units for l in fit.layers[:-1]] == [8, 4]
    with pytest.raises(KmsArgumentError, match="both 'pTraining' and 'p_training'"):
        kms("genre ~ rating", small_movies, pTraining=0.5, p_training=0.5)
    with pytest.raises(KmsArgumentError, match="Did you mean 'epochs'"):
        kms("genre ~ rating", small_movies, epoch=3)


def test_early_stopping_restores_best_weights(small_movies):
    fit = kms("genre ~ rating + votes", small_movies, seed=1, units=(8,), epochs=40,
              early_stopping=1, optimizer_args={"learning_rate": 0.05})
    assert len(fit.history) < 40


def test_collapse_to_one_class_is_called_out(small_movies):
    with pytest.warns(UserWarning, match="collapsed to one class.*majority class 'Comedy'"):
        # a constant predictor gives every row the same input, hence the same prediction
        fit = kms("genre ~ constant", small_movies.assign(constant=1.0), seed=1, units=(2,), epochs=1)
    assert fit.notes


def test_kcv_balanced_folds(small_movies):
    from kms_jupyter.core.kcv import balanced_folds

    codes = small_movies.genre.astype("category").cat.codes.to_numpy()
    folds = balanced_folds(codes, len(codes), 3, seed=0)
    for cls in np.unique(codes):
        sizes = np.bincount(folds[codes == cls], minlength=3)
        assert sizes.max() - sizes.min() <= 1
    result = kms_kcv("genre ~ rating + votes", small_movies, k_folds=3, seed=1, units=(4,), epochs=1)
    assert len(result.fits) == 3
    assert result.summary.loc[[1, 2, 3], "n_test"].sum() == len(small_movies)
    assert "accuracy" in result.summary.columns and "mean" in result.summary.index


def test_to_code_is_plain_python_that_reproduces_the_fit(small_movies):
    fit = kms("genre ~ rating + votes + top(director, 3)", small_movies, seed=11, **SMALL)
    code = fit.to_code()
    assert "kms_jupyter" not in code.replace("without kms_jupyter", "")
    namespace = {}
    exec(compile(code.replace("data = ...  # your DataFrame", "data = DATA"), "<to_code>", "exec"),
         {"DATA": small_movies, "print": lambda *a: namespace.setdefault("printed", a)})
    assert namespace["printed"][0] == "test accuracy"
    assert namespace["printed"][1] == pytest.approx(fit.evaluations["accuracy"])


def test_keras_objects_as_initializer_and_regularizer_round_trip(small_movies, tmp_path):
    """Keras initializer/regularizer objects: shown in the layer table, saved and loaded, and
    to_code() rebuilds them (it used to emit a comment that swallowed the rest of the call)."""
    init = keras.initializers.RandomNormal(stddev=0.05, seed=3)
    fit = kms("genre ~ rating + votes", small_movies, seed=11, kernel_initializer=init,
              kernel_regularizer=keras.regularizers.L2(0.01), **SMALL)
    table = fit.layers_overview
    assert list(table["kernel_initializer"]) == ["randomnormal(stddev=0.05)"] * 2
    assert list(table["kernel_regularizer"]) == ["l2(l2=0.01)"] * 2
    back = load_fit(fit.save(tmp_path / "objects.kmsfit"))
    assert back.layers[0].kernel_initializer.get_config() == init.get_config()
    pd.testing.assert_series_equal(back.predict(small_movies), fit.predict(small_movies))
    code = fit.to_code()
    assert "keras.initializers.RandomNormal(" in code and "keras.regularizers.L2(" in code
    namespace = {}
    exec(compile(code.replace("data = ...  # your DataFrame", "data = DATA"), "<to_code>", "exec"),
         {"DATA": small_movies, "print": lambda *a: namespace.setdefault("printed", a)})
    assert namespace["printed"][1] == pytest.approx(fit.evaluations["accuracy"])


def test_to_code_says_which_custom_object_it_cannot_rebuild(small_movies):
    class HalfOnes(keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return keras.ops.ones(shape, dtype=dtype) * 0.5

    fit = kms("genre ~ rating", small_movies, seed=1, kernel_initializer=HalfOnes(), **SMALL)
    assert fit.layers_overview["kernel_initializer"].iloc[0] == "halfones()"
    code = fit.to_code()
    compile(code, "<to_code>", "exec")  # still valid Python
    assert "# dense_1: the custom kernel_initializer HalfOnes is not reproduced here" in code
