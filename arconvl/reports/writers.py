"""The file-writing edge: one writer per report, and ``write_reports`` for all of them.

Each writer takes a results DataFrame (rows of finished runs) and an output folder, writes its
files and returns their paths; it writes nothing (returns []) when none of its methods has a
finished run. File names:

    table1_gmean.{md,tex,csv}, table1_gmean_stats.csv
    table3_classwise_accuracy.{md,tex,csv}, table3_classwise_accuracy_stats.csv
    table2_ablation_gmean.{md,tex,csv}, table2_ablation_gmean_stats.csv
    table4_ablation_classwise_accuracy.{md,tex,csv}, table4_ablation_classwise_accuracy_stats.csv
    comparison_with_paper.{md,csv}
    fig4_gmean.{png,pdf}, supp_fig1_classwise_accuracy.{png,pdf}

``*.csv`` beside a table holds its cells (per method ``<method>_mean_pct``, ``_std_pct``, ``_n``);
``*_stats.csv`` its avg ranks and test results.
"""

from pathlib import Path

import pandas as pd

from arconvl.errors import ConfigError
from arconvl.reports.ablation_table import ablation_table, ablation_table_csv, pair_tests_csv
from arconvl.reports.comparison import average_ranks_beside_paper, compare_with_paper, comparison_markdown
from arconvl.reports.curves import read_histories, training_curves_figure
from arconvl.reports.figures import metric_vs_q_figure
from arconvl.reports.main_table import main_table, main_table_csv, rank_tests_csv
from arconvl.reports.names import ABLATION_METHODS, CONTROL_METHOD, TABLE1_METHODS
from arconvl.reports.provenance import smoke_banner
from arconvl.reports.render import to_latex, to_markdown
from arconvl.reports.results import check_results, finished_runs

GMEAN, CLASSWISE = "test_gmean", "test_classwise_acc"

TITLES = {
    "table1": "Table 1. G-means (%) of the investigated methods.",
    "table3": "Supplementary Table 3. Class-wise accuracies (%) of the investigated methods.",
    "table2": "Table 2. G-means (%) of ARConvL and its degraded versions.",
    "table4": "Supplementary Table 4. Class-wise accuracies (%) of ARConvL and its degraded versions.",
}


def _has_runs(results, metric, methods):
    runs = finished_runs(results, metric)
    return runs["method"].isin(list(methods)).any()


def _write_text(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _write_csv(path, frame):
    frame.to_csv(path, index=False)
    return path


def _write_table(out_dir, stem, table, cells_csv, stats_csv):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _write_text(out_dir / f"{stem}.md", to_markdown(table)),
        _write_text(out_dir / f"{stem}.tex", to_latex(table)),
        _write_csv(out_dir / f"{stem}.csv", cells_csv),
        _write_csv(out_dir / f"{stem}_stats.csv", stats_csv),
    ]


def write_main_table(results, out_dir, metric, stem, title=None, methods=TABLE1_METHODS):
    if not _has_runs(results, metric, methods):
        return []
    table, summary, tests = main_table(results, metric, methods, title=title)
    return _write_table(out_dir, stem, table, main_table_csv(summary, methods), rank_tests_csv(tests))


def write_ablation_table(results, out_dir, metric, stem, title=None, ablations=ABLATION_METHODS):
    if not _has_runs(results, metric, ablations):
        return []
    table, summary, tests = ablation_table(results, metric, ablations, title=title)
    cells = ablation_table_csv(summary, [CONTROL_METHOD, *ablations])
    return _write_table(out_dir, stem, table, cells, pair_tests_csv(tests))


def write_table1(results, out_dir):
    return write_main_table(results, out_dir, GMEAN, "table1_gmean", TITLES["table1"])


def write_table3(results, out_dir):
    return write_main_table(results, out_dir, CLASSWISE, "table3_classwise_accuracy", TITLES["table3"])


def write_table2(results, out_dir):
    return write_ablation_table(results, out_dir, GMEAN, "table2_ablation_gmean", TITLES["table2"])


def write_table4(results, out_dir):
    return write_ablation_table(results, out_dir, CLASSWISE, "table4_ablation_classwise_accuracy",
                                TITLES["table4"])


def write_comparison(results, out_dir):
    comparison = compare_with_paper(results)
    if comparison.empty:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ranks, rank_rows = average_ranks_beside_paper(results)
    markdown = comparison_markdown(comparison, smoke_banner(results), ranks, rank_rows)
    return [
        _write_text(out_dir / "comparison_with_paper.md", markdown),
        _write_csv(out_dir / "comparison_with_paper.csv", comparison),
    ]


def save_figure(figure, out_dir, stem):
    """``figure`` as ``out_dir/<stem>.png`` (150 dpi) and ``<stem>.pdf``; returns both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    figure.savefig(paths[0], dpi=150, bbox_inches="tight")  # never clip the title or the legend
    figure.savefig(paths[1], bbox_inches="tight")
    return paths


def write_metric_vs_q(results, out_dir, metric, stem, methods=TABLE1_METHODS, **options):
    """The figure as ``<stem>.png`` and ``<stem>.pdf``."""
    if not _has_runs(results, metric, methods):
        return []
    return save_figure(metric_vs_q_figure(results, metric, methods, **options), out_dir, stem)


def write_fig4(results, out_dir, **options):
    return write_metric_vs_q(results, out_dir, GMEAN, "fig4_gmean", **options)


def write_supp_fig1(results, out_dir, **options):
    return write_metric_vs_q(results, out_dir, CLASSWISE, "supp_fig1_classwise_accuracy", **options)


def write_training_curves(runs_dir, out_dir, stem="fig5_training_curves"):
    """Fig. 5 from the run directories under ``runs_dir``: ``<stem>.png`` / ``.pdf`` in ``out_dir``
    ([] when no run has a history yet)."""
    histories = read_histories(runs_dir)
    if histories.empty:
        return []
    return save_figure(training_curves_figure(histories), out_dir, stem)


# Report name → writer(results, out_dir); per-table scripts call one of these.
REPORT_WRITERS = {
    "table1": write_table1,
    "table3": write_table3,
    "table2": write_table2,
    "table4": write_table4,
    "comparison": write_comparison,
    "fig4": write_fig4,
    "supp_fig1": write_supp_fig1,
}


def combine_results(results_by_experiment):
    """One DataFrame of all experiments' rows; ``experiment`` filled from the dict key where absent.

    Runs are then keyed by (dataset, q, method, seed) across experiments: a run listed twice
    counts once, by the row of the later experiment in the dict.
    """
    frames = []
    for name, frame in results_by_experiment.items():
        frame = check_results(frame, source=f"results of experiment {name!r}")
        if "experiment" not in frame.columns:
            frame["experiment"] = name
        else:
            frame["experiment"] = frame["experiment"].fillna(name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["experiment", "dataset", "q", "method", "seed", GMEAN, CLASSWISE])
    return pd.concat(frames, ignore_index=True, sort=False)


def write_reports(results_by_experiment, out_dir, reports=tuple(REPORT_WRITERS)):
    """Write every report in ``reports`` that has data into ``out_dir``; the paths written."""
    unknown = [name for name in reports if name not in REPORT_WRITERS]
    if unknown:
        raise ConfigError(f"unknown report(s) {', '.join(unknown)}; choose from {', '.join(REPORT_WRITERS)}")
    results = combine_results(results_by_experiment)
    paths = []
    for name in reports:
        paths += REPORT_WRITERS[name](results, Path(out_dir))
    return paths
