"""Focal loss (Lin et al. 2017) and class-balanced losses (Cui et al. 2019) on distance logits
−d²(f(x), C_j) (SPEC §3)."""

import tensorflow as tf

from arconvl.errors import ConfigError
from arconvl.geometry import (
    class_balanced_weights,
    cross_entropy_from_logits,
    inverse_frequency_weights,
    softmax_focal_terms,
    squared_distances,
)

FOCAL_PARTS = ("focal",)
CB_PARTS = ("weighted_ce",)
CB_FOCAL_PARTS = ("weighted_focal",)

FOCAL_CLASS_WEIGHTS = ("none", "inverse_frequency")
CB_FOCAL_FORMS = ("softmax", "sigmoid")


def focal_loss(features, centers, labels, class_counts, *, gamma=2.0, class_weight="none"):
    """L = (1/B) Σ_i w_{y_i} · (−(1 − p_{i,y_i})^γ log p_{i,y_i}), softmax form.

    ``class_weight``: "none" (default, SPEC §3) or "inverse_frequency" (w_c ∝ 1/N_c, Σ w = k).
    """
    if class_weight not in FOCAL_CLASS_WEIGHTS:
        raise ConfigError(f"focal class_weight must be one of {', '.join(FOCAL_CLASS_WEIGHTS)}, got {class_weight!r}")
    labels = tf.cast(labels, tf.int32)
    terms = softmax_focal_terms(-squared_distances(features, centers), labels, gamma)
    if class_weight == "inverse_frequency":
        terms = tf.gather(inverse_frequency_weights(class_counts), labels) * terms
    focal = tf.reduce_mean(terms)
    return focal, {"focal": focal}


def cb_loss(features, centers, labels, class_counts, *, beta=0.9999):
    """Class-balanced softmax cross-entropy: L = (1/B) Σ_i w_{y_i} · (−log p_{i,y_i})."""
    labels = tf.cast(labels, tf.int32)
    weights = tf.gather(class_balanced_weights(class_counts, beta), labels)
    weighted_ce = tf.reduce_mean(weights * cross_entropy_from_logits(-squared_distances(features, centers), labels))
    return weighted_ce, {"weighted_ce": weighted_ce}


def sigmoid_focal_terms(logits, labels, gamma):
    """The CB paper's sigmoid focal loss per sample: Σ_j (1 − p_t)^γ · BCE(z_j, 1[j = y])."""
    targets = tf.one_hot(labels, tf.shape(logits)[1])
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    # (1 − p_t)^γ written stably as in the CB authors' code: exp(−γ t z − γ log(1 + e^{−z})).
    modulator = tf.exp(-gamma * targets * logits - gamma * tf.math.softplus(-logits))
    return tf.reduce_sum(modulator * bce, axis=1)


def cb_focal_loss(features, centers, labels, class_counts, *, beta=0.9999, gamma=2.0, form="softmax"):
    """Class-balanced focal loss: L = (1/B) Σ_i w_{y_i} · focal_i.

    ``form``: "softmax" (default; with logits −d² ≤ 0 the sigmoid of the true class never exceeds
    0.5) or "sigmoid" (the CB paper's own per-class sigmoid focal term), SPEC §3.
    """
    if form not in CB_FOCAL_FORMS:
        raise ConfigError(f"cb_focal form must be one of {', '.join(CB_FOCAL_FORMS)}, got {form!r}")
    labels = tf.cast(labels, tf.int32)
    logits = -squared_distances(features, centers)
    terms = (softmax_focal_terms if form == "softmax" else sigmoid_focal_terms)(logits, labels, gamma)
    weighted_focal = tf.reduce_mean(tf.gather(class_balanced_weights(class_counts, beta), labels) * terms)
    return weighted_focal, {"weighted_focal": weighted_focal}
