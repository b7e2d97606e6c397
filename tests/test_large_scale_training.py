"""Training on CelebA hair-5 and iNaturalist 2018 through ``python -m arconvl train``: small
generated directories in the real layouts, ResNet-56, the 64-image batches, and a resumed run
that ends as an uninterrupted one (the image-file pipeline keeps the (seed, epoch) contract)."""

import json

import numpy as np
import pytest
from test_large_scale_data import INAT_SUPERCATEGORIES, many_celeba_entries, write_celeba, write_inat
from test_resume import assert_same_run, interrupt, read_rows

from arconvl.cli import main
from arconvl.run.config import resolve_run_config

CELEBA_SIZES, CELEBA_TEST_SIZES = [12, 10, 6, 4, 12], [2, 2, 2, 2, 2]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A --data-dir holding CelebA in its subfolder ``celeba/`` (found there by name)."""
    root = tmp_path_factory.mktemp("large")
    write_celeba(root / "celeba", many_celeba_entries(CELEBA_SIZES, CELEBA_TEST_SIZES))
    return root


def train(*arguments):
    return main(["train", "--quiet", *map(str, arguments)])


def test_celeba_defaults_are_the_papers():
    config, _ = resolve_run_config("celeba", 1, "arconvl", 0)
    assert (config.backbone, config.epochs, config.lr_decay_epochs, config.batch_size, config.augment) == (
        "resnet56", 100, (52, 82), 64, False)   # decays at 51 and 81, one epoch later under variant code
    paper, _ = resolve_run_config("inaturalist2018", 1, "cb_focal", 0, variant="paper")
    assert paper.lr_decay_epochs == (51, 81)
    assert (paper.method_params["beta"], paper.method_params["gamma"]) == (0.999, 0.5)   # supp. Table 2


def test_celeba_run_writes_history_and_resumes_to_the_same_result(data_dir, tmp_path, capsys, monkeypatch):
    arguments = ["--dataset", "celeba", "--q", 1, "--epochs", 2, "--data-dir", data_dir]
    whole = tmp_path / "whole"
    assert train(*arguments, "--out", whole) == 0
    assert "per-class counts before the split [12, 10, 6, 4, 12]" in capsys.readouterr().out
    history = read_rows(whole / "history.csv")
    assert [row["epoch"] for row in history] == ["1", "2"]
    assert all(np.isfinite(float(row["loss"])) for row in history)
    config = json.loads((whole / "config.json").read_text())
    assert (config["dataset"], config["backbone"], config["batch_size"]) == ("celeba", "resnet56", 64)
    (row,) = read_rows(whole / "run.csv")
    assert len([key for key in row if key.startswith("recall_")]) == 5   # five hair classes

    stopped = tmp_path / "stopped"
    with monkeypatch.context() as patch:
        interrupt(patch, epoch=1, before_checkpoint=False)
        assert train(*arguments, "--out", stopped) == 130
    assert train(*arguments, "--out", stopped) == 0
    assert "resuming" in capsys.readouterr().out
    assert_same_run(stopped, whole, epochs=2)


def test_inaturalist_run_at_224_writes_history(tmp_path, capsys):
    """All 14 super-categories, 20 pool images each: the paper's quarter keeps 5 a class, of which
    one goes to validation; one epoch of ResNet-56 on 224×224 inputs."""
    categories = {100 + j: name for j, name in enumerate(INAT_SUPERCATEGORIES)}
    pool = [(f"train_val2018/{name}/{cid}/t{i}.jpg", cid) for cid, name in categories.items() for i in range(20)]
    test = [(f"train_val2018/{name}/{cid}/v.jpg", cid) for cid, name in categories.items()]
    write_inat(tmp_path / "data" / "inat2018", pool, test, categories, size=(40, 30))
    out = tmp_path / "run"
    assert train("--dataset", "inaturalist2018", "--q", 1, "--method", "cb_focal", "--epochs", 1,
                 "--data-dir", tmp_path / "data", "--out", out) == 0
    assert f"per-class counts before the split {[5] * 14}" in capsys.readouterr().out
    (row,) = read_rows(out / "history.csv")
    assert row["epoch"] == "1" and np.isfinite(float(row["loss"]))
    config = json.loads((out / "config.json").read_text())
    assert (config["backbone"], config["method_params"]["gamma"]) == ("resnet56", 0.5)


def test_large_scale_errors_are_one_line(data_dir, tmp_path, capsys):
    out = tmp_path / "bad"
    assert train("--dataset", "celeba", "--q", 1, "--out", out) == 2
    assert "celeba is read from a local copy only: give --data-dir" in capsys.readouterr().err
    assert train("--dataset", "celeba", "--q", 10, "--data-dir", data_dir, "--out", out) == 2
    assert "celeba keeps its natural imbalance: q must be 1, got 10" in capsys.readouterr().err
    assert train("--dataset", "inaturalist2018", "--q", 1, "--data-dir", data_dir, "--out", out) == 2
    error = capsys.readouterr().err.strip()
    assert "train2018.json" in error and "\n" not in error
    assert not (out / "history.csv").exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_corrupt_image_is_one_line_naming_it_before_anything_is_written(damage, tmp_path, capsys):
    """``train`` decodes every image of the run once before it touches --out: exit 2, one line on
    stderr naming the file, no traceback, and --out as it was (absent, or an existing folder)."""
    root = write_celeba(tmp_path / "data" / "celeba", many_celeba_entries([6, 5, 5, 5, 6], [1, 1, 1, 1, 1]))
    bad = root / "img_align_celeba" / "000007.jpg"
    content = bad.read_bytes()
    bad.write_bytes(content[:len(content) // 2] if damage == "truncated" else b"\xff\xd8\xff\xe0 not a JPEG")
    arguments = ["--dataset", "celeba", "--q", 1, "--epochs", 1, "--data-dir", tmp_path / "data"]
    absent = tmp_path / "absent"
    assert train(*arguments, "--out", absent) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert f"{bad}: cannot be decoded as an image" in error
    assert not absent.exists()

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    assert train(*arguments, "--out", existing) == 2
    assert str(bad) in capsys.readouterr().err
    assert [p.name for p in existing.iterdir()] == ["notes.txt"] and (existing / "notes.txt").read_text() == "mine"
