"""Average ranks of k methods over N datasets (Demšar 2006, §3.2.2)."""

import numpy as np
from scipy.stats import rankdata

from arconvl.errors import DataError


def score_table(table, min_methods=1):
    """``table`` as a finite float array of shape (N datasets, k methods), or a DataError."""
    array = np.asarray(table, dtype=float)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < min_methods:
        raise DataError(
            f"expected a table of datasets × methods with at least {min_methods} methods, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise DataError("the table holds a missing or non-finite value")
    return array


def average_ranks(table, higher_is_better=True):
    """Per-method mean rank over the rows: rank 1 = best in its row, ties share the average rank."""
    array = score_table(table)
    ranks = rankdata(-array if higher_is_better else array, axis=1, method="average")
    return ranks.mean(axis=0)
