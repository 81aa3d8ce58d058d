"""FormulaEditor: a formula text field with column completion and live validation.

The front end is our own anywidget module, built from ``js/src`` into
``kms_jupyter/static/formula_editor.js`` (shipped in the wheel, so users need no Node).
The kernel side keeps ``errors`` up to date: whenever ``value`` or ``columns`` change, the
formula is checked with :func:`kms_jupyter.notebook.formula_check.check_formula` (pure Python,
no TensorFlow) and the problems are sent back with their spans, so the editor underlines the
culprit. Enter in the editor (with no completion list open) adds one to ``submit_count``;
whoever owns the editor (``KmsPanel``) observes it to start training, or uses :meth:`on_submit`.

Column names and messages are data here; the front end inserts them as text, never as HTML.
"""
from __future__ import annotations

import pathlib
from typing import Any, Callable, Iterable, Optional

import anywidget
import traitlets

from kms_jupyter.notebook.formula_check import KNOWN_FUNCTIONS, check_formula

__all__ = ["FormulaEditor", "BUNDLE"]

#: The built front end (``cd js && npm run build``).
BUNDLE = pathlib.Path(__file__).resolve().parent.parent / "static" / "formula_editor.js"

DEFAULT_PLACEHOLDER = "outcome ~ predictors, e.g. genre ~ . - title"


class FormulaEditor(anywidget.AnyWidget):
    """Formula input with completion of column names, ``.``, ``-`` and ``top(``, live validation
    against ``columns``, and Enter to train (``submit_count`` += 1).

    >>> ed = FormulaEditor(columns=list(df.columns), value="genre ~ .")
    >>> ed.on_submit(lambda formula: print("train", formula))
    """

    _esm = BUNDLE

    value = traitlets.Unicode("", help="the formula text").tag(sync=True)
    columns = traitlets.List(help="column names offered and checked").tag(sync=True)
    errors = traitlets.List(traitlets.Dict(), help="problems of `value`: {start, end, message, suggestion, "
                            "replacement}; spans in characters").tag(sync=True)
    checked = traitlets.Unicode("", help="the formula that `errors` were computed for").tag(sync=True)
    submit_count = traitlets.Int(0, help="incremented by the front end on Enter").tag(sync=True)
    placeholder = traitlets.Unicode(DEFAULT_PLACEHOLDER).tag(sync=True)

    def __init__(self, value: str = "", columns: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(value=value, columns=[str(c) for c in columns], **kwargs)
        self._submit_callbacks: list[Callable[[str], Any]] = []
        self._refresh_errors()

    @classmethod
    def from_frame(cls, data: Any, value: str = "", **kwargs: Any) -> "FormulaEditor":
        """An editor over a DataFrame's columns."""
        return cls(value=value, columns=list(data.columns), **kwargs)

    @traitlets.validate("columns")
    def _coerce_columns(self, proposal):
        return [str(c) for c in proposal["value"]]

    def validate(self, formula: Optional[str] = None, columns: Optional[Iterable[Any]] = None) -> list[dict]:
        """Problems of ``formula`` (default: the current value) against ``columns`` (default:
        the editor's); see :func:`~kms_jupyter.notebook.formula_check.check_formula`.
        A blank formula gives no problems here (the editor shows a hint instead)."""
        formula = self.value if formula is None else formula
        if not formula.strip():
            return []
        cols = self.columns if columns is None else [str(c) for c in columns]
        return check_formula(formula, cols, KNOWN_FUNCTIONS)

    @traitlets.observe("value", "columns")
    def _on_change(self, change) -> None:
        self._refresh_errors()

    def _refresh_errors(self) -> None:
        errors = self.validate()
        with self.hold_sync():
            self.errors = errors
            self.checked = self.value

    def on_submit(self, callback: Callable[[str], Any], remove: bool = False) -> None:
        """Call ``callback(formula)`` each time the user presses Enter in the editor."""
        if remove:
            if callback in self._submit_callbacks:
                self._submit_callbacks.remove(callback)
        elif callback not in self._submit_callbacks:
            self._submit_callbacks.append(callback)

    @traitlets.observe("submit_count")
    def _on_submit_count(self, change) -> None:
        if change["new"] <= change["old"]:
            return
        for callback in list(self._submit_callbacks):
            callback(self.value)
