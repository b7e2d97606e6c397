"""Convolutional prototype learning: distance-based cross-entropy (Yang et al. 2018, SPEC §3)."""

import tensorflow as tf

from arconvl.geometry import cross_entropy_from_logits, squared_distances

CPL_PARTS = ("cross_entropy",)


def cpl_loss(features, centers, labels, class_counts, *, temperature=1.0):
    """L = (1/B) Σ_i −log softmax(−d²(f(x_i), C)/T)_{y_i}; ``class_counts`` is unused."""
    del class_counts
    logits = -squared_distances(features, centers) / temperature
    cross_entropy = tf.reduce_mean(cross_entropy_from_logits(logits, tf.cast(labels, tf.int32)))
    return cross_entropy, {"cross_entropy": cross_entropy}
