"""Squared distances and class statistics shared by every loss (SPEC §1–§3).

Everything here is a pure function of its arguments written in ``keras.ops``, so it runs inside a
compiled step on every Keras backend.
"""

import math

from keras import ops

# Below this, a squared length is treated as zero when a square root or a ratio is taken.
TINY = 1e-12
# The smallest normal float32; below it a base of a fractional power is treated as zero.
FLOAT32_TINY = 1.1754944e-38


def squared_distances(features, centers):
    """d²(f(x_i), C_j) for every sample i and class j, shape (n, k).

    Expanded as ||f||² − 2 f·C + ||C||² (one matrix product) and clipped at 0 against round-off.
    """
    feature_sq = ops.sum(ops.square(features), axis=1, keepdims=True)
    center_sq = ops.sum(ops.square(centers), axis=1)
    cross = ops.matmul(features, ops.transpose(centers))
    return ops.maximum(feature_sq - 2.0 * cross + center_sq[None, :], 0.0)


def center_squared_distances(centers):
    """d²(C_j, C_j') for every pair of centers, shape (k, k), exactly 0 on the diagonal.

    Computed from the differences (k is small), so the diagonal carries no round-off.
    """
    diff = centers[:, None, :] - centers[None, :, :]
    return ops.sum(ops.square(diff), axis=-1)


def safe_sqrt(x):
    """√x that is 0 (with a zero gradient) where x is below ``TINY``, never NaN."""
    return ops.sqrt(ops.maximum(x, TINY)) * ops.cast(x > TINY, x.dtype)


def true_class_column(matrix, labels):
    """matrix[i, labels[i]] for every row i, shape (n,)."""
    return ops.take_along_axis(matrix, ops.cast(labels, "int32")[:, None], axis=1)[:, 0]


def class_priors(class_counts):
    """π_j = η_j = N_j / Σ N (SPEC §2, §3), float32, shape (k,)."""
    counts = ops.cast(class_counts, "float32")
    return counts / ops.sum(counts)


def imbalance_weights(class_counts):
    """α_j = max_j' N_j' / N_j (Eq. 2), float32, shape (k,)."""
    counts = ops.cast(class_counts, "float32")
    return ops.max(counts) / ops.maximum(counts, 1.0)


def cross_entropy_from_logits(logits, labels):
    """−log softmax(logits)_{y_i} per sample, shape (n,)."""
    return ops.sparse_categorical_crossentropy(ops.cast(labels, "int32"), logits, from_logits=True)


def class_balanced_weights(class_counts, beta):
    """w_c = (1 − β) / (1 − β^{N_c}), rescaled so that Σ_c w_c = k (Cui et al. 2019).

    1 − β^N is computed as −expm1(N · log1p(−(1 − β))) with log1p taken in double precision, so a
    β as close to 1 as 0.9999 loses nothing to float32 round-off.
    """
    counts = ops.cast(class_counts, "float32")
    effective_number = -ops.expm1(counts * math.log1p(-(1.0 - beta)))
    weights = (1.0 - beta) / ops.maximum(effective_number, TINY)
    return weights * float(counts.shape[0]) / ops.sum(weights)


def inverse_frequency_weights(class_counts):
    """w_c ∝ 1 / N_c, rescaled so that Σ_c w_c = k."""
    weights = 1.0 / ops.maximum(ops.cast(class_counts, "float32"), 1.0)
    return weights * float(weights.shape[0]) / ops.sum(weights)


def safe_power(base, exponent):
    """base^exponent for base ≥ 0, with a finite value and gradient for every exponent ≥ 0.

    Where base is below the smallest normal float32 (``FLOAT32_TINY``), the power is taken of 1 and
    0 is selected instead: d(x^γ)/dx = γ x^{γ−1} is NaN or inf at x = 0 for γ < 1, and could
    overflow just above it. The value dropped there is below 1e−38^γ.
    """
    nonzero = base >= FLOAT32_TINY
    return ops.where(nonzero, ops.power(ops.where(nonzero, base, 1.0), exponent), 0.0)


def softmax_focal_terms(logits, labels, gamma):
    """−(1 − p_{i,y_i})^γ log p_{i,y_i} per sample, p = softmax(logits) (Lin et al. 2017).

    1 − p is −expm1(log p), exact when p is close to 1, and its power is ``safe_power``: a sample
    classified with log p exactly 0 contributes 0 with a zero gradient, for γ < 1 as well.
    """
    log_p = -cross_entropy_from_logits(logits, labels)
    return -safe_power(-ops.expm1(log_p), gamma) * log_p
