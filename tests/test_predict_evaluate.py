"""A trained model applied (issue 13): ``arconvl.run.predict`` rows against a NumPy computation from
the saved centers and radii (distance, inside-region flag, scores), and the evaluation files cell
by cell, on a tiny ``PrototypeClassifier`` trained on solid-grey classes whose answer is known."""

import csv

import keras
import numpy as np
import pytest
from PIL import Image

import arconvl
from arconvl.errors import DataError
from arconvl.reports.confusion import confusion_matrix, evaluate_labels, row_normalised
from arconvl.run.predict import evaluate_to_files, predict_to_csv

CLASS_NAMES = ("dark", "mid", "light")
GREYS = (30, 130, 230)
SHAPE = (4, 4, 1)
PIXEL_SCALE = 1 / 255


def grey_images(labels, rng):
    base = np.array(GREYS)[labels][:, None, None, None]
    return np.clip(base + rng.integers(-10, 11, (len(labels), *SHAPE)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A trained arconvl model saved as model.keras, its radii set so that some training images
    lie inside their class region and some outside."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [24, 10, 4])
    x = grey_images(y, rng).astype("float32") * PIXEL_SCALE
    inputs = keras.Input(SHAPE)
    backbone = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    model = arconvl.PrototypeClassifier(backbone, class_counts=[24, 10, 4], method="arconvl")
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    model.fit(np.tile(x, (10, 1, 1, 1)), np.tile(y, 10), epochs=2, batch_size=16, verbose=0)
    features = backbone(x).numpy()
    d = np.linalg.norm(features - model.prototypes.centers.numpy()[y], axis=1)
    model.radii.a.assign([np.median(d[y == j]) for j in range(3)])  # about half inside
    path = tmp_path_factory.mktemp("run") / "model.keras"
    model.save(path)
    return path


def numpy_prediction(model, images):
    """(d², R²) from the loaded model's weights, in float64."""
    features = model.backbone(images.astype("float32") * PIXEL_SCALE).numpy().astype(np.float64)
    centers = model.prototypes.centers.numpy().astype(np.float64)
    d2 = ((features[:, None, :] - centers[None]) ** 2).sum(-1)
    return d2, model.radii.a.numpy().astype(np.float64) ** 2


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_predict_rows_match_numpy_from_the_saved_centers_and_radii(saved_model, tmp_path, capsys):
    model = keras.models.load_model(saved_model)
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1, 2], [6, 5, 5])
    images = grey_images(labels, rng)
    folder = tmp_path / "new"
    for i, (image, label) in enumerate(zip(images, labels)):
        (folder / CLASS_NAMES[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[..., 0]).save(folder / CLASS_NAMES[label] / f"{i:02d}.png")
    np.savez(tmp_path / "new.npz", x=images)
    d2, radius_sq = numpy_prediction(model, images)
    nearest = d2.argmin(axis=1)
    np.testing.assert_array_equal(nearest, labels)  # the known answer: solid greys
    inside = d2[np.arange(len(labels)), nearest] <= radius_sq[nearest]
    assert inside.any() and not inside.all()

    # Folder rows come in sorted path order: dark/00..05, light/11..15, mid/06..10.
    order = np.argsort([f"{CLASS_NAMES[label]}/{i:02d}" for i, label in enumerate(labels)])
    for source, ids, order_ in ((folder, None, order), (tmp_path / "new.npz", range(16), np.arange(16))):
        out = tmp_path / f"{source.stem}.csv"
        predict_to_csv(model, source, out, CLASS_NAMES, pixel_scale=PIXEL_SCALE, batch_size=5)
        rows = read_csv(out)
        assert list(rows[0]) == ["path" if ids is None else "index", "predicted", "distance", "radius",
                                 "inside_region", *[f"score_{name}" for name in CLASS_NAMES]]
        assert len(rows) == 16
        for row, i in zip(rows, order_):
            assert row["predicted"] == CLASS_NAMES[labels[i]]
            assert float(row["distance"]) == pytest.approx(np.sqrt(d2[i].min()), rel=1e-4, abs=1e-5)
            assert float(row["radius"]) == pytest.approx(np.sqrt(radius_sq[nearest[i]]), rel=1e-6)
            assert row["inside_region"] == str(bool(inside[i]))
            scores = [float(row[f"score_{name}"]) for name in CLASS_NAMES]
            np.testing.assert_allclose(scores, -d2[i], rtol=1e-4, atol=1e-5)
        if ids is None:
            assert rows[0]["path"].endswith("dark/00.png") and rows[-1]["path"].endswith("mid/10.png")
        else:
            assert [int(row["index"]) for row in rows] == list(ids)
    assert "16/16" in capsys.readouterr().err  # the progress bar, on stderr


def test_a_method_without_radii_has_no_radius_columns(tmp_path):
    inputs = keras.Input(SHAPE)
    model = arconvl.PrototypeClassifier(keras.Model(inputs, keras.layers.Flatten()(inputs)), class_counts=[3, 2],
                                        method="cpl")
    model.build((None, *SHAPE))
    np.savez(tmp_path / "x.npz", x_test=np.zeros((3, 4, 4), np.uint8))
    rows = predict_to_csv(model, tmp_path / "x.npz", tmp_path / "p.csv", ("a", "b"), pixel_scale=1.0,
                          progress=False)
    assert list(rows[0]) == ["index", "predicted", "distance", "score_a", "score_b"]


def test_evaluate_writes_recall_gmean_and_the_confusion_matrix(saved_model, tmp_path):
    model = keras.models.load_model(saved_model)
    labels = np.repeat([0, 1, 2], [8, 5, 3])
    images = grey_images(labels, np.random.default_rng(2)).astype("float32") * PIXEL_SCALE
    batches = [images[:7], images[7:]]
    evaluation, paths = evaluate_to_files(model, batches, labels, CLASS_NAMES, tmp_path / "eval", progress=False)
    np.testing.assert_array_equal(evaluation.confusion, np.diag([8, 5, 3]))  # solid greys: all right
    assert evaluation.gmean == 1.0 and evaluation.classwise_accuracy == 1.0
    confusion = read_csv(paths["confusion_csv"])
    assert [row["true"] for row in confusion] == list(CLASS_NAMES)
    assert [[int(row[name]) for name in CLASS_NAMES] for row in confusion] == [[8, 0, 0], [0, 5, 0], [0, 0, 3]]
    per_class = read_csv(paths["per_class"])
    assert [(row["class"], row["support"], row["correct"], float(row["recall"])) for row in per_class] == [
        ("dark", "8", "8", 1.0), ("mid", "5", "5", 1.0), ("light", "3", "3", 1.0)]
    assert {row["metric"]: float(row["value"]) for row in read_csv(paths["summary"])} == {
        "gmean": 1.0, "classwise_accuracy": 1.0}
    with Image.open(paths["confusion_png"]) as picture:
        assert picture.format == "PNG" and picture.size[0] > 200


def test_evaluation_of_known_labels_cell_by_cell():
    y_true = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 2, 1, 0, 2, 2, 2, 1]
    matrix = confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(matrix, [[2, 1, 1], [1, 1, 0], [0, 1, 3]])
    np.testing.assert_allclose(row_normalised(matrix), [[0.5, 0.25, 0.25], [0.5, 0.5, 0], [0, 0.25, 0.75]])
    evaluation = evaluate_labels(y_true, y_pred, ("a", "b", "c"))
    np.testing.assert_allclose(evaluation.recalls, [0.5, 0.5, 0.75])
    assert evaluation.gmean == pytest.approx((0.5 * 0.5 * 0.75) ** (1 / 3))
    assert evaluation.classwise_accuracy == pytest.approx(1.75 / 3)
    absent = evaluate_labels([0, 0, 1], [0, 1, 1], ("a", "b", "c"))  # class c absent: no recall, not in G-mean
    assert absent.per_class_rows()[2] == {"class": "c", "support": 0, "correct": 0, "recall": ""}
    assert absent.gmean == pytest.approx(0.5 ** 0.5)


def test_bad_predict_inputs_are_one_clear_error(saved_model, tmp_path):
    model = keras.models.load_model(saved_model)
    np.savez(tmp_path / "wrong_size.npz", x=np.zeros((2, 5, 5), np.uint8))
    np.savez(tmp_path / "wrong_channels.npz", x=np.zeros((2, 4, 4, 3), np.uint8))
    np.savez(tmp_path / "floats.npz", x=np.zeros((2, 4, 4), np.float32))
    np.savez(tmp_path / "no_x.npz", y=np.zeros(2))
    (tmp_path / "empty").mkdir()
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "notes.txt").write_text("hi")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"not a png")
    cases = [
        ("wrong_size.npz", r"images of shape \(5, 5, 1\), but the model takes \(4, 4, 1\)"),
        ("wrong_channels.npz", r"images of shape \(4, 4, 3\), but the model takes \(4, 4, 1\)"),
        ("floats.npz", "expected uint8 images"),
        ("no_x.npz", "no array x or x_test"),
        ("empty", "no image file"),
        ("mixed", "notes.txt: not an image file"),
        ("broken", "a.png: cannot be decoded as an image"),
        ("missing", "no such folder or .npz file"),
    ]
    for name, message in cases:
        out = tmp_path / f"{name}.csv"
        with pytest.raises(DataError, match=message) as caught:
            predict_to_csv(model, tmp_path / name, out, CLASS_NAMES, pixel_scale=PIXEL_SCALE, progress=False)
        assert "\n" not in str(caught.value) and not out.exists()
    with pytest.raises(DataError, match="2 class names for a model of 3 classes"):
        predict_to_csv(model, tmp_path / "wrong_size.npz", tmp_path / "x.csv", ("a", "b"), pixel_scale=1.0)
