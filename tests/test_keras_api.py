"""The public Keras API of issue 12: ``arconvl.PrototypeClassifier`` with plain ``compile`` / ``fit`` /
``evaluate`` / ``predict`` / ``save``, ``arconvl.GMean``, and ``arconvl.PrototypeHead`` in a functional
model, on generated 3-class and 7-class data with a small custom backbone."""

import keras
import numpy as np
import pytest

import arconvl
from arconvl.errors import ConfigError
from arconvl.model.metrics import g_mean, per_class_recall


def generated(num_classes, n, seed, dim=5):
    """Gaussian clusters around well-separated means, one per class, as (x, y)."""
    rng = np.random.default_rng(seed)
    means = np.random.default_rng(100 + num_classes).normal(scale=3.0, size=(num_classes, dim))
    y = rng.integers(0, num_classes, n)
    return (means[y] + rng.normal(size=(n, dim))).astype("float32"), y.astype("int32")


def small_backbone(feature_dim=4):
    return keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(feature_dim)])  # no Input: built by fit


def nearest_center_logits(model, x):
    """−d²(f(x), C_j) from the backbone's features and the centers, in NumPy."""
    features = keras.ops.convert_to_numpy(model.backbone(x)).astype(np.float64)
    centers = model.prototypes.centers.numpy().astype(np.float64)
    return -((features[:, None, :] - centers[None]) ** 2).sum(-1)


def radius_sq(model):
    """R_j² of a model or head as a NumPy array."""
    return keras.ops.convert_to_numpy(model.radius_sq())


@pytest.mark.parametrize("num_classes, counts", [(3, [600, 60, 6]), (7, [70, 50, 30, 20, 10, 5, 2])])
def test_the_public_api_end_to_end(tmp_path, num_classes, counts):
    keras.utils.set_random_seed(0)
    x, y = generated(num_classes, 96, seed=0)
    xv, yv = generated(num_classes, 70, seed=1)
    model = arconvl.PrototypeClassifier(
        small_backbone(), num_classes=num_classes, class_counts=counts, method="arconvl", variant="code"
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), metrics=[arconvl.GMean()])
    history = model.fit(x, y, epochs=2, batch_size=32, validation_data=(xv, yv), verbose=0)  # no build() first
    parts = set(model.method.parts)
    assert {"loss", "gmean", "val_loss", "val_gmean"} | {f"val_{p}" for p in parts} <= set(history.history)
    assert len(history.history["val_gmean"]) == 2

    results = model.evaluate(xv, yv, batch_size=16, return_dict=True, verbose=0)
    assert set(results) == {"loss", "gmean", *parts}
    logits = model.predict(xv, verbose=0)
    assert logits.shape == (70, num_classes)
    np.testing.assert_allclose(logits, nearest_center_logits(model, xv), rtol=1e-4, atol=1e-4)
    # GMean accumulated over 5 batches is the NumPy G-mean of the whole set.
    expected = g_mean(per_class_recall(yv, np.argmax(logits, axis=1), num_classes))
    assert results["gmean"] == pytest.approx(expected, rel=1e-5, abs=1e-6)

    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert type(again) is arconvl.PrototypeClassifier and again.method == model.method
    np.testing.assert_array_equal(again.predict(xv, verbose=0), logits)
    np.testing.assert_array_equal(radius_sq(again), radius_sq(model))
    assert not np.allclose(radius_sq(model), 0.01)  # the radii did learn
    assert again.evaluate(xv, yv, batch_size=16, return_dict=True, verbose=0) == pytest.approx(results)


def test_evaluate_reports_the_methods_loss_and_parts_of_the_batch():
    x, y = generated(3, 40, seed=2)
    model = arconvl.PrototypeClassifier(small_backbone(), class_counts=[40, 10, 5], method="gcpl")
    model.compile(optimizer="sgd")
    results = model.evaluate(x, y, batch_size=40, return_dict=True, verbose=0)  # one batch
    logits = nearest_center_logits(model, x)
    cross_entropy = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(40), y])
    prototype = np.mean(-logits[np.arange(40), y])  # λ = 0.1, GCPL (SPEC §3)
    assert results["cross_entropy"] == pytest.approx(cross_entropy, rel=1e-4)
    assert results["loss"] == pytest.approx(cross_entropy + 0.1 * prototype, rel=1e-4)


def test_fit_learns_separable_classes():
    keras.utils.set_random_seed(1)
    x, y = generated(3, 300, seed=3)
    xv, yv = generated(3, 150, seed=4)
    model = arconvl.PrototypeClassifier(small_backbone(), num_classes=3, class_counts=[100, 100, 100], method="cpl")
    model.compile(optimizer=keras.optimizers.SGD(0.05), metrics=[arconvl.GMean(), arconvl.ClasswiseAccuracy()])
    before = model.evaluate(xv, yv, return_dict=True, verbose=0)
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    after = model.evaluate(xv, yv, return_dict=True, verbose=0)
    assert after["loss"] < before["loss"]
    assert after["gmean"] > 0.9 and after["classwise_acc"] > 0.9


def test_recompiling_with_its_own_optimizer_keeps_both_optimizers():
    """``model.compile(optimizer=model.optimizer, ...)`` (e.g. to change ``steps_per_execution``) keeps
    the network's and the radii's optimizers as they were, and the model still trains both."""
    x, y = generated(3, 64, seed=5)
    model = arconvl.PrototypeClassifier(small_backbone(), num_classes=3, class_counts=[40, 20, 4], method="arconvl")
    network, radius = keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.02)
    model.compile(optimizer=network, radius_optimizer=radius)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    model.compile(optimizer=model.optimizer, steps_per_execution=2)
    assert model.network_optimizer is network and model.radius_optimizer is radius
    before = radius_sq(model)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert not np.allclose(radius_sq(model), before)


def test_method_parameters_and_variant_reach_the_loss_and_survive_from_config():
    model = arconvl.PrototypeClassifier(small_backbone(), class_counts=[5, 3], method="arconvl", variant="paper",
                                        gamma=0.2)
    assert model.method.params["gamma"] == 0.2
    assert model.method.params["normalize_distribution_alpha"] is False  # the paper variant
    again = arconvl.PrototypeClassifier.from_config(model.get_config())
    assert again.method == model.method and again.num_classes == 2
    np.testing.assert_array_equal(again.class_counts, [5, 3])


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ConfigError, match="no parameter 'gama'"):
        arconvl.PrototypeClassifier(small_backbone(), class_counts=[5, 3], gama=0.2)
    with pytest.raises(ValueError, match="one class count per class"):
        arconvl.PrototypeClassifier(small_backbone(), num_classes=3, class_counts=[5, 3])
    with pytest.raises(ValueError, match="compile takes no loss"):
        arconvl.PrototypeClassifier(small_backbone(), class_counts=[5, 3]).compile(loss="mse")


def test_prototype_head_in_a_functional_model(tmp_path):
    inputs = keras.Input((5,))
    features = keras.layers.Dense(4)(inputs)
    head = arconvl.PrototypeHead(3, radii=True)
    model = keras.Model(inputs, head(features))
    x, _ = generated(3, 10, seed=5)
    logits = model.predict(x, verbose=0)
    feature_values = keras.Model(inputs, features).predict(x, verbose=0)
    centers = head.centers.numpy()
    np.testing.assert_allclose(logits, -((feature_values[:, None] - centers[None]) ** 2).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(radius_sq(head), [0.01] * 3, rtol=1e-6)  # a_j = 0.1
    assert arconvl.PrototypeHead(3).radius_sq() is None
    model.save(tmp_path / "f.keras")
    again = keras.models.load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), logits)
