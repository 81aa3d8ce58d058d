"""kms_jupyter: R's kerasformula workflow for Python and Jupyter.

``kms("genre ~ . - director - title", movies)`` trains and evaluates a Keras network from a
formula. Everything is imported lazily so that ``import kms_jupyter`` stays fast and never
imports TensorFlow (which costs ~3 s) until a model is actually built.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "kms": "kms_jupyter.core.engine",
    "kms_kcv": "kms_jupyter.core.kcv",
    "KcvResult": "kms_jupyter.core.kcv",
    "confusion": "kms_jupyter.core.evaluation",
    "KmsFit": "kms_jupyter.core.fit",
    "load_fit": "kms_jupyter.core.persistence",
    "movies_like": "kms_jupyter.datasets",
    "load_movies": "kms_jupyter.datasets",
    "plot_confusion": "kms_jupyter.notebook.charts",
    "KmsPanel": "kms_jupyter.notebook.panel",
    "FormulaEditor": "kms_jupyter.notebook.formula_editor",
}

__all__ = sorted(_LAZY) + ["load_ipython_extension", "unload_ipython_extension"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kms_jupyter' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kms_jupyter``: registers %%kms, %kms and %kms_panel."""
    from kms_jupyter.notebook.extension import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from kms_jupyter.notebook.extension import unload_ipython_extension as _unload

    _unload(ipython)
