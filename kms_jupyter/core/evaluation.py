"""Test-set evaluation: metrics, the K×K confusion matrix, and kerasformula's many-class table."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from kms_jupyter.errors import KmsArgumentError, KmsTypeError


def confusion_matrix(observed: pd.Series, predicted: pd.Series, labels: list[str]) -> pd.DataFrame:
    """Counts with every class on both axes (also classes never observed or never predicted)."""
    # values outside ``labels`` (a class unseen in training) become NaN and are not counted
    obs = pd.Categorical(observed.astype(str).where(observed.astype(str).isin(labels)), categories=labels)
    pred = pd.Categorical(predicted.astype(str).where(predicted.astype(str).isin(labels)), categories=labels)
    table = pd.crosstab(obs, pred, dropna=False).reindex(index=labels, columns=labels, fill_value=0)
    table.index = [f"{label}_obs" for label in labels]
    table.columns = [f"{label}_pred" for label in labels]
    return table.astype(int)


def classification_metrics(y_true_codes: np.ndarray, proba: np.ndarray, k: int) -> dict[str, float]:
    """Accuracy, cross-entropy (and top-5 accuracy when there are more than 20 classes)."""
    if len(y_true_codes) == 0:
        return {}
    eps = 1e-7
    if proba.ndim == 1 or proba.shape[1] == 1:  # binary: P(second class)
        p1 = np.clip(proba.reshape(-1), eps, 1 - eps)
        pred = (p1 >= 0.5).astype(int)
        loss = -np.mean(y_true_codes * np.log(p1) + (1 - y_true_codes) * np.log(1 - p1))
    else:
        pred = proba.argmax(axis=1)
        loss = -np.mean(np.log(np.clip(proba[np.arange(len(pred)), y_true_codes], eps, 1)))
    metrics = {"accuracy": float(np.mean(pred == y_true_codes)), "loss": float(loss)}
    if k > 20 and proba.ndim == 2:
        top5 = np.argsort(-proba, axis=1)[:, :5]
        metrics["top5_accuracy"] = float(np.mean((top5 == y_true_codes[:, None]).any(axis=1)))
    return metrics


def regression_metrics(observed: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MSE, MAE, R² and Kendall's tau on the original scale of the outcome."""
    from scipy.stats import kendalltau

    if len(observed) == 0:
        return {}
    resid = observed - predicted
    ss_tot = float(np.sum((observed - observed.mean()) ** 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant predictions: tau is NaN, which is the honest answer
        tau = kendalltau(observed, predicted).statistic if len(observed) > 1 else np.nan
    return {"mse": float(np.mean(resid ** 2)), "mae": float(np.mean(np.abs(resid))),
            "r2": float(1 - np.sum(resid ** 2) / ss_tot) if ss_tot > 0 else float("nan"),
            "kendall_tau": float(tau)}


def collapse_warning(predicted: pd.Series, observed: pd.Series) -> str | None:
    """Text of a warning when every test prediction is the same class."""
    if len(predicted) < 2 or predicted.nunique() != 1:
        return None
    counts = observed.astype(str).value_counts()
    majority, share = counts.index[0], counts.iloc[0] / counts.sum()
    return (f"every test prediction is {predicted.iloc[0]!r}: the network collapsed to one class. "
            f"Predicting the majority class {majority!r} would score {share:.3f}; try more epochs, "
            "a softmax output, class_weight='balanced' or less regularization.")


def many_class_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """One row per observed label: N, pCorrect, most common errors (MCE, MCE2) and pOther."""
    labels = [c.removesuffix("_pred") for c in table.columns]
    rows = []
    for i, label in enumerate(labels):
        counts = table.iloc[i].to_numpy()
        n = int(counts.sum())
        wrong = [(int(counts[j]), labels[j]) for j in range(len(labels)) if j != i and counts[j] > 0]
        wrong.sort(key=lambda cj: (-cj[0], cj[1]))
        share = (lambda c: round(c / n, digits)) if n else (lambda c: float("nan"))
        mce, mce2 = (wrong + [(0, None), (0, None)])[:2]
        rows.append({"label": label, "N": n, "pCorrect": share(int(counts[i])),
                     "MCE": mce[1], "pMCE": share(mce[0]) if mce[1] else (0.0 if n else float("nan")),
                     "MCE2": mce2[1], "pMCE2": share(mce2[0]) if mce2[1] else (0.0 if n else float("nan")),
                     "pOther": share(sum(c for c, _ in wrong[2:]))})
    return pd.DataFrame(rows)


def confusion(fit: Any, return_xtab: bool | None = None, digits: int = 3) -> pd.DataFrame:
    """kerasformula's ``confusion()``: the xtab for fewer than 6 classes, else the many-class table."""
    table = getattr(fit, "confusion", None)
    if getattr(fit, "y_type", None) is None:
        raise KmsTypeError(f"confusion() takes a KmsFit, got {type(fit).__name__}.")
    if fit.y_type == "continuous" or table is None:
        raise KmsArgumentError("confusion() needs a classification fit with test rows; this fit is "
                               f"{fit.y_type!r}" + (" with p_training=1 (no test rows)." if table is None
                                                    and fit.y_type != "continuous" else "."))
    if return_xtab is None:
        return_xtab = len(table) < 6
    return table.copy() if return_xtab else many_class_table(table, digits)
