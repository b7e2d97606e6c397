"""ARConvL loss (SPEC §2, Eq. 1–8) against an independent float64 NumPy reference."""

import math

import numpy as np
import pytest

from arconvl.losses import ARCONVL_PARTS, arconvl_loss
from arconvl.losses.registry import resolve_method
from arconvl.model.geometry import squared_distances

from backends import gradients, numpy, tensor, tensorflow_only
from numpy_reference import arconvl_reference, region_statistics

SCALAR_PARTS = (
    "region", "distribution", "margin_ce", "center", "beta", "sigma2", "r_ben_sq", "r_upp_sq", "clamped_fraction",
)


def _np(parts):
    return {key: float(numpy(value)) for key, value in parts.items()}


def _arconvl(features, centers, radius_sq, labels, class_counts, **kwargs):
    """ARConvL on d²(features, centers) with the registry's defaults (variant code) updated by ``kwargs``."""
    params = {**resolve_method("arconvl", dataset="mnist").params, **kwargs}
    return arconvl_loss(
        squared_distances(features, centers), labels, class_counts, centers=centers, radius_sq=radius_sq, **params
    )


def _run(features, centers, radius_sq, labels, class_counts, **kwargs):
    loss, parts = _arconvl(tensor(features), tensor(centers), tensor(radius_sq), tensor(labels, "int32"),
                           tensor(class_counts, "int64"), **kwargs)
    return float(numpy(loss)), _np(parts)


def _as_float32(*arrays):
    """Round the inputs to float32 first, so the reference sees exactly what TF sees."""
    return [np.asarray(a, np.float32).astype(np.float64) for a in arrays]


# ---------------------------------------------------------------------------------------------
# 1. A small case checked by hand.
# ---------------------------------------------------------------------------------------------
# Centers C0 = (0, 0), C1 = (4, 0), C2 = (0, 3): d(C0,C1) = 4, d(C0,C2) = 3, d(C1,C2) = 5.
# d_min = (3, 4, 3), d_min/2 = (1.5, 2, 1.5)  →  R_ben = 1.5, R_ben² = 2.25.
# Radii R = (1, 2.1, 0.5) (radius_sq = 1, 4.41, 0.25):
#   R_upp = max(max(1, 1.5), max(2.1, 2), max(0.5, 1.5)) = 2.1, R_upp² = 4.41 (set by R_1*).
#   β = min(1, 4.41/2.25 − 1) = min(1, 0.96) = 0.96.
#   σ² = min(2.25, 4.41 − 2.25) = min(2.25, 2.16) = 2.16.
# class_counts (10, 100, 50): α = 100/N = (10, 1, 2); η = N/160 = (1/16, 10/16, 5/16).
HAND_CENTERS = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]])
HAND_RADIUS_SQ = np.array([1.0, 4.41, 0.25])
HAND_COUNTS = np.array([10, 100, 50])
HAND_FEATURES = np.array([[0.5, 0.0], [3.0, 0.0], [4.0, 1.0], [0.0, 0.0], [4.0, 3.0]])
HAND_LABELS = np.array([0, 0, 1, 2, 1])
# Unsquared distance to the own center and hinge max(0, d − R)²:
#   x0: d = 0.5 < R0 = 1    → 0            (inactive)
#   x1: d = 3   > R0 = 1    → (3 − 1)² = 4 (a hinge on squared values would give (9 − 1)² = 64)
#   x2: d = 1   < R1 = 2.1  → 0            (inactive)
#   x3: d = 3   > R2 = 0.5  → 2.5² = 6.25
#   x4: d = 3   > R1 = 2.1  → 0.9² = 0.81
# L_R = (1/5)[10(0 + .05·1) + 10(4 + .05·1) + 1(0 + .05·4.41) + 2(6.25 + .05·.25) + 1(.81 + .05·4.41)]
#     = (1/5)[0.5 + 40.5 + 0.2205 + 12.525 + 1.0305] = 54.776 / 5 = 10.9552
HAND_REGION = 10.9552
# d² to the own center: (0.25, 9, 1, 9, 9); α_y = (10, 10, 1, 2, 1).
#   paper: L_D = 0.96/5 · (2.5 + 90 + 1 + 18 + 9) = 0.96 · 120.5 / 5 = 23.136
#   code:  mean(α) = 13/3, α/mean(α) = (30/13, 3/13, 6/13)
#          L_D = 0.96/5 · (30/13·0.25 + 30/13·9 + 3/13·1 + 6/13·9 + 3/13·9) = 0.96 · 361.5 / 65
HAND_DISTRIBUTION_PAPER = 23.136
HAND_DISTRIBUTION_CODE = 0.96 * 361.5 / 65.0
# Squared distances of every sample to (C0, C1, C2), worked out by hand:
HAND_D2 = [
    [0.25, 12.25, 9.25],
    [9.0, 1.0, 18.0],
    [17.0, 1.0, 20.0],
    [0.0, 16.0, 9.0],
    [25.0, 9.0, 16.0],
]
HAND_SIGMA2 = 2.16
HAND_BETA = 0.96


def _hand_margin_ce(sigma2):
    eta = [10 / 160, 100 / 160, 50 / 160]
    total = 0.0
    for row, y in zip(HAND_D2, HAND_LABELS):
        logits = [-row[j] + math.log(eta[j]) + (sigma2 if j != y else 0.0) for j in range(3)]
        total += -logits[y] + math.log(sum(math.exp(z) for z in logits))
    return total / 5


def _hand_center(sigma2):
    # p(C_j) = 1 / (1 + Σ_{j'≠j} exp(−d²(C_j, C_j') + σ²)); squared center distances 16, 9, 25.
    p0 = 1 / (1 + math.exp(-16 + sigma2) + math.exp(-9 + sigma2))
    p1 = 1 / (1 + math.exp(-16 + sigma2) + math.exp(-25 + sigma2))
    p2 = 1 / (1 + math.exp(-9 + sigma2) + math.exp(-25 + sigma2))
    return -(math.log(p0) + math.log(p1) + math.log(p2)) / 3


@pytest.mark.parametrize("normalize, expected_distribution", [
    (True, HAND_DISTRIBUTION_CODE),
    (False, HAND_DISTRIBUTION_PAPER),
])
def test_hand_checked_case(normalize, expected_distribution):
    loss, parts = _run(
        HAND_FEATURES, HAND_CENTERS, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS,
        normalize_distribution_alpha=normalize,
    )
    assert set(parts) == set(ARCONVL_PARTS) == set(SCALAR_PARTS)
    assert parts["r_ben_sq"] == pytest.approx(2.25, rel=1e-6)
    assert parts["r_upp_sq"] == pytest.approx(4.41, rel=1e-6)
    assert parts["beta"] == pytest.approx(HAND_BETA, rel=1e-5)
    assert parts["sigma2"] == pytest.approx(HAND_SIGMA2, rel=1e-5)
    assert parts["region"] == pytest.approx(HAND_REGION, rel=1e-6)
    assert parts["distribution"] == pytest.approx(expected_distribution, rel=1e-5)
    margin_ce = _hand_margin_ce(HAND_SIGMA2)
    center = _hand_center(HAND_SIGMA2)
    assert parts["margin_ce"] == pytest.approx(margin_ce, rel=1e-5, abs=1e-6)
    assert parts["center"] == pytest.approx(center, rel=1e-5, abs=1e-6)
    assert loss == pytest.approx(HAND_REGION + expected_distribution + margin_ce + center, rel=1e-5)
    # The NumPy reference agrees with the hand computation, so the random tests below check the
    # same formula.
    ref = arconvl_reference(
        HAND_FEATURES, HAND_CENTERS, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS,
        normalize_distribution_alpha=normalize,
    )
    assert ref["region"] == pytest.approx(HAND_REGION, rel=1e-12)
    assert ref["distribution"] == pytest.approx(expected_distribution, rel=1e-12)
    assert ref["margin_ce"] == pytest.approx(margin_ce, rel=1e-12)
    assert ref["center"] == pytest.approx(center, rel=1e-12)
    assert ref["beta"] == pytest.approx(HAND_BETA, rel=1e-12)
    assert ref["sigma2"] == pytest.approx(HAND_SIGMA2, rel=1e-12)


def test_hand_case_margin_goes_to_wrong_classes():
    """σ² on the wrong classes raises the loss; on the true class it would lower it."""
    _, with_margin = _run(HAND_FEATURES, HAND_CENTERS, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS)
    _, no_margin = _run(
        HAND_FEATURES, HAND_CENTERS, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS, fixed_sigma2=0.0,
    )
    assert with_margin["margin_ce"] > no_margin["margin_ce"] + 0.5
    assert with_margin["center"] > no_margin["center"]
    assert no_margin["margin_ce"] == pytest.approx(_hand_margin_ce(0.0), rel=1e-5)
    assert no_margin["center"] == pytest.approx(_hand_center(0.0), rel=1e-5, abs=1e-6)


def test_hand_case_r_upp_from_center_gap():
    """With small radii R_upp is the largest d_min/2 (here 2): β = 4/2.25 − 1 = 7/9, σ² = 1.75."""
    _, parts = _run(HAND_FEATURES, HAND_CENTERS, [0.01, 0.04, 0.09], HAND_LABELS, HAND_COUNTS)
    assert parts["r_upp_sq"] == pytest.approx(4.0, rel=1e-6)
    assert parts["beta"] == pytest.approx(7.0 / 9.0, rel=1e-5)
    assert parts["sigma2"] == pytest.approx(1.75, rel=1e-5)


def test_hand_case_beta_clipped_at_one():
    """Large radii: R_upp = 3, (3/1.5)² − 1 = 3 → β = 1; σ² = min(2.25, 9 − 2.25) = 2.25."""
    _, parts = _run(HAND_FEATURES, HAND_CENTERS, [9.0, 1.0, 1.0], HAND_LABELS, HAND_COUNTS)
    assert parts["r_upp_sq"] == pytest.approx(9.0, rel=1e-6)
    assert parts["beta"] == pytest.approx(1.0, rel=1e-6)
    assert parts["sigma2"] == pytest.approx(2.25, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# 2. Random tensors against the reference, every variant and ablation.
# ---------------------------------------------------------------------------------------------
def random_case(seed, k=10, dim=8, n=32, present=7, radius_range=(0.2, 4.0)):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim)) * 1.5
    present_classes = rng.choice(k, size=present, replace=False)
    labels = rng.choice(present_classes, size=n)
    spread = rng.uniform(0.1, 1.0, size=(n, 1))
    features = centers[labels] + rng.normal(size=(n, dim)) * spread
    radius_sq = rng.uniform(*radius_range, size=k)
    class_counts = rng.permutation((5000 * 0.01 ** (np.arange(k) / (k - 1))).astype(np.int64))
    features, centers, radius_sq = _as_float32(features, centers, radius_sq)
    return features, centers, radius_sq, labels, class_counts


CONFIGS = {
    "code": dict(normalize_distribution_alpha=True, clamp_underflow=True),
    "paper": dict(normalize_distribution_alpha=False, clamp_underflow=False),
    "beta0": dict(fixed_beta=0.0),
    "beta0.5": dict(fixed_beta=0.5),
    "beta1": dict(fixed_beta=1.0),
    "sigma0": dict(fixed_sigma2=0.0),
    "sigma0.5": dict(fixed_sigma2=0.5),
    "sigma1": dict(fixed_sigma2=1.0),
    "arc_c": dict(center_term=False),
    "arc_c_paper": dict(center_term=False, normalize_distribution_alpha=False, clamp_underflow=False),
    "gamma0.2_paper": dict(gamma=0.2, normalize_distribution_alpha=False, clamp_underflow=False),
}


def test_random_case_exercises_both_hinge_branches_and_absent_classes():
    for seed in (0, 1, 2):
        features, centers, radius_sq, labels, _ = random_case(seed)
        d = np.linalg.norm(features - centers[labels], axis=1)
        r = np.sqrt(radius_sq[labels])
        assert (d > r).any() and (d < r).any()
        assert len(set(labels.tolist())) < centers.shape[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_random_against_reference(seed, config):
    kwargs = CONFIGS[config]
    case = random_case(seed)
    loss, parts = _run(*case, **kwargs)
    ref = arconvl_reference(*case, **kwargs)
    for key in SCALAR_PARTS:
        assert parts[key] == pytest.approx(ref[key], rel=1e-5, abs=1e-6), key
    assert loss == pytest.approx(ref["loss"], rel=1e-5)
    with_center = kwargs.get("center_term", True)
    expected_total = parts["region"] + parts["distribution"] + parts["margin_ce"]
    if with_center:
        expected_total += parts["center"]
    assert loss == pytest.approx(expected_total, rel=1e-6)
    if not with_center:
        assert parts["center"] > 0.0  # still reported
        assert loss < expected_total + parts["center"] - 1e-6
    if "fixed_beta" in kwargs:
        assert parts["beta"] == kwargs["fixed_beta"]
    if "fixed_sigma2" in kwargs:
        assert parts["sigma2"] == kwargs["fixed_sigma2"]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_random_small_radii_unclipped_beta(seed):
    """Small radii: R_upp comes from the center gaps and β lies strictly between 0 and 1."""
    rng = np.random.default_rng(seed)
    # A perturbed regular tetrahedron (edge 3): the d_min differ a little, so 0 < β < 1.
    tetra = np.array([[0, 0, 0], [3, 0, 0], [1.5, 2.598, 0], [1.5, 0.866, 2.449]])
    centers = tetra + rng.normal(size=tetra.shape) * 0.2
    labels = rng.integers(0, 3, size=16)  # class 3 absent
    features = centers[labels] + rng.normal(size=(16, 3)) * 0.4
    radius_sq = rng.uniform(0.001, 0.01, size=4)
    features, centers, radius_sq = _as_float32(features, centers, radius_sq)
    case = (features, centers, radius_sq, labels, np.array([400, 100, 20, 5]))
    for kwargs in (CONFIGS["code"], CONFIGS["paper"]):
        loss, parts = _run(*case, **kwargs)
        ref = arconvl_reference(*case, **kwargs)
        assert 0.0 < ref["beta"] < 1.0
        for key in SCALAR_PARTS:
            assert parts[key] == pytest.approx(ref[key], rel=1e-5, abs=1e-6), key
        assert loss == pytest.approx(ref["loss"], rel=1e-5)


def test_variants_differ_by_mean_alpha():
    """L_D(code) · mean(α) = L_D(paper); every other part is identical."""
    case = random_case(0)
    _, code = _run(*case, normalize_distribution_alpha=True)
    _, paper = _run(*case, normalize_distribution_alpha=False)
    counts = case[4].astype(np.float64)
    mean_alpha = np.mean(counts.max() / counts)
    assert mean_alpha > 2.0
    assert code["distribution"] * mean_alpha == pytest.approx(paper["distribution"], rel=1e-5)
    for key in SCALAR_PARTS:
        if key != "distribution":
            assert code[key] == pytest.approx(paper[key], rel=1e-6), key


def test_fixed_beta_zero_removes_distribution():
    case = random_case(1)
    _, parts = _run(*case, fixed_beta=0.0)
    assert parts["distribution"] == 0.0


@tensorflow_only
def test_compiled_graph_matches_eager():
    import tensorflow as tf

    case = random_case(2)
    args = (tensor(case[0]), tensor(case[1]), tensor(case[2]), tensor(case[3], "int32"), tensor(case[4], "int64"))
    eager_loss, eager_parts = _arconvl(*args)
    graph_loss, graph_parts = tf.function(_arconvl)(*args)
    assert float(graph_loss) == pytest.approx(float(eager_loss), rel=1e-6)
    for key in SCALAR_PARTS:
        assert float(graph_parts[key]) == pytest.approx(float(eager_parts[key]), rel=1e-6, abs=1e-7)


# ---------------------------------------------------------------------------------------------
# 3. Gradients.
# ---------------------------------------------------------------------------------------------
def _is_zero(grad):
    return grad is None or not np.any(grad)


def _is_nonzero(grad):
    return grad is not None and np.all(np.isfinite(grad)) and np.any(np.abs(grad) > 1e-8)


def _gradients(case, **kwargs):
    features, centers, radius_sq, labels, counts = case

    def outputs(f, c, r):
        loss, parts = _arconvl(f, c, r, tensor(labels, "int32"), tensor(counts, "int64"), **kwargs)
        return {"loss": loss, **parts}

    return {name: dict(zip(("features", "centers", "radius_sq"), grads))
            for name, grads in gradients(outputs, features, centers, radius_sq).items()}


@pytest.mark.parametrize("config", ["code", "paper", "arc_c"])
def test_gradient_routing(config):
    grads = _gradients(random_case(0), **CONFIGS[config])
    # L_R: only the radii learn from it.
    assert _is_zero(grads["region"]["features"])
    assert _is_zero(grads["region"]["centers"])
    assert _is_nonzero(grads["region"]["radius_sq"])
    # The frozen statistics.
    for name in ("beta", "sigma2", "r_ben_sq", "r_upp_sq"):
        for var in ("features", "centers", "radius_sq"):
            assert _is_zero(grads[name][var]), (name, var)
    # Center term: centers only.
    assert _is_nonzero(grads["center"]["centers"])
    assert _is_zero(grads["center"]["features"])
    assert _is_zero(grads["center"]["radius_sq"])
    # L_D and the sample term of L_M: features and centers, never the radii.
    for name in ("distribution", "margin_ce"):
        assert _is_nonzero(grads[name]["features"]), name
        assert _is_nonzero(grads[name]["centers"]), name
        assert _is_zero(grads[name]["radius_sq"]), name
    # The radii learn from L_R alone.
    np.testing.assert_allclose(
        grads["loss"]["radius_sq"], grads["region"]["radius_sq"], rtol=1e-6, atol=1e-9,
    )
    assert _is_nonzero(grads["loss"]["features"])
    assert _is_nonzero(grads["loss"]["centers"])


def test_gradient_routing_when_radius_sets_r_upp():
    """Hand case: R_upp = R_1* and β, σ² are unclipped functions of R_upp, so only the stop on R*
    keeps the radii out of β, σ², R_upp and L_D / L_M."""
    case = (HAND_FEATURES, HAND_CENTERS, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS)
    grads = _gradients(case)
    for name in ("beta", "sigma2", "r_ben_sq", "r_upp_sq", "distribution", "margin_ce", "center"):
        assert _is_zero(grads[name]["radius_sq"]), name
    # d L_R / d R_j² = (1/n) Σ_{i: y_i = j} α_j [−(d_i − R_j)/R_j · [d_i > R_j] + γ]
    #   class 0: x0 inside, x1 at d = 3, R = 1:      10/5 · (0.05 + (−2 + 0.05)) = −3.8
    #   class 1: x2 inside, x4 at d = 3, R = 2.1:    1/5 · (0.05 + (−0.9/2.1 + 0.05))
    #   class 2: x3 at d = 3, R = 0.5:               2/5 · (−2.5/0.5 + 0.05) = −1.98
    expected = [-3.8, (0.1 - 0.9 / 2.1) / 5, -1.98]
    np.testing.assert_allclose(grads["loss"]["radius_sq"], expected, rtol=1e-5)


def test_radius_gradient_zero_for_absent_classes():
    case = random_case(0)
    grads = _gradients(case)
    g = grads["loss"]["radius_sq"]
    absent = sorted(set(range(10)) - set(case[3].tolist()))
    assert absent
    assert np.all(g[absent] == 0.0)


def _finite_difference(case, kwargs, which, eps=1e-6):
    features, centers, radius_sq, labels, counts = case
    frozen = {"features": features, "centers": centers, "radius_sq": radius_sq}
    inputs = {"features": features, "centers": centers, "radius_sq": radius_sq}
    base = inputs[which]
    grad = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        values = []
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved[index] += sign * eps
            args = {**inputs, which: moved}
            values.append(arconvl_reference(
                args["features"], args["centers"], args["radius_sq"], labels, counts,
                frozen=frozen, **kwargs,
            )["loss"])
        grad[index] = (values[0] - values[1]) / (2 * eps)
    return grad


@pytest.mark.parametrize("config", ["code", "paper"])
def test_radius_gradient_matches_finite_difference(config):
    """d L / d R_j² equals a finite difference of the reference with R_upp, β, σ² held at the
    unperturbed radii (R_j* is gradient-stopped)."""
    case = random_case(1)
    kwargs = CONFIGS[config]
    expected = _finite_difference(case, kwargs, "radius_sq")
    got = _gradients(case, **kwargs)["loss"]["radius_sq"]
    assert np.any(np.abs(expected) > 1e-3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("which", ["features", "centers"])
def test_feature_and_center_gradients_match_finite_difference(which):
    """With the stopped quantities frozen at the unperturbed inputs, the reference's finite
    difference is the gradient of L_D + L_M (L_R does not reach features or centers)."""
    case = random_case(2, k=5, dim=4, n=12, present=4)
    kwargs = CONFIGS["paper"]
    expected = _finite_difference(case, kwargs, which)
    got = _gradients(case, **kwargs)["loss"][which]
    scale = np.max(np.abs(expected))
    assert scale > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4 * scale)


# ---------------------------------------------------------------------------------------------
# 4. Degenerate inputs stay finite.
# ---------------------------------------------------------------------------------------------
def _assert_finite_everywhere(case, **kwargs):
    loss, parts = _run(*case, **kwargs)
    assert math.isfinite(loss)
    for key in SCALAR_PARTS:
        assert math.isfinite(parts[key]), key
    grads = _gradients(case, **kwargs)
    for name, by_var in grads.items():
        for var, grad in by_var.items():
            if grad is not None:
                assert np.all(np.isfinite(grad)), (name, var)
    return loss, parts, grads


def test_coinciding_centers():
    centers = HAND_CENTERS.copy()
    centers[1] = centers[0]
    case = (HAND_FEATURES, centers, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS)
    loss, parts, _ = _assert_finite_everywhere(case)
    assert parts["r_ben_sq"] == 0.0
    assert parts["beta"] == 1.0
    assert parts["sigma2"] == 0.0
    ref = arconvl_reference(*case)
    for key in SCALAR_PARTS:
        assert parts[key] == pytest.approx(ref[key], rel=1e-5, abs=1e-6), key
    assert loss == pytest.approx(ref["loss"], rel=1e-5)


def test_all_centers_coincide_and_zero_radii():
    centers = np.zeros((3, 2))
    case = (HAND_FEATURES, centers, np.zeros(3), HAND_LABELS, HAND_COUNTS)
    loss, parts, _ = _assert_finite_everywhere(case)
    assert parts["r_ben_sq"] == 0.0 and parts["r_upp_sq"] == 0.0
    assert parts["beta"] == 1.0 and parts["sigma2"] == 0.0
    ref = arconvl_reference(*case)
    assert loss == pytest.approx(ref["loss"], rel=1e-5)


def test_sample_exactly_at_its_center():
    centers = np.array([[0.3, 0.7], [4.1, -0.2], [-0.6, 3.3]], np.float32).astype(np.float64)
    features = HAND_FEATURES.copy()
    features[0] = centers[HAND_LABELS[0]]
    features[2] = centers[HAND_LABELS[2]]
    case = (features, centers, HAND_RADIUS_SQ, HAND_LABELS, HAND_COUNTS)
    loss, parts, grads = _assert_finite_everywhere(case)
    ref = arconvl_reference(*case)
    for key in SCALAR_PARTS:
        assert parts[key] == pytest.approx(ref[key], rel=1e-5, abs=1e-6), key
    # The hinge is inactive there, so only γ R² of those samples remains.
    g_features = grads["loss"]["features"]
    assert np.all(np.isfinite(g_features))


def test_sample_at_center_with_zero_radius():
    features = HAND_FEATURES.copy()
    features[3] = HAND_CENTERS[2]
    radius_sq = np.array([1.0, 4.41, 0.0])
    case = (features, HAND_CENTERS, radius_sq, HAND_LABELS, HAND_COUNTS)
    loss, parts, _ = _assert_finite_everywhere(case)
    ref = arconvl_reference(*case)
    assert parts["region"] == pytest.approx(ref["region"], rel=1e-6)
    assert loss == pytest.approx(ref["loss"], rel=1e-5)


def test_zero_radii():
    case = random_case(0)
    case = (case[0], case[1], np.zeros_like(case[2]), case[3], case[4])
    loss, parts, grads = _assert_finite_everywhere(case)
    ref = arconvl_reference(*case)
    for key in SCALAR_PARTS:
        assert parts[key] == pytest.approx(ref[key], rel=1e-5, abs=1e-6), key
    # With R = 0, L_R = (1/n) Σ α_y d²: the squared hinge on the unsquared distance.
    stats = region_statistics(case[1], case[2])
    assert parts["r_upp_sq"] == pytest.approx(stats["r_upp_sq"], rel=1e-6)


# ---------------------------------------------------------------------------------------------
# 5. Underflowed probabilities: the authors' dce_loss clamps them (variant code), Eq. 8 does not.
# ---------------------------------------------------------------------------------------------
# The hand case's centers, radii and counts (σ² = 2.16; η = (1, 10, 5)/16) and two samples:
#   x0 = (0.5, 0), label 0: the ordinary sample of the hand case (−log p computed by _hand_margin_ce).
#   x1 = (−60, 0), label 1: d² = (3600, 4096, 3609); logits z = −d² + log η (+ σ² off the true class):
#     z0 = −3600 + log(1/16) + 2.16, z1 = −4096 + log(10/16), z2 = −3609 + log(5/16) + 2.16;
#     −log p(x1 ∈ 1) = logsumexp(z) − z1 ≈ 496 + log(1/10) + 2.16 + log1p(5 e^{−9}) ≈ 495.8574 + 0.0006 = 495.8580,
#     so p underflows to 0 in float32 and the authors' code counts −log(2^−52) = 52 log 2 ≈ 36.0437.
UNDERFLOW_FEATURES = np.array([[0.5, 0.0], [-60.0, 0.0]])
UNDERFLOW_LABELS = np.array([0, 1])


def _far_sample_exact():
    z = [-3600 + math.log(1 / 16) + 2.16, -4096 + math.log(10 / 16), -3609 + math.log(5 / 16) + 2.16]
    top = max(z)
    return top + math.log(sum(math.exp(v - top) for v in z)) - z[1]


def _near_sample_ce():
    eta = [1 / 16, 10 / 16, 5 / 16]
    z = [-0.25 + math.log(eta[0]), -12.25 + math.log(eta[1]) + 2.16, -9.25 + math.log(eta[2]) + 2.16]
    return math.log(sum(math.exp(v) for v in z)) - z[0]


def test_underflow_constant_is_minus_log_float64_eps():
    assert -math.log(np.finfo(np.float64).eps) == pytest.approx(52 * math.log(2), rel=1e-15)
    assert 52 * math.log(2) == pytest.approx(36.0437, abs=1e-4)


@pytest.mark.parametrize("clamp", [True, False])
def test_underflowed_sample_by_hand(clamp):
    case = (UNDERFLOW_FEATURES, HAND_CENTERS, HAND_RADIUS_SQ, UNDERFLOW_LABELS, HAND_COUNTS)
    far = 52 * math.log(2) if clamp else _far_sample_exact()
    assert _far_sample_exact() == pytest.approx(495.8580, abs=1e-4)
    expected = (_near_sample_ce() + far) / 2
    _, parts = _run(*case, clamp_underflow=clamp)
    assert parts["sigma2"] == pytest.approx(HAND_SIGMA2, rel=1e-6)
    assert parts["margin_ce"] == pytest.approx(expected, rel=1e-5)
    assert parts["clamped_fraction"] == 0.5  # reported whether or not the sample is clamped
    ref = arconvl_reference(*case, clamp_underflow=clamp)
    assert ref["margin_ce"] == pytest.approx(expected, rel=1e-12)
    assert ref["clamped_fraction"] == 0.5


def _margin_ce_gradients(features, labels, clamp):
    def margin_ce(f, c):
        _, parts = _arconvl(f, c, tensor(HAND_RADIUS_SQ), tensor(labels, "int32"), tensor(HAND_COUNTS, "int64"),
                            clamp_underflow=clamp)
        return {"margin_ce": parts["margin_ce"]}

    return gradients(margin_ce, features, HAND_CENTERS)["margin_ce"]


def test_underflowed_sample_gets_no_gradient_when_clamped():
    """Clamped, the far sample adds nothing to ∂(margin_ce): the feature gradient of its row is 0 and the
    center gradient is half that of the near sample alone (the batch mean is over 2). Exact, it pulls."""
    g_f, g_c = _margin_ce_gradients(UNDERFLOW_FEATURES, UNDERFLOW_LABELS, clamp=True)
    _, g_c_near = _margin_ce_gradients(UNDERFLOW_FEATURES[:1], UNDERFLOW_LABELS[:1], clamp=True)
    assert np.all(g_f[1] == 0.0) and np.any(g_f[0] != 0.0)
    np.testing.assert_allclose(g_c, 0.5 * g_c_near, rtol=1e-6, atol=1e-7)
    g_f, g_c = _margin_ce_gradients(UNDERFLOW_FEATURES, UNDERFLOW_LABELS, clamp=False)
    # Exact: ∂(−log p_1)/∂x1 = 2(Σ_j p_j C_j − C_1) with p ≈ (1 − ε, 0, ε), ε = p_2 = 1 / (1 + e^{9 − log 5}):
    # 2((0, 3ε) − (4, 0)) = (−8, 6ε), over a batch of 2: (−4, 3ε).
    eps = 1.0 / (1.0 + math.exp(9.0 - math.log(5.0)))
    np.testing.assert_allclose(g_f[1], [-4.0, 3.0 * eps], rtol=1e-3)  # logits near −3600: float32 ulp 2.4e−4


def test_no_underflow_no_difference():
    """On ordinary batches the clamp changes nothing."""
    case = random_case(0)
    loss_code, code = _run(*case, clamp_underflow=True)
    loss_paper, paper = _run(*case, clamp_underflow=False)
    assert code["clamped_fraction"] == 0.0 and loss_code == loss_paper
