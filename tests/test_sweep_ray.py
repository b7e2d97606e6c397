"""The Ray engine of the sweep runner, on one local Ray instance for the module: the same rows as the
local engine, resume, failed runs, worker crashes, resources, and its command-line errors."""

import sys
from types import SimpleNamespace

import pytest

from arconvl.errors import ConfigError
from arconvl.sweep import load_experiment, ray_engine, run_sweep, run_sweep_on_ray
from arconvl.sweep.ray_engine import task_options
from arconvl.sweep.runner import PACKAGE_ROOT

from sweep_helpers import CONFIG, attempts, rows, write_config
from test_cli import run_main, write_learnable_mnist

SMOKE_RUNS = ["mnist-q2-cpl-s0", "mnist-q2-arconvl-s0"]


def test_without_ray_the_engine_says_how_to_install_it(config_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails
    code, out, err = run_main(capsys, "sweep", config_file, "--engine", "ray", "--results-dir", tmp_path / "r")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "needs Ray: pip install -r requirements-ray.txt" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--engine", "ray", "--gpus-per-run", "1.5"], "--gpus-per-run must be a fraction in [0, 1] or a whole number"),
    (["--engine", "ray", "--cpus-per-run", "-1"], "--cpus-per-run must be a fraction"),
    (["--engine", "ray", "--jobs", "4"], "--jobs is an option of --engine local, not of --engine ray"),
    (["--address", "auto"], "--address is an option of --engine ray, not of --engine local"),
])
def test_engine_options_are_checked(config_file, tmp_path, capsys, arguments, message):
    code, _, err = run_main(capsys, "sweep", config_file, *arguments, "--results-dir", tmp_path / "r")
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_task_options_declare_the_resources_and_retry_only_crashes():
    assert task_options(cpus_per_run=0.5, gpus_per_run=0.25) == {
        "num_cpus": 0.5, "num_gpus": 0.25, "max_retries": ray_engine.WORKER_CRASH_RETRIES, "retry_exceptions": False}


def test_the_engine_attaches_to_the_address_only_when_not_attached_yet():
    calls = []
    attach = SimpleNamespace(is_initialized=lambda: False, init=lambda **options: calls.append(options),
                             job_config=SimpleNamespace(JobConfig=dict))
    assert ray_engine._connect(attach, "auto")
    assert calls == [{"address": "auto", "job_config": {"code_search_path": [str(PACKAGE_ROOT)]}}]
    assert not ray_engine._connect(SimpleNamespace(is_initialized=lambda: True), "auto")  # and will not shut down

    def unreachable(address, job_config):
        raise ConnectionError("Could not find any running Ray instance.\nPlease specify one")

    refuse = SimpleNamespace(is_initialized=lambda: False, init=unreachable, job_config=attach.job_config)
    with pytest.raises(ConfigError, match=r"^--address auto: cannot reach a Ray cluster \(Could not find .* one\)$"):
        ray_engine._connect(refuse, "auto")


@pytest.fixture(scope="module")
def local_ray():
    """A new local Ray instance for the module (never a cluster that runs here), with one (declared) GPU;
    the engine attaches to it."""
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_writes_the_rows_of_the_local_engine_and_skips_finished_runs(local_ray, config_file, fake_python,
                                                                         tmp_path):
    experiment = load_experiment(config_file)
    results = tmp_path / "ray.csv"
    assert run_sweep_on_ray(experiment, results, tmp_path / "runs", cpus_per_run=0.5, gpus_per_run=0.25,
                            python=fake_python, stream=sys.stdout) == (12, 0)
    assert {cuda for _, cuda in attempts(tmp_path)} == {"0"}  # each task got (a share of) the GPU
    assert run_sweep(experiment, tmp_path / "local.csv", tmp_path / "local-runs", jobs=2, python=fake_python,
                     stream=sys.stdout) == (12, 0)
    on_ray = rows(results)
    key = lambda row: (row["q"], row["method"], row["seed"])  # noqa: E731
    assert sorted(on_ray, key=key) == sorted(rows(tmp_path / "local.csv"), key=key)
    assert sorted(map(key, on_ray)) == sorted((str(run.q), run.method, str(run.seed))
                                              for run in experiment.runs())
    assert {row["experiment"] for row in on_ray} == {"tiny"}

    started = len(attempts(tmp_path))
    assert run_sweep_on_ray(experiment, results, tmp_path / "runs", python=fake_python, stream=sys.stdout) == (0, 0)
    assert rows(results) == on_ray and len(attempts(tmp_path)) == started  # nothing trained again


def test_a_failed_run_is_not_retried_by_ray_but_by_the_next_sweep(local_ray, config_file, fake_python, tmp_path,
                                                                   capsys):
    experiment = load_experiment(config_file, "smoke")
    results = tmp_path / "results.csv"
    (tmp_path / "fail.txt").write_text("mnist-q2-arconvl-s0")
    assert run_sweep_on_ray(experiment, results, tmp_path / "runs", python=fake_python) == (1, 1)
    err = capsys.readouterr().err
    assert "failed: mnist-q2-arconvl-s0 (exit 3): injected failure" in err and "1 done, 1 failed" in err
    assert [run for run, _ in attempts(tmp_path)].count("mnist-q2-arconvl-s0") == 1
    assert [row["method"] for row in rows(results)] == ["cpl"]

    (tmp_path / "fail.txt").write_text("")
    assert run_sweep_on_ray(experiment, results, tmp_path / "runs", python=fake_python) == (1, 0)
    assert sorted(row["method"] for row in rows(results)) == ["arconvl", "cpl"]


def test_a_run_whose_worker_dies_is_retried(local_ray, config_file, fake_python, tmp_path):
    experiment = load_experiment(config_file, "smoke")
    (tmp_path / "crash.txt").write_text("mnist-q2-cpl-s0")  # its first attempt kills its Ray worker
    assert run_sweep_on_ray(experiment, tmp_path / "results.csv", tmp_path / "runs", python=fake_python,
                            stream=sys.stdout) == (2, 0)
    assert sorted(run for run, _ in attempts(tmp_path)) == sorted(SMOKE_RUNS + ["mnist-q2-cpl-s0"])
    assert len(rows(tmp_path / "results.csv")) == 2


def test_a_run_whose_worker_dies_every_time_is_counted_failed(local_ray, config_file, fake_python, tmp_path,
                                                               capsys):
    experiment = load_experiment(config_file, "smoke")
    (tmp_path / "crash.txt").write_text("mnist-q2-cpl-s0")
    assert run_sweep_on_ray(experiment, tmp_path / "results.csv", tmp_path / "runs", python=fake_python,
                            max_retries=0) == (1, 1)
    assert "failed: mnist-q2-cpl-s0 (no exit code): WorkerCrashedError" in capsys.readouterr().err


def test_more_gpus_per_run_than_the_cluster_has_is_refused(local_ray, config_file, fake_python, tmp_path):
    with pytest.raises(ConfigError, match=r"^--gpus-per-run 2: more than all the GPUs of the Ray cluster \(1\)$"):
        run_sweep_on_ray(load_experiment(config_file), tmp_path / "results.csv", tmp_path / "runs", gpus_per_run=2,
                         python=fake_python)
    assert attempts(tmp_path) == [] and not (tmp_path / "runs").exists()


def test_a_task_that_cannot_start_train_is_counted_failed_with_the_reason(local_ray, config_file, tmp_path,
                                                                           capsys):
    experiment = load_experiment(config_file, "smoke")
    assert run_sweep_on_ray(experiment, tmp_path / "results.csv", tmp_path / "runs",
                            python=str(tmp_path / "no-such-python")) == (0, 2)
    err = capsys.readouterr().err
    assert err.count("(no exit code): FileNotFoundError: [Errno 2] No such file or directory") == 2, err


def test_real_tiny_ray_sweep_through_the_command_line_shares_a_gpu(local_ray, tmp_path, capsys, monkeypatch):
    declared = []

    def recorded_task_options(*args, **kwargs):
        declared.append(task_options(*args, **kwargs))
        return declared[-1]

    monkeypatch.setattr(ray_engine, "task_options", recorded_task_options)
    data = write_learnable_mnist(tmp_path / "data" / "mnist", n_train=300, n_test=100).parent
    config = write_config(tmp_path, CONFIG.replace('methods = ["cpl", "arconvl"]', 'methods = ["arconvl"]'))
    results = tmp_path / "results"
    code, out, err = run_main(capsys, "sweep", config, "--profile", "smoke", "--engine", "ray", "--gpus-per-run",
                              "0.25", "--cpus-per-run", "0.5", "--results-dir", results, "--data-dir", data,
                              "--offline")
    assert code == 0, err
    assert "1 runs finished, 0 failed" in out and "0 remaining" in err
    assert declared[0]["num_gpus"] == 0.25 and declared[0]["num_cpus"] == 0.5
    (row,) = rows(results / "smoke" / "tiny.csv")
    assert (row["method"], row["epochs"], row["param.gamma"]) == ("arconvl", "1", "0.1")
    assert (results / "smoke" / "runs" / "tiny" / "mnist-q2-arconvl-s0" / "history.csv").exists()
