"""Backbones of SPEC §1 and the compiled two-optimizer train step of ``PrototypeClassifier``."""

import keras
import numpy as np
import pytest

from arconvl.errors import ConfigError
from arconvl.losses.registry import resolve_method
from arconvl.model.backbones import build_backbone
from arconvl.model.classifier import PrototypeClassifier

from backends import numpy, once_on_tensorflow, tensor, tensorflow_only


def layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_small_cnn_structure():
    backbone = build_backbone("small_cnn", (28, 28, 1))
    assert backbone.output_shape == (None, 64)
    assert [conv.filters for conv in layers_of(backbone, keras.layers.Conv2D)] == [32, 32, 64, 64]
    assert len(layers_of(backbone, keras.layers.MaxPooling2D)) == 2
    assert isinstance(backbone.layers[-1], keras.layers.BatchNormalization)  # f(x) is the BN output
    assert isinstance(backbone.layers[-2], keras.layers.Dense) and backbone.layers[-2].units == 64


@once_on_tensorflow  # the same Keras layers on every backend; slow to build on JAX
@pytest.mark.parametrize("depth, blocks", [(44, 7), (56, 9)])
def test_resnet_structure(depth, blocks):
    backbone = build_backbone(f"resnet{depth}", (32, 32, 3))
    assert backbone.output_shape == (None, 64)
    convs = layers_of(backbone, keras.layers.Conv2D)
    projections = [c for c in convs if c.kernel_size == (1, 1)]
    # stem + 2 per block in 3 stacks + the two 1×1 projections
    assert len(convs) == 1 + 2 * 3 * blocks + 2 and len(projections) == 2
    assert all(c.strides == (2, 2) for c in projections)
    # BN: stem + one per block + one per projection
    assert len(layers_of(backbone, keras.layers.BatchNormalization)) == 1 + 3 * blocks + 2
    assert len(layers_of(backbone, keras.layers.Add)) == 3 * blocks
    assert isinstance(backbone.layers[-1], keras.layers.GlobalAveragePooling2D)


def test_resnet_depth_must_be_6n_plus_2():
    from arconvl.model.backbones import resnet

    with pytest.raises(ConfigError, match="6n"):
        resnet((32, 32, 3), 45)


def linear_backbone(input_dim=6, feature_dim=4, seed=0):
    inputs = keras.Input((input_dim,))
    features = keras.layers.Dense(feature_dim, kernel_initializer=keras.initializers.GlorotUniform(seed))(inputs)
    return keras.Model(inputs, features)


def make_model(method_name, lr=0.1, radius_lr=0.01):
    method = resolve_method(method_name, dataset="mnist")
    radius_optimizer = keras.optimizers.SGD(radius_lr) if method.uses_radii else None
    model = PrototypeClassifier(linear_backbone(), class_counts=np.array([5, 50, 20]), method=method)
    model.compile(optimizer=keras.optimizers.SGD(lr), radius_optimizer=radius_optimizer)
    model.build((None, 6))
    return model


def batch(seed=0, n=16):
    rng = np.random.default_rng(seed)
    return tensor(rng.normal(size=(n, 6))), tensor(rng.integers(0, 3, n), "int32")


@tensorflow_only  # on JAX: test_jax_backend.py's two steps, against these TensorFlow steps
def test_train_step_applies_each_optimizer_to_its_own_variables():
    import tensorflow as tf

    model = make_model("arconvl", lr=0.1, radius_lr=0.01)
    images, labels = batch()
    network_vars = model.backbone.trainable_variables + model.prototypes.trainable_variables
    radius_var = model.radii.trainable_variables[0]
    with tf.GradientTape(persistent=True) as tape:
        features = model.backbone(images, training=True)
        loss, parts = model.method(features, model.prototypes.centers, labels, model.class_counts, model.radius_sq())
    network_grads = tape.gradient(loss, network_vars)
    radius_grad = tape.gradient(loss, radius_var)
    region_grad = tape.gradient(parts["region"], radius_var)
    np.testing.assert_allclose(radius_grad, region_grad, rtol=1e-6)  # only L_R moves the radii
    assert np.abs(radius_grad.numpy()).max() > 0
    before = [v.numpy().copy() for v in network_vars], radius_var.numpy().copy()

    logs = tf.function(model.train_step)((images, labels))

    for old, var, grad in zip(before[0], network_vars, network_grads):
        np.testing.assert_allclose(var.numpy(), old - 0.1 * grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(radius_var.numpy(), before[1] - 0.01 * radius_grad.numpy(), rtol=1e-5, atol=1e-7)
    assert float(logs["loss"]) == pytest.approx(float(loss), rel=1e-5)
    assert set(logs) == {"loss", *model.method.parts}


def test_method_without_radii_has_no_radius_variable():
    model = make_model("cpl")
    assert model.radii is None and model.radius_optimizer is None
    logs = model.train_on_batch(*batch(), return_dict=True)
    assert set(logs) == {"loss", "cross_entropy"}


def test_a_method_with_radii_gets_sgd_0_01_momentum_0_9_unless_given_one():
    model = PrototypeClassifier(linear_backbone(), class_counts=[1, 2, 3], method="arconvl")
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    assert isinstance(model.radius_optimizer, keras.optimizers.SGD)
    assert (float(model.radius_optimizer.learning_rate), model.radius_optimizer.momentum) == (
        pytest.approx(0.01), pytest.approx(0.9))
    without_radii = PrototypeClassifier(linear_backbone(), class_counts=[1, 2, 3], method="cpl")
    with pytest.raises(ValueError, match="learns no radii"):
        without_radii.compile(optimizer="sgd", radius_optimizer=keras.optimizers.SGD(0.01))


def test_radii_start_at_0_1_and_centers_are_k_by_d():
    model = make_model("arconvl")
    np.testing.assert_allclose(numpy(model.radius_sq()), [0.01, 0.01, 0.01], rtol=1e-6)
    assert tuple(model.prototypes.centers.shape) == (3, 4)


def test_prediction_is_the_nearest_center():
    model = make_model("arconvl")
    images, _ = batch(seed=1, n=40)
    features = numpy(model.backbone(images))
    centers = numpy(model.prototypes.centers)
    nearest = np.argmin(((features[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
    logits = model.predict(images, verbose=0)
    np.testing.assert_allclose(logits, -((features[:, None, :] - centers[None]) ** 2).sum(-1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.argmax(logits, axis=1), nearest)


def test_a_fresh_momentum_optimizer_every_step_is_plain_sgd():
    """The authors' code builds a new SGD(momentum=0.9) inside every step; the ``code`` variant runs
    SGD with momentum 0 instead (docs/variants.md). Both give the same weights, step after step."""
    rng = np.random.default_rng(0)
    gradients = [tensor(rng.normal(size=3)) for _ in range(4)]
    fresh_each_step, plain, persistent = (keras.Variable([1.0, -2.0, 0.5]) for _ in range(3))
    plain_sgd = keras.optimizers.SGD(0.1, momentum=0.0)
    momentum_sgd = keras.optimizers.SGD(0.1, momentum=0.9)
    for gradient in gradients:
        keras.optimizers.SGD(0.1, momentum=0.9).apply([gradient], [fresh_each_step])
        plain_sgd.apply([gradient], [plain])
        momentum_sgd.apply([gradient], [persistent])
    np.testing.assert_allclose(numpy(fresh_each_step), numpy(plain), rtol=1e-6)
    assert not np.allclose(numpy(persistent), numpy(plain))  # persistent momentum does differ
