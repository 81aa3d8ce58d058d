"""KmsFit: the result of kms() — history, test metrics, confusion, and prediction on new data."""
from __future__ import annotations

import html
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd

from kms_jupyter.core.design import DesignSpec, Outcome, n_rows
from kms_jupyter.core.evaluation import (classification_metrics, confusion_matrix,
                                         regression_metrics)
from kms_jupyter.core.network import LayerSpec, layers_overview
from kms_jupyter.errors import KmsDataError, KmsTypeError

_PREDICT_BATCH = 4096


class KmsFit:
    """A trained, evaluated network and everything needed to use it on new data."""

    def __init__(self, *, model: Any, design: DesignSpec, outcome: Outcome, layers: list[LayerSpec],
                 history: pd.DataFrame, evaluations: dict, y_test: pd.Series, predictions: pd.Series,
                 confusion: pd.DataFrame | None, args: dict, seed: int, n: int, epochs: int,
                 partial: bool = False, partial_reason: str | None = None, duration_s: float = 0.0,
                 notes: list[str] | None = None):
        self.model = model
        self.design = design
        self.outcome_spec = outcome
        self.layers = list(layers)
        self.history = history
        self.evaluations = evaluations
        self.y_test = y_test
        self.predictions = predictions
        self.confusion = confusion
        self.args = args
        self.seed = seed
        self.n = n
        self.epochs = epochs
        self.partial = partial
        self.partial_reason = partial_reason
        self.duration_s = duration_s
        self.notes = list(notes or [])

    # ------------------------------------------------------------------ descriptive attributes
    @property
    def formula(self) -> str:
        return self.design.formula.text

    @property
    def outcome(self) -> str:
        return self.outcome_spec.name

    @property
    def y_type(self) -> str:
        return self.outcome_spec.y_type

    @property
    def labels(self) -> list[str]:
        return self.outcome_spec.labels

    @property
    def p(self) -> int:
        return self.design.p

    @property
    def k(self) -> int:
        return len(self.labels) if self.y_type != "continuous" else 1

    @property
    def main_metric(self) -> str:
        return "mae" if self.y_type == "continuous" else "accuracy"

    @property
    def layers_overview(self) -> pd.DataFrame:
        return layers_overview(self.layers, self.model, self.design.embeddings)

    @property
    def input_mode(self) -> str:
        """How the design reaches the network: "dense", "sparse", "embedding" or "embedding+sparse"
        (see ``kms_jupyter.core.design.choose_input_mode``)."""
        return self.design.mode

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def summary(self) -> str:
        """The layer table, then the Keras summary, as text."""
        lines: list[str] = []
        self.model.summary(print_fn=lambda line, *a, **k: lines.append(line), line_length=96)
        note = f" ({self.design.input_note})" if self.design.input_note else ""
        head = f"input: {self.input_mode}{note}; design p={self.p}"
        for e in self.design.embeddings:
            head += f"; {e.column}: {len(e.levels)} levels -> embedding of {e.dim}"
        return head + "\n" + self.layers_overview.to_string() + "\n" + "\n".join(lines)

    def _headline(self) -> str:
        ev = self.evaluations
        if self.y_type == "continuous":
            score = f"test MAE {ev['mae']:.4g}, R² {ev['r2']:.3f}" if ev else "no test rows"
        else:
            score = f"test accuracy {ev['accuracy']:.3f}" if ev else "no test rows"
        kind = f"{self.y_type}, {self.k} classes" if self.y_type == "multiclass" else self.y_type
        state = f"{self.epochs_run}/{self.epochs} epochs" + (f", PARTIAL ({self.partial_reason})"
                                                             if self.partial else "")
        return f"{self.formula} | {kind} | n={self.n}, p={self.p} | {score} | {state} | seed {self.seed}"

    def __repr__(self) -> str:
        return f"<KmsFit {self._headline()}>"

    def _repr_html_(self) -> str:
        # Plain, escaped HTML; the notebook layer adds charts and a PNG via _repr_mimebundle_.
        return (f"<div class='kms-fit'><b>KmsFit</b> {html.escape(self._headline())}"
                f"{self.layers_overview.to_html(escape=True)}</div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            from kms_jupyter.notebook.static import fit_mimebundle
        except ImportError:  # notebook extras (matplotlib...) not installed: text + HTML only
            return {"text/plain": repr(self), "text/html": self._repr_html_()}
        return fit_mimebundle(self)

    # ------------------------------------------------------------------ new data
    def _design_for(self, newdata: Any) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(newdata, pd.DataFrame):
            raise KmsTypeError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}.")
        needed = list(self.design.formula.variables)
        missing = [c for c in needed if c not in newdata.columns]
        if missing:
            raise KmsDataError(f"newdata lacks column(s) {', '.join(map(repr, missing))} used by "
                               f"the formula {self.formula!r}; add them (extra columns are ignored).")
        for col, counts in self.design.unseen_levels(newdata).items():
            examples = ", ".join(f"{lvl!r} ({c})" for lvl, c in counts.head(3).items())
            how = ("the embedding's reserved 'unseen' index 0" if col in self.design.embedded_columns
                   else "no known level (all-zero dummies)")
            warnings.warn(f"column {col!r}: {int(counts.sum())} row(s) have levels never seen in "
                          f"training ({examples}{', ...' if len(counts) > 3 else ''}); they are "
                          f"encoded as {how}.", UserWarning, stacklevel=3)
        from kms_jupyter.core.design import check_predictor_types

        check_predictor_types(newdata, needed, reference=self.design.dtypes)
        missing_rows = newdata[needed].isna().any(axis=1).to_numpy()
        if missing_rows.any():
            warnings.warn(f"{int(missing_rows.sum())} row(s) of newdata have missing values in the "
                          "formula's columns; their predictions are missing (NaN).", UserWarning,
                          stacklevel=3)
        X = self.design.matrix(newdata)
        return X, ~missing_rows

    def _raw_predict(self, X: np.ndarray) -> np.ndarray:
        if n_rows(X) == 0:
            return np.zeros((0, self.model.output_shape[-1]), dtype="float32")
        return np.asarray(self.model.predict(X, batch_size=_PREDICT_BATCH, verbose=0))

    def predict_proba(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per label, indexed like ``newdata``."""
        if self.y_type == "continuous":
            raise KmsTypeError("predict_proba() is for classification fits; use predict() for "
                               f"the continuous outcome {self.outcome!r}.")
        X, ok = self._design_for(newdata)
        raw = self._raw_predict(X)
        proba = np.column_stack([1 - raw[:, 0], raw[:, 0]]) if self.y_type == "binary" else raw
        proba = proba.astype(float)
        proba[~ok] = np.nan
        return pd.DataFrame(proba, index=newdata.index, columns=self.labels)

    def _decode(self, raw: np.ndarray, ok: np.ndarray, index: pd.Index) -> pd.Series:
        if self.y_type == "continuous":
            values = self.outcome_spec.decode(raw[:, 0])
            values[~ok] = np.nan
            return pd.Series(values, index=index, name=self.outcome)
        codes = (raw[:, 0] >= 0.5).astype(int) if self.y_type == "binary" else raw.argmax(axis=1)
        labels = self.outcome_spec.decode(codes).astype(object)
        labels[~ok] = None
        return pd.Series(labels, index=index, name=self.outcome)

    def predict(self, newdata: pd.DataFrame) -> pd.Series:
        """Labels (classification) or values on the outcome's own scale, indexed like ``newdata``."""
        X, ok = self._design_for(newdata)
        return self._decode(self._raw_predict(X), ok, newdata.index)

    def evaluate(self, newdata: pd.DataFrame) -> dict:
        """Metrics (and confusion, for classification) on rows that carry the outcome column."""
        if self.outcome not in newdata.columns:
            raise KmsDataError(f"evaluate() needs the outcome column {self.outcome!r} in newdata; "
                               "use predict() for rows without it.")
        rows = newdata[newdata[self.outcome].notna()]
        X, ok = self._design_for(rows)
        raw = self._raw_predict(X)
        pred = self._decode(raw, ok, rows.index)
        observed = rows[self.outcome]
        if self.y_type == "continuous":
            keep = ok
            return regression_metrics(observed.to_numpy(float)[keep], pred.to_numpy(float)[keep])
        codes = self.outcome_spec.encode(observed)
        known = ok & (codes >= 0)  # outcome levels unseen in training cannot be scored as a class
        proba = raw if self.y_type != "binary" else raw[:, 0]
        metrics = classification_metrics(codes[known], proba[known], self.k)
        metrics["confusion"] = confusion_matrix(observed[known], pred[known], self.labels)
        return metrics

    # ------------------------------------------------------------------ persistence, code, plots
    def save(self, path: str) -> str:
        from kms_jupyter.core.persistence import save_fit

        return save_fit(self, path)

    def to_code(self) -> str:
        from kms_jupyter.core.codegen import fit_to_code

        return fit_to_code(self)

    def plot_history(self):
        from kms_jupyter.notebook.charts import plot_history

        return plot_history(self)

    def plot_confusion(self):
        from kms_jupyter.notebook.charts import plot_fit_confusion

        return plot_fit_confusion(self)


def evaluate_test(model: Any, outcome: Outcome, X_test: np.ndarray, y_test: pd.Series,
                  ) -> tuple[dict, pd.Series, pd.DataFrame | None]:
    """Metrics, predictions (original labels/scale, indexed like y_test) and confusion."""
    if len(y_test) == 0:
        return {}, pd.Series([], dtype=object, name=outcome.name), None
    raw = np.asarray(model.predict(X_test, batch_size=_PREDICT_BATCH, verbose=0))
    if outcome.y_type == "continuous":
        pred = pd.Series(outcome.decode(raw[:, 0]), index=y_test.index, name=outcome.name)
        return regression_metrics(y_test.to_numpy(float), pred.to_numpy(float)), pred, None
    codes = (raw[:, 0] >= 0.5).astype(int) if outcome.y_type == "binary" else raw.argmax(axis=1)
    pred = pd.Series(outcome.decode(codes), index=y_test.index, name=outcome.name)
    proba = raw[:, 0] if outcome.y_type == "binary" else raw
    metrics = classification_metrics(outcome.encode(y_test), proba, len(outcome.classes))
    return metrics, pred, confusion_matrix(y_test, pred, outcome.labels)
