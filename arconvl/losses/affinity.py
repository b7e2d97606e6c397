"""Max-margin Gaussian affinity loss with the diversity regulariser (Hayat et al. 2019, SPEC §3)."""

import tensorflow as tf

from arconvl.geometry import center_squared_distances, squared_distances, true_class_column

AFFINITY_PARTS = ("max_margin", "diversity")


def affinity_loss(features, centers, labels, class_counts, *, margin=0.75, sigma=10.0, diversity_weight=1.0):
    """L = L_mm + w · R with a_ij = exp(−d²_ij / σ),

    L_mm = (1/B) Σ_i Σ_{j≠y_i} max(0, λ + a_ij − a_{i,y_i}),  λ = ``margin``;
    R = mean over center pairs j < j' of (d²(C_j, C_j') − μ)², μ the mean of those d²
    (the gradient flows through μ). Prediction is the largest affinity, i.e. the nearest center.
    """
    del class_counts
    labels = tf.cast(labels, tf.int32)
    num_classes = tf.shape(centers)[0]
    affinity = tf.exp(-squared_distances(features, centers) / sigma)
    hinge = tf.nn.relu(margin + affinity - true_class_column(affinity, labels)[:, tf.newaxis])
    wrong_class = 1.0 - tf.one_hot(labels, num_classes)
    max_margin = tf.reduce_mean(tf.reduce_sum(hinge * wrong_class, axis=1))

    upper = tf.linalg.band_part(tf.ones([num_classes, num_classes]), 0, -1) - tf.eye(num_classes)
    pair_d2 = tf.boolean_mask(center_squared_distances(centers), upper > 0)
    diversity = tf.reduce_mean(tf.square(pair_d2 - tf.reduce_mean(pair_d2)))
    loss = max_margin + diversity_weight * diversity
    return loss, {"max_margin": max_margin, "diversity": diversity}
