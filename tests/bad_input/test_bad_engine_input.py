"""Bad input to kms(): formulas, data and arguments. Each case must end in the package's own
exception type with a one-line message that names the culprit (and, where there is one, the fix).

Almost every case fails before any training, so the file runs in seconds.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from kms_jupyter import kms
from kms_jupyter.datasets import movies_like
from kms_jupyter.errors import (KmsArgumentError, KmsDataError, KmsError, KmsFormulaError,
                                KmsTypeError)

DF = movies_like(n=60, seed=2)
TINY = dict(units=(4,), epochs=1, batch_size=64, seed=1)
ALL_BUT_GENRE = " - ".join(c for c in DF.columns if c != "genre")
XSS = "<img src=x onerror=alert(1)>"


def with_col(**cols):
    return DF.assign(**cols)


def genre_classes(n_classes: int, n_rows: int) -> pd.DataFrame:
    return pd.DataFrame({"genre": [f"g{i % n_classes}" for i in range(n_rows)],
                         "rating": np.arange(n_rows, dtype=float)})


# (id, section, what, call, expected type, culprits that the message must contain)
CASES = [
    # ---------------------------------------------------------------- formulas
    ("formula-empty", "formula", "empty formula ''",
     lambda: kms("", DF, **TINY), KmsFormulaError, ["empty", "outcome ~ predictors"]),
    ("formula-blank", "formula", "blank formula '   '",
     lambda: kms("   ", DF, **TINY), KmsFormulaError, ["empty"]),
    ("formula-no-tilde", "formula", "no '~'",
     lambda: kms("genre", DF, **TINY), KmsFormulaError, ["'genre'", "no '~'", "genre ~ ."]),
    ("formula-two-tildes", "formula", "two '~'",
     lambda: kms("genre ~ rating ~ votes", DF, **TINY), KmsFormulaError, ["2 '~'", "exactly one"]),
    ("formula-no-outcome", "formula", "nothing left of '~'",
     lambda: kms(" ~ rating", DF, **TINY), KmsFormulaError, ["no outcome"]),
    ("formula-no-predictors", "formula", "nothing right of '~'",
     lambda: kms("genre ~ ", DF, **TINY), KmsFormulaError, ["no predictors", "genre ~ ."]),
    ("formula-unknown-outcome", "formula", "outcome not a column (typo)",
     lambda: kms("gnre ~ .", DF, **TINY), KmsFormulaError, ["'gnre'", "Did you mean 'genre'"]),
    ("formula-unknown-column", "formula", "unknown predictor column (typo)",
     lambda: kms("genre ~ ratng + votes", DF, **TINY), KmsFormulaError,
     ["'ratng'", "Did you mean 'rating'"]),
    ("formula-outcome-both-sides", "formula", "outcome also on the right",
     lambda: kms("genre ~ rating + genre", DF, **TINY), KmsFormulaError,
     ["'genre' also appears right of '~'", "- genre"]),
    ("formula-only-outcome", "formula", "'.' minus every other column",
     lambda: kms(f"genre ~ . - {ALL_BUT_GENRE}", DF, **TINY), KmsFormulaError,
     ["no predictor columns"]),
    ("formula-unbalanced-open", "formula", "unbalanced '('",
     lambda: kms("genre ~ (rating + votes", DF, **TINY), KmsFormulaError, ["'(' not closed"]),
    ("formula-unbalanced-close", "formula", "unbalanced ')'",
     lambda: kms("genre ~ rating) + votes", DF, **TINY), KmsFormulaError,
     ["')' at position 15"]),
    ("formula-unknown-function", "formula", "unknown function",
     lambda: kms("genre ~ foo(rating)", DF, **TINY), KmsFormulaError, ["unknown function foo()"]),
    ("formula-top-zero", "formula", "top() with n = 0",
     lambda: kms("genre ~ top(director, 0)", DF, **TINY), KmsFormulaError,
     ["top(director, 0)", "at least 1"]),
    ("formula-top-negative", "formula", "top() with n < 0",
     lambda: kms("genre ~ top(director, -3)", DF, **TINY), KmsFormulaError,
     ["top(director, -3)", "at least 1"]),
    ("formula-top-fraction", "formula", "top() with n = 2.5",
     lambda: kms("genre ~ top(director, 2.5)", DF, **TINY), KmsFormulaError,
     ["top(director, 2.5)", "whole number"]),
    ("formula-top-numeric", "formula", "top() of a numeric column",
     lambda: kms("genre ~ top(rating, 5)", DF, **TINY), KmsFormulaError,
     ["'rating' is numeric", "C(rating)"]),
    ("formula-top-unknown", "formula", "top() of an unknown column",
     lambda: kms("genre ~ top(directr, 5)", DF, **TINY), KmsFormulaError,
     ["'directr'", "Did you mean 'director'"]),
    ("formula-not-string", "formula", "formula is not a string",
     lambda: kms(42, DF, **TINY), KmsTypeError, ["formula must be a string", "int"]),
    ("formula-python-syntax", "formula", "broken Python inside a term",
     lambda: kms("genre ~ np.log(rating,, 2)", DF, **TINY), KmsFormulaError,
     ["cannot be parsed", "np.log(rating,, 2)"]),
    ("formula-eval-error", "formula", "transform that fails on the data (np.log of text)",
     lambda: kms("genre ~ np.log(director)", DF, **TINY), KmsFormulaError,
     ["cannot be evaluated", "np.log(director)"]),
    ("formula-dotted-in-function", "formula", "R-style dotted name unquoted inside a function",
     lambda: kms("genre ~ np.log(cast.likes)", with_col(**{"cast.likes": DF.votes + 1.0}), **TINY),
     KmsFormulaError, ["'cast.likes'", "np.log(`cast.likes`)"]),
    ("formula-column-named-1", "formula", "a column named 1 (formulaic reads it as the intercept)",
     lambda: kms("genre ~ .", pd.DataFrame({"genre": DF.genre, 0: DF.rating, 1: DF.votes}), **TINY),
     KmsFormulaError, ["column named '1'", "rename"]),
    # ---------------------------------------------------------------- data
    ("data-not-a-frame", "data", "data is a list",
     lambda: kms("genre ~ rating", [1, 2, 3], **TINY), KmsTypeError,
     ["data must be a pandas DataFrame", "list"]),
    ("data-dict", "data", "data is a dict of columns",
     lambda: kms("genre ~ rating", {"genre": ["a"], "rating": [1]}, **TINY), KmsTypeError,
     ["DataFrame", "dict"]),
    ("data-empty", "data", "empty DataFrame",
     lambda: kms("genre ~ rating", pd.DataFrame(), **TINY), KmsDataError, ["no rows"]),
    ("data-no-rows", "data", "columns but no rows",
     lambda: kms("genre ~ rating", DF.head(0), **TINY), KmsDataError, ["no rows"]),
    ("data-one-row", "data", "a single row",
     lambda: kms("genre ~ rating", DF.head(1), **TINY), KmsDataError, ["only 1 row", "at least 2"]),
    ("data-fewer-rows-than-classes", "data", "fewer training rows than classes",
     lambda: kms("genre ~ rating", genre_classes(5, 6), **{**TINY, "p_training": 0.5}), KmsDataError,
     ["3 training row(s) for 5 classes", "'genre'"]),
    ("data-all-na-column", "data", "a predictor that is all NA",
     lambda: kms("genre ~ rating + empty", with_col(empty=np.nan), **TINY), KmsDataError,
     ["'empty' has only missing values", "- empty"]),
    ("data-all-na-outcome", "data", "an outcome that is all NA",
     lambda: kms("empty ~ rating", with_col(empty=pd.Series([None] * len(DF), dtype=object)), **TINY),
     KmsDataError, ["outcome 'empty' has only missing values"]),
    ("data-na-rows-leave-one", "data", "NAs leave a single row",
     lambda: kms("genre ~ rating + z", with_col(z=[1.0] + [np.nan] * (len(DF) - 1)), **TINY),
     KmsDataError, ["only 1 row(s) left after dropping missing values"]),
    ("data-single-class", "data", "outcome with a single class",
     lambda: kms("one ~ rating", with_col(one="drama"), **TINY), KmsDataError,
     ["'one' has a single class ('drama')"]),
    ("data-inf-predictor", "data", "inf in a predictor",
     lambda: kms("genre ~ rating + z", with_col(z=[np.inf, -np.inf] + [1.0] * (len(DF) - 2)), **TINY),
     KmsDataError, ["'z' has 2 infinite value(s)", "replace"]),
    ("data-inf-outcome", "data", "inf in a continuous outcome",
     lambda: kms("z ~ rating", with_col(z=[np.inf] + list(range(len(DF) - 1))), **TINY),
     KmsDataError, ["outcome 'z' has 1 infinite value(s)"]),
    ("data-datetime", "data", "datetime column",
     lambda: kms("genre ~ rating + released", with_col(released=pd.Timestamp("2001-02-03")), **TINY),
     KmsDataError, ["'released' holds datetime values", ".dt.year", "- released"]),
    ("data-datetime-tz", "data", "timezone-aware datetime column",
     lambda: kms("genre ~ rating + released",
                 with_col(released=pd.Timestamp("2001-02-03", tz="UTC")), **TINY),
     KmsDataError, ["'released' holds datetime values"]),
    ("data-timedelta", "data", "timedelta column",
     lambda: kms("genre ~ rating + runtime", with_col(runtime=pd.Timedelta(minutes=95)), **TINY),
     KmsDataError, ["'runtime' holds timedelta values", ".dt.days"]),
    ("data-mixed-object", "data", "object column mixing numbers and text",
     lambda: kms("genre ~ rating + mixed", with_col(mixed=[1, "two"] * (len(DF) // 2)), **TINY),
     KmsDataError, ["'mixed' holds mixed values", "astype(str)", "pd.to_numeric"]),
    ("data-python-objects", "data", "object column of dicts/lists",
     lambda: kms("genre ~ rating + meta", with_col(meta=[{"a": 1}, [1]] * (len(DF) // 2)), **TINY),
     KmsDataError, ["'meta' holds python-object values", "astype(str)"]),
    ("data-period", "data", "period column",
     lambda: kms("genre ~ rating + month", with_col(month=pd.Period("2020-01", freq="M")), **TINY),
     KmsDataError, ["'month' holds period values"]),
    ("data-interval", "data", "interval column",
     lambda: kms("genre ~ rating + band", with_col(band=pd.Interval(0, 1)), **TINY),
     KmsDataError, ["'band' holds interval values"]),
    ("data-complex", "data", "complex column",
     lambda: kms("genre ~ rating + c", with_col(c=1 + 2j), **TINY),
     KmsDataError, ["'c' holds complex values"]),
    ("data-object-outcome", "data", "outcome of Python objects",
     lambda: kms("meta ~ rating", with_col(meta=[{"a": 1}, [1]] * (len(DF) // 2)), **TINY),
     KmsDataError, ["outcome 'meta' holds python-object values"]),
    ("data-duplicate-columns", "data", "duplicate column names",
     lambda: kms("genre ~ rating", pd.concat([DF, DF[["rating"]]], axis=1), **TINY), KmsDataError,
     ["'rating' appears more than once", "rename"]),
    ("data-duplicate-index", "data", "duplicate index labels",
     lambda: kms("genre ~ rating", DF.set_axis([0] * len(DF)), **TINY), KmsDataError,
     ["duplicate labels", "reset_index"]),
    ("data-odd-name-quoted-fix", "data", "a datetime column whose name needs quoting",
     lambda: kms(f"genre ~ rating + `{XSS}`", with_col(**{XSS: pd.Timestamp("2001-02-03")}), **TINY),
     KmsDataError, [repr(XSS), f"- `{XSS}`"]),
    # ---------------------------------------------------------------- arguments
    ("arg-p-training-0", "arguments", "p_training = 0",
     lambda: kms("genre ~ rating", DF, p_training=0, **{k: v for k, v in TINY.items()}),
     KmsArgumentError, ["p_training=0", "(0, 1]"]),
    ("arg-p-training-above-1", "arguments", "p_training = 1.5",
     lambda: kms("genre ~ rating", DF, p_training=1.5, **TINY), KmsArgumentError,
     ["p_training=1.5", "(0, 1]"]),
    ("arg-p-training-negative", "arguments", "p_training = -0.2",
     lambda: kms("genre ~ rating", DF, p_training=-0.2, **TINY), KmsArgumentError, ["p_training=-0.2"]),
    ("arg-p-training-text", "arguments", "p_training = '0.8' (text)",
     lambda: kms("genre ~ rating", DF, p_training="0.8", **TINY), KmsTypeError,
     ["p_training must be a number", "'0.8'"]),
    ("arg-pTraining-alias", "arguments", "kerasformula's pTraining = 2",
     lambda: kms("genre ~ rating", DF, pTraining=2, **TINY), KmsArgumentError, ["p_training=2"]),
    ("arg-validation-split-1", "arguments", "validation_split = 1",
     lambda: kms("genre ~ rating", DF, validation_split=1, **TINY), KmsArgumentError,
     ["validation_split=1", "[0, 1)"]),
    ("arg-validation-split-negative", "arguments", "validation_split = -0.1",
     lambda: kms("genre ~ rating", DF, validation_split=-0.1, **TINY), KmsArgumentError,
     ["validation_split=-0.1"]),
    ("arg-batch-size-0", "arguments", "batch_size = 0",
     lambda: kms("genre ~ rating", DF, units=(4,), epochs=1, batch_size=0), KmsArgumentError,
     ["batch_size=0", "at least 1"]),
    ("arg-batch-size-negative", "arguments", "batch_size = -8",
     lambda: kms("genre ~ rating", DF, units=(4,), epochs=1, batch_size=-8), KmsArgumentError,
     ["batch_size=-8"]),
    ("arg-batch-size-float", "arguments", "batch_size = 16.5",
     lambda: kms("genre ~ rating", DF, units=(4,), epochs=1, batch_size=16.5), KmsArgumentError,
     ["batch_size=16.5", "whole number"]),
    ("arg-epochs-0", "arguments", "epochs = 0",
     lambda: kms("genre ~ rating", DF, units=(4,), epochs=0), KmsArgumentError,
     ["epochs=0", "at least 1"]),
    ("arg-Nepochs-negative", "arguments", "kerasformula's Nepochs = -1",
     lambda: kms("genre ~ rating", DF, units=(4,), Nepochs=-1), KmsArgumentError, ["epochs=-1"]),
    ("arg-unknown-activation", "arguments", "activation = 'relux'",
     lambda: kms("genre ~ rating", DF, activation="relux", **TINY), KmsArgumentError,
     ["unknown activation 'relux'", "Did you mean 'relu'"]),
    ("arg-unknown-activation-in-list", "arguments", "per-layer activation list with a typo",
     lambda: kms("genre ~ rating", DF, **{**TINY, "units": (4, 4)}, activation=["relu", "tanhh"]),
     KmsArgumentError, ["'tanhh'", "Did you mean 'tanh'"]),
    ("arg-activation-not-text", "arguments", "activation = 3",
     lambda: kms("genre ~ rating", DF, activation=3, **TINY), KmsTypeError,
     ["activation must be a name", "int"]),
    ("arg-unknown-optimizer", "arguments", "optimizer = 'adamm'",
     lambda: kms("genre ~ rating", DF, optimizer="adamm", **TINY), KmsArgumentError,
     ["unknown optimizer 'adamm'", "Did you mean 'adam'"]),
    ("arg-optimizer-bad-args", "arguments", "optimizer_args with an unknown keyword",
     lambda: kms("genre ~ rating", DF, optimizer="sgd", optimizer_args={"lr_typo": 0.1}, **TINY),
     KmsArgumentError, ["optimizer 'sgd' rejected optimizer_args", "lr_typo"]),
    ("arg-unknown-regularizer", "arguments", "kernel_regularizer = 'l2x'",
     lambda: kms("genre ~ rating", DF, kernel_regularizer="l2x", **TINY), KmsArgumentError,
     ["unknown kernel_regularizer 'l2x'", "Did you mean 'l2'"]),
    ("arg-unknown-regularizer-no-match", "arguments", "bias_regularizer = 'ridge'",
     lambda: kms("genre ~ rating", DF, bias_regularizer="ridge", **TINY), KmsArgumentError,
     ["unknown bias_regularizer 'ridge'", "'l1', 'l2' or 'l1_l2'"]),
    ("arg-unknown-initializer", "arguments", "kernel_initializer = 'glorot_unifrom'",
     lambda: kms("genre ~ rating", DF, kernel_initializer="glorot_unifrom", **TINY),
     KmsArgumentError, ["unknown kernel_initializer 'glorot_unifrom'", "'glorot_uniform'"]),
    ("arg-initializer-wrong-type", "arguments", "kernel_initializer = 0.1",
     lambda: kms("genre ~ rating", DF, kernel_initializer=0.1, **TINY), KmsTypeError,
     ["kernel_initializer must be None", "float"]),
    ("arg-regularizer-wrong-type", "arguments", "activity_regularizer = 0.01",
     lambda: kms("genre ~ rating", DF, activity_regularizer=0.01, **TINY), KmsTypeError,
     ["activity_regularizer must be None", "float"]),
    ("arg-per-layer-dropout-length", "arguments", "dropout list longer than the layers",
     lambda: kms("genre ~ rating", DF, dropout=[0.1, 0.2, 0.3], **TINY), KmsArgumentError,
     ["dropout has 3 values for 1 hidden layers", "length 1"]),
    ("arg-per-layer-activation-length", "arguments", "activation list of the wrong length",
     lambda: kms("genre ~ rating", DF, **{**TINY, "units": (4, 4)},
                 activation=["relu", "relu", "relu", "relu"]),
     KmsArgumentError, ["activation has 4 values for 2 hidden layers", "2 or 3"]),
    ("arg-dropout-out-of-range", "arguments", "dropout = 1.5",
     lambda: kms("genre ~ rating", DF, dropout=1.5, **TINY), KmsArgumentError,
     ["dropout 1.5", "[0, 1)"]),
    ("arg-units-zero", "arguments", "units = (0,)",
     lambda: kms("genre ~ rating", DF, units=(0,), epochs=1), KmsArgumentError,
     ["units must all be at least 1", "(0,)"]),
    ("arg-units-text", "arguments", "units = 'big'",
     lambda: kms("genre ~ rating", DF, units="big", epochs=1), KmsTypeError,
     ["units must be a list of whole numbers", "'big'"]),
    ("arg-unknown-argument", "arguments", "misspelt argument epoch=",
     lambda: kms("genre ~ rating", DF, epoch=3), KmsArgumentError,
     ["unknown argument 'epoch'", "Did you mean 'epochs'"]),
    ("arg-alias-twice", "arguments", "pTraining and p_training together",
     lambda: kms("genre ~ rating", DF, pTraining=0.7, p_training=0.8), KmsArgumentError,
     ["'pTraining' and 'p_training'", "keep one"]),
    ("arg-seed-negative", "arguments", "seed = -1",
     lambda: kms("genre ~ rating", DF, seed=-1, units=(4,), epochs=1), KmsArgumentError,
     ["seed=-1"]),
    ("arg-scale-unknown", "arguments", "scale_continuous = 'zscore'",
     lambda: kms("genre ~ rating", DF, scale_continuous="zscore", **TINY), KmsArgumentError,
     ["scale_continuous='zscore'", "'z', 'zero_one' or None"]),
    ("arg-class-weight", "arguments", "class_weight = 'even'",
     lambda: kms("genre ~ rating", DF, class_weight="even", **TINY), KmsArgumentError,
     ["class_weight='even'", "'balanced'"]),
    ("arg-early-stopping", "arguments", "early_stopping = -2",
     lambda: kms("genre ~ rating", DF, early_stopping=-2, **TINY), KmsArgumentError,
     ["early_stopping=-2", "patience"]),
    ("arg-stop-event", "arguments", "stop_event = True",
     lambda: kms("genre ~ rating", DF, stop_event=True, **TINY), KmsTypeError,
     ["stop_event must be a threading.Event"]),
]

IDS = [c[0] for c in CASES]


def run_case(case) -> str:
    """Run one case; return its message (asserting the type and the one-line rule)."""
    _, _, _, call, expected, culprits = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KmsError) as info:
            call()
    err = info.value
    assert type(err) is expected, f"{type(err).__name__}: {err}"
    message = str(err)
    assert "\n" not in message and message.strip() == message and message
    for culprit in culprits:
        assert culprit in message, f"{culprit!r} not in {message!r}"
    return message


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bad_input_case(case):
    run_case(case)


def test_case_list_is_big_enough_and_ids_unique():
    assert len(CASES) >= 30
    assert len(set(IDS)) == len(IDS)


def test_errors_are_also_standard_exceptions():
    """Callers who catch ValueError/TypeError still catch ours."""
    with pytest.raises(ValueError):
        kms("genre ~ ratng", DF, **TINY)
    with pytest.raises(TypeError):
        kms("genre ~ rating", [1], **TINY)
