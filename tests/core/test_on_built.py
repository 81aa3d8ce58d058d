"""kms(on_built=...): called once with the built, compiled model and the layer table, before the
first epoch (the %%kms magic shows the layer table from it before the live chart)."""
import keras
import pandas as pd
import pytest

from kms_jupyter import kms
from kms_jupyter.errors import KmsTypeError

SMALL = dict(units=(8,), epochs=2, batch_size=64, seed=1)


class _EpochLog(keras.callbacks.Callback):
    def __init__(self, log):
        super().__init__()
        self.log = log

    def on_epoch_begin(self, epoch, logs=None):
        self.log.append(("epoch", epoch))


def test_on_built_runs_once_before_training_with_model_and_table(small_movies):
    log = []

    def on_built(model, overview):
        log.append(("built", model, overview))

    fit = kms("genre ~ rating + votes", small_movies, on_built=on_built,
              callbacks=[_EpochLog(log)], **SMALL)
    assert [e[0] for e in log] == ["built", "epoch", "epoch"]
    _, model, overview = log[0]
    assert model is fit.model
    assert model.compiled and model.optimizer is not None
    assert isinstance(overview, pd.DataFrame)
    pd.testing.assert_frame_equal(overview, fit.layers_overview)
    assert overview["params"].sum() == model.count_params()
    assert "on_built" not in fit.args  # runtime-only: fit.args stays JSON-able


def test_on_built_must_be_callable(small_movies):
    with pytest.raises(KmsTypeError, match="on_built"):
        kms("genre ~ rating", small_movies, on_built="show", **SMALL)


def test_error_in_on_built_reaches_the_caller(small_movies):
    def broken(model, overview):
        raise RuntimeError("display failed")

    with pytest.raises(RuntimeError, match="display failed"):
        kms("genre ~ rating", small_movies, on_built=broken, **SMALL)
