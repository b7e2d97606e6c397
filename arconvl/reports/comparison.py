"""Every reproduced cell beside the paper's: ours − paper in % points and in units of the paper's std.

For each of the paper's four result tables, each (dataset-q, method) cell with at least one
finished seed gives one row: the paper's mean±std (from ``arconvl/paper/*.tsv``), ours (mean, std,
n), the difference, the same for the last epoch's weights (``*_last`` columns of ``run.csv``: what
the selected epoch is compared with), and, naming what produced our cell, its experiment(s),
profile(s), variant(s), epochs, training-data subsample and seeds, with the epoch that validation
selected in each seed (an early selection can explain a selected epoch below the last).
``average_ranks_beside_paper``
ranks the methods on the rows where every one of them is reproduced, ours (selected and last epoch)
beside the paper's ranks on the same rows. ARConvL has no column in the ablation tables, so its
cells appear under Tables 1 and 3 only. When the paper's std is 0.0 (as printed), the difference in
std units is ±inf, or 0 when the means are equal.
"""

import math
import re
from dataclasses import dataclass

import pandas as pd

from arconvl.errors import DataError
from arconvl.paper import read_table
from arconvl.reports.names import ABLATION_METHODS, TABLE1_METHODS, display_name, metric_label, row_label
from arconvl.reports.render import MISSING, format_mean_std
from arconvl.reports.results import finished_runs
from arconvl.reports.summary import complete_rows, summarise
from arconvl.stats.ranks import average_ranks


@dataclass(frozen=True)
class PaperTable:
    name: str
    filename: str
    metric: str
    methods: tuple

    @property
    def last_metric(self):
        """The same metric of the last epoch's weights (``test_gmean`` → ``test_gmean_last``)."""
        return f"{self.metric}_last"


PAPER_TABLES = (
    PaperTable("Table 1", "paper-table1-gmean.tsv", "test_gmean", TABLE1_METHODS),
    PaperTable("Supp. Table 3", "supp-table3-classwise-accuracy.tsv", "test_classwise_acc", TABLE1_METHODS),
    PaperTable("Table 2", "paper-table2-ablation-gmean.tsv", "test_gmean", ABLATION_METHODS),
    PaperTable("Supp. Table 4", "supp-table4-ablation-classwise-accuracy.tsv", "test_classwise_acc",
               ABLATION_METHODS),
)

_CELL = re.compile(r"\s*(?P<mean>-?\d+(?:\.\d+)?)\s*(?:±|\+-|\+/-)\s*(?P<std>\d+(?:\.\d+)?)\s*")

# Columns of the results that name the configuration behind a cell, as shown in the comparison.
SOURCE_COLUMNS = ("experiment", "profile", "variant", "epochs", "subsample")


def parse_mean_std(text):
    """(mean, std) of a paper cell such as "82.3±0.8"; DataError when it is not one."""
    match = _CELL.fullmatch(text or "")
    if match is None:
        raise DataError(f"cannot read {text!r} as mean±std")
    return float(match["mean"]), float(match["std"])


def paper_cells(paper_table):
    """{(row label, method): (mean, std)} of one of the paper's tables, in percent."""
    cells = {}
    for row in read_table(paper_table.filename):
        for method in paper_table.methods:
            text = row.get(display_name(method))
            if text is not None:
                cells[(row["Data"], method)] = parse_mean_std(text)
    return cells


def std_units(difference, paper_std):
    """``difference / paper_std``; with a zero paper std: ±inf, or 0 when the difference is 0."""
    if paper_std > 0:
        return difference / paper_std
    if difference == 0:
        return 0.0
    return math.copysign(math.inf, difference)


def _sources(runs):
    """{(dataset, q, method): {column: "a;b"}} naming the experiment, profile, … behind each cell, and
    under ``selected_epochs`` each seed's best-validation epoch in seed order ("e e …"; empty for
    results written without ``best_epoch``)."""
    columns = [c for c in SOURCE_COLUMNS if c in runs.columns]
    sources = {}
    for key, group in runs.sort_values("seed").groupby(["dataset", "q", "method"], sort=False):
        sources[key] = {
            c: ";".join(sorted({str(v) for v in group[c] if not pd.isna(v)})) for c in columns
        }
        if "best_epoch" in group.columns:
            sources[key]["selected_epochs"] = " ".join(
                MISSING if pd.isna(epoch) else str(int(epoch)) for epoch in group["best_epoch"])
    return sources


def compare_with_paper(results, tables=PAPER_TABLES):
    """One row per reproduced cell of the paper's tables (see the module docstring), in percent."""
    rows = []
    for paper_table in tables:
        paper = paper_cells(paper_table)
        summary = summarise(results, paper_table.metric, paper_table.methods)
        last = _last_epoch_summary(results, paper_table)
        runs = finished_runs(results, paper_table.metric)
        sources = _sources(runs[runs["method"].isin(paper_table.methods)])
        for dataset, q in summary.index:
            label = row_label(dataset, q)
            for method in paper_table.methods:
                n = int(summary.at[(dataset, q), ("n", method)])
                if n == 0 or (label, method) not in paper:
                    continue
                paper_mean, paper_std = paper[(label, method)]
                mean = 100 * float(summary.at[(dataset, q), ("mean", method)])
                std = 100 * float(summary.at[(dataset, q), ("std", method)])
                difference = mean - paper_mean
                last_mean, last_std = _percent_cell(last, (dataset, q), method)
                source = sources.get((dataset, q, method), {})
                rows.append({
                    "table": paper_table.name,
                    "metric": paper_table.metric,
                    "data": label,
                    "dataset": dataset,
                    "q": int(q),
                    "method": method,
                    "display_name": display_name(method),
                    "paper_mean_pct": paper_mean,
                    "paper_std_pct": paper_std,
                    "ours_mean_pct": mean,
                    "ours_std_pct": std,
                    "n": n,
                    "diff_pct_points": difference,
                    "diff_paper_stds": std_units(difference, paper_std),
                    "ours_last_mean_pct": last_mean,
                    "ours_last_std_pct": last_std,
                    "diff_last_paper_stds": std_units(last_mean - paper_mean, paper_std),
                    **{c: source.get(c, "") for c in SOURCE_COLUMNS},
                    "seeds": " ".join(str(s) for s in summary.at[(dataset, q), ("seeds", method)]),
                    "selected_epochs": source.get("selected_epochs", ""),
                })
    columns = ["table", "metric", "data", "dataset", "q", "method", "display_name", "paper_mean_pct",
               "paper_std_pct", "ours_mean_pct", "ours_std_pct", "n", "diff_pct_points",
               "diff_paper_stds", "ours_last_mean_pct", "ours_last_std_pct", "diff_last_paper_stds",
               *SOURCE_COLUMNS, "seeds", "selected_epochs"]
    return pd.DataFrame(rows, columns=columns)


def _last_epoch_summary(results, paper_table):
    """``summarise`` of the last epoch's metric, or None for results written before it was recorded."""
    if paper_table.last_metric not in results.columns:
        return None
    return summarise(results, paper_table.last_metric, paper_table.methods)


def _percent_cell(summary, row, method):
    """(mean, std) in % of one cell of a summary; NaN where it has none."""
    if summary is None or row not in summary.index or summary.at[row, ("n", method)] == 0:
        return math.nan, math.nan
    return 100 * float(summary.at[row, ("mean", method)]), 100 * float(summary.at[row, ("std", method)])


def average_ranks_beside_paper(results, paper_table=PAPER_TABLES[0]):
    """Average ranks of ``paper_table``'s methods over the rows where every method has a finished seed:
    a DataFrame indexed by method with columns ``ours`` (selected epoch), ``ours_last`` (last epoch)
    and ``paper`` (the paper's means on the same rows), and the row labels; (None, []) without such a
    row. Ranks are taken on unrounded means, the paper's on its printed ones (ties share a rank)."""
    methods = list(paper_table.methods)
    summary = complete_rows(summarise(results, paper_table.metric, methods), methods)
    if summary.empty:
        return None, []
    labels = [row_label(dataset, q) for dataset, q in summary.index]
    paper = paper_cells(paper_table)
    if any((label, method) not in paper for label in labels for method in methods):
        return None, []
    columns = {"ours": summary["mean"][methods].to_numpy(float),
               "paper": [[paper[(label, method)][0] for method in methods] for label in labels]}
    last = _last_epoch_summary(results, paper_table)
    if last is not None and not last.loc[summary.index, "mean"][methods].isna().any().any():
        columns["ours_last"] = last.loc[summary.index, "mean"][methods].to_numpy(float)
    ranks = pd.DataFrame({name: average_ranks(table) for name, table in columns.items()}, index=methods)
    ranks.index = [display_name(method) for method in methods]
    return ranks, labels


def format_signed(value, digits):
    """``value`` with its sign, a true minus and ``digits`` decimals; ±∞ as such, NaN as missing."""
    if math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    text = f"{value:+.{digits}f}"
    return text.replace("-", "−")


def comparison_markdown(comparison, banner="", ranks=None, rank_rows=()):
    """The comparison as Markdown: one section per table, one line per cell; ``banner`` (when set, e.g.
    ``provenance.smoke_banner`` of the results) a paragraph under the title; ``ranks`` and
    ``rank_rows`` (``average_ranks_beside_paper``) a closing section of average ranks."""
    lines = ["# Reproduced cells vs the paper", ""]
    if banner:
        lines += [f"> **{banner}**", ""]
    lines += [
        "Ours: mean±std (sample std, ddof=1) in % over the n finished seeds. Difference = ours − paper, "
        "in % points and in units of the paper's std (±∞ where the paper prints a std of 0.0). "
        "Selected epochs: the epoch of best validation G-mean in each seed, in the order of the seeds.",
    ]
    if comparison.empty:
        lines += ["", "No reproduced cell yet."]
    for name, group in comparison.groupby("table", sort=False):
        lines += [
            "",
            f"## {name}: {metric_label(group['metric'].iloc[0])}",
            "",
            "| Data | Method | Paper | Ours | n | Ours − paper (pp) | In paper stds | Ours, last epoch "
            "| Last: in paper stds | Experiment | Profile | Variant | Epochs | Subsample | Seeds | Selected epochs |",
            "|:---|:---|---:|---:|---:|---:|---:|---:|---:|:---|:---|:---|---:|---:|:---|:---|",
        ]
        for r in group.itertuples(index=False):
            paper = f"{r.paper_mean_pct:.1f}±{r.paper_std_pct:.1f}"
            ours = format_mean_std(r.ours_mean_pct, r.ours_std_pct, r.n, full_n=0)
            last = MISSING if math.isnan(r.ours_last_mean_pct) else format_mean_std(
                r.ours_last_mean_pct, r.ours_last_std_pct, r.n, full_n=0)
            cells = [r.data, r.display_name, paper, ours, str(r.n), format_signed(r.diff_pct_points, 2),
                     format_signed(r.diff_paper_stds, 2), last, format_signed(r.diff_last_paper_stds, 2),
                     r.experiment or MISSING, r.profile or MISSING,
                     r.variant or MISSING, r.epochs or MISSING, r.subsample or MISSING, r.seeds,
                     r.selected_epochs or MISSING]
            lines.append("| " + " | ".join(cells) + " |")
    if ranks is not None:
        lines += ["", f"## Average ranks on the {len(rank_rows)} rows where every method is reproduced "
                  f"({', '.join(rank_rows)})", "",
                  "Rank 1 = best G-mean of its row, ties averaged; the paper's ranks are taken on its printed "
                  "means of the same rows.", "", ranks_markdown(ranks)]
    return "\n".join(lines) + "\n"


def ranks_markdown(ranks):
    """``average_ranks_beside_paper``'s ranks as a Markdown table: one line per method, two decimals."""
    lines = ["| Method | " + " | ".join(RANK_HEADERS[c] for c in ranks.columns) + " |",
             "|:---|" + "---:|" * len(ranks.columns)]
    for method, values in ranks.iterrows():
        lines.append(f"| {method} | " + " | ".join(f"{value:.2f}" for value in values) + " |")
    return "\n".join(lines)


RANK_HEADERS = {"ours": "Ours (selected epoch)", "ours_last": "Ours (last epoch)", "paper": "Paper"}
