"""Your own data through the commands (issue 13): ``train --dataset folder|arrays``, the run
directory's classes and ``model.keras``, ``predict`` and ``evaluate`` on the finished runs, a TOML
run file and a sweep naming them, and every refusal as one line, exit 2, nothing written.

Tiny generated data (8×8 grey images, 1–2 epochs) keep the real trainings to seconds.
"""

import contextlib
import io
import json

import keras
import numpy as np
import pytest
from PIL import Image
from test_bad_input import assert_refused, snapshot

from arconvl.run.config import resolve_run_config
from arconvl.run.directory import differing
from arconvl.sweep import load_experiment

from test_cli import read_rows, run_main

FOLDER_SIZES = {"ant": 40, "bee": 16, "cat": 6}  # k = 3, unequal; no test/ folder: the test split is drawn
ARRAY_NAMES = ("v", "w", "x", "y", "z")  # k = 5
ARRAY_SIZES = (30, 20, 12, 8, 5)
SHAPE = (8, 8)


def noisy_grey(label, rng, count):
    return np.clip(40 * label + 30 + rng.integers(-10, 11, (count, *SHAPE)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(0)
    for label, (name, count) in enumerate(FOLDER_SIZES.items()):
        (root / "train" / name).mkdir(parents=True)
        for i, image in enumerate(noisy_grey(label, rng, count)):
            Image.fromarray(image).save(root / "train" / name / f"{i}.png")
    return root


def array_file(path, names=ARRAY_NAMES, sizes=ARRAY_SIZES, test_size=3, seed=1):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(sizes)), sizes)
    y_test = np.repeat(np.arange(len(sizes)), test_size)
    np.savez(path, x_train=np.concatenate([noisy_grey(j, rng, n) for j, n in enumerate(sizes)]), y_train=y,
             x_test=np.concatenate([noisy_grey(j, rng, test_size) for j in range(len(sizes))]), y_test=y_test,
             class_names=np.array(names))
    return path


@pytest.fixture(scope="module")
def npz_file(tmp_path_factory):
    return array_file(tmp_path_factory.mktemp("arrays") / "mine.npz")


def train_own(dataset, data, out, *extra):
    """``train`` in this process on a user's data; returns its stdout."""
    from arconvl.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(a) for a in ("train", "--dataset", dataset, "--data-dir", data, "--out", out, "--quiet",
                                      *extra)])
    assert code == 0, stderr.getvalue()
    return stdout.getvalue()


@pytest.fixture(scope="module")
def folder_run(image_folder, tmp_path_factory):
    """A finished 2-epoch ARConvL run on the image folder, with its stdout."""
    out = tmp_path_factory.mktemp("runs") / "folder"
    return out, train_own("folder", image_folder, out, "--epochs", "2")


@pytest.fixture(scope="module")
def arrays_run(npz_file, tmp_path_factory):
    """A finished 1-epoch CPL (a baseline without radii) run on the .npz."""
    out = tmp_path_factory.mktemp("runs") / "arrays"
    return out, train_own("arrays", npz_file, out, "--epochs", "1", "--method", "cpl")


def config_json(run_dir):
    return json.loads((run_dir / "config.json").read_text())


# --- train ----------------------------------------------------------------------------------


def test_train_on_a_folder_records_and_prints_the_classes_and_saves_a_loadable_model(folder_run):
    run_dir, stdout = folder_run
    classes = config_json(run_dir)["classes"]
    assert classes["names"] == list(FOLDER_SIZES)
    totals = np.add(classes["before_split"], classes["test"])
    assert totals.tolist() == list(FOLDER_SIZES.values())  # the test split came out of train/
    assert np.add(classes["train"], classes["val"]).tolist() == classes["before_split"]
    assert all(n >= 1 for n in classes["test"])
    row = read_rows(run_dir / "run.csv")[0]
    assert [key for key in row if key.startswith("recall_")] == ["recall_0", "recall_1", "recall_2"]  # k = 3
    assert (row["dataset"], row["q"], row["backbone"], row["test_fraction"]) == ("folder", "1", "small_cnn", "0.2")
    assert json.loads(row["class_names"]) == list(FOLDER_SIZES)
    assert json.loads(row["train_counts"]) == classes["train"]
    for name in FOLDER_SIZES:  # the class table in the log: name, then its four counts
        j = list(FOLDER_SIZES).index(name)
        counts = [classes[c][j] for c in ("before_split", "train", "val", "test")]
        assert any(line.split() == [name, *map(str, counts)] for line in stdout.splitlines()), stdout
    assert "note: backbone small_cnn for 8x8 images" in stdout
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    assert model.num_classes == 3 and model.radius_sq() is not None


def test_train_on_arrays_keeps_their_test_set_and_has_k_recalls(arrays_run):
    run_dir, stdout = arrays_run
    classes = config_json(run_dir)["classes"]
    assert classes["names"] == list(ARRAY_NAMES) and classes["test"] == [3] * 5
    assert classes["before_split"] == list(ARRAY_SIZES)
    row = read_rows(run_dir / "run.csv")[0]
    assert [key for key in row if key.startswith("recall_")] == [f"recall_{j}" for j in range(5)]
    assert row["method"] == "cpl" and row["test_fraction"] == "0.2" and row["image_size"] == ""
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    assert model.num_classes == 5 and model.radius_sq() is None


def test_a_toml_run_file_naming_the_folder_is_the_same_run(folder_run, image_folder, tmp_path, capsys):
    run_dir, _ = folder_run
    path = tmp_path / "run.toml"
    path.write_text('dataset = "folder"\nepochs = 2\ntest_fraction = 0.2\n')
    code, out, err = run_main(capsys, "train", "--config", path, "--data-dir", image_folder, "--out", run_dir)
    assert code == 0, err
    assert "is finished; not retraining" in out and "folder arconvl seed=0" in out


# --- predict and evaluate -------------------------------------------------------------------


def test_predict_on_a_folder_writes_one_row_per_image_with_the_region_flag(folder_run, image_folder, tmp_path,
                                                                              capsys):
    run_dir, _ = folder_run
    out = tmp_path / "predictions.csv"
    code, stdout, err = run_main(capsys, "predict", run_dir, image_folder / "train", "--out", out)
    assert code == 0, err
    rows = read_rows(out)
    assert len(rows) == sum(FOLDER_SIZES.values())
    assert list(rows[0]) == ["path", "predicted", "distance", "radius", "inside_region",
                             *(f"score_{name}" for name in FOLDER_SIZES)]
    model = keras.models.load_model(run_dir / "model.keras", compile=False)
    radius_sq = np.asarray(model.radius_sq(), np.float64)
    scores = np.array([[float(row[f"score_{name}"]) for name in FOLDER_SIZES] for row in rows])
    nearest = scores.argmax(axis=1)
    d2 = -scores[np.arange(len(rows)), nearest]
    assert [row["predicted"] for row in rows] == [list(FOLDER_SIZES)[j] for j in nearest]
    np.testing.assert_allclose([float(row["distance"]) for row in rows], np.sqrt(d2), rtol=1e-12)
    np.testing.assert_allclose([float(row["radius"]) for row in rows], np.sqrt(radius_sq[nearest]), rtol=1e-6)
    assert [row["inside_region"] == "True" for row in rows] == list(d2 <= radius_sq[nearest])
    assert f"predictions in {out}" in stdout


def test_evaluate_redraws_the_runs_test_split_and_writes_the_confusion_matrix(folder_run, image_folder, tmp_path,
                                                                               capsys):
    run_dir, _ = folder_run
    out = tmp_path / "evaluation"
    code, stdout, err = run_main(capsys, "evaluate", run_dir, "--data-dir", image_folder, "--out", out)
    assert code == 0, err
    classes, row = config_json(run_dir)["classes"], read_rows(run_dir / "run.csv")[0]
    per_class = read_rows(out / "per_class_recall.csv")
    assert [int(r["support"]) for r in per_class] == classes["test"]  # the very test split of training
    for j, r in enumerate(per_class):
        assert float(r["recall"]) == pytest.approx(float(row[f"recall_{j}"]))
    confusion = read_rows(out / "confusion_matrix.csv")
    assert list(confusion[0]) == ["true", *FOLDER_SIZES]
    assert [sum(int(r[name]) for name in FOLDER_SIZES) for r in confusion] == classes["test"]
    summary = {r["metric"]: float(r["value"]) for r in read_rows(out / "summary.csv")}
    assert summary["gmean"] == pytest.approx(float(row["test_gmean"]))
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"G-mean {100 * float(row['test_gmean']):.2f}%" in stdout


def test_predict_and_evaluate_an_arrays_run_without_radius_columns(arrays_run, npz_file, tmp_path, capsys):
    run_dir, _ = arrays_run
    images = np.load(npz_file)["x_test"]
    np.savez(tmp_path / "new.npz", x=images)
    code, _, err = run_main(capsys, "predict", run_dir, tmp_path / "new.npz", "--out", tmp_path / "p.csv")
    assert code == 0, err
    rows = read_rows(tmp_path / "p.csv")
    assert list(rows[0]) == ["index", "predicted", "distance", *(f"score_{name}" for name in ARRAY_NAMES)]
    assert [row["index"] for row in rows] == [str(i) for i in range(len(images))]
    code, stdout, err = run_main(capsys, "evaluate", run_dir, "--data-dir", npz_file, "--out", tmp_path / "e")
    assert code == 0, err
    recalls = [float(r["recall"]) for r in read_rows(tmp_path / "e" / "per_class_recall.csv")]
    run_row = read_rows(run_dir / "run.csv")[0]
    assert recalls == pytest.approx([float(run_row[f"recall_{j}"]) for j in range(5)])


# --- refusals: one line, exit 2, nothing written ------------------------------------------------


def own_train(tmp, dataset, data, *extra):
    return ["train", "--dataset", dataset, "--data-dir", data, "--epochs", "1", "--out", tmp / "out", "--quiet", *extra]


TRAIN_REFUSALS = [
    ("--q on a folder", lambda t, f, a: own_train(t, "folder", f, "--q", "10"),
     "q does not apply to dataset folder: the data's own imbalance is used"),
    ("q in a TOML run file", lambda t, f, a: ["train", "--config", toml(t, 'dataset = "arrays"\nq = 1\n'),
                                               "--data-dir", a, "--out", t / "out"],
     "q does not apply to dataset arrays"),
    ("no --data-dir", lambda t, f, a: ["train", "--dataset", "folder", "--out", t / "out"],
     "dataset folder needs --data-dir DIR"),
    ("arrays from a folder", lambda t, f, a: own_train(t, "arrays", f),
     "is not a file (dataset arrays reads one .npz)"),
    ("a folder from a file", lambda t, f, a: own_train(t, "folder", a), "does not exist or is not a directory"),
    ("--test-fraction 1", lambda t, f, a: own_train(t, "arrays", a, "--test-fraction", "1"),
     "'test_fraction' must be a number in (0, 1), got 1.0"),
    ("--test-fraction on mnist", lambda t, f, a: ["train", "--dataset", "mnist", "--q", "2", "--test-fraction", "0.3",
                                                  "--out", t / "out"],
     "test_fraction is an option of dataset folder and arrays, not of mnist"),
    ("--image-size on arrays", lambda t, f, a: own_train(t, "arrays", a, "--image-size", "8", "8"),
     "image_size is an option of dataset folder, not of arrays"),
    ("--image-size 0 8", lambda t, f, a: own_train(t, "folder", f, "--image-size", "0", "8"),
     "'image_size' must be 2 values, each an integer from 1 to 4096, got [0, 8]"),
    ("--channels 2", lambda t, f, a: own_train(t, "folder", f, "--channels", "2"), "invalid choice: 2"),
    ("--backbone resnet21", lambda t, f, a: own_train(t, "folder", f, "--backbone", "resnet21"),
     "ResNet depth must be 6n + 2"),
    ("--backbone vgg", lambda t, f, a: own_train(t, "folder", f, "--backbone", "vgg16"), "unknown backbone 'vgg16'"),
    ("weights for the small CNN", lambda t, f, a: own_train(t, "folder", f, "--backbone-weights", "imagenet"),
     "backbone_weights is for backbone resnet50v2 or efficientnetb0, not the default backbone of folder"),
    ("weights for a ResNet", lambda t, f, a: own_train(t, "folder", f, "--backbone", "resnet20", "--backbone-weights",
                                                       "imagenet"),
     "backbone_weights is for backbone resnet50v2 or efficientnetb0, not resnet20"),
    ("weights from no file", lambda t, f, a: own_train(t, "folder", f, "--backbone", "resnet50v2",
                                                       "--backbone-weights", t / "none.h5"), "is no file"),
    ("--feature-dim of a ResNet", lambda t, f, a: own_train(t, "folder", f, "--backbone", "resnet20",
                                                            "--feature-dim", "8"), "feature_dim is fixed at 64"),
    ("application on 8x8 images", lambda t, f, a: own_train(t, "folder", f, "--backbone", "efficientnetb0"),
     "efficientnetb0 needs images of at least 32×32 pixels"),
]


def toml(tmp, text):
    path = tmp / "run.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("build, message", [pytest.param(b, m, id=n) for n, b, m in TRAIN_REFUSALS])
def test_bad_own_data_options_are_refused(tmp_path, capsys, image_folder, npz_file, build, message):
    assert_refused(capsys, tmp_path, build(tmp_path, image_folder, npz_file), message)


def test_a_folder_of_one_class_is_refused(tmp_path, capsys):
    (tmp_path / "d" / "train" / "only").mkdir(parents=True)
    Image.fromarray(np.zeros(SHAPE, np.uint8)).save(tmp_path / "d" / "train" / "only" / "0.png")
    assert_refused(capsys, tmp_path, own_train(tmp_path, "folder", tmp_path / "d"), "1 class (only)")


def test_predict_and_evaluate_refusals(tmp_path, capsys, folder_run, arrays_run, image_folder, npz_file):
    run_dir, _ = folder_run
    arrays_dir, _ = arrays_run
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text("{}")
    (tmp_path / "taken.csv").write_text("x\n")
    np.savez(tmp_path / "wide.npz", x=np.zeros((2, 8, 9), np.uint8))
    array_file(tmp_path / "other.npz", names=("a", "b", "c", "d", "e"))
    before = snapshot(run_dir.parent)
    cases = [
        (["predict", unfinished, image_folder, "--out", tmp_path / "p.csv"], "is not a finished run (no run.csv"),
        (["predict", tmp_path / "nowhere", image_folder, "--out", tmp_path / "p.csv"], "is no directory"),
        (["predict", run_dir, image_folder, "--out", tmp_path / "taken.csv"], "exists; move it away"),
        (["predict", run_dir, tmp_path / "wide.npz", "--out", tmp_path / "p.csv"],
         "images of shape (8, 9, 1), but the model takes (8, 8, 1)"),
        (["evaluate", run_dir, "--data-dir", image_folder, "--out", tmp_path], "exists; move it away"),
        (["evaluate", arrays_dir, "--data-dir", tmp_path / "other.npz", "--out", tmp_path / "e"],
         "the data's classes (a, b, c, d, e) are not the run's (v, w, x, y, z)"),
        (["evaluate", run_dir, "--dataset", "arrays", "--data-dir", image_folder, "--out", tmp_path / "e"],
         "is not a file"),
    ]
    for argv, message in cases:
        assert_refused(capsys, tmp_path, argv, message)
    assert snapshot(run_dir.parent) == before
    code, _, err = run_main(capsys, "predict", run_dir, tmp_path / "wide.npz", "--out", tmp_path / "taken.csv",
                            "--overwrite")
    assert code == 2 and (tmp_path / "taken.csv").read_text() == "x\n"  # refused later: still nothing written


# --- configs ----------------------------------------------------------------------------------


def test_own_data_defaults_and_backbones(tmp_path):
    small, notes = resolve_run_config("folder", None, input_shape=(32, 32, 1))
    large, _ = resolve_run_config("arrays", None, input_shape=(33, 20, 3))
    assert (small.backbone, large.backbone) == ("small_cnn", "resnet32")
    assert (small.q, small.augment, small.batch_size, small.epochs, small.test_fraction) == (1, False, 128, 50, 0.2)
    assert small.lr_decay_epochs == resolve_run_config("mnist", 10)[0].lr_decay_epochs  # the paper's fractions
    applied, _ = resolve_run_config("folder", None, backbone="resnet50v2", feature_dim=16, image_size=[64, 64])
    assert (applied.backbone, applied.feature_dim, applied.image_size) == ("resnet50v2", 16, (64, 64))
    assert resolve_run_config("svhn", 10)[0].backbone == "resnet44"  # the paper's sets keep theirs
    assert resolve_run_config("svhn", 10, backbone="resnet20")[0].backbone == "resnet20"
    weights = tmp_path / "w.h5"
    weights.write_bytes(b"")
    assert resolve_run_config("folder", None, backbone="efficientnetb0", backbone_weights=str(weights))[0] \
        .backbone_weights == str(weights)
    assert resolve_run_config("folder", None, backbone="efficientnetb0", backbone_weights="None")[0] \
        .backbone_weights is None


def test_a_config_of_before_these_options_still_names_the_same_run():
    config, _ = resolve_run_config("mnist", 10)
    old = {key: value for key, value in config.to_dict().items()
           if key not in ("backbone_weights", "test_fraction", "image_size", "channels")}
    assert differing({**old, "classes": {"names": ["0"]}}, config) == []
    assert differing({**old, "test_fraction": 0.5}, config) == ["test_fraction"]


def test_a_sweep_config_naming_an_arrays_dataset(tmp_path, npz_file, capsys):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\nmethods = ["cpl", "arconvl"]\ndatasets = ["arrays"]\nseeds = [0, 1]\nepochs = 1\n'
                    'test_fraction = 0.25\n')
    experiment = load_experiment(path)
    assert [run.key for run in experiment.runs()] == [f"arrays-q1-{m}-s{s}" for s in (0, 1) for m in ("cpl", "arconvl")]
    arguments = experiment.runs()[0].train_arguments()
    assert "--q" not in arguments and arguments[arguments.index("--test-fraction") + 1] == "0.25"
    code, out, err = run_main(capsys, "sweep", path, "--results-dir", tmp_path / "results", "--data-dir", npz_file,
                              "--dry-run")
    assert code == 0, err
    assert out.split() == [run.key for run in experiment.runs()]
    path.write_text(path.read_text() + "qs = [10]\n")
    assert_refused(capsys, tmp_path, ["sweep", path, "--dry-run"], "'qs' does not apply to arrays")
