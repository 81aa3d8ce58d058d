import numpy as np
import pandas as pd
import pytest

from kms_jupyter.core.design import (Scaler, detect_outcome, drop_missing, fit_design, split_rows)
from kms_jupyter.core.formula import parse_formula
from kms_jupyter.errors import KmsDataError


@pytest.mark.parametrize("values, expected", [
    ([1.5, 2.5, 3.5, 4.0], "continuous"),
    ([0, 1, 1, 0], "binary"),
    (["yes", "no", "no"], "binary"),
    ([True, False, True], "binary"),
    (["a", "b", "c"], "multiclass"),
    ([1, 2, 3, 1], "continuous"),  # numeric with more than two values is continuous, as in kerasformula
])
def test_outcome_type_detection(values, expected):
    assert detect_outcome(pd.Series(values, name="y")).y_type == expected


def test_single_class_outcome_is_refused():
    with pytest.raises(KmsDataError, match="single class"):
        detect_outcome(pd.Series(["a", "a", None], name="y"))


def test_missing_rows_are_dropped_for_x_and_y_together():
    df = pd.DataFrame({"y": ["a", None, "b", "a"], "x": [1.0, 2.0, np.nan, 4.0], "unused": [None] * 4})
    kept, dropped = drop_missing(df, ["y", "x"])
    assert dropped == 2
    assert list(kept.index) == [0, 3]  # original labels kept, so predictions line up with rows


@pytest.mark.parametrize("n, p", [(2961, 0.8), (100, 0.75), (7, 0.5), (10, 1.0), (33, 0.9)])
def test_split_has_exactly_round_test_rows(n, p):
    train, test = split_rows(n, p, seed=1)
    assert len(test) == round((1 - p) * n)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(n))


def test_stratified_split_keeps_class_shares_and_singletons_train(movies):
    codes = detect_outcome(movies.genre).encode(movies.genre)
    train, test = split_rows(len(movies), 0.8, seed=12345, codes=codes)
    assert len(test) == round(0.2 * len(movies)) == 592
    labels = movies.genre.to_numpy()
    assert "Thriller" not in set(labels[test])  # the single Thriller cannot be split: it trains
    share_all = pd.Series(labels).value_counts(normalize=True)
    share_test = pd.Series(labels[test]).value_counts(normalize=True)
    for genre in ("Comedy", "Action", "Drama"):
        assert abs(share_all[genre] - share_test[genre]) < 0.01


def test_split_is_reproducible_and_seed_dependent():
    a = split_rows(50, 0.8, seed=3)[1]
    assert np.array_equal(a, split_rows(50, 0.8, seed=3)[1])
    assert not np.array_equal(a, split_rows(50, 0.8, seed=4)[1])


def test_scaling_uses_training_statistics_only():
    train = pd.DataFrame({"y": ["a", "b"] * 5, "x": np.arange(10.0), "flag": [0, 1] * 5,
                          "const": [7.0] * 10})
    design, X = fit_design(parse_formula("y ~ x + flag + const", train), train, "z")
    col = design.columns.index("x")
    assert abs(X[:, col].mean()) < 1e-6 and abs(X[:, col].std() - 1) < 1e-6
    # new data is scaled with the *training* mean/sd, not its own
    new = pd.DataFrame({"x": [100.0, 100.0], "flag": [1, 0], "const": [7.0, 7.0]})
    Xn = design.matrix(new)
    expected = (100 - 4.5) / np.arange(10.0).std()
    np.testing.assert_allclose(Xn[:, col], [expected, expected], rtol=1e-5)
    # two-valued columns (dummies, flags) are not scaled; constant columns never divide by zero
    np.testing.assert_array_equal(Xn[:, design.columns.index("flag")], [1, 0])
    assert np.isfinite(Xn).all()


def test_zero_one_scaling():
    X = np.array([[0.0, 5.0], [5.0, 5.0], [10.0, 5.0]])
    s = Scaler.fit(X, "zero_one")
    np.testing.assert_allclose(s.transform(X)[:, 0], [0, 0.5, 1])
    np.testing.assert_allclose(s.transform(X)[:, 1], [5, 5, 5])  # constant: left alone


def test_unseen_levels_are_reported_and_not_encoded_as_a_known_level():
    train = pd.DataFrame({"y": ["a", "b", "a", "b"], "g": ["p", "q", "r", "p"]})
    design, _ = fit_design(parse_formula("y ~ g", train), train, None)
    new = pd.DataFrame({"g": ["p", "zz", "zz"]})
    assert design.unseen_levels(new)["g"].to_dict() == {"zz": 2}
    Xn = design.matrix(new)
    assert Xn[0].sum() == 1 and Xn[1].sum() == 0  # all-zero: no known level shares this row
