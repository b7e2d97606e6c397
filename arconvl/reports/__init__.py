"""Tables, figures and the comparison with the paper, from results rows (SPEC §6–§7).

Reads top-down as the pipeline: ``results`` (read and check the one-row-per-run CSV) →
``summary`` (mean, std, n, seeds per cell) and ``provenance`` (the banner of smoke runs) →
``main_table`` (Table 1 / supp. Table 3) and ``ablation_table`` (Table 2 / supp. Table 4),
rendered by ``render`` (Markdown, LaTeX) → ``comparison`` (every cell vs the paper) → ``figures``
(Fig. 4 / supp. Fig. 1) → ``writers`` (the only module that writes files). Everything but
``writers`` is pure: DataFrames in, DataFrames / strings / Figures out.
"""

from arconvl.reports.ablation_table import ablation_table
from arconvl.reports.comparison import (
    average_ranks_beside_paper,
    compare_with_paper,
    comparison_markdown,
    parse_mean_std,
)
from arconvl.reports.figures import metric_vs_q_figure
from arconvl.reports.main_table import main_table
from arconvl.reports.render import format_mean_std, to_latex, to_markdown
from arconvl.reports.results import REQUIRED_COLUMNS, check_results, finished_runs, read_results
from arconvl.reports.summary import summarise
from arconvl.reports.writers import (
    REPORT_WRITERS,
    combine_results,
    write_comparison,
    write_fig4,
    write_reports,
    write_supp_fig1,
    write_table1,
    write_table2,
    write_table3,
    write_table4,
)

__all__ = [
    "REPORT_WRITERS",
    "REQUIRED_COLUMNS",
    "ablation_table",
    "check_results",
    "combine_results",
    "average_ranks_beside_paper",
    "compare_with_paper",
    "comparison_markdown",
    "finished_runs",
    "format_mean_std",
    "main_table",
    "metric_vs_q_figure",
    "parse_mean_std",
    "read_results",
    "summarise",
    "to_latex",
    "to_markdown",
    "write_comparison",
    "write_fig4",
    "write_reports",
    "write_supp_fig1",
    "write_table1",
    "write_table2",
    "write_table3",
    "write_table4",
]
