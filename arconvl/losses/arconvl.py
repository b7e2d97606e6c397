"""The ARConvL loss L = L_R + L_D + L_M (Eq. 1–8 of the paper, SPEC §2), as a pure function."""

import tensorflow as tf

from arconvl.geometry import (
    TINY,
    center_squared_distances,
    class_priors,
    cross_entropy_from_logits,
    imbalance_weights,
    safe_sqrt,
    squared_distances,
    true_class_column,
)

ARCONVL_PARTS = (
    "region", "distribution", "margin_ce", "center", "beta", "sigma2", "r_ben_sq", "r_upp_sq",
)


def region_radii(centers, radius_sq):
    """R_ben² (Eq. 3) and R_upp² (Eq. 4) from frozen centers and radii.

    d_min(C_j) = min_{j'≠j} d*(C_j, C_j'); R_ben = min_j d_min(C_j)/2;
    R_upp = max_j max(R_j*, d_min(C_j)/2). Squares keep the order of non-negative numbers,
    so both are computed on squared values and no square root is needed.
    """
    center_d2 = center_squared_distances(tf.stop_gradient(centers))
    num_classes = tf.shape(center_d2)[0]
    off_diagonal = center_d2 + tf.linalg.diag(tf.fill([num_classes], float("inf")))
    half_d_min_sq = tf.reduce_min(off_diagonal, axis=1) / 4.0
    r_ben_sq = tf.reduce_min(half_d_min_sq)
    r_upp_sq = tf.reduce_max(tf.maximum(tf.stop_gradient(radius_sq), half_d_min_sq))
    return r_ben_sq, r_upp_sq


def adaptive_beta(r_ben_sq, r_upp_sq):
    """β = min(1, (R_upp/R_ben)² − 1) (Eq. 5); 1 when R_ben = 0 (two centers coincide)."""
    ratio_minus_one = r_upp_sq / tf.maximum(r_ben_sq, TINY) - 1.0
    return tf.where(r_ben_sq > TINY, tf.minimum(1.0, ratio_minus_one), 1.0)


def adaptive_margin(r_ben_sq, r_upp_sq):
    """σ² = min(R_ben², R_upp² − R_ben²) (Eq. 7)."""
    return tf.minimum(r_ben_sq, r_upp_sq - r_ben_sq)


def arconvl_loss(
    features,
    centers,
    radius_sq,
    labels,
    class_counts,
    *,
    gamma=0.05,
    fixed_beta=None,
    fixed_sigma2=None,
    center_term=True,
    normalize_distribution_alpha=True,
):
    """ARConvL loss L = L_R + L_D + L_M (Eq. 1) and its named parts.

    Args:
      features: f(x_i), shape (n, D).
      centers: class centers C_j, shape (k, D).
      radius_sq: squared class radii R_j², shape (k,).
      labels: integer classes y_i, shape (n,).
      class_counts: N_j over the training split, shape (k,).
      gamma: weight of the radius regulariser γ R_j² in L_R (Eq. 2).
      fixed_beta / fixed_sigma2: replace the adaptive β (Eq. 5) / σ² (Eq. 7) by a constant
        (the Table 2 ablations); None keeps them adaptive.
      center_term: include (1/k) Σ_j −log p(C_j) in L_M (False is the ARC-C ablation).
      normalize_distribution_alpha: use α_j / mean(α) in L_D as the authors' code does
        (variant ``code``); False uses α_j as Eq. 6 is written (variant ``paper``).

    Returns:
      (loss, parts): the scalar loss and a dict of scalars: ``region`` (L_R), ``distribution``
      (L_D), ``margin_ce`` (the sample term of L_M), ``center`` (the center term of L_M, reported
      even when it is left out of the loss), ``beta``, ``sigma2``, ``r_ben_sq``, ``r_upp_sq``.

    Gradients (SPEC §2): L_R reaches only the radii (the distances in it are frozen); β, σ²,
    R_ben and R_upp are frozen; L_D and the sample term of L_M reach features and centers; the
    center term reaches the centers.
    """
    labels = tf.cast(labels, tf.int32)
    num_classes = tf.shape(centers)[0]
    alpha = imbalance_weights(class_counts)
    alpha_y = tf.gather(alpha, labels)
    d2 = squared_distances(features, centers)
    d2_true = true_class_column(d2, labels)

    r_ben_sq, r_upp_sq = region_radii(centers, radius_sq)
    beta = adaptive_beta(r_ben_sq, r_upp_sq) if fixed_beta is None else tf.constant(float(fixed_beta))
    sigma2 = adaptive_margin(r_ben_sq, r_upp_sq) if fixed_sigma2 is None else tf.constant(float(fixed_sigma2))

    # L_R (Eq. 2): hinge on the unsquared distance d* (frozen) and radius R.
    radius_y = safe_sqrt(tf.gather(radius_sq, labels))
    outside = tf.nn.relu(safe_sqrt(tf.stop_gradient(d2_true)) - radius_y)
    region = tf.reduce_mean(alpha_y * (tf.square(outside) + gamma * tf.square(radius_y)))

    # L_D (Eq. 6).
    distribution_alpha = alpha / tf.reduce_mean(alpha) if normalize_distribution_alpha else alpha
    distribution = beta * tf.reduce_mean(tf.gather(distribution_alpha, labels) * d2_true)

    # L_M (Eq. 8): every wrong class gets +σ² on its logit; the prior log η_j on every logit.
    wrong_class = 1.0 - tf.one_hot(labels, num_classes)
    sample_logits = -d2 + tf.math.log(tf.maximum(class_priors(class_counts), TINY)) + sigma2 * wrong_class
    margin_ce = tf.reduce_mean(cross_entropy_from_logits(sample_logits, labels))
    center_logits = -center_squared_distances(centers) + sigma2 * (1.0 - tf.eye(num_classes))
    center = tf.reduce_mean(cross_entropy_from_logits(center_logits, tf.range(num_classes)))

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
    }
    return loss, parts
