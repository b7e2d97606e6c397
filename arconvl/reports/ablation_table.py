"""Table 2 (G-mean) and supplementary Table 4 (class-wise accuracy): ARConvL beside its ablations.

As in the paper, an ablation's cell is bold where its mean beats ARConvL's in that row (unrounded
means). Below the rows: per ablation the pairwise average ranks "ARConvL/ablation" over the rows
where both have results, and the two-sided Wilcoxon signed-rank p-value of ARConvL vs the ablation
across those rows (``arconvl.stats.wilcoxon_test``; "–" with fewer than 2 rows or no difference).
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arconvl.errors import DataError
from arconvl.reports.main_table import ALPHA, main_table_csv, methods_table
from arconvl.reports.names import ABLATION_METHODS, CONTROL_METHOD, display_name, metric_label
from arconvl.reports.render import FULL_SEEDS, MISSING, Cell, format_p, format_rank
from arconvl.reports.summary import STD_DDOF, complete_rows, summarise
from arconvl.stats import average_ranks, wilcoxon_test


@dataclass
class PairTest:
    """ARConvL vs one ablation across the rows where both have results."""

    method: str
    n_rows: int
    control_rank: float = math.nan
    method_rank: float = math.nan
    wilcoxon: object = None  # arconvl.stats.WilcoxonResult
    note: str = ""  # why the Wilcoxon test was not run

    @property
    def pvalue(self):
        return self.wilcoxon.pvalue if self.wilcoxon is not None else math.nan


def pair_test(summary, method, control=CONTROL_METHOD):
    both = complete_rows(summary, [control, method])
    test = PairTest(method, len(both))
    if test.n_rows == 0:
        test.note = "no row has results for both"
        return test
    means = both["mean"][[control, method]].to_numpy(dtype=float)
    test.control_rank, test.method_rank = map(float, average_ranks(means))
    if test.n_rows < 2:
        test.note = "fewer than 2 rows with results for both"
        return test
    try:
        test.wilcoxon = wilcoxon_test(means[:, 0], means[:, 1])
    except DataError as error:
        test.note = str(error)
    return test


def beats_control(means):
    """Bold flags of an ablation row: each degraded version whose mean beats the control's, the first
    (NaN compares False: a missing mean is never bold)."""
    return [False] + list(means[1:] > means[0])


def ablation_table(results, metric="test_gmean", ablations=ABLATION_METHODS, control=CONTROL_METHOD,
                   alpha=ALPHA, title=None):
    """(Table, summary, [PairTest per ablation]) of Table 2 / supplementary Table 4 for ``metric``."""
    ablations = list(ablations)
    methods = [control, *ablations]
    summary = summarise(results, metric, methods)
    tests = [pair_test(summary, m, control) for m in ablations]
    caption = title or (f"{metric_label(metric)} of {display_name(control)} and its degraded versions: "
                        "mean±std over the finished seeds.")
    table = methods_table(results, summary, methods, caption, beats_control)
    table.rows.append((f"avgRank ({display_name(control)}/degraded)", [Cell(text=MISSING)] + [
        Cell(text=f"{format_rank(t.control_rank)}/{format_rank(t.method_rank)}" if t.n_rows else MISSING)
        for t in tests
    ]))
    table.rows.append(("Wilcoxon p", [Cell(text=MISSING)] + [
        Cell(text=format_p(t.pvalue), dagger=t.wilcoxon is not None and t.pvalue <= alpha) for t in tests
    ]))
    table.footnotes = [
        f"Each entry: mean±std (sample std, ddof={STD_DDOF}) in % over the finished seeds; (n=…) marks fewer "
        f"than {FULL_SEEDS} seeds, a single seed shows no std; {MISSING} no finished run. Bold: a degraded "
        f"version whose mean beats {display_name(control)}'s in that row.",
        f"avgRank: average ranks of {display_name(control)} vs each degraded version over the rows where both "
        "have results (rank 1 = better, ties 1.5 each, on unrounded means).",
        f"Wilcoxon p: two-sided signed-rank test of {display_name(control)} vs the degraded version across "
        f"the same rows (normal approximation, zero differences dropped); {MISSING} with fewer than 2 rows "
        f"or no difference. †: p ≤ {alpha:g}.",
    ]
    return table, summary, tests


def ablation_table_csv(summary, methods):
    """Machine-readable Table 2: per (dataset, q) row, per method mean_pct, std_pct, n."""
    return main_table_csv(summary, methods)


def pair_tests_csv(tests, control=CONTROL_METHOD):
    return pd.DataFrame([{
        "method": t.method,
        "display_name": display_name(t.method),
        "control": control,
        "n_rows": t.n_rows,
        "avg_rank_control": t.control_rank,
        "avg_rank_method": t.method_rank,
        "wilcoxon_statistic": t.wilcoxon.statistic if t.wilcoxon else np.nan,
        "wilcoxon_p": t.pvalue,
        "note": t.note,
    } for t in tests])
