"""Logit-adjusted cross-entropy (Menon et al. 2021, SPEC §3)."""

import tensorflow as tf

from arconvl.geometry import class_priors, cross_entropy_from_logits, squared_distances

LA_PARTS = ("adjusted_ce",)


def la_loss(features, centers, labels, class_counts, *, tau=1.0):
    """L = (1/B) Σ_i −log softmax(z_i + τ log(π + 1e−12))_{y_i}, z = −d²; prediction uses plain z."""
    logits = -squared_distances(features, centers) + tau * tf.math.log(class_priors(class_counts) + 1e-12)
    adjusted_ce = tf.reduce_mean(cross_entropy_from_logits(logits, tf.cast(labels, tf.int32)))
    return adjusted_ce, {"adjusted_ce": adjusted_ce}
