"""Experiment configs and the sweep runner: resume, retry, shards, concurrent writers, and one real
tiny sweep through the command line."""

import io
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from arconvl.errors import ConfigError
from arconvl.sweep import load_experiment, parse_shard, run_sweep, select_shard
from arconvl.sweep.results_file import append_result, read_result_rows
from arconvl.sweep.runner import Outcome, Progress

from sweep_helpers import CONFIG, rows
from test_cli import run_main, write_learnable_mnist


def test_profiles_override_the_grid(config_file):
    paper = load_experiment(config_file)
    smoke = load_experiment(config_file, "smoke")
    assert len(paper.runs()) == 2 * 1 * 2 * 3 and paper.epochs is None
    assert [run.key for run in smoke.runs()] == ["mnist-q2-cpl-s0", "mnist-q2-arconvl-s0"]
    assert smoke.epochs == 1 and smoke.runs()[1].params == {"gamma": 0.1}
    args = smoke.runs()[1].train_arguments()
    assert args[args.index("--epochs") + 1] == "1" and "gamma=0.1" in args
    assert "--precision" not in args and "--xla" not in args   # the defaults: float32, no XLA


def test_runs_go_seed_by_seed_in_the_configs_order(config_file):
    """Every cell at seed 0 before any at seed 1: a sweep cut short leaves whole tables."""
    keys = [run.key for run in load_experiment(config_file).runs()]
    assert keys[:4] == ["mnist-q2-cpl-s0", "mnist-q2-arconvl-s0", "mnist-q5-cpl-s0", "mnist-q5-arconvl-s0"]
    assert [key[-2:] for key in keys] == ["s0"] * 4 + ["s1"] * 4 + ["s2"] * 4


def test_speed_settings_reach_every_train_command(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text(CONFIG.replace('seeds = [0, 1, 2]', 'seeds = [0, 1, 2]\nprecision = "mixed_bfloat16"\nxla = true'))
    for run in load_experiment(path).runs():
        args = run.train_arguments()
        assert args[args.index("--precision") + 1] == "mixed_bfloat16" and "--xla" in args


@pytest.mark.parametrize(
    "edit, message",
    [
        (("seeds = [0, 1, 2]", "seeds = [0, 1, 2]\nlearning_rate = 0.3"), "unknown key 'learning_rate'"),
        (('methods = ["cpl", "arconvl"]', 'methods = ["cpl", "softmax"]'), "'methods' has a bad entry 'softmax'"),
        (("qs = [2, 5]", "qs = [0]"), "'qs' has a bad entry 0"),
        (("qs = [2, 5]", "qs = [2, 2]"), "'qs' repeats an entry"),
        (("gamma = 0.1", "gamma = 'big'"), "[params.arconvl]: parameter 'gamma' must be of type float"),
        (("gamma = 0.1", "delta = 1"), "[params.arconvl]: method 'arconvl' has no parameter 'delta'"),
        (("epochs = 1", "epochs = 0"), "'epochs' must be an integer from 1 to 10000"),
        (("epochs = 1", "batch = 3"), "[profiles.smoke] has unknown key 'batch'"),
        (('name = "tiny"', 'name = "a b"'), "'name' must be a simple identifier"),
        (("seeds = [0, 1, 2]", 'seeds = [0, 1, 2]\nprecision = "float16"'), "'precision' must be one of float32"),
        (("seeds = [0, 1, 2]", 'seeds = [0, 1, 2]\nxla = "on"'), "'xla' must be true or false"),
    ],
)
def test_bad_configs_are_rejected_naming_the_key(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace(*edit))
    profile = "smoke" if edit[0] == "epochs = 1" else "paper"  # the smoke profile overrides qs and seeds
    with pytest.raises(ConfigError) as error:
        load_experiment(path, profile)
    assert message in str(error.value)


def test_unknown_profile_is_named(config_file):
    with pytest.raises(ConfigError, match="no profile 'fast'; it has: paper, smoke"):
        load_experiment(config_file, "fast")


def test_shards_are_disjoint_and_cover_the_grid(config_file):
    runs = [run.key for run in load_experiment(config_file).runs()]
    for count in (1, 2, 3, 5, 20):
        shards = [[run.key for run in select_shard(load_experiment(config_file).runs(), (i, count))]
                  for i in range(count)]
        assert sorted(key for shard in shards for key in shard) == sorted(runs)
        assert len({key for shard in shards for key in shard}) == len(runs)
    assert parse_shard("2/4") == (2, 4)
    for bad in ("4/4", "-1/2", "a/b", "3"):
        with pytest.raises(ConfigError, match="--shard"):
            parse_shard(bad)


def test_sweep_writes_rows_skips_finished_and_retries_failed(config_file, fake_python, tmp_path):
    experiment = load_experiment(config_file)
    results, runs_dir = tmp_path / "results.csv", tmp_path / "runs"
    marker = tmp_path / "fail.txt"  # read by the fake python beside it
    marker.write_text("mnist-q5-arconvl-s1 mnist-q2-cpl-s2")

    finished, failed = run_sweep(experiment, results, runs_dir, jobs=3, python=fake_python, stream=sys.stdout)
    assert (finished, failed) == (10, 2)
    first = rows(results)
    assert len(first) == 10 and {r["experiment"] for r in first} == {"tiny"}
    assert {(r["q"], r["method"], r["seed"]) for r in first}.isdisjoint({("5", "arconvl", "1"), ("2", "cpl", "2")})
    assert "injected failure" in (runs_dir / "mnist-q5-arconvl-s1.log").read_text()

    marker.write_text("")  # the failure is gone: a re-run trains only the two failed runs
    finished, failed = run_sweep(experiment, results, runs_dir, jobs=2, python=fake_python, stream=sys.stdout)
    assert (finished, failed) == (2, 0)
    final = rows(results)
    assert final[:10] == first and len(final) == 12
    assert len({(r["q"], r["method"], r["seed"]) for r in final}) == 12
    assert run_sweep(experiment, results, runs_dir, python=fake_python, stream=sys.stdout) == (0, 0)


def test_shards_of_one_sweep_fill_one_results_file(config_file, fake_python, tmp_path):
    experiment = load_experiment(config_file)
    results = tmp_path / "results.csv"
    with ThreadPoolExecutor(3) as pool:  # three shards at once, as three machines would
        outcomes = list(pool.map(
            lambda i: run_sweep(experiment, results, tmp_path / "runs", shard=(i, 3), python=fake_python,
                                stream=sys.stdout),
            range(3)))
    assert sum(done for done, _ in outcomes) == 12
    assert sorted((r["q"], r["method"], r["seed"]) for r in rows(results)) == sorted(
        (str(run.q), run.method, str(run.seed)) for run in experiment.runs())


def test_concurrent_appends_never_lose_or_mangle_rows(tmp_path):
    results = tmp_path / "results.csv"

    def append(i):
        extra = {f"param.p{i % 3}": str(i)}  # rows of different methods carry different columns
        return append_result(results, {"dataset": "mnist", "q": "2", "method": "m", "seed": str(i), **extra})

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(append, range(40)))
    written = read_result_rows(results)
    assert sorted(int(r["seed"]) for r in written) == list(range(40))
    assert all(r[f"param.p{int(r['seed']) % 3}"] == r["seed"] for r in written)
    assert not append_result(results, {"dataset": "mnist", "q": "2", "method": "m", "seed": "7"})  # no duplicate


def test_real_tiny_sweep_and_its_reports_through_the_command_line(tmp_path, capsys):
    data = write_learnable_mnist(tmp_path / "data" / "mnist", n_train=300, n_test=100).parent
    config = tmp_path / "table1.toml"
    config.write_text(CONFIG.replace('name = "tiny"', 'name = "table1"').replace("qs = [2]", "qs = [10]"))
    results = tmp_path / "results"
    code, out, err = run_main(capsys, "sweep", config, "--profile", "smoke", "--jobs", "2",
                              "--results-dir", results, "--data-dir", data, "--offline")
    assert code == 0, err
    assert "2 runs finished, 0 failed" in out and "0 remaining" in err
    (cpl, arconvl) = sorted(rows(results / "smoke" / "table1.csv"), key=lambda r: r["method"] != "cpl")
    assert (cpl["method"], arconvl["method"]) == ("cpl", "arconvl")
    assert (arconvl["param.gamma"], arconvl["epochs"]) == ("0.1", "1")
    assert Path(results / "smoke" / "runs" / "table1" / "mnist-q10-arconvl-s0" / "history.csv").exists()
    code, _, err = run_main(capsys, "sweep", config, "--profile", "smoke", "--results-dir", results,
                            "--data-dir", data, "--offline")
    assert code == 0 and "0 runs to do" in err

    code, out, err = run_main(capsys, "report", "--profile", "smoke", "--results-dir", results)
    assert code == 0, err
    written = {Path(line).name for line in out.split()}
    for name in ("table1_gmean.md", "table1_gmean.tex", "table1_gmean.csv", "table3_classwise_accuracy.md",
                 "fig4_gmean.png", "fig4_gmean.pdf", "supp_fig1_classwise_accuracy.png", "comparison_with_paper.md"):
        assert name in written and (results / "smoke" / name).stat().st_size > 0, name
    table = (results / "smoke" / "table1_gmean.md").read_text()
    gmean = 100 * float(arconvl["test_gmean"])
    (row,) = [line for line in table.splitlines() if line.startswith("| Mnist-10 |")]
    assert row.split("|")[-2].strip().replace("**", "") == f"{gmean:.1f} (n=1)"  # the ARConvL cell
    comparison = (results / "smoke" / "comparison_with_paper.md").read_text()
    assert "99.1±0.0" in comparison and "98.2±0.2" in comparison  # the paper's ARConvL and CPL on MNIST-10


@pytest.mark.parametrize(("wall", "recorded", "eta"), [
    (100.0, "90.0", "2m30s"),  # a fresh run: its wall time (start-up included), 100 s × 3 runs / 2 jobs
    (100.0, "1000.0", "25m00s"),  # resumed: the training time it carried on from its checkpoint
    (100.0, "", "2m30s"),  # a row written without seconds
])
def test_the_eta_counts_a_resumed_runs_whole_training_time(config_file, tmp_path, wall, recorded, eta):
    progress = Progress(total=4, jobs=2, stream=io.StringIO())
    run = load_experiment(config_file).runs()[0]
    row = {"dataset": run.dataset, "q": str(run.q), "method": run.method, "seed": str(run.seed), "seconds": recorded}
    progress.record(Outcome(run, tmp_path / "run.log", 0, row, "", wall),
                    SimpleNamespace(name="tiny", profile="paper"), tmp_path / "table.csv")
    assert progress.stream.getvalue().splitlines()[-1] == f"sweep: 1 done, 0 failed, 3 remaining, ETA {eta}"
