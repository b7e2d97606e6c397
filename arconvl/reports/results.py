"""The results schema (one row per finished run) read, checked and reduced to one row per run.

Every table, figure and comparison starts from a DataFrame of such rows: ``dataset, q, method,
seed`` name the run, metrics are fractions in [0, 1], and the run's configuration sits beside them
(``experiment, profile, variant, epochs, …, param.NAME``).
"""

import dataclasses
import functools
from pathlib import Path

import pandas as pd

from arconvl.errors import DataError

KEY_COLUMNS = ("dataset", "q", "method", "seed")
METRIC_COLUMNS = ("test_gmean", "test_classwise_acc")
REQUIRED_COLUMNS = KEY_COLUMNS + METRIC_COLUMNS

# Columns of a results row that are no field of ``RunConfig`` but must agree between seeds too.
OTHER_CONFIG_COLUMNS = ("profile",)
# Fields of ``RunConfig`` that may differ between the seeds of one cell: the Keras backend draws the
# same protocol's data order from another random stream, as another seed does (rows written before
# it was recorded have no such column).
POOLED_COLUMNS = ("backend",)


@functools.cache
def config_columns():
    """The columns that must agree between the seeds of one (dataset, q, method) cell, for a mean
    over runs of different configurations (a smoke profile and the full one, say) is meaningless:
    ``OTHER_CONFIG_COLUMNS`` and every field of ``RunConfig`` (each run option of
    ``options.RUN_OPTIONS`` and the settings resolved from them) but the run's key, the options that
    change speed only (``speed_only``), the ``POOLED_COLUMNS`` and the method parameters (compared as
    their param.NAME columns)."""
    from arconvl.run.config import RunConfig  # noqa: PLC0415 - the run layer imports Keras; reading results does not

    def compared(item):
        option = item.metadata.get("option")
        return (item.name not in (*KEY_COLUMNS, "method_params", *POOLED_COLUMNS)
                and not (option and option.speed_only))

    return (*OTHER_CONFIG_COLUMNS, *(item.name for item in dataclasses.fields(RunConfig) if compared(item)))


def read_results(path, required=REQUIRED_COLUMNS):
    """The results CSV at ``path`` as a checked DataFrame (see ``check_results``)."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"results file {path} does not exist") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"results file {path} is not a readable CSV: {error}") from None
    except OSError as error:  # a directory, a link loop, no permission
        raise DataError(f"results file {path} cannot be read: {error.strerror or error}") from None
    return check_results(frame, required=required, source=str(path))


def check_results(frame, required=REQUIRED_COLUMNS, source="results"):
    """A copy of ``frame`` with ``q`` and ``seed`` as integers and the metric columns as floats.

    Raises DataError naming ``source`` when a required column is missing or holds bad values.
    """
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataError(
            f"{source} lacks the column(s) {', '.join(missing)}; "
            f"a results table needs {', '.join(required)}"
        )
    frame = frame.copy()
    for column in ("q", "seed"):
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() | (values != values.round())
            if bad.any():
                raise DataError(f"{source}: column {column!r} holds non-integer values, "
                                f"e.g. {frame.loc[bad, column].iloc[0]!r}")
            frame[column] = values.astype("int64")
    numeric = METRIC_COLUMNS + ("test_gmean_last", "test_classwise_acc_last", "val_gmean")
    numeric += tuple(c for c in required if c not in KEY_COLUMNS and c not in numeric)
    for column in numeric:
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() & frame[column].notna()
            if bad.any():
                raise DataError(f"{source}: column {column!r} holds non-numeric values, "
                                f"e.g. {frame.loc[bad, column].iloc[0]!r}")
            frame[column] = values.astype("float64")
    for column in ("dataset", "method"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str).str.strip()  # " cpl" (a spreadsheet's) is cpl
    return frame


def finished_runs(results, metric):
    """One row per run (dataset, q, method, seed) that has a value of ``metric``.

    A run listed twice (a re-run appended to the same CSV) counts once, by its last row. Raises
    DataError when the seeds of one (dataset, q, method) cell differ in a configuration column.
    """
    results = check_results(results, required=KEY_COLUMNS + (metric,))
    runs = results[results[metric].notna()]
    runs = runs.drop_duplicates(subset=list(KEY_COLUMNS), keep="last")
    _check_one_configuration_per_cell(runs)
    return runs.reset_index(drop=True)


def _check_one_configuration_per_cell(runs):
    columns = [c for c in runs.columns if c in config_columns() or c.startswith("param.")]
    if not columns or runs.empty:
        return
    counts = runs.groupby(["dataset", "q", "method"], sort=False)[columns].nunique(dropna=False)
    mixed = counts[(counts > 1).any(axis=1)]
    if not mixed.empty:
        (dataset, q, method), row = next(mixed.iterrows())
        differing = [column for column in columns if row[column] > 1]
        raise DataError(
            f"the runs of {method} on {dataset} q={q} differ in {', '.join(differing)}; "
            "select the rows of one configuration before reporting them"
        )
