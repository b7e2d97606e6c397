"""Logit-adjusted cross-entropy (Menon et al. 2021, SPEC §3)."""

from keras import ops

from arconvl.model.geometry import class_priors, cross_entropy_from_logits

LA_PARTS = ("adjusted_ce",)


def la_loss(d2, labels, class_counts, *, tau):
    """L = (1/B) Σ_i −log softmax(z_i + τ log(π + 1e−12))_{y_i}, z = −d²; prediction uses plain z."""
    logits = -d2 + tau * ops.log(class_priors(class_counts) + 1e-12)
    adjusted_ce = ops.mean(cross_entropy_from_logits(logits, labels))
    return adjusted_ce, {"adjusted_ce": adjusted_ce}
