"""loss= and metrics= names are checked before TensorFlow work: an unknown name is a one-line
KmsArgumentError with the closest Keras names, not Keras' ValueError from deep inside compile."""
import subprocess
import sys

import keras
import pytest

from kms_jupyter import kms
from kms_jupyter.core.network import (INITIALIZER_NAMES, LOSS_NAMES, METRIC_NAMES, check_loss,
                                      check_metrics)
from kms_jupyter.errors import KmsArgumentError, KmsTypeError

SMALL = dict(units=(8,), epochs=1, batch_size=64, seed=1)


@pytest.mark.parametrize("loss, suggestion", [
    ("foo", None), ("mse2", "mse"), ("sparse_categorical_crossentropie", "sparse_categorical_crossentropy"),
    ("binary_crossentopy", "binary_crossentropy"), ("meansquarederror", "MeanSquaredError")])
def test_unknown_loss_names_the_culprit_and_suggests(loss, suggestion):
    with pytest.raises(KmsArgumentError) as ei:
        check_loss(loss)
    msg = str(ei.value)
    assert f"unknown loss {loss!r}" in msg and "\n" not in msg
    if suggestion:
        assert f"Did you mean {suggestion!r}" in msg
    else:
        assert "Known names include" in msg or "Did you mean" in msg


@pytest.mark.parametrize("metrics, bad, suggestion", [
    (["acc2"], "acc2", "acc"), (["accuracy", "maee"], "maee", "mae"), ("recal", "recal", "recall")])
def test_unknown_metric_names_the_culprit_and_suggests(metrics, bad, suggestion):
    with pytest.raises(KmsArgumentError) as ei:
        check_metrics(metrics)
    msg = str(ei.value)
    assert f"unknown metric {bad!r}" in msg and f"{suggestion!r}" in msg and "\n" not in msg


def test_objects_pass_through_and_a_single_name_becomes_a_list():
    loss = keras.losses.MeanSquaredError()
    assert check_loss(loss) is loss
    assert check_loss(None) is None
    fn = keras.losses.mean_squared_error
    assert check_loss(fn) is fn
    metric = keras.metrics.AUC()
    assert check_metrics([metric, "accuracy"]) == [metric, "accuracy"]
    assert check_metrics("accuracy") == ["accuracy"]
    assert check_metrics(["ACC"]) == ["ACC"]  # compile's shortcut is case-insensitive
    assert check_metrics(None) is None
    with pytest.raises(KmsTypeError, match="loss must be"):
        check_loss(3)


def test_our_name_lists_match_the_installed_keras():
    from keras.src import losses, metrics

    for name in LOSS_NAMES:
        keras.losses.get(name)  # raises if Keras does not know it
    missing = [n for n in losses.ALL_OBJECTS_DICT if n.islower() and n not in LOSS_NAMES]
    assert missing == [], f"Keras losses not in LOSS_NAMES: {missing}"
    for name in METRIC_NAMES:
        if name.lower() not in ("acc", "ce", "crossentropy"):
            keras.metrics.get(name)
    usable = []
    for n in metrics.ALL_OBJECTS_DICT:
        if not n.islower() or n in ("mean", "sum", "metric", "mean_metric_wrapper"):
            continue
        try:
            keras.metrics.get(n)
        except Exception:  # needs arguments (num_classes, ...): not usable as a plain name
            continue
        usable.append(n)
    missing = [n for n in usable if n not in METRIC_NAMES]
    assert missing == [], f"Keras metrics not in METRIC_NAMES: {missing}"


def test_initializer_names_match_the_installed_keras():
    """Every name we accept builds a Dense layer; every plain-name Keras initializer is accepted
    (those that need arguments, like 'constant', are used as objects instead)."""
    from keras.src import initializers

    for name in INITIALIZER_NAMES:
        keras.layers.Dense(2, kernel_initializer=name).build((None, 3))
    usable = []
    for n in initializers.ALL_OBJECTS_DICT:
        if not n.islower():
            continue
        try:
            keras.layers.Dense(2, kernel_initializer=n).build((None, 3))
        except Exception:  # needs arguments or is abstract: not usable as a plain name
            continue
        usable.append(n)
    missing = [n for n in usable if n not in INITIALIZER_NAMES]
    assert missing == [], f"Keras initializers not in INITIALIZER_NAMES: {missing}"


def test_kms_refuses_before_touching_the_data(small_movies):
    with pytest.raises(KmsArgumentError, match=r"unknown loss 'foo'"):
        kms("genre ~ rating", small_movies, loss="foo", **SMALL)
    with pytest.raises(KmsArgumentError, match=r"unknown metric 'acc2'.*'acc'"):
        kms("genre ~ rating", small_movies, metrics=["acc2"], **SMALL)
    # checked before the data: a bad loss is reported even for data kms() would refuse
    with pytest.raises(KmsArgumentError, match="unknown loss"):
        kms("genre ~ rating", "not a frame", loss="foo")


def test_valid_names_still_train(small_movies):
    fit = kms("genre ~ rating + votes", small_movies, metrics="accuracy", **SMALL)
    assert "accuracy" in fit.history.columns
    fit = kms("rating ~ votes + budget", small_movies, loss="huber", metrics=["mae", "mse"], **SMALL)
    assert {"mae", "mse"} <= set(fit.history.columns)


def test_check_runs_without_tensorflow():
    code = ("import sys\nfrom kms_jupyter.core.network import check_loss, check_metrics\n"
            "check_loss('mse'); check_metrics(['accuracy'])\n"
            "try:\n    check_loss('foo')\nexcept ValueError as e:\n    print(e)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stdout
    assert "unknown loss 'foo'" in out.stdout
