"""The sweep runner: every run of an experiment as its own ``python -m arconvl train`` process.

Finished runs (rows of the results CSV) are skipped, so a re-run resumes a sweep and retries the
runs that failed; ``--jobs N`` keeps N processes going (on a GPU they share it with memory growth);
``--shard i/N`` takes the runs whose index in the grid is i modulo N, so N machines or a Slurm job
array split a sweep with no overlap.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from arconvl.errors import ConfigError
from arconvl.run_files import read_result
from arconvl.sweep.results_file import append_result, read_result_rows, run_key


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
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        command = [python, "-m", "arconvl", "train", *run.train_arguments(), "--out", str(run_dir), "--quiet"]
        if data_dir is not None:
            command += ["--data-dir", str(data_dir)]
        if offline:
            command.append("--offline")
        log = open(run_dir.parent / f"{run_dir.name}.log", "w")
        env = {**os.environ, "TF_FORCE_GPU_ALLOW_GROWTH": "true", "TF_CPP_MIN_LOG_LEVEL": "2"}
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        return cls(run, run_dir, process, log, time.monotonic())

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.log.close()

    def last_log_line(self):
        lines = [line for line in Path(self.log.name).read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1] if lines else "(no output)"


def run_sweep(experiment, results_path, runs_dir, *, jobs=1, shard=(0, 1), data_dir=None, offline=False,
              python=sys.executable, stream=None):
    """Train every unfinished run of ``experiment`` (this shard) and append its row to ``results_path``.

    Progress goes to ``stream`` (default: standard error). Returns (finished, failed): the numbers
    of runs that finished now and that failed.
    """
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    finished_keys = {run_key(row) for row in read_result_rows(results_path)}
    queue = [run for run in select_shard(experiment.runs(), shard) if run.result_key not in finished_keys]
    progress = Progress(len(queue), jobs, stream or sys.stderr)
    progress.update(f"sweep {experiment.name} (profile {experiment.profile}), shard {shard[0]}/{shard[1]}: "
                    f"{len(queue)} runs to do, {jobs} at a time")
    active = []
    try:
        while queue or active:
            while queue and len(active) < jobs:
                run = queue.pop(0)
                active.append(ActiveRun.launch(run, Path(runs_dir) / run.key, python, data_dir, offline))
            time.sleep(0.2)
            for ended in [entry for entry in active if entry.process.poll() is not None]:
                active.remove(ended)
                ended.log.close()
                _record(ended, experiment, results_path, progress)
    finally:
        for entry in active:  # interrupted: stop the children; their runs stay unfinished
            entry.stop()
    return progress.done, progress.failed


def _record(ended, experiment, results_path, progress):
    """Append a finished run's row to the results, or count and report its failure."""
    row = read_result(ended.run_dir) if ended.process.returncode == 0 else None
    if row is None:
        progress.failed += 1
        progress.update(f"failed: {ended.run.key} (exit {ended.process.returncode}): "
                        f"{ended.last_log_line()} [log: {ended.log.name}]")
        return
    append_result(results_path, {"experiment": experiment.name, "profile": experiment.profile, **row})
    progress.done += 1
    progress.durations.append(time.monotonic() - ended.started)
    progress.update()
