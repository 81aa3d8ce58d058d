"""kms_kcv(): k-fold cross-validation with folds balanced by class."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kms_jupyter.core.design import detect_outcome, drop_missing
from kms_jupyter.core.formula import parse_formula
from kms_jupyter.errors import KmsArgumentError


@dataclass
class KcvResult:
    fits: list
    summary: pd.DataFrame

    def __repr__(self) -> str:
        return f"KcvResult({len(self.fits)} folds)\n{self.summary.to_string()}"


def balanced_folds(codes: np.ndarray | None, n: int, k: int, seed: int) -> np.ndarray:
    """Fold number per row: each class dealt round-robin over the folds after a seeded shuffle."""
    rng = np.random.default_rng(seed)
    folds = np.empty(n, dtype=int)
    if codes is None:
        folds[rng.permutation(n)] = np.arange(n) % k
        return folds
    start = 0
    for cls in np.unique(codes):
        rows = rng.permutation(np.flatnonzero(codes == cls))
        folds[rows] = (np.arange(len(rows)) + start) % k
        start += len(rows)  # continue the deal so small classes do not all land in fold 0
    return folds


def kms_kcv(formula: str, data: pd.DataFrame, k_folds: int = 5, **kms_args: Any) -> KcvResult:
    """Train ``k_folds`` fits, each tested on one fold; returns the fits and a summary table."""
    from kms_jupyter.core.engine import kms

    if isinstance(k_folds, bool) or not isinstance(k_folds, int) or k_folds < 2:
        raise KmsArgumentError(f"k_folds={k_folds!r} must be a whole number of at least 2.")
    if "p_training" in kms_args or "pTraining" in kms_args:
        raise KmsArgumentError("kms_kcv() sets the test rows itself (one fold each); drop p_training.")
    parsed = parse_formula(formula, data)
    frame, _ = drop_missing(data, parsed.used_columns)
    if len(frame) < k_folds:
        raise KmsArgumentError(f"{len(frame)} usable rows cannot make {k_folds} folds.")
    outcome = detect_outcome(frame[parsed.outcome])
    codes = None if outcome.y_type == "continuous" else outcome.encode(frame[parsed.outcome])
    seed = kms_args.get("seed") or 0
    folds = balanced_folds(codes, len(frame), k_folds, seed)
    fits, rows = [], []
    for fold in range(k_folds):
        # kms() trains on the other folds (no inner test split); the fold is scored here
        test = frame.iloc[np.flatnonzero(folds == fold)]
        train = frame.iloc[np.flatnonzero(folds != fold)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fit = kms(formula, train, p_training=1.0, **kms_args)
        scored = fit.evaluate(test)
        scored.pop("confusion", None)
        fit.evaluations = scored
        fit.y_test = test[parsed.outcome]
        fit.predictions = fit.predict(test)
        if outcome.y_type != "continuous":
            from kms_jupyter.core.evaluation import confusion_matrix

            fit.confusion = confusion_matrix(fit.y_test, fit.predictions, fit.labels)
        fits.append(fit)
        rows.append({"fold": fold + 1, "n_train": len(train), "n_test": len(test), **scored})
        if fit.partial_reason == "interrupted":  # the user wants to stop, not to skip a fold
            warnings.warn(f"training interrupted in fold {fold + 1} of {k_folds}; the result "
                          f"holds folds 1-{fold + 1}, the last one partial.", UserWarning,
                          stacklevel=2)
            break
    summary = pd.DataFrame(rows).set_index("fold")
    summary.loc["mean"] = summary.mean(numeric_only=True)
    return KcvResult(fits, summary)
