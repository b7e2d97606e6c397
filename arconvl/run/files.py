"""The files of one run directory: ``config.json``, ``history.csv``, ``best.weights.h5``, ``model.keras``,
``run.csv``, and while the run is unfinished ``checkpoint.npz`` (``arconvl.run.checkpoint``).

``model.keras`` (the best-validation model, ``keras.models.load_model``) comes just before
``run.csv``, which is written last and atomically: its presence means the run finished. A run stopped by
a numerical fault leaves ``failed.json`` (the epoch and the reason) instead.
"""

import csv
import errno
import fcntl
import io
import json
import os
from contextlib import ExitStack, contextmanager
from pathlib import Path

from arconvl.errors import ArconvlError, ConfigError

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
WEIGHTS_FILE = "best.weights.h5"
RESULT_FILE = "run.csv"
FAILURE_FILE = "failed.json"
CHECKPOINT_FILE = "checkpoint.npz"
MODEL_FILE = "model.keras"
MODEL_TEMPORARY_FILE = ".model.tmp.keras"  # Keras saves only to a name ending in .keras
LOCK_FILE = ".lock"
CLASSES_KEY = "classes"  # config.json: the class names and counts of the run's data, beside the RunConfig
ENVIRONMENT_KEY = "environment"  # config.json: versions and machine of the run's last attempt (run.environment)
RECORDS_BESIDE_CONFIG = (CLASSES_KEY, ENVIRONMENT_KEY)  # config.json's keys that are no run option
RUN_FILES = (CONFIG_FILE, HISTORY_FILE, WEIGHTS_FILE, MODEL_FILE, RESULT_FILE, FAILURE_FILE, CHECKPOINT_FILE,
             LOCK_FILE)
TEMPORARY_FILES = (*(f".{name}.tmp" for name in RUN_FILES), MODEL_TEMPORARY_FILE)  # write_atomically's names


def write_atomically(path, data):
    """Write ``data`` (text or bytes) to ``path`` through a temporary file and a rename, so readers
    never see half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")  # TEMPORARY_FILES
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

    def rows_up_to(self, epochs):
        """The rows of epochs 1 … ``epochs`` of the file on disk, read and checked, nothing written;
        raises ``ValueError`` unless it holds each of them exactly once, every cell a number."""
        rows = read_csv_rows(self.path) if os.path.lexists(self.path) else []
        if rows and "epoch" not in rows[0]:
            raise ValueError(f"{self.path} has no 'epoch' column")
        kept = [row for row in rows if int(row["epoch"]) <= epochs]
        if [int(row["epoch"]) for row in kept] != list(range(1, epochs + 1)):
            raise ValueError(f"{self.path} does not hold epochs 1 to {epochs} once each")
        for row in kept:
            for column, cell in row.items():
                if column is None or cell is None:
                    raise ValueError(f"{self.path}: the row of epoch {row['epoch']} has a wrong number of cells")
                float(cell)  # ValueError when not a number
        return kept

    def resume(self, rows):
        """Take up ``rows`` (``rows_up_to``'s) and rewrite the file with them alone (dropping any row
        written after the checkpoint)."""
        self.rows = list(rows)
        write_atomically(self.path, rows_to_csv(self.rows))


def write_config(run_dir, config, classes=None, environment=None):
    """``config.json``: the ``RunConfig`` and, under ``CLASSES_KEY``, ``classes`` (the data's class
    names and counts, ``data.run_data.class_record``), under ``ENVIRONMENT_KEY`` ``environment``
    (``run.environment.environment_record``); a record that is None is left out."""
    beside = {CLASSES_KEY: classes, ENVIRONMENT_KEY: environment}
    record = {**config.to_dict(), **{key: value for key, value in beside.items() if value is not None}}
    write_atomically(Path(run_dir) / CONFIG_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")


def save_model(run_dir, model):
    """``model.keras``: ``model`` saved through a temporary name and a rename."""
    tmp = Path(run_dir) / MODEL_TEMPORARY_FILE
    model.save(tmp)
    os.replace(tmp, Path(run_dir) / MODEL_FILE)


def read_config(run_dir):
    """``config.json`` of ``run_dir`` as a dict; ``ValueError`` when it holds no JSON object."""
    with open(Path(run_dir) / CONFIG_FILE, encoding="utf-8") as handle:
        config = json.load(handle)
    if not isinstance(config, dict):
        raise ValueError(f"it holds {json.dumps(config)[:40]}, not a JSON object")
    return config


def write_result(run_dir, row):
    write_atomically(Path(run_dir) / RESULT_FILE, rows_to_csv([row]))


def read_result(run_dir):
    """The finished run's row, or None when ``run.csv`` is absent; ``ValueError`` unless it holds
    exactly one row."""
    path = Path(run_dir) / RESULT_FILE
    if not os.path.lexists(path):
        return None
    rows = read_csv_rows(path)
    if len(rows) != 1:
        raise ValueError(f"{len(rows)} rows, expected 1")
    return rows[0]


def write_failure(run_dir, epoch, reason):
    write_atomically(Path(run_dir) / FAILURE_FILE, json.dumps({"epoch": epoch, "reason": reason}) + "\n")


def clear_failure(run_dir):
    (Path(run_dir) / FAILURE_FILE).unlink(missing_ok=True)


def _broken_link(path):
    """Why the symbolic link ``path`` leads nowhere: a loop, or a dangling link to its target."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symbolic link loop"
    return f"a dangling symbolic link (to {os.readlink(path)})"


def check_writable_dir(path, option):
    """Raise ``ConfigError`` (naming ``option``, e.g. "--out") unless ``path`` is a directory this
    process can write into, or one it can create: its nearest existing ancestor is a writable
    directory, and no part of it is a dangling symbolic link or a link loop. Creates nothing."""
    path = Path(path)
    try:
        existing = path
        while not os.path.lexists(existing) and existing != existing.parent:
            existing = existing.parent
        if existing.is_symlink() and not existing.exists():
            raise ConfigError(f"{option} {path} cannot be used: {existing} is {_broken_link(existing)}")
        if not existing.is_dir():
            raise ConfigError(f"{option} {path} cannot be created: {existing} is not a directory")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ConfigError(f"{option} {path} cannot be written: no write permission on {existing}")
        longest = max((len(os.fsencode(part)) for part in path.parts[len(existing.parts):]), default=0)
        if longest > os.pathconf(existing, "PC_NAME_MAX"):
            raise ConfigError(f"{option} {path} cannot be created: a name in it is too long")
    except OSError as error:  # a name too long, a component unreadable, ...
        raise ConfigError(f"{option} {path} cannot be used: {error.strerror or error}") from None


def check_regular_files(folder, names, advice):
    """Raise ``ConfigError`` when one of ``names`` in ``folder`` exists as something other than a
    regular file (or a link to one): a directory, a dangling link, a link loop, a device."""
    for name in names:
        path = Path(folder) / name
        if not os.path.lexists(path) or path.is_file():
            continue
        kind = ("a directory" if path.is_dir() else _broken_link(path) if path.is_symlink()
                else "not a regular file")
        raise ConfigError(f"{path} is {kind}; {advice}")


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
    dies, however it dies. When the block refuses the run (an ``ArconvlError``), the lock file and
    the directory are removed again if this call created them: a refused run leaves no trace."""
    run_dir, lock_path = Path(run_dir), Path(run_dir) / LOCK_FILE
    created = [path for path in (run_dir, lock_path) if not os.path.lexists(path)]
    with ExitStack() as held:
        try:
            held.enter_context(file_lock(lock_path, wait=False))
        except BlockingIOError:
            raise ConfigError(f"{run_dir} is being trained by another process; wait for it to end or "
                              "choose another --out") from None
        try:
            yield
        except ArconvlError:
            if lock_path in created:
                lock_path.unlink(missing_ok=True)
            if run_dir in created and not any(run_dir.iterdir()):
                run_dir.rmdir()
            raise
