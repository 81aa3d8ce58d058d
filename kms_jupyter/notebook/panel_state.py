"""The panel's pure logic: settings -> kms() arguments, formula <-> predictors picker, sweep
expansion, leaderboard rows and the "Copy as %%kms" cell.

Nothing here imports ipywidgets or TensorFlow, so every rule is tested with plain pytest
(``tests/notebook/test_panel_state.py``). :mod:`kms_jupyter.notebook.panel` only copies widget
values into a :class:`PanelState` and renders what these functions return.
"""
from __future__ import annotations

import ast
import dataclasses
import html
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from kms_jupyter.errors import KmsArgumentError

__all__ = [
    "LayerState", "PanelState", "state_to_kwargs", "default_outcome", "default_formula",
    "split_formula", "formula_terms", "selected_predictors", "apply_selection", "replace_outcome",
    "SWEEP_SETTINGS", "parse_sweep_values", "expand_sweep", "leaderboard_row", "leaderboard_html",
    "LEADERBOARD_COLUMNS", "kms_cell_text", "run_label", "settings_summary", "overfitting",
]

ACTIVATION_CHOICES = ("relu", "tanh", "sigmoid", "elu", "selu", "gelu", "swish", "softplus", "linear")
OPTIMIZER_CHOICES = ("adam", "adamw", "sgd", "rmsprop", "adagrad", "adamax", "nadam")
SCALING_CHOICES = ("z", "zero_one", None)
REGULARIZER_CHOICES = (None, "l1", "l2", "l1_l2")
CLASS_WEIGHT_CHOICES = (None, "balanced")


@dataclass
class LayerState:
    """One hidden layer as the panel shows it."""

    units: int = 64
    activation: str = "relu"
    dropout: float = 0.4


@dataclass
class PanelState:
    """Everything the panel's widgets hold; ``state_to_kwargs`` turns it into a kms() call.

    ``learning_rate`` None keeps the optimizer's own default; ``early_stopping`` 0 is off, a
    positive number is the patience; ``seed`` None draws a new seed per run (recorded in
    ``fit.seed``)."""

    formula: str = ""
    layers: list[LayerState] = field(default_factory=lambda: [LayerState(64, "relu", 0.4),
                                                               LayerState(32, "relu", 0.4)])
    epochs: int = 15
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float | None = None
    scale_continuous: str | None = "z"
    kernel_regularizer: str | None = None
    activity_regularizer: str | None = None
    class_weight: str | None = None
    p_training: float = 0.8
    validation_split: float = 0.2
    early_stopping: int = 0
    seed: int | None = 12345

    def copy(self) -> "PanelState":
        return dataclasses.replace(self, layers=[dataclasses.replace(l) for l in self.layers])


def _whole(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or value < minimum:
        raise KmsArgumentError(f"{name}={value!r}: use a whole number of at least {minimum}.")
    return int(value)


def state_to_kwargs(state: PanelState) -> tuple[str, dict[str, Any]]:
    """``(formula, kwargs)`` for ``kms(formula, data, **kwargs)``.

    Per-layer settings become lists only when the layers differ (``activation="relu"`` rather
    than ``["relu", "relu"]``), so the generated code reads like what a person would write.
    Range checks beyond the panel's own (whole numbers, at least one layer) are left to kms().
    """
    formula = (state.formula or "").strip()
    if not formula:
        raise KmsArgumentError("the formula is empty: type one, e.g. genre ~ . - title.")
    if not state.layers:
        raise KmsArgumentError("the network has no hidden layer: add one with '+ layer'.")
    units = tuple(_whole(f"layer {i} units", l.units) for i, l in enumerate(state.layers, 1))
    acts = [l.activation for l in state.layers]
    drops = [float(l.dropout) for l in state.layers]
    kwargs: dict[str, Any] = {
        "units": units,
        "activation": acts[0] if len(set(acts)) == 1 else acts,
        "dropout": drops[0] if len(set(drops)) == 1 else drops,
        "epochs": _whole("epochs", state.epochs),
        "batch_size": _whole("batch size", state.batch_size),
        "optimizer": state.optimizer,
        "scale_continuous": state.scale_continuous,
        "p_training": float(state.p_training),
        "validation_split": float(state.validation_split),
        "seed": None if state.seed is None else _whole("seed", state.seed, 0),
    }
    if state.learning_rate is not None:
        lr = state.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 \
                or not math.isfinite(lr):
            raise KmsArgumentError(f"learning rate {lr!r} must be a positive number, e.g. 0.001.")
        kwargs["optimizer_args"] = {"learning_rate": float(lr)}
    if state.kernel_regularizer:
        kwargs["kernel_regularizer"] = state.kernel_regularizer
    if state.activity_regularizer:
        kwargs["activity_regularizer"] = state.activity_regularizer
    if state.class_weight:
        kwargs["class_weight"] = state.class_weight
    patience = _whole("early stopping patience", state.early_stopping, 0)
    if patience:
        kwargs["early_stopping"] = patience
    return formula, kwargs


# --------------------------------------------------------------------------- formula <-> picker
def _quote(name: str) -> str:
    from kms_jupyter.notebook.formula_check import quote_name

    return quote_name(name)


def default_outcome(data: Any) -> str:
    """The column to predict by default: the first non-numeric column with 2-50 levels (genre on
    movies), else the first column with 2-50 distinct values, else the first column."""
    import pandas as pd

    columns = [str(c) for c in data.columns]
    for numeric_ok in (False, True):
        for col in data.columns:
            s = data[col]
            if not numeric_ok and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                continue
            if 2 <= s.nunique(dropna=True) <= 50:
                return str(col)
    return columns[0]


def default_formula(data: Any, outcome: str) -> str:
    """``outcome ~ .`` minus identifier-like columns (title, and director-like columns with
    almost one level per row), which cannot generalise."""
    from kms_jupyter.core.design import identifier_columns

    frame = data.rename(columns=str)
    others = tuple(c for c in frame.columns if c != outcome)
    drop = [c for c, _ in identifier_columns(frame, others)]
    return f"{_quote(outcome)} ~ ." + "".join(f" - {_quote(c)}" for c in drop)


def split_formula(formula: str) -> tuple[str, str] | None:
    """``(lhs, rhs)`` split at the first top-level ``~`` (None when there is none)."""
    from kms_jupyter.notebook.formula_check import tokenize

    depth = 0
    for t in tokenize(formula):
        if t.type == "lparen":
            depth += 1
        elif t.type == "rparen":
            depth -= 1
        elif t.type == "op" and t.value == "~" and depth == 0:
            return formula[:t.start].strip(), formula[t.end:].strip()
    return None


def formula_terms(rhs: str) -> list[tuple[str, str]]:
    """The right-hand side split at top-level ``+``/``-``: ``[("+", "."), ("-", "title")]``."""
    from kms_jupyter.notebook.formula_check import tokenize

    terms: list[tuple[str, str]] = []
    sign, start, depth = "+", 0, 0
    for t in tokenize(rhs):
        if t.type == "lparen":
            depth += 1
        elif t.type == "rparen":
            depth -= 1
        elif t.type == "op" and t.value in "+-" and depth == 0:
            text = rhs[start:t.start].strip()
            if text:
                terms.append((sign, text))
            sign, start = t.value, t.end
    text = rhs[start:].strip()
    if text:
        terms.append((sign, text))
    return terms


def _term_columns(term: str, columns: Sequence[str]) -> list[str]:
    from kms_jupyter.notebook.formula_check import tokenize

    known = set(columns)
    found = []
    for t in tokenize(term):
        if t.type == "name" and t.value in known and t.value not in found:
            found.append(t.value)
    return found


def _lhs_name(lhs: str) -> str | None:
    from kms_jupyter.notebook.formula_check import tokenize

    toks = tokenize(lhs)
    if len(toks) == 1 and toks[0].type == "name":
        return str(toks[0].value)
    return None


def selected_predictors(formula: str, columns: Sequence[str], outcome: str | None = None
                        ) -> list[str] | None:
    """The columns the formula uses as predictors, in column order; None when the formula has
    no ``~`` yet (the picker then keeps its selection)."""
    parts = split_formula(formula)
    if parts is None:
        return None
    lhs, rhs = parts
    outcome = outcome if outcome is not None else _lhs_name(lhs)
    columns = [str(c) for c in columns]
    chosen: set[str] = set()
    terms = formula_terms(rhs)
    if any(sign == "+" and text == "." for sign, text in terms):
        chosen = {c for c in columns if c != outcome}
    for sign, text in terms:
        if text == ".":
            continue
        cols = _term_columns(text, columns)
        if sign == "+":
            chosen.update(cols)
        elif _is_single_name(text, columns):
            chosen.difference_update(cols)
    chosen.discard(outcome)
    return [c for c in columns if c in chosen]


def _is_single_name(term: str, columns: Sequence[str]) -> bool:
    from kms_jupyter.notebook.formula_check import tokenize

    toks = tokenize(term)
    return len(toks) == 1 and toks[0].type == "name" and toks[0].value in set(columns)


def _render(lhs: str, terms: list[tuple[str, str]]) -> str:
    rhs = ""
    for i, (sign, text) in enumerate(terms):
        if i == 0:
            rhs = text if sign == "+" else f"- {text}"
        else:
            rhs += f" {sign} {text}"
    return f"{lhs} ~ {rhs}".rstrip()


def apply_selection(formula: str, columns: Sequence[str], selected: Iterable[str],
                    outcome: str | None = None) -> str:
    """The formula edited so that its predictors are ``selected``, keeping what it can of the
    user's text: with ``.`` a deselected column becomes ``- col``; otherwise terms are added
    (``+ col``) or removed (every term that mentions the column, e.g. ``top(director, 5)``)."""
    columns = [str(c) for c in columns]
    parts = split_formula(formula)
    if parts is None:
        lhs, terms = (_quote(outcome) if outcome else formula.strip()), []
    else:
        lhs, rhs = parts
        terms = formula_terms(rhs)
    outcome = outcome if outcome is not None else _lhs_name(lhs)
    want = [c for c in columns if c in set(selected) and c != outcome]
    current = set(selected_predictors(_render(lhs, terms), columns, outcome) or [])
    has_dot = any(sign == "+" and text == "." for sign, text in terms)
    for col in [c for c in columns if c in current and c not in want]:
        terms = [(s, t) for s, t in terms if not (s == "+" and t != "." and col in _term_columns(t, columns))]
        if has_dot and not any(s == "-" and _is_single_name(t, columns) and _term_columns(t, columns) == [col]
                               for s, t in terms):
            terms.append(("-", _quote(col)))
    for col in [c for c in want if c not in current]:
        terms = [(s, t) for s, t in terms if not (s == "-" and _term_columns(t, columns) == [col]
                                                   and _is_single_name(t, columns))]
        if not has_dot:
            terms.append(("+", _quote(col)))
    return _render(lhs, terms)


def replace_outcome(formula: str, outcome: str, columns: Sequence[str]) -> str:
    """The formula with ``outcome`` on the left; the new outcome leaves the right-hand side, and
    the old outcome comes back in as a predictor when the formula uses ``.``."""
    columns = [str(c) for c in columns]
    parts = split_formula(formula)
    if parts is None:
        return f"{_quote(outcome)} ~ ."
    lhs, rhs = parts
    terms = [(s, t) for s, t in formula_terms(rhs)
             if not (_is_single_name(t, columns) and _term_columns(t, columns) == [outcome])]
    return _render(_quote(outcome), terms)


# --------------------------------------------------------------------------- sweep
#: setting name -> (PanelState field or "layers.<attr>", caster); layer settings apply to every layer
SWEEP_SETTINGS: dict[str, str] = {
    "dropout": "layers.dropout",
    "units": "layers.units",
    "activation": "layers.activation",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "learning_rate": "learning_rate",
    "optimizer": "optimizer",
    "seed": "seed",
    "p_training": "p_training",
    "validation_split": "validation_split",
    "kernel_regularizer": "kernel_regularizer",
    "scale_continuous": "scale_continuous",
}


def parse_sweep_values(text: str) -> list[Any]:
    """``"0.2, 0.4, 0.6"`` -> ``[0.2, 0.4, 0.6]``; ``"relu, tanh"`` -> ``["relu", "tanh"]``;
    ``"(64, 32), (16, 8)"`` -> ``[(64, 32), (16, 8)]`` (units per layer); ``None`` stays None."""
    text = (text or "").strip()
    if not text:
        raise KmsArgumentError("the sweep has no values: list them with commas, e.g. 0.2, 0.4, 0.6.")
    try:
        value = ast.literal_eval(f"[{text}]")
        return list(value)
    except (ValueError, SyntaxError):
        pass
    out: list[Any] = []
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            raise KmsArgumentError(f"sweep values {text!r} have an empty entry; write e.g. relu, tanh.")
        try:
            out.append(ast.literal_eval(piece))
        except (ValueError, SyntaxError):
            out.append(None if piece == "None" else piece)
    return out


def expand_sweep(base: PanelState, setting: str, values: Sequence[Any] | str) -> list[PanelState]:
    """One state per value: ``base`` with ``setting`` replaced (layer settings on every layer;
    ``units`` given as a tuple sets one value per layer and so the number of layers)."""
    if setting not in SWEEP_SETTINGS:
        from difflib import get_close_matches

        close = get_close_matches(setting, list(SWEEP_SETTINGS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KmsArgumentError(f"cannot sweep {setting!r}.{hint} Choose from {', '.join(SWEEP_SETTINGS)}.")
    if isinstance(values, str):
        values = parse_sweep_values(values)
    values = list(values)
    if not values:
        raise KmsArgumentError("the sweep has no values: list them with commas, e.g. 0.2, 0.4, 0.6.")
    target = SWEEP_SETTINGS[setting]
    states = []
    for value in values:
        state = base.copy()
        if target.startswith("layers."):
            attr = target.split(".", 1)[1]
            if attr == "units" and isinstance(value, (list, tuple)):
                template = state.layers[-1] if state.layers else LayerState()
                state.layers = [dataclasses.replace(state.layers[i] if i < len(state.layers) else template,
                                                    units=u) for i, u in enumerate(value)]
            else:
                for layer in state.layers:
                    setattr(layer, attr, value)
        else:
            setattr(state, target, value)
        state_to_kwargs(state)  # fail now, before the first run, on a bad value
        states.append(state)
    return states


# --------------------------------------------------------------------------- leaderboard
LEADERBOARD_COLUMNS = ("run", "formula", "settings", "epochs", "test score", "best val loss",
                       "train–val gap", "overfit", "duration")


def run_label(index: int) -> str:
    return f"run{index + 1}"


def settings_summary(args: dict) -> str:
    """Key settings of a run in one line, e.g. ``units 64-32 · relu · drop 0.4 · bs 32 · adam``."""
    units = args.get("units")
    units = "-".join(str(u) for u in units) if isinstance(units, (list, tuple)) else str(units)
    act = args.get("activation")
    act = "/".join(map(str, act)) if isinstance(act, (list, tuple)) else str(act)
    drop = args.get("dropout")
    drop = "/".join(f"{d:g}" for d in drop) if isinstance(drop, (list, tuple)) else f"{drop:g}"
    opt = str(args.get("optimizer"))
    lr = (args.get("optimizer_args") or {}).get("learning_rate") if isinstance(args.get("optimizer_args"), dict) else None
    parts = [f"units {units}", act, f"drop {drop}", f"bs {args.get('batch_size')}",
             opt + (f" lr {lr:g}" if lr is not None else "")]
    for key, short in (("kernel_regularizer", "kreg"), ("activity_regularizer", "areg"),
                       ("class_weight", "cw"), ("early_stopping", "es")):
        if args.get(key) not in (None, False):
            parts.append(f"{short} {args[key]}")
    if args.get("scale_continuous") != "z":
        parts.append(f"scale {args.get('scale_continuous')}")
    return " · ".join(parts)


def overfitting(history: Any) -> tuple[float | None, bool]:
    """``(gap, flag)``: gap = validation loss − training loss at the last epoch; flagged when the
    validation loss ends ≥ 10 % above its best while the best lies ≥ 2 epochs back, or when the
    gap exceeds 25 % of the training loss."""
    if history is None or len(history) == 0 or "val_loss" not in history or "loss" not in history:
        return None, False
    val = [float(v) for v in history["val_loss"]]
    loss = [float(v) for v in history["loss"]]
    if not all(math.isfinite(v) for v in val[-1:] + loss[-1:]):
        return None, False
    gap = val[-1] - loss[-1]
    best_at = min(range(len(val)), key=lambda i: val[i])
    rising = len(val) - 1 - best_at >= 2 and val[-1] > val[best_at] + 0.1 * abs(val[best_at])
    wide = loss[-1] > 0 and gap > 0.25 * loss[-1]
    return gap, bool(rising or wide)


def leaderboard_row(index: int, fit: Any) -> dict[str, Any]:
    """One leaderboard row for ``panel.runs[index]`` (plain values; ``leaderboard_html`` formats)."""
    history = getattr(fit, "history", None)
    ev = getattr(fit, "evaluations", None) or {}
    if getattr(fit, "y_type", None) == "continuous":
        score_name, score = "RMSE", (math.sqrt(ev["mse"]) if "mse" in ev else None)
    else:
        score_name, score = "accuracy", ev.get("accuracy")
    best_val = None
    if history is not None and "val_loss" in history and len(history):
        best_val = float(history["val_loss"].min())
    gap, flag = overfitting(history)
    done = len(history) if history is not None else 0
    return {
        "run": run_label(index),
        "formula": str(getattr(fit, "formula", "")),
        "settings": settings_summary(getattr(fit, "args", {}) or {}),
        "epochs_run": done,
        "epochs_planned": int(getattr(fit, "epochs", done) or done),
        "partial": bool(getattr(fit, "partial", False)),
        "partial_reason": getattr(fit, "partial_reason", None),
        "score_name": score_name,
        "score": None if score is None else float(score),
        "best_val_loss": best_val,
        "gap": gap,
        "overfit": flag,
        "duration_s": float(getattr(fit, "duration_s", 0.0) or 0.0),
        "seed": getattr(fit, "seed", None),
    }


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, fmt)


def leaderboard_html(rows: Sequence[dict], selected: Sequence[int] = ()) -> str:
    """The leaderboard as an HTML table; every cell is escaped (labels and formulas are data)."""
    if not rows:
        return "<p class='kms-board-empty'>No runs yet: press Train.</p>"
    e = html.escape
    cell = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top"
    head = "".join(f"<th style='{cell}'>{e(c)}</th>" for c in LEADERBOARD_COLUMNS)
    body = []
    chosen = set(selected)
    for i, r in enumerate(rows):
        epochs = f"{r['epochs_run']}/{r['epochs_planned']}"
        if r["partial"]:
            epochs += f" ({r['partial_reason'] or 'partial'})"
        score = f"{r['score_name']} {_num(r['score'], '.3f')}"
        cells = [r["run"], r["formula"], r["settings"], epochs, score,
                 _num(r["best_val_loss"], ".4f"), _num(r["gap"], "+.4f"),
                 "⚠ overfit" if r["overfit"] else "", f"{r['duration_s']:.1f} s"]
        style = " style='background:#e3f2fd'" if i in chosen else ""
        cls = "kms-run kms-run-partial" if r["partial"] else "kms-run"
        body.append(f"<tr class='{cls}' data-run='{i}'{style}>"
                    + "".join(f"<td style='{cell}'>{e(str(c))}</td>" for c in cells) + "</tr>")
    return ("<table class='kms-board' style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


# --------------------------------------------------------------------------- copy as %%kms
def kms_cell_text(formula: str, kwargs: dict[str, Any], out: str | None = None,
                  data_name: str | None = None) -> str:
    """A ``%%kms`` cell reproducing a run: options line, then one ``name = value`` per argument
    (values written with ``repr``, so the magic evaluates them back to the same objects)."""
    line = ["%%kms"]
    if out:
        line += ["-o", out]
    if data_name:
        line += ["--data", data_name]
    line.append(formula)
    body = []
    for key, value in kwargs.items():
        if key in ("callbacks", "stop_event"):
            continue
        if isinstance(value, tuple):
            value = list(value)
        body.append(f"{key} = {value!r}")
    return " ".join(line) + "\n" + "\n".join(body) + "\n"
