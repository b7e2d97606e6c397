"""An experiment's results CSV: one row per finished run (the ``run.csv`` schema with ``experiment``
and ``profile`` in front), shared safely by concurrent writers.

Every append happens under an exclusive lock on a side file and rewrites the CSV through a
temporary file and a rename, so readers never see a partial row and rows with new columns
(another method's parameters) widen the header instead of breaking it. Runs are told apart by
typed keys: a spreadsheet that rewrote q = 10 as ``10.0`` or seed 0 as `` 0`` names the same run.
"""

import csv
import os
from pathlib import Path

from arconvl.errors import DataError
from arconvl.run.files import file_lock, read_csv_rows, rows_to_csv, write_atomically

ADVICE = "move it away or choose another --results-dir"

KEY_COLUMNS = ("dataset", "q", "method", "seed")


def read_result_rows(path):
    """All rows of a results CSV (a list of dicts of strings); [] when it does not exist yet.
    Raises ``DataError`` when the file is not a results CSV (no key columns, not UTF-8 text)."""
    path = Path(path)
    if not os.path.lexists(path):
        return []
    try:
        rows = read_csv_rows(path)
    except (UnicodeDecodeError, csv.Error, OSError) as error:
        problem = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise DataError(f"{path} is not a results CSV ({problem}); {ADVICE}") from None
    missing = [column for column in KEY_COLUMNS if rows and column not in rows[0]]
    if missing:
        raise DataError(f"{path} is not a results CSV (no column {missing[0]!r}); {ADVICE}")
    for line, row in enumerate(rows, start=2):
        try:
            run_key(row)
        except (TypeError, ValueError, AttributeError):
            cells = ", ".join(f"{column}={row.get(column)!r}" for column in KEY_COLUMNS)
            raise DataError(f"{path}, line {line}: not a run's key ({cells}); {ADVICE}") from None
    return rows


def _whole_number(cell):
    """An integer cell as an int: ``10``, `` 10`` and ``10.0`` alike; ``ValueError`` otherwise."""
    value = float(cell)
    if not value.is_integer():
        raise ValueError(f"{cell!r} is not a whole number")
    return int(value)


def run_key(row):
    """(dataset, q, method, seed) of a row, typed: names stripped of spaces, q and seed as ints."""
    dataset, q, method, seed = (row[column] for column in KEY_COLUMNS)
    return str(dataset).strip(), _whole_number(q), str(method).strip(), _whole_number(seed)


def append_result(path, row):
    """Add ``row`` to the results CSV unless a row with its key is already there; True if added."""
    path = Path(path)
    with file_lock(f"{path}.lock"):  # one writer at a time
        rows = read_result_rows(path)
        if run_key(row) in {run_key(existing) for existing in rows}:
            return False
        rows.append({key: value for key, value in row.items()})
        write_atomically(path, rows_to_csv(rows))
        return True
