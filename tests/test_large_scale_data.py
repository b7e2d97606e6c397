"""CelebA hair-5 and iNaturalist 2018 from local copies, on small generated directories in the
real layouts (the writers below do not use the code under test), and the image-file pipelines."""

import inspect
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from arconvl.data.large import (
    allocate_fraction,
    celeba,
    compare_with_paper,
    format_count_comparison,
    image_file_eval_pipeline,
    image_file_train_pipeline,
    inaturalist,
    paper_counts,
    prepare_large_scale_splits,
    print_progress,
    read_celeba,
    read_inaturalist,
    verify_images,
)
from arconvl.data.large.__main__ import main as check_command
from arconvl.errors import ConfigError, DataError

CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young").split()
# The documented class order (docs/large_scale_datasets.md): blond, brown, gray, bald, black.
HAIR_CLASS = {"Blond_Hair": 0, "Brown_Hair": 1, "Gray_Hair": 2, "Bald": 3, "Black_Hair": 4}
INAT_SUPERCATEGORIES = ("Actinopterygii", "Amphibia", "Animalia", "Arachnida", "Aves", "Bacteria", "Chromista",
                        "Fungi", "Insecta", "Mammalia", "Mollusca", "Plantae", "Protozoa", "Reptilia")
# The official iNaturalist 2018 training images per super-category (the competition's README).
INAT_OFFICIAL_TRAIN = {"Plantae": 118800, "Insecta": 87192, "Aves": 143950, "Actinopterygii": 7835, "Fungi": 6864,
                       "Reptilia": 22754, "Mollusca": 8007, "Mammalia": 20104, "Animalia": 5966, "Amphibia": 11156,
                       "Arachnida": 4037, "Chromista": 621, "Protozoa": 211, "Bacteria": 16}
# Supplementary Table 1 of the paper, as printed.
PAPER = {"celeba": ([24267, 33192, 6896, 3713, 38906], [3056, 4793, 967, 411, 4144]),
         "inaturalist2018": ([1959, 2789, 1492, 1009, 35987, 4, 155, 1716, 21798, 5026, 2002, 29700, 53, 5688],
                             [1107, 432, 534, 342, 3774, 3, 75, 963, 6093, 702, 786, 8751, 12, 852])}


def colour(label):
    """A distinct uniform colour per class, so a decoded image tells its class."""
    return (label * 18, 255 - label * 18, (label * 97) % 256)


def class_of_pixels(images):
    """The class whose colour is nearest to each image's mean colour."""
    table = np.array([colour(c) for c in range(14)], dtype=np.float32)
    means = np.asarray(images, dtype=np.float32).mean(axis=(1, 2))
    return np.argmin(((means[:, None, :] - table[None]) ** 2).sum(-1), axis=1)


def write_jpeg(path, label=0, size=(178, 218)):
    """A uniform-colour JPEG of ``size`` (width, height); label None: a zero-byte placeholder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if label is None:
        path.write_bytes(b"")
    else:
        Image.new("RGB", size, colour(label)).save(path, quality=95)


def write_celeba(root, entries, images="colour", count=None, names=CELEBA_ATTRIBUTES):
    """The three parts of the CelebA layout. ``entries``: (file, positive attributes, partition);
    ``images``: "colour" (JPEG coloured by the class, or 0 for the excluded), "empty" (zero-byte)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [str(len(entries) if count is None else count), " ".join(names)]
    for name, positive, _ in entries:
        lines.append(name + " " + " ".join(f"{1 if a in positive else -1:2d}" for a in names))
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "list_eval_partition.txt").write_text("".join(f"{name} {part}\n" for name, _, part in entries))
    (root / "img_align_celeba").mkdir(parents=True, exist_ok=True)
    for name, positive, _ in entries:
        hair = [HAIR_CLASS[a] for a in positive if a in HAIR_CLASS]
        label = hair[0] if len(hair) == 1 else 0
        write_jpeg(root / "img_align_celeba" / name, None if images == "empty" else label)
    return root


def celeba_entries():
    """Every class in every partition, plus images with two or no hair attributes (excluded), and
    non-hair attributes that must not matter. Returns (entries, expected train, expected test)."""
    entries, train, test = [], [], []
    number = 0
    for partition in (0, 1, 2):
        for attribute, label in HAIR_CLASS.items():
            for extra in ((), ("Male", "Smiling")):
                number += 1
                name = f"{number:06d}.jpg"
                entries.append((name, {attribute, *extra}, partition))
                (test if partition == 2 else train).append((name, label, partition))
        for positive in ({"Black_Hair", "Brown_Hair"}, {"Bald", "Gray_Hair"}, set(), {"Young"}):
            number += 1
            entries.append((f"{number:06d}.jpg", positive, partition))
    return entries, train, test


def many_celeba_entries(sizes, test_sizes):
    """``sizes[j]`` training-pool images of class j (partitions 0 and 1 alternating) and
    ``test_sizes[j]`` test images, interleaved across classes."""
    attributes = list(HAIR_CLASS)
    entries, number = [], 0
    for j, n in enumerate(sizes):
        for i in range(n):
            number += 1
            entries.append((f"{number:06d}.jpg", {attributes[j]}, i % 2))
    for j, n in enumerate(test_sizes):
        for _ in range(n):
            number += 1
            entries.append((f"{number:06d}.jpg", {attributes[j]}, 2))
    order = np.random.default_rng(7).permutation(len(entries))
    return [entries[i] for i in order]


def write_inat(root, train, val, categories, images="colour", size=(500, 375)):
    """train2018.json / val2018.json and the images. ``train`` / ``val``: (file_name, category
    id); ``categories``: {id: super-category}."""
    cats = [{"id": cid, "name": str(cid), "supercategory": sup, "kingdom": "k"} for cid, sup in categories.items()]
    classes = {cid: INAT_SUPERCATEGORIES.index(sup) for cid, sup in categories.items()}
    next_id = 1000
    for filename, items in (("train2018.json", train), ("val2018.json", val)):
        image_records, annotation_records = [], []
        for file_name, cid in items:
            next_id += 1
            image_records.append({"id": next_id, "file_name": file_name, "width": size[0], "height": size[1],
                                  "license": 1, "rights_holder": "someone"})
            annotation_records.append({"id": next_id + 5000, "image_id": next_id, "category_id": cid})
            write_jpeg(root / file_name, None if images == "empty" else classes[cid], size)
        (root / filename).write_text(json.dumps({"info": {"year": 2018}, "images": image_records,
                                                 "categories": cats, "annotations": annotation_records,
                                                 "licenses": []}))
    return root


INAT_CATEGORIES = {0: "Plantae", 7: "Aves", 3: "Bacteria", 12: "Actinopterygii", 5: "Aves"}


def inat_items(split, per_category):
    items = []
    for cid, sup in INAT_CATEGORIES.items():
        for i in range(per_category[cid]):
            items.append((f"{split}_val2018/{sup}/{cid}/{split}{i}.jpg", cid))
    return items


def batches_of(dataset):
    parts = list(dataset.as_numpy_iterator())
    if isinstance(parts[0], tuple):
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return np.concatenate(parts)


def one_line_error(match, call, *args, **kwargs):
    with pytest.raises(DataError, match=match) as caught:
        call(*args, **kwargs)
    assert "\n" not in str(caught.value)
    return str(caught.value)


# ---------------------------------------------------------------- CelebA

def test_celeba_class_order_and_shape():
    assert celeba.CLASS_ATTRIBUTES == tuple(HAIR_CLASS)
    assert celeba.IMAGE_SHAPE == (64, 64, 3)
    assert (celeba.TRAIN_PARTITIONS, celeba.TEST_PARTITION) == ((0, 1), 2)


def test_celeba_keeps_exactly_one_hair_attribute_and_maps_partitions(tmp_path):
    entries, train, test = celeba_entries()
    root = write_celeba(tmp_path, entries, images="empty")
    files = read_celeba(root)
    assert [p.rsplit("/", 1)[1] for p in files.train_paths] == [name for name, _, _ in train]
    assert files.train_labels.tolist() == [label for _, label, _ in train]
    assert [p.rsplit("/", 1)[1] for p in files.test_paths] == [name for name, _, _ in test]
    assert files.test_labels.tolist() == [label for _, label, _ in test]
    assert files.train_labels.dtype == np.int32
    assert all(p.startswith(str(root / "img_align_celeba")) for p in files.train_paths)
    only_official_train = read_celeba(root, train_partitions=(0,))
    assert [p.rsplit("/", 1)[1] for p in only_official_train.train_paths] == [n for n, _, part in train if part == 0]
    with pytest.raises(ConfigError):
        read_celeba(root, train_partitions=(0, 2))


def test_celeba_counts_split_proportions_and_seed(tmp_path):
    sizes, test_sizes = [30, 41, 12, 7, 55], [6, 9, 3, 2, 8]
    root = write_celeba(tmp_path, many_celeba_entries(sizes, test_sizes), images="empty")
    label_of = {}
    for line in (root / "list_attr_celeba.txt").read_text().splitlines()[2:]:
        fields = line.split()
        hair = [HAIR_CLASS[a] for a, v in zip(CELEBA_ATTRIBUTES, fields[1:]) if v == "1" and a in HAIR_CLASS]
        label_of[fields[0]] = hair[0]
    splits = prepare_large_scale_splits("celeba", root, seed=3)
    assert splits.class_names == ("blond", "brown", "gray", "bald", "black") and splits.image_shape == (64, 64, 3)
    assert splits.pool_counts.tolist() == sizes == splits.counts_before_split.tolist()
    assert splits.test_counts.tolist() == test_sizes
    assert splits.val_counts.tolist() == [3, 4, 1, 1, 6]              # floor(0.1 n + 0.5) per class
    assert (splits.train_counts + splits.val_counts).tolist() == sizes
    assert splits.train_fraction == 1.0
    train, val = set(splits.train_paths), set(splits.val_paths)
    assert not train & val and len(train | val) == sum(sizes)
    for paths, labels in ((splits.train_paths, splits.train_labels), (splits.val_paths, splits.val_labels),
                          (splits.test_paths, splits.test_labels)):
        assert [label_of[p.rsplit("/", 1)[1]] for p in paths] == labels.tolist()
    again = prepare_large_scale_splits("celeba", root, seed=3)
    assert again.val_paths.tolist() == splits.val_paths.tolist()
    assert again.train_paths.tolist() == splits.train_paths.tolist()
    other = prepare_large_scale_splits("celeba", root, seed=4)
    assert other.val_paths.tolist() != splits.val_paths.tolist()
    assert other.val_counts.tolist() == splits.val_counts.tolist()
    half = prepare_large_scale_splits("celeba", root, seed=3, val_fraction=0.5, train_fraction=0.5)
    assert half.counts_before_split.sum() == sum(sizes) // 2
    assert (half.train_counts + half.val_counts).tolist() == half.counts_before_split.tolist()


BAD_CELEBA = {
    "no attribute file": (lambda root: (root / "list_attr_celeba.txt").unlink(), r"list_attr_celeba\.txt: .*not found"),
    "no partition file": (lambda root: (root / "list_eval_partition.txt").unlink(),
                          r"list_eval_partition\.txt: .*not found"),
    "wrong column count": (lambda root: _edit(root / "list_attr_celeba.txt", 3,
                                              lambda line: " ".join(line.split()[:-1])),
                           r"list_attr_celeba\.txt, line 4: expected a file name and 40 values, got 40 fields"),
    "bad value": (lambda root: _edit(root / "list_attr_celeba.txt", 2, lambda line: line[:-2] + " 0"),
                  r"line 3: attribute values must be 1 or -1, got '0'"),
    "count mismatch": (lambda root: _edit(root / "list_attr_celeba.txt", 0, lambda line: "999"),
                       r"line 1 declares 999 images but \d+ are listed"),
    "count not a number": (lambda root: _edit(root / "list_attr_celeba.txt", 0, lambda line: "images"),
                           r"line 1: expected the number of images"),
    "no hair attribute": (lambda root: _edit(root / "list_attr_celeba.txt", 1,
                                             lambda line: line.replace("Gray_Hair", "Grey")),
                          r"line 2: no attribute named Gray_Hair"),
    "image without partition": (lambda root: _edit(root / "list_eval_partition.txt", 4, None),
                                r"list_eval_partition\.txt: no partition for 000005\.jpg"),
    "partition for unknown image": (lambda root: _append(root / "list_eval_partition.txt", "999999.jpg 0\n"),
                                    r"999999\.jpg is not listed in list_attr_celeba\.txt"),
    "bad partition": (lambda root: _edit(root / "list_eval_partition.txt", 0, lambda line: line.split()[0] + " 3"),
                      r"list_eval_partition\.txt, line 1: expected a file name and a partition"),
    "missing image": (lambda root: (root / "img_align_celeba" / "000002.jpg").unlink(),
                      r"img_align_celeba/000002\.jpg: image file missing"),
    "no image folder": (lambda root: shutil.rmtree(root / "img_align_celeba"),
                        r"img_align_celeba: CelebA image folder not found"),
}


def _edit(path, index, change):
    lines = path.read_text().splitlines()
    if change is None:
        del lines[index]
    else:
        lines[index] = change(lines[index])
    path.write_text("\n".join(lines) + "\n")


def _append(path, text):
    path.write_text(path.read_text() + text)


@pytest.mark.parametrize("case", list(BAD_CELEBA))
def test_celeba_malformed_layouts(tmp_path, case):
    entries, _, _ = celeba_entries()
    root = write_celeba(tmp_path, entries, images="empty")
    read_celeba(root)                                            # intact, it reads
    damage, message = BAD_CELEBA[case]
    damage(root)
    one_line_error(message, read_celeba, root)
    one_line_error(message, prepare_large_scale_splits, "celeba", root, 0)


# ---------------------------------------------------------------- iNaturalist 2018

def test_inaturalist_super_categories_sorted_and_val_is_test(tmp_path):
    assert inaturalist.SUPERCATEGORIES == INAT_SUPERCATEGORIES == tuple(sorted(INAT_SUPERCATEGORIES))
    assert inaturalist.IMAGE_SHAPE == (224, 224, 3)
    train = inat_items("train", {0: 3, 7: 2, 3: 1, 12: 2, 5: 2})
    val = inat_items("val", {0: 1, 7: 1, 3: 1, 12: 1, 5: 0})
    root = write_inat(tmp_path, train, val, INAT_CATEGORIES, images="empty")
    files = read_inaturalist(root)
    assert files.train_paths.tolist() == [str(root / name) for name, _ in train]
    expected = [INAT_SUPERCATEGORIES.index(INAT_CATEGORIES[cid]) for _, cid in train]
    assert files.train_labels.tolist() == expected and set(expected) == {11, 4, 5, 0}
    assert files.test_paths.tolist() == [str(root / name) for name, _ in val]
    assert files.test_labels.tolist() == [INAT_SUPERCATEGORIES.index(INAT_CATEGORIES[cid]) for _, cid in val]


def test_inaturalist_un_obfuscated_categories_file_replaces_the_lists(tmp_path):
    root = write_inat(tmp_path, inat_items("train", {0: 1, 7: 1, 3: 1, 12: 1, 5: 1}),
                      inat_items("val", {0: 1, 7: 0, 3: 0, 12: 0, 5: 0}), INAT_CATEGORIES, images="empty")
    for name in ("train2018.json", "val2018.json"):                # obfuscated names inside the files
        data = json.loads((root / name).read_text())
        for category in data["categories"]:
            category["supercategory"] = "ab12"
        (root / name).write_text(json.dumps(data))
    one_line_error(r"category \d+ has super-category 'ab12', not one of the 14", read_inaturalist, root)
    (root / "categories.json").write_text(json.dumps(
        [{"id": cid, "name": f"species {cid}", "supercategory": sup} for cid, sup in INAT_CATEGORIES.items()]))
    assert read_inaturalist(root).train_labels.tolist() == [11, 4, 5, 0, 4]


def test_paper_quarter_of_the_official_inaturalist_training_set():
    official = [INAT_OFFICIAL_TRAIN[name] for name in INAT_SUPERCATEGORIES]
    assert sum(official) == 437513
    assert allocate_fraction(official, 0.25).tolist() == PAPER["inaturalist2018"][0]
    assert allocate_fraction([10, 3, 1], 1.0).tolist() == [10, 3, 1]
    assert allocate_fraction([5, 5, 3], 0.5).tolist() == [2, 2, 2]    # 6 of 13: floors 2,2,1; largest remainder
    assert allocate_fraction([5, 5, 2], 0.5).tolist() == [3, 2, 1]    # a tie goes to the lower class index
    with pytest.raises(ConfigError):
        allocate_fraction([5, 5], 0)


def test_inaturalist_splits_keep_the_papers_quarter_by_default(tmp_path):
    per_category = {0: 40, 7: 13, 3: 6, 12: 9, 5: 11}               # Plantae 40, Aves 24, Bacteria 6, Actino. 9
    root = write_inat(tmp_path, inat_items("train", per_category), inat_items("val", {0: 3, 7: 3, 3: 3, 12: 3, 5: 3}),
                      INAT_CATEGORIES, images="empty")
    splits = prepare_large_scale_splits("inaturalist2018", root, seed=0)
    pool = np.zeros(14, int)
    pool[[11, 4, 5, 0]] = [40, 24, 6, 9]
    assert splits.pool_counts.tolist() == pool.tolist()
    assert splits.train_fraction == 0.25
    assert splits.counts_before_split.tolist() == allocate_fraction(pool, 0.25).tolist()
    assert splits.counts_before_split.sum() == 79 // 4
    assert (splits.train_counts + splits.val_counts).tolist() == splits.counts_before_split.tolist()
    assert splits.val_counts[11] == 1 and splits.test_counts[[11, 4, 5, 0]].tolist() == [3, 6, 3, 3]
    full = prepare_large_scale_splits("inaturalist2018", root, seed=0, train_fraction=1.0)
    assert full.counts_before_split.tolist() == pool.tolist()
    assert full.val_counts[[11, 4, 5, 0]].tolist() == [4, 2, 1, 1]
    assert prepare_large_scale_splits("inaturalist2018", root, seed=1).train_paths.tolist() \
        != splits.train_paths.tolist()


def _json_edit(name, change):
    def damage(root):
        data = json.loads((root / name).read_text())
        change(data)
        (root / name).write_text(json.dumps(data))
    return damage


BAD_INAT = {
    "no train json": (lambda root: (root / "train2018.json").unlink(), r"train2018\.json: .*not found"),
    "not json": (lambda root: (root / "val2018.json").write_text("{images: "), r"val2018\.json: cannot read as JSON"),
    "no annotations": (_json_edit("train2018.json", lambda d: d.pop("annotations")),
                       r"train2018\.json: no 'annotations' list"),
    "annotation to unknown image": (_json_edit("val2018.json", lambda d: d["annotations"][1].update(image_id=77)),
                                    r"val2018\.json: annotations\[1\] points to image id 77, which is not in"),
    "annotation to unknown category": (_json_edit("train2018.json",
                                                  lambda d: d["annotations"][0].update(category_id=99)),
                                       r"annotations\[0\] points to category id 99"),
    "image file missing": (lambda root: (root / "train_val2018/Aves/7/train0.jpg").unlink(),
                           r"train_val2018/Aves/7/train0\.jpg: image file missing \(listed in train2018\.json\)"),
    "category without supercategory": (_json_edit("train2018.json", lambda d: d["categories"][2].pop("supercategory")),
                                       r"categories\[2\] \(id 3\) has no 'supercategory'"),
    "image without file_name": (_json_edit("train2018.json", lambda d: d["images"][0].pop("file_name")),
                                r"images\[0\] \(id \d+\) has no 'file_name'"),
    "image without annotation": (_json_edit("val2018.json", lambda d: d["annotations"].pop()),
                                 r"val2018\.json: image id \d+ \(val_val2018/.*\) has no annotation"),
    "two annotations": (_json_edit("val2018.json", lambda d: d["annotations"].append(dict(d["annotations"][0]))),
                        r"has more than one annotation"),
}


@pytest.mark.parametrize("case", list(BAD_INAT))
def test_inaturalist_malformed_layouts(tmp_path, case):
    root = write_inat(tmp_path, inat_items("train", {0: 1, 7: 1, 3: 1, 12: 1, 5: 1}),
                      inat_items("val", {0: 1, 7: 1, 3: 1, 12: 0, 5: 0}), INAT_CATEGORIES, images="empty")
    read_inaturalist(root)
    damage, message = BAD_INAT[case]
    damage(root)
    one_line_error(message, read_inaturalist, root)


# ---------------------------------------------------------------- the paper's counts

def test_compare_with_paper(tmp_path):
    for name, (train, test) in PAPER.items():
        assert paper_counts(name) == (train, test)
    ours = ([24000, 33192, 6896, 3713, 38906], [3056, 4793, 967, 411, 4100])
    rows = compare_with_paper("celeba", ours)
    assert [row["class"] for row in rows] == ["blond", "brown", "gray", "bald", "black"]
    assert [row["train"] for row in rows] == ours[0] and [row["paper_train"] for row in rows] == PAPER["celeba"][0]
    assert [row["test"] for row in rows] == ours[1] and [row["paper_test"] for row in rows] == PAPER["celeba"][1]
    table = format_count_comparison(rows)
    assert "blond" in table.splitlines()[1] and "-267" in table.splitlines()[1]
    assert table.splitlines()[-1].split() == ["total", "106707", "106974", "-267", "13327", "13371", "-44"]
    with pytest.raises(ValueError):
        compare_with_paper("inaturalist2018", ours)
    with pytest.raises(ConfigError):
        compare_with_paper("imagenet", ours)
    root = write_celeba(tmp_path, many_celeba_entries([4, 3, 2, 2, 5], [1, 1, 1, 1, 2]), images="empty")
    rows = compare_with_paper("celeba", prepare_large_scale_splits("celeba", root, seed=0))
    assert [row["train"] for row in rows] == [4, 3, 2, 2, 5] and [row["test"] for row in rows] == [1, 1, 1, 1, 2]


def test_check_command(tmp_path, capsys):
    root = write_celeba(tmp_path / "celeba", many_celeba_entries([4, 3, 2, 2, 5], [1, 1, 1, 1, 2]))
    assert check_command(["celeba", str(root), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "train 15, validation 1, test 6" in out and "every image decodes" in out
    assert next(line for line in out.splitlines() if line.startswith("total")).split()[:3] == ["total", "16", "106974"]
    (root / "list_attr_celeba.txt").unlink()
    assert check_command(["celeba", str(root)]) == 2
    assert "list_attr_celeba.txt" in capsys.readouterr().err


# ---------------------------------------------------------------- pipelines

@pytest.fixture(scope="module")
def coloured_files(tmp_path_factory):
    """12 CelebA-sized JPEGs (178×218) and 6 iNaturalist-sized ones (500×375), coloured by class."""
    root = tmp_path_factory.mktemp("images")
    small = [(root / f"face{i}.jpg", i % 5) for i in range(12)]
    large = [(root / f"nature{i}.jpg", (3 * i) % 14) for i in range(6)]
    for path, label in small:
        write_jpeg(path, label, (178, 218))
    for path, label in large:
        write_jpeg(path, label, (500, 375))
    return [str(p) for p, _ in small], np.array([c for _, c in small]), [str(p) for p, _ in large], \
        np.array([c for _, c in large])


def test_train_pipeline_shapes_labels_and_order(coloured_files):
    paths, labels, _, _ = coloured_files
    dataset = image_file_train_pipeline(paths, labels, image_size=(64, 64), batch_size=5, seed=1, pixel_scale=1.0)
    first = list(dataset.as_numpy_iterator())
    assert [b[0].shape for b in first] == [(5, 64, 64, 3), (5, 64, 64, 3), (2, 64, 64, 3)]
    assert first[0][0].dtype == np.float32 and first[0][1].dtype == np.int32
    images = np.concatenate([b[0] for b in first])
    seen = np.concatenate([b[1] for b in first])
    assert sorted(seen.tolist()) == sorted(labels.tolist())       # each file once
    assert class_of_pixels(images).tolist() == seen.tolist()       # labels travel with their images
    assert images.max() > 200 and images.min() >= 0                # raw 0–255 units
    again = batches_of(image_file_train_pipeline(paths, labels, image_size=(64, 64), batch_size=5, seed=1,
                                                 pixel_scale=1.0))[1]
    assert again.tolist() == seen.tolist()                         # seeded
    with pytest.raises(ValueError):
        image_file_train_pipeline(paths, labels[:-1], image_size=(64, 64), seed=1, pixel_scale=1.0)


@pytest.mark.parametrize("cache", [None, True, "file"])
def test_train_pipeline_epoch_order_depends_on_seed_and_epoch_alone(coloured_files, tmp_path, cache):
    """The (seed, epoch) contract of arconvl.data.epochs, with and without a cache: epochs 2–3 of
    a dataset started at epoch 2 (a resumed run) are those of a dataset of epochs 1–3, and every
    epoch is its own permutation of all files, in batches that never straddle two epochs."""
    paths, labels, _, _ = coloured_files
    cache = tmp_path / "cache" if cache == "file" else cache
    tf.random.set_seed(5)   # a global seed, as train_run sets one

    def label_batches(**epochs):
        dataset = image_file_train_pipeline(paths, labels, image_size=(16, 16), batch_size=5, seed=4,
                                            pixel_scale=1.0, cache=cache, **epochs)
        return [batch_labels.tolist() for _, batch_labels in dataset.as_numpy_iterator()]

    whole = label_batches(num_epochs=3)
    assert [len(b) for b in whole] == [5, 5, 2] * 3
    epochs = [sum(whole[3 * e:3 * e + 3], []) for e in range(3)]
    assert all(sorted(epoch) == sorted(labels.tolist()) for epoch in epochs)
    assert epochs[0] != epochs[1] != epochs[2]                     # reshuffled every epoch
    assert label_batches(first_epoch=2, num_epochs=2) == whole[3:]  # resumed: the same batches
    with pytest.raises(ValueError, match="first_epoch"):
        label_batches(first_epoch=0)


def test_pipelines_at_224_and_pixel_scale(coloured_files):
    _, _, paths, labels = coloured_files
    images, seen = batches_of(image_file_train_pipeline(paths, labels, image_size=(224, 224), batch_size=4, seed=0,
                                                        pixel_scale=1 / 255))
    assert images.shape == (6, 224, 224, 3) and images.dtype == np.float32
    assert images.max() <= 1.0 and class_of_pixels(images * 255).tolist() == seen.tolist()
    ordered = batches_of(image_file_eval_pipeline(paths, image_size=(224, 224), batch_size=4, pixel_scale=1.0))
    assert ordered.shape == (6, 224, 224, 3) and ordered.dtype == np.float32
    assert class_of_pixels(ordered).tolist() == labels.tolist()    # eval keeps the file order
    np.testing.assert_array_equal(ordered, np.round(ordered))      # uint8 values before the scaling


def test_resize_matches_an_antialiased_bilinear_reference(tmp_path):
    """A 500×375 image (red: a gradient in x, green: in y, blue: stripes one pixel wide) resized
    to 224×224 and 64×64 as PIL's antialiased bilinear resize does: axes not swapped, and the
    stripes averaged out, not aliased."""
    y, x = np.mgrid[0:375, 0:500]
    pixels = np.stack([x * 255 / 499, y * 255 / 374, 255 * (x % 2)], axis=-1).astype(np.uint8)
    path = tmp_path / "pattern.png"
    Image.fromarray(pixels).save(path)
    for side in (224, 64):
        ours = batches_of(image_file_eval_pipeline([str(path)], image_size=(side, side), pixel_scale=1.0))[0]
        reference = np.asarray(Image.fromarray(pixels).resize((side, side), Image.BILINEAR), dtype=np.float32)
        np.testing.assert_allclose(ours, reference, atol=2)


def test_cache_gives_the_same_images(coloured_files, tmp_path):
    paths, labels, _, _ = coloured_files
    plain = batches_of(image_file_eval_pipeline(paths, image_size=(64, 64), batch_size=5, pixel_scale=1.0))
    prefix = tmp_path / "cache" / "celeba"
    prefix.parent.mkdir()
    cached = image_file_eval_pipeline(paths, image_size=(64, 64), batch_size=5, pixel_scale=1.0, cache=prefix)
    np.testing.assert_array_equal(batches_of(cached), plain)
    assert any(p.name.startswith("celeba-") for p in prefix.parent.iterdir())   # written to the file cache
    np.testing.assert_array_equal(batches_of(cached), plain)                  # read back
    memory = image_file_train_pipeline(paths, labels, image_size=(64, 64), batch_size=5, seed=2, pixel_scale=1.0,
                                       cache=True)
    for _ in range(2):
        images, seen = batches_of(memory)
        assert sorted(seen.tolist()) == sorted(labels.tolist())
        assert class_of_pixels(images).tolist() == seen.tolist()


def test_corrupt_images(coloured_files, tmp_path):
    paths, labels, _, _ = coloured_files
    assert verify_images(paths) == len(paths)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(open(paths[0], "rb").read()[:300])
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    message = one_line_error("truncated.jpg: cannot be decoded as an image", verify_images,
                             [*paths[:3], str(truncated), str(text)])
    assert "notes.jpg" not in message                               # the first bad file in list order
    one_line_error("notes.jpg: cannot be decoded as an image", verify_images, [str(text), str(truncated)])
    one_line_error("gone.jpg: file not found", verify_images, [paths[0], str(tmp_path / "gone.jpg")])
    streaming = image_file_train_pipeline([*paths, str(truncated)], [*labels, 0], image_size=(64, 64), seed=0,
                                          pixel_scale=1.0)
    with pytest.raises(tf.errors.InvalidArgumentError):              # never silently dropped
        batches_of(streaming)


def test_verify_reports_its_progress(coloured_files, capsys):
    paths = coloured_files[0]
    seen = []
    assert verify_images(paths, progress=lambda checked, total: seen.append((checked, total))) == len(paths)
    assert seen[-1] == (len(paths), len(paths))
    verify_images(paths, progress=print_progress(every=0))
    assert capsys.readouterr().out.splitlines()[-1] == f"checking that the images decode: {len(paths)} of {len(paths)}"


def test_prepare_with_verify_names_the_bad_image(tmp_path):
    root = write_celeba(tmp_path, many_celeba_entries([3, 2, 2, 2, 3], [1, 1, 1, 1, 1]))
    assert prepare_large_scale_splits("celeba", root, seed=0, verify=True).counts_before_split.sum() == 12
    (root / "img_align_celeba" / "000004.jpg").write_bytes(b"\xff\xd8broken")
    one_line_error(r"img_align_celeba/000004\.jpg: cannot be decoded", prepare_large_scale_splits, "celeba", root, 0,
                   verify=True)


@pytest.mark.parametrize("pipeline", [image_file_train_pipeline, image_file_eval_pipeline])
def test_the_documented_signature_of_each_image_pipeline_is_its_signature(pipeline):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "large_scale_datasets.md").read_text(encoding="utf-8")
    assert f"`{pipeline.__name__}{inspect.signature(pipeline)}`" in doc
