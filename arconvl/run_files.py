"""The files of one run directory: ``config.json``, ``history.csv``, ``best.weights.h5``, ``run.csv``.

``run.csv`` is written last and atomically: its presence means the run finished. A run stopped by
a numerical fault leaves ``failed.json`` (the epoch and the reason) instead.
"""

import csv
import io
import json
import os
from pathlib import Path

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
WEIGHTS_FILE = "best.weights.h5"
RESULT_FILE = "run.csv"
FAILURE_FILE = "failed.json"


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file and a rename, so readers never see half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def rows_to_csv(rows, fieldnames=None):
    """CSV text of a list of dicts (columns in first-seen order unless ``fieldnames`` is given)."""
    if fieldnames is None:
        fieldnames = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def read_csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class HistoryFile:
    """``history.csv``, rewritten whole (atomically) after each epoch: never a partial row."""

    def __init__(self, path):
        self.path = Path(path)
        self.rows = []

    def append(self, row):
        self.rows.append(row)
        write_atomically(self.path, rows_to_csv(self.rows))


def write_config(run_dir, config):
    write_atomically(Path(run_dir) / CONFIG_FILE, config.to_json() + "\n")


def read_config(run_dir):
    with open(Path(run_dir) / CONFIG_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def write_result(run_dir, row):
    write_atomically(Path(run_dir) / RESULT_FILE, rows_to_csv([row]))


def read_result(run_dir):
    """The finished run's row, or None when ``run.csv`` is absent."""
    path = Path(run_dir) / RESULT_FILE
    return read_csv_rows(path)[0] if path.exists() else None


def write_failure(run_dir, epoch, reason):
    write_atomically(Path(run_dir) / FAILURE_FILE, json.dumps({"epoch": epoch, "reason": reason}) + "\n")


def clear_failure(run_dir):
    (Path(run_dir) / FAILURE_FILE).unlink(missing_ok=True)
