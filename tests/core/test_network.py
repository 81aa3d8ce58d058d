import warnings

import pytest

from kms_jupyter.core.network import build_model, layers_overview, resolve_layers
from kms_jupyter.errors import KmsArgumentError


def _layers(**kw):
    args = dict(units=(256, 128), activation="relu", dropout=0.4, use_bias=True,
                kernel_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                activity_regularizer=None, y_type="multiclass", n_outputs=17)
    args.update(kw)
    return resolve_layers(**args)


def test_vignette_network_has_36992_parameters():
    # kms(genre ~ . - director - title, activation="relu", use_bias=FALSE, regularizers NULL): p = 8
    layers = _layers(use_bias=False)
    model = build_model(layers, n_inputs=8)
    assert model.count_params() == 36_992


@pytest.mark.parametrize("kw", [dict(), dict(use_bias=False), dict(units=(64,), dropout=0.0),
                                dict(units=(32, 16, 8), dropout=[0.1, 0.2, 0.3])])
def test_layer_table_describes_exactly_the_built_network(kw):
    layers = _layers(**kw)
    model = build_model(layers, n_inputs=11)
    table = layers_overview(layers, model)
    assert table["params"].sum() == model.count_params()
    dense = [l for l in model.layers if l.__class__.__name__ == "Dense"]
    assert len(dense) == len(table)  # no layer built twice (kerasformula's bug)
    assert [l.units for l in dense] == table["units"].tolist()
    assert [l.activation.__name__ for l in dense] == table["activation"].tolist()
    dropouts = [l.rate for l in model.layers if l.__class__.__name__ == "Dropout"]
    assert dropouts == [d for d in table["dropout"].tolist() if d > 0]


def test_output_activation_follows_the_outcome_unless_named():
    assert _layers()[-1].activation == "softmax"
    assert _layers(y_type="binary", n_outputs=1)[-1].activation == "sigmoid"
    assert _layers(y_type="continuous", n_outputs=1)[-1].activation == "linear"
    # a plain string applies to hidden layers only
    assert [l.activation for l in _layers(activation="tanh")] == ["tanh", "tanh", "softmax"]
    # naming the output as the last element of a per-layer list overrides
    assert _layers(activation=["relu", "relu", "relu"])[-1].activation == "relu"


def test_relu_output_with_crossentropy_warns_with_the_fix():
    from kms_jupyter.core.network import output_loss_conflict

    message = output_loss_conflict("multiclass", "relu", "sparse_categorical_crossentropy")
    assert "softmax" in message
    assert output_loss_conflict("multiclass", "softmax", "sparse_categorical_crossentropy") is None


@pytest.mark.parametrize("kw, fragment", [
    (dict(activation="rleu"), "Did you mean 'relu'"),
    (dict(dropout=[0.1]), "1 values for 2 hidden layers"),
    (dict(dropout=1.5), "[0, 1)"),
    (dict(kernel_regularizer="l3"), "unknown kernel_regularizer"),
    (dict(units=(0, 5)), "at least 1"),
])
def test_bad_layer_arguments(kw, fragment):
    with pytest.raises(KmsArgumentError) as info:
        _layers(**kw)
    assert fragment in str(info.value)


def test_regularizers_by_name_including_kerasformula_names():
    layers = _layers(kernel_regularizer="regularizer_l1", bias_regularizer="l2")
    assert layers[0].kernel_regularizer == "l1"
    model = build_model(layers, n_inputs=3)
    assert model.get_layer("dense_1").kernel_regularizer is not None
