"""Wilcoxon signed-rank test between two methods across datasets (Demšar 2006, §3.1.3).

Defaults: two-sided; ``zero_method="wilcox"`` (zero differences are dropped, as in Wilcoxon's
original test and MATLAB's ``signrank``); ``method="approx"`` (normal approximation, variance
corrected for ties) without continuity correction. This is the one setting consistent with
every p-value the paper reports for its ablations: each equals 2Φ((T − 105)/26.79), the
uncorrected normal approximation for N = 20 untied differences, at an integer T
(0.0017: T = 21, 0.04: 50, 0.39: 82, 0.0045: 29, 0.0036: 27, 0.0057: 31, 3.38·10⁻⁴: 9);
the exact null distribution or a continuity correction give other values.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from arconvl.errors import DataError


@dataclass(frozen=True)
class WilcoxonResult:
    statistic: float  # T = min(R+, R−), the smaller signed-rank sum
    pvalue: float  # two-sided
    n_nonzero: int  # datasets whose difference is not zero


def wilcoxon_test(a, b, zero_method="wilcox", method="approx", correction=False):
    """Two-sided signed-rank test of the paired scores ``a`` and ``b`` (one pair per dataset)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise DataError(f"expected two 1-D arrays of the same length, got shapes {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise DataError("the scores hold a missing or non-finite value")
    n_nonzero = int(np.count_nonzero(a - b))
    if n_nonzero == 0:
        raise DataError("the two methods score the same on every dataset; the Wilcoxon test is undefined")
    result = stats.wilcoxon(a, b, zero_method=zero_method, correction=correction,
                            alternative="two-sided", method=method)
    return WilcoxonResult(float(result.statistic), float(result.pvalue), n_nonzero)
