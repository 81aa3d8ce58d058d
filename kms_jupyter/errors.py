"""The package's own exception types.

Every message is one line that names the culprit and, where possible, suggests the fix, so the
notebook layer can show it as a one-line UsageError instead of a traceback wall.
"""
from __future__ import annotations

import difflib
from typing import Iterable


class KmsError(Exception):
    """Base class of every error kms_jupyter raises on purpose.

    Messages are kept to one line even when they quote user text that holds line breaks (a column
    named "a\nb", a formula typed over several lines): breaks are shown escaped.
    """

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (args[0].replace("\r", "\\r").replace("\n", "\\n"),)
        super().__init__(*args)


class KmsFormulaError(KmsError, ValueError):
    """The formula text cannot be used (syntax, unknown column, bad top() call...)."""


class KmsDataError(KmsError, ValueError):
    """The DataFrame cannot be used as given (empty, missing columns, bad dtypes...)."""


class KmsArgumentError(KmsError, ValueError):
    """A kms() argument is out of range or unknown."""


class KmsTypeError(KmsError, TypeError):
    """An argument has the wrong type (e.g. data that is not a DataFrame)."""


class KmsFileError(KmsError, ValueError):
    """A saved fit cannot be read (truncated, tampered, wrong format)."""


def closest(name: str, candidates: Iterable[object], n: int = 1) -> list[str]:
    """Closest spellings of ``name`` among ``candidates`` (case-insensitive first)."""
    cands = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in cands}
    if str(name).lower() in lowered:
        return [lowered[str(name).lower()]]
    return difflib.get_close_matches(str(name), cands, n=n, cutoff=0.5)


def did_you_mean(name: str, candidates: Iterable[object]) -> str:
    """' Did you mean 'x'?' or '' when nothing is close."""
    match = closest(name, candidates)
    return f" Did you mean {match[0]!r}?" if match else ""
