"""fit.to_code(): plain Python (pandas + formulaic + keras, no kms_jupyter) reproducing a fit.

The code is generated from the fit's own record (formula, resolved arguments, layer table, seed),
so it reproduces the same preprocessing: the same split rule, training-only scaling, full dummy
coding, and the same network. ``top()`` is emitted inline when the formula uses it.
"""
from __future__ import annotations

import inspect
from typing import Any

from kms_jupyter.core.design import split_rows
from kms_jupyter.core.network import KERAS_OBJECT_FIELDS

_TOP_SOURCE = '''
@stateful_transform
def top(data, n=10, other="other", _state={}):
    """Keep the n most frequent training levels; lump the rest into `other`."""
    values = pd.Series(data)
    if "levels" not in _state:
        counts = values.value_counts(dropna=True)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        _state["levels"] = [level for level, _ in ranked[: int(n)]]
    levels = list(_state["levels"])
    mapped = values.astype(object).where(values.isin(levels), other)
    mapped[values.isna()] = np.nan
    return pd.Series(pd.Categorical(mapped, categories=levels + [other]), index=values.index)
'''


def _split_source() -> str:
    """The engine's own split function, so the generated code splits exactly as kms() did."""
    return "\n" + inspect.getsource(split_rows)


def _keras_object_code(value: Any, module: str) -> str | None:
    """A name as a string; a built-in Keras object (``keras.<module>.<Class>``) as its constructor
    call with its config; ``None`` for a user-defined object that plain code cannot rebuild."""
    if isinstance(value, str):
        return repr(value)
    import keras

    cls = type(value).__name__
    if getattr(getattr(keras, module), cls, None) is type(value):
        return f"keras.{module}.{cls}(**{value.get_config()!r})"
    return None


# What stands in for a user-defined object that plain code cannot rebuild, by keras module.
_STAND_IN = {"initializers": "'glorot_uniform'", "regularizers": "None"}


def _layer_code(fit: Any) -> str:
    lines = []
    for i, spec in enumerate(fit.layers, start=1):
        name = "output" if spec.output else f"dense_{i}"
        args = []
        for key, module in KERAS_OBJECT_FIELDS.items():
            value = getattr(spec, key)
            if value is None:  # Keras' default (the initializer is never None: resolve_layers)
                continue
            code = _keras_object_code(value, module)
            if code is None:  # said on a line of its own, so the call stays valid Python
                lines.append(f"# {name}: the custom {key} {type(value).__name__} is not "
                             f"reproduced here; {_STAND_IN[module]} stands in for it")
                code = _STAND_IN[module]
            args.append(f"{key}={code}")
        lines.append(f"x = keras.layers.Dense({spec.units}, activation={spec.activation!r}, "
                     f"use_bias={spec.use_bias}, {', '.join(args)}, name={name!r})(x)")
        if spec.dropout > 0 and not spec.output:
            lines.append(f"x = keras.layers.Dropout({spec.dropout})(x)")
    return "\n".join(lines)


def fit_to_code(fit: Any) -> str:
    if fit.design.mode != "dense":
        from kms_jupyter.errors import KmsArgumentError

        raise KmsArgumentError(f"to_code() is not supported for {fit.design.mode} fits yet (only dense "
                               "designs); refit with sparse=False, embedding=False to export code.")
    a = fit.args
    parsed = fit.design.formula
    y_type = fit.y_type
    uses_top = "top(" in parsed.rhs
    loss = a.get("loss") or {"binary": "binary_crossentropy",
                             "multiclass": "sparse_categorical_crossentropy",
                             "continuous": "mse"}[y_type]
    metric = "mae" if y_type == "continuous" else "accuracy"
    scale = a.get("scale_continuous")
    optimizer = a.get("optimizer", "adam")
    opt_args = a.get("optimizer_args") or {}
    opt_code = (f"keras.optimizers.get({optimizer!r}).__class__(**{opt_args!r})" if opt_args
                else repr(optimizer))
    parts = [
        f"# Reproduces kms({parsed.text!r}, data, seed={fit.seed}) without kms_jupyter.",
        "import numpy as np",
        "import pandas as pd",
        "import keras",
        "from formulaic import model_matrix",
        *(["from formulaic.transforms import stateful_transform"] if uses_top else []),
        "",
        "data = ...  # your DataFrame",
        f"seed = {fit.seed}",
        f"outcome = {parsed.outcome!r}",
        f"used = {list(parsed.used_columns)!r}",
        "data = data.dropna(subset=used)  # rows with a missing value in any used column",
    ]
    if uses_top:
        parts.append(_TOP_SOURCE)
    parts.append(_split_source())
    if y_type == "continuous":
        parts += ["codes = None"]
    else:
        parts += [f"classes = {list(fit.outcome_spec.classes)!r}",
                  "codes = data[outcome].map({c: i for i, c in enumerate(classes)}).to_numpy()"]
    parts += [
        f"train_pos, test_pos = split_rows(len(data), {a['p_training']!r}, seed, codes)",
    ]
    if a.get("validation_split", 0) > 0:
        parts += [f"inner_fit, inner_val = split_rows(len(train_pos), {1 - a['validation_split']!r}, "
                  "seed + 1, None if codes is None else codes[train_pos])",
                  "fit_pos, val_pos = train_pos[inner_fit], train_pos[inner_val]"]
    else:
        parts += ["fit_pos, val_pos = train_pos, np.array([], dtype=int)"]
    parts += [
        "train, val, test = data.iloc[fit_pos], data.iloc[val_pos], data.iloc[test_pos]",
        "",
        "# Design: all dummy levels (ensure_full_rank=False), no intercept, learned on training rows",
        f"mm = model_matrix({parsed.rhs + ' - 1'!r}, train.drop(columns=[outcome]), "
        "ensure_full_rank=False, na_action='ignore'" + (", context={'top': top}" if uses_top else "") + ")",
        "spec = mm.model_spec",
        "X_train = np.asarray(mm, dtype='float64')",
    ]
    if scale is None:
        parts += ["offset, divisor = 0.0, 1.0"]
    else:
        parts += [
            "continuous = np.array([np.unique(X_train[:, j]).size > 2 for j in range(X_train.shape[1])])",
            ("offset, divisor = X_train.mean(axis=0), X_train.std(axis=0)" if scale == "z" else
             "offset, divisor = X_train.min(axis=0), X_train.max(axis=0) - X_train.min(axis=0)"),
            "divisor = np.where(continuous & (divisor > 0), divisor, 1.0)",
            "offset = np.where(continuous, offset, 0.0)",
        ]
    ctx = ", context={'top': top}" if uses_top else ""
    parts += [
        f"design = lambda rows: ((np.asarray(spec.get_model_matrix(rows, na_action='ignore'{ctx}), "
        "dtype='float64') - offset) / divisor).astype('float32')",
        "X_train, X_val, X_test = design(train), design(val), design(test)",
    ]
    if y_type == "continuous":
        parts += ["y_mean, y_sd = train[outcome].mean(), train[outcome].std(ddof=0) or 1.0",
                  "encode = lambda rows: ((rows[outcome] - y_mean) / y_sd).to_numpy('float32')"]
    else:
        parts += ["encode = lambda rows: rows[outcome].map({c: i for i, c in enumerate(classes)}).to_numpy('int32')"]
    parts += [
        "",
        "keras.utils.set_random_seed(seed)",
        "inputs = keras.Input(shape=(X_train.shape[1],))",
        "x = inputs",
        _layer_code(fit),
        "model = keras.Model(inputs, x)",
        f"model.compile(optimizer={opt_code}, loss={loss!r}, metrics=[{metric!r}])",
        "history = model.fit(X_train, encode(train), batch_size={}, epochs={}, verbose=0,".format(
            a["batch_size"], a["epochs"]),
        "                    validation_data=(X_val, encode(val)) if len(val) else None)",
        "",
    ]
    if y_type == "continuous":
        parts += ["pred = model.predict(X_test, verbose=0)[:, 0] * y_sd + y_mean",
                  "print('test MAE', np.mean(np.abs(pred - test[outcome].to_numpy())))"]
    elif y_type == "binary":
        parts += ["pred = np.asarray(classes, dtype=object)[(model.predict(X_test, verbose=0)[:, 0] >= 0.5).astype(int)]",
                  "print('test accuracy', np.mean(pred == test[outcome].to_numpy()))"]
    else:
        parts += ["pred = np.asarray(classes, dtype=object)[model.predict(X_test, verbose=0).argmax(axis=1)]",
                  "print('test accuracy', np.mean(pred == test[outcome].to_numpy()))"]
    return "\n".join(parts) + "\n"
