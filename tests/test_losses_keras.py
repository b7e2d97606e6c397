"""The six logit-only baselines as ``keras.losses.Loss`` on (y_true, logits −d²) (issue 12): each equals the
float64 NumPy reference and the registry's loss on the same tensors, and round-trips through Keras
serialisation."""

import keras
import numpy as np
import pytest

from arconvl.errors import ConfigError
from arconvl.losses.keras_losses import KERAS_LOSSES, CBFocalLoss, CPLLoss, PrototypeLoss
from arconvl.losses.registry import METHODS, resolve_method

from numpy_reference import (
    cb_focal_reference,
    cb_reference,
    cpl_reference,
    focal_reference,
    gcpl_reference,
    la_reference,
)

COUNTS = np.array([600, 60, 6, 300, 30])

REFERENCES = {
    "cpl": lambda f, c, y, n, **p: cpl_reference(f, c, y, **p),
    "gcpl": lambda f, c, y, n, **p: gcpl_reference(f, c, y, **p)["loss"],
    "focal": focal_reference,
    "cb": cb_reference,
    "cb_focal": cb_focal_reference,
    "la": la_reference,
}
# Non-default parameters per method, so the constructor's keyword arguments are shown to reach the loss.
OVERRIDES = {
    "cpl": {"temperature": 0.5},
    "gcpl": {"weight": 0.3, "halve_prototype_loss": True},
    "focal": {"gamma": 0.5, "class_weight": "inverse_frequency"},
    "cb": {"beta": 0.99},
    "cb_focal": {"beta": 0.999, "gamma": 0.5, "form": "sigmoid"},
    "la": {"tau": 0.5},
}
CASES = [(cls, overrides) for cls in KERAS_LOSSES for overrides in ({}, OVERRIDES[cls.method_name])]
IDS = [cls.__name__ + ("-defaults" if not o else "-" + "-".join(f"{k}={v}" for k, v in o.items())) for cls, o in CASES]


def _batch(seed=0, n=24, dim=3):
    rng = np.random.default_rng(seed)
    k = len(COUNTS)
    centers = np.float32(rng.normal(size=(k, dim)) * 1.5).astype(np.float64)
    labels = rng.integers(0, k, size=n)
    features = np.float32(centers[labels] + rng.normal(size=(n, dim)) * 0.8).astype(np.float64)
    logits = -np.sum((features[:, None, :] - centers[None, :, :]) ** 2, axis=-1)
    return features, centers, labels, logits.astype(np.float32)


def test_the_keras_losses_are_the_logit_only_methods_of_the_registry():
    assert {cls.method_name for cls in KERAS_LOSSES} == {name for name, m in METHODS.items() if not m.geometry}
    assert len(KERAS_LOSSES) == 6


@pytest.mark.parametrize("cls, overrides", CASES, ids=IDS)
def test_equals_the_reference_and_the_registry_loss(cls, overrides):
    features, centers, labels, logits = _batch()
    loss = cls(COUNTS, **overrides)
    got = float(loss(labels, logits))
    params = {**resolve_method(cls.method_name).params, **overrides}
    expected = REFERENCES[cls.method_name](features, centers, labels, COUNTS, **params)
    assert got == pytest.approx(expected, rel=2e-5)
    registry, _ = resolve_method(cls.method_name, overrides=overrides)(
        np.float32(features), np.float32(centers), labels, COUNTS.astype(np.float32)
    )
    assert got == pytest.approx(float(registry), rel=2e-5)
    # Labels as a column, as Keras often passes them, give the same value.
    assert float(loss(labels[:, None], logits)) == pytest.approx(got, rel=1e-7)


@pytest.mark.parametrize("cls, overrides", CASES, ids=IDS)
def test_round_trips_through_keras_serialisation(cls, overrides):
    _, _, labels, logits = _batch(1)
    loss = cls(COUNTS, **overrides)
    config = keras.saving.serialize_keras_object(loss)
    assert config["registered_name"] == f"arconvl>{cls.__name__}"
    again = keras.saving.deserialize_keras_object(config)
    assert type(again) is cls
    assert again.get_config() == loss.get_config()
    assert again.params == {**resolve_method(cls.method_name).params, **overrides}
    assert float(again(labels, logits)) == pytest.approx(float(loss(labels, logits)), rel=1e-7)


def test_defaults_come_from_the_registry():
    assert CBFocalLoss(COUNTS).params == dict(METHODS["cb_focal"].params)


def test_bad_parameters_and_sample_weights_are_refused():
    with pytest.raises(ConfigError):
        CPLLoss(COUNTS, gamma=2.0)
    with pytest.raises(ConfigError):
        CBFocalLoss(COUNTS, form="cosine")
    _, _, labels, logits = _batch()
    with pytest.raises(ValueError, match="sample_weight"):
        CPLLoss(COUNTS)(labels, logits, sample_weight=np.ones(len(labels)))


class _PrototypeLogits(keras.layers.Layer):
    """A bare prototype head for the test: logits −d²(x, C_j) with learnable centers."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        self.centers = self.add_weight(shape=(self.num_classes, input_shape[-1]), initializer="he_uniform")

    def call(self, x):
        return -keras.ops.sum(keras.ops.square(x[:, None, :] - self.centers[None, :, :]), axis=-1)


def test_fits_a_model_ending_in_a_prototype_head():
    rng = np.random.default_rng(0)
    k = len(COUNTS)
    means = rng.normal(size=(k, 4)) * 3
    labels = np.repeat(np.arange(k), 40)
    x = (means[labels] + rng.normal(size=(len(labels), 4))).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), _PrototypeLogits(k)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=CBFocalLoss(COUNTS, gamma=0.5))
    history = model.fit(x, labels, epochs=3, batch_size=40, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert isinstance(model.loss, PrototypeLoss)


def test_every_keras_loss_is_public():
    """``arconvl.CPLLoss`` … are the classes of ``arconvl.losses.keras_losses``."""
    import arconvl

    for cls in KERAS_LOSSES:
        assert getattr(arconvl, cls.__name__) is cls
        assert cls.__name__ in arconvl.__all__
