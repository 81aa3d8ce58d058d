"""Formula text -> ParsedFormula: outcome, right-hand side, the data columns it uses.

kerasformula's vocabulary is kept: ``genre ~ . - director - title``. Parsing and '.' expansion
are formulaic's; this module adds what formulaic does not do for us: one-line errors that name
the culprit (with the closest column name), the outcome/RHS split, and ``top(col, n)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulaic import Formula
from formulaic.errors import FormulaicError
from formulaic.transforms import TRANSFORMS
from formulaic.utils.stateful_transforms import stateful_transform

from kms_jupyter.errors import KmsFormulaError, KmsTypeError, did_you_mean

OTHER_LEVEL = "other"


@stateful_transform
def top(data, n: int = 10, other: str = OTHER_LEVEL, _state: dict = {}):  # noqa: B006 (formulaic replaces _state)
    """Keep the ``n`` most frequent levels seen in training; lump the rest into ``other``.

    The kept levels are learned once (on the training rows) and stored in the formulaic state,
    so test rows and new data are mapped with the training levels: an unseen level becomes
    ``other``, never some other known level. Ties are broken by the level's text so the choice
    does not depend on row order (kerasformula's ``rank()`` sorted alphabetically instead).
    """
    values = pd.Series(data)
    if "levels" not in _state:
        counts = values.value_counts(dropna=True)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        _state["levels"] = [_plain(level) for level, _ in ranked[: int(n)]]
    levels = list(_state["levels"])
    mapped = values.astype(object).where(values.isin(levels), other)
    mapped[values.isna()] = np.nan
    categories = levels + ([other] if other not in levels else [])
    return pd.Series(pd.Categorical(mapped, categories=categories), index=values.index)


def _plain(value):
    """numpy scalars -> Python scalars, so formulaic state can be written as JSON."""
    return value.item() if isinstance(value, np.generic) else value


# Names a formula may call besides data columns: formulaic's transforms plus our own.
CONTEXT = {**TRANSFORMS, "top": top}

_TOP_CALL = re.compile(r"\btop\s*\(\s*(`[^`]*`|[^,()]+?)\s*(?:,\s*([^()]*?)\s*)?\)")


@dataclass(frozen=True)
class ParsedFormula:
    """A checked formula. ``rhs`` keeps the user's text; ``variables`` are the data columns used."""

    text: str
    outcome: str
    rhs: str
    variables: tuple[str, ...]

    @property
    def used_columns(self) -> list[str]:
        """Outcome first, then the predictors' source columns (no duplicates)."""
        return [self.outcome] + [v for v in self.variables if v != self.outcome]


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside back-quoted names."""
    parts, buf, quoted = [], [], False
    for ch in text:
        if ch == "`":
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def _check_parentheses(text: str) -> None:
    depth = 0
    for pos, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            raise KmsFormulaError(f"formula {text!r}: ')' at position {pos + 1} has no matching '('.")
    if depth > 0:
        raise KmsFormulaError(f"formula {text!r}: {depth} '(' not closed; add the missing ')'.")


def _unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == "`" else name


def quote_name(name: str) -> str:
    """A column name as it must be written in a formula (back-quoted unless a plain identifier)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) else f"`{name}`"


def _check_top_calls(text: str, rhs: str, data: pd.DataFrame) -> None:
    for match in _TOP_CALL.finditer(rhs):
        column, n_text = _unquote(match.group(1)), match.group(2)
        if column not in data.columns:
            raise KmsFormulaError(f"top({column}, ...): no column {column!r} in the data."
                                  + did_you_mean(column, data.columns))
        try:
            n = int(n_text) if n_text is not None else 10
            if n_text is not None and float(n_text) != n:
                raise ValueError
        except ValueError:
            raise KmsFormulaError(f"top({column}, {n_text}): n must be a whole number, e.g. "
                                  f"top({column}, 50).") from None
        if n <= 0:
            raise KmsFormulaError(f"top({column}, {n}): n must be at least 1, e.g. top({column}, 50).")
        series = data[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            raise KmsFormulaError(f"top({column}, {n}): {column!r} is numeric ({series.dtype}); top() "
                                  f"lumps levels of a categorical column. Use C({column}) to treat it "
                                  "as categorical first, or drop top().")


def _lookup_names(formula) -> set[str]:
    """Column names the formula reads as they are (formulaic's "lookup" factors). Needed for
    R-style names such as ``Sepal.Length``: formulaic evaluates them fine but lists only
    ``Sepal`` among the variables the formula requires."""
    try:
        return {str(f.expr) for term in formula for f in term.factors
                if getattr(f.eval_method, "value", None) == "lookup"}
    except Exception:  # structured formulas ('|'): no lookups, the plain checks apply
        return set()


def _check_one_column(text: str, rhs: str, available: list[str]) -> None:
    """A column named "1" cannot be used: formulaic reads `1` (even back-quoted, and in the
    expansion of '.') as the intercept, so the column would silently disappear."""
    if "1" in available and (re.search(r"`1`", rhs) or re.search(r"(^|[^\w.`])\.($|[^\w.`])", rhs)):
        raise KmsFormulaError(f"formula {text!r}: the column named '1' cannot be used in a formula "
                              "(formulaic reads 1 as the intercept); rename it, e.g. "
                              "df = df.rename(columns={'1': 'x1'}) or df.add_prefix('x') for numbered "
                              "columns, or drop it from the data.")


def parse_formula(text: object, data: pd.DataFrame) -> ParsedFormula:
    """Check ``text`` against ``data``'s columns and return the parsed formula."""
    if not isinstance(text, str):
        raise KmsTypeError(f"formula must be a string such as 'genre ~ .', got {type(text).__name__}.")
    stripped = text.strip()
    if not stripped:
        raise KmsFormulaError("formula is empty: write it as 'outcome ~ predictors', e.g. 'genre ~ .'.")
    sides = _split_top_level(stripped, "~")
    if len(sides) == 1:
        raise KmsFormulaError(f"formula {stripped!r} has no '~': write it as 'outcome ~ predictors', "
                              f"e.g. {stripped + ' ~ .'!r}.")
    if len(sides) > 2:
        raise KmsFormulaError(f"formula {stripped!r} has {len(sides) - 1} '~'; use exactly one, "
                              "between the outcome and the predictors.")
    lhs, rhs = sides[0].strip(), sides[1].strip()
    _check_parentheses(stripped)
    columns = [str(c) for c in data.columns]
    if not lhs:
        raise KmsFormulaError(f"formula {stripped!r} has no outcome left of '~'; e.g. 'genre ~ .'.")
    outcome = _unquote(lhs)
    if outcome not in columns:
        hint = did_you_mean(outcome, columns)
        if not hint and not re.fullmatch(r"`?[^`]*`?", lhs):
            hint = " The outcome must be a column name; compute transformed outcomes as a new column."
        raise KmsFormulaError(f"outcome {outcome!r} is not a column of the data.{hint}")
    if not rhs:
        raise KmsFormulaError(f"formula {stripped!r} has no predictors right of '~'; "
                              f"use '{lhs} ~ .' for all other columns.")
    _check_top_calls(stripped, rhs, data)

    available = [c for c in columns if c != outcome]
    _check_one_column(stripped, rhs, available)
    try:
        formula = Formula(rhs, _context={"__formulaic_variables_available__": available})
        required = sorted(formula.required_variables, key=str)
    except Exception as exc:  # formulaic's own errors, and Python's for code inside the formula
        lines = str(exc).strip().splitlines()
        first = lines[0] if lines else type(exc).__name__
        if not isinstance(exc, FormulaicError):
            first = f"{type(exc).__name__}: {first}"
        raise KmsFormulaError(f"formula {stripped!r} cannot be parsed: {first}") from None

    lookups = _lookup_names(formula)
    variables: list[str] = []
    for var in required:
        name = str(var)
        dotted = [c for c in columns if c.startswith(name + ".") and (c in lookups or f"`{c}`" in rhs)]
        if name in columns:
            variables.append(name)
        elif dotted:  # R-style names such as Sepal.Length: formulaic reports only 'Sepal'
            variables.extend(dotted)
        elif name in CONTEXT or name.split(".")[0] in CONTEXT:
            continue
        elif "callable" in {getattr(r, "value", str(r)) for r in var.roles}:
            raise KmsFormulaError(f"formula uses an unknown function {name}(); available: top(), "
                                  "C(), np.log() and formulaic's transforms." + did_you_mean(name, CONTEXT))
        else:
            token = re.search(rf"(?<![\w.`]){re.escape(name)}(\.\w+)+", rhs)
            if token and token.group(0) in columns:
                raise KmsFormulaError(f"formula {stripped!r}: write the column {token.group(0)!r} "
                                      f"back-quoted inside functions, e.g. np.log(`{token.group(0)}`) "
                                      "(unquoted, Python reads the dot as an attribute).")
            if token and any(c.startswith(name + ".") for c in columns):
                raise KmsFormulaError(f"no column {token.group(0)!r} in the data (used in formula "
                                      f"{stripped!r}).{did_you_mean(token.group(0), columns)}")
            raise KmsFormulaError(f"no column {name!r} in the data (used in formula {stripped!r})."
                                  + did_you_mean(name, columns))
    if outcome in variables:
        raise KmsFormulaError(f"outcome {outcome!r} also appears right of '~'; remove it from the "
                              f"predictors (write '- {quote_name(outcome)}' after '.').")
    if not variables:
        raise KmsFormulaError(f"formula {stripped!r} has no predictor columns; name some, or use "
                              f"'{lhs} ~ .' for all other columns.")
    # keep data-frame column order: stable and what users expect when reading the layer table
    ordered = tuple(c for c in columns if c in set(variables))
    return ParsedFormula(text=stripped, outcome=outcome, rhs=rhs, variables=ordered)
