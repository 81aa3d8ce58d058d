"""FormulaEditor (kernel side) and its front-end bundle.

The front end itself is tested with vitest in js/tests; here: the traits, the Python-side
validation, that the Python and JS checks agree, and that the committed bundle in
kms_jupyter/static is what js/src builds to.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kms_jupyter.notebook import formula_check as fc
from kms_jupyter.notebook.formula_editor import BUNDLE, DEFAULT_PLACEHOLDER, FormulaEditor

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "js"
COLS = ["title", "genre", "director", "year", "duration", "gross", "budget", "rating", "odd name"]
XSS = "<img src=x onerror=alert(1)>"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the formula editor's JS checks need Node 20+ (then run `make js`)")
    return node


# ---------------------------------------------------------------- traits


def test_trait_defaults():
    ed = FormulaEditor()
    assert ed.value == ""
    assert ed.columns == []
    assert ed.errors == []
    assert ed.checked == ""
    assert ed.submit_count == 0
    assert ed.placeholder == DEFAULT_PLACEHOLDER
    state = ed.get_state()
    for name in ("value", "columns", "errors", "checked", "submit_count", "placeholder", "_esm"):
        assert name in state, name
    assert state["_esm"] == BUNDLE.read_text(encoding="utf-8")


def test_columns_are_strings_and_from_frame():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1], 2: [3], XSS: ["x"]})
    ed = FormulaEditor.from_frame(df, value="a ~ .")
    assert ed.columns == ["a", "2", XSS]
    assert ed.value == "a ~ ."
    ed.columns = ["x", 5]
    assert ed.columns == ["x", "5"]


def test_errors_follow_value_and_columns():
    ed = FormulaEditor(columns=COLS, value="genre ~ directr + year")
    assert ed.checked == "genre ~ directr + year"
    assert ed.errors == [{
        "start": 8, "end": 15,
        "message": "unknown column 'directr'; did you mean 'director'?",
        "suggestion": "director", "replacement": "director",
    }]
    ed.value = "genre ~ director + year"
    assert ed.errors == []
    assert ed.checked == "genre ~ director + year"
    ed.value = "genre ~ newcol"
    assert [e["start"] for e in ed.errors] == [8]
    ed.columns = COLS + ["newcol"]
    assert ed.errors == []


def test_blank_value_has_no_errors():
    ed = FormulaEditor(columns=COLS, value="   ")
    assert ed.errors == []
    assert ed.validate("") == []


def test_validate_method_defaults_and_arguments():
    ed = FormulaEditor(columns=COLS, value="genre ~ yaer")
    assert ed.validate()[0]["suggestion"] == "year"
    problems = ed.validate("y ~ a + b", columns=["y", "a"])
    assert [(p["start"], p["end"]) for p in problems] == [(8, 9)]


def test_on_submit_calls_back_with_formula():
    ed = FormulaEditor(columns=COLS, value="genre ~ .")
    got = []
    ed.on_submit(got.append)
    ed.on_submit(got.append)  # registered once
    ed.submit_count += 1
    ed.value = "genre ~ . - title"
    ed.submit_count += 1
    assert got == ["genre ~ .", "genre ~ . - title"]
    ed.on_submit(got.append, remove=True)
    ed.submit_count += 1
    assert len(got) == 2


def test_importing_the_editor_does_not_import_tensorflow():
    code = ("import sys, kms_jupyter.notebook.formula_editor as m; m.FormulaEditor(columns=['a'], value='a ~ b');"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------- check_formula


def spans(formula, columns=COLS):
    return [(formula[p["start"]:p["end"]], p["message"], p["suggestion"]) for p in fc.check_formula(formula, columns)]


@pytest.mark.parametrize("formula", [
    "genre ~ .",
    "genre ~ . - director - title",
    "genre ~ top(director, 50) + np.log(gross) + C(year) + `odd name`",
    "genre ~ top(director, n = 5)",
    "genre ~ year:duration + year*gross + I(budget ** 2)",
    "np.log(gross) ~ . - genre",
    "genre ~ . - genre",
])
def test_valid_formulas(formula):
    assert fc.check_formula(formula, COLS) == []


def test_unknown_column_with_suggestion_and_span():
    [(text, msg, sug)] = spans("genre ~ directr + year")
    assert (text, sug) == ("directr", "director")
    assert "did you mean 'director'" in msg


def test_unknown_column_without_close_match_lists_columns():
    [(text, msg, sug)] = spans("genre ~ zzzz")
    assert text == "zzzz" and sug is None
    assert "columns are: title, genre, director" in msg


def test_case_insensitive_match_wins():
    assert spans("genre ~ YEAR")[0][2] == "year"


def test_quoted_names():
    [p] = fc.check_formula("genre ~ `odd nam`", COLS)
    assert (p["start"], p["end"], p["suggestion"], p["replacement"]) == (8, 17, "odd name", "`odd name`")


def test_outcome_is_checked():
    assert spans("genr ~ .")[0][:1] == ("genr",)


def test_tilde_rules():
    [(text, msg, _)] = spans("genre + year")
    assert text == "genre + year" and "no '~'" in msg
    [(text, msg, _)] = spans("genre ~ year ~ title")
    assert text == "~" and "more than one" in msg


def test_parentheses():
    [(text, msg, _)] = spans("genre ~ top(director, 5")
    assert text == "top(" and "never closed" in msg
    [(text, msg, _)] = spans("genre ~ year)")
    assert text == ")" and "without a matching" in msg


@pytest.mark.parametrize("formula, culprit", [
    ("genre ~ top(director, 0)", "0"),
    ("genre ~ top(director, -3)", "-3"),
    ("genre ~ top(director, 2.5)", "2.5"),
    ("genre ~ top(director, n = x)", "n = x"),
])
def test_top_count_must_be_positive_whole(formula, culprit):
    [(text, msg, _)] = spans(formula)
    assert text == culprit
    assert "whole number above 0" in msg and f"got '{culprit}'" in msg


def test_top_needs_two_arguments():
    [(text, msg, _)] = spans("genre ~ top(director)")
    assert text == "top(director)" and "top(column, n)" in msg


def test_unknown_function():
    problems = spans("genre ~ tpo(director, 5)")
    assert problems[0][0] == "tpo" and problems[0][2] == "top"


def test_outcome_repeated_on_right_side():
    [(text, msg, _)] = spans("genre ~ year + genre")
    assert text == "genre" and "also a predictor" in msg


def test_unclosed_quote_and_stray_character():
    assert "unclosed backtick" in spans("genre ~ `odd name")[0][1]
    assert ("$", ) == spans("genre ~ year $ gross")[0][:1]


def test_empty_formula_problem_has_no_span():
    assert fc.check_formula("", COLS) == [{"start": 0, "end": 0, "message": fc.check_formula(" ", COLS)[0]["message"],
                                           "suggestion": None, "replacement": None}]


def test_spans_are_code_points():
    cols = ["😀", "year"]
    formula = "`😀` ~ year + yaer"
    [p] = fc.check_formula(formula, cols)
    assert formula[p["start"]:p["end"]] == "yaer"
    assert (p["start"], p["end"]) == (13, 17)


def test_non_string_formula_is_a_type_error():
    with pytest.raises(TypeError, match="formula must be a str"):
        fc.check_formula(None, COLS)


@pytest.mark.parametrize("name", ["odd name", "a`b", "back\\slash", XSS, '"; alert(1)//', "class", "2x", "año", "a.b"])
def test_quote_name_round_trips_through_tokenize(name):
    tokens = fc.tokenize(f"y ~ {fc.quote_name(name)}")
    assert len(tokens) == 3
    assert tokens[2].type == "name" and tokens[2].value == name and tokens[2].closed
    assert fc.check_formula(f"y ~ {fc.quote_name(name)}", ["y", name]) == []


def test_known_functions_match_the_engine():
    formula = pytest.importorskip("kms_jupyter.core.formula")
    engine = {name for name in formula.CONTEXT if name not in ("np", "contr")}
    assert set(fc.KNOWN_FUNCTIONS) == engine


# ---------------------------------------------------------------- JS side

PARITY_FORMULAS = [
    "genre ~ .", "genre ~ directr + year", "genre ~ zzzz", "GENRE ~ YEAR", "genre ~ `odd nam`",
    "genr ~ .", "genre + year", "genre ~ year ~ title", "genre ~ top(director, 5", "genre ~ year)",
    "genre ~ top(director, 0)", "genre ~ top(director, -3)", "genre ~ top(director, 2.5)",
    "genre ~ top(director)", "genre ~ top(director, n = 5)", "genre ~ tpo(director, 5)",
    "genre ~ year + genre", "genre ~ . - genre", "genre ~ `odd name", "genre ~ year $ gross",
    "", "  ", f"genre ~ `{XSS}`", "genre ~ \"; alert(1)//", "genre ~ np.log(gross) + C(year, Sum)",
    "genre ~ (year + gross):duration", "y ~ a.b + .c + 1e3", "año ~ ñame", "genre ~ sqrt(x)",
    "genre ~ {x + 1", "genre ~ x %in", "genre ~ top(`odd name`, 3) - title",
]


def test_python_and_js_checks_agree(tmp_path):
    node = _node()
    script = tmp_path / "parity.mjs"
    script.write_text(
        "import { validate } from " + json.dumps((JS / "src" / "validate.js").as_uri()) + ";\n"
        "const { formulas, columns } = JSON.parse(await new Promise((ok) => {\n"
        "  let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => ok(s)); }));\n"
        "console.log(JSON.stringify(formulas.map((f) => validate(f, columns))));\n",
        encoding="utf-8",
    )
    cols = COLS + ["año", XSS]
    out = subprocess.run([node, str(script)], input=json.dumps({"formulas": PARITY_FORMULAS, "columns": cols}),
                         capture_output=True, text=True, check=True, timeout=60)
    js = json.loads(out.stdout)
    for formula, js_problems in zip(PARITY_FORMULAS, js):
        assert fc.check_formula(formula, cols) == js_problems, formula


def test_bundle_is_committed_and_escapes():
    text = BUNDLE.read_text(encoding="utf-8")
    assert "export default" in text or "as default" in text
    assert "function render(" in text
    # column names and messages go in as text: the bundle never parses HTML
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in text, sink


def test_bundle_is_up_to_date_with_js_src(tmp_path):
    node = _node()
    if not (JS / "node_modules" / "esbuild").is_dir():
        pytest.fail("js/node_modules is missing: run `make js` (cd js && npm ci && npm run build) "
                    "to install the front-end tool chain, then rerun the tests")
    out = tmp_path / "formula_editor.js"
    subprocess.run([node, "build.mjs", f"--outfile={out}"], cwd=JS, check=True, capture_output=True, timeout=120)
    assert out.read_bytes() == BUNDLE.read_bytes(), (
        "kms_jupyter/static/formula_editor.js is stale: run `cd js && npm run build` and commit it")
