"""Fuzzing the formula/design layer (no training): random formula text and random small frames.

Every example either yields a design (X with one row per kept data row, finite values) or raises
one of the package's own errors (KmsError subclasses). Any other exception, or an example slower
than the deadline, fails the test. Bounded example counts keep the whole file well under 60 s.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms_jupyter.core.design import (check_predictor_types, detect_outcome, drop_missing,
                                     fit_design)
from kms_jupyter.core.engine import _check_frame
from kms_jupyter.core.formula import parse_formula, quote_name
from kms_jupyter.errors import KmsError

XSS = "<img src=x onerror=alert(1)>"
ODD_NAMES = ["y", "x", "g", "a b", XSS, '"; alert(1)//', "1", "0", "x.y", "é", "np", "C", "top",
             "log", "I", "genre", "x1", "1x", "~", "+", "-", "(", "a:b", "a`b", "", " ", "None",
             "__class__", "{x}", "\\", "\n"]

N_ROWS = 6


def _column(kind: str, draw_values: list) -> pd.Series:
    vals = draw_values
    if kind == "float":
        return pd.Series([v if v is not None else np.nan for v in vals], dtype="float64")
    if kind == "float_inf":
        return pd.Series([np.inf if i == 0 else (v if v is not None else np.nan)
                          for i, v in enumerate(vals)], dtype="float64")
    if kind == "int":
        return pd.Series([int(v or 0) for v in vals], dtype="int64")
    if kind == "Int64":
        return pd.Series([None if v is None else int(v) for v in vals], dtype="Int64")
    if kind == "str":
        return pd.Series([None if v is None else ["a", "b", XSS, '"; x//'][int(abs(v)) % 4]
                          for v in vals], dtype=object)
    if kind == "pdstr":
        return pd.Series([None if v is None else f"L{int(abs(v)) % 3}" for v in vals], dtype="str")
    if kind == "category":
        return pd.Series([None if v is None else f"c{int(abs(v)) % 2}" for v in vals], dtype="category")
    if kind == "bool":
        return pd.Series([bool(int(v or 0) % 2) for v in vals])
    if kind == "datetime":
        return pd.Series(pd.to_datetime([f"2020-01-0{1 + int(abs(v or 0)) % 9}" for v in vals]))
    if kind == "timedelta":
        return pd.Series(pd.to_timedelta([int(v or 0) for v in vals], unit="D"))
    if kind == "mixed":
        return pd.Series([1, "a", 2.5, None, "b", 3][: len(vals)], dtype=object)
    if kind == "objects":
        return pd.Series([{"k": 1}, [1], (1,), None, {1}, object()][: len(vals)], dtype=object)
    if kind == "allna":
        return pd.Series([np.nan] * len(vals), dtype="float64")
    if kind == "const":
        return pd.Series([1.0] * len(vals))
    if kind == "complex":
        return pd.Series([complex(v or 0, 1) for v in vals])
    if kind == "period":
        return pd.Series(pd.period_range("2020-01", periods=len(vals), freq="M"))
    if kind == "interval":
        return pd.Series(pd.arrays.IntervalArray.from_breaks(np.arange(len(vals) + 1)))
    raise AssertionError(kind)


KINDS = ["float", "float_inf", "int", "Int64", "str", "pdstr", "category", "bool", "datetime",
         "timedelta", "mixed", "objects", "allna", "const", "complex", "period", "interval"]

value = st.one_of(st.none(), st.floats(-5, 5, allow_nan=False), st.integers(-3, 3))


@st.composite
def frames(draw, min_rows: int = 0) -> pd.DataFrame:
    n_cols = draw(st.integers(1 if not min_rows else 2, 4))
    names = draw(st.lists(st.sampled_from(ODD_NAMES), min_size=n_cols, max_size=n_cols))
    n_rows = N_ROWS - draw(st.integers(0, N_ROWS - min_rows))  # mostly full frames
    cols = {}
    for i, name in enumerate(names):
        kind = draw(st.sampled_from(KINDS))
        values = draw(st.lists(value, min_size=n_rows, max_size=n_rows))
        cols[i] = _column(kind, values)
    df = pd.DataFrame(cols)
    if draw(st.integers(0, 4)) == 4 and not min_rows:
        df.columns = names  # may hold duplicates: the engine must refuse them by name
    else:
        df.columns = [f"{n}{i}" if n else f"c{i}" for i, n in enumerate(names)]
    return df


def _term(columns: list[str]):
    good = st.sampled_from(columns).map(quote_name)  # a real column, quoted as needed
    odd = st.one_of(st.sampled_from(ODD_NAMES), st.sampled_from(ODD_NAMES).map(lambda s: f"`{s}`"),
                    st.sampled_from(columns))  # unknown names, or real names left unquoted
    atom = st.one_of(good, good, good, odd, st.sampled_from([".", "1", "0", "-1", "2"]))
    call = st.tuples(st.sampled_from(["top", "C", "np.log", "log", "foo", "I", "scale", "center",
                                      "np.exp", "top"]), st.one_of(good, odd),
                     st.sampled_from(["", ", 2", ", 0", ", -1", ", 1.5", ", x", ", 10**9"])
                     ).map(lambda t: f"{t[0]}({t[1]}{t[2]})")
    return st.one_of(atom, atom, call)


@st.composite
def formulas(draw, columns: list[str]) -> str:
    if draw(st.integers(0, 9)) == 9:  # some completely random text
        return draw(st.text(alphabet=st.sampled_from(list("~+-*:/()`.{}[]|^,=!ab1 ")), min_size=1, max_size=20))
    if draw(st.integers(0, 4)) != 4:
        lhs = quote_name(draw(st.sampled_from(columns)))  # mostly a real outcome column
    else:
        lhs = draw(st.one_of(st.just(""), _term(columns)))
    parts = draw(st.lists(_term(columns), min_size=1, max_size=4))
    ops = draw(st.lists(st.sampled_from([" + ", " + ", " + ", " - ", " * ", ":", " / ", " ** 2 ",
                                         " | ", " ~ ", "(", ")"]),
                        min_size=len(parts), max_size=len(parts)))
    rhs = "".join(op + p for op, p in zip(ops, parts)).lstrip(" +")
    tilde = draw(st.sampled_from([" ~ ", "~", " ~ ", " ~ ", " ~ ", " ~~ ", ""]))
    return f"{lhs}{tilde}{rhs}"


def design_stage(text: str, data: pd.DataFrame):
    """What kms() does before any training: frame checks, formula, dtypes, NA, outcome, design."""
    frame = _check_frame(data)
    parsed = parse_formula(text, frame)
    check_predictor_types(frame, parsed.variables)
    frame, _ = drop_missing(frame, parsed.used_columns)
    if len(frame) == 0:
        return None
    detect_outcome(frame[parsed.outcome])
    spec, X = fit_design(parsed, frame, "z")
    assert X.shape == (len(frame), spec.p)
    again = spec.matrix(frame)  # reusing the spec on the same rows gives the same design
    np.testing.assert_array_equal(again, X)
    return spec


FUZZ = settings(max_examples=250, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


@FUZZ
@given(st.data())
def test_formula_and_design_raise_only_kms_errors(data):
    df = data.draw(frames())
    text = data.draw(formulas([str(c) for c in df.columns]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            design_stage(text, df)
        except KmsError as exc:
            message = str(exc).strip()
            assert message and "\n" not in message, repr(message)


@st.composite
def wellformed(draw, columns: list[str]) -> str:
    """outcome ~ terms over real columns (quoted as needed), with '.', C(), top(), np.log(), ':'."""
    outcome = draw(st.sampled_from(columns))
    others = [c for c in columns if c != outcome] or columns
    def term(c: str) -> st.SearchStrategy:
        q = quote_name(c)
        return st.sampled_from([q, q, q, f"C({q})", f"top({q}, 1)", f"np.log({q})", "."])
    cols = draw(st.lists(st.sampled_from(others), min_size=1, max_size=3))
    terms = [draw(term(c)) for c in cols]
    if len(terms) > 1 and draw(st.booleans()):
        terms[-1] = f"{terms[-2]}:{terms[-1]}" if "." not in terms[-2:] else terms[-1]
    return f"{quote_name(outcome)} ~ {' + '.join(terms)}"


@FUZZ
@given(st.data())
def test_wellformed_formulas_on_odd_frames(data):
    df = data.draw(frames(min_rows=3))
    text = data.draw(wellformed([str(c) for c in df.columns]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            design_stage(text, df)
        except KmsError as exc:
            message = str(exc).strip()
            assert message and "\n" not in message, repr(message)


@FUZZ
@given(st.text(max_size=40))
def test_arbitrary_formula_text_on_a_plain_frame(text):
    df = pd.DataFrame({"y": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0],
                       XSS: ["p", "q", "p", "q"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            design_stage(text, df)
        except KmsError:
            pass


def test_the_fuzzer_reaches_both_outcomes():
    """Guard against a generator that only ever produces errors (or never does)."""
    df = pd.DataFrame({"y": ["a", "b", "a", "b"], "a b": [1.0, 2.0, 3.0, 4.0], XSS: list("pqpq")})
    assert design_stage(f"y ~ `a b` + `{XSS}`", df).p == 3
    try:
        design_stage("y ~ (", df)
    except KmsError:
        pass
    else:
        raise AssertionError("an unbalanced formula passed")
