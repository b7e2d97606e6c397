"""Independent float64 NumPy references for the ARConvL and CPL losses (SPEC §2, §3).

Written straight from the equations with explicit Python loops over samples and classes; nothing
here calls the project's code, so the tests compare two independent implementations.
"""

import math
import sys

import numpy as np

# The authors' dce_loss: −log(p + eps) with eps = float64 machine epsilon added where p is 0.
UNDERFLOW_LOSS = -math.log(sys.float_info.epsilon)
# A probability below the smallest normal float32 counts as underflowed: TensorFlow's CPU kernels flush
# subnormals to zero (a float32 softmax gives 0 from a logit gap of about 87); with gradual underflow it
# would be 0 only from a gap of about 104. Tests keep their gaps outside that band.
FLOAT32_SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


def _dist(a, b):
    """Unsquared Euclidean distance between two vectors, by a loop over coordinates."""
    total = 0.0
    for x, y in zip(a, b):
        total += (float(x) - float(y)) ** 2
    return math.sqrt(total)


def _logsumexp(values):
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def region_statistics(centers, radius_sq):
    """R_ben (Eq. 3), R_upp (Eq. 4), β (Eq. 5), σ² (Eq. 7) from centers and squared radii.

    Returns a dict with unsquared ``r_ben``, ``r_upp`` and their squares, ``beta``, ``sigma2`` and
    the per-class ``d_min``. β is 1 when R_ben = 0 (two centers coincide), as documented.
    """
    centers = np.asarray(centers, dtype=np.float64)
    radius_sq = np.asarray(radius_sq, dtype=np.float64)
    k = centers.shape[0]
    d_min = []
    for j in range(k):
        best = math.inf
        for jp in range(k):
            if jp != j:
                best = min(best, _dist(centers[j], centers[jp]))
        d_min.append(best)
    r_ben = min(d / 2.0 for d in d_min)
    r_upp = max(max(math.sqrt(radius_sq[j]), d_min[j] / 2.0) for j in range(k))
    if r_ben == 0.0:
        beta = 1.0
    else:
        beta = min(1.0, (r_upp / r_ben) ** 2 - 1.0)
    sigma2 = min(r_ben**2, r_upp**2 - r_ben**2)
    return {
        "d_min": d_min,
        "r_ben": r_ben,
        "r_upp": r_upp,
        "r_ben_sq": r_ben**2,
        "r_upp_sq": r_upp**2,
        "beta": beta,
        "sigma2": sigma2,
    }


def arconvl_reference(
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
    clamp_underflow=False,
    frozen=None,
):
    """L = L_R + L_D + L_M and its parts, in float64.

    ``clamp_underflow``: a sample whose true-class probability is below the smallest normal float32
    contributes ``UNDERFLOW_LOSS`` (≈ 36.04) to the sample term of L_M, as the authors' ``dce_loss``;
    ``clamped_fraction`` is the fraction of such samples, whether or not they are clamped.

    ``frozen``: optional dict with ``features``, ``centers``, ``radius_sq`` giving the values of the
    gradient-stopped quantities (the distances d* in L_R; the center distances and R_j* behind
    R_ben, R_upp, β, σ²). Defaults to the inputs themselves. A finite difference of this function
    with ``frozen`` held at the unperturbed inputs is the gradient the TF loss must produce.
    """
    features = np.asarray(features, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    radius_sq = np.asarray(radius_sq, dtype=np.float64)
    labels = [int(y) for y in np.asarray(labels)]
    counts = [float(c) for c in np.asarray(class_counts)]
    if frozen is None:
        frozen = {}
    f_features = np.asarray(frozen.get("features", features), dtype=np.float64)
    f_centers = np.asarray(frozen.get("centers", centers), dtype=np.float64)
    f_radius_sq = np.asarray(frozen.get("radius_sq", radius_sq), dtype=np.float64)

    n = len(labels)
    k = centers.shape[0]
    n_max = max(counts)
    alpha = [n_max / counts[j] for j in range(k)]
    total = sum(counts)
    eta = [counts[j] / total for j in range(k)]

    stats = region_statistics(f_centers, f_radius_sq)
    beta = stats["beta"] if fixed_beta is None else float(fixed_beta)
    sigma2 = stats["sigma2"] if fixed_sigma2 is None else float(fixed_sigma2)

    # L_R (Eq. 2): unsquared, frozen distance and unsquared radius in the hinge.
    region = 0.0
    for i in range(n):
        y = labels[i]
        d_star = _dist(f_features[i], f_centers[y])
        r = math.sqrt(radius_sq[y])
        region += alpha[y] * (max(0.0, d_star - r) ** 2 + gamma * r**2)
    region /= n

    # L_D (Eq. 6), α normalised by its mean under the code variant.
    mean_alpha = sum(alpha) / k
    dist_alpha = [a / mean_alpha for a in alpha] if normalize_distribution_alpha else list(alpha)
    distribution = 0.0
    for i in range(n):
        y = labels[i]
        distribution += dist_alpha[y] * _dist(features[i], centers[y]) ** 2
    distribution *= beta / n

    # L_M sample term: z_j = -d² + log η_j (+ σ² for j ≠ y_i).
    margin_ce = 0.0
    underflowed = 0
    for i in range(n):
        y = labels[i]
        logits = []
        for j in range(k):
            z = -_dist(features[i], centers[j]) ** 2 + math.log(eta[j])
            if j != y:
                z += sigma2
            logits.append(z)
        minus_log_p = _logsumexp(logits) - logits[y]
        if math.exp(-minus_log_p) < FLOAT32_SMALLEST_NORMAL:
            underflowed += 1
            if clamp_underflow:
                minus_log_p = UNDERFLOW_LOSS
        margin_ce += minus_log_p
    margin_ce /= n

    # L_M center term: row j has logits -d²(C_j, C_j') (+ σ² for j' ≠ j); take p(C_j) on the diagonal.
    center = 0.0
    for j in range(k):
        logits = []
        for jp in range(k):
            z = -_dist(centers[j], centers[jp]) ** 2
            if jp != j:
                z += sigma2
            logits.append(z)
        center += _logsumexp(logits) - logits[j]
    center /= k

    loss = region + distribution + margin_ce + (center if center_term else 0.0)
    return {
        "loss": loss,
        "region": region,
        "distribution": distribution,
        "margin_ce": margin_ce,
        "center": center,
        "beta": beta,
        "sigma2": sigma2,
        "r_ben_sq": stats["r_ben_sq"],
        "r_upp_sq": stats["r_upp_sq"],
        "clamped_fraction": underflowed / n,
    }


def cpl_reference(features, centers, labels, *, temperature=1.0):
    """(1/B) Σ_i −log softmax(−d²(f(x_i), C)/T)_{y_i}, in float64."""
    features = np.asarray(features, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    labels = [int(y) for y in np.asarray(labels)]
    total = 0.0
    for i, y in enumerate(labels):
        logits = [-_dist(features[i], centers[j]) ** 2 / temperature for j in range(centers.shape[0])]
        total += _logsumexp(logits) - logits[y]
    return total / len(labels)


# ---------------------------------------------------------------------------------------------
# The other six baselines of SPEC §3 (GCPL, Focal, CB, CB Focal, Affinity, LA), float64, loops.
# d_ij = d²(f(x_i), C_j), z_ij = −d_ij, p_i = softmax(z_i).
# ---------------------------------------------------------------------------------------------


def _sq_dist(a, b):
    """Squared Euclidean distance between two vectors."""
    return _dist(a, b) ** 2


def _log_softmax(values, index):
    """log softmax(values)[index]."""
    return values[index] - _logsumexp(values)


def _prepare(features, centers, labels):
    features = np.asarray(features, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    labels = [int(y) for y in np.asarray(labels)]
    return features, centers, labels


def _distance_logits(features, centers, i):
    """z_i = [−d²(f(x_i), C_j) for j]."""
    return [-_sq_dist(features[i], centers[j]) for j in range(centers.shape[0])]


def class_balanced_weights_reference(class_counts, beta):
    """w_c = (1 − β) / (1 − β^{N_c}), rescaled so that Σ_c w_c = k (Cui et al. 2019)."""
    counts = [float(c) for c in np.asarray(class_counts)]
    raw = [(1.0 - beta) / (1.0 - beta**n) for n in counts]
    total = sum(raw)
    return [w * len(counts) / total for w in raw]


def inverse_frequency_weights_reference(class_counts):
    """w_c ∝ 1 / N_c, rescaled so that Σ_c w_c = k."""
    counts = [float(c) for c in np.asarray(class_counts)]
    raw = [1.0 / n for n in counts]
    total = sum(raw)
    return [w * len(counts) / total for w in raw]


def gcpl_reference(features, centers, labels, *, weight=0.1, temperature=1.0, halve_prototype_loss=False):
    """CPL + λ (1/B) Σ_i d_{i,y_i} (× ½ when ``halve_prototype_loss``); returns a dict."""
    features, centers, labels = _prepare(features, centers, labels)
    cross_entropy = cpl_reference(features, centers, labels, temperature=temperature)
    prototype = 0.0
    for i, y in enumerate(labels):
        prototype += _sq_dist(features[i], centers[y])
    prototype /= len(labels)
    if halve_prototype_loss:
        prototype *= 0.5
    return {"loss": cross_entropy + weight * prototype, "cross_entropy": cross_entropy, "prototype": prototype}


def _softmax_focal_term(logits, y, gamma):
    """−(1 − p_y)^γ log p_y for one sample."""
    log_p = _log_softmax(logits, y)
    return -((1.0 - math.exp(log_p)) ** gamma) * log_p


def focal_reference(features, centers, labels, class_counts=None, *, gamma=2.0, class_weight="none"):
    """(1/B) Σ_i w_{y_i} · (−(1 − p_{i,y_i})^γ log p_{i,y_i}); w = 1 or inverse frequency."""
    features, centers, labels = _prepare(features, centers, labels)
    k = centers.shape[0]
    weights = inverse_frequency_weights_reference(class_counts) if class_weight == "inverse_frequency" else [1.0] * k
    total = 0.0
    for i, y in enumerate(labels):
        total += weights[y] * _softmax_focal_term(_distance_logits(features, centers, i), y, gamma)
    return total / len(labels)


def cb_reference(features, centers, labels, class_counts, *, beta=0.9999):
    """(1/B) Σ_i w_{y_i} · (−log p_{i,y_i}) with the class-balanced weights."""
    features, centers, labels = _prepare(features, centers, labels)
    weights = class_balanced_weights_reference(class_counts, beta)
    total = 0.0
    for i, y in enumerate(labels):
        total += -weights[y] * _log_softmax(_distance_logits(features, centers, i), y)
    return total / len(labels)


def _softplus(x):
    """log(1 + e^x), stable for either sign."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_focal_reference_terms(logits, y, gamma):
    """The CB paper's sigmoid focal term of one sample: Σ_j (1 − p_t)^γ · BCE(z_j, t_j), t_j = 1[j = y],
    p_t = σ(z_j) if t_j = 1 else 1 − σ(z_j); the modulator is computed directly from σ(z)."""
    total = 0.0
    for j, z in enumerate(logits):
        p = _sigmoid(z)
        if j == y:
            p_t, bce = p, _softplus(-z)  # −log σ(z)
        else:
            p_t, bce = 1.0 - p, _softplus(z)  # −log(1 − σ(z))
        total += (1.0 - p_t) ** gamma * bce
    return total


def cb_focal_reference(features, centers, labels, class_counts, *, beta=0.9999, gamma=2.0, form="softmax"):
    """(1/B) Σ_i w_{y_i} · focal_i with the CB weights; focal_i softmax- or sigmoid-based."""
    features, centers, labels = _prepare(features, centers, labels)
    weights = class_balanced_weights_reference(class_counts, beta)
    total = 0.0
    for i, y in enumerate(labels):
        logits = _distance_logits(features, centers, i)
        if form == "softmax":
            term = _softmax_focal_term(logits, y, gamma)
        else:
            term = sigmoid_focal_reference_terms(logits, y, gamma)
        total += weights[y] * term
    return total / len(labels)


def diversity_reference(centers):
    """R = mean over pairs j < j' of (d²(C_j, C_j') − μ)², μ the mean of those d² (recomputed here)."""
    centers = np.asarray(centers, dtype=np.float64)
    k = centers.shape[0]
    pair_d2 = [_sq_dist(centers[j], centers[jp]) for j in range(k) for jp in range(j + 1, k)]
    mu = sum(pair_d2) / len(pair_d2)
    return sum((d - mu) ** 2 for d in pair_d2) / len(pair_d2)


def affinity_reference(features, centers, labels, *, margin=0.75, sigma=10.0, diversity_weight=1.0):
    """L_mm + w R with a_ij = exp(−d_ij / σ), L_mm = (1/B) Σ_i Σ_{j≠y_i} max(0, λ + a_ij − a_{i,y_i})."""
    features, centers, labels = _prepare(features, centers, labels)
    k = centers.shape[0]
    max_margin = 0.0
    for i, y in enumerate(labels):
        a = [math.exp(-_sq_dist(features[i], centers[j]) / sigma) for j in range(k)]
        for j in range(k):
            if j != y:
                max_margin += max(0.0, margin + a[j] - a[y])
    max_margin /= len(labels)
    diversity = diversity_reference(centers)
    return {"loss": max_margin + diversity_weight * diversity, "max_margin": max_margin, "diversity": diversity}


def la_reference(features, centers, labels, class_counts, *, tau=1.0):
    """(1/B) Σ_i −log softmax(z_i + τ log(π + 1e−12))_{y_i}, π_j = N_j / Σ N."""
    features, centers, labels = _prepare(features, centers, labels)
    counts = [float(c) for c in np.asarray(class_counts)]
    total_count = sum(counts)
    log_prior = [math.log(c / total_count + 1e-12) for c in counts]
    total = 0.0
    for i, y in enumerate(labels):
        logits = [z + tau * lp for z, lp in zip(_distance_logits(features, centers, i), log_prior)]
        total += -_log_softmax(logits, y)
    return total / len(labels)
