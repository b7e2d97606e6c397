"""scripts/last_batch_probe.py: one step on a small and on a full batch from a run's own weights, data
and schedule, and the validation G-mean after each (docs/fashion_review.md)."""

import shutil

import numpy as np
import pytest
from repo_scripts import load_script

from test_cli import read_rows, write_learnable_mnist

DRAWS = 2


@pytest.fixture(scope="module")
def script():
    return load_script("scripts/last_batch_probe.py")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_learnable_mnist(tmp_path_factory.mktemp("data") / "mnist", n_train=1000, n_test=100).parent


def train_one_epoch(data, out, *extra):
    from arconvl.cli import main

    assert main(["train", "--dataset", "mnist", "--q", "1", "--method", "cpl", "--seed", "0", "--epochs", "1",
                 "--data-dir", str(data), "--offline", "--out", str(out), "--quiet", *extra]) == 0
    return out, data


@pytest.fixture(scope="module")
def finished_run(data, tmp_path_factory):
    """(run directory, data directory) of a finished one-epoch CPL run on learnable MNIST-format data."""
    return train_one_epoch(data, tmp_path_factory.mktemp("run") / "cpl")


def test_every_draw_starts_from_the_same_weights_and_optimizer_state(script, data, tmp_path, monkeypatch):
    """With momentum (``--variant paper``) a step leaves slots behind: each draw restores them."""
    from arconvl.model.classifier import PrototypeClassifier

    run_dir, _ = train_one_epoch(data, tmp_path / "paper", "--variant", "paper")
    seen = []
    step = PrototypeClassifier.train_on_batch

    def recording_step(self, *args, **kwargs):
        state = [*self.get_weights(), *(v.numpy() for v in self.network_optimizer.variables)]
        seen.append(state)
        return step(self, *args, **kwargs)

    monkeypatch.setattr(PrototypeClassifier, "train_on_batch", recording_step)
    script.probe(run_dir, data, epoch=1, draws=3, small=3)
    assert len(seen) == 6
    for state in seen[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(state, seen[0], strict=True))


def test_more_draws_than_an_epoch_holds_is_one_error_line(script, finished_run, capsys):
    run_dir, data = finished_run
    code, stdout, err = run_script(script, capsys, str(run_dir), "--data-dir", str(data), "--draws", "100")
    assert code == 2 and stdout == ""
    assert err.strip().splitlines() == ["error: an epoch holds 8 batches of 128 images: ask for --draws 8 or fewer"]


def test_the_probe_starts_from_the_runs_best_weights_at_its_epochs_rate(script, finished_run):
    run_dir, data = finished_run
    results = script.probe(run_dir, data, epoch=1, draws=DRAWS, small=3)
    (row,), (epoch,) = read_rows(run_dir / "run.csv"), read_rows(run_dir / "history.csv")
    # The run's one epoch is its best: the probe sees the validation numbers of the run's weights.
    assert results["before"] == pytest.approx(float(row["val_gmean"]), abs=1e-9)
    assert results["before_classwise"] == pytest.approx(float(epoch["val_classwise_acc"]), abs=1e-9)
    assert results["before_classwise"] > 0.5  # learnt: the seeded initial weights are no such model
    assert results["weights"] == "best.weights.h5"
    assert results["learning_rate"] == 0.1  # the paper's first rate
    assert sorted(k for k in results if isinstance(k, int)) == [3, 128]
    assert all(len(results[size]) == DRAWS and all(0 <= g <= 1 for g in results[size]) for size in (3, 128))


def test_the_command_prints_one_line_per_batch_size(script, finished_run, capsys):
    run_dir, data = finished_run
    code, stdout, err = run_script(script, capsys, str(run_dir), "--data-dir", str(data), "--draws", "1")
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].startswith(f"{run_dir}: best.weights.h5, validation G-mean ")
    assert "(class-wise accuracy 0." in lines[0]
    assert "one step at learning rate 0.1 (epoch 1) on" in lines[0]
    assert lines[1].startswith("     4 images: validation G-mean median ") and lines[1].endswith("of 1 draws")
    assert lines[2].startswith("   128 images: ")


def test_a_run_directory_without_weights_is_one_error_line(script, finished_run, tmp_path, capsys):
    run_dir, data = finished_run
    bare = tmp_path / "bare"
    shutil.copytree(run_dir, bare)
    (bare / "best.weights.h5").unlink()
    code, stdout, err = run_script(script, capsys, str(bare), "--data-dir", str(data))
    assert code == 2 and stdout == ""
    assert err.strip().splitlines() == [f"error: {bare} holds neither checkpoint.npz nor best.weights.h5"]


def run_script(script, capsys, *args):
    """The script's main in this process: (exit code, stdout, stderr)."""
    code = script.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bad_numbers_are_refused_by_argparse(script, capsys):
    with pytest.raises(SystemExit) as exit_:
        script.main(["somewhere", "--draws", "0"])
    assert exit_.value.code == 2
    assert "--epoch, --draws and --small take whole numbers from 1" in capsys.readouterr().err
