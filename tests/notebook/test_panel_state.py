"""The panel's pure logic, without widgets or TensorFlow."""
from __future__ import annotations

import pandas as pd
import pytest

from kms_jupyter.errors import KmsArgumentError
from kms_jupyter.notebook import panel_state as ps
from kms_jupyter.notebook.magic_parse import evaluate_body, parse_body, parse_line

COLUMNS = ["title", "genre", "director", "year", "duration", "gross", "budget", "votes",
           "rating", "my col"]


def state(**kw) -> ps.PanelState:
    kw.setdefault("formula", "genre ~ . - title")
    return ps.PanelState(**kw)


# --------------------------------------------------------------------------- state -> kwargs
def test_kwargs_from_default_state():
    formula, kwargs = ps.state_to_kwargs(state())
    assert formula == "genre ~ . - title"
    assert kwargs == {"units": (64, 32), "activation": "relu", "dropout": 0.4, "epochs": 15,
                      "batch_size": 32, "optimizer": "adam", "scale_continuous": "z",
                      "p_training": 0.8, "validation_split": 0.2, "seed": 12345}


def test_kwargs_per_layer_lists_only_when_layers_differ():
    s = state(layers=[ps.LayerState(128, "relu", 0.5), ps.LayerState(16, "tanh", 0.1)])
    _, kwargs = ps.state_to_kwargs(s)
    assert kwargs["units"] == (128, 16)
    assert kwargs["activation"] == ["relu", "tanh"]
    assert kwargs["dropout"] == [0.5, 0.1]


def test_kwargs_optional_settings():
    s = state(learning_rate=0.003, kernel_regularizer="l2", activity_regularizer="l1",
              class_weight="balanced", early_stopping=4, seed=None, scale_continuous=None,
              optimizer="sgd")
    _, kwargs = ps.state_to_kwargs(s)
    assert kwargs["optimizer_args"] == {"learning_rate": 0.003}
    assert kwargs["kernel_regularizer"] == "l2"
    assert kwargs["activity_regularizer"] == "l1"
    assert kwargs["class_weight"] == "balanced"
    assert kwargs["early_stopping"] == 4
    assert kwargs["seed"] is None
    assert kwargs["scale_continuous"] is None
    assert kwargs["optimizer"] == "sgd"


def test_kwargs_are_accepted_by_the_engine_argument_check():
    from kms_jupyter.core.arguments import resolve_arguments

    s = state(learning_rate=0.01, kernel_regularizer="l1_l2", class_weight="balanced",
              early_stopping=2, layers=[ps.LayerState(8, "elu", 0.0), ps.LayerState(4, "relu", 0.2)])
    _, kwargs = ps.state_to_kwargs(s)
    resolved = resolve_arguments(kwargs)
    assert resolved["units"] == (8, 4) and resolved["early_stopping"] == 2


@pytest.mark.parametrize("change, culprit", [
    ({"formula": "  "}, "formula is empty"),
    ({"layers": []}, "no hidden layer"),
    ({"epochs": 0}, "epochs=0"),
    ({"batch_size": 2.5}, "batch size=2.5"),
    ({"learning_rate": -1.0}, "learning rate -1.0"),
    ({"seed": -3}, "seed=-3"),
    ({"early_stopping": -1}, "early stopping patience=-1"),
    ({"layers": [ps.LayerState(0, "relu", 0.1)]}, "layer 1 units=0"),
])
def test_kwargs_errors_name_the_setting(change, culprit):
    with pytest.raises(KmsArgumentError, match=culprit.replace("(", r"\(").replace("?", r"\?")
                       .replace(".", r"\.")):
        ps.state_to_kwargs(state(**change))


def test_state_copy_is_deep_for_layers():
    a = state()
    b = a.copy()
    b.layers[0].units = 999
    assert a.layers[0].units == 64


# --------------------------------------------------------------------------- defaults
def test_default_outcome_and_formula_on_movies_like():
    from kms_jupyter.datasets import movies_like

    df = movies_like(n=300, seed=0)
    outcome = ps.default_outcome(df)
    assert outcome == "genre"
    assert ps.default_formula(df, outcome) == "genre ~ . - title"


def test_default_outcome_falls_back_to_a_numeric_column_with_few_values():
    df = pd.DataFrame({"x": [0.1 * i for i in range(100)], "y": [i % 3 for i in range(100)]})
    assert ps.default_outcome(df) == "y"


def test_default_formula_quotes_odd_names():
    df = pd.DataFrame({"my class": ["a", "b"] * 20, "x": range(40)})
    assert ps.default_formula(df, "my class") == "`my class` ~ ."


# --------------------------------------------------------------------------- formula <-> picker
def test_split_and_terms():
    assert ps.split_formula("genre ~ . - title") == ("genre", ". - title")
    assert ps.split_formula("genre") is None
    assert ps.formula_terms(". - title + top(director, 5) - `my col`") == [
        ("+", "."), ("-", "title"), ("+", "top(director, 5)"), ("-", "`my col`")]
    assert ps.formula_terms("- 1 + log(votes + 1)") == [("-", "1"), ("+", "log(votes + 1)")]


def test_selected_predictors_with_dot_and_exclusions():
    assert ps.selected_predictors("genre ~ . - title - director", COLUMNS) == [
        "year", "duration", "gross", "budget", "votes", "rating", "my col"]
    assert ps.selected_predictors("genre ~ year + top(director, 3) + log(votes)", COLUMNS) == [
        "director", "year", "votes"]
    assert ps.selected_predictors("genre ~ `my col` + rating", COLUMNS) == ["rating", "my col"]
    assert ps.selected_predictors("genre ~ ", COLUMNS) == []
    assert ps.selected_predictors("genre", COLUMNS) is None


def test_apply_selection_with_dot_adds_and_removes_exclusions():
    f = "genre ~ . - title"
    now = ps.selected_predictors(f, COLUMNS)
    f2 = ps.apply_selection(f, COLUMNS, [c for c in now if c not in ("year", "my col")])
    assert f2 == "genre ~ . - title - year - `my col`"
    f3 = ps.apply_selection(f2, COLUMNS, ps.selected_predictors(f2, COLUMNS) + ["title", "year"])
    assert f3 == "genre ~ . - `my col`"


def test_apply_selection_without_dot_keeps_function_terms():
    f = "genre ~ top(director, 5) + year"
    assert ps.apply_selection(f, COLUMNS, ["director", "year", "rating"]) == \
        "genre ~ top(director, 5) + year + rating"
    assert ps.apply_selection(f, COLUMNS, ["rating"]) == "genre ~ rating"
    assert ps.apply_selection(f, COLUMNS, []) == "genre ~"


def test_apply_selection_round_trips_every_subset_it_is_given():
    f = "genre ~ . - title"
    for chosen in (["year"], ["votes", "my col"], [c for c in COLUMNS if c != "genre"], []):
        edited = ps.apply_selection(f, COLUMNS, chosen)
        assert ps.selected_predictors(edited, COLUMNS) == [c for c in COLUMNS if c in chosen]


def test_replace_outcome():
    assert ps.replace_outcome("genre ~ . - title - rating", "rating", COLUMNS) == "rating ~ . - title"
    assert ps.replace_outcome("genre ~ year + rating", "rating", COLUMNS) == "rating ~ year"
    assert ps.replace_outcome("nonsense", "my col", COLUMNS) == "`my col` ~ ."


# --------------------------------------------------------------------------- sweep
def test_parse_sweep_values():
    assert ps.parse_sweep_values("0.2, 0.4, 0.6") == [0.2, 0.4, 0.6]
    assert ps.parse_sweep_values("relu, tanh") == ["relu", "tanh"]
    assert ps.parse_sweep_values("'relu', 'elu'") == ["relu", "elu"]
    assert ps.parse_sweep_values("(64, 32), (16,)") == [(64, 32), (16,)]
    assert ps.parse_sweep_values("l1, None") == ["l1", None]
    with pytest.raises(KmsArgumentError, match="no values"):
        ps.parse_sweep_values("  ")
    with pytest.raises(KmsArgumentError, match="empty entry"):
        ps.parse_sweep_values("relu,, tanh")


def test_expand_sweep_over_dropout_sets_every_layer():
    runs = ps.expand_sweep(state(), "dropout", "0.2, 0.4, 0.6")
    assert [[l.dropout for l in s.layers] for s in runs] == [[0.2, 0.2], [0.4, 0.4], [0.6, 0.6]]
    assert [ps.state_to_kwargs(s)[1]["dropout"] for s in runs] == [0.2, 0.4, 0.6]


def test_expand_sweep_units_tuple_sets_the_layer_count():
    runs = ps.expand_sweep(state(), "units", [(128, 64, 32), 16])
    assert [ps.state_to_kwargs(s)[1]["units"] for s in runs] == [(128, 64, 32), (16, 16)]


def test_expand_sweep_scalar_settings_and_base_untouched():
    base = state()
    runs = ps.expand_sweep(base, "learning_rate", [0.1, 0.01])
    assert [ps.state_to_kwargs(s)[1]["optimizer_args"] for s in runs] == [
        {"learning_rate": 0.1}, {"learning_rate": 0.01}]
    assert base.learning_rate is None
    assert [s.seed for s in ps.expand_sweep(base, "seed", "1, 2")] == [1, 2]


def test_expand_sweep_rejects_unknown_setting_and_bad_values():
    with pytest.raises(KmsArgumentError, match="Did you mean 'dropout'"):
        ps.expand_sweep(state(), "dropuot", "0.1")
    with pytest.raises(KmsArgumentError, match="epochs=0"):
        ps.expand_sweep(state(), "epochs", "5, 0")


# --------------------------------------------------------------------------- leaderboard
class FakeFit:
    """A record with the attributes a KmsFit has (the leaderboard reads only these)."""

    def __init__(self, **kw):
        self.formula = kw.get("formula", "genre ~ .")
        self.history = kw.get("history")
        self.evaluations = kw.get("evaluations", {"accuracy": 0.5})
        self.y_type = kw.get("y_type", "multiclass")
        self.epochs = kw.get("epochs", 4)
        self.partial = kw.get("partial", False)
        self.partial_reason = kw.get("partial_reason")
        self.duration_s = kw.get("duration_s", 1.25)
        self.seed = 7
        self.args = kw.get("args", {"units": [8], "activation": "relu", "dropout": 0.4,
                                    "batch_size": 32, "optimizer": "adam", "optimizer_args": None,
                                    "scale_continuous": "z"})


def hist(loss, val_loss):
    return pd.DataFrame({"loss": loss, "val_loss": val_loss},
                        index=pd.RangeIndex(1, len(loss) + 1, name="epoch"))


def test_leaderboard_row_values():
    fit = FakeFit(history=hist([1.0, 0.8, 0.6, 0.5], [1.1, 0.9, 0.85, 0.86]),
                  evaluations={"accuracy": 0.625})
    row = ps.leaderboard_row(2, fit)
    assert row["run"] == "run3"
    assert row["score_name"] == "accuracy" and row["score"] == 0.625
    assert row["best_val_loss"] == 0.85
    assert row["gap"] == pytest.approx(0.36)
    assert row["overfit"] is True  # gap 0.36 > 25 % of 0.5
    assert row["epochs_run"] == 4 and row["epochs_planned"] == 4
    assert row["settings"] == "units 8 · relu · drop 0.4 · bs 32 · adam"


def test_leaderboard_regression_uses_rmse_and_partial_runs():
    fit = FakeFit(y_type="continuous", evaluations={"mse": 4.0, "mae": 1.5},
                  history=hist([1.0, 0.9], [1.0, 0.95]), epochs=10, partial=True,
                  partial_reason="stopped")
    row = ps.leaderboard_row(0, fit)
    assert row["score_name"] == "RMSE" and row["score"] == 2.0
    assert row["partial"] and row["epochs_run"] == 2 and row["epochs_planned"] == 10
    assert row["overfit"] is False
    table = ps.leaderboard_html([row])
    assert "2/10 (stopped)" in table and "RMSE 2.000" in table


def test_overfitting_flags_a_rising_validation_loss():
    gap, flag = ps.overfitting(hist([1.0, 0.9, 0.8, 0.7, 0.6], [0.9, 0.8, 0.85, 0.9, 0.95]))
    assert flag and gap == pytest.approx(0.35)
    assert ps.overfitting(hist([1.0, 0.9, 0.8], [0.95, 0.88, 0.82]))[1] is False
    assert ps.overfitting(None) == (None, False)
    assert ps.overfitting(pd.DataFrame({"loss": [1.0]})) == (None, False)


def test_leaderboard_html_escapes_everything():
    evil = "<img src=x onerror=alert(1)>"
    fit = FakeFit(formula=f"`{evil}` ~ .", history=hist([1.0], [1.0]),
                  args={"units": [8], "activation": evil, "dropout": 0.1, "batch_size": 1,
                        "optimizer": "adam", "scale_continuous": "z"})
    table = ps.leaderboard_html([ps.leaderboard_row(0, fit)], selected=[0])
    assert "<img" not in table
    assert "&lt;img src=x onerror=alert(1)&gt;" in table
    assert "background:#e3f2fd" in table  # the selected row is highlighted
    assert "No runs yet" in ps.leaderboard_html([])


# --------------------------------------------------------------------------- copy as %%kms
def test_kms_cell_text_round_trips_through_the_magic_parser():
    s = state(formula="genre ~ . - title - `my col`", learning_rate=0.01, class_weight="balanced",
              layers=[ps.LayerState(16, "tanh", 0.2), ps.LayerState(8, "relu", 0.1)])
    formula, kwargs = ps.state_to_kwargs(s)
    text = ps.kms_cell_text(formula, kwargs, out="run2", data_name="movies")
    first, _, body = text.partition("\n")
    opts = parse_line(first[len("%%kms"):], cell=True)
    assert (opts.out, opts.data, opts.formula) == ("run2", "movies", formula)
    values = evaluate_body(parse_body(body), {})
    expected = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    assert values == expected


def test_kms_cell_text_without_options():
    text = ps.kms_cell_text("y ~ x", {"epochs": 2, "stop_event": object()})
    assert text == "%%kms y ~ x\nepochs = 2\n"
