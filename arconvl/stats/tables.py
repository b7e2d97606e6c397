"""Read a wide results table: one row per dataset, one column per method.

The file is TSV or CSV (by extension, else by a tab in the first line). The first column holds
the dataset names, the header row the method names. A cell is a plain number or ``mean±std``
(``±``, ``+-`` or ``+/-``, spaces allowed); only the mean is kept. A summary row whose first
cell reads like "avgRank" / "Avg rank" / "Average ranks" is skipped, as are blank lines.
"""

import csv
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from arconvl.errors import DataError

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_CELL = re.compile(rf"\s*(?P<mean>{_NUMBER})\s*(?:(?:±|\+-|\+/-)\s*(?P<std>{_NUMBER})\s*)?")
_RANK_ROW = re.compile(r"\s*(?:avg|average|mean)[\s._-]*ranks?\.?\s*", re.IGNORECASE)
_DELIMITERS = {".tsv": "\t", ".tab": "\t", ".csv": ","}


class WideTable(NamedTuple):
    datasets: list  # row names
    methods: list  # column names
    means: np.ndarray  # shape (len(datasets), len(methods))


def parse_cell(text):
    """The mean of a ``mean±std`` or plain-number cell; ValueError when it is neither."""
    match = _CELL.fullmatch(text)
    if match is None or (match["std"] is not None and float(match["std"]) < 0):
        raise ValueError(f"cannot read {text!r} as a number or mean±std")
    return float(match["mean"])


def is_rank_row(first_cell):
    """True for a summary row such as "avgRank" or "Avg rank"."""
    return _RANK_ROW.fullmatch(first_cell) is not None


def _delimiter(path, text):
    by_extension = _DELIMITERS.get(path.suffix.lower())
    if by_extension is not None:
        return by_extension
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first_line else ","


def read_wide_table(path):
    """(dataset names, method names, means array) of a TSV/CSV table; DataError when malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"table {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read table {path}: {error}") from None
    reader = csv.reader(text.splitlines(), delimiter=_delimiter(path, text))
    header, datasets, rows = None, [], []
    for cells in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if header is None:
            header = _methods(path, line, cells)
            continue
        while len(cells) > len(header) + 1 and not cells[-1]:
            cells.pop()  # trailing delimiters
        name = cells[0]
        if is_rank_row(name):
            continue
        if len(cells) != len(header) + 1:
            raise DataError(f"{path}, line {line} ({name!r}): expected {len(header) + 1} cells, got {len(cells)}")
        if not name:
            raise DataError(f"{path}, line {line}: the dataset name (first cell) is empty")
        if name in datasets:
            raise DataError(f"{path}, line {line}: dataset {name!r} appears twice")
        values = []
        for method, cell in zip(header, cells[1:]):
            try:
                values.append(parse_cell(cell))
            except ValueError as error:
                raise DataError(f"{path}, line {line}, dataset {name!r}, column {method!r}: {error}") from None
        datasets.append(name)
        rows.append(values)
    if header is None or not rows:
        raise DataError(f"table {path} holds no header and data rows")
    return WideTable(datasets, header, np.array(rows, dtype=float))


def _methods(path, line, cells):
    methods = cells[1:]
    while methods and not methods[-1]:
        methods.pop()  # trailing delimiters
    if not methods:
        raise DataError(f"{path}, line {line}: the header names no method column")
    if not all(methods):
        raise DataError(f"{path}, line {line}: a method column has an empty name")
    duplicates = sorted({m for m in methods if methods.count(m) > 1})
    if duplicates:
        raise DataError(f"{path}, line {line}: method column {duplicates[0]!r} appears twice")
    return methods
