"""Post-hoc comparisons with a control: Demšar's (2006, §3.2.2) z and Holm's (1979) step-down.

z_i = (R_i − R_control) / sqrt(k(k+1)/(6N)) for average ranks R over N datasets and k methods;
two-sided p_i = 2(1 − Φ(|z_i|)). Holm: with the m = k − 1 p-values sorted ascending, reject
H_(1), H_(2), ... while p_(i) ≤ α/(m − i + 1) and stop at the first that is not.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from arconvl.errors import ConfigError, DataError


@dataclass(frozen=True)
class HolmComparison:
    index: int  # the method's column in the table
    z: float  # positive: the method ranks worse than the control
    pvalue: float  # unadjusted two-sided p
    adjusted_pvalue: float  # Holm's step-down adjusted p
    reject: bool  # significant difference from the control at alpha


def rank_difference_se(n_methods, n_datasets):
    """Standard error of a difference of two average ranks: sqrt(k(k+1)/(6N))."""
    return float(np.sqrt(n_methods * (n_methods + 1) / (6.0 * n_datasets)))


def holm_adjust(pvalues, alpha=0.05):
    """(adjusted p-values, reject flags) of Holm's step-down procedure, in the input order.

    Adjusted p_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j)); the rejections are those of the
    sequential rule, which stops at the first p_(i) > α/(m − i + 1).
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise DataError("p-values must be a 1-D array of numbers in [0, 1]")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    reject = np.zeros(m, dtype=bool)
    running_max, still_rejecting = 0.0, True
    for i, j in enumerate(order):  # i = 0 is the smallest p-value
        running_max = max(running_max, (m - i) * p[j])
        adjusted[j] = min(1.0, running_max)
        still_rejecting = still_rejecting and p[j] <= alpha / (m - i)
        reject[j] = still_rejecting
    return adjusted, reject


def holm_posthoc(avg_ranks, control_index, n_datasets, alpha=0.05):
    """One HolmComparison per non-control method, in column order."""
    ranks = np.asarray(avg_ranks, dtype=float)
    k = ranks.size
    if ranks.ndim != 1 or k < 2 or not np.all(np.isfinite(ranks)):
        raise DataError("average ranks must be a 1-D array of at least 2 finite numbers")
    if not 0 <= control_index < k:
        raise ConfigError(f"control index {control_index} out of range for {k} methods")
    if n_datasets < 1:
        raise DataError(f"the number of datasets must be positive, got {n_datasets}")
    others = [i for i in range(k) if i != control_index]
    z = (ranks[others] - ranks[control_index]) / rank_difference_se(k, n_datasets)
    p = 2.0 * norm.sf(np.abs(z))  # = 2(1 − Φ(|z|)), without cancellation for large |z|
    adjusted, reject = holm_adjust(p, alpha)
    return [
        HolmComparison(i, float(zi), float(pi), float(ai), bool(ri))
        for i, zi, pi, ai, ri in zip(others, z, p, adjusted, reject)
    ]
