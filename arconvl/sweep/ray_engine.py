"""The Ray engine of the sweep runner: each run as a Ray task on any node of a cluster.

A task runs the very ``python -m arconvl train`` command of the local engine (``runner.train_arguments``)
and returns how it ended; the driver appends the rows to the results CSV, so finished runs are
skipped and failed ones retried on the next sweep, as with the local engine. A task whose worker
dies (killed, out of memory, node lost) is retried by Ray up to ``max_retries`` times, and ``train``
resumes the run from its checkpoint; a run that fails on its own (non-zero exit) is not retried
within the sweep. Run directories and the results CSV must be on a file system every node sees
under the same path.

Ray is optional: it is imported only when this engine runs. Tasks take and return plain data
(strings, lists, dicts), so a worker imports neither TensorFlow nor the experiment code.
"""

import sys
import time
from pathlib import Path

from arconvl.errors import ConfigError
from arconvl.sweep.runner import (
    PACKAGE_ROOT,
    Outcome,
    Progress,
    how_train_ended,
    log_path_of,
    pending_runs,
    start_train,
    train_arguments,
)

MISSING_RAY = "the Ray engine needs Ray: pip install -r requirements-ray.txt (or pip install '.[ray]')"
WORKER_CRASH_RETRIES = 3


def import_ray():
    """The ``ray`` module, or a ``ConfigError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(MISSING_RAY) from None
    return ray


def _check_amount(flag, value):
    """Ray's rule for a resource amount: >= 0, and a whole number above 1."""
    if value < 0 or (value > 1 and value != int(value)):
        raise ConfigError(f"{flag} must be a fraction in [0, 1] or a whole number, got {value:g}")


def task_options(cpus_per_run=1.0, gpus_per_run=0.0, max_retries=WORKER_CRASH_RETRIES):
    """The ``.options(...)`` of every run's task: its resources, retried only when its worker dies."""
    _check_amount("--cpus-per-run", cpus_per_run)
    _check_amount("--gpus-per-run", gpus_per_run)
    return {"num_cpus": cpus_per_run, "num_gpus": gpus_per_run, "max_retries": max_retries,
            "retry_exceptions": False}


def train_on_worker(python, arguments, run_dir):
    """Ray task body: run ``python arguments`` (``train`` into ``run_dir``) and return how it ended
    (``how_train_ended``). ``python`` None means this worker's own interpreter; a cancelled task
    stops its ``train``."""
    run_dir = Path(run_dir)
    started = time.monotonic()
    process, log = start_train(python or sys.executable, arguments, run_dir)
    try:
        process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait()
        log.close()
    return how_train_ended(run_dir, process.returncode, started)


def _connect(ray, address):
    """Attach to the cluster at ``address`` (None: start or attach a local instance) unless this process
    already is, with this ``arconvl`` on the workers' import path; True when this call connected (and
    the sweep should disconnect at the end)."""
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, job_config=ray.job_config.JobConfig(code_search_path=[str(PACKAGE_ROOT)]))
    except ConnectionError as error:
        raise ConfigError(f"--address {address}: cannot reach a Ray cluster ({' '.join(str(error).split())})") from None
    return True


def _runs_at_once(ray, options):
    """How many runs the cluster's CPUs and GPUs hold at once (for the ETA); a ``ConfigError`` when it
    cannot hold one (its tasks would wait forever)."""
    resources = ray.cluster_resources()
    limits = []
    for name, key, flag in (("CPU", "num_cpus", "--cpus-per-run"), ("GPU", "num_gpus", "--gpus-per-run")):
        if options[key] > resources.get(name, 0):
            raise ConfigError(f"{flag} {options[key]:g}: more than all the {name}s of the Ray cluster "
                              f"({resources.get(name, 0):g})")
        if options[key] > 0:
            limits.append(resources[name] / options[key])
    return max(1, int(min(limits))) if limits else 1


def _outcome(ray, ref, run, run_dir):
    """The run's ``Outcome``; a failed one without exit code when Ray gave up on its task (say, its
    worker died more than ``max_retries`` times)."""
    try:
        ended = ray.get(ref)
    except ray.exceptions.RayError as error:
        cause = getattr(error, "cause", None) or error  # a RayTaskError wraps what the task raised
        first_line = next(iter(str(cause).strip().splitlines()), "")
        ended = {"returncode": None, "row": None, "last_line": f"{type(cause).__name__}: {first_line}",
                 "seconds": 0.0}
    return Outcome(run, log_path_of(run_dir), **ended)


def run_sweep_on_ray(experiment, results_path, runs_dir, *, address=None, cpus_per_run=1.0, gpus_per_run=0.0,
                     max_retries=WORKER_CRASH_RETRIES, shard=(0, 1), data_dir=None, offline=False, python=None,
                     stream=None):
    """``runner.run_sweep`` with each run as a Ray task of the given resources; same results, same
    (finished, failed) return value. ``python`` None: each worker's own interpreter."""
    options = task_options(cpus_per_run, gpus_per_run, max_retries)
    ray = import_ray()
    results_path, runs_dir = Path(results_path).resolve(), Path(runs_dir).resolve()  # the same on every node
    data_dir = None if data_dir is None else Path(data_dir).resolve()
    queue = pending_runs(experiment, results_path, shard)
    connected = _connect(ray, address)
    task = ray.remote(train_on_worker).options(**options)
    pending = {}
    try:
        progress = Progress.start(experiment, queue, shard, _runs_at_once(ray, options), stream, where=" on Ray")
        for run in queue:
            run_dir = runs_dir / run.key
            ref = task.remote(python, train_arguments(run, run_dir, data_dir, offline), str(run_dir))
            pending[ref] = (run, run_dir)
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            progress.record(_outcome(ray, ready, *pending.pop(ready)), experiment, results_path)
    finally:
        for ref in pending:  # interrupted: a cancelled task stops its train; the run stays unfinished
            ray.cancel(ref)
        if connected:
            ray.shutdown()
    return progress.done, progress.failed
