"""Independent float64 NumPy references for the ARConvL and CPL losses (SPEC §2, §3).

Written straight from the equations with explicit Python loops over samples and classes; nothing
here calls the project's code, so the tests compare two independent implementations.
"""

import math

import numpy as np


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
    frozen=None,
):
    """L = L_R + L_D + L_M and its parts, in float64.

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
    for i in range(n):
        y = labels[i]
        logits = []
        for j in range(k):
            z = -_dist(features[i], centers[j]) ** 2 + math.log(eta[j])
            if j != y:
                z += sigma2
            logits.append(z)
        margin_ce += _logsumexp(logits) - logits[y]
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
