"""Awkward input that must *work* (with a warning where it deserves one), and bad input to
predict()/evaluate() on a trained fit. Trainings are tiny: 200 rows, one layer of 4 units, 1 epoch.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kms_jupyter import kms
from kms_jupyter.datasets import movies_like
from kms_jupyter.errors import KmsDataError, KmsTypeError

TINY = dict(units=(4,), epochs=1, batch_size=64, seed=1)
XSS = "<img src=x onerror=alert(1)>"


def data(n: int = 200) -> pd.DataFrame:
    df = movies_like(n=n, seed=4)
    df["studio"] = np.array(["north", "south", "east"])[np.arange(n) % 3]
    return df


def fit_with_warnings(formula, df, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = kms(formula, df, **{**TINY, **kwargs})
    return fit, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def one_warning(messages, *needles):
    hits = [m for m in messages if all(n in m for n in needles)]
    assert len(hits) == 1, f"{needles} in {messages}"
    assert "\n" not in hits[0]
    return hits[0]


# ------------------------------------------------------------------ warnings that must be given
def test_output_activation_contradicting_the_loss_warns():
    fit, msgs = fit_with_warnings("genre ~ rating + votes", data(), activation=["relu", "relu"])
    one_warning(msgs, "output activation 'relu'", "sparse_categorical_crossentropy", "'softmax'")
    assert fit.layers[-1].activation == "relu"  # the user's choice is kept, only warned about


def test_binary_output_activation_contradicting_the_loss_warns():
    df = data().assign(hit=lambda d: np.where(d.rating > d.rating.median(), "hit", "flop"))
    _, msgs = fit_with_warnings("hit ~ votes", df, activation=["relu", "softmax"])
    one_warning(msgs, "output activation 'softmax'", "binary_crossentropy", "'sigmoid'")


def test_constant_predictor_identifier_and_missing_rows_warn_by_name():
    df = data().assign(const=7.0)
    df.loc[:4, "rating"] = np.nan
    fit, msgs = fit_with_warnings("genre ~ rating + const + title", df)
    one_warning(msgs, "'const'", "same value (7.0)", "- const")
    one_warning(msgs, "'title'", "identifier", "- title")
    one_warning(msgs, "5 of 200 rows have missing values")
    assert fit.n == 195
    assert np.isfinite(fit.history["loss"]).all()  # a constant column never divides by zero


# ------------------------------------------------------------------ awkward input that works
def test_bool_predictor_and_bool_outcome_work():
    df = data().assign(long=lambda d: d.duration > d.duration.median(),
                       good=lambda d: d.rating > d.rating.median())
    fit, _ = fit_with_warnings("good ~ long + votes", df)
    assert fit.y_type == "binary" and fit.labels == ["False", "True"]
    pred = fit.predict(df.head(5))
    assert set(pred) <= {True, False}


def test_non_string_column_names_are_usable_as_text():
    df = data()
    frame = pd.DataFrame({"genre": df.genre, 0: df.rating, 2: df.votes, 3.5: df.duration})
    fit, _ = fit_with_warnings("genre ~ `0` + `2` + `3.5`", frame)
    assert fit.design.formula.variables == ("0", "2", "3.5")
    assert list(frame.columns) == ["genre", 0, 2, 3.5]  # the caller's frame is left alone
    assert len(fit.predict(frame.rename(columns=str).head(4))) == 4


def test_column_names_with_spaces_and_symbols_through_backticks():
    df = data().rename(columns={"rating": "imdb rating", "votes": "votes (k)",
                                "studio": XSS, "year": '"; alert(1)//'})
    fit, _ = fit_with_warnings(f"genre ~ `imdb rating` + `votes (k)` + `{XSS}` + `\"; alert(1)//`",
                               df)
    assert set(fit.design.formula.variables) == {"imdb rating", "votes (k)", XSS, '"; alert(1)//'}
    assert any(XSS in c for c in fit.design.columns)
    assert fit.predict(df.head(3)).notna().all()


def test_r_style_dotted_names_work_unquoted():
    df = data().rename(columns={"rating": "imdb.rating", "votes": "n.votes"})
    fit, _ = fit_with_warnings("genre ~ imdb.rating + n.votes", df)
    assert fit.design.formula.variables == ("n.votes", "imdb.rating") or \
        set(fit.design.formula.variables) == {"imdb.rating", "n.votes"}
    assert fit.p == 2


# ------------------------------------------------------------------ predict / evaluate
@pytest.fixture(scope="module")
def fit():
    f, _ = fit_with_warnings("genre ~ rating + votes + studio", data())
    return f


def test_predict_missing_columns_named(fit):
    with pytest.raises(KmsDataError) as info:
        fit.predict(data().drop(columns=["votes", "studio"]))
    msg = str(info.value)
    assert "'votes'" in msg and "'studio'" in msg and "extra columns are ignored" in msg


def test_predict_ignores_extra_columns(fit):
    df = data()
    plain = fit.predict(df[["rating", "votes", "studio"]])
    extra = fit.predict(df.assign(junk=lambda d: [{"x": 1}] * len(d), when=pd.Timestamp("2000-01-01")))
    pd.testing.assert_series_equal(plain, extra)


def test_predict_unseen_levels_warn_with_counts(fit):
    new = data(6)
    new["studio"] = ["Nowhere", "Nowhere", "Elsewhere", "north", "south", "east"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = fit.predict(new)
    msg = one_warning([str(w.message) for w in caught], "column 'studio'")
    assert "3 row(s)" in msg and "'Nowhere' (2)" in msg and "'Elsewhere' (1)" in msg
    assert pred.notna().all()


def test_predict_wrong_dtype_named(fit):
    new = data(5).assign(rating=lambda d: d.rating.astype(str))
    with pytest.raises(KmsDataError) as info:
        fit.predict(new)
    msg = str(info.value)
    assert "'rating' was numeric in training but is categorical" in msg and "pd.to_numeric" in msg


def test_predict_inf_and_datetime_named(fit):
    with pytest.raises(KmsDataError, match="'votes' has 1 infinite"):
        fit.predict(data(5).assign(votes=[np.inf, 1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(KmsDataError, match="'rating' holds datetime values"):
        fit.predict(data(5).assign(rating=pd.Timestamp("2000-01-01")))


def test_predict_not_a_frame_and_evaluate_without_outcome(fit):
    with pytest.raises(KmsTypeError, match="newdata must be a pandas DataFrame, got list"):
        fit.predict([1, 2, 3])
    with pytest.raises(KmsDataError, match="outcome column 'genre'"):
        fit.evaluate(data(5).drop(columns=["genre"]))


def test_predict_missing_values_give_missing_predictions(fit):
    new = data(4)
    new.loc[1, "rating"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = fit.predict(new)
    one_warning([str(w.message) for w in caught], "1 row(s) of newdata have missing values")
    assert pred.isna().tolist() == [False, True, False, False]


def test_predict_proba_on_regression_refused():
    df = data()
    reg, _ = fit_with_warnings("rating ~ votes", df)
    with pytest.raises(KmsTypeError, match="predict_proba\\(\\) is for classification"):
        reg.predict_proba(df.head(3))
