"""Significance tests across datasets (SPEC §6), after Demšar (2006), pure NumPy/SciPy.

``ranks``: average ranks of the methods; ``friedman``: Friedman χ² and Iman–Davenport F;
``holm``: Demšar's z against a control with Holm's (1979) step-down correction;
``wilcoxon``: the signed-rank test between two methods (the ablations);
``tables``: the one reader of wide tables (datasets × methods, ``mean±std`` cells);
``command``: the ``stats`` subcommand.

Demšar, J. (2006). Statistical comparisons of classifiers over multiple data sets. JMLR 7, 1–30.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand. J. Statist. 6, 65–70.
"""

from arconvl.stats.friedman import FriedmanResult, friedman_test
from arconvl.stats.holm import HolmComparison, holm_adjust, holm_posthoc, rank_difference_se
from arconvl.stats.ranks import average_ranks
from arconvl.stats.tables import WideTable, parse_cell, read_wide_table
from arconvl.stats.wilcoxon import WilcoxonResult, wilcoxon_test

__all__ = [
    "FriedmanResult",
    "HolmComparison",
    "WideTable",
    "WilcoxonResult",
    "average_ranks",
    "friedman_test",
    "holm_adjust",
    "holm_posthoc",
    "parse_cell",
    "rank_difference_se",
    "read_wide_table",
    "wilcoxon_test",
]
