"""Helpers shared by test modules in several folders (tests/ is on sys.path via its conftest)."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]


def movies_csv_path() -> Path:
    """The real movies file: $KMS_MOVIES_CSV (set by make test / CI), else ../shared/data."""
    env = os.environ.get("KMS_MOVIES_CSV")
    path = Path(env) if env else REPO.parent / "shared" / "data" / "movies.csv"
    if not path.is_file():
        pytest.fail(f"movies.csv not found at {path}: set KMS_MOVIES_CSV (make test does).")
    return path


@contextlib.contextmanager
def fresh_kms_shell() -> Iterator:
    """A real IPython shell with kms_jupyter freshly loaded and no DataFrames left over from
    other tests; names added during the block are removed afterwards."""
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or InteractiveShell.instance()  # start_ipython: first call only
    before = set(shell.user_ns)
    if "kms_jupyter" in shell.extension_manager.loaded:
        # fresh magics and a fresh Kms configurable (drops earlier %config changes)
        from kms_jupyter.notebook.extension import load_ipython_extension, unload_ipython_extension

        unload_ipython_extension(shell)
        load_ipython_extension(shell)
    else:
        shell.run_line_magic("load_ext", "kms_jupyter")
    for k in [k for k, v in shell.user_ns.items() if isinstance(v, pd.DataFrame)]:
        del shell.user_ns[k]
    try:
        yield shell
    finally:
        for k in set(shell.user_ns) - before:
            del shell.user_ns[k]
