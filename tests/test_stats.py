"""arconvl.stats: ranks, Friedman, Holm, Wilcoxon, the table reader and the ``stats`` command.

Hand computations follow Demšar (2006) and Holm (1979); the paper's numbers are transcribed here.
"""

import argparse
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from arconvl.errors import ConfigError, DataError
from arconvl.paper import TABLE_DIR
from arconvl.stats import (
    average_ranks,
    friedman_test,
    holm_adjust,
    holm_posthoc,
    parse_cell,
    rank_difference_se,
    read_wide_table,
    wilcoxon_test,
)
from arconvl.stats.command import add_stats_parser

TABLE1 = TABLE_DIR / "paper-table1-gmean.tsv"
TABLE2 = TABLE_DIR / "paper-table2-ablation-gmean.tsv"

# The avgRank row of the paper's Table 1 (G-mean).
PAPER_AVG_RANKS = {"CPL": 6.45, "GCPL": 6.825, "Focal": 3.5, "CB": 5.2, "CB Focal": 3.25,
                   "Affinity": 6.175, "LA": 3.2, "ARConvL": 1.4}
# p-values the paper reports for ARConvL vs each ablation (Wilcoxon signed-rank, 20 datasets).
PAPER_ABLATION_P = {"beta=0": 0.0017, "beta=1": 0.04, "beta=0.5": 0.39, "sigma2=0": 0.0045,
                    "sigma2=0.5": 0.0036, "sigma2=1": 0.0057, "ARC-C": 3.38e-4}


# --- the paper's Table 1 -------------------------------------------------------------------------

def test_paper_table1_average_ranks_match_the_avgrank_row():
    datasets, methods, means = read_wide_table(TABLE1)
    assert len(datasets) == 20 and methods == list(PAPER_AVG_RANKS)
    ranks = average_ranks(means)
    # The paper ranked unrounded values; ranking the rounded means moves no method by more than 0.15.
    for method, rank in zip(methods, ranks):
        assert rank == pytest.approx(PAPER_AVG_RANKS[method], abs=0.15), method
    assert ranks.sum() == pytest.approx(8 * 9 / 2)  # each row's ranks sum to k(k+1)/2
    assert methods[int(np.argmin(ranks))] == "ARConvL"


def test_paper_table1_friedman_rejects_and_holm_finds_all_seven_differences():
    datasets, methods, means = read_wide_table(TABLE1)
    friedman = friedman_test(means)
    assert friedman.rejects(0.05) and friedman.pvalue < 1e-10  # the paper: "p-value 0"
    assert friedman.iman_davenport_pvalue < 0.05
    assert (friedman.n_datasets, friedman.n_methods, friedman.df) == (20, 8, 7)
    comparisons = holm_posthoc(average_ranks(means), methods.index("ARConvL"), len(datasets), alpha=0.05)
    assert [methods[c.index] for c in comparisons] == [m for m in methods if m != "ARConvL"]
    assert all(c.reject and c.z > 0 and c.adjusted_pvalue <= 0.05 for c in comparisons)


# --- average ranks ---------------------------------------------------------------------------------

def test_average_ranks_share_ties_by_hand():
    table = [[0.9, 0.8, 0.8, 0.7],
             [0.5, 0.6, 0.6, 0.6]]
    # higher is better: row 1 → 1, 2.5, 2.5, 4; row 2 → 4, 2, 2, 2
    np.testing.assert_allclose(average_ranks(table), [2.5, 2.25, 2.25, 3.0])
    # lower is better: row 1 → 4, 2.5, 2.5, 1; row 2 → 1, 3, 3, 3
    np.testing.assert_allclose(average_ranks(table, higher_is_better=False), [2.5, 2.75, 2.75, 2.0])


@pytest.mark.parametrize("table", [[1.0, 2.0, 3.0], [[1.0, np.nan], [2.0, 3.0]], np.zeros((0, 3))])
def test_average_ranks_reject_a_malformed_table(table):
    with pytest.raises(DataError):
        average_ranks(table)


# --- Friedman ----------------------------------------------------------------------------------------

def test_friedman_equals_the_textbook_formula_without_ties():
    table = [[3, 2, 1], [3, 1, 2], [3, 2, 1], [2, 3, 1]]
    # ranks: (1,2,3), (1,3,2), (1,2,3), (2,1,3) → R = (1.25, 2.0, 2.75); N = 4, k = 3
    chi2 = 12 * 4 / (3 * 4) * (1.25**2 + 2.0**2 + 2.75**2 - 3 * 4**2 / 4)
    assert chi2 == pytest.approx(4.5)
    result = friedman_test(table)
    assert result.statistic == pytest.approx(4.5)
    assert result.pvalue == pytest.approx(math.exp(-4.5 / 2))  # χ² with 2 df: p = exp(−x/2)
    f = (4 - 1) * 4.5 / (4 * (3 - 1) - 4.5)  # Iman–Davenport
    assert result.iman_davenport_f == pytest.approx(27 / 7) == pytest.approx(f)
    assert result.iman_davenport_pvalue == pytest.approx(scipy_stats.f.sf(27 / 7, 2, 6))
    assert (result.df, result.df_denominator) == (2, 6)
    assert not result.rejects(0.05) and result.rejects(0.2)


def test_friedman_applies_scipys_tie_correction():
    table = [[1, 1, 0], [2, 1, 0]]  # ranks (1.5, 1.5, 3), (1, 2, 3) → R = (1.25, 1.75, 3)
    textbook = 12 * 2 / (3 * 4) * (1.25**2 + 1.75**2 + 3**2 - 3 * 4**2 / 4)
    assert textbook == pytest.approx(3.25)
    correction = 1 - (2**3 - 2) / (2 * (3**3 - 3))  # one pair of ties among N(k³ − k)
    assert friedman_test(table).statistic == pytest.approx(3.25 / correction)


def test_friedman_rejects_degenerate_tables():
    with pytest.raises(DataError, match="at least 3 methods"):
        friedman_test([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(DataError, match="at least 2 datasets"):
        friedman_test([[1.0, 2.0, 3.0]])
    with pytest.raises(DataError, match="ties all methods"):
        friedman_test([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


def test_friedman_iman_davenport_is_infinite_when_every_dataset_agrees():
    result = friedman_test([[3, 2, 1], [3, 2, 1], [3, 2, 1]])
    assert result.statistic == pytest.approx(3 * 2)  # the maximum N(k − 1)
    assert result.iman_davenport_f == math.inf and result.iman_davenport_pvalue == 0.0


# --- Holm --------------------------------------------------------------------------------------------

def test_holm_posthoc_by_hand():
    # k = 4 methods, N = 10 datasets: SE = sqrt(4·5/60) = sqrt(1/3); control = method 0
    se = math.sqrt(1 / 3)
    assert rank_difference_se(4, 10) == pytest.approx(se)
    rows = holm_posthoc([1.2, 2.0, 3.1, 3.7], control_index=0, n_datasets=10, alpha=0.05)
    assert [r.index for r in rows] == [1, 2, 3]
    z = [0.8 / se, 1.9 / se, 2.5 / se]
    p = [math.erfc(zi / math.sqrt(2)) for zi in z]  # 2(1 − Φ(z))
    np.testing.assert_allclose([r.z for r in rows], z)
    np.testing.assert_allclose([r.pvalue for r in rows], p)
    # sorted ascending: p[2] (×3), p[1] (×2), p[0] (×1), with a running maximum
    adj2 = 3 * p[2]
    adj1 = max(adj2, 2 * p[1])
    adj0 = max(adj1, p[0])
    np.testing.assert_allclose([r.adjusted_pvalue for r in rows], [adj0, adj1, adj2])
    assert [r.reject for r in rows] == [False, True, True]  # p[0] ≈ 0.166 > 0.05


def test_holm_control_in_the_middle_and_sign_of_z():
    rows = holm_posthoc([2.0, 1.0, 3.0], control_index=1, n_datasets=6)
    se = rank_difference_se(3, 6)
    assert [r.index for r in rows] == [0, 2]
    np.testing.assert_allclose([r.z for r in rows], [1 / se, 2 / se])


def test_holm_adjust_by_hand_is_step_down_not_bonferroni():
    adjusted, reject = holm_adjust([0.01, 0.02, 0.045], alpha=0.05)
    np.testing.assert_allclose(adjusted, [0.03, 0.04, 0.045])
    # thresholds 0.05/3, 0.05/2, 0.05: all three rejected (Bonferroni, 0.05/3 each, would keep two)
    assert reject.tolist() == [True, True, True]


def test_holm_stops_at_the_first_non_rejection():
    # input order unsorted; sorted: 0.01 ≤ 0.05/3 rejects, 0.04 > 0.05/2 stops the procedure, so
    # 0.045 is not rejected although it is below its own threshold 0.05/1.
    adjusted, reject = holm_adjust([0.045, 0.01, 0.04], alpha=0.05)
    np.testing.assert_allclose(adjusted, [0.08, 0.03, 0.08])  # max(0.08, 0.045) keeps it monotone
    assert reject.tolist() == [False, True, False]


def test_holm_posthoc_stops_at_the_first_non_rejection():
    # Average ranks built so that the three comparisons have p = 0.01, 0.04, 0.045.
    k, n = 4, 12
    se = rank_difference_se(k, n)
    targets = [0.01, 0.04, 0.045]
    ranks = [1.5] + [1.5 + scipy_stats.norm.isf(p / 2) * se for p in targets]
    rows = holm_posthoc(ranks, control_index=0, n_datasets=n, alpha=0.05)
    np.testing.assert_allclose([r.pvalue for r in rows], targets)
    assert [r.reject for r in rows] == [True, False, False]
    np.testing.assert_allclose([r.adjusted_pvalue for r in rows], [0.03, 0.08, 0.08])


def test_holm_adjusted_p_values_are_capped_at_one():
    adjusted, reject = holm_adjust([0.7, 0.6])
    np.testing.assert_allclose(adjusted, [1.0, 1.0])
    assert not reject.any()


def test_holm_rejects_bad_arguments():
    with pytest.raises(ConfigError):
        holm_posthoc([1.0, 2.0, 3.0], control_index=3, n_datasets=5)
    with pytest.raises(ConfigError):
        holm_adjust([0.1, 0.2], alpha=1.5)
    with pytest.raises(DataError):
        holm_adjust([0.1, 1.2])


# --- Wilcoxon ----------------------------------------------------------------------------------------

def test_wilcoxon_normal_approximation_by_hand():
    a = np.array([10.0, 20, 30, 40, 50, 60, 70, 80])
    b = a - np.array([1, -2, 3, 4, 5, 6, 7, 8])  # untied |d| = 1..8, negative rank sum 2
    result = wilcoxon_test(a, b)
    mu, sd = 8 * 9 / 4, math.sqrt(8 * 9 * 17 / 24)
    assert result.statistic == 2 and result.n_nonzero == 8
    assert result.pvalue == pytest.approx(math.erfc(abs(2 - mu) / sd / math.sqrt(2)))  # no continuity correction
    # the exact null distribution: the subsets of {1..8} with sum ≤ 2 are {}, {1}, {2}
    assert wilcoxon_test(a, b, method="exact").pvalue == pytest.approx(2 * 3 / 2**8)


def test_wilcoxon_matches_scipy_with_ties_and_zeros():
    rng = np.random.default_rng(3)
    a = np.round(rng.normal(80, 5, 15), 1)
    b = np.round(a + rng.normal(1, 1.5, 15), 0)
    b[[2, 7]] = a[[2, 7]]  # two zero differences
    ours = wilcoxon_test(a, b)
    theirs = scipy_stats.wilcoxon(a, b, zero_method="wilcox", correction=False, method="approx")
    assert (ours.statistic, ours.pvalue) == pytest.approx((theirs.statistic, theirs.pvalue))
    assert ours.n_nonzero == 13
    keep = a != b  # "wilcox" drops the zero differences
    assert wilcoxon_test(a[keep], b[keep]).pvalue == pytest.approx(ours.pvalue)


@pytest.mark.parametrize("statistic, reported", [(21, "0.0017"), (50, "0.04"), (82, "0.39"), (29, "0.0045"),
                                                 (27, "0.0036"), (31, "0.0057"), (9, "3.38e-4")])
def test_wilcoxon_setting_reproduces_every_p_value_the_paper_reports(statistic, reported):
    """Untied differences over 20 datasets with rank sum T give the paper's p to its printed digits."""
    negative, left = [], statistic
    for magnitude in range(20, 0, -1):  # the ranks whose sum is T get a negative sign
        if magnitude <= left:
            negative.append(magnitude)
            left -= magnitude
    d = np.array([-m if m in negative else m for m in range(1, 21)], dtype=float)
    result = wilcoxon_test(d, np.zeros(20))
    assert result.statistic == statistic
    mantissa = reported.split("e")[0]
    decimals = len(mantissa.split(".")[1]) - (int(reported.split("e")[1]) if "e" in reported else 0)
    assert abs(result.pvalue - float(reported)) <= 0.5 * 10.0**-decimals + 1e-12


def test_wilcoxon_arconvl_vs_fixed_beta_zero_on_the_paper_tables():
    _, methods, table1 = read_wide_table(TABLE1)
    _, ablations, table2 = read_wide_table(TABLE2)
    arconvl = table1[:, methods.index("ARConvL")]
    result = wilcoxon_test(arconvl, table2[:, ablations.index("beta=0")])
    # the paper: p = 0.0017 on unrounded values; the rounded table gives T = 20, p ≈ 0.0015
    assert result.statistic == 20 and result.n_nonzero == 20
    assert result.pvalue == pytest.approx(PAPER_ABLATION_P["beta=0"], abs=3e-4)


def test_wilcoxon_rejects_bad_input():
    with pytest.raises(DataError, match="same length"):
        wilcoxon_test([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="same on every dataset"):
        wilcoxon_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])


# --- the table reader --------------------------------------------------------------------------------

def test_read_tsv_with_mean_std_cells_and_an_avgrank_row(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("Data\tA\tB\tC\n"
                    "d1\t99.2±0.1\t98.0 ± 0.3\t97.5+-0.2\n"
                    "d2\t88.1 +- 1.0\t90\t-1.5e1 +/- 2\n"
                    "avgRank\t1.5\t1.5\t3\n", encoding="utf-8")
    datasets, methods, means = read_wide_table(path)
    assert datasets == ["d1", "d2"] and methods == ["A", "B", "C"]
    np.testing.assert_allclose(means, [[99.2, 98.0, 97.5], [88.1, 90.0, -15.0]])


def test_read_csv_with_plain_numbers_quotes_and_an_avg_rank_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('Dataset,"CB, focal",LA\n'
                    "x,0.5,0.25\n"
                    "\n"
                    "y,.75,1\n"
                    "Avg rank,1.5,1.5\n", encoding="utf-8")
    table = read_wide_table(path)
    assert table.methods == ["CB, focal", "LA"] and table.datasets == ["x", "y"]
    np.testing.assert_allclose(table.means, [[0.5, 0.25], [0.75, 1.0]])


def test_read_sniffs_the_delimiter_without_an_extension(tmp_path):
    tsv, csv_file = tmp_path / "tabs.txt", tmp_path / "commas.txt"
    tsv.write_text("D\tA, 1\tB\nd\t1±0\t2±0\n", encoding="utf-8")
    csv_file.write_text("D,A,B\nd,1,2\n", encoding="utf-8")
    assert read_wide_table(tsv).methods == ["A, 1", "B"]
    assert read_wide_table(csv_file).methods == ["A", "B"]


def test_read_the_paper_table_keeps_its_means():
    datasets, methods, means = read_wide_table(TABLE1)
    assert datasets[0] == "Mnist-1" and datasets[-1] == "Cifar10-100"
    assert means.shape == (20, 8)
    assert means[datasets.index("SVHN-100"), methods.index("GCPL")] == 0.0
    assert means[-1, -1] == 71.3


@pytest.mark.parametrize("cell", ["9x.1", "abc±1", "1±", "±1", "1±-0.1", "1±2±3", "nan", "", "1,5"])
def test_read_rejects_a_malformed_cell_naming_row_and_column(tmp_path, cell):
    path = tmp_path / "bad.tsv"
    path.write_text(f"Data\tA\tB\nd1\t1\t2\nd2\t3\t{cell}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_wide_table(path)
    message = str(caught.value)
    assert "line 3" in message and "'d2'" in message and "'B'" in message and repr(cell) in message
    assert "\n" not in message
    with pytest.raises(ValueError):
        parse_cell(cell)


@pytest.mark.parametrize("text, fragment", [
    ("Data\tA\tB\nd1\t1\n", "expected 3 cells"),
    ("Data\tA\tA\nd1\t1\t2\n", "appears twice"),
    ("Data\tA\tB\nd1\t1\t2\nd1\t3\t4\n", "appears twice"),
    ("Data\tA\tB\navgRank\t1\t2\n", "no header and data rows"),
    ("Data\n", "names no method"),
])
def test_read_rejects_a_malformed_table(tmp_path, text, fragment):
    path = tmp_path / "bad.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=fragment):
        read_wide_table(path)


def test_read_reports_a_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_wide_table(tmp_path / "nope.tsv")


# --- the command ----------------------------------------------------------------------------------

class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def stats_args(*argv):
    parser = OneLineParser(prog="python -m arconvl")
    add_stats_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["stats", *map(str, argv)])


def test_command_on_the_paper_table(capsys):
    args = stats_args("--table", TABLE1, "--control", "ARConvL")
    assert args.handler(args) == 0
    lines = capsys.readouterr().out.splitlines()
    ranks = {line.split("  avg rank ")[0].strip(): float(line.split("avg rank ")[1])
             for line in lines if "avg rank" in line}
    assert ranks.keys() == PAPER_AVG_RANKS.keys()
    assert all(abs(ranks[m] - PAPER_AVG_RANKS[m]) <= 0.15 for m in ranks)
    assert ranks["ARConvL"] == 1.375
    friedman = [line for line in lines if line.startswith("Friedman:")]
    assert len(friedman) == 1 and "chi2 = 86.07 (df 7)" in friedman[0]
    assert "Iman-Davenport F" in friedman[0] and "rejected at alpha = 0.05" in friedman[0]
    holm = [line for line in lines if "adjusted p" in line]
    assert len(holm) == 7 and all(line.endswith(", significant") for line in holm)
    assert not any(line.startswith("ARConvL ") and "adjusted p" in line for line in lines)


def test_command_defaults_to_the_last_column_as_control(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("D,A,B,C\n" + "".join(f"d{i},{i},{i + 20},{i + 40}\n" for i in range(12)), encoding="utf-8")
    args = stats_args("--table", path, "--alpha", "0.01")
    assert args.handler(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Holm post-hoc against C (alpha = 0.01" in "\n".join(lines)
    holm = [line for line in lines if "adjusted p" in line]
    assert [line.split()[0] for line in holm] == ["A", "B"]
    assert holm[0].endswith(", significant") and holm[1].endswith("not significant")  # ranks 3, 2 vs 1


def test_command_lower_is_better_reverses_the_ranks(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("D,A,B,C\n" + "".join(f"d{i},{i},{i + 20},{i + 40}\n" for i in range(12)), encoding="utf-8")
    args = stats_args("--table", path, "--lower-is-better", "--control", "a")  # case-insensitive fallback
    args.handler(args)
    out = capsys.readouterr().out
    assert "A  avg rank 1.000" in out and "C  avg rank 3.000" in out and "against A" in out


def test_command_skips_holm_when_friedman_does_not_reject(tmp_path, capsys):
    path = tmp_path / "t.tsv"
    path.write_text("D\tA\tB\tC\nd1\t3\t2\t1\nd2\t1\t3\t2\nd3\t2\t1\t3\n", encoding="utf-8")
    args = stats_args("--table", path)
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "not rejected at alpha = 0.05" in out and "no post-hoc test" in out
    assert "significant" not in out


def test_command_unknown_control_lists_the_methods():
    args = stats_args("--table", TABLE1, "--control", "ARConv")
    with pytest.raises(ConfigError) as caught:
        args.handler(args)
    assert "'ARConv'" in str(caught.value)
    assert "CPL, GCPL, Focal, CB, CB Focal, Affinity, LA, ARConvL" in str(caught.value)


@pytest.mark.parametrize("argv", [[], ["--table", "x.tsv", "--alpha", "1.5"], ["--table", "x.tsv", "--alpha", "a"]])
def test_command_argument_errors_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        stats_args(*argv)
    assert caught.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
