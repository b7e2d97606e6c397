"""The ARConvL loss L = L_R + L_D + L_M (Eq. 1–8 of the paper, SPEC §2), as a pure function."""

import math
import sys

from keras import ops

from arconvl.model.geometry import (
    TINY,
    center_squared_distances,
    class_priors,
    cross_entropy_from_logits,
    imbalance_weights,
    safe_sqrt,
    true_class_column,
)

ARCONVL_PARTS = (
    "region", "distribution", "margin_ce", "center", "beta", "sigma2", "r_ben_sq", "r_upp_sq", "clamped_fraction",
)

# The authors' dce_loss adds eps = np.finfo(float).eps (float64 machine epsilon, 2^−52) where p is 0:
# a sample whose true-class probability underflowed contributes −log(eps) = 52 log 2 ≈ 36.04.
UNDERFLOW_LOSS = -math.log(sys.float_info.epsilon)


def region_radii(centers, radius_sq):
    """R_ben² (Eq. 3) and R_upp² (Eq. 4) from frozen centers and radii.

    d_min(C_j) = min_{j'≠j} d*(C_j, C_j'); R_ben = min_j d_min(C_j)/2;
    R_upp = max_j max(R_j*, d_min(C_j)/2). Squares keep the order of non-negative numbers,
    so both are computed on squared values and no square root is needed.
    """
    center_d2 = center_squared_distances(ops.stop_gradient(centers))
    off_diagonal = ops.where(ops.eye(centers.shape[0]) > 0, float("inf"), center_d2)
    half_d_min_sq = ops.min(off_diagonal, axis=1) / 4.0
    r_ben_sq = ops.min(half_d_min_sq)
    r_upp_sq = ops.max(ops.maximum(ops.stop_gradient(radius_sq), half_d_min_sq))
    return r_ben_sq, r_upp_sq


def adaptive_beta(r_ben_sq, r_upp_sq):
    """β = min(1, (R_upp/R_ben)² − 1) (Eq. 5); 1 when R_ben = 0 (two centers coincide)."""
    ratio_minus_one = r_upp_sq / ops.maximum(r_ben_sq, TINY) - 1.0
    return ops.where(r_ben_sq > TINY, ops.minimum(1.0, ratio_minus_one), 1.0)


def adaptive_margin(r_ben_sq, r_upp_sq):
    """σ² = min(R_ben², R_upp² − R_ben²) (Eq. 7)."""
    return ops.minimum(r_ben_sq, r_upp_sq - r_ben_sq)


def arconvl_loss(
    d2,
    labels,
    class_counts,
    *,
    centers,
    radius_sq,
    gamma,
    fixed_beta,
    fixed_sigma2,
    center_term,
    normalize_distribution_alpha,
    clamp_underflow,
):
    """ARConvL loss L = L_R + L_D + L_M (Eq. 1) and its named parts.

    Args:
      d2: squared distances d²(f(x_i), C_j), shape (n, k).
      labels: integer classes y_i, shape (n,).
      class_counts: N_j over the training split, shape (k,).
      centers: class centers C_j, shape (k, D).
      radius_sq: squared class radii R_j², shape (k,).
      gamma: weight of the radius regulariser γ R_j² in L_R (Eq. 2).
      fixed_beta / fixed_sigma2: replace the adaptive β (Eq. 5) / σ² (Eq. 7) by a constant
        (the Table 2 ablations); None keeps them adaptive.
      center_term: include (1/k) Σ_j −log p(C_j) in L_M (False is the ARC-C ablation).
      normalize_distribution_alpha: use α_j / mean(α) in L_D as the authors' code does
        (variant ``code``); False uses α_j as Eq. 6 is written (variant ``paper``).
      clamp_underflow: as the authors' ``dce_loss`` (variant ``code``), a sample whose float32
        softmax probability of its true class is exactly 0 contributes −log(eps) ≈ 36.04
        (``UNDERFLOW_LOSS``) to the sample term of L_M, and no gradient; False keeps the exact
        log-softmax value and gradient (variant ``paper``, Eq. 8). The center term is never
        clamped: the authors add no eps there (and p(C_j) ≥ 1/k under the adaptive σ²).

    Returns:
      (loss, parts): the scalar loss and a dict of scalars: ``region`` (L_R), ``distribution``
      (L_D), ``margin_ce`` (the sample term of L_M), ``center`` (the center term of L_M, reported
      even when it is left out of the loss), ``beta``, ``sigma2``, ``r_ben_sq``, ``r_upp_sq``, and
      ``clamped_fraction``: the fraction of the batch whose true-class probability underflowed to 0,
      i.e. the samples clamped when ``clamp_underflow`` is on (reported either way).

    Gradients (SPEC §2): L_R reaches only the radii (the distances in it are frozen); β, σ²,
    R_ben and R_upp are frozen; L_D and the sample term of L_M reach features and centers
    (through d²); the center term reaches the centers.
    """
    labels = ops.cast(labels, "int32")
    num_classes = centers.shape[0]
    alpha = imbalance_weights(class_counts)
    alpha_y = ops.take(alpha, labels)
    d2_true = true_class_column(d2, labels)

    r_ben_sq, r_upp_sq = region_radii(centers, radius_sq)
    beta = adaptive_beta(r_ben_sq, r_upp_sq) if fixed_beta is None else ops.convert_to_tensor(float(fixed_beta))
    sigma2 = (
        adaptive_margin(r_ben_sq, r_upp_sq) if fixed_sigma2 is None else ops.convert_to_tensor(float(fixed_sigma2))
    )

    # L_R (Eq. 2): hinge on the unsquared distance d* (frozen) and radius R.
    radius_y = safe_sqrt(ops.take(radius_sq, labels))
    outside = ops.relu(safe_sqrt(ops.stop_gradient(d2_true)) - radius_y)
    region = ops.mean(alpha_y * (ops.square(outside) + gamma * ops.square(radius_y)))

    # L_D (Eq. 6).
    distribution_alpha = alpha / ops.mean(alpha) if normalize_distribution_alpha else alpha
    distribution = beta * ops.mean(ops.take(distribution_alpha, labels) * d2_true)

    # L_M (Eq. 8): every wrong class gets +σ² on its logit; the prior log η_j on every logit.
    wrong_class = 1.0 - ops.one_hot(labels, num_classes)
    sample_logits = -d2 + ops.log(ops.maximum(class_priors(class_counts), TINY)) + sigma2 * wrong_class
    sample_ce = cross_entropy_from_logits(sample_logits, labels)
    underflowed = true_class_column(ops.softmax(sample_logits), labels) == 0.0
    if clamp_underflow:
        sample_ce = ops.where(underflowed, UNDERFLOW_LOSS, sample_ce)
    margin_ce = ops.mean(sample_ce)
    center_logits = -center_squared_distances(centers) + sigma2 * (1.0 - ops.eye(num_classes))
    center = ops.mean(cross_entropy_from_logits(center_logits, ops.arange(num_classes)))

    loss = region + distribution + margin_ce + (center if center_term else 0.0)
    parts = {
        "region": region,
        "distribution": distribution,
        "margin_ce": margin_ce,
        "center": center,
        "beta": beta,
        "sigma2": sigma2,
        "r_ben_sq": r_ben_sq,
        "r_upp_sq": r_upp_sq,
        "clamped_fraction": ops.mean(ops.cast(underflowed, "float32")),
    }
    return loss, parts
