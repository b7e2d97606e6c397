"""Table 1 (G-mean) and supplementary Table 3 (class-wise accuracy): methods side by side.

Cells are mean±std in percent over the finished seeds; the row's best mean is bold (every cell
whose mean, rounded as printed, equals the best rounded mean). The last row holds the average
ranks over the rows where every method has at least one finished seed, computed on the unrounded
means (rank 1 = best, ties averaged); a method without any finished run in the table is left out
of the ranking (rank "–") rather than emptying it. When the Friedman χ² test rejects at ``alpha`` (SPEC §6),
Holm's step-down post-hoc test against ARConvL (Demšar's z) follows, and the methods it finds
significantly different carry a dagger in the avg-rank row.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from arconvl.errors import DataError
from arconvl.reports.names import CONTROL_METHOD, TABLE1_METHODS, display_name, metric_label, row_label
from arconvl.reports.provenance import smoke_banner
from arconvl.reports.render import DIGITS, FULL_SEEDS, MISSING, Cell, Table, format_p, format_rank, latex_name
from arconvl.reports.summary import STD_DDOF, complete_rows, summarise
from arconvl.stats import average_ranks, friedman_test, holm_posthoc

ALPHA = 0.05


@dataclass
class RankTests:
    """Average ranks over the complete rows and the tests on them (None where not run)."""

    methods: list
    n_rows: int
    avg_ranks: dict  # method → average rank (NaN when not ranked)
    ranked: list = field(default_factory=list)  # the methods with at least one finished run
    friedman: object = None  # arconvl.stats.FriedmanResult
    friedman_note: str = ""  # why the Friedman test was not run, if it was not
    holm: dict = field(default_factory=dict)  # method → arconvl.stats.HolmComparison
    control: str | None = None
    alpha: float = ALPHA

    def significant(self, method):
        comparison = self.holm.get(method)
        return comparison is not None and comparison.reject


def rank_tests(summary, methods, control=CONTROL_METHOD, alpha=ALPHA, higher_is_better=True):
    """Average ranks, Friedman test and (if it rejects) Holm against ``control`` on ``summary``.

    Ranked are the methods with at least one finished run in the table (a method not run at all
    gets rank NaN and stays out of the tests), over the rows where each of them has a result.
    """
    methods = list(methods)
    ranked = [m for m in methods if summary["n"][m].sum() > 0]
    complete = complete_rows(summary, ranked) if ranked else summary.iloc[:0]
    n_rows = len(complete)
    tests = RankTests(methods, n_rows, {m: math.nan for m in methods}, ranked=ranked, alpha=alpha)
    if n_rows == 0:
        tests.friedman_note = "no row has results for every method"
        return tests
    means = complete["mean"][ranked].to_numpy(dtype=float)
    ranks = average_ranks(means, higher_is_better=higher_is_better)
    tests.avg_ranks.update(zip(ranked, map(float, ranks)))
    if len(ranked) < 3:
        tests.friedman_note = f"it needs at least 3 methods with results, got {len(ranked)}"
        return tests
    try:
        tests.friedman = friedman_test(means)
    except DataError as error:
        tests.friedman_note = str(error)
        return tests
    if tests.friedman.rejects(alpha) and control in ranked:
        tests.control = control
        comparisons = holm_posthoc(ranks, ranked.index(control), n_rows, alpha)
        tests.holm = {ranked[c.index]: c for c in comparisons}
    return tests


def best_cells(means):
    """Flags of the cells whose mean, rounded as printed, equals the row's best (all False if empty)."""
    rounded = np.round(np.asarray(means, dtype=float) * 100, DIGITS)
    if np.all(np.isnan(rounded)):
        return [False] * len(rounded)
    return list(rounded == np.nanmax(rounded))


def value_cells(summary, row, methods, bold):
    stats = summary.loc[row]
    return [
        Cell(mean=100 * stats[("mean", m)], std=100 * stats[("std", m)], n=int(stats[("n", m)]), bold=b)
        for m, b in zip(methods, bold)
    ]


def methods_table(results, summary, methods, caption, bold):
    """A ``Table`` of one column per method (display and LaTeX names) under the smoke banner of their
    runs, and one row of mean±std cells per row of ``summary``; ``bold(means)`` flags the bold cells
    of a row from its unrounded means (fractions, NaN where a method has no run)."""
    table = Table(
        caption=caption,
        corner="Data",
        header=[display_name(m) for m in methods],
        header_latex=[latex_name(m) for m in methods],
        banner=smoke_banner(results[results["method"].isin(methods)]),
    )
    for row in summary.index:
        means = summary.loc[row, "mean"][methods].to_numpy(dtype=float)
        table.rows.append((row_label(*row), value_cells(summary, row, methods, bold(means))))
    return table


def main_table(results, metric="test_gmean", methods=TABLE1_METHODS, control=CONTROL_METHOD,
               alpha=ALPHA, title=None):
    """(Table, summary, RankTests) of Table 1 / supplementary Table 3 for ``metric``."""
    methods = list(methods)
    summary = summarise(results, metric, methods)
    tests = rank_tests(summary, methods, control, alpha)
    caption = title or f"{metric_label(metric)} of the investigated methods: mean±std over the finished seeds."
    table = methods_table(results, summary, methods, caption, best_cells)
    table.rows.append(("avgRank", [
        Cell(text=format_rank(tests.avg_ranks[m]), dagger=tests.significant(m)) for m in methods
    ]))
    table.footnotes = main_table_notes(tests, summary, methods)
    return table, summary, tests


def main_table_notes(tests, summary, methods):
    notes = [
        f"Each entry: mean±std (sample std, ddof={STD_DDOF}) in % over the finished seeds; "
        f"(n=…) marks fewer than {FULL_SEEDS} seeds, a single seed shows no std; "
        f"{MISSING} no finished run. Bold: the best mean of the row.",
        f"avgRank: average rank over the {tests.n_rows} of {len(summary)} rows where every method has "
        "a result (rank 1 = best, ties averaged, on unrounded means).",
        friedman_note(tests),
    ]
    absent = [display_name(m) for m in methods if m not in tests.ranked]
    if absent:
        notes[1] = notes[1][:-1] + f"; not ranked, without any finished run: {', '.join(absent)}."
    if tests.holm:
        significant = [display_name(m) for m in methods if tests.significant(m)]
        names = ", ".join(significant) if significant else "none"
        notes.append(
            f"{'†'}: significantly different from {display_name(tests.control)} (Holm step-down on "
            f"Demšar's z, α = {tests.alpha:g}): {names}."
        )
    return notes


def friedman_note(tests):
    if tests.friedman is None:
        return f"Friedman test not run: {tests.friedman_note}."
    f = tests.friedman
    verdict = "rejects" if f.rejects(tests.alpha) else "does not reject"
    text = (
        f"Friedman test over {f.n_datasets} rows and {f.n_methods} methods: χ²({f.df}) = {f.statistic:.2f}, "
        f"p = {format_p(f.pvalue)} (Iman–Davenport F({f.df}, {f.df_denominator}) = {f.iman_davenport_f:.2f}, "
        f"p = {format_p(f.iman_davenport_pvalue)}); it {verdict} H0 at α = {tests.alpha:g}"
    )
    if f.rejects(tests.alpha) and not tests.holm:
        text += f", no post-hoc test: {display_name(CONTROL_METHOD)} is not among the methods"
    elif not f.rejects(tests.alpha):
        text += ", so no post-hoc test"
    return text + "."


def main_table_csv(summary, methods):
    """Machine-readable Table 1: one row per (dataset, q), per method mean_pct, std_pct, n."""
    methods = list(methods)
    frame = pd.DataFrame({
        "dataset": summary.index.get_level_values("dataset"),
        "q": summary.index.get_level_values("q"),
        "data": [row_label(*row) for row in summary.index],
    })
    for m in methods:
        frame[f"{m}_mean_pct"] = 100 * summary[("mean", m)].to_numpy(dtype=float)
        frame[f"{m}_std_pct"] = 100 * summary[("std", m)].to_numpy(dtype=float)
        frame[f"{m}_n"] = summary[("n", m)].to_numpy(dtype=int)
    return frame


def rank_tests_csv(tests):
    """Machine-readable avg-rank row and tests: one row per method."""
    f = tests.friedman
    rows = []
    for m in tests.methods:
        comparison = tests.holm.get(m)
        rows.append({
            "method": m,
            "display_name": display_name(m),
            "avg_rank": tests.avg_ranks[m],
            "ranked": m in tests.ranked,
            "n_rows_ranked": tests.n_rows,
            "friedman_chi2": f.statistic if f else math.nan,
            "friedman_p": f.pvalue if f else math.nan,
            "iman_davenport_f": f.iman_davenport_f if f else math.nan,
            "iman_davenport_p": f.iman_davenport_pvalue if f else math.nan,
            "control": tests.control or "",
            "holm_z": comparison.z if comparison else math.nan,
            "holm_p": comparison.pvalue if comparison else math.nan,
            "holm_adjusted_p": comparison.adjusted_pvalue if comparison else math.nan,
            "significant_vs_control": comparison.reject if comparison else False,
        })
    return pd.DataFrame(rows)
