import numpy as np
import pandas as pd
import pytest

from kms_jupyter.core.design import fit_design
from kms_jupyter.core.formula import parse_formula
from kms_jupyter.errors import KmsFormulaError, KmsTypeError


@pytest.fixture()
def frame():
    return pd.DataFrame({
        "genre": ["a", "b", "a", "c", "b", "a"] * 5,
        "director": ["x", "x", "x", "y", "y", "z"] * 5,
        "year": [1990, 1991, 1992, 1993, 1994, 1995] * 5,
        "votes": np.arange(30) + 1.0,
        "title": [f"t{i}" for i in range(30)],
        "odd name": np.linspace(0, 1, 30),
    })


def test_dot_expands_to_all_other_columns_minus_exclusions(frame):
    parsed = parse_formula("genre ~ . - director - title", frame)
    assert parsed.outcome == "genre"
    assert parsed.variables == ("year", "votes", "odd name")


def test_dot_never_includes_the_outcome_in_the_design(frame):
    parsed = parse_formula("genre ~ . - title", frame)
    design, X = fit_design(parsed, frame, "z")
    assert not any(c.startswith("genre") for c in design.columns)
    assert "Intercept" not in design.columns
    assert X.shape == (30, len(design.columns))


def test_transforms_interactions_and_quoted_names(frame):
    parsed = parse_formula("genre ~ np.log(votes) + C(year) + votes:`odd name`", frame)
    design, X = fit_design(parsed, frame, None)
    assert "np.log(votes)" in design.columns
    assert sum(c.startswith("C(year)") for c in design.columns) == 6  # all levels kept
    np.testing.assert_allclose(X[:, design.columns.index("np.log(votes)")], np.log(frame.votes), rtol=1e-6)
    assert any(":" in c for c in design.columns)


def test_top_keeps_n_most_frequent_training_levels_and_lumps_the_rest(frame):
    parsed = parse_formula("genre ~ top(director, 1) + votes", frame)
    design, X = fit_design(parsed, frame, None)
    top_cols = [c for c in design.columns if c.startswith("top(")]
    assert top_cols == ["top(director, 1)[x]", "top(director, 1)[other]"]
    new = pd.DataFrame({"director": ["y", "never-seen", "x"], "votes": [1.0, 2.0, 3.0]})
    Xn = design.matrix(new)
    idx = [design.columns.index(c) for c in top_cols]
    np.testing.assert_array_equal(Xn[:, idx], [[0, 1], [0, 1], [1, 0]])
    # a column used only through top() has no 'unseen level' problem: they become "other"
    assert design.unseen_levels(new) == {}


def test_top_ties_are_broken_by_label_not_row_order():
    df = pd.DataFrame({"y": ["a", "b"] * 4, "d": ["q", "p", "q", "p", "r", "s", "t", "u"]})
    first, _ = fit_design(parse_formula("y ~ top(d, 1)", df), df, None)
    shuffled, _ = fit_design(parse_formula("y ~ top(d, 1)", df), df.iloc[::-1], None)
    assert first.columns == shuffled.columns == ["top(d, 1)[p]", "top(d, 1)[other]"]


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("genre", "no '~'"),
    ("genre ~ votes ~ year", "2 '~'"),
    ("genre ~ vots", "Did you mean 'votes'"),
    ("genre ~ genre + votes", "also appears right of '~'"),
    ("genre ~ (votes + year", "not closed"),
    ("genre ~ votes)", "no matching '('"),
    ("genre ~ frobnicate(votes)", "unknown function frobnicate"),
    ("genre ~ top(director, 0)", "at least 1"),
    ("genre ~ top(votes, 3)", "'votes' is numeric"),
    ("genr ~ votes", "Did you mean 'genre'"),
    ("genre ~ 1", "no predictor columns"),
    (" ~ votes", "no outcome"),
    ("genre ~ ", "no predictors"),
])
def test_bad_formulas_name_the_culprit(frame, text, fragment):
    with pytest.raises(KmsFormulaError, match=None) as info:
        parse_formula(text, frame)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_formula_must_be_text(frame):
    with pytest.raises(KmsTypeError):
        parse_formula(42, frame)
