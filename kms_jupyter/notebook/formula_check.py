"""Fast checks of a formula against a column list, for the formula editor.

Pure Python (no TensorFlow, no pandas): tokenises the formula the same way as the editor's
front end (``js/src/tokenize.js``) and reports problems with their spans, so the editor can
underline the culprit. ``js/src/validate.js`` runs the same rules in the browser for instant
feedback; the kernel's answer (this module) replaces it when it arrives.

A problem is a dict ``{"start", "end", "message", "suggestion", "replacement"}``: ``start``/``end``
are character (code point) offsets into the formula, ``suggestion`` the closest column or
function name (or ``None``), ``replacement`` the text to put at the span to apply it (the
suggestion, back-quoted when it needs quotes).
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

__all__ = [
    "KNOWN_FUNCTIONS",
    "Token",
    "tokenize",
    "check_formula",
    "closest_match",
    "needs_quoting",
    "quote_name",
]

#: Functions a formula may call: the engine's (kms_jupyter.core.formula.CONTEXT, that is
#: formulaic's transforms plus top), besides any ``np.*`` or ``contr.*`` function.
#: tests/notebook/test_formula_editor.py checks that this list matches the engine's.
KNOWN_FUNCTIONS: tuple[str, ...] = (
    "top", "C", "I", "Q", "log", "log2", "log10", "exp", "exp2", "exp10",
    "center", "scale", "standardize", "poly", "bs", "cc", "cr", "cs", "lag", "hashed",
    "Treatment", "Sum", "Helmert", "Diff", "Poly",
)

_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NP_FUNC = re.compile(r"(?:np|contr)\.[^\W\d][\w.]*")
_OPS = "~+-*/:^=|"


def _name_start(c: str) -> bool:
    return c == "_" or c.isalpha()


def _name_char(c: str) -> bool:
    return c in "_." or c.isalnum()


def needs_quoting(name: str) -> bool:
    """True when a column name cannot be written bare in a formula (use back-quotes)."""
    plain = bool(name) and _name_start(name[0]) and all(c == "_" or c.isalnum() for c in name)
    return not plain or keyword.iskeyword(name)


def quote_name(name: str) -> str:
    """The column name as it must be typed in a formula: back-quoted when needed."""
    if not needs_quoting(name):
        return name
    return "`" + re.sub(r"([\\`])", r"\\\1", name) + "`"


@dataclass
class Token:
    """One token: ``type`` is name, func, number, string, op, lparen, rparen, comma, dot,
    python or unknown; ``value`` is the name without quotes, the number, or the raw text."""

    type: str
    text: str
    value: object
    start: int
    end: int
    quoted: bool = False
    closed: bool = True
    # filled in by _annotate
    depth: int = 0
    func: Optional[str] = None
    arg: int = 0
    side: str = "lhs"
    role: Optional[str] = None
    negated: bool = False
    extra: dict = field(default_factory=dict)


def _read_quoted(text: str, i: int, quote: str) -> tuple[int, str, bool]:
    j = i + 1
    out = []
    while j < len(text):
        c = text[j]
        if c == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if c == quote:
            return j + 1, "".join(out), True
        out.append(c)
        j += 1
    return j, "".join(out), False


def tokenize(text: str) -> list[Token]:
    """Split a formula into tokens with their spans (same rules as ``js/src/tokenize.js``)."""
    tokens: list[Token] = []
    i, n = 0, len(text)

    def push(kind: str, start: int, end: int, **kw) -> None:
        raw = text[start:end]
        kw.setdefault("value", raw)
        tokens.append(Token(kind, raw, start=start, end=end, **kw))

    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "`":
            end, value, closed = _read_quoted(text, i, "`")
            push("name", i, end, value=value, quoted=True, closed=closed)
            i = end
        elif c in "'\"":
            end, value, closed = _read_quoted(text, i, c)
            push("string", i, end, value=value, closed=closed)
            i = end
        elif c == "{":
            depth, j = 0, i
            while j < n:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            closed = j < n
            end = j + 1 if closed else n
            push("python", i, end, value=text[i + 1:j if closed else n], closed=closed)
            i = end
        elif c in "0123456789" or (c == "." and i + 1 < n and text[i + 1] in "0123456789"):
            m = _NUMBER.match(text, i)
            push("number", i, m.end(), value=float(m.group()))
            i = m.end()
        elif _name_start(c) or (c == "." and i + 1 < n and _name_start(text[i + 1])):
            j = i + 1
            while j < n and _name_char(text[j]):
                j += 1
            k = j
            while k < n and text[k].isspace():
                k += 1
            push("func" if k < n and text[k] == "(" else "name", i, j)
            i = j
        elif c == ".":
            push("dot", i, i + 1)
            i += 1
        elif c in "(),":
            push({"(": "lparen", ")": "rparen", ",": "comma"}[c], i, i + 1)
            i += 1
        elif c == "*" and text[i + 1:i + 2] == "*":
            push("op", i, i + 2)
            i += 2
        elif c == "%":
            j = text.find("%", i + 1)
            end = n if j == -1 else j + 1
            push("op", i, end, closed=j != -1)
            i = end
        elif c in _OPS:
            push("op", i, i + 1)
            i += 1
        else:
            push("unknown", i, i + 1)
            i += 1
    return tokens


def _annotate(tokens: list[Token]) -> list[Token]:
    stack: list[dict] = []
    side = "lhs"
    for idx, t in enumerate(tokens):
        frame = stack[-1] if stack else None
        t.depth = len(stack)
        t.func = frame["func"] if frame else None
        t.arg = frame["arg"] if frame else 0
        t.side = side
        if t.type == "op" and t.value == "~" and not stack and side == "lhs":
            side = "rhs"
        if t.type == "lparen":
            prev = tokens[idx - 1] if idx else None
            stack.append({"func": prev.value if prev is not None and prev.type == "func" else None, "arg": 0})
        elif t.type == "rparen":
            if stack:
                stack.pop()
        elif t.type == "comma" and frame:
            frame["arg"] += 1
        elif t.type == "name":
            nxt = tokens[idx + 1] if idx + 1 < len(tokens) else None
            prev = tokens[idx - 1] if idx else None
            if frame and frame["func"] and nxt is not None and nxt.type == "op" and nxt.value == "=":
                t.role = "keyword"
            elif frame and frame["func"] and frame["arg"] > 0:
                t.role = "arg"
            else:
                t.role = "column"
            t.negated = prev is not None and prev.type == "op" and prev.value == "-"
    return tokens


def closest_match(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> Optional[str]:
    """The candidate closest to ``name`` (a case-insensitive exact match wins; else difflib)."""
    cands = [str(c) for c in candidates]
    lower = name.lower()
    for c in cands:
        if c.lower() == lower:
            return c
    found = difflib.get_close_matches(name, cands, n=1, cutoff=cutoff)
    return found[0] if found else None


def _problem(start, end, message, suggestion=None, replacement=None) -> dict:
    return {"start": int(start), "end": int(end), "message": message,
            "suggestion": suggestion, "replacement": replacement}


def _list_columns(columns: list[str], limit: int = 8) -> str:
    shown = ", ".join(quote_name(c) for c in columns[:limit])
    return f"{shown}, … ({len(columns)} in all)" if len(columns) > limit else shown


def _call_args(tokens: list[Token], open_idx: int):
    args: list[list[Token]] = [[]]
    depth = 0
    for i in range(open_idx + 1, len(tokens)):
        t = tokens[i]
        if t.type == "lparen":
            depth += 1
        if t.type == "rparen":
            if depth == 0:
                return args, i
            depth -= 1
        if t.type == "comma" and depth == 0:
            args.append([])
        else:
            args[-1].append(t)
    return args, -1


def _check_top(text: str, tokens: list[Token], idx: int, problems: list[dict]) -> None:
    f = tokens[idx]
    args, close = _call_args(tokens, idx + 1)
    if close == -1:
        return  # reported as an unclosed "("
    usage = "write it as top(column, n), e.g. top(director, 50)"
    if len(args) != 2 or not args[0] or not args[1]:
        problems.append(_problem(f.start, tokens[close].end, f"top() takes a column and a count: {usage}"))
        return
    col, count = args
    if len(col) != 1 or col[0].type != "name":
        problems.append(_problem(col[0].start, col[-1].end,
                                 f"top() takes one column name as its first argument: {usage}"))
    num = count
    if (len(count) == 3 and count[0].type == "name" and count[0].value == "n"
            and count[1].type == "op" and count[1].value == "="):
        num = [count[2]]
    ok = (len(num) == 1 and num[0].type == "number" and re.fullmatch(r"[0-9]+", num[0].text) is not None
          and math.isfinite(num[0].value) and num[0].value > 0)
    if not ok:
        problems.append(_problem(count[0].start, count[-1].end,
                                 f"top(): n must be a whole number above 0, got "
                                 f"'{text[count[0].start:count[-1].end]}'; {usage}"))


def _is_known_function(name: str, functions) -> bool:
    return name in functions or _NP_FUNC.fullmatch(name) is not None


def check_formula(formula: str, columns: Iterable, functions: Iterable[str] = KNOWN_FUNCTIONS) -> list[dict]:
    """Problems of ``formula`` against ``columns`` (list of dicts, sorted by position).

    Checks: exactly one ``~``; balanced parentheses; closed quotes; stray characters; every
    name used as a column exists (with the closest column as suggestion); known functions;
    ``top(column, n)`` with n a whole number above 0; the outcome not repeated as a predictor.
    A blank formula gives one problem with an empty span. Same rules as ``js/src/validate.js``.
    """
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a str, got {type(formula).__name__}")
    cols = [str(c) for c in columns]
    col_set = set(cols)
    functions = tuple(functions)
    if not formula.strip():
        return [_problem(0, 0, "the formula is empty: write it as outcome ~ predictors, e.g. y ~ x1 + x2")]
    tokens = _annotate(tokenize(formula))
    problems: list[dict] = []

    tildes = [t for t in tokens if t.type == "op" and t.value == "~" and t.depth == 0]
    if not tildes:
        problems.append(_problem(0, len(formula), "no '~' in the formula: write it as outcome ~ predictors, "
                                                  f"e.g. {formula.strip()} ~ ."))
    for t in tildes[1:]:
        problems.append(_problem(t.start, t.end, "more than one '~': a formula has one outcome ~ predictors"))

    open_parens: list[int] = []
    for i, t in enumerate(tokens):
        if t.type == "lparen":
            open_parens.append(i)
        elif t.type == "rparen":
            if open_parens:
                open_parens.pop()
            else:
                problems.append(_problem(t.start, t.end, "')' without a matching '(': remove it"))
    for i in open_parens:
        prev = tokens[i - 1] if i else None
        start = prev.start if prev is not None and prev.type == "func" else tokens[i].start
        problems.append(_problem(start, tokens[i].end, "'(' is never closed: add ')'"))

    outcomes = {t.value for t in tokens if t.side == "lhs" and t.type == "name" and t.role == "column"}

    for i, t in enumerate(tokens):
        if t.type in ("name", "string", "python") and not t.closed:
            what = {"name": "backtick", "python": "brace"}.get(t.type, "quote")
            closer = "}" if t.text[0] == "{" else t.text[0]
            problems.append(_problem(t.start, t.end, f"unclosed {what}: add the closing {closer}"))
            continue
        if t.type == "unknown":
            problems.append(_problem(t.start, t.end, f"unexpected character '{t.text}': back-quote names "
                                                     "with symbols, e.g. `odd name`"))
            continue
        if t.type == "func":
            if not _is_known_function(t.value, functions):
                s = closest_match(t.value, functions)
                hint = f"; did you mean '{s}'?" if s else f"; known: {', '.join(functions)}, np.*, contr.*"
                problems.append(_problem(t.start, t.end, f"unknown function '{t.value}'{hint}", s, s))
            elif t.value == "top":
                _check_top(formula, tokens, i, problems)
            continue
        if t.type != "name" or t.role != "column":
            continue
        if t.value not in col_set:
            s = closest_match(t.value, cols)
            shown = t.text if t.quoted else t.value
            if s is not None:
                msg = f"unknown column '{shown}'; did you mean '{quote_name(s)}'?"
            elif cols:
                msg = f"unknown column '{shown}'; columns are: {_list_columns(cols)}"
            else:
                msg = f"unknown column '{shown}': the data has no columns"
            problems.append(_problem(t.start, t.end, msg, s, None if s is None else quote_name(s)))
        elif t.side == "rhs" and not t.negated and t.depth == 0 and t.value in outcomes:
            problems.append(_problem(t.start, t.end,
                                     f"the outcome '{t.value}' is also a predictor: remove it from the right side"))
    problems.sort(key=lambda p: (p["start"], p["end"]))
    return problems
