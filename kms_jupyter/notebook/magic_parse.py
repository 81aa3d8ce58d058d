"""Pure parsing for the ``%%kms`` / ``%kms`` magics (no IPython, no TensorFlow).

The magic line is ``[options] formula``. Options come only before the formula; the formula is
everything from the first token that is not an option, kept verbatim (so ``genre ~ . -director``
keeps its dashes, and backquoted names keep their spaces). IPython's ``magic_arguments`` cannot be
used because it would read ``-director`` as an option.

Options::

    -o NAME, --out NAME     store the fit in NAME (it is always also stored in ``_kms``)
    --data EXPR             the DataFrame (a name or a space-free expression such as df.head(300))
    --quiet, -q             no live chart and no result views
    --no-live               no live chart (results are still shown after training)
    --code [NAME]           (line magic only) print NAME.to_code(); NAME defaults to _kms

The cell body holds ``name = python expression`` statements (comments, blank lines and
multi-line bracketed expressions allowed). It is parsed with :mod:`ast` and every statement must
be a single-name assignment; the values are evaluated later in the notebook's namespace.

Every mistake raises :class:`MagicArgumentError` (a :class:`kms_jupyter.errors.KmsArgumentError`)
with a one-line message that names the culprit and, where possible, the closest valid name.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from kms_jupyter.errors import KmsArgumentError

__all__ = [
    "MagicArgumentError",
    "MagicOptions",
    "BodyArg",
    "parse_line",
    "parse_body",
    "check_arg_names",
    "evaluate_body",
    "outcome_names",
    "closest",
    "OPTIONS",
]


class MagicArgumentError(KmsArgumentError):
    """A mistake in the magic line or the cell body (shown to the user as a UsageError)."""


# option spelling -> (destination, takes a value)
OPTIONS: dict[str, tuple[str, bool]] = {
    "-o": ("out", True),
    "--out": ("out", True),
    "--data": ("data", True),
    "-q": ("quiet", False),
    "--quiet": ("quiet", False),
    "--no-live": ("no_live", False),
    "--code": ("code", False),
}

_TOKEN = re.compile(r"\S+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest candidate to ``name`` (difflib), or None."""
    cands = [c for c in dict.fromkeys(str(c) for c in candidates)]
    hit = difflib.get_close_matches(name, cands, n=1, cutoff=cutoff)
    if hit:
        return hit[0]
    low = {c.lower(): c for c in cands}
    return low.get(name.lower())


def _suggest(name: str, candidates: Iterable[str]) -> str:
    hit = closest(name, candidates)
    return f" (did you mean '{hit}'?)" if hit else ""


@dataclass
class MagicOptions:
    """The parsed magic line."""

    formula: str = ""
    out: str | None = None
    data: str | None = None
    quiet: bool = False
    no_live: bool = False
    code: bool = False
    code_target: str | None = None  # only for ``%kms --code NAME``
    given: set = field(default_factory=set)  # option destinations given explicitly

    @property
    def live(self) -> bool:
        return not (self.quiet or self.no_live)


def _check_identifier(value: str, option: str) -> str:
    if not value.isidentifier() or keyword.iskeyword(value):
        raise MagicArgumentError(
            f"{option} needs a Python variable name, got '{value}'"
        )
    return value


def parse_line(line: str, *, cell: bool = True) -> MagicOptions:
    """Split ``[options] formula`` into :class:`MagicOptions`.

    ``cell`` tells whether this is the cell magic (``%%kms``) or the line magic (``%kms``);
    ``--code`` is accepted only in the line magic.
    """
    opts = MagicOptions()
    text = line.strip()
    pos = 0
    magic = "%%kms" if cell else "%kms"
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            break
        tok = m.group(0)
        if not tok.startswith("-") or tok in ("-", "--"):
            break
        name, eq, inline_value = tok.partition("=")
        if name not in OPTIONS:
            hint = _suggest(name, OPTIONS)
            if tok.startswith("--") and _IDENT.fullmatch(tok[2:].replace("-", "_")):
                arg = tok[2:].replace("-", "_")
                raise MagicArgumentError(
                    f"unknown option '{tok}'{hint}; kms() arguments go in the cell body, "
                    f"e.g. '{arg} = ...'"
                )
            raise MagicArgumentError(
                f"unknown option '{tok}'{hint}; options (-o NAME, --data NAME, --quiet, "
                f"--no-live) come before the formula"
            )
        dest, takes_value = OPTIONS[name]
        if dest in opts.given:
            raise MagicArgumentError(f"option '{name}' is given twice")
        opts.given.add(dest)
        pos = m.end()
        if takes_value:
            if eq:
                value = inline_value
            else:
                v = _TOKEN.search(text, pos)
                if v is None or v.group(0).startswith("-"):
                    raise MagicArgumentError(f"option '{name}' needs a value, e.g. {name} NAME")
                value = v.group(0)
                pos = v.end()
            if not value:
                raise MagicArgumentError(f"option '{name}' needs a value, e.g. {name} NAME")
            if dest == "out":
                opts.out = _check_identifier(value, name)
            else:
                opts.data = value
        else:
            if eq:
                raise MagicArgumentError(f"option '{name}' takes no value, got '{tok}'")
            setattr(opts, dest, True)

    rest = text[pos:].strip()
    if opts.code:
        if cell:
            raise MagicArgumentError(
                "--code belongs to the line magic: use '%kms --code NAME' to print NAME.to_code()"
            )
        others = opts.given - {"code"}
        if others:
            raise MagicArgumentError(
                "--code takes only the name of a fit: %kms --code NAME"
            )
        target = rest or "_kms"
        opts.code_target = _check_identifier(target, "--code")
        return opts

    opts.formula = rest
    if not rest:
        raise MagicArgumentError(
            f"{magic} needs a formula, e.g. {magic} -o out1 genre ~ rating + votes"
        )
    if "~" not in rest:
        raise MagicArgumentError(
            f"'{rest}' is not a formula: it has no '~' (write outcome ~ predictors)"
        )
    if not rest.split("~", 1)[0].strip():
        extra = ""
        if opts.out is not None:
            extra = (
                f"; if '{opts.out}' is the outcome, give the output name first: "
                f"-o NAME {opts.out} {rest}"
            )
        raise MagicArgumentError(f"formula '{rest}' has no outcome left of '~'{extra}")
    return opts


def outcome_names(formula: str) -> list[str]:
    """Candidate column names of the formula's outcome (left of the first ``~``).

    ``genre`` -> ['genre']; ```my col``` -> ['my col']; ``log(gross)`` -> ['log', 'gross'].
    Used only to find which DataFrame the formula is about.
    """
    lhs = formula.split("~", 1)[0]
    names = re.findall(r"`([^`]+)`", lhs)
    names += _IDENT.findall(re.sub(r"`[^`]*`", " ", lhs))
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class BodyArg:
    """One ``name = expression`` statement of the cell body."""

    name: str
    source: str  # the expression text
    lineno: int  # 1-based line within the body
    line: str  # the statement's first line, stripped (for messages)
    code: Any = field(repr=False, compare=False, default=None)  # compiled expression


def _line_text(lines: list[str], lineno: int) -> str:
    if 1 <= lineno <= len(lines):
        return lines[lineno - 1].strip()
    return ""


def parse_body(body: str) -> list[BodyArg]:
    """Parse the cell body into ``name = expression`` statements (not evaluated)."""
    body = body or ""
    lines = body.splitlines()
    try:
        tree = ast.parse(body, filename="<%%kms body>", mode="exec")
    except SyntaxError as e:
        lineno = e.lineno or 0
        text = _line_text(lines, lineno) or (e.text or "").strip()
        raise MagicArgumentError(
            f"cell body line {lineno}: syntax error ({e.msg}) in '{text}'"
        ) from None
    out: list[BodyArg] = []
    seen: dict[str, int] = {}
    for stmt in tree.body:
        text = _line_text(lines, stmt.lineno)
        ok = (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        )
        if not ok:
            raise MagicArgumentError(
                f"cell body line {stmt.lineno}: '{text}' is not 'name = value'; the body holds "
                f"kms() arguments such as 'epochs = 10'"
            )
        name = stmt.targets[0].id
        if name in seen:
            raise MagicArgumentError(
                f"cell body line {stmt.lineno}: '{name}' is already set on line {seen[name]}"
            )
        seen[name] = stmt.lineno
        source = ast.get_source_segment(body, stmt.value) or ast.unparse(stmt.value)
        code = compile(ast.Expression(stmt.value), f"<%%kms body line {stmt.lineno}>", "eval")
        out.append(BodyArg(name, source, stmt.lineno, text, code))
    return out


def check_arg_names(args: Iterable[BodyArg], valid: Iterable[str]) -> None:
    """Raise for the first body name that is not a valid argument, naming the closest one."""
    valid = list(valid)
    valid_set = set(valid)
    for a in args:
        if a.name not in valid_set:
            raise MagicArgumentError(
                f"cell body line {a.lineno}: '{a.name}' is not a kms() argument"
                f"{_suggest(a.name, valid)}"
            )


def evaluate_body(args: Iterable[BodyArg], namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate each expression in ``namespace`` (the notebook's); returns {name: value}."""
    values: dict[str, Any] = {}
    ns = namespace if isinstance(namespace, dict) else dict(namespace)
    for a in args:
        code = a.code or compile(a.source, f"<%%kms body line {a.lineno}>", "eval")
        try:
            values[a.name] = eval(code, ns)  # noqa: S307 - the user's own notebook code
        except NameError as e:
            missing = getattr(e, "name", None) or str(e)
            hint = _suggest(missing, [k for k in ns if not k.startswith("_")])
            raise MagicArgumentError(
                f"cell body line {a.lineno}: name '{missing}' is not defined{hint} "
                f"(in '{a.line}')"
            ) from None
        except Exception as e:  # noqa: BLE001 - shown as one line
            msg = str(e).splitlines()[0] if str(e) else ""
            raise MagicArgumentError(
                f"cell body line {a.lineno}: {type(e).__name__}"
                f"{': ' + msg if msg else ''} (in '{a.line}')"
            ) from None
    return values
