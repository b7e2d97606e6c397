"""docs/reliability.md lists the bad- and hostile-input cases of the suite. Each of its case tables is
the test's own list: the same case names in the same order, each with the message the test expects
on stderr and the test that runs it, and the count in the table's heading. A message changed in the
code and its test but not in the document fails here."""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import test_bad_input as bad
import test_hostile_input as hostile

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
HOSTILE = "test_hostile_input.py::"


def cases(rows):
    """(name, message) of a test's case list; a case that expects several messages shows them joined
    by " … " in the document."""
    return [(name, " … ".join(messages)) for name, _, *messages in rows]


TABLES = {  # heading of a case table: (the test's cases, the test function the rows name; None: none named)
    "#### `train` arguments": (cases(bad.TRAIN_ARGUMENTS), None),
    "#### `train --config FILE`": (cases(bad.TRAIN_CONFIG_FILES), None),
    "#### Data files (`--data-dir`)": (cases(bad.DATA_FILES), None),
    "#### The output directory (`--out`)": (cases(bad.OUTPUT_DIRECTORY), None),
    "#### `sweep`": (cases(bad.SWEEPS), None),
    "#### `report` and `stats`": (cases(bad.REPORTS_AND_STATS), None),
    "### 1. Numbers out of range": (cases(hostile.OUT_OF_RANGE), "test_numbers_out_of_range_are_refused_everywhere"),
    "### 2. Output paths": (cases(hostile.OUTPUT_PATHS), "test_bad_output_paths_are_refused_naming_the_path"),
    "### 3. Damaged run directories": (
        cases(hostile.damaged_run_dirs(SimpleNamespace(weights=[np.zeros(1)] * 2))),
        "test_damaged_run_directories_are_refused_naming_the_file_and_rewrite_nothing"),
    "### 4. Types: booleans are no numbers": (cases(hostile.BOOLEANS),
                                              "test_booleans_are_no_numbers_and_types_are_checked_alike"),
    "### 5. Data files, and a class with no training sample": (
        cases(hostile.DATA_HEADERS), "test_data_headers_and_empty_classes_are_refused_when_loaded"),
    "### 6. Reports and results paths": (cases(hostile.REPORTS), "test_report_paths_that_are_no_files_are_refused"),
    "### Every refusal of a resumable run directory": (
        [(name, message) for name, _, _, message in hostile.every_train_refusal(None)],
        "test_every_refusal_leaves_a_resumable_run_directory_byte_identical"),
}


def table_under(heading):
    """The heading's line and the cells of each row of the first table below it."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading + " "))
    rows, body = [], False
    for line in lines[start + 1:]:
        if line.startswith("|"):
            if body:
                rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
            body = body or line.startswith("|---")
        elif body:
            break
    return lines[start], rows


def backticked(cell):
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


@pytest.mark.parametrize("heading", TABLES)
def test_each_case_table_of_the_document_is_its_tests_case_list(heading):
    expected, function = TABLES[heading]
    heading_line, rows = table_under(heading)
    assert [(name, backticked(message)) for name, message, *_ in rows] == expected
    assert int(re.search(r"\((\d+)", heading_line.removeprefix(heading)).group(1)) == len(expected), heading_line
    if function:
        assert [row[2] for row in rows] == [f"`{HOSTILE}{function}[{name}]`" for name, _ in expected]


def test_the_bad_input_total_is_the_sum_of_its_tables():
    heading_line, _ = table_under("## Bad input")
    assert heading_line == f"## Bad input ({len(bad.ALL_CASES)} cases)"
    assert len(bad.ALL_CASES) == sum(len(TABLES[h][0]) for h in TABLES if h.startswith("####"))
