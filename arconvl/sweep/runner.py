"""The sweep runner: every run of an experiment as its own ``python -m arconvl train`` process.

Finished runs (rows of the results CSV) are skipped, so a re-run resumes a sweep and retries the
runs that failed; ``--jobs N`` keeps N processes going (on a GPU they share it with memory growth);
``--shard i/N`` takes the runs whose index in the grid is i modulo N, so N machines or a Slurm job
array split a sweep with no overlap. The pieces both engines share (the ``train`` command, the
progress line, recording an outcome) live here; ``ray_engine`` runs the same commands on Ray.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from arconvl.errors import ConfigError
from arconvl.run.files import check_regular_files, check_writable_dir, read_result
from arconvl.sweep.orphans import die_with_parent
from arconvl.sweep.results_file import append_result, read_result_rows, run_key

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the arconvl package


def parse_shard(text):
    """"i/N" → (i, N) with 0 ≤ i < N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard must look like i/N (e.g. 0/4), got {text!r}") from None
    if not (count >= 1 and 0 <= index < count):
        raise ConfigError(f"--shard i/N needs 0 <= i < N, got {text!r}")
    return index, count


def select_shard(runs, shard):
    """The runs of shard (i, N): those whose position in the grid is i modulo N."""
    index, count = shard
    return [run for position, run in enumerate(runs) if position % count == index]


def check_results_dir(results_path, runs_dir):
    """``ConfigError`` unless the sweep can write ``results_path`` (its results CSV) and ``runs_dir``:
    writable folders, and no folder or link where the CSV, its lock or its temporary file goes."""
    for folder in (results_path.parent, runs_dir):
        check_writable_dir(folder, "--results-dir")
    if results_path.parent.is_dir():
        name = results_path.name
        check_regular_files(results_path.parent, (name, f"{name}.lock", f".{name}.tmp"),
                            "move it away or choose another --results-dir")


def pending_runs(experiment, results_path, shard):
    """The runs of this shard that have no row in the results CSV yet, in grid order."""
    finished_keys = {run_key(row) for row in read_result_rows(results_path)}
    return [run for run in select_shard(experiment.runs(), shard) if run.result_key not in finished_keys]


def train_arguments(run, run_dir, data_dir=None, offline=False):
    """The arguments after ``python`` that train ``run`` into ``run_dir``: ``-m arconvl train ...``."""
    arguments = ["-m", "arconvl", "train", *run.train_arguments(), "--out", str(run_dir), "--quiet"]
    if data_dir is not None:
        arguments += ["--data-dir", str(data_dir)]
    if offline:
        arguments.append("--offline")
    return arguments


def train_environment():
    """This process's environment for a ``train`` child: GPU memory taken as needed (runs share a GPU;
    TensorFlow's memory growth, JAX without preallocation), quiet TensorFlow, and this very ``arconvl``
    first on the import path."""
    python_path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": python_path}


def log_path_of(run_dir):
    """Where a run's output goes: RUN.log beside its directory (kept after a failure)."""
    return run_dir.parent / f"{run_dir.name}.log"


def start_train(python, arguments, run_dir):
    """Start ``python`` with ``arguments`` and its output in the run's log; returns (process, open log)."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path_of(run_dir), "w")
    process = subprocess.Popen([python, *arguments], stdout=log, stderr=subprocess.STDOUT, env=train_environment(),
                               preexec_fn=die_with_parent())  # no orphan if this process is killed
    return process, log


def last_log_line(log_path):
    """The last non-blank line of a log, or "(no output)"."""
    lines = [line for line in Path(log_path).read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def how_train_ended(run_dir, returncode, started):
    """How the ``train`` process of ``run_dir`` ended, as plain data: its exit code, its ``run.csv`` row
    (None unless it finished), the last line of its log, and its duration."""
    return {"returncode": returncode, "row": read_result(run_dir) if returncode == 0 else None,
            "last_line": last_log_line(log_path_of(run_dir)), "seconds": time.monotonic() - started}


@dataclass
class Outcome:
    """How a run ended: ``how_train_ended``'s fields (returncode None: no process exit code) and its log."""

    run: object
    log_path: Path
    returncode: int | None
    row: dict | None
    last_line: str
    seconds: float


def _format_seconds(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class Progress:
    """One progress line for the whole sweep: done / failed / remaining and an ETA."""

    def __init__(self, total, jobs, stream):
        self.total, self.jobs, self.stream = total, jobs, stream
        self.done = self.failed = 0
        self.durations = []

    def line(self):
        remaining = self.total - self.done - self.failed
        eta = "?"
        if self.durations:
            eta = _format_seconds(sum(self.durations) / len(self.durations) * remaining / self.jobs)
        return f"sweep: {self.done} done, {self.failed} failed, {remaining} remaining, ETA {eta}"

    def update(self, message=None):
        if message:
            print(message, file=self.stream, flush=True)
        print(self.line(), file=self.stream, flush=True)

    @classmethod
    def start(cls, experiment, queue, shard, jobs, stream, where=""):
        """The progress of a sweep of ``queue``, announced with one line."""
        progress = cls(len(queue), jobs, stream or sys.stderr)
        progress.update(f"sweep {experiment.name} (profile {experiment.profile}), shard {shard[0]}/{shard[1]}: "
                        f"{len(queue)} runs to do, {jobs} at a time{where}")
        return progress

    def record(self, outcome, experiment, results_path):
        """Append a finished run's row to the results, or count and report its failure."""
        if outcome.row is None:
            self.failed += 1
            ended = "no exit code" if outcome.returncode is None else f"exit {outcome.returncode}"
            self.update(f"failed: {outcome.run.key} ({ended}): {outcome.last_line} [log: {outcome.log_path}]")
            return
        append_result(results_path, {"experiment": experiment.name, "profile": experiment.profile, **outcome.row})
        self.done += 1
        self.durations.append(training_seconds(outcome))
        self.update()


def training_seconds(outcome):
    """How long a finished run took in all: the larger of this process's wall time and ``run.csv``'s
    ``seconds``, the training time that a run resumed from its checkpoint carries on from before the
    interruption, so that resumed runs do not make the ETA look short."""
    try:
        recorded = float(outcome.row.get("seconds", "nan"))
    except ValueError:
        recorded = float("nan")
    return outcome.seconds if not recorded >= 0 else max(outcome.seconds, recorded)


@dataclass
class ActiveRun:
    """A run whose ``train`` process is going, with its log file."""

    run: object
    run_dir: Path
    process: subprocess.Popen
    log: object
    started: float

    @classmethod
    def launch(cls, run, run_dir, python, data_dir, offline):
        process, log = start_train(python, train_arguments(run, run_dir, data_dir, offline), run_dir)
        return cls(run, run_dir, process, log, time.monotonic())

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.log.close()

    def outcome(self):
        """Close the log of the ended process and say how it ended."""
        self.log.close()
        return Outcome(self.run, log_path_of(self.run_dir),
                       **how_train_ended(self.run_dir, self.process.returncode, self.started))


def run_sweep(experiment, results_path, runs_dir, *, jobs=1, shard=(0, 1), data_dir=None, offline=False,
              python=sys.executable, stream=None):
    """Train every unfinished run of ``experiment`` (this shard) and append its row to ``results_path``.

    Progress goes to ``stream`` (default: standard error). Returns (finished, failed): the numbers
    of runs that finished now and that failed.
    """
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    queue = pending_runs(experiment, results_path, shard)
    progress = Progress.start(experiment, queue, shard, jobs, stream)
    active = []
    try:
        while queue or active:
            while queue and len(active) < jobs:
                run = queue.pop(0)
                active.append(ActiveRun.launch(run, Path(runs_dir) / run.key, python, data_dir, offline))
            time.sleep(0.2)
            for ended in [entry for entry in active if entry.process.poll() is not None]:
                active.remove(ended)
                progress.record(ended.outcome(), experiment, results_path)
    finally:
        for entry in active:  # interrupted: stop the children; their runs stay unfinished
            entry.stop()
    return progress.done, progress.failed
