"""The seven baselines of SPEC §3 (CPL, GCPL, Focal, CB, CB Focal, Affinity, LA) against independent
float64 NumPy references written with explicit loops (tests/numpy_reference.py), plus hand-checked
cases, batches with absent classes and gradient checks."""

import math

import numpy as np
import pytest

from arconvl.losses import (
    AFFINITY_PARTS,
    CB_FOCAL_PARTS,
    CB_PARTS,
    CPL_PARTS,
    FOCAL_PARTS,
    GCPL_PARTS,
    LA_PARTS,
    affinity_loss,
    cb_focal_loss,
    cb_loss,
    cpl_loss,
    focal_loss,
    gcpl_loss,
    la_loss,
)
from arconvl.losses.registry import METHODS, resolve_method
from arconvl.losses.reweighting import sigmoid_focal_terms
from arconvl.model.geometry import class_balanced_weights, inverse_frequency_weights, squared_distances

from backends import gradients, numpy, tensor, tensorflow_only
from numpy_reference import (
    affinity_reference,
    cb_focal_reference,
    cb_reference,
    class_balanced_weights_reference,
    cpl_reference,
    diversity_reference,
    focal_reference,
    gcpl_reference,
    la_reference,
)

# Strongly imbalanced training counts (ratio 1000), permuted per seed.
COUNTS = np.array([60, 6000, 3000, 1500, 600, 300, 120, 30, 15, 6])


# The CB weights need 1 − β^{N_c}; the code forms it as −expm1(N log1p(β − 1)) with the log in double
# precision, so even β = 0.9999 stays within float32 round-off of the float64 reference (a plain
# float32 tf.pow would be off by up to ~5e-5 relative and fail this tolerance).
CB_RTOL = 1e-5


# Each entry: the TF loss, its parts, the SPEC §3 defaults, and a float64 reference returning
# {"loss": ..., part: ...} from (features, centers, labels, counts, **params).
def _ref_cpl(f, c, y, n, temperature):
    value = cpl_reference(f, c, y, temperature=temperature)
    return {"loss": value, "cross_entropy": value}


def _ref_gcpl(f, c, y, n, **params):
    return gcpl_reference(f, c, y, **params)


def _ref_focal(f, c, y, n, **params):
    value = focal_reference(f, c, y, n, **params)
    return {"loss": value, "focal": value}


def _ref_cb(f, c, y, n, beta):
    value = cb_reference(f, c, y, n, beta=beta)
    return {"loss": value, "weighted_ce": value}


def _ref_cb_focal(f, c, y, n, beta, **params):
    value = cb_focal_reference(f, c, y, n, beta=beta, **params)
    return {"loss": value, "weighted_focal": value}


def _ref_affinity(f, c, y, n, **params):
    return affinity_reference(f, c, y, **params)


def _ref_la(f, c, y, n, tau):
    value = la_reference(f, c, y, n, tau=tau)
    return {"loss": value, "adjusted_ce": value}


LOSSES = {
    "cpl": (cpl_loss, CPL_PARTS, {"temperature": 1.0}, _ref_cpl),
    "gcpl": (gcpl_loss, GCPL_PARTS, {"weight": 0.1, "temperature": 1.0, "halve_prototype_loss": False}, _ref_gcpl),
    "focal": (focal_loss, FOCAL_PARTS, {"gamma": 2.0, "class_weight": "none"}, _ref_focal),
    "cb": (cb_loss, CB_PARTS, {"beta": 0.9999}, _ref_cb),
    "cb_focal": (cb_focal_loss, CB_FOCAL_PARTS, {"beta": 0.9999, "gamma": 2.0, "form": "softmax"}, _ref_cb_focal),
    "affinity": (
        affinity_loss, AFFINITY_PARTS, {"margin": 0.75, "sigma": 10.0, "diversity_weight": 1.0}, _ref_affinity
    ),
    "la": (la_loss, LA_PARTS, {"tau": 1.0}, _ref_la),
}

# (name, keyword arguments given to the loss on top of the registry's defaults); the reference gets the SPEC
# defaults updated by them, so the empty cases also check that the registry's defaults are the SPEC's.
CASES = [
    ("cpl", {}),
    ("cpl", {"temperature": 0.5}),
    ("gcpl", {}),
    ("gcpl", {"halve_prototype_loss": True}),
    ("gcpl", {"weight": 0.3, "temperature": 0.5}),
    ("focal", {}),
    ("focal", {"gamma": 0.5}),
    ("focal", {"class_weight": "inverse_frequency"}),
    ("cb", {}),
    ("cb", {"beta": 0.999}),
    ("cb_focal", {}),
    ("cb_focal", {"form": "sigmoid"}),
    ("cb_focal", {"beta": 0.999, "gamma": 0.5}),
    ("cb_focal", {"beta": 0.999, "gamma": 0.5, "form": "sigmoid"}),
    ("affinity", {}),
    ("affinity", {"margin": 0.43, "sigma": 5.0, "diversity_weight": 0.5}),
    ("la", {}),
    ("la", {"tau": 0.5}),
]
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in kw.items()) for name, kw in CASES]
# One case per loss and form, for the gradient checks.
GRADIENT_CASES = [
    ("cpl", {}), ("gcpl", {}), ("focal", {}), ("focal", {"class_weight": "inverse_frequency"}), ("cb", {}),
    ("cb_focal", {}), ("cb_focal", {"form": "sigmoid"}), ("affinity", {}), ("la", {}),
]
GRADIENT_IDS = [name + "".join(f"-{v}" for v in kw.values()) for name, kw in GRADIENT_CASES]


def _case(seed, k=10, dim=8, n=32, present=None):
    """Random features near their centers; ``present``: how many classes the labels are drawn from."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim))
    classes = np.arange(k) if present is None else rng.choice(k, size=present, replace=False)
    labels = rng.choice(classes, size=n)
    features = centers[labels] + rng.normal(size=(n, dim)) * 0.8
    counts = rng.permutation(COUNTS[:k])
    # Round to float32 first, so the reference sees exactly what TF sees.
    return np.float32(features).astype(np.float64), np.float32(centers).astype(np.float64), labels, counts


def _tensors(features, centers, labels, counts):
    return tensor(features), tensor(centers), tensor(labels, "int32"), tensor(counts, "int64")


def _call(name, features, centers, labels, counts, **kwargs):
    """The loss of ``name`` on d²(features, centers), with the registry's defaults (on MNIST, whose
    Affinity margin is the SPEC's 0.75) updated by ``kwargs``."""
    assert METHODS[name].loss is LOSSES[name][0]
    params = {**resolve_method(name, dataset="mnist").params, **kwargs}
    geometry = {"centers": centers} if "centers" in METHODS[name].geometry else {}
    return LOSSES[name][0](squared_distances(features, centers), labels, counts, **geometry, **params)


def _run(name, features, centers, labels, counts, **kwargs):
    loss, parts = _call(name, *_tensors(features, centers, labels, counts), **kwargs)
    return float(loss), {key: float(value) for key, value in parts.items()}


def _reference(name, features, centers, labels, counts, **kwargs):
    return LOSSES[name][3](features, centers, labels, counts, **{**LOSSES[name][2], **kwargs})


def _assert_matches_reference(name, kwargs, features, centers, labels, counts):
    loss, parts = _run(name, features, centers, labels, counts, **kwargs)
    expected = _reference(name, features, centers, labels, counts, **kwargs)
    assert set(parts) == set(LOSSES[name][1])
    assert math.isfinite(loss)
    rtol = CB_RTOL if name in ("cb", "cb_focal") else 1e-5
    assert loss == pytest.approx(expected["loss"], rel=rtol, abs=1e-7)
    for key, value in parts.items():
        assert value == pytest.approx(expected[key], rel=rtol, abs=1e-7), key


# ---------------------------------------------------------------------------------------------
# 1. Every loss and part against the float64 reference.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_random_against_reference(name, kwargs, seed):
    _assert_matches_reference(name, kwargs, *_case(seed))


def test_references_tell_the_options_apart():
    """The options are not no-ops on the test data (else the cases above would prove little)."""
    f, c, y, n = _case(0)
    assert _run("gcpl", f, c, y, n, halve_prototype_loss=True)[0] < _run("gcpl", f, c, y, n)[0] - 1e-3
    weighted = _run("focal", f, c, y, n, class_weight="inverse_frequency")[0]
    assert weighted != pytest.approx(_run("focal", f, c, y, n)[0], rel=1e-2)
    assert _run("cb_focal", f, c, y, n, form="sigmoid")[0] != pytest.approx(_run("cb_focal", f, c, y, n)[0], rel=1e-2)
    # The CB weights matter: the unweighted cross-entropy (CPL) differs from CB.
    assert _run("cb", f, c, y, n)[0] != pytest.approx(_run("cpl", f, c, y, n)[0], rel=1e-2)
    # The LA prior matters, and so does its sign.
    la = _run("la", f, c, y, n)[0]
    assert la != pytest.approx(_run("cpl", f, c, y, n)[0], rel=1e-2)
    assert la != pytest.approx(_reference("la", f, c, y, n, tau=-1.0)["loss"], rel=1e-2)


# ---------------------------------------------------------------------------------------------
# 2. Hand-checked cases.
# ---------------------------------------------------------------------------------------------

# Counts (1, 10, 100), β = 0.9:
#   w_1   = 0.1 / (1 − 0.9)                          = 1
#   w_10  = 0.1 / (1 − 0.9^10)  = 0.1 / 0.6513215599  = 0.15353399328
#   w_100 = 0.1 / (1 − 0.9^100) = 0.1 / 0.99997343860 = 0.10000265621
#   Σ = 1.25353664949; rescaled by 3/Σ: (2.39322879090, 0.36744197310, 0.23932923601), Σ = 3.
#   Ratios: w_1/w_10 = 1 − 0.9^10 over 1 − 0.9 = 6.513215599; w_10/w_100 = 1.535299152.
HAND_CB_WEIGHTS = [2.39322879090, 0.36744197310, 0.23932923601]


def test_class_balanced_weights_by_hand():
    weights = numpy(class_balanced_weights(tensor([1, 10, 100], "int32"), 0.9))
    np.testing.assert_allclose(weights, HAND_CB_WEIGHTS, rtol=1e-6)
    assert weights.sum() == pytest.approx(3.0, rel=1e-6)
    assert weights[0] / weights[1] == pytest.approx(6.513215599, rel=1e-6)
    assert weights[1] / weights[2] == pytest.approx(1.535299152, rel=1e-6)
    np.testing.assert_allclose(class_balanced_weights_reference([1, 10, 100], 0.9), HAND_CB_WEIGHTS, rtol=1e-10)


@pytest.mark.parametrize("beta", [0.9999, 0.999, 0.99])
def test_class_balanced_weights_sum_to_k(beta):
    weights = numpy(class_balanced_weights(tensor(COUNTS, "int64"), beta))
    assert weights.sum() == pytest.approx(len(COUNTS), rel=1e-5)
    np.testing.assert_allclose(weights, class_balanced_weights_reference(COUNTS, beta), rtol=CB_RTOL)
    assert weights[np.argmin(COUNTS)] > weights[np.argmax(COUNTS)]  # rare classes weigh more


def test_inverse_frequency_weights_by_hand():
    # Counts (1, 4): 1/N = (1, 0.25), Σ = 1.25, rescaled by 2/1.25: (1.6, 0.4).
    np.testing.assert_allclose(numpy(inverse_frequency_weights(tensor([1, 4], "int32"))), [1.6, 0.4], rtol=1e-6)


# Three centers on a unit circle around the origin and every feature at the origin: d² = 1 to every
# center, so p = 1/3 and −log p = log 3 for every sample, whatever the label.
EQUI_CENTERS = np.array([[1.0, 0.0], [-0.5, math.sqrt(3) / 2], [-0.5, -math.sqrt(3) / 2]])


@pytest.mark.parametrize("labels, expected", [
    ([0, 1, 2], math.log(3)),  # (1/3)(w_0 + w_1 + w_2) log 3 = log 3 since Σ w = k = 3
    ([0, 0], HAND_CB_WEIGHTS[0] * math.log(3)),
    ([2], HAND_CB_WEIGHTS[2] * math.log(3)),
])
def test_cb_loss_by_hand(labels, expected):
    features = np.zeros((len(labels), 2))
    loss, parts = _run("cb", features, EQUI_CENTERS, labels, [1, 10, 100], beta=0.9)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert parts["weighted_ce"] == pytest.approx(loss, rel=1e-7)


def test_cb_focal_softmax_by_hand():
    # As above, p_y = 1/3: focal term −(2/3)^γ log(1/3); weighted by w_y.
    features = np.zeros((1, 2))
    for gamma in (2.0, 0.5):
        loss, _ = _run("cb_focal", features, EQUI_CENTERS, [1], [1, 10, 100], beta=0.9, gamma=gamma)
        assert loss == pytest.approx(HAND_CB_WEIGHTS[1] * (2 / 3) ** gamma * math.log(3), rel=1e-5)


# One sample at (0, 0), label 0; centers (1, 0) and (−2, 0): d² = (1, 4), logits (−1, −4),
# p_0 = 1 / (1 + e^{−3}); CE = log(1 + e^{−3}).
SMALL_FEATURES = np.array([[0.0, 0.0]])
SMALL_CENTERS = np.array([[1.0, 0.0], [-2.0, 0.0]])
P0 = 1.0 / (1.0 + math.exp(-3.0))


def test_focal_by_hand():
    # −(1 − p_0)^γ log p_0: the exponent is on 1 − p, not on p.
    for gamma in (2.0, 0.5, 0.0):
        loss, _ = _run("focal", SMALL_FEATURES, SMALL_CENTERS, [0], [1, 1], gamma=gamma)
        assert loss == pytest.approx(-((1 - P0) ** gamma) * math.log(P0), rel=1e-5)
    # Label 1: p_1 = 1 − p_0.
    loss, _ = _run("focal", SMALL_FEATURES, SMALL_CENTERS, [1], [1, 1])
    assert loss == pytest.approx(-(P0**2) * math.log(1 - P0), rel=1e-5)
    # Inverse-frequency weights for counts (1, 4) are (1.6, 0.4).
    loss, _ = _run("focal", SMALL_FEATURES, SMALL_CENTERS, [0], [1, 4], class_weight="inverse_frequency")
    assert loss == pytest.approx(-1.6 * (1 - P0) ** 2 * math.log(P0), rel=1e-5)


def test_focal_gradient_is_zero_at_exact_saturation():
    """log p is exactly 0 in float32 at a gap of 100: the term and its gradient are 0 for γ = 0.5
    (the limit of the true gradient), not NaN."""
    grads = gradients(lambda f, c: {"loss": _call("focal", f, c, tensor([0], "int32"), tensor([1, 1], "int32"),
                                                  gamma=0.5)[0]}, [[0.0, 0.0]], [[0.0, 0.0], [10.0, 0.0]])
    assert _run("focal", [[0.0, 0.0]], [[0.0, 0.0], [10.0, 0.0]], [0], [1, 1], gamma=0.5)[0] == 0.0
    for grad in grads["loss"]:
        assert np.all(grad == 0.0)


def test_gcpl_by_hand():
    # CE = log(1 + e^{−3}); prototype term d²(x, C_0) = 1 (no ½ by default, ½ with the option).
    ce = math.log(1 + math.exp(-3.0))
    loss, parts = _run("gcpl", SMALL_FEATURES, SMALL_CENTERS, [0], [1, 1])
    assert parts["cross_entropy"] == pytest.approx(ce, rel=1e-5)
    assert parts["prototype"] == pytest.approx(1.0, rel=1e-6)
    assert loss == pytest.approx(ce + 0.1, rel=1e-5)
    loss, parts = _run("gcpl", SMALL_FEATURES, SMALL_CENTERS, [0], [1, 1], halve_prototype_loss=True)
    assert parts["prototype"] == pytest.approx(0.5, rel=1e-6)
    assert loss == pytest.approx(ce + 0.05, rel=1e-5)
    loss, _ = _run("gcpl", SMALL_FEATURES, SMALL_CENTERS, [1], [1, 1], weight=0.5)
    assert loss == pytest.approx(math.log(1 + math.exp(3.0)) + 0.5 * 4.0, rel=1e-5)


@pytest.mark.parametrize("label, tau, expected", [
    # Counts (1, 3): π = (0.25, 0.75). Equal distances, so the adjusted logits are
    # (log .25, log .75) + const and −log softmax(...)_y = −log π_y.
    (0, 1.0, math.log(4.0)),
    (1, 1.0, math.log(4.0 / 3.0)),
    # τ = 0.5: logits (0.5 log .25, 0.5 log .75) → p_0 = √.25 / (√.25 + √.75).
    (0, 0.5, -math.log(0.5 / (0.5 + math.sqrt(0.75)))),
    # τ = 0: plain cross-entropy, log 2.
    (0, 0.0, math.log(2.0)),
])
def test_la_prior_by_hand(label, tau, expected):
    features = np.zeros((1, 2))
    centers = np.array([[1.0, 0.0], [-1.0, 0.0]])  # both at d² = 1
    loss, parts = _run("la", features, centers, [label], [1, 3], tau=tau)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert parts["adjusted_ce"] == pytest.approx(loss, rel=1e-7)


# Centers (0, 0), (3, 0), (0, 4): pair d² = 9, 16, 25; μ = 50/3;
# R = [(9 − 50/3)² + (16 − 50/3)² + (25 − 50/3)²] / 3 = (529 + 4 + 625) / 27 = 1158/27 = 42.888…
# (all ordered pairs with the zero diagonal would give μ = 100/9 instead).
# Max-margin, σ = 10, λ = 0.75:
#   x = (1, 0), y = 0: d² = (1, 4, 17), a = (e^{−.1}, e^{−.4}, e^{−1.7}) = (.904837, .670320, .182684);
#     hinges j = 1: .75 + .670320 − .904837 = .515483; j = 2: .75 + .182684 − .904837 = .027847.
#     (The true class would add max(0, λ) = .75 if it were not left out.)
#   x = (3, 0), y = 1: d² = (9, 0, 25), a = (e^{−.9}, 1, e^{−2.5}) = (.406570, 1, .082085);
#     hinges j = 0: .75 + .406570 − 1 = .156570; j = 2: .75 + .082085 − 1 < 0 → 0.
#   L_mm = (.515483 + .027847 + .156570) / 2 = .349950.
AFF_CENTERS = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])


def test_affinity_by_hand():
    features = np.array([[1.0, 0.0], [3.0, 0.0]])
    loss, parts = _run("affinity", features, AFF_CENTERS, [0, 1], [5, 5, 5])
    a = math.exp
    expected_mm = ((0.75 + a(-0.4) - a(-0.1)) + (0.75 + a(-1.7) - a(-0.1)) + (0.75 + a(-0.9) - 1.0)) / 2
    assert expected_mm == pytest.approx(0.349950, abs=1e-6)
    assert parts["max_margin"] == pytest.approx(expected_mm, rel=1e-5)
    assert parts["diversity"] == pytest.approx(1158 / 27, rel=1e-6)
    assert loss == pytest.approx(expected_mm + 1158 / 27, rel=1e-6)
    assert diversity_reference(AFF_CENTERS) == pytest.approx(1158 / 27, rel=1e-12)
    # λ = 0.43: only the first hinge stays active: .43 + .670320 − .904837 = .195483.
    _, parts = _run("affinity", features, AFF_CENTERS, [0, 1], [5, 5, 5], margin=0.43, diversity_weight=0.0)
    assert parts["max_margin"] == pytest.approx((0.43 + a(-0.4) - a(-0.1)) / 2, rel=1e-5)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_sigmoid_focal_modulator_by_hand(gamma):
    # Σ_j (1 − p_t)^γ BCE_j with p_t = σ(z_j) for the true class, 1 − σ(z_j) otherwise; the modulator is
    # computed here directly from σ(z) (the code uses the exp/softplus form of the CB authors).
    logits = [-0.5, -2.0, 0.3, -6.0]
    label = 1
    expected = 0.0
    for j, z in enumerate(logits):
        s = 1.0 / (1.0 + math.exp(-z))
        p_t = s if j == label else 1.0 - s
        expected += (1.0 - p_t) ** gamma * -math.log(p_t)
    got = numpy(sigmoid_focal_terms(tensor([logits]), tensor([label], "int32"), gamma))
    assert got.shape == (1,)
    assert got[0] == pytest.approx(expected, rel=1e-5)


def test_cb_focal_sigmoid_by_hand():
    # Equilateral case: z = −1 for every class, σ(−1) = s. True class: (1 − s)^γ · (−log s);
    # each of the 2 others: s^γ · (−log(1 − s)). Weighted by w_y (β = 0.9, counts (1, 10, 100)).
    s = 1.0 / (1.0 + math.e)
    gamma = 2.0
    term = (1 - s) ** gamma * -math.log(s) + 2 * s**gamma * -math.log(1 - s)
    loss, parts = _run(
        "cb_focal", np.zeros((1, 2)), EQUI_CENTERS, [0], [1, 10, 100], beta=0.9, gamma=gamma, form="sigmoid"
    )
    assert loss == pytest.approx(HAND_CB_WEIGHTS[0] * term, rel=1e-5)
    assert parts["weighted_focal"] == pytest.approx(loss, rel=1e-7)


# ---------------------------------------------------------------------------------------------
# 3. Batches in which some classes are absent.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, kwargs", GRADIENT_CASES, ids=GRADIENT_IDS)
@pytest.mark.parametrize("present", [1, 3])
def test_absent_classes(name, kwargs, present):
    features, centers, labels, counts = _case(7, present=present)
    assert len(set(labels.tolist())) == present
    _assert_matches_reference(name, kwargs, features, centers, labels, counts)
    for g in _loss_gradients(name, kwargs, features, centers, labels, counts):
        assert np.all(np.isfinite(g))


# ---------------------------------------------------------------------------------------------
# 4. Gradients.
# ---------------------------------------------------------------------------------------------


def _loss_gradients(name, kwargs, features, centers, labels, counts):
    """[∂L/∂features, ∂L/∂centers] of method ``name`` as float32 NumPy arrays."""
    _, _, y, n = _tensors(features, centers, labels, counts)
    return gradients(lambda f, c: {"loss": _call(name, f, c, y, n, **kwargs)[0]}, features, centers)["loss"]


def _directional_fd(fn, x, v, eps=1e-5):
    """(fn(x + εv) − fn(x − εv)) / 2ε in float64."""
    return (fn(x + eps * v) - fn(x - eps * v)) / (2 * eps)


@pytest.mark.parametrize("name, kwargs", GRADIENT_CASES, ids=GRADIENT_IDS)
def test_gradients_match_reference(name, kwargs):
    """Features and centers get finite, nonzero gradients, and ⟨∇L, v⟩ for random directions v
    equals a central difference of the float64 reference."""
    features, centers, labels, counts = _case(3)
    g_f, g_c = (g.astype(np.float64) for g in _loss_gradients(name, kwargs, features, centers, labels, counts))
    rng = np.random.default_rng(11)
    for grad, point, perturb in (
        (g_f, features, lambda x: _reference(name, x, centers, labels, counts, **kwargs)["loss"]),
        (g_c, centers, lambda x: _reference(name, features, x, labels, counts, **kwargs)["loss"]),
    ):
        assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 1e-4
        for _ in range(2):
            v = rng.normal(size=point.shape)
            expected = _directional_fd(perturb, point, v)
            # Tolerance relative to Σ|g_i v_i|, the scale of the float32 round-off in the sum.
            scale = float(np.sum(np.abs(grad * v))) * (CB_RTOL if name in ("cb", "cb_focal") else 1e-5)
            assert float(np.sum(grad * v)) == pytest.approx(expected, rel=0, abs=scale)


def test_affinity_diversity_gradient_matches_finite_difference():
    """∂R/∂C of the TF regulariser equals the finite difference of the reference R, in which μ is
    recomputed from the perturbed centers."""
    _, centers, _, _ = _case(4)
    features = tensor(np.zeros((2, centers.shape[1])))
    (grad,) = gradients(lambda c: {"diversity": _call("affinity", features, c, tensor([0, 1], "int32"),
                                                      tensor(COUNTS, "int64"))[1]["diversity"]}, centers)["diversity"]
    expected = np.zeros_like(centers)
    eps = 1e-5
    for j in range(centers.shape[0]):
        for d in range(centers.shape[1]):
            step = np.zeros_like(centers)
            step[j, d] = eps
            expected[j, d] = (diversity_reference(centers + step) - diversity_reference(centers - step)) / (2 * eps)
    np.testing.assert_allclose(grad, expected, rtol=2e-4, atol=1e-4 * np.abs(expected).max())


@tensorflow_only
def test_affinity_diversity_second_derivative_flows_through_mu():
    """Because Σ_pairs (d² − μ) = 0, the first derivative of R is the same whether or not μ is
    differentiated; the second derivative is not: along a direction v, d²R/dt² has the extra term
    −2 (dμ/dt)², which a stop_gradient on μ would drop. Compare the TF second directional derivative
    with a second central difference of the reference."""
    import tensorflow as tf

    _, centers, _, _ = _case(5)
    rng = np.random.default_rng(5)
    # A direction that mostly scales the configuration, so dμ/dt (and the μ term) is large.
    v = centers + 0.3 * rng.normal(size=centers.shape)
    c = tf.Variable(centers, dtype=tf.float32)
    v_tf = tf.constant(v, tf.float32)
    features = tf.zeros((1, centers.shape[1]))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            _, parts = _call("affinity", features, c, tf.constant([0]), tf.constant(COUNTS))
        directional = tf.reduce_sum(inner.gradient(parts["diversity"], c) * v_tf)
    second = float(tf.reduce_sum(outer.gradient(directional, c) * v_tf))

    eps = 1e-3
    r = diversity_reference
    expected = (r(centers + eps * v) - 2 * r(centers) + r(centers - eps * v)) / eps**2
    # The μ term on its own, −2 (dμ/dt)², to show the check can tell the difference.
    k = centers.shape[0]
    pairs = [(j, jp) for j in range(k) for jp in range(j + 1, k)]
    dmu = sum(2 * np.dot(centers[j] - centers[jp], v[j] - v[jp]) for j, jp in pairs) / len(pairs)
    mu_term = -2 * dmu**2
    assert abs(mu_term) > 0.05 * abs(expected)
    assert second == pytest.approx(expected, rel=1e-3)
