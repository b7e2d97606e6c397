"""A trained model applied: predictions for new images, and the evaluation of a labelled test set.

``predict_to_csv(model, INPUT, OUT, class_names, pixel_scale=...)`` writes one row per image of
INPUT (a folder of images, searched recursively, or an ``.npz`` with an array ``x``, else
``x_test``): its path (or index), the predicted class name (the nearest center, SPEC §1), the
distance d to that center, for a method with radii that class's radius R_j and whether
d ≤ R_j (the image lies inside the class region: an outlier signal), then the scores −d² of
every class. ``evaluate_to_files(model, batches, labels, class_names, OUT_DIR)`` writes the
per-class recall, the G-mean and class-wise accuracy, and the confusion matrix (CSV and PNG).
Every file is written atomically: nothing half-written.

``model``: a ``PrototypeClassifier`` (e.g. ``keras.models.load_model("model.keras")``); its
``predict`` gives the logits −d² and ``radius_sq()`` R_j² (None without radii).
"""

from pathlib import Path

import numpy as np

from arconvl.data.folder import image_files_under
from arconvl.data.formats import parsing
from arconvl.data.large.image_files import bar_progress, image_file_eval_pipeline, progress_bar, verify_images
from arconvl.errors import DataError
from arconvl.reports.confusion import confusion_figure, evaluate_labels, figure_png
from arconvl.run.files import rows_to_csv, write_atomically

ARRAY_KEYS = ("x", "x_test")  # the images of an .npz input, the first one present
DEFAULT_BATCH_SIZE = 256
EVALUATION_FILES = {"per_class": "per_class_recall.csv", "summary": "summary.csv",
                    "confusion_csv": "confusion_matrix.csv", "confusion_png": "confusion_matrix.png"}


def model_input_shape(model):
    """(height, width, channels) the model's backbone takes."""
    shape = getattr(model.backbone, "input_shape", None)
    if shape is None or len(shape) != 4 or None in shape[1:]:
        raise DataError(f"the model's backbone has no fixed image input shape (found {shape})")
    return tuple(int(side) for side in shape[1:])


def read_input_arrays(path, input_shape):
    """The uint8 NHWC images of the .npz at ``path`` (array ``x``, else ``x_test``), checked
    against the model's ``input_shape``."""
    with parsing(path, "NumPy .npz archive"), np.load(path, allow_pickle=False) as archive:
        key = next((key for key in ARRAY_KEYS if key in archive.files), None)
        if key is None:
            raise DataError(f"{path}: no array {' or '.join(ARRAY_KEYS)} (found {', '.join(archive.files) or 'none'})")
        images = archive[key]
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.dtype != np.uint8 or images.ndim != 4:
        raise DataError(f"{path} [{key}]: expected uint8 images of shape (N, H, W[, C]), "
                        f"found {images.dtype} {images.shape}")
    if images.shape[1:] != tuple(input_shape):
        raise DataError(f"{path} [{key}]: images of shape {images.shape[1:]}, but the model takes {tuple(input_shape)}")
    return images


def input_batches(input_path, input_shape, *, pixel_scale, batch_size=DEFAULT_BATCH_SIZE, progress=True):
    """(row ids, id column name, batches of float32 images) of INPUT: a folder's image files
    (every one decoded once first, then resized and converted to the model's size and channels
    as in training) or an .npz's arrays (of exactly the model's shape)."""
    input_path = Path(input_path)
    if input_path.is_dir():
        paths = image_files_under(input_path)
        if not paths:
            raise DataError(f"{input_path}: no image file (.png, .jpg, .jpeg, .bmp) in this folder")
        verify_images(paths, progress=bar_progress() if progress else None)
        batches = image_file_eval_pipeline(paths, image_size=input_shape[:2], batch_size=batch_size,
                                           pixel_scale=pixel_scale, channels=input_shape[2])
        return [str(path) for path in paths], "path", batches
    if input_path.is_file():
        images = read_input_arrays(input_path, input_shape)
        batches = (images[start:start + batch_size].astype(np.float32) * pixel_scale
                   for start in range(0, len(images), batch_size))
        return list(range(len(images))), "index", batches
    raise DataError(f"{input_path}: no such folder or .npz file")


def logits_of(model, batches, total=None, progress=True):
    """The model's logits −d² over all batches, (n, k) float64; a progress bar over the ``total``
    images on stderr."""
    logits, done = [], 0
    with progress_bar(total, "image", progress) as update:
        for batch in batches:
            logits.append(np.asarray(model.predict_on_batch(batch), np.float64))
            done += len(logits[-1])
            update(done)
    return np.concatenate(logits)


def radius_sq_of(model):
    """R_j² of the model as float64 (k,), or None for a method without radii."""
    radius_sq = model.radius_sq() if hasattr(model, "radius_sq") else None
    return None if radius_sq is None else np.asarray(radius_sq, np.float64)


def prediction_rows(ids, id_name, logits, class_names, radius_sq=None):
    """One dict per image: id, predicted class name, distance d = √(d²) to the nearest center,
    with radii the class radius R_j and ``inside_region`` (d² ≤ R_j²), then ``score_<class>``
    = −d² per class."""
    if logits.shape != (len(ids), len(class_names)):
        raise DataError(f"{len(ids)} images and {len(class_names)} class names, but logits of shape {logits.shape}")
    predicted = np.argmax(logits, axis=1)
    nearest_sq = -logits[np.arange(len(ids)), predicted]
    rows = []
    for i, row_id in enumerate(ids):
        row = {id_name: row_id, "predicted": class_names[predicted[i]], "distance": float(np.sqrt(nearest_sq[i]))}
        if radius_sq is not None:
            row["radius"] = float(np.sqrt(radius_sq[predicted[i]]))
            row["inside_region"] = bool(nearest_sq[i] <= radius_sq[predicted[i]])
        row.update({f"score_{name}": float(logits[i, j]) for j, name in enumerate(class_names)})
        rows.append(row)
    return rows


def predict_to_csv(model, input_path, out_path, class_names, *, pixel_scale, batch_size=DEFAULT_BATCH_SIZE,
                   progress=True):
    """Predict every image of ``input_path`` and write ``prediction_rows`` to ``out_path`` (CSV);
    returns the rows."""
    if len(class_names) != model.num_classes:
        raise DataError(f"{len(class_names)} class names for a model of {model.num_classes} classes")
    ids, id_name, batches = input_batches(input_path, model_input_shape(model), pixel_scale=pixel_scale,
                                          batch_size=batch_size, progress=progress)
    logits = logits_of(model, batches, len(ids), progress)
    rows = prediction_rows(ids, id_name, logits, tuple(class_names), radius_sq_of(model))
    write_atomically(out_path, rows_to_csv(rows))
    return rows


def evaluate_to_files(model, batches, labels, class_names, out_dir, *, title=None, progress=True):
    """The ``Evaluation`` of the model on labelled ``batches`` (images only, in the order of
    ``labels``), written to ``out_dir`` as ``EVALUATION_FILES``; returns (evaluation, paths)."""
    labels = np.asarray(labels)
    logits = logits_of(model, batches, len(labels), progress)
    if len(logits) != len(labels):
        raise DataError(f"{len(logits)} images but {len(labels)} labels")
    evaluation = evaluate_labels(labels, np.argmax(logits, axis=1), tuple(class_names))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {
        "per_class": rows_to_csv(evaluation.per_class_rows()),
        "summary": rows_to_csv(evaluation.summary_rows()),
        "confusion_csv": rows_to_csv(evaluation.confusion_rows()),
        "confusion_png": figure_png(confusion_figure(evaluation.confusion, evaluation.class_names, title)),
    }
    paths = {}
    for key, data in contents.items():
        paths[key] = out_dir / EVALUATION_FILES[key]
        write_atomically(paths[key], data)
    return evaluation, paths
