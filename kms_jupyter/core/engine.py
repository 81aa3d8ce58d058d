"""kms(): formula + DataFrame -> trained, evaluated KmsFit (the one public entry point)."""
from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from kms_jupyter.core.arguments import resolve_arguments
from kms_jupyter.core.design import (detect_outcome, drop_missing, fit_design, fit_outcome_scale,
                                     identifier_columns, check_predictor_types, split_rows,
                                     check_not_all_missing, constant_columns)
from kms_jupyter.core.fit import KmsFit, evaluate_test
from kms_jupyter.core.formula import parse_formula, quote_name
from kms_jupyter.core.network import (DEFAULT_LOSS, build_model, check_loss, check_metrics,
                                      layers_overview, make_optimizer, resolve_layers, warn_conflict)
from kms_jupyter.core.interrupts import cooperative_sigint
from kms_jupyter.core.training import auto_steps_per_execution, train
from kms_jupyter.errors import KmsDataError, KmsTypeError
from kms_jupyter.core.evaluation import collapse_warning

# TensorFlow's C++ log spam would bury the user's output; only when the user has not chosen.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _check_frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise KmsTypeError(f"data must be a pandas DataFrame, got {type(data).__name__}; e.g. "
                           "pd.read_csv(...) or pd.DataFrame(...).")
    if data.empty:
        raise KmsDataError("data has no rows (or no columns): nothing to train on.")
    if data.columns.duplicated().any():
        dup = data.columns[data.columns.duplicated()][0]
        raise KmsDataError(f"column name {dup!r} appears more than once; rename the duplicates.")
    if not all(isinstance(c, str) for c in data.columns):
        # formulas can only name columns by text: 0 -> "0" (the caller's frame is untouched)
        data = data.rename(columns=str)
    if not data.index.is_unique:
        raise KmsDataError("the data's index has duplicate labels, so predictions could not be "
                           "matched to rows; call data.reset_index(drop=True) first.")
    return data


def _class_weight(spec: Any, codes: np.ndarray, k: int) -> dict | None:
    if spec is None:
        return None
    if isinstance(spec, str) and spec == "balanced":
        counts = np.bincount(codes, minlength=k).astype(float)
        return {i: (len(codes) / (k * c) if c else 0.0) for i, c in enumerate(counts)}
    return spec


def kms(formula: str, data: pd.DataFrame, **kwargs: Any) -> KmsFit:
    """Train and evaluate a Dense network described by ``formula`` on ``data``.

    ``kms("genre ~ . - director - title", movies, seed=12345)``; see ``kms_jupyter.core.arguments``
    for every argument, its default and why. kerasformula's names (pTraining, Nepochs, N_layers,
    sparse_data) are accepted too.

    Interrupting (Ctrl-C, the kernel's interrupt) stops training at the next batch and returns
    the fit so far with ``fit.partial`` set; a second interrupt stops at once.
    """
    a = resolve_arguments(kwargs)
    a["loss"] = check_loss(a["loss"])  # names checked here: before any TensorFlow work
    a["metrics"] = check_metrics(a["metrics"])
    data = _check_frame(data)
    parsed = parse_formula(formula, data)
    check_predictor_types(data, parsed.variables)
    check_not_all_missing(data, parsed.outcome, parsed.variables)
    for col, distinct in identifier_columns(data, parsed.variables):
        warnings.warn(f"column {col!r} has {distinct} distinct values in {len(data)} rows: it looks "
                      f"like an identifier and would add ~{distinct} dummy columns that cannot "
                      f"generalise; drop it with '- {quote_name(col)}' in the formula.", UserWarning, stacklevel=2)

    frame, n_dropped = drop_missing(data, parsed.used_columns)
    if n_dropped:
        warnings.warn(f"{n_dropped} of {len(data)} rows have missing values in the formula's columns "
                      "and were dropped (for X and y together).", UserWarning, stacklevel=2)
    if len(frame) < 2:
        raise KmsDataError(f"only {len(frame)} row(s) left after dropping missing values; kms() "
                           "needs at least 2.")
    for col, value in constant_columns(frame, parsed.variables):
        warnings.warn(f"column {col!r} has the same value ({value!r}) in every row: it carries no "
                      f"information; drop it with '- {quote_name(col)}' in the formula.", UserWarning,
                      stacklevel=2)
    outcome = detect_outcome(frame[parsed.outcome])
    n = len(frame)
    seed = a["seed"] if a["seed"] is not None else int(np.random.SeedSequence().entropy % (2**31 - 1))

    codes_all = None if outcome.y_type == "continuous" else outcome.encode(frame[parsed.outcome])
    train_pos, test_pos = split_rows(n, a["p_training"], seed, codes_all)
    if codes_all is not None and len(train_pos) < len(outcome.classes):
        raise KmsDataError(f"only {len(train_pos)} training row(s) for {len(outcome.classes)} classes of "
                           f"{parsed.outcome!r} ({n} rows, p_training={a['p_training']:g}): each class "
                           "needs rows to learn from; use more rows, a larger p_training, or merge "
                           "classes.")
    fit_pos, val_pos = (train_pos, np.array([], dtype=int))
    if a["validation_split"] > 0 and len(train_pos) >= 2:
        sub_codes = None if codes_all is None else codes_all[train_pos]
        inner_fit, inner_val = split_rows(len(train_pos), 1 - a["validation_split"], seed + 1, sub_codes)
        fit_pos, val_pos = train_pos[inner_fit], train_pos[inner_val]

    train_frame = frame.iloc[fit_pos]
    design, x_fit = fit_design(parsed, train_frame, a["scale_continuous"], sparse=a["sparse"],
                               embedding=a["embedding"])
    outcome = fit_outcome_scale(outcome, train_frame[parsed.outcome])
    y_fit = outcome.encode(train_frame[parsed.outcome])
    validation = None
    if len(val_pos):
        val_frame = frame.iloc[val_pos]
        validation = (design.matrix(val_frame), outcome.encode(val_frame[parsed.outcome]))
    test_frame = frame.iloc[test_pos]
    x_test = design.matrix(test_frame)

    k = len(outcome.classes)
    n_out = k if outcome.y_type == "multiclass" else 1
    layers = resolve_layers(a["units"], a["activation"], a["dropout"], a["use_bias"],
                            a["kernel_initializer"], a["kernel_regularizer"], a["bias_regularizer"],
                            a["activity_regularizer"], outcome.y_type, n_out)
    loss = a["loss"] or DEFAULT_LOSS[outcome.y_type]
    if isinstance(loss, str):
        warn_conflict(outcome.y_type, layers[-1].activation, loss)

    import keras  # first TensorFlow import happens here, never at package import
    import logging

    # tf.function retracing notes appear when a notebook trains several models; they are noise
    logging.getLogger("tensorflow").setLevel(logging.ERROR)

    keras.utils.set_random_seed(seed)
    # With a tf.distribute strategy, variables (model, optimizer, metrics) are created in its scope;
    # model.fit then splits each global batch of batch_size rows over the replicas.
    strategy = a["strategy"]
    spe = a["steps_per_execution"]
    if spe == "auto":
        # Keras 3.15's multi-step loop fails under MirroredStrategy with several replicas ("You must
        # feed a value for placeholder tensor"), so a distributed fit runs one step per execution.
        distributed = strategy is not None and strategy.num_replicas_in_sync > 1
        spe = 1 if distributed else auto_steps_per_execution(a["batch_size"], len(fit_pos))
    with (strategy.scope() if strategy is not None else contextlib.nullcontext()):
        model = build_model(layers, design.p, sparse=design.sparse, embeddings=design.embeddings)
        metrics = a["metrics"]
        if metrics is None:
            metrics = ["mae"] if outcome.y_type == "continuous" else ["accuracy"]
            if outcome.y_type == "multiclass" and k > 20:
                metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"))
        model.compile(optimizer=make_optimizer(a["optimizer"], a["optimizer_args"]), loss=loss,
                      metrics=metrics, steps_per_execution=spe)

    if a["on_built"] is not None:  # e.g. the %%kms magic shows the layer table before training
        a["on_built"](model, layers_overview(layers, model, design.embeddings))

    # From here a kernel interrupt stops training at the next batch and the fit is kept; during
    # the (short) evaluation a first interrupt is ignored, so the trained model is not lost.
    with cooperative_sigint() as interrupt:
        result = train(model, x_fit, y_fit, validation, epochs=a["epochs"],
                       batch_size=a["batch_size"], callbacks=a["callbacks"],
                       class_weight=_class_weight(a["class_weight"], y_fit, k) if k else a["class_weight"],
                       early_stopping=a["early_stopping"], stop_event=a["stop_event"],
                       verbose=a["verbose"], interrupt=interrupt)
        if result.partial:
            warnings.warn(f"training {result.partial_reason} after {len(result.history)} of "
                          f"{a['epochs']} epochs; the fit is partial (fit.partial is True) and "
                          "evaluated as it stands.", UserWarning, stacklevel=2)

        y_test = test_frame[parsed.outcome]
        evaluations, predictions, table = evaluate_test(model, outcome, x_test, y_test)
    notes = []
    if outcome.y_type != "continuous":
        message = collapse_warning(predictions, y_test)
        if message:
            notes.append(message)
            warnings.warn(message, UserWarning, stacklevel=2)
    return KmsFit(model=model, design=design, outcome=outcome, layers=layers,
                  history=result.history, evaluations=evaluations, y_test=y_test,
                  predictions=predictions, confusion=table, args=a.public(), seed=seed, n=n,
                  epochs=a["epochs"], partial=result.partial, partial_reason=result.partial_reason,
                  duration_s=result.duration_s, notes=notes)
