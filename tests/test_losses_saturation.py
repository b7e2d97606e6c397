"""Every registered method stays finite, in value and gradient, at saturated logits (issue 11, item 1).

Centers are s·e_j with 2s² = gap, so every center pair is ``gap`` apart in squared distance; a sample
placed exactly on its own center has d² = 0 to it and ``gap`` to every other class (log p_y is exactly 0
in float32 once the gap exceeds ~17), and a sample placed on a wrong center has d² = gap to its own.
A NaN or inf anywhere (one sample's gradient is enough to poison a step) fails the test.
"""

import numpy as np
import pytest

from arconvl.losses.registry import METHODS, VARIANTS, resolve_method
from arconvl.paper.methods import TABLE1_METHODS

from backends import gradients, once_on_tensorflow, tensor

K = 4
GAPS = (100.0, 10_000.0)
GAMMAS = (0.5, 1.0, 2.0)


def _cases():
    """(method, variant, overrides): every method and variant; γ ∈ GAMMAS where the method has γ."""
    cases = []
    for name in METHODS:
        for variant in VARIANTS:
            params = resolve_method(name, dataset="cifar10", variant=variant).params
            extra = [{}]
            if "form" in params:  # CB Focal: both focal forms
                extra = [{"form": form} for form in ("softmax", "sigmoid")]
            if "gamma" in params:
                extra = [{**e, "gamma": gamma} for e in extra for gamma in GAMMAS]
            cases += [(name, variant, overrides) for overrides in extra]
    return cases


def _first_of_each_method(cases):
    """On JAX (tests/test_jax_backend.py) each method of Table 1 once, in its first variant and γ:
    the rest (the ablations: ARConvL's loss with other parameters) compile anew for each and are
    checked on TensorFlow."""
    firsts = {}
    return [case if case[0] in TABLE1_METHODS and firsts.setdefault(case[0], case) is case
            else pytest.param(*case, marks=once_on_tensorflow) for case in cases]


CASES = _cases()
IDS = [f"{n}-{v}" + "".join(f"-{k}={x}" for k, x in o.items()) for n, v, o in CASES]
CASES = _first_of_each_method(CASES)


def _batch(gap, mixed):
    """Centers s·e_j (pairwise d² = gap); one sample on each class's own center, and when ``mixed`` one
    more per class sitting on the next class's center (true-class d² = gap)."""
    centers = (np.sqrt(gap / 2.0) * np.eye(K)).astype(np.float32)
    labels = np.arange(K)
    features = centers[labels]
    if mixed:
        labels = np.concatenate([labels, np.arange(K)])
        features = np.concatenate([features, centers[(np.arange(K) + 1) % K]])
    return features, centers, labels


@pytest.mark.parametrize("name, variant, overrides", CASES, ids=IDS)
def test_finite_loss_and_gradients_at_saturated_logits(name, variant, overrides):
    method = resolve_method(name, dataset="cifar10", variant=variant, overrides=overrides)
    counts = tensor([5000, 500, 50, 5])
    for gap in GAPS:
        for mixed in (False, True):
            features, centers, labels = _batch(gap, mixed)
            radius_sq = np.full(K, 0.25, np.float32)

            def outputs(f, c, r, labels=labels):
                loss, parts = method(f, c, tensor(labels, "int32"), counts, r if method.uses_radii else None)
                return {"loss": loss, **parts}

            where = f"gap={gap}, mixed={mixed}"
            values = outputs(tensor(features), tensor(centers), tensor(radius_sq))
            for key, value in values.items():
                assert np.isfinite(float(value)), (key, where)
            grads = gradients(outputs, features, centers, radius_sq)["loss"]
            for var, grad in zip(("features", "centers", "radius_sq"), grads[:3 if method.uses_radii else 2]):
                assert grad is not None, (var, where)
                assert np.all(np.isfinite(grad)), (var, where)
