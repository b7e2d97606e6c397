"""What a run directory holds before ``train`` writes into it, read and checked in full.

``inspect_run_dir`` reads every file of RUN_DIR that a run reads back (``run.csv``,
``config.json``, ``checkpoint.npz``, ``history.csv``) and says whether it holds this run finished,
this run interrupted (with the state to resume from), or nothing yet. Anything damaged (a file
that does not parse, a wrong JSON type, a missing column or member, a number that is not one, a
row of another configuration) or in the way (a directory or a dangling link where a file goes) is
a ``ConfigError`` naming the file, raised before anything is written.

A run of another Keras backend (``RunConfig.backend``) is another configuration: neither reused
when finished nor resumed when interrupted. Records written before the backend was recorded
(no ``backend`` in ``config.json``, ``run.csv`` or the checkpoint) were all TensorFlow's.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from arconvl.backend import UNRECORDED_BACKEND
from arconvl.errors import ConfigError
from arconvl.run.checkpoint import TrainingState, load_checkpoint
from arconvl.run.files import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    HISTORY_FILE,
    RECORDS_BESIDE_CONFIG,
    RESULT_FILE,
    RUN_FILES,
    TEMPORARY_FILES,
    HistoryFile,
    check_regular_files,
    check_writable_dir,
    read_config,
    read_result,
)

ADVICE = "move it away or choose another --out"
PREDATED = {"backend": UNRECORDED_BACKEND}  # the value of a field in records written before it existed


def _with_predated(record):
    """``record`` (a configuration dict, or a ``run.csv`` row) with ``PREDATED``'s values for the
    fields it lacks or leaves blank (an older row in a widened results table)."""
    return {**record, **{key: value for key, value in PREDATED.items() if record.get(key) in (None, "")}}
RESULT_METRICS = ("test_gmean", "test_classwise_acc", "test_gmean_last", "test_classwise_acc_last")


@dataclass(frozen=True)
class ResumePoint:
    """An interrupted run's checkpoint and the ``history.csv`` rows of its epochs."""

    path: Path
    state: TrainingState
    history_rows: list

    @property
    def epoch(self):
        return self.state.epoch


def read_run_file(path, read):
    """``read()``, which reads ``path``, a file of a run directory; one that cannot be read
    (truncated, edited, another program's) is a ``ConfigError`` naming it."""
    try:
        return read()
    except Exception as error:  # noqa: BLE001 - csv, json, zipfile and NumPy raise many kinds
        problem = " ".join(f"{type(error).__name__}: {error}".split())
        raise ConfigError(f"{path} cannot be read ({problem}); {ADVICE}") from None


def _equal(a, b):
    """``a == b`` for JSON values, where NaN equals NaN and a boolean is no number."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def differing(previous, config):
    """The option names in which the configuration dict ``previous`` differs from ``config`` (the
    data's classes and the environment recorded beside it are no options)."""
    current, previous = config.to_dict(), _with_predated(previous)
    keys = (set(previous) | set(current)) - set(RECORDS_BESIDE_CONFIG)
    return sorted(k for k in keys if not _equal(previous.get(k), current.get(k)))


def _same_cell(cell, value):
    """Whether a CSV cell (text) holds ``value`` of a ``RunConfig.flat()`` column."""
    cell = (cell or "").strip()
    if value is None:
        return cell in ("", "None")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return cell == str(value)
    try:
        return float(cell) == value
    except ValueError:
        return False


def read_checked_result(run_dir):
    """``files.read_result``, its metrics checked to be numbers (``ValueError`` otherwise)."""
    row = read_result(run_dir)
    for column in RESULT_METRICS if row is not None else ():
        if row.get(column) is None:
            raise ValueError(f"no {column!r} column")
        float(row[column])
    return row


def result_differing(row, config):
    """The columns of a ``run.csv`` row that disagree with ``config`` (or are missing)."""
    row = _with_predated(row)
    return sorted(key for key, value in config.flat().items() if not _same_cell(row.get(key), value))


def _other_backend(previous, config):
    """Why a run of the configuration dict ``previous`` is not resumed or reused on ``config``'s
    backend ("" when it is the same)."""
    backend = _with_predated(previous)["backend"]
    if backend == config.backend:
        return ""
    return (f"; it was trained on the {backend} backend and Keras runs on {config.backend} here (the backends "
            f"draw the data from different random streams): use KERAS_BACKEND={backend} for it")


def read_resume_point(run_dir, config):
    """The ``ResumePoint`` of ``run_dir`` (None without a checkpoint), checked against ``config``."""
    path = Path(run_dir) / CHECKPOINT_FILE
    if not os.path.lexists(path):
        return None
    state = read_run_file(path, lambda: load_checkpoint(path))
    changed = differing(state.config, config)
    if changed:
        raise ConfigError(f"{run_dir} holds an interrupted run with a different configuration "
                          f"({', '.join(changed)}){_other_backend(state.config, config)}; choose another --out")
    if state.epoch > config.epochs:
        raise ConfigError(f"{path} cannot be read (it holds epoch {state.epoch} of a {config.epochs}-epoch run); "
                          f"{ADVICE}")
    history = Path(run_dir) / HISTORY_FILE
    rows = read_run_file(history, lambda: HistoryFile(history).rows_up_to(state.epoch))
    return ResumePoint(path, state, rows)


def resume_progress(resume):
    """What identifies a resume point (a ``ResumePoint`` or None): its epoch and the seconds it had
    trained, so that a checkpoint another process moved on is told from the one first read."""
    return None if resume is None else (resume.epoch, resume.state.seconds)


def inspect_run_dir(run_dir, config, option="--out"):
    """(finished row, resume point) of ``run_dir`` for ``config``: the ``run.csv`` row when it holds
    this very run finished, else None; the ``ResumePoint`` when it holds this run interrupted, else
    None. Raises ``ConfigError`` when it holds another run, a damaged file, or cannot be written."""
    run_dir = Path(run_dir)
    check_writable_dir(run_dir, option)  # a dangling link, a loop, a file in the way, no permission
    if not run_dir.is_dir():
        return None, None
    check_regular_files(run_dir, RUN_FILES + TEMPORARY_FILES, ADVICE)
    finished = read_run_file(run_dir / RESULT_FILE, lambda: read_checked_result(run_dir))
    if finished is not None:
        previous = read_run_file(run_dir / CONFIG_FILE, lambda: read_config(run_dir))
        changed = sorted(set(differing(previous, config)) | set(result_differing(finished, config)))
        if changed:
            raise ConfigError(f"{run_dir} holds a finished run with a different configuration "
                              f"({', '.join(changed)}){_other_backend(previous, config)}; choose another --out")
        return finished, None
    return None, read_resume_point(run_dir, config)
