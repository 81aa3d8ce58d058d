"""Per-layer table -> keras.Model, with the output layer and loss chosen from the outcome.

``resolve_layers`` is pure (no TensorFlow): it expands scalar/per-layer arguments into one row per
Dense layer, and that table is both what builds the network and what the user sees as
``layers_overview`` — so the table cannot drift from the model (kerasformula's table listed its
first layer once but built it twice).
"""
from __future__ import annotations

import difflib
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import pandas as pd

from kms_jupyter.errors import KmsArgumentError, KmsTypeError

ACTIVATIONS = ("relu", "sigmoid", "softmax", "softplus", "softsign", "tanh", "selu", "elu",
               "exponential", "leaky_relu", "relu6", "silu", "swish", "gelu", "hard_sigmoid",
               "hard_silu", "hard_swish", "linear", "mish", "log_softmax", "celu", "glu",
               "hard_tanh", "log_sigmoid", "sparse_plus", "squareplus", "tanh_shrink",
               "soft_shrink", "hard_shrink", "threshold", "sparsemax")
REGULARIZER_NAMES = ("l1", "l2", "l1_l2", "orthogonal_regularizer")
# Names keras.initializers.get() accepts without arguments (Keras 3); checked before TensorFlow.
INITIALIZER_NAMES = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                     "lecun_uniform", "lecun_normal", "random_uniform", "random_normal",
                     "truncated_normal", "uniform", "normal", "orthogonal", "identity",
                     "variance_scaling", "zeros", "ones", "zero", "one",
                     "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                     "LecunNormal", "RandomUniform", "RandomNormal", "TruncatedNormal",
                     "Orthogonal", "Identity", "VarianceScaling", "Zeros", "Ones")
# kerasformula's regularizer names carry over: "regularizer_l1" -> "l1".
_R_PREFIX = "regularizer_"
OUTPUT_ACTIVATION = {"binary": "sigmoid", "multiclass": "softmax", "continuous": "linear"}
DEFAULT_LOSS = {"binary": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy",
                "continuous": "mse"}


@dataclass(frozen=True)
class LayerSpec:
    """One Dense layer (optionally followed by Dropout), as shown in ``layers_overview``."""

    units: int
    activation: str
    dropout: float
    use_bias: bool
    kernel_initializer: Any  # a name, or a keras initializer object
    kernel_regularizer: Any
    bias_regularizer: Any
    activity_regularizer: Any
    output: bool = False


# LayerSpec fields that may hold a Keras object, and the keras module that (de)serializes it;
# the layer table, save/load and to_code() all treat exactly these fields that way.
KERAS_OBJECT_FIELDS = {"kernel_initializer": "initializers", "kernel_regularizer": "regularizers",
                       "bias_regularizer": "regularizers", "activity_regularizer": "regularizers"}


def _per_layer(name: str, value: Any, n: int, allow_extra: bool = False) -> list:
    """A scalar -> n copies; a list -> checked length (n, or n + 1 when the output is included)."""
    if isinstance(value, (list, tuple)):
        ok = len(value) == n or (allow_extra and len(value) == n + 1)
        if not ok:
            want = f"{n}" + (f" or {n + 1} (hidden layers plus the output)" if allow_extra else "")
            raise KmsArgumentError(f"{name} has {len(value)} values for {n} hidden layers; give "
                                   f"one value for all layers, or a list of length {want}.")
        return list(value)
    return [value] * n


def check_activation(name: Any, where: str = "activation") -> str:
    if not isinstance(name, str):
        raise KmsTypeError(f"{where} must be a name such as 'relu', got {type(name).__name__}.")
    if name not in ACTIVATIONS:
        close = difflib.get_close_matches(name, ACTIVATIONS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else f" Choose from {', '.join(ACTIVATIONS[:8])}, ..."
        raise KmsArgumentError(f"unknown {where} {name!r}.{hint}")
    return name


def describe_keras_object(value: Any) -> str:
    """Short text for the layer table: a name as it is, an object as e.g. ``l2(l2=0.01)``."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return value
    config = getattr(value, "get_config", lambda: {})()
    args = ", ".join(f"{k}={v:g}" for k, v in config.items() if isinstance(v, float) and v)
    return f"{type(value).__name__.lower()}({args})"


def check_initializer(init: Any, where: str = "kernel_initializer") -> Any:
    """None (Keras' default 'glorot_uniform'), a name Keras knows, or an initializer object."""
    if init is None:
        return "glorot_uniform"
    if isinstance(init, str):
        if init not in INITIALIZER_NAMES:
            # suggest snake_case names only: 'GlorotUniform' beside 'glorot_uniform' is noise
            raise _unknown_name(where, init, [n for n in INITIALIZER_NAMES if n.islower()])
        return init
    if callable(init) and hasattr(init, "get_config"):
        return init
    raise KmsTypeError(f"{where} must be None, a name such as 'he_normal' or a keras initializer, "
                       f"got {type(init).__name__}.")


def check_regularizer(reg: Any, where: str) -> Any:
    """None, a name ('l1', 'l2', 'l1_l2', or R's 'regularizer_l1'), or a Keras regularizer object."""
    if reg is None or (not isinstance(reg, str) and hasattr(reg, "get_config")):
        return reg
    if isinstance(reg, str):
        name = reg[len(_R_PREFIX):] if reg.startswith(_R_PREFIX) else reg
        if name not in REGULARIZER_NAMES:
            close = difflib.get_close_matches(name, REGULARIZER_NAMES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else " Use None, 'l1', 'l2' or 'l1_l2'."
            raise KmsArgumentError(f"unknown {where} {reg!r}.{hint}")
        return name
    raise KmsTypeError(f"{where} must be None, a name ('l1', 'l2', 'l1_l2') or a keras regularizer, "
                       f"got {type(reg).__name__}.")


def resolve_layers(units: Any, activation: Any, dropout: Any, use_bias: Any, kernel_initializer: Any,
                   kernel_regularizer: Any, bias_regularizer: Any, activity_regularizer: Any,
                   y_type: str, n_outputs: int) -> list[LayerSpec]:
    """The full layer table: hidden layers from the arguments, then the output layer."""
    if isinstance(units, (int,)) and not isinstance(units, bool):
        units = [units]
    if not isinstance(units, (list, tuple)) or not all(isinstance(u, int) and not isinstance(u, bool)
                                                        for u in units):
        raise KmsTypeError(f"units must be a list of whole numbers such as (256, 128), got {units!r}.")
    if any(u <= 0 for u in units):
        raise KmsArgumentError(f"units must all be at least 1, got {tuple(units)}.")
    n = len(units)
    acts = _per_layer("activation", activation, n, allow_extra=True)
    out_act = OUTPUT_ACTIVATION[y_type]
    if len(acts) == n + 1:  # the user named the output activation explicitly
        out_act = check_activation(acts.pop(), "output activation")
    acts = [check_activation(a) for a in acts]
    drops = _per_layer("dropout", dropout, n)
    for d in drops:
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not 0 <= d < 1:
            raise KmsArgumentError(f"dropout {d!r} must be a number in [0, 1), e.g. 0.4.")
    biases = _per_layer("use_bias", use_bias, n, allow_extra=True)
    out_bias = biases.pop() if len(biases) == n + 1 else biases[-1] if biases else bool(use_bias)
    inits = [check_initializer(i) for i in
             _per_layer("kernel_initializer", kernel_initializer, n, allow_extra=True)]
    out_init = inits.pop() if len(inits) == n + 1 else (inits[-1] if inits else "glorot_uniform")
    k_regs = [check_regularizer(r, "kernel_regularizer") for r in _per_layer("kernel_regularizer", kernel_regularizer, n, True)]
    b_regs = [check_regularizer(r, "bias_regularizer") for r in _per_layer("bias_regularizer", bias_regularizer, n, True)]
    a_regs = [check_regularizer(r, "activity_regularizer") for r in _per_layer("activity_regularizer", activity_regularizer, n, True)]

    def last(regs: list) -> Any:
        return regs.pop() if len(regs) == n + 1 else (regs[-1] if regs else None)

    out_k, out_b, out_a = last(k_regs), last(b_regs), last(a_regs)
    table = [LayerSpec(int(u), a, float(d), bool(b), i, k, br, ar)
             for u, a, d, b, i, k, br, ar in zip(units, acts, drops, biases, inits, k_regs, b_regs, a_regs)]
    # No activity regularizer on the output: it would penalise the predictions themselves.
    table.append(LayerSpec(n_outputs, out_act, 0.0, bool(out_bias), out_init, out_k, out_b, None,
                           output=True))
    return table


def output_loss_conflict(y_type: str, activation: str, loss: str) -> str | None:
    """A warning text when the output activation contradicts the loss, else None."""
    if y_type == "multiclass" and "crossentropy" in loss and activation != "softmax":
        return (f"output activation {activation!r} with {loss} does not give class probabilities "
                "(this is why kerasformula's vignette predicted only 'Comedy'); use 'softmax' "
                "(leave the output activation out of the activation list).")
    if y_type == "binary" and "crossentropy" in loss and activation != "sigmoid":
        return (f"output activation {activation!r} with {loss} does not give a probability; use "
                "'sigmoid' (leave the output activation out of the activation list).")
    if y_type == "continuous" and activation in ("softmax", "sigmoid"):
        return (f"output activation {activation!r} squashes a continuous outcome into (0, 1); use "
                "'linear' (leave the output activation out of the activation list).")
    return None


def _regularizer(reg: Any) -> Any:
    if isinstance(reg, str):
        import keras

        return keras.regularizers.get(reg)
    return reg


def build_model(layers: Sequence[LayerSpec], n_inputs: int, name: str = "kms", *,
                sparse: bool = False, embeddings: Sequence[Any] = ()) -> Any:
    """The Keras network the table describes: Dense (+ Dropout when > 0) per row.

    In front of the table: the design input (``sparse=True``: a sparse input, multiplied by the
    first Dense layer without densifying), and one Embedding per ``embeddings`` entry (a
    ``design.EmbeddingSpec``: index input -> Embedding -> Flatten), concatenated with the design.
    Models with sparse or embedding inputs take a dict of inputs keyed by input name.
    """
    import keras

    named: dict[str, Any] = {}
    parts = []
    if n_inputs or not embeddings:
        design = keras.Input(shape=(n_inputs,), name="design", sparse=bool(sparse))
        named["design"] = design
        parts.append(design)
    for e in embeddings:
        index = keras.Input(shape=(1,), dtype="int32", name=e.input_name)
        vectors = keras.layers.Embedding(e.input_dim, e.dim, name=e.layer_name)(index)
        parts.append(keras.layers.Flatten(name=f"flatten_{e.name}")(vectors))
        named[e.input_name] = index
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name="inputs")(parts)
    for i, spec in enumerate(layers, start=1):
        x = keras.layers.Dense(
            spec.units, activation=spec.activation, use_bias=spec.use_bias,
            kernel_initializer=spec.kernel_initializer,
            kernel_regularizer=_regularizer(spec.kernel_regularizer),
            bias_regularizer=_regularizer(spec.bias_regularizer) if spec.use_bias else None,
            activity_regularizer=_regularizer(spec.activity_regularizer),
            name="output" if spec.output else f"dense_{i}")(x)
        if spec.dropout > 0 and not spec.output:
            x = keras.layers.Dropout(spec.dropout, name=f"dropout_{i}")(x)
    inputs = named if (sparse or embeddings) else named["design"]
    return keras.Model(inputs, x, name=name)


def layers_overview(layers: Sequence[LayerSpec], model: Any = None,
                    embeddings: Sequence[Any] = ()) -> pd.DataFrame:
    """The layer table (one row per Embedding, then one per Dense layer); with a model, its real
    parameter counts. An embedding row shows its width in ``units`` and its levels in
    ``activation`` (index 0 of each embedding is reserved for levels unseen in training)."""
    rows, index = [], []
    for e in embeddings:
        row = {"units": e.dim, "activation": f"embedding ({len(e.levels)} levels + unseen)",
               "dropout": 0.0, "use_bias": False, "kernel_initializer": "uniform",
               "kernel_regularizer": "None", "bias_regularizer": "None", "activity_regularizer": "None"}
        if model is not None:
            row["params"] = model.get_layer(e.layer_name).count_params()
        rows.append(row)
        index.append(f"embed_{e.column}")
    for i, spec in enumerate(layers, start=1):
        row = asdict(spec)
        for key in KERAS_OBJECT_FIELDS:
            row[key] = describe_keras_object(row[key]) if not isinstance(row[key], dict) else str(row[key])
        row.pop("output")
        if model is not None:
            row["params"] = model.get_layer("output" if spec.output else f"dense_{i}").count_params()
        rows.append(row)
    index += [f"layer{i}" for i in range(1, len(layers))] + ["output"]
    return pd.DataFrame(rows, index=index)


# Names Keras 3 accepts as a loss / metric string (keras.losses.get / keras.metrics.get, plus
# compile's "acc"/"ce" shortcuts), listed here so a typo is caught before TensorFlow is imported.
# tests/core/test_loss_metrics.py checks both lists against the installed Keras.
LOSS_NAMES = (
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "circle", "cosine_similarity", "ctc",
    "dice", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "poisson", "sparse_categorical_crossentropy",
    "squared_hinge", "tversky", "bce",
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber",
    "KLDivergence", "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
    "SquaredHinge", "BCE", "MAE", "MAPE", "MSE", "MSLE", "KLD",
)
METRIC_NAMES = (
    "accuracy", "acc", "crossentropy", "ce", "auc", "binary_accuracy", "binary_crossentropy",
    "categorical_accuracy", "categorical_crossentropy", "categorical_hinge",
    "concordance_correlation", "cosine_similarity", "f1_score", "f_beta_score",
    "false_negatives", "false_positives", "hinge", "kl_divergence", "log_cosh_error", "mae",
    "mape", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "pearson_correlation", "poisson",
    "precision", "r2_score", "recall", "root_mean_squared_error", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy", "true_negatives", "true_positives", "bce", "binary_io_u",
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity",
    "F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "KLDivergence",
    "LogCoshError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "PearsonCorrelation", "Poisson", "Precision", "R2Score",
    "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "BCE", "MAE", "MAPE", "MSE",
    "MSLE",
)


def _unknown_name(kind: str, name: str, known: Sequence[str]) -> KmsArgumentError:
    lower: dict[str, str] = {}
    for k in known:  # snake_case names come first in the lists: suggest 'mse' rather than 'MSE'
        lower.setdefault(k.lower(), k)
    close = difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)
    close = [lower[c] for c in close]
    if close:
        hint = " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        hint = f" Known names include {', '.join(repr(k) for k in known[:6])}, ..."
    return KmsArgumentError(f"unknown {kind} {name!r}.{hint}")


def check_loss(loss: Any) -> Any:
    """A loss name Keras knows (else KmsArgumentError with the closest names); None and loss
    objects or functions pass through unchanged."""
    if isinstance(loss, str):
        if loss not in LOSS_NAMES:
            raise _unknown_name("loss", loss, LOSS_NAMES)
        return loss
    if loss is None or callable(loss) or isinstance(loss, (list, dict)):
        return loss
    raise KmsTypeError(f"loss must be a name such as 'mse' or a keras loss, got {type(loss).__name__}.")


def check_metrics(metrics: Any) -> Any:
    """Metric names Keras knows (else KmsArgumentError with the closest names). A single name
    becomes a one-item list; None, dicts and metric objects pass through unchanged."""
    if metrics is None or isinstance(metrics, dict):
        return metrics
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    for m in metrics:
        if isinstance(m, str) and m not in METRIC_NAMES and m.lower() not in ("accuracy", "acc",
                                                                            "crossentropy", "ce"):
            raise _unknown_name("metric", m, METRIC_NAMES)
    return list(metrics)


def make_optimizer(name: Any, args: dict | None) -> Any:
    import keras

    if not isinstance(name, str):
        if args:
            raise KmsArgumentError("optimizer_args only apply to an optimizer given by name.")
        return name
    known = ("adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl",
             "lion", "lamb", "muon")
    key = name.lower()
    if key not in known:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else f" Choose from {', '.join(known)}."
        raise KmsArgumentError(f"unknown optimizer {name!r}.{hint}")
    try:
        opt = keras.optimizers.get(key)
        if args:
            opt = opt.__class__(**args)
    except (TypeError, ValueError) as exc:
        raise KmsArgumentError(f"optimizer {name!r} rejected optimizer_args={args!r}: {exc}") from None
    return opt


def warn_conflict(y_type: str, activation: str, loss: str) -> None:
    message = output_loss_conflict(y_type, activation, loss)
    if message:
        warnings.warn(message, UserWarning, stacklevel=3)
