"""iNaturalist 2018 by super-category (SPEC §4, the paper's Fig. 5): the 14 super-categories as
classes; 224×224×3.

Layout of ``data_dir`` (the official iNaturalist 2018 competition release)::

    train2018.json, val2018.json   COCO-style annotations: "images" [{id, file_name, ...}],
                                   "annotations" [{image_id, category_id, ...}],
                                   "categories" [{id, name, supercategory, ...}]
    train_val2018/<super-category>/<category>/<image>.jpg
                                   the images; each file_name is relative to data_dir
    categories.json                (optional) the un-obfuscated category list released after the
                                   competition; when present it replaces both files' "categories"

Classes: ``SUPERCATEGORIES``, sorted by name. The official validation set is the test set (its
per-class counts equal the paper's test counts: 3 images per species); the official training
set is the training pool. The paper trained on a stratified quarter of that pool
(``PAPER_TRAIN_FRACTION``, applied by ``prepare_large_scale_splits``; see
docs/large_scale_datasets.md).
"""

import json
import os
from pathlib import Path

import numpy as np

from arconvl.data.large.image_files import ImageFiles, path_array
from arconvl.errors import DataError

TRAIN_FILE = "train2018.json"
TEST_FILE = "val2018.json"
CATEGORIES_FILE = "categories.json"
SUPERCATEGORIES = ("Actinopterygii", "Amphibia", "Animalia", "Arachnida", "Aves", "Bacteria", "Chromista",
                   "Fungi", "Insecta", "Mammalia", "Mollusca", "Plantae", "Protozoa", "Reptilia")
IMAGE_SHAPE = (224, 224, 3)
PAPER_TRAIN_FRACTION = 0.25


def _load_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: iNaturalist 2018 annotation file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: cannot read as JSON ({error})") from None


def _records(path, data, key, fields):
    """``data[key]``: a list of objects each holding ``fields``; ``DataError`` otherwise."""
    if not isinstance(data, dict) or key not in data:
        raise DataError(f"{path}: no {key!r} list")
    records = data[key]
    if not isinstance(records, list):
        raise DataError(f"{path}: {key!r} is not a list")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise DataError(f"{path}: {key}[{index}] is not an object")
        lacking = next((field for field in fields if field not in record), None)
        if lacking is not None:
            raise DataError(f"{path}: {key}[{index}] (id {record.get('id', '?')}) has no {lacking!r}")
    return records


def class_of_categories(path, categories):
    """{category id: class index into ``SUPERCATEGORIES``}."""
    classes = {}
    for category in categories:
        name = category["supercategory"]
        if name not in SUPERCATEGORIES:
            raise DataError(f"{path}: category {category['id']} has super-category {name!r}, not one of the 14 of "
                            f"iNaturalist 2018 (obfuscated names? put the official {CATEGORIES_FILE} beside it)")
        classes[category["id"]] = SUPERCATEGORIES.index(name)
    return classes


def read_annotations(path, data_dir, categories=None, check_files=True):
    """(paths, labels) of one annotation file, in the order of its "images"; each image must have
    exactly one annotation. ``categories`` (a list) replaces the file's own when given."""
    data = _load_json(path)
    images = _records(path, data, "images", ("id", "file_name"))
    annotations = _records(path, data, "annotations", ("image_id", "category_id"))
    if categories is None:
        categories = _records(path, data, "categories", ("id", "supercategory"))
    classes = class_of_categories(path, categories)
    position = {}
    for index, image in enumerate(images):
        if image["id"] in position:
            raise DataError(f"{path}: image id {image['id']} appears twice in 'images'")
        position[image["id"]] = index
    labels = np.full(len(images), -1, dtype=np.int32)
    for index, annotation in enumerate(annotations):
        image_id, category_id = annotation["image_id"], annotation["category_id"]
        if image_id not in position:
            raise DataError(f"{path}: annotations[{index}] points to image id {image_id}, which is not in 'images'")
        if category_id not in classes:
            raise DataError(f"{path}: annotations[{index}] points to category id {category_id}, "
                            "which is not in 'categories'")
        if labels[position[image_id]] >= 0:
            raise DataError(f"{path}: image id {image_id} has more than one annotation")
        labels[position[image_id]] = classes[category_id]
    unlabelled = np.flatnonzero(labels < 0)
    if len(unlabelled):
        image = images[unlabelled[0]]
        raise DataError(f"{path}: image id {image['id']} ({image['file_name']}) has no annotation")
    paths = [Path(data_dir) / image["file_name"] for image in images]
    if check_files:
        absent = next((p for p in paths if not os.path.isfile(p)), None)
        if absent is not None:
            raise DataError(f"{absent}: image file missing (listed in {Path(path).name})")
    return path_array(paths), labels


def read_inaturalist(data_dir, check_files=True):
    """The images of a local iNaturalist 2018 copy labelled by super-category: training pool =
    train2018.json, test = val2018.json. ``check_files``: every listed image must exist."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: iNaturalist 2018 directory not found")
    categories = None
    if (data_dir / CATEGORIES_FILE).is_file():
        replacement = _load_json(data_dir / CATEGORIES_FILE)
        categories = _records(data_dir / CATEGORIES_FILE, {"categories": replacement}, "categories",
                              ("id", "supercategory"))
    train = read_annotations(data_dir / TRAIN_FILE, data_dir, categories, check_files)
    test = read_annotations(data_dir / TEST_FILE, data_dir, categories, check_files)
    return ImageFiles(*train, *test, source=f"{data_dir} (iNaturalist 2018, {TRAIN_FILE} / {TEST_FILE})")
