"""CelebA hair-5 (SPEC §4, the paper's Fig. 5): the aligned CelebA images with exactly one of
five hair attributes, one class per attribute; 64×64×3.

Layout of ``data_dir`` (the official CelebA release)::

    img_align_celeba/000001.jpg ...   the aligned and cropped JPEGs (178×218)
    list_attr_celeba.txt              line 1: number of images; line 2: the 40 attribute names;
                                      then per image: file name and 40 values of 1 / -1
    list_eval_partition.txt           per image: file name and 0 / 1 / 2 (train / val / test)

Class order ``CLASS_ATTRIBUTES`` = Blond, Brown, Gray, Bald, Black: the order that makes the
paper's per-class counts (supplementary Table 1, 24267:33192:6896:3713:38906) plausible. The
paper's text lists the classes as "blonde, black, bald, brown, and gray", but in that order its
largest class (38906) would be gray hair, which only about 4 % of CelebA images have; see
docs/large_scale_datasets.md for the reasoning. Change it here only.

Partitions: the official test partition (2) is the test set; the training pool is
``TRAIN_PARTITIONS`` = (0, 1) (train + official validation), which then gets the stratified 90/10
train/validation split.
"""

import os
from pathlib import Path

import numpy as np

from arconvl.data.large.image_files import ImageFiles, path_array
from arconvl.errors import ConfigError, DataError

ATTRIBUTE_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_FOLDER = "img_align_celeba"
CLASS_ATTRIBUTES = ("Blond_Hair", "Brown_Hair", "Gray_Hair", "Bald", "Black_Hair")
CLASS_NAMES = ("blond", "brown", "gray", "bald", "black")
TRAIN_PARTITIONS = (0, 1)
TEST_PARTITION = 2
IMAGE_SHAPE = (64, 64, 3)


def _lines(path):
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: CelebA file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read ({error})") from None


def read_hair_attributes(path):
    """(file names, bool array N × 5 of the ``CLASS_ATTRIBUTES`` columns) of list_attr_celeba.txt."""
    lines = _lines(path)
    if len(lines) < 2:
        raise DataError(f"{path}: expected the number of images on line 1 and the attribute names on line 2")
    try:
        declared = int(lines[0].strip())
    except ValueError:
        raise DataError(f"{path}, line 1: expected the number of images, got {lines[0].strip()!r}") from None
    names = lines[1].split()
    missing = [name for name in CLASS_ATTRIBUTES if name not in names]
    if missing:
        raise DataError(f"{path}, line 2: no attribute named {missing[0]} among the {len(names)} names")
    columns = [names.index(name) + 1 for name in CLASS_ATTRIBUTES]
    files, hair = [], []
    for number, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(names) + 1:
            raise DataError(f"{path}, line {number}: expected a file name and {len(names)} values, "
                            f"got {len(fields)} fields")
        if not set(fields[1:]) <= {"1", "-1"}:
            bad = next(value for value in fields[1:] if value not in ("1", "-1"))
            raise DataError(f"{path}, line {number}: attribute values must be 1 or -1, got {bad!r}")
        files.append(fields[0])
        hair.append([fields[column] == "1" for column in columns])
    if len(files) != declared:
        raise DataError(f"{path}: line 1 declares {declared} images but {len(files)} are listed")
    if len(set(files)) != len(files):
        seen = set()
        duplicate = next(name for name in files if name in seen or seen.add(name))
        raise DataError(f"{path}: image {duplicate} is listed twice")
    return files, np.array(hair, dtype=bool).reshape(-1, len(CLASS_ATTRIBUTES))


def read_partitions(path):
    """{file name: partition 0 / 1 / 2} of list_eval_partition.txt."""
    partitions = {}
    for number, line in enumerate(_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DataError(f"{path}, line {number}: expected a file name and a partition 0, 1 or 2, "
                            f"got {line.strip()!r}")
        if fields[0] in partitions:
            raise DataError(f"{path}, line {number}: image {fields[0]} is listed twice")
        partitions[fields[0]] = int(fields[1])
    return partitions


def hair_labels(hair):
    """Class index of each row with exactly one hair attribute, -1 for the others."""
    return np.where(hair.sum(axis=1) == 1, np.argmax(hair, axis=1), -1).astype(np.int32)


def _existing_images(folder):
    try:
        return set(os.listdir(folder))
    except FileNotFoundError:
        raise DataError(f"{folder}: CelebA image folder not found (expected {IMAGE_FOLDER}/ with the aligned JPEGs)") \
            from None
    except OSError as error:
        raise DataError(f"{folder}: cannot list the image folder ({error})") from None


def read_celeba(data_dir, train_partitions=TRAIN_PARTITIONS):
    """The hair-5 images of a local CelebA copy: training pool = ``train_partitions`` (default
    official train + validation), test = official test partition; labels in ``CLASS_ATTRIBUTES``
    order. ``DataError`` when a file is missing or malformed or a selected image is absent."""
    train_partitions = tuple(train_partitions)
    if not train_partitions or not set(train_partitions) <= {0, 1}:
        raise ConfigError(f"CelebA training partitions must be a non-empty subset of (0, 1), got {train_partitions!r}")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: CelebA directory not found")
    attribute_path, partition_path = data_dir / ATTRIBUTE_FILE, data_dir / PARTITION_FILE
    files, hair = read_hair_attributes(attribute_path)
    partitions = read_partitions(partition_path)
    lacking = next((name for name in files if name not in partitions), None)
    if lacking is not None:
        raise DataError(f"{partition_path}: no partition for {lacking} (listed in {ATTRIBUTE_FILE})")
    if len(partitions) != len(files):   # every listed image has a partition, so some partition is extra
        listed = set(files)
        unknown = next(name for name in partitions if name not in listed)
        raise DataError(f"{partition_path}: {unknown} is not listed in {ATTRIBUTE_FILE}")
    labels = hair_labels(hair)
    partition = np.array([partitions[name] for name in files], dtype=np.int8)
    in_train = (labels >= 0) & np.isin(partition, train_partitions)
    in_test = (labels >= 0) & (partition == TEST_PARTITION)
    folder = data_dir / IMAGE_FOLDER
    present = _existing_images(folder)
    absent = next((files[i] for i in np.flatnonzero(in_train | in_test) if files[i] not in present), None)
    if absent is not None:
        raise DataError(f"{folder / absent}: image file missing (listed in {ATTRIBUTE_FILE})")
    paths = path_array([folder / name for name in files])
    pool = "+".join(map(str, train_partitions))
    return ImageFiles(paths[in_train], labels[in_train], paths[in_test], labels[in_test],
                      source=f"{data_dir} (CelebA, partitions {pool} / {TEST_PARTITION})")
