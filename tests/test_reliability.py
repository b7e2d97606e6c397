"""Fault injection (issue 7): sweeps killed at the worst moments, concurrent writers, NaN and
infinite losses, and degenerate batches. Nothing may be lost, duplicated or half-written.

Killed single runs (SIGKILL included) are in ``test_resume.py``; bad input is in
``test_bad_input.py``; ``docs/reliability.md`` lists every case with the test that proves it.
"""

import json
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from test_resume import assert_same_numbers

from arconvl.data import make_imbalanced
from arconvl.errors import ConfigError
from arconvl.losses.registry import METHODS, resolve_method
from arconvl.run.files import CHECKPOINT_FILE, locked_run_dir
from arconvl.sweep import load_experiment, run_sweep
from arconvl.sweep.results_file import KEY_COLUMNS, append_result, read_result_rows, run_key

from test_cli import REPO, read_rows, run_main, write_learnable_mnist

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
# Children dying with their sweep is the kernel's doing on Linux (PR_SET_PDEATHSIG), and /proc shows it.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux (/proc, PR_SET_PDEATHSIG)")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A data directory with learnable MNIST-format files: 30 training and 5 test images per class."""
    return write_learnable_mnist(tmp_path_factory.mktemp("data") / "mnist", n_train=300, n_test=50).parent


# ---------------------------------------------------------------- processes, seen through /proc

def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name: [state, ppid, ...]; None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid):
    """The processes whose parent is ``pid``."""
    return [int(entry.name) for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and (fields := _stat_fields(entry.name)) and int(fields[1]) == pid]


def is_running(pid):
    """True while ``pid`` exists and is not a zombie (a dead child nobody has reaped yet)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def wait_until(condition, timeout, what, process=None):
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds or once ``process`` (a Popen) has ended."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process is None or process.poll() is None, f"the process ended (exit {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def assert_results_file_is_whole(path, expected_keys):
    """The results CSV holds exactly one complete row per expected run, nothing else, and no
    temporary file of an unfinished write is left beside it."""
    rows = read_result_rows(path)
    keys = [run_key(row) for row in rows]
    assert sorted(keys) == sorted(expected_keys), "a row is lost or duplicated"
    header = path.read_text().splitlines()[0].split(",")
    assert all(column in header for column in KEY_COLUMNS)
    for row in rows:  # no partial row: every field of the header, none beyond it, the key filled in
        assert None not in row and None not in row.values() and all(row[c] for c in KEY_COLUMNS), row
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    return rows


# ---------------------------------------------------------------- 1. interruption: killed sweeps

SWEEP_CONFIG = """\
name = "tiny"
methods = ["cpl", "arconvl"]
datasets = ["mnist"]
qs = [2, 5]
seeds = [0, 1, 2]
"""

# A stand-in for `python` in `python -m arconvl train ... --out DIR`: it writes its pid to DIR/pid,
# "trains" for $FAKE_TRAIN_SECONDS (600 when the run's directory name is in $STALL_RUN), and writes
# DIR/run.csv atomically, with numbers that depend on the run only.
SLOW_FAKE_PYTHON = textwrap.dedent(f"""\
    #!{sys.executable}
    import csv, os, sys, time
    args = sys.argv[3:]
    options = {{flag: args[i + 1] for i, flag in enumerate(args[:-1]) if flag.startswith("--")}}
    out = options["--out"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "pid"), "w") as handle:
        handle.write(str(os.getpid()))
    stall = os.path.basename(out) == os.environ.get("STALL_RUN")
    time.sleep(600 if stall else float(os.environ.get("FAKE_TRAIN_SECONDS", "0")))
    row = {{"dataset": options["--dataset"], "q": options["--q"], "method": options["--method"],
           "seed": options["--seed"], "test_gmean": str((7 * int(options["--seed"]) + int(options["--q"])) / 100),
           "note": 'a "quoted", multi-line\\nvalue'}}
    with open(os.path.join(out, ".run.csv.tmp"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    os.replace(os.path.join(out, ".run.csv.tmp"), os.path.join(out, "run.csv"))
""")

# The sweep process: `DRIVER CONFIG RESULTS RUNS PYTHON FAULT` runs the sweep with the fake python,
# three runs at a time, and with FAULT = before-append or mid-append SIGKILLs itself at its second
# append: after a run ended but before its row is appended, or after the new results file is
# written to its temporary name but before the rename.
SWEEP_DRIVER = textwrap.dedent("""\
    import os, signal, sys
    from arconvl.run.files import write_atomically
    from arconvl.sweep import load_experiment, results_file, runner
    config, results, runs, python, fault = sys.argv[1:]
    appends = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def before_append(*args):
        appends.append(1)
        if len(appends) == 2:
            die()
        return real_append(*args)

    def mid_append(path, data):
        appends.append(1)
        if len(appends) == 2:
            with open(path.with_name(f".{path.name}.tmp"), "w") as handle:
                handle.write(data)
            die()
        return write_atomically(path, data)

    real_append = runner.append_result
    if fault == "before-append":
        runner.append_result = before_append
    elif fault == "mid-append":
        results_file.write_atomically = mid_append
    runner.run_sweep(load_experiment(config), results, runs, jobs=3, python=python, stream=sys.stdout)
""")


@pytest.fixture
def sweep_setup(tmp_path, monkeypatch):
    """(config, fake python, driver script) in tmp_path; quick fake runs unless a test says otherwise."""
    config = tmp_path / "tiny.toml"
    config.write_text(SWEEP_CONFIG)
    fake = tmp_path / "fake-python"
    fake.write_text(SLOW_FAKE_PYTHON)
    fake.chmod(0o755)
    driver = tmp_path / "driver.py"
    driver.write_text(SWEEP_DRIVER)
    monkeypatch.setenv("FAKE_TRAIN_SECONDS", "0")
    monkeypatch.delenv("STALL_RUN", raising=False)
    return config, str(fake), driver


def uninterrupted_rows(config, fake, folder):
    """The rows of the same sweep run from start to end without a fault."""
    results = folder / "reference.csv"
    assert run_sweep(load_experiment(config), results, folder / "reference-runs", jobs=3, python=fake,
                     stream=sys.stdout) == (12, 0)
    return read_result_rows(results)


@linux_only
@pytest.mark.parametrize("fault", ["killed from outside", "before-append", "mid-append"])
def test_a_sweep_killed_at_the_worst_moments_loses_and_duplicates_nothing(sweep_setup, tmp_path, fault):
    """A sweep process SIGKILLed (1) from outside while its children run, one of them stalled,
    (2) after a run ended but before its row was appended, (3) in the middle of an append. Its
    children die with it (none goes on writing as an orphan), and the same sweep run again ends
    with exactly the rows of an uninterrupted sweep, each once and whole."""
    config, fake, driver = sweep_setup
    results, runs = tmp_path / "results" / "tiny.csv", tmp_path / "runs"
    stalled = runs / "mnist-q5-cpl-s1"  # the 5th run of 12: started in the second wave
    env = {**ENV, "FAKE_TRAIN_SECONDS": "0.1"}
    if fault == "killed from outside":
        env["STALL_RUN"] = stalled.name
    sweep = subprocess.Popen([sys.executable, driver, config, results, runs, fake, fault], cwd=REPO, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if fault == "killed from outside":
            wait_until(lambda: (stalled / "pid").exists() and results.exists(), 120, "the stalled run to start", sweep)
            orphans = children_of(sweep.pid)
            stalled_pid = int((stalled / "pid").read_text())
            assert stalled_pid in orphans
            sweep.send_signal(signal.SIGKILL)
        sweep.wait(timeout=120)
    finally:
        sweep.kill()
        sweep.wait()
    assert sweep.returncode == -signal.SIGKILL
    if fault == "killed from outside":
        try:  # the stalled child would sleep 600 s: it can only be gone this soon because it died with its parent
            wait_until(lambda: not any(map(is_running, orphans)), 10, "the children of the killed sweep to die")
        finally:
            for pid in filter(is_running, orphans):  # only when the test fails: leave no orphan behind
                os.kill(pid, signal.SIGKILL)
        assert not (stalled / "run.csv").exists()
    else:
        assert len(read_result_rows(results)) == 1  # the second append was cut
        if fault == "mid-append":
            assert (results.parent / ".tiny.csv.tmp").exists()  # the unfinished write, never renamed

    rows_at_kill = read_result_rows(results)
    finished, failed = run_sweep(load_experiment(config), results, runs, jobs=3, python=fake, stream=sys.stdout)
    assert failed == 0 and finished == 12 - len(rows_at_kill)
    rows = assert_results_file_is_whole(results, [run.result_key for run in load_experiment(config).runs()])
    assert rows[:len(rows_at_kill)] == rows_at_kill  # rows already there are kept as they were
    assert sorted(rows, key=run_key) == sorted(uninterrupted_rows(config, fake, tmp_path), key=run_key)


@linux_only
def test_a_killed_sweep_of_real_runs_resumes_them_and_ends_as_an_uninterrupted_one(tiny_data, tmp_path, capsys):
    """``python -m arconvl sweep`` SIGKILLed while its two ``train`` children are in their second
    epoch: the children die with it; the same command again resumes both runs after their last
    finished epoch, and the results equal those of runs never interrupted."""
    config = tmp_path / "tiny.toml"
    config.write_text(SWEEP_CONFIG.replace('["cpl", "arconvl"]', '["arconvl"]').replace("[2, 5]", "[2]")
                      .replace("[0, 1, 2]", "[0, 1]") + "epochs = 2\n")
    results = tmp_path / "results"
    command = ["sweep", config, "--jobs", "2", "--results-dir", results, "--data-dir", tiny_data, "--offline"]
    runs = load_experiment(config).runs()
    run_dirs = [results / "paper" / "runs" / "tiny" / run.key for run in runs]
    sweep = subprocess.Popen([sys.executable, "-m", "arconvl", *map(str, command)], cwd=REPO, env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: any((d / CHECKPOINT_FILE).exists() for d in run_dirs), 300, "a first epoch to end", sweep)
        children = children_of(sweep.pid)
        sweep.send_signal(signal.SIGKILL)
        sweep.wait(timeout=60)
    finally:
        sweep.kill()
        sweep.wait()
    assert len(children) == 2
    try:
        wait_until(lambda: not any(map(is_running, children)), 10, "the train children to die with the sweep")
    finally:
        for pid in filter(is_running, children):  # only when the test fails: leave no orphan behind
            os.kill(pid, signal.SIGKILL)
    rows_at_kill = read_result_rows(results / "paper" / "tiny.csv")

    code, out, err = run_main(capsys, *command)
    assert code == 0, err
    assert f"{2 - len(rows_at_kill)} runs finished, 0 failed" in out
    rows = assert_results_file_is_whole(results / "paper" / "tiny.csv", [run.result_key for run in runs])
    logs = [(d.parent / f"{d.name}.log").read_text() for d in run_dirs]
    assert any(f"resuming {d} after epoch 1 of 2" in log for d, log in zip(run_dirs, logs)), logs
    for run, run_dir in zip(runs, run_dirs):
        reference = tmp_path / "reference" / run.key
        assert run_main(capsys, "train", *run.train_arguments(), "--out", reference, "--data-dir", tiny_data,
                        "--offline", "--quiet")[0] == 0
        (expected,) = read_rows(reference / "run.csv")
        (row,) = [r for r in rows if run_key(r) == run.result_key]
        assert (row.pop("experiment"), row.pop("profile")) == ("tiny", "paper")
        del row["seconds"], expected["seconds"]
        assert_same_numbers(row, expected)
        history, expected_history = read_rows(run_dir / "history.csv"), read_rows(reference / "history.csv")
        assert [h["epoch"] for h in history] == ["1", "2"]  # every epoch once
        for h, e in zip(history, expected_history, strict=True):
            assert_same_numbers(h, e)


# ---------------------------------------------------------------- 2. concurrent writers

def _append_many(path, writer, count):
    """Process ``writer`` appends ``count`` rows, each with a column of its own and a value that
    needs CSV quoting."""
    for i in range(count):
        row = {"experiment": "tiny", "dataset": "mnist", "q": str(writer), "method": "m", "seed": str(i),
               f"param.w{writer}": f"{writer}/{i}", "note": f'writer {writer}, row {i}: "quoted"\nsecond line'}
        if not append_result(path, row):
            sys.exit(1)


def test_concurrent_processes_appending_to_one_results_file_lose_nothing(tmp_path):
    """Four processes append 25 rows each to one results CSV while this one keeps reading it: every
    read sees a whole file, and in the end each of the 100 rows is there once, intact."""
    path = tmp_path / "results.csv"
    writers, count = 4, 25
    context = multiprocessing.get_context("fork")  # the children only write files
    processes = [context.Process(target=_append_many, args=(path, w, count)) for w in range(writers)]
    for process in processes:
        process.start()
    seen = 0
    while any(process.is_alive() for process in processes):
        rows = read_result_rows(path)  # raises on a partial or mangled file
        assert len(rows) >= seen and all(row["note"].endswith('"quoted"\nsecond line') for row in rows)
        seen = len(rows)
    for process in processes:
        process.join()
        assert process.exitcode == 0
    rows = read_result_rows(path)
    assert sorted(run_key(row) for row in rows) == sorted(
        ("mnist", w, "m", i) for w in range(writers) for i in range(count))
    for row in rows:
        writer, seed = row["q"], row["seed"]
        assert row[f"param.w{writer}"] == f"{writer}/{seed}"
        assert row["note"] == f'writer {writer}, row {seed}: "quoted"\nsecond line'
        assert all(row[f"param.w{w}"] == "" for w in range(writers) if str(w) != writer)
    header = path.read_text().split("\n", 1)[0].split(",")
    assert header[:5] == ["experiment", "dataset", "q", "method", "seed"]
    assert sorted(header) == sorted({column for row in rows for column in row})  # widened, never broken


def test_a_run_directory_being_trained_is_not_trained_twice(tiny_data, tmp_path, capsys):
    """A second ``train`` of a run directory that another process is training (an orphan of a killed
    sweep, a duplicate job) stops at once with one line, exit 2, and changes nothing."""
    out = tmp_path / "run"
    with locked_run_dir(out):  # as the other process holds it
        before = sorted(p.name for p in out.iterdir())
        code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "2", "--epochs", "1",
                                "--data-dir", tiny_data, "--offline", "--out", out, "--quiet")
    assert code == 2 and len(err.splitlines()) == 1
    assert f"{out} is being trained by another process" in err
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_run_finished_by_another_process_meanwhile_is_not_retrained(tiny_data, tmp_path, capsys, monkeypatch):
    """Between its first look at the run directory and taking its lock, another process finished
    the run: ``train`` reports that result and writes nothing."""
    import arconvl.cli

    out, finished = tmp_path / "run", tmp_path / "finished"
    args = ["train", "--dataset", "mnist", "--q", "2", "--epochs", "1", "--data-dir", tiny_data, "--offline",
            "--quiet", "--out"]
    assert run_main(capsys, *args, finished)[0] == 0
    real_prepare = arconvl.cli.prepare_run_data

    def prepare_while_another_process_finishes(*a, **k):
        out.mkdir()
        for name in ("config.json", "run.csv", "history.csv"):
            (out / name).write_bytes((finished / name).read_bytes())
        return real_prepare(*a, **k)

    monkeypatch.setattr(arconvl.cli, "prepare_run_data", prepare_while_another_process_finishes)
    assert not out.exists()
    code, stdout, err = run_main(capsys, *args, out)
    assert code == 0, err
    assert "was finished by another process; not retraining" in stdout
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"} == {
        name: (finished / name).read_bytes() for name in ("config.json", "run.csv", "history.csv")}


# ---------------------------------------------------------------- 3. numeric faults

@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_non_finite_loss_is_recorded_with_its_epoch_and_reason(tiny_data, tmp_path, capsys, value):
    out = tmp_path / "run"
    code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "2", "--epochs", "2",
                            "--param", f"fixed_sigma2={value}", "--data-dir", tiny_data, "--offline",
                            "--out", out, "--quiet")
    assert code == 3 and len(err.splitlines()) == 1
    assert "run failed at epoch 1: non-finite" in err
    failure = json.loads((out / "failed.json").read_text())
    assert failure["epoch"] == 1 and failure["reason"].startswith("non-finite ")
    assert "loss = nan" in failure["reason"] or "loss = inf" in failure["reason"], failure
    assert not (out / "run.csv").exists() and not (out / "history.csv").exists()


def test_a_run_that_diverges_in_a_later_epoch_keeps_its_finite_epochs_and_resumes(tiny_data, tmp_path, capsys,
                                                                                 monkeypatch):
    """An infinite learning rate in epoch 2 (injected into the schedule) makes the loss NaN: the
    run stops with exit 3, failed.json names epoch 2, and history.csv and the checkpoint keep
    epoch 1. Run again without the fault, it resumes after epoch 1 and ends as a run that never
    failed."""
    from keras import ops

    import arconvl.run.training
    from arconvl.model.schedules import StepDecay

    class DivergesInEpoch2(StepDecay):
        def __call__(self, step):
            epoch = ops.floor_divide(ops.cast(step, "int32"), self.steps_per_epoch) + 1
            return ops.where(epoch == 2, math.inf, super().__call__(step))

    args = ["train", "--dataset", "mnist", "--q", "2", "--epochs", "2", "--seed", "4", "--data-dir", tiny_data,
            "--offline", "--quiet", "--out"]
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(arconvl.run.training, "StepDecay", DivergesInEpoch2)
        code, _, err = run_main(capsys, *args, out)
    assert code == 3, err
    failure = json.loads((out / "failed.json").read_text())
    assert failure["epoch"] == 2 and "loss = nan" in failure["reason"]
    assert [h["epoch"] for h in read_rows(out / "history.csv")] == ["1"]
    assert (out / CHECKPOINT_FILE).exists() and not (out / "run.csv").exists()

    code, stdout, err = run_main(capsys, *args, out)
    assert code == 0, err
    assert f"resuming {out} after epoch 1 of 2" in stdout and not (out / "failed.json").exists()
    reference = tmp_path / "reference"
    assert run_main(capsys, *args, reference)[0] == 0
    (row,), (expected,) = read_rows(out / "run.csv"), read_rows(reference / "run.csv")
    del row["seconds"], expected["seconds"]
    assert_same_numbers(row, expected)


def test_a_sweep_goes_on_past_a_run_with_a_nan_loss(tiny_data, tmp_path, capsys):
    """Of a sweep's two runs, the one whose loss is NaN fails (exit 3, failed.json with the epoch
    and the reason, no row); the other finishes and is recorded; the sweep says so and exits 1."""
    config = tmp_path / "nan.toml"
    config.write_text('name = "nan"\nmethods = ["cpl", "arconvl"]\ndatasets = ["mnist"]\nqs = [2]\nseeds = [0]\n'
                      "epochs = 1\n[params.arconvl]\nfixed_sigma2 = nan\n")
    results = tmp_path / "results"
    code, out, err = run_main(capsys, "sweep", config, "--jobs", "2", "--results-dir", results,
                              "--data-dir", tiny_data, "--offline")
    assert code == 1
    assert "1 runs finished, 1 failed" in out
    assert "failed: mnist-q2-arconvl-s0 (exit 3): python -m arconvl train: run failed at epoch 1: non-finite" in err
    (row,) = read_result_rows(results / "paper" / "nan.csv")
    assert run_key(row) == ("mnist", 2, "cpl", 0)
    failed_dir = results / "paper" / "runs" / "nan" / "mnist-q2-arconvl-s0"
    failure = json.loads((failed_dir / "failed.json").read_text())
    assert failure["epoch"] == 1 and "nan" in failure["reason"]
    assert not (failed_dir / "run.csv").exists()


# ---------------------------------------------------------------- 4. degenerate cases stay finite

CENTERS = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0], [-2.0, -2.0]], np.float32)


def _degenerate_batches():
    features = np.array([[0.5, 0.0], [3.0, 0.5], [0.0, 2.0], [3.9, 0.1]], np.float32)
    coinciding = CENTERS.copy()
    coinciding[1] = coinciding[0]
    return {
        # class 3 has no sample in the batch, class 2 one sample in training
        "class absent from the batch": (features, CENTERS, [0.1, 0.2, 0.3, 0.4], [0, 1, 2, 1], [30, 30, 1, 30]),
        "class absent from training": (features, CENTERS, [0.1, 0.2, 0.3, 0.4], [0, 1, 2, 1], [30, 30, 1, 0]),
        "two centers coincide (R_ben = 0)": (features, coinciding, [0.1, 0.2, 0.3, 0.4], [0, 1, 2, 3],
                                             [30, 30, 1, 30]),
        "all centers coincide, radii 0": (features, np.zeros_like(CENTERS), [0.0] * 4, [0, 1, 2, 3], [30, 1, 1, 30]),
        "samples on their centers, radii 0": (CENTERS[[0, 1, 2, 3]], CENTERS, [0.0] * 4, [0, 1, 2, 3],
                                              [30, 30, 1, 30]),
        "a batch of one sample of a one-sample class": (features[:1], CENTERS, [0.1, 0.2, 0.3, 0.4], [2],
                                                        [30, 30, 1, 30]),
        "every sample far from every center": (features * 1e3, CENTERS, [0.1, 0.2, 0.3, 0.4], [0, 1, 2, 3],
                                               [30, 30, 1, 30]),
    }


@pytest.mark.parametrize("case", list(_degenerate_batches()))
@pytest.mark.parametrize("method", list(METHODS))
def test_degenerate_batches_give_finite_losses_and_gradients(method, case):
    features, centers, radius, labels, counts = _degenerate_batches()[case]
    resolved = resolve_method(method, dataset="mnist")
    features, centers = tf.Variable(features), tf.Variable(centers)
    radius = tf.Variable(np.asarray(radius, np.float32))  # R_j = |a_j|, R_j² = a_j², as the model's radii
    with tf.GradientTape() as tape:
        loss, parts = resolved(features, centers, tf.constant(labels), tf.constant(counts, tf.float32),
                               tf.square(radius) if resolved.uses_radii else None)
    assert np.isfinite(loss.numpy()), (float(loss), {k: float(v) for k, v in parts.items()})
    assert all(np.isfinite(value.numpy()) for value in parts.values())
    gradients = tape.gradient(loss, [features, centers, radius])
    for name, gradient in zip(("features", "centers", "radii"), gradients):
        if gradient is not None:
            assert np.all(np.isfinite(tf.convert_to_tensor(gradient).numpy())), name
    if method == "arconvl" and "coincide" in case:
        assert float(parts["r_ben_sq"]) == 0.0 and float(parts["beta"]) == 1.0  # docs/variants.md


def test_q_larger_than_a_class_is_refused_and_q_equal_to_it_keeps_one_sample():
    y = np.repeat(np.arange(10), [30, 30, 12, 30, 30, 30, 30, 30, 30, 30])
    x = np.arange(len(y))
    _, kept = make_imbalanced(x, y, 12, np.random.default_rng(0))
    assert np.bincount(kept).tolist() == [2, 30, 1, 30, 2, 30, 2, 30, 2, 30]
    with pytest.raises(ConfigError, match=r"q = 13 would leave class 2 with no sample \(it has 12\); q may be at "
                                          r"most 12"):
        make_imbalanced(x, y, 13, np.random.default_rng(0))
    y_without_class_0 = y[y != 0]  # a class absent from the data is not q's doing: no error
    assert 0 not in make_imbalanced(y_without_class_0, y_without_class_0, 12, np.random.default_rng(0))[1]


def test_classes_of_one_sample_train_to_finite_numbers(tiny_data, tmp_path, capsys):
    """q = 30 on 30 images per class leaves each even class one training sample and none for
    validation: the run finishes, every logged number finite (G-mean over the classes present)."""
    out = tmp_path / "run"
    code, stdout, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "30", "--epochs", "1",
                                 "--data-dir", tiny_data, "--offline", "--out", out, "--quiet")
    assert code == 0, err
    assert "training split [1, 27, 1, 27, 1, 27, 1, 27, 1, 27]" in stdout
    (epoch,) = read_rows(out / "history.csv")
    assert all(np.isfinite(float(value)) for value in epoch.values()), epoch
    (row,) = read_rows(out / "run.csv")
    assert all(np.isfinite(float(row[column])) for column in ("val_gmean", "test_gmean", "test_classwise_acc"))
