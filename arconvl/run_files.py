"""The files of one run directory: ``config.json``, ``history.csv``, ``best.weights.h5``, ``run.csv``,
and while the run is unfinished ``checkpoint.npz`` (``arconvl.checkpoint``).

``run.csv`` is written last and atomically: its presence means the run finished. A run stopped by
a numerical fault leaves ``failed.json`` (the epoch and the reason) instead.
"""

import csv
import fcntl
import io
import json
import os
from contextlib import ExitStack, contextmanager
from pathlib import Path

from arconvl.errors import ConfigError

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
WEIGHTS_FILE = "best.weights.h5"
RESULT_FILE = "run.csv"
FAILURE_FILE = "failed.json"
CHECKPOINT_FILE = "checkpoint.npz"
LOCK_FILE = ".lock"


def write_atomically(path, data):
    """Write ``data`` (text or bytes) to ``path`` through a temporary file and a rename, so readers
    never see half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    binary = isinstance(data, bytes)
    with open(tmp, "wb" if binary else "w", encoding=None if binary else "utf-8",
              newline=None if binary else "") as handle:
        handle.write(data)
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

    def resume(self, epochs):
        """Keep the rows of epochs 1 … ``epochs`` of the file on disk (rewritten without any later
        row); raises ``ValueError`` unless the file holds each of them exactly once."""
        rows = read_csv_rows(self.path) if self.path.exists() else []
        kept = [row for row in rows if int(row["epoch"]) <= epochs]
        if [int(row["epoch"]) for row in kept] != list(range(1, epochs + 1)):
            raise ValueError(f"{self.path} does not hold epochs 1 to {epochs} once each")
        self.rows = kept
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


def check_writable_dir(path, option):
    """Raise ``ConfigError`` (naming ``option``, e.g. "--out") unless ``path`` is a directory this
    process can write into, or one it can create: its nearest existing ancestor is a writable
    directory. Creates nothing."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{option} {path} cannot be created: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path} cannot be written: no write permission on {existing}")


@contextmanager
def file_lock(lock_path, wait=True):
    """An exclusive advisory ``flock`` on ``lock_path`` (created, with its folder) for the block.
    ``wait=False``: raise ``BlockingIOError`` at once when another process holds it. The kernel
    releases it when its holder dies, however it dies."""
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def locked_run_dir(run_dir):
    """Create ``run_dir`` and hold an exclusive lock on ``run_dir/.lock`` for the block, so that one
    process at a time trains it (say, a re-started run beside an orphan of a killed sweep). Raises
    ``ConfigError`` at once when another process holds it; the kernel releases it when its holder
    dies, however it dies."""
    with ExitStack() as held:
        try:
            held.enter_context(file_lock(Path(run_dir) / LOCK_FILE, wait=False))
        except BlockingIOError:
            raise ConfigError(f"{run_dir} is being trained by another process; wait for it to end or "
                              "choose another --out") from None
        yield
