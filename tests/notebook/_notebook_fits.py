"""Real, tiny kms() fits shared by the notebook view tests (trained once per session)."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import pytest

EVIL = "<img src=x onerror=alert(1)>"
FORMULA = "genre ~ rating + votes + year + duration"


def movies(n: int = 300):
    from kms_jupyter.datasets import movies_like

    return movies_like(n=n, seed=0)


def evil_movies(n: int = 300):
    """movies with one genre renamed to an HTML payload and one to a mathtext/ampersand label."""
    data = movies(n)
    data["genre"] = data["genre"].replace({"Drama": EVIL, "Crime": "$5 & <b>up</b>"})
    return data


def train(formula: str, data, **kw):
    from kms_jupyter import kms

    kw.setdefault("epochs", 2)
    kw.setdefault("seed", 1)
    kw.setdefault("units", (16, 8))
    return kms(formula, data, **kw)


@pytest.fixture(scope="session")
def multi_fit():
    return train(FORMULA, evil_movies())


@pytest.fixture(scope="session")
def regression_fit():
    return train("rating ~ votes + year + duration + budget", movies())


@pytest.fixture(scope="session")
def small_fit():
    """Fewer than 6 classes (no many-class table)."""
    data = movies()
    data = data[data["genre"].isin(["Comedy", "Action", "Drama"])]
    return train(FORMULA, data, epochs=3)
