"""Every registered method trains end to end through the command line on tiny data, and run
options come from a TOML config with the command line winning."""

import csv

import pytest

from arconvl.losses.registry import METHODS

from test_cli import run_main, write_learnable_mnist


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_learnable_mnist(tmp_path_factory.mktemp("data") / "mnist", n_train=300, n_test=100).parent


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_trains_and_writes_its_parts(name, tiny_data, tmp_path, capsys):
    code, out, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "2", "--method", name,
                              "--epochs", "1", "--data-dir", tiny_data, "--offline", "--out", tmp_path, "--quiet")
    assert code == 0, err
    (row,) = read_rows(tmp_path / "run.csv")
    assert row["method"] == name and 0.0 <= float(row["test_classwise_acc"]) <= 1.0
    (epoch,) = read_rows(tmp_path / "history.csv")
    for part in ("loss", *METHODS[name].parts):
        assert float(epoch[part]) == float(epoch[part]), part  # present and not NaN
    assert ("radius_lr" in epoch) == METHODS[name].uses_radii


def test_options_from_a_config_file_with_the_command_line_winning(tiny_data, tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('dataset = "mnist"\nq = 2\nmethod = "cb_focal"\nseed = 5\nepochs = 3\n'
                      '[params]\ngamma = 1.5\nform = "sigmoid"\n')
    out = tmp_path / "run"
    code, _, err = run_main(capsys, "train", "--config", config, "--epochs", "1", "--param", "gamma=0.5",
                            "--data-dir", tiny_data, "--offline", "--out", out, "--quiet")
    assert code == 0, err
    (row,) = read_rows(out / "run.csv")
    assert (row["method"], row["seed"], row["epochs"]) == ("cb_focal", "5", "1")
    assert (row["param.gamma"], row["param.form"], row["param.beta"]) == ("0.5", "sigmoid", "0.9999")


@pytest.mark.parametrize(
    "content, message",
    [
        ('dataset = "mnist"\nq = 2\nlearning_rate = 1\n', "unknown key 'learning_rate'"),
        ('dataset = "mnist"\nq = "two"\n', "'q' must be an integer from 1"),
        ('dataset = "mnist"\nq = 2\n[params]\nnope = 1\n', "has no parameter 'nope'"),
        ('dataset = "mnist"\nq = 2\nmethod = "cb"\n[params]\nbeta = "high"\n', "'beta' must be of type float"),
        ("dataset = \n", "not valid TOML"),
        ('method = "cpl"\n', "--dataset is required"),
    ],
)
def test_bad_config_files_exit_2_naming_the_key(content, message, tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(content)
    code, _, err = run_main(capsys, "train", "--config", config, "--out", tmp_path / "out", "--offline")
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()
