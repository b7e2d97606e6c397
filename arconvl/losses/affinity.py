"""Max-margin Gaussian affinity loss with the diversity regulariser (Hayat et al. 2019, SPEC §3)."""

from keras import ops

from arconvl.model.geometry import center_squared_distances, true_class_column

AFFINITY_PARTS = ("max_margin", "diversity")


def affinity_loss(d2, labels, class_counts, *, centers, margin, sigma, diversity_weight):
    """L = L_mm + w · R with a_ij = exp(−d²_ij / σ),

    L_mm = (1/B) Σ_i Σ_{j≠y_i} max(0, λ + a_ij − a_{i,y_i}),  λ = ``margin``;
    R = mean over center pairs j < j' of (d²(C_j, C_j') − μ)², μ the mean of those d²
    (the gradient flows through μ). Prediction is the largest affinity, i.e. the nearest center.
    """
    del class_counts
    num_classes = centers.shape[0]
    affinity = ops.exp(-d2 / sigma)
    hinge = ops.relu(margin + affinity - true_class_column(affinity, labels)[:, None])
    wrong_class = 1.0 - ops.one_hot(ops.cast(labels, "int32"), num_classes)
    max_margin = ops.mean(ops.sum(hinge * wrong_class, axis=1))

    pairs = ops.triu(ops.ones((num_classes, num_classes)), k=1)  # j < j'
    num_pairs = num_classes * (num_classes - 1) / 2
    pair_d2 = center_squared_distances(centers)
    mu = ops.sum(pairs * pair_d2) / num_pairs
    diversity = ops.sum(pairs * ops.square(pair_d2 - mu)) / num_pairs
    loss = max_margin + diversity_weight * diversity
    return loss, {"max_margin": max_margin, "diversity": diversity}
