"""fit.save(path) / load_fit(path): one zip file holding ``model.keras`` and ``fit.json``.

No pickle anywhere: the formulaic spec is rebuilt from its JSON-able state (formula text, the
columns '.' stood for, encoder and transform state), and the Keras model is loaded in safe mode,
so loading a file never executes code from it. Saving writes a temporary file in the target folder
and renames it, so an interrupted save never leaves a half-written file behind.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kms_jupyter.core.design import (DesignSpec, EmbeddingSpec, Outcome, Scaler, from_json_ready,
                                     json_ready)
from kms_jupyter.core.formula import CONTEXT, ParsedFormula
from kms_jupyter.core.network import KERAS_OBJECT_FIELDS, LayerSpec
from kms_jupyter.errors import KmsFileError

FORMAT = "kms_jupyter.fit"
VERSION = 1


def _series_json(s: pd.Series) -> dict:
    return {"index": json_ready(list(s.index)), "values": json_ready(list(s.to_numpy()))}


def _series_from(d: dict, name: str) -> pd.Series:
    return pd.Series(d["values"], index=d["index"], name=name, dtype=object if d["values"] and
                     isinstance(d["values"][0], str) else None)


def _keras_json(value: Any, module: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    import keras

    return {"keras": getattr(keras, module).serialize(value)}


def _keras_from(d: Any, module: str) -> Any:
    if isinstance(d, dict) and "keras" in d:
        import keras

        return getattr(keras, module).deserialize(d["keras"])
    return d


def fit_to_json(fit: Any) -> dict:
    spec = fit.design.model_spec
    encoder = {name: {"kind": kind.value, **({"categories": json_ready(list(state["categories"]))}
                                             if "categories" in state else {})}
               for name, (kind, state) in spec.encoder_state.items()}
    layers = []
    for layer in fit.layers:
        row = dict(layer.__dict__)
        for key, module in KERAS_OBJECT_FIELDS.items():
            row[key] = _keras_json(row[key], module)
        layers.append(row)
    o = fit.outcome_spec
    return {
        "format": FORMAT, "version": VERSION,
        "formula": {"text": fit.design.formula.text, "outcome": fit.design.formula.outcome,
                    "rhs": fit.design.formula.rhs, "variables": list(fit.design.formula.variables)},
        "design": {"columns": list(fit.design.columns), "scaler": fit.design.scaler.to_json(),
                   "levels": json_ready(fit.design.levels), "dtypes": fit.design.dtypes,
                   "available": fit.design.available, "encoder_state": encoder,
                   "transform_state": json_ready(dict(spec.transform_state)),
                   "sparse": fit.design.sparse, "design_rhs": fit.design.design_rhs,
                   "embeddings": [e.to_json() for e in fit.design.embeddings],
                   "input_note": fit.design.input_note},
        "outcome": {"name": o.name, "y_type": o.y_type, "classes": json_ready(list(o.classes)),
                    "center": o.center, "scale": o.scale},
        "layers": layers,
        "history": json_ready(fit.history.reset_index(drop=True).to_dict(orient="list")),
        "evaluations": json_ready(fit.evaluations),
        "y_test": _series_json(fit.y_test), "predictions": _series_json(fit.predictions),
        "args": fit.args, "seed": fit.seed, "n": fit.n, "epochs": fit.epochs,
        "partial": fit.partial, "partial_reason": fit.partial_reason,
        "duration_s": fit.duration_s, "notes": fit.notes,
    }


def save_fit(fit: Any, path: str | os.PathLike) -> str:
    target = Path(path)
    if target.suffix == "":
        target = target.with_suffix(".kmsfit")
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(fit_to_json(fit), allow_nan=True).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory() as work:
            model_file = Path(work) / "model.keras"
            fit.model.save(model_file)
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("fit.json", payload)
                zf.write(model_file, "model.keras")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return str(target)


def _rebuild_spec(d: dict, parsed: ParsedFormula):
    from formulaic import Formula, ModelSpec
    from formulaic.parser.types.factor import Factor

    encoder = {name: (Factor.Kind(state["kind"]),
                      {"categories": state["categories"]} if "categories" in state else {})
               for name, state in d["encoder_state"].items()}
    rhs = d.get("design_rhs") or f"{parsed.rhs} - 1"
    formula = Formula(rhs, _context={"__formulaic_variables_available__": d["available"]})
    return ModelSpec(formula=formula, ensure_full_rank=False, na_action="ignore",
                     output="sparse" if d.get("sparse") else "pandas",
                     encoder_state=encoder, transform_state=from_json_ready(d["transform_state"]))


def load_fit(path: str | os.PathLike):
    """Load a fit written by ``fit.save``; the model is loaded with Keras safe mode."""
    from kms_jupyter.core.fit import KmsFit

    source = Path(path)
    if not source.is_file():
        raise KmsFileError(f"no saved fit at {str(source)!r}.")
    try:
        with zipfile.ZipFile(source) as zf:
            names = set(zf.namelist())
            if not {"fit.json", "model.keras"} <= names:
                raise KmsFileError(f"{str(source)!r} is not a kms_jupyter fit (fit.json or "
                                   "model.keras missing).")
            meta = json.loads(zf.read("fit.json"))
            model_bytes = zf.read("model.keras")
    except (zipfile.BadZipFile, EOFError, json.JSONDecodeError, OSError, zlib_error()) as exc:
        raise KmsFileError(f"{str(source)!r} is truncated or damaged ({type(exc).__name__}); save "
                           "the fit again.") from None
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise KmsFileError(f"{str(source)!r} is not a kms_jupyter fit of format version {VERSION}.")
    try:
        import keras

        with tempfile.TemporaryDirectory() as work:
            model_file = Path(work) / "model.keras"
            model_file.write_bytes(model_bytes)
            model = keras.models.load_model(model_file, safe_mode=True, compile=False)
        f = meta["formula"]
        parsed = ParsedFormula(f["text"], f["outcome"], f["rhs"], tuple(f["variables"]))
        d = meta["design"]
        design = DesignSpec(parsed, _rebuild_spec(d, parsed), d["columns"],
                            Scaler.from_json(d["scaler"]), from_json_ready(d["levels"]),
                            d["dtypes"], d["available"], sparse=bool(d.get("sparse", False)),
                            embeddings=tuple(EmbeddingSpec.from_json(e) for e in d.get("embeddings", [])),
                            design_rhs=d.get("design_rhs", ""), input_note=d.get("input_note", ""))
        o = meta["outcome"]
        outcome = Outcome(o["name"], o["y_type"], tuple(o["classes"]), o["center"], o["scale"])
        layers = []
        for row in meta["layers"]:
            for key, module in KERAS_OBJECT_FIELDS.items():
                row[key] = _keras_from(row[key], module)
            layers.append(LayerSpec(**row))
        history = pd.DataFrame(meta["history"])
        history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
        y_test = _series_from(meta["y_test"], outcome.name)
        predictions = _series_from(meta["predictions"], outcome.name)
        confusion = None
        if outcome.y_type != "continuous" and len(y_test):
            from kms_jupyter.core.evaluation import confusion_matrix

            confusion = confusion_matrix(y_test, predictions, outcome.labels)
    except KmsFileError:
        raise
    except Exception as exc:  # tampered JSON or model: one clear message, never a half-built fit
        if "safe_mode" in str(exc) or "Lambda" in str(exc):
            raise KmsFileError(f"{str(source)!r} was refused: its model holds code (a Lambda layer or "
                               "a custom object), and load_fit uses Keras safe mode, which never runs "
                               "code from a file; only load fits saved by kms_jupyter.") from None
        raise KmsFileError(f"{str(source)!r} could not be loaded ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}); it may be damaged or "
                           "edited.") from None
    return KmsFit(model=model, design=design, outcome=outcome, layers=layers, history=history,
                  evaluations=meta["evaluations"], y_test=y_test, predictions=predictions,
                  confusion=confusion, args=meta["args"], seed=meta["seed"], n=meta["n"],
                  epochs=meta["epochs"], partial=meta["partial"],
                  partial_reason=meta["partial_reason"], duration_s=meta["duration_s"],
                  notes=meta["notes"])


def zlib_error():
    import zlib

    return zlib.error
