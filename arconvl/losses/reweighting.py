"""Focal loss (Lin et al. 2017) and class-balanced losses (Cui et al. 2019) on distance logits
−d²(f(x), C_j) (SPEC §3)."""

from keras import ops

from arconvl.losses.choices import CB_FOCAL_FORMS, FOCAL_CLASS_WEIGHTS
from arconvl.model.geometry import (
    class_balanced_weights,
    cross_entropy_from_logits,
    inverse_frequency_weights,
    softmax_focal_terms,
)

FOCAL_PARTS = ("focal",)
CB_PARTS = ("weighted_ce",)
CB_FOCAL_PARTS = ("weighted_focal",)


def focal_loss(d2, labels, class_counts, *, gamma, class_weight):
    """L = (1/B) Σ_i w_{y_i} · (−(1 − p_{i,y_i})^γ log p_{i,y_i}), softmax form.

    ``class_weight``: "none" (SPEC §3) or "inverse_frequency" (w_c ∝ 1/N_c, Σ w = k).
    """
    terms = softmax_focal_terms(-d2, labels, gamma)
    if class_weight == "inverse_frequency":
        terms = ops.take(inverse_frequency_weights(class_counts), labels) * terms
    elif class_weight != "none":
        raise ValueError(f"focal class_weight must be one of {', '.join(FOCAL_CLASS_WEIGHTS)}, got {class_weight!r}")
    focal = ops.mean(terms)
    return focal, {"focal": focal}


def cb_loss(d2, labels, class_counts, *, beta):
    """Class-balanced softmax cross-entropy: L = (1/B) Σ_i w_{y_i} · (−log p_{i,y_i})."""
    weights = ops.take(class_balanced_weights(class_counts, beta), labels)
    weighted_ce = ops.mean(weights * cross_entropy_from_logits(-d2, labels))
    return weighted_ce, {"weighted_ce": weighted_ce}


def sigmoid_focal_terms(logits, labels, gamma):
    """The CB paper's sigmoid focal loss per sample: Σ_j (1 − p_t)^γ · BCE(z_j, 1[j = y])."""
    targets = ops.one_hot(ops.cast(labels, "int32"), logits.shape[1])
    bce = ops.binary_crossentropy(targets, logits, from_logits=True)
    # (1 − p_t)^γ written stably as in the CB authors' code: exp(−γ t z − γ log(1 + e^{−z})).
    modulator = ops.exp(-gamma * targets * logits - gamma * ops.softplus(-logits))
    return ops.sum(modulator * bce, axis=1)


FOCAL_TERMS = dict(zip(CB_FOCAL_FORMS, (softmax_focal_terms, sigmoid_focal_terms), strict=True))


def cb_focal_loss(d2, labels, class_counts, *, beta, gamma, form):
    """Class-balanced focal loss: L = (1/B) Σ_i w_{y_i} · focal_i.

    ``form``: "softmax" (SPEC §3's choice; with logits −d² ≤ 0 the sigmoid of the true class never
    exceeds 0.5) or "sigmoid" (the CB paper's own per-class sigmoid focal term).
    """
    if form not in FOCAL_TERMS:
        raise ValueError(f"cb_focal form must be one of {', '.join(CB_FOCAL_FORMS)}, got {form!r}")
    terms = FOCAL_TERMS[form](-d2, labels, gamma)
    weighted_focal = ops.mean(ops.take(class_balanced_weights(class_counts, beta), labels) * terms)
    return weighted_focal, {"weighted_focal": weighted_focal}
