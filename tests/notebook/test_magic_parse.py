"""Pure tests of the %%kms line/body parser (no IPython shell, no TensorFlow)."""

import sys

import pytest

from kms_jupyter.errors import KmsArgumentError
from kms_jupyter.notebook.magic_parse import (
    MagicArgumentError,
    check_arg_names,
    closest,
    evaluate_body,
    outcome_names,
    parse_body,
    parse_line,
)


# ---------------------------------------------------------------- line


def test_vignette_line_keeps_leading_dashes_in_formula():
    o = parse_line("-o out1 genre ~ . -director -title")
    assert o.out == "out1"
    assert o.formula == "genre ~ . -director -title"
    assert o.live and not o.quiet and o.data is None


def test_formula_only():
    o = parse_line("  genre ~ rating + votes  ")
    assert o.formula == "genre ~ rating + votes"
    assert o.out is None


@pytest.mark.parametrize(
    "line",
    [
        "--out out1 --data movies --quiet genre ~ .",
        "--out=out1 --data=movies -q genre ~ .",
        "-o out1 --quiet --data movies genre ~ .",
    ],
)
def test_option_spellings(line):
    o = parse_line(line)
    assert (o.out, o.data, o.quiet, o.formula) == ("out1", "movies", True, "genre ~ .")
    assert not o.live


def test_no_live_and_data_expression():
    o = parse_line("--no-live --data movies.head(300) genre ~ rating")
    assert o.no_live and not o.quiet and not o.live
    assert o.data == "movies.head(300)"


def test_formula_text_kept_verbatim():
    o = parse_line("-o m `my col` ~ `other  col` + x -y")
    assert o.formula == "`my col` ~ `other  col` + x -y"


def test_options_after_formula_are_formula():
    o = parse_line("genre ~ . -o out1")
    assert o.out is None and o.formula == "genre ~ . -o out1"


@pytest.mark.parametrize(
    "line, culprit, hint",
    [
        ("--epochs 3 genre ~ .", "--epochs", "epochs = ..."),
        ("--ot out1 genre ~ .", "--ot", "--out"),
        ("-x genre ~ .", "-x", "before the formula"),
        ("--quite genre ~ .", "--quite", "--quiet"),
    ],
)
def test_unknown_option(line, culprit, hint):
    with pytest.raises(MagicArgumentError) as ei:
        parse_line(line)
    msg = str(ei.value)
    assert culprit in msg and hint in msg and "\n" not in msg


@pytest.mark.parametrize(
    "line, culprit",
    [
        ("-o", "-o"),
        ("-o --quiet genre ~ .", "-o"),
        ("--data", "--data"),
        ("--out= genre ~ x", "--out"),
        ("-o 1bad genre ~ .", "1bad"),
        ("-o class genre ~ .", "class"),
        ("-o a -o b y ~ x", "twice"),
        ("--quiet=yes y ~ x", "--quiet=yes"),
    ],
)
def test_bad_option_values(line, culprit):
    with pytest.raises(MagicArgumentError, match=None) as ei:
        parse_line(line)
    assert culprit in str(ei.value)


def test_missing_formula():
    with pytest.raises(MagicArgumentError, match="needs a formula"):
        parse_line("-o out1")
    with pytest.raises(MagicArgumentError, match="needs a formula"):
        parse_line("")


def test_formula_without_tilde():
    with pytest.raises(MagicArgumentError, match=r"'genre \+ rating' is not a formula"):
        parse_line("genre + rating")


def test_output_name_swallowing_the_outcome_is_explained():
    with pytest.raises(MagicArgumentError) as ei:
        parse_line("-o genre ~ .")
    msg = str(ei.value)
    assert "no outcome" in msg and "'genre'" in msg and "-o NAME" in msg


def test_code_option_is_line_magic_only():
    o = parse_line("--code out1", cell=False)
    assert o.code and o.code_target == "out1"
    assert parse_line("--code", cell=False).code_target == "_kms"
    with pytest.raises(MagicArgumentError, match="line magic"):
        parse_line("--code out1 genre ~ .", cell=True)
    with pytest.raises(MagicArgumentError, match="only the name"):
        parse_line("--code -o x", cell=False)
    with pytest.raises(MagicArgumentError, match="'a b'"):
        parse_line("--code a b", cell=False)


def test_error_type_is_package_error():
    assert issubclass(MagicArgumentError, KmsArgumentError)
    assert issubclass(MagicArgumentError, ValueError)


def test_parsing_does_not_import_tensorflow():
    import subprocess
    from pathlib import Path

    code = (
        "import sys; import kms_jupyter.notebook.magic_parse as m; "
        "m.parse_line('-o a y ~ x'); m.parse_body('a = 1');"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'"
    )
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- outcome names


@pytest.mark.parametrize(
    "formula, names",
    [
        ("genre ~ .", ["genre"]),
        ("`my col` ~ x", ["my col"]),
        ("log(gross) ~ budget", ["log", "gross"]),
    ],
)
def test_outcome_names(formula, names):
    assert outcome_names(formula) == names


# ---------------------------------------------------------------- body


VIGNETTE_BODY = """seed = 12345
activation = "relu"
use_bias = False
kernel_regularizer = None
"""


def test_vignette_body():
    args = parse_body(VIGNETTE_BODY)
    assert [a.name for a in args] == ["seed", "activation", "use_bias", "kernel_regularizer"]
    assert evaluate_body(args, {}) == {
        "seed": 12345,
        "activation": "relu",
        "use_bias": False,
        "kernel_regularizer": None,
    }


def test_body_comments_blank_lines_multiline_and_namespace():
    body = """
# a comment

units = [
    n_units,   # from the notebook
    16,
]
epochs = 2  # trailing comment
"""
    args = parse_body(body)
    assert [(a.name, a.lineno) for a in args] == [("units", 4), ("epochs", 8)]
    assert evaluate_body(args, {"n_units": 32}) == {"units": [32, 16], "epochs": 2}


def test_empty_and_comment_only_body():
    assert parse_body("") == []
    assert parse_body("# just a comment\n\n") == []


@pytest.mark.parametrize(
    "body, lineno, culprit",
    [
        ("epochs = 2\nprint(epochs)\n", 2, "print(epochs)"),
        ("epochs += 2\n", 1, "epochs += 2"),
        ("a = b = 2\n", 1, "a = b = 2"),
        ("a, b = 1, 2\n", 1, "a, b = 1, 2"),
        ("x.y = 1\n", 1, "x.y = 1"),
        ("import os\n", 1, "import os"),
        ("epochs: int = 3\n", 1, "epochs: int = 3"),
    ],
)
def test_body_statement_not_an_assignment(body, lineno, culprit):
    with pytest.raises(MagicArgumentError) as ei:
        parse_body(body)
    msg = str(ei.value)
    assert f"line {lineno}" in msg and culprit in msg and "\n" not in msg


def test_body_syntax_error_names_line():
    with pytest.raises(MagicArgumentError) as ei:
        parse_body("seed = 1\nepochs = = 3\n")
    msg = str(ei.value)
    assert "line 2" in msg and "epochs = = 3" in msg and "syntax error" in msg


def test_body_duplicate_name():
    with pytest.raises(MagicArgumentError, match="'seed' is already set on line 1"):
        parse_body("seed = 1\nseed = 2\n")


def test_unknown_argument_name_suggests_closest():
    args = parse_body("seed = 1\nepocs = 3\n")
    with pytest.raises(MagicArgumentError) as ei:
        check_arg_names(args, ["seed", "epochs", "units"])
    msg = str(ei.value)
    assert "line 2" in msg and "'epocs'" in msg and "'epochs'" in msg


def test_undefined_name_in_body_suggests_closest():
    args = parse_body("units = [n_unit, 8]\n")
    with pytest.raises(MagicArgumentError) as ei:
        evaluate_body(args, {"n_units": 3, "_hidden": 1})
    msg = str(ei.value)
    assert "'n_unit' is not defined" in msg and "'n_units'" in msg and "line 1" in msg


def test_body_expression_error_is_one_line():
    args = parse_body("epochs = 1 / 0\n")
    with pytest.raises(MagicArgumentError) as ei:
        evaluate_body(args, {})
    msg = str(ei.value)
    assert "ZeroDivisionError" in msg and "epochs = 1 / 0" in msg and "\n" not in msg


def test_closest():
    assert closest("genr", ["genre", "rating"]) == "genre"
    assert closest("GENRE", ["genre"]) == "genre"
    assert closest("zzz", ["genre"]) is None
