"""kms() arguments: defaults (with the reasons), kerasformula aliases, and range checks.

Defaults that differ from kerasformula's, and why (measured on the movies data, same network):
- scale_continuous="z" (kerasformula: "zero_one"): 0.47 vs 0.42 test accuracy, mean of 3 seeds;
  a few huge values (gross, votes) squeeze every other row into a sliver of [0, 1].
- regularizers None (kerasformula: L1 on kernel, bias and activity): dropout 0.4 already
  regularizes; kernel_regularizer="l2" gave 0.422 vs 0.466 for None (3 seeds).
- the output activation follows the outcome (softmax/sigmoid/linear), whatever the hidden
  activation is: the vignette's relu output is why its models predicted only "Comedy".
"""
from __future__ import annotations

import difflib
import threading
from typing import Any

from kms_jupyter.errors import KmsArgumentError, KmsTypeError

DEFAULTS: dict[str, Any] = {
    "units": (256, 128),
    "activation": "relu",
    "dropout": 0.4,
    "use_bias": True,
    "kernel_initializer": None,
    "kernel_regularizer": None,
    "bias_regularizer": None,
    "activity_regularizer": None,
    "p_training": 0.8,
    "validation_split": 0.2,
    "epochs": 15,
    "batch_size": 32,
    "loss": None,
    "metrics": None,
    "optimizer": "adam",
    "optimizer_args": None,
    "scale_continuous": "z",
    "seed": None,
    "verbose": 0,
    "callbacks": None,
    "class_weight": None,
    "early_stopping": None,
    "steps_per_execution": "auto",
    "stop_event": None,
    "sparse": None,
    "embedding": None,
    "strategy": None,
    # on_built(model, layers_overview): called after the model is built and compiled, right
    # before training (the %%kms magic shows the layer table and Keras summary from it).
    "on_built": None,
}

# kerasformula (R) names -> ours, so an R user's call carries over.
ALIASES = {"pTraining": "p_training", "Nepochs": "epochs", "sparse_data": "sparse",
           "N_layers": "N_layers", "scale": "scale_continuous"}

# Objects that are not settings: left out of fit.args (which must stay JSON-able).
_RUNTIME_ONLY = ("callbacks", "stop_event", "strategy", "on_built")


class Arguments(dict):
    """Resolved arguments; ``public()`` is the JSON-able record kept in ``fit.args``."""

    def public(self) -> dict:
        out = {}
        for key, value in self.items():
            if key in _RUNTIME_ONLY:
                continue
            if isinstance(value, tuple):
                value = list(value)
            if not isinstance(value, (str, int, float, bool, list, dict, type(None))):
                value = repr(value)
            out[key] = value
        return out


def _number(name: str, value: Any, low: float, high: float, low_open: bool, high_open: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KmsTypeError(f"{name} must be a number, got {value!r}.")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise KmsArgumentError(f"{name}={value!r} is outside {interval}.")
    return float(value)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise KmsArgumentError(f"{name}={value!r} must be a whole number of at least 1.")
    return int(value)


def _units_for_layers(n_layers: Any, units: Any) -> tuple:
    """kerasformula's N_layers counts the output layer: hidden = N_layers - 1."""
    hidden = _count("N_layers", n_layers) - 1
    if hidden < 1:
        raise KmsArgumentError(f"N_layers={n_layers} leaves no hidden layer; use 2 or more.")
    base = list(units) if isinstance(units, (list, tuple)) else [units]
    while len(base) < hidden:  # keep halving, as kerasformula's 256, 128 pattern does
        base.append(max(1, base[-1] // 2))
    return tuple(base[:hidden])


def resolve_arguments(kwargs: dict) -> Arguments:
    given = dict(kwargs)
    for alias, name in ALIASES.items():
        if alias in given and alias != name:
            if name in given:
                raise KmsArgumentError(f"both {alias!r} and {name!r} given; they are the same "
                                       f"setting ({alias} is kerasformula's name): keep one.")
            given[name] = given.pop(alias)
    n_layers = given.pop("N_layers", None)
    unknown = [k for k in given if k not in DEFAULTS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(DEFAULTS) + list(ALIASES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KmsArgumentError(f"kms() got an unknown argument {unknown[0]!r}.{hint}")
    a = Arguments(DEFAULTS)
    a.update(given)
    if n_layers is not None:
        a["units"] = _units_for_layers(n_layers, a["units"])
    a["p_training"] = _number("p_training", a["p_training"], 0, 1, True, False)
    a["validation_split"] = _number("validation_split", a["validation_split"], 0, 1, False, True)
    a["epochs"] = _count("epochs", a["epochs"])
    a["batch_size"] = _count("batch_size", a["batch_size"])
    if a["seed"] is not None and (isinstance(a["seed"], bool) or not isinstance(a["seed"], int)
                                  or a["seed"] < 0):
        raise KmsArgumentError(f"seed={a['seed']!r} must be a whole number ≥ 0 (or None for a new "
                               "random seed, recorded in fit.seed).")
    if a["scale_continuous"] not in ("z", "zero_one", None):
        close = difflib.get_close_matches(str(a["scale_continuous"]), ["z", "zero_one"], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KmsArgumentError(f"scale_continuous={a['scale_continuous']!r} must be 'z', 'zero_one' "
                               f"or None.{hint}")
    spe = a["steps_per_execution"]
    if spe != "auto":
        a["steps_per_execution"] = _count("steps_per_execution", spe)
    if a["stop_event"] is not None and not isinstance(a["stop_event"], threading.Event):
        raise KmsTypeError("stop_event must be a threading.Event.")
    cbs = a["callbacks"]
    if cbs is not None and not isinstance(cbs, (list, tuple)):
        a["callbacks"] = [cbs]
    es = a["early_stopping"]
    if es is not None and not isinstance(es, bool) and (not isinstance(es, int) or es < 0):
        raise KmsArgumentError(f"early_stopping={es!r}: use True (patience 5), a patience such as "
                               "3, or None.")
    if a["sparse"] is not None and not isinstance(a["sparse"], bool):
        raise KmsArgumentError(f"sparse={a['sparse']!r}: use True (scipy sparse design), False "
                               "(dense) or None (kms() decides from the data's size).")
    emb = a["embedding"]
    if isinstance(emb, str):
        a["embedding"] = emb = [emb]
    if emb is not None and not isinstance(emb, bool) and not (
            isinstance(emb, (list, tuple)) and emb and all(isinstance(c, str) for c in emb)):
        raise KmsArgumentError(f"embedding={emb!r}: use True (every factor with many levels), a list "
                               "of column names such as ['director'], False, or None (kms() decides).")
    if isinstance(emb, tuple):
        a["embedding"] = list(emb)
    strategy = a["strategy"]
    if strategy is not None and not (hasattr(strategy, "scope") and hasattr(strategy, "num_replicas_in_sync")):
        raise KmsTypeError(f"strategy must be a tf.distribute.Strategy (e.g. "
                           f"tf.distribute.MirroredStrategy()), got {type(strategy).__name__}.")
    if strategy is not None and a["seed"] is None:
        # every worker must draw the same train/test split and initial weights
        raise KmsArgumentError("strategy= needs seed= (e.g. seed=12345): without it each worker "
                               "draws its own seed, hence its own train/test split.")
    if a["on_built"] is not None and not callable(a["on_built"]):
        raise KmsTypeError(f"on_built must be a function on_built(model, layers_overview), got "
                           f"{type(a['on_built']).__name__}.")
    cw = a["class_weight"]
    if cw is not None and cw != "balanced" and not isinstance(cw, dict):
        raise KmsArgumentError(f"class_weight={cw!r}: use 'balanced', a dict {{class index: "
                               "weight}, or None.")
    return a
