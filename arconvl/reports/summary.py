"""Mean, std, number of finished seeds and the seeds themselves, per (dataset, q) row and method."""

import numpy as np
import pandas as pd

from arconvl.reports.names import dataset_sort_key
from arconvl.reports.results import finished_runs

STATISTICS = ("mean", "std", "n", "seeds")

# Sample standard deviation (divide by n - 1), as pandas does by default; the paper does not say
# which it used. With one finished seed the std is undefined (NaN) and tables print the mean only.
STD_DDOF = 1


def summarise(results, metric, methods):
    """Per (dataset, q) row × method: mean, std (ddof=1), n finished seeds and the sorted seeds.

    Returns a DataFrame indexed by (dataset, q), rows ordered by dataset family (the paper's order,
    then others by name) then q; columns a MultiIndex (statistic, method) with statistics
    ``mean, std, n, seeds`` and methods in the order given. Values stay in the metric's units
    (fractions). Only rows where at least one of ``methods`` has a finished run appear; a method
    without runs in a row has mean and std NaN, n 0 and seeds ().
    """
    methods = list(methods)
    runs = finished_runs(results, metric)
    runs = runs[runs["method"].isin(methods)]
    groups = runs.groupby(["dataset", "q", "method"], sort=False)[metric]
    cells = pd.DataFrame({
        "mean": groups.mean(),
        "std": groups.std(ddof=STD_DDOF),
        "n": groups.count(),
    })
    seeds = runs.groupby(["dataset", "q", "method"], sort=False)["seed"].agg(
        lambda values: tuple(sorted(int(v) for v in values))
    )
    rows = sorted(
        {(dataset, int(q)) for dataset, q, _ in cells.index},
        key=lambda row: (dataset_sort_key(row[0]), row[1]),
    )
    index = pd.MultiIndex.from_tuples(rows, names=["dataset", "q"])
    columns = pd.MultiIndex.from_product([STATISTICS, methods], names=["statistic", "method"])
    summary = pd.DataFrame(index=index, columns=columns, dtype=object)
    for method in methods:
        for row in rows:
            key = (*row, method)
            if key in cells.index:
                cell = cells.loc[key]
                values = (float(cell["mean"]), float(cell["std"]), int(cell["n"]), seeds.loc[key])
            else:
                values = (np.nan, np.nan, 0, ())
            for statistic, value in zip(STATISTICS, values):
                summary.at[row, (statistic, method)] = value
    for statistic, dtype in (("mean", "float64"), ("std", "float64"), ("n", "int64")):
        for method in methods:
            summary[(statistic, method)] = summary[(statistic, method)].astype(dtype)
    return summary


def complete_rows(summary, methods):
    """The rows of ``summary`` where every one of ``methods`` has at least one finished seed."""
    counts = summary["n"][list(methods)]
    return summary[(counts >= 1).all(axis=1)]
