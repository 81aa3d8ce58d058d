"""Shared fixtures. TensorFlow's log spam is silenced before anything imports it."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def movies_csv_path() -> Path:
    """The real movies file: $KMS_MOVIES_CSV (set by make test / CI), else ../shared/data."""
    env = os.environ.get("KMS_MOVIES_CSV")
    path = Path(env) if env else REPO.parent / "shared" / "data" / "movies.csv"
    if not path.is_file():
        pytest.fail(f"movies.csv not found at {path}: set KMS_MOVIES_CSV (make test does).")
    return path


@pytest.fixture(scope="session")
def movies() -> pd.DataFrame:
    return pd.read_csv(movies_csv_path())


@pytest.fixture(scope="session")
def small_movies() -> pd.DataFrame:
    from kms_jupyter.datasets import movies_like

    return movies_like(n=300, seed=3)
