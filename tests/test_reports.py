"""Reports (``arconvl.reports``) on small hand-made results, and on the paper's own numbers.

The synthetic results: mnist and fashion_mnist at q = 10 and 100; methods CPL, LA, ARConvL plus
two ablations; 1-3 seeds per cell; one cell (LA on Fashion-10) without any run.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arconvl.errors import ConfigError, DataError
from arconvl.paper import PAPER_DATASET_NAMES, read_table
from arconvl.reports import (
    ablation_table,
    average_ranks_beside_paper,
    compare_with_paper,
    comparison_markdown,
    main_table,
    metric_vs_q_figure,
    parse_mean_std,
    read_results,
    summarise,
    to_latex,
    to_markdown,
    write_fig4,
    write_reports,
    write_table1,
)
from arconvl.reports.ablation_table import beats_control
from arconvl.reports.names import ABLATION_METHODS, TABLE1_METHODS, display_name
from arconvl.reports.render import format_mean_std

REPO = Path(__file__).resolve().parents[1]
METHODS = ("cpl", "la", "arconvl")

# (dataset, q, method) → G-mean per seed (seeds 0, 1, ...). Class-wise accuracy = G-mean + 0.01.
GMEANS = {
    ("mnist", 10, "cpl"): [0.90, 0.92, 0.94],  # mean 92.0, std 2.0
    ("mnist", 10, "la"): [0.95, 0.97],  # mean 96.0, 2 seeds
    ("mnist", 10, "arconvl"): [0.98, 0.98, 0.98],  # best
    ("mnist", 100, "cpl"): [0.80, 0.82, 0.84],
    ("mnist", 100, "la"): [0.85, 0.86, 0.87],  # best
    ("mnist", 100, "arconvl"): [0.84, 0.85, 0.86],
    ("fashion_mnist", 10, "cpl"): [0.70, 0.70, 0.70],
    ("fashion_mnist", 10, "arconvl"): [0.90, 0.91, 0.92],  # LA has no run here
    ("fashion_mnist", 100, "cpl"): [0.50, 0.60, 0.70],
    ("fashion_mnist", 100, "la"): [0.65, 0.65, 0.65],
    ("fashion_mnist", 100, "arconvl"): [0.797, 0.807, 0.817],  # paper: 82.3±0.8
    # Ablations: ARConvL − beta0 = +0.01, −0.02, +0.11, +0.06 over the four rows.
    ("mnist", 10, "arconvl_beta0"): [0.97, 0.97, 0.97],
    ("mnist", 100, "arconvl_beta0"): [0.87, 0.87, 0.87],
    ("fashion_mnist", 10, "arconvl_beta0"): [0.80],
    ("fashion_mnist", 100, "arconvl_beta0"): [0.70, 0.70],
    ("mnist", 10, "arconvl_sigma0"): [0.99],  # one row only: no Wilcoxon test
}


def synthetic_results(cells=GMEANS):
    rows = []
    for (dataset, q, method), values in cells.items():
        for seed, value in enumerate(values):
            rows.append({
                "experiment": "table2" if method in ABLATION_METHODS else "table1",
                "profile": "smoke", "dataset": dataset, "q": q, "method": method, "seed": seed,
                "epochs": 3, "subsample": 0.05, "variant": "code",
                "test_gmean": value, "test_classwise_acc": value + 0.01,
            })
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # row order must not matter


def paper_results(filename, methods):
    """The paper's table as results: one seed per cell whose value is the paper's mean."""
    dataset_of = {name: dataset for dataset, name in PAPER_DATASET_NAMES.items()}
    rows = []
    for row in read_table(filename):
        family, q = row["Data"].rsplit("-", 1)
        for method in methods:
            mean, _ = parse_mean_std(row[display_name(method)])
            rows.append({"dataset": dataset_of[family], "q": int(q), "method": method, "seed": 0,
                         "test_gmean": mean / 100, "test_classwise_acc": mean / 100})
    return pd.DataFrame(rows)


def table_row(markdown, label):
    """The cells of the Markdown table row whose first cell is ``label``."""
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in\n{markdown}")


# --- summarise ---------------------------------------------------------------------------------


def test_summarise_mean_std_n_and_seeds_by_hand():
    summary = summarise(synthetic_results(), "test_gmean", METHODS)
    assert list(summary.index) == [("mnist", 10), ("mnist", 100), ("fashion_mnist", 10), ("fashion_mnist", 100)]
    cell = summary.loc[("mnist", 10)]
    assert cell[("mean", "cpl")] == pytest.approx(0.92)
    assert cell[("std", "cpl")] == pytest.approx(0.02)  # sample std (ddof=1); ddof=0 gives 0.0163
    assert cell[("n", "cpl")] == 3 and cell[("seeds", "cpl")] == (0, 1, 2)
    assert cell[("mean", "la")] == pytest.approx(0.96)
    assert cell[("std", "la")] == pytest.approx(math.sqrt(2 * 0.01**2))
    assert cell[("n", "la")] == 2 and cell[("seeds", "la")] == (0, 1)
    missing = summary.loc[("fashion_mnist", 10)]
    assert missing[("n", "la")] == 0 and math.isnan(missing[("mean", "la")]) and missing[("seeds", "la")] == ()
    assert summary.loc[("fashion_mnist", 100), ("mean", "arconvl")] == pytest.approx(0.807)


def test_summarise_counts_a_rerun_once_by_its_last_row():
    results = synthetic_results()
    rerun = results[(results["method"] == "cpl") & (results["dataset"] == "mnist") & (results["q"] == 10)
                    & (results["seed"] == 0)].assign(test_gmean=0.96)
    summary = summarise(pd.concat([results, rerun]), "test_gmean", METHODS)
    assert summary.loc[("mnist", 10), ("n", "cpl")] == 3
    assert summary.loc[("mnist", 10), ("mean", "cpl")] == pytest.approx((0.96 + 0.92 + 0.94) / 3)


def test_summarise_refuses_a_cell_mixing_configurations():
    results = synthetic_results()
    cell = (results["method"] == "cpl") & (results["dataset"] == "mnist") & (results["q"] == 10)
    results.loc[cell & (results["seed"] == 0), "epochs"] = 50
    with pytest.raises(DataError, match="cpl on mnist q=10 differ in epochs"):
        summarise(results, "test_gmean", METHODS)


def test_summarise_pools_the_seeds_of_a_cell_across_backends():
    # rows written before the backend was recorded have none; JAX draws another stream, as a seed does
    results = synthetic_results()
    cell = (results["method"] == "cpl") & (results["dataset"] == "mnist") & (results["q"] == 10)
    results.loc[cell & (results["seed"] == 0), "backend"] = "jax"
    results.loc[cell & (results["seed"] == 1), "backend"] = "tensorflow"
    summary = summarise(results, "test_gmean", METHODS)
    assert summary.loc[("mnist", 10), ("n", "cpl")] == 3


def test_format_mean_std_in_percent_with_seed_counts():
    assert format_mean_std(82.34, 0.81, 10) == "82.3±0.8"
    assert format_mean_std(82.34, 0.81, 2) == "82.3±0.8 (n=2)"
    assert format_mean_std(82.34, float("nan"), 1) == "82.3 (n=1)"
    assert format_mean_std(float("nan"), float("nan"), 0) == "–"


# --- Table 1 / 3 -------------------------------------------------------------------------------


def test_main_table_cells_bold_best_seed_counts_and_missing():
    table, _, _ = main_table(synthetic_results(), "test_gmean", METHODS)
    markdown = to_markdown(table)
    assert table_row(markdown, "Data") == ["CPL", "LA", "ARConvL"]
    assert table_row(markdown, "Mnist-10") == ["92.0±2.0 (n=3)", "96.0±1.4 (n=2)", "**98.0±0.0** (n=3)"]
    assert table_row(markdown, "Mnist-100") == ["82.0±2.0 (n=3)", "**86.0±1.0** (n=3)", "85.0±1.0 (n=3)"]
    assert table_row(markdown, "Fashion-10") == ["70.0±0.0 (n=3)", "–", "**91.0±1.0** (n=3)"]
    # With the paper's 10 seeds per cell, no count is shown.
    assert table_row(to_markdown(table, full_n=3), "Mnist-10") == ["92.0±2.0", "96.0±1.4 (n=2)", "**98.0±0.0**"]
    latex = to_latex(table)
    assert r"\textbf{86.0$\pm$1.0}" in latex and "82.0$\\pm$2.0" in latex
    assert "±" not in latex and r"\begin{tabular}{lccc}" in latex


def test_main_table_avg_ranks_over_complete_rows_by_hand():
    # Complete rows: Mnist-10 (ARConvL, LA, CPL), Mnist-100 (LA, ARConvL, CPL), Fashion-100 (ARConvL,
    # LA, CPL); Fashion-10 lacks LA. CPL 3, LA 5/3, ARConvL 4/3. Friedman χ² = 4.667, p = 0.097.
    table, _, tests = main_table(synthetic_results(), "test_gmean", METHODS)
    assert tests.n_rows == 3
    assert tests.avg_ranks == pytest.approx({"cpl": 3.0, "la": 5 / 3, "arconvl": 4 / 3})
    assert tests.friedman.statistic == pytest.approx(14 / 3)
    assert tests.friedman.pvalue == pytest.approx(math.exp(-7 / 3))
    markdown = to_markdown(table)
    assert table_row(markdown, "avgRank") == ["3", "1.667", "1.333"]  # not significant: no dagger
    assert "does not reject" in markdown and "over the 3 of 4 rows" in markdown


def test_main_table_on_the_papers_table1_reproduces_its_avg_ranks_and_tests():
    paper_ranks = {"cpl": 6.45, "gcpl": 6.825, "focal": 3.5, "cb": 5.2, "cb_focal": 3.25,
                   "affinity": 6.175, "la": 3.2, "arconvl": 1.4}
    table, _, tests = main_table(paper_results("paper-table1-gmean.tsv", TABLE1_METHODS), "test_gmean")
    assert tests.n_rows == 20
    for method, rank in paper_ranks.items():
        assert tests.avg_ranks[method] == pytest.approx(rank, abs=0.15), method
    assert tests.friedman.rejects(0.05)
    assert [m for m in TABLE1_METHODS if tests.significant(m)] == list(TABLE1_METHODS[:-1])
    cells = table_row(to_markdown(table), "avgRank")
    assert all(cell.endswith("†") for cell in cells[:-1]) and not cells[-1].endswith("†")


def test_table1_csv_is_machine_readable(tmp_path):
    paths = write_table1(synthetic_results(), tmp_path)
    assert sorted(p.name for p in paths) == ["table1_gmean.csv", "table1_gmean.md", "table1_gmean.tex",
                                             "table1_gmean_stats.csv"]
    cells = pd.read_csv(tmp_path / "table1_gmean.csv").set_index("data")
    assert cells.loc["Mnist-10", "la_mean_pct"] == pytest.approx(96.0)
    assert cells.loc["Mnist-10", "cpl_std_pct"] == pytest.approx(2.0)
    assert cells.loc["Mnist-10", "la_n"] == 2
    assert np.isnan(cells.loc["Fashion-10", "la_mean_pct"]) and cells.loc["Fashion-10", "la_n"] == 0
    stats = pd.read_csv(tmp_path / "table1_gmean_stats.csv").set_index("method")
    # Methods without any run (GCPL, …) are not ranked; the three others are, as by hand.
    assert stats.loc["arconvl", "avg_rank"] == pytest.approx(4 / 3) and stats.loc["cpl", "avg_rank"] == 3
    assert np.isnan(stats.loc["gcpl", "avg_rank"]) and not stats.loc["gcpl", "ranked"]
    assert "not ranked, without any finished run: GCPL, Focal, CB, CB Focal, Affinity." in (
        tmp_path / "table1_gmean.md").read_text()


# --- Table 2 / 4 -------------------------------------------------------------------------------


def test_ablation_table_pairwise_ranks_wilcoxon_and_bold():
    table, _, tests = ablation_table(synthetic_results(), "test_gmean")
    markdown = to_markdown(table)
    header = table_row(markdown, "Data")
    assert header[:3] == ["ARConvL", "beta=0", "beta=0.5"] and header[-1] == "ARC-C"
    beta0, sigma0 = header.index("beta=0"), header.index("sigma2=0")
    # beta=0 beats ARConvL only on Mnist-100: bold there, and ARConvL never bold.
    assert table_row(markdown, "Mnist-100")[:2] == ["85.0±1.0 (n=3)", "**87.0±0.0** (n=3)"]
    assert table_row(markdown, "Mnist-10")[:2] == ["98.0±0.0 (n=3)", "97.0±0.0 (n=3)"]
    assert table_row(markdown, "Fashion-10")[beta0] == "80.0 (n=1)"
    ranks = table_row(markdown, "avgRank (ARConvL/degraded)")
    assert ranks[beta0] == "1.25/1.75" and ranks[sigma0] == "2/1" and ranks[header.index("ARC-C")] == "–"
    # Differences 0.01, −0.02, 0.11, 0.06: signed ranks 1, 2, 4, 3 → T = 2, z = (2 − 5)/sqrt(7.5).
    p = math.erfc(3 / math.sqrt(7.5) / math.sqrt(2))
    assert tests[0].pvalue == pytest.approx(p)
    wilcoxon = table_row(markdown, "Wilcoxon p")
    assert wilcoxon[beta0] == f"{p:.2g}" == "0.27"
    assert wilcoxon[sigma0] == "–"  # one row with both results


def test_ablation_bold_marks_only_a_version_that_beats_the_control_outright():
    # Control 0.80: a tie is not bold, nor a missing mean (NaN), nor a worse one; 0.81 is.
    assert beats_control(np.array([0.80, 0.80, 0.81, np.nan, 0.79])) == [False, False, True, False, False]


def test_ablation_table_on_the_papers_numbers_reproduces_the_pairwise_ranks():
    results = pd.concat([paper_results("paper-table1-gmean.tsv", ["arconvl"]),
                         paper_results("paper-table2-ablation-gmean.tsv", ABLATION_METHODS)])
    paper_row = ["1.15/1.85", "1.4/1.6", "1.3/1.7", "1.25/1.75", "1.2/1.8", "1.25/1.75", "1.1/1.9"]
    _, _, tests = ablation_table(results, "test_gmean")
    for test, expected in zip(tests, paper_row):
        assert test.n_rows == 20
        assert test.control_rank == pytest.approx(float(expected.split("/")[0]), abs=0.1), test.method
    significant = {t.method for t in tests if t.pvalue < 0.05}
    assert {"arconvl_beta0", "arconvl_sigma0", "arc_c"} <= significant and "arconvl_beta0.5" not in significant


# --- comparison with the paper -----------------------------------------------------------------


def test_comparison_differences_in_points_and_paper_stds():
    comparison = compare_with_paper(synthetic_results())
    key = ["table", "data", "method"]
    rows = comparison.set_index(key)
    fashion = rows.loc[("Table 1", "Fashion-100", "arconvl")]
    assert (fashion["paper_mean_pct"], fashion["paper_std_pct"]) == (82.3, 0.8)
    assert fashion["ours_mean_pct"] == pytest.approx(80.7)
    assert fashion["diff_pct_points"] == pytest.approx(-1.6)
    assert fashion["diff_paper_stds"] == pytest.approx(-2.0)
    assert fashion["n"] == 3 and fashion["seeds"] == "0 1 2"
    assert (fashion["experiment"], fashion["profile"], fashion["variant"]) == ("table1", "smoke", "code")
    assert (fashion["epochs"], fashion["subsample"]) == ("3", "0.05")
    # Paper: ARConvL on Mnist-10 is 99.1±0.0; ours 98.0 → −1.1 points, −∞ paper stds.
    zero_std = rows.loc[("Table 1", "Mnist-10", "arconvl")]
    assert zero_std["diff_pct_points"] == pytest.approx(-1.1) and zero_std["diff_paper_stds"] == -math.inf
    # Class-wise accuracy (supp. Table 3) and the ablations (Table 2) are compared too.
    assert rows.loc[("Supp. Table 3", "Fashion-100", "arconvl"), "ours_mean_pct"] == pytest.approx(81.7)
    assert rows.loc[("Table 2", "Mnist-10", "arconvl_beta0"), "paper_mean_pct"] == 98.7
    assert ("Table 1", "Fashion-10", "la") not in rows.index  # no run, no row
    assert len(comparison) == 2 * (len(GMEANS) - 5) + 2 * 5  # every cell once per metric
    markdown = comparison_markdown(comparison)
    # No last-epoch columns in these results: the last-epoch cells are missing, not made up.
    assert "| Fashion-100 | ARConvL | 82.3±0.8 | 80.7±1.0 | 3 | −1.60 | −2.00 | – | – | table1 | smoke |" in markdown
    assert "| −1.10 | −∞ |" in markdown


def test_comparison_last_epoch_and_average_ranks_beside_the_paper():
    """Ours = the paper's means at the selected epoch and 100 − them at the last epoch: the selected
    ranks equal the paper's, the last epoch's are reversed (k + 1 − rank), on every complete row."""
    results = paper_results("paper-table1-gmean.tsv", TABLE1_METHODS)
    results["test_gmean_last"] = 1.0 - results["test_gmean"]
    ranks, rows = average_ranks_beside_paper(results)
    assert rows == [row["Data"] for row in read_table("paper-table1-gmean.tsv")]
    assert list(ranks.index) == [display_name(method) for method in TABLE1_METHODS]
    np.testing.assert_allclose(ranks["ours"], ranks["paper"])
    np.testing.assert_allclose(ranks["ours_last"], len(TABLE1_METHODS) + 1 - ranks["paper"])
    assert ranks.loc["ARConvL", "paper"] == min(ranks["paper"])  # the paper's headline
    cell = compare_with_paper(results).set_index(["table", "data", "method"]).loc[("Table 1", "Fashion-100", "cpl")]
    assert cell["ours_last_mean_pct"] == pytest.approx(100 - 75.1)
    assert cell["diff_last_paper_stds"] == pytest.approx((100 - 75.1 - 75.1) / 2.7)
    markdown = comparison_markdown(compare_with_paper(results), "", ranks, rows)
    assert f"## Average ranks on the {len(rows)} rows where every method is reproduced" in markdown
    assert table_row(markdown, "ARConvL")[-3:] == [f"{ranks.loc['ARConvL', c]:.2f}" for c in ranks.columns]
    # A row with a method missing is not ranked.
    assert average_ranks_beside_paper(results[results["method"] != "la"]) == (None, [])


def test_comparison_names_the_selected_epoch_of_each_seed_in_seed_order():
    results = synthetic_results()  # rows shuffled
    results["best_epoch"] = 10 * results["seed"] + 3 + (results["method"] == "cpl")
    rerun = results[(results["method"] == "arconvl") & (results["dataset"] == "fashion_mnist")
                    & (results["q"] == 100) & (results["seed"] == 1)].assign(best_epoch=40)
    comparison = compare_with_paper(pd.concat([results, rerun]))  # a re-run counts by its last row
    rows = comparison.set_index(["table", "data", "method"])
    assert rows.loc[("Table 1", "Fashion-100", "arconvl"), "selected_epochs"] == "3 40 23"
    assert rows.loc[("Supp. Table 3", "Mnist-10", "cpl"), "selected_epochs"] == "4 14 24"
    assert rows.loc[("Table 2", "Fashion-100", "arconvl_beta0"), "selected_epochs"] == "3 13"
    markdown = comparison_markdown(comparison)
    assert table_row(markdown, "Fashion-100")[-2:] == ["0 1 2", "4 14 24"]  # the row's first cell: CPL
    assert [line for line in markdown.splitlines() if line.startswith("| Fashion-100 | ARConvL |")
            ][0].endswith("| 0 1 2 | 3 40 23 |")
    # Results written without best_epoch: the cell is empty in the CSV and missing in the Markdown.
    bare = compare_with_paper(synthetic_results())
    assert set(bare["selected_epochs"]) == {""}
    assert table_row(comparison_markdown(bare), "Fashion-100")[-1] == "–"


def test_parse_mean_std_reads_paper_cells_and_rejects_others():
    assert parse_mean_std("82.3±0.8") == (82.3, 0.8)
    assert parse_mean_std("54.1 ± 34.8") == (54.1, 34.8)
    with pytest.raises(DataError):
        parse_mean_std("82.3")


# --- figures -----------------------------------------------------------------------------------


def test_figure_has_one_panel_per_family_with_results_and_highlights_arconvl():
    results = synthetic_results()
    figure = metric_vs_q_figure(results[results["dataset"] == "mnist"], "test_gmean")
    assert [ax.get_title() for ax in figure.axes] == ["Mnist"]
    figure = metric_vs_q_figure(results, "test_classwise_acc")
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == ["Mnist", "Fashion"]
    assert axes[0].get_ylabel() == "Class-wise accuracy (%)"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["1", "10", "20", "50", "100"]
    lines = {line.get_label(): line for line in axes[0].get_lines()}
    assert set(lines) == {"CPL", "LA", "ARConvL"}
    assert lines["ARConvL"].get_linewidth() > lines["LA"].get_linewidth()
    np.testing.assert_allclose(lines["ARConvL"].get_ydata(), [99.0, 86.0])  # accuracy = G-mean + 1 point
    np.testing.assert_allclose(lines["ARConvL"].get_xdata(), [1, 4])  # q = 10, 100 on the categorical axis


def test_fig4_writes_a_png_and_a_pdf(tmp_path):
    png, pdf = write_fig4(synthetic_results(), tmp_path)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.read_bytes().startswith(b"%PDF")


# --- files -------------------------------------------------------------------------------------


def test_write_reports_writes_every_file(tmp_path):
    results = synthetic_results().drop(columns="experiment")
    by_experiment = {
        "table1": results[~results["method"].isin(ABLATION_METHODS)],
        "table2": results[results["method"].isin(ABLATION_METHODS)],
    }
    paths = write_reports(by_experiment, tmp_path / "out")
    stems = ["table1_gmean", "table3_classwise_accuracy", "table2_ablation_gmean",
             "table4_ablation_classwise_accuracy"]
    expected = {f"{s}.{ext}" for s in stems for ext in ("md", "tex", "csv")} | {f"{s}_stats.csv" for s in stems}
    expected |= {"comparison_with_paper.md", "comparison_with_paper.csv", "fig4_gmean.png", "fig4_gmean.pdf",
                 "supp_fig1_classwise_accuracy.png", "supp_fig1_classwise_accuracy.pdf"}
    assert {p.name for p in paths} == expected
    assert {p.name for p in (tmp_path / "out").iterdir()} == expected
    assert all(p.stat().st_size > 0 for p in paths)
    assert "| Mnist-10 | 93.0±2.0 (n=3) |" in (tmp_path / "out" / "table3_classwise_accuracy.md").read_text()
    comparison = pd.read_csv(tmp_path / "out" / "comparison_with_paper.csv")
    assert set(comparison["experiment"]) == {"table1", "table2"}  # named from the dict keys


def test_write_reports_skips_reports_without_runs(tmp_path):
    results = synthetic_results()
    paths = write_reports({"table1": results[results["method"].isin(METHODS)]}, tmp_path)
    assert not any("ablation" in p.name for p in paths) and any(p.name == "table1_gmean.md" for p in paths)
    with pytest.raises(ConfigError, match="unknown report"):
        write_reports({"table1": results}, tmp_path, reports=["table9"])


def test_read_results_round_trip_and_missing_column(tmp_path):
    path = tmp_path / "results.csv"
    synthetic_results().to_csv(path, index=False)
    results = read_results(path)
    assert results["q"].dtype == np.int64 and results["test_gmean"].dtype == np.float64
    assert len(results) == sum(len(v) for v in GMEANS.values())
    synthetic_results().drop(columns="test_classwise_acc").to_csv(path, index=False)
    with pytest.raises(DataError, match="lacks the column.*test_classwise_acc"):
        read_results(path)
    synthetic_results().assign(q="ten").to_csv(path, index=False)
    with pytest.raises(DataError, match="'q' holds non-integer"):
        read_results(path)
    with pytest.raises(DataError, match="does not exist"):
        read_results(tmp_path / "absent.csv")


# --- smoke runs are marked as such ---------------------------------------------------------------

SMOKE_BANNER = ("Smoke run (profile smoke: 3 epochs on a 5% subsample of every split, seeds 0, 1, 2), "
                "not the paper's protocol")


def test_every_report_of_smoke_runs_opens_with_a_banner_naming_its_epochs_and_subsample(tmp_path):
    paths = write_reports({"table1": synthetic_results()}, tmp_path)
    markdowns = [p for p in paths if p.suffix == ".md"]
    assert len(markdowns) == 5  # four tables and the comparison
    for path in markdowns:
        banner = next(line for line in path.read_text().splitlines() if line.startswith("> "))
        protocol = "(profile paper: the full schedule on all the data, 10 seeds)"
        assert banner.startswith(f"> **{SMOKE_BANNER} {protocol}"), path
    assert to_markdown(main_table(synthetic_results())[0]).startswith(f"> **{SMOKE_BANNER}")
    latex = (tmp_path / "table1_gmean.tex").read_text()
    assert r"\textbf{Smoke run (profile smoke: 3 epochs on a 5\% subsample" in latex
    figure = metric_vs_q_figure(synthetic_results(), "test_gmean")
    assert figure.get_suptitle().startswith(SMOKE_BANNER + "\nPerformance deterioration")


def test_runs_of_the_papers_protocol_carry_no_banner_and_a_subsample_alone_makes_one():
    full = synthetic_results().assign(profile="fashion", epochs=50, subsample=1.0)  # the protocol, fewer sets
    assert not to_markdown(main_table(full)[0]).startswith(">")
    assert not to_markdown(ablation_table(full)[0]).startswith(">")
    assert metric_vs_q_figure(full, "test_gmean").get_suptitle().startswith("Performance deterioration")
    one_seed = full.assign(subsample=0.5)[lambda frame: frame["seed"] == 0]  # not named smoke, yet reduced
    assert to_markdown(main_table(one_seed)[0]).startswith(
        "> **Smoke run (profile fashion: 50 epochs on a 50% subsample of every split, seed 0), not the paper's")


# --- consistency with the rest of the project --------------------------------------------------


def test_method_names_are_registered_and_named_as_in_the_paper():
    from arconvl.losses.registry import METHODS

    assert set(TABLE1_METHODS + ABLATION_METHODS) <= set(METHODS)
    headers = read_table("paper-table1-gmean.tsv")[0].keys() | read_table("paper-table2-ablation-gmean.tsv")[0].keys()
    assert {display_name(m) for m in TABLE1_METHODS + ABLATION_METHODS} == headers - {"Data"}


def test_reports_import_neither_tensorflow_nor_pyplot():
    code = "import sys, arconvl.reports; assert not {'tensorflow', 'matplotlib.pyplot'} & set(sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env, timeout=60)
