"""Friedman test across datasets with the methods as treatments (Demšar 2006, §3.2.2).

The decision uses the Friedman χ² p-value, as the paper reports "Friedman tests"; the
Iman–Davenport F (Demšar's eq. for F_F, less conservative) is reported beside it.

χ² comes from ``scipy.stats.friedmanchisquare``, which divides the textbook statistic
χ² = 12N/(k(k+1)) [Σ_j R_j² − k(k+1)²/4] by the tie correction 1 − Σ(t³ − t)/(N(k³ − k));
without ties in any row the two are equal. F_F is computed from that same χ².
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from arconvl.errors import DataError
from arconvl.stats.ranks import score_table


@dataclass(frozen=True)
class FriedmanResult:
    statistic: float  # Friedman χ² (tie-corrected), k − 1 degrees of freedom
    pvalue: float  # its p-value: the one the decision uses
    iman_davenport_f: float  # F_F = (N − 1)χ² / (N(k − 1) − χ²)
    iman_davenport_pvalue: float  # F_F against F(k − 1, (k − 1)(N − 1))
    n_datasets: int
    n_methods: int

    @property
    def df(self):
        return self.n_methods - 1

    @property
    def df_denominator(self):
        return (self.n_methods - 1) * (self.n_datasets - 1)

    def rejects(self, alpha=0.05):
        """True when the χ² p-value is at most ``alpha``."""
        return self.pvalue <= alpha


def friedman_test(table):
    """Friedman χ² and p over a (datasets × methods) table, plus the Iman–Davenport F and p."""
    array = score_table(table, min_methods=3)
    n, k = array.shape
    if n < 2:
        raise DataError(f"the Friedman test needs at least 2 datasets, got {n}")
    if np.all(array == array[:, :1]):
        raise DataError("every dataset ties all methods; the Friedman test is undefined")
    chi2, p = stats.friedmanchisquare(*array.T)  # one sample per method, paired by dataset
    chi2, p = float(chi2), float(p)
    denominator = n * (k - 1) - chi2
    if denominator <= 0:  # every dataset ranks the methods the same way
        f, f_p = float("inf"), 0.0
    else:
        f = (n - 1) * chi2 / denominator
        f_p = float(stats.f.sf(f, k - 1, (k - 1) * (n - 1)))
    return FriedmanResult(chi2, p, float(f), f_p, n, k)
