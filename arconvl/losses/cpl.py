"""Convolutional prototype learning (Yang et al. 2018, SPEC §3): CPL and GCPL."""

from keras import ops

from arconvl.model.geometry import cross_entropy_from_logits, true_class_column

CPL_PARTS = ("cross_entropy",)
GCPL_PARTS = ("cross_entropy", "prototype")


def distance_cross_entropy(d2, labels, temperature):
    """(1/B) Σ_i −log softmax(−d²_i / T)_{y_i}."""
    return ops.mean(cross_entropy_from_logits(-d2 / temperature, labels))


def cpl_loss(d2, labels, class_counts, *, temperature):
    """CPL: L = (1/B) Σ_i −log p_{i,y_i} with logits −d²/T; ``class_counts`` is unused."""
    del class_counts
    cross_entropy = distance_cross_entropy(d2, labels, temperature)
    return cross_entropy, {"cross_entropy": cross_entropy}


def gcpl_loss(d2, labels, class_counts, *, weight, temperature, halve_prototype_loss):
    """GCPL: L = CPL + λ (1/B) Σ_i d²(f(x_i), C_{y_i}), λ = ``weight``.

    ``halve_prototype_loss`` multiplies the prototype term by ½ as the original code's l2_loss does
    (our default leaves it out, SPEC §3).
    """
    del class_counts
    cross_entropy = distance_cross_entropy(d2, labels, temperature)
    prototype = ops.mean(true_class_column(d2, labels)) * (0.5 if halve_prototype_loss else 1.0)
    loss = cross_entropy + weight * prototype
    return loss, {"cross_entropy": cross_entropy, "prototype": prototype}
