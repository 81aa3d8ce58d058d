"""Shared fixtures. TensorFlow's log spam is silenced before anything imports it."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from kms_test_support import movies_csv_path  # noqa: E402,F401  (re-exported for tests)


@pytest.fixture(scope="session")
def movies() -> pd.DataFrame:
    return pd.read_csv(movies_csv_path())


@pytest.fixture(scope="session")
def small_movies() -> pd.DataFrame:
    from kms_jupyter.datasets import movies_like

    return movies_like(n=300, seed=3)
