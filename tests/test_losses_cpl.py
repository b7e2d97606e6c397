"""CPL (SPEC §3): −log softmax(−d²/T) of the true class, against a float64 NumPy reference."""

import math

import numpy as np
import pytest

from arconvl.losses import CPL_PARTS, cpl_loss
from arconvl.losses.registry import METHODS
from arconvl.model.geometry import squared_distances

from backends import gradients, tensor
from numpy_reference import cpl_reference


def _case(seed, k=10, dim=8, n=32):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim))
    labels = rng.choice(rng.choice(k, size=7, replace=False), size=n)
    features = centers[labels] + rng.normal(size=(n, dim)) * 0.8
    counts = rng.integers(5, 5000, size=k)
    return (np.float32(features).astype(np.float64), np.float32(centers).astype(np.float64), labels, counts)


def _cpl(features, centers, labels, counts, **kwargs):
    """CPL on d²(features, centers) with the registry's defaults updated by ``kwargs``."""
    params = {**METHODS["cpl"].params, **kwargs}
    return cpl_loss(squared_distances(features, centers), labels, counts, **params)


def _run(features, centers, labels, counts, **kwargs):
    loss, parts = _cpl(tensor(features), tensor(centers), tensor(labels, "int32"), tensor(counts, "int64"), **kwargs)
    return float(loss), {key: float(value) for key, value in parts.items()}


def test_hand_checked():
    # One sample at (1, 0), centers (0, 0) and (2, 1): d² = 1 and 2.
    # T = 1:   −log(e^{−1} / (e^{−1} + e^{−2})) = log(1 + e^{−1})
    # T = 0.5: logits −2, −4 → log(1 + e^{−2})
    features = np.array([[1.0, 0.0]])
    centers = np.array([[0.0, 0.0], [2.0, 1.0]])
    loss1, parts1 = _run(features, centers, [0], [1, 1])
    loss05, _ = _run(features, centers, [0], [1, 1], temperature=0.5)
    assert set(parts1) == set(CPL_PARTS)
    assert loss1 == pytest.approx(math.log(1 + math.exp(-1)), rel=1e-6)
    assert parts1["cross_entropy"] == pytest.approx(loss1, rel=1e-7)
    assert loss05 == pytest.approx(math.log(1 + math.exp(-2)), rel=1e-6)
    # The label matters: class 1 is farther, so its loss is log(1 + e^{+1}).
    loss_other, _ = _run(features, centers, [1], [1, 1])
    assert loss_other == pytest.approx(math.log(1 + math.exp(1)), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_random_against_reference(seed, temperature):
    features, centers, labels, counts = _case(seed)
    loss, parts = _run(features, centers, labels, counts, temperature=temperature)
    expected = cpl_reference(features, centers, labels, temperature=temperature)
    assert loss == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert parts["cross_entropy"] == pytest.approx(loss, rel=1e-7)


def test_default_temperature_is_one():
    features, centers, labels, counts = _case(0)
    default, _ = _run(features, centers, labels, counts)
    assert default == pytest.approx(cpl_reference(features, centers, labels, temperature=1.0), rel=1e-5)
    assert default != pytest.approx(cpl_reference(features, centers, labels, temperature=0.5), rel=1e-3)


def test_class_counts_are_unused():
    features, centers, labels, counts = _case(1)
    a, _ = _run(features, centers, labels, counts)
    b, _ = _run(features, centers, labels, np.ones_like(counts))
    assert a == b


def test_gradients_reach_features_and_centers():
    features, centers, labels, counts = _case(2)
    grads = gradients(lambda f, c: {"loss": _cpl(f, c, tensor(labels, "int32"), tensor(counts, "int64"))[0]},
                      features, centers)
    for g in grads["loss"]:
        assert np.all(np.isfinite(g)) and np.any(np.abs(g) > 1e-6)
