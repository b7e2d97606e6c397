"""One run's data, whichever the dataset: the q-imbalanced arrays of the four small sets
(``splits.prepare_splits``), the file lists of CelebA / iNaturalist 2018
(``large.prepare_large_scale_splits``), or a user's own image folder or ``.npz``
(``folder.prepare_folder_splits``, ``arrays.prepare_array_splits``). All offer the interface
``training.train_run`` uses: ``input_shape``, ``num_train``, ``train_counts``, ``class_names``,
``labels(split)``, ``train_batches(...)`` and ``eval_batches(split, ...)``.

The arrays train on every Keras backend (``pipeline``: ``tf.data`` on TensorFlow, NumPy
elsewhere). Image files (CelebA, iNaturalist 2018, an image folder) are read by ``tf.data`` alone:
on another backend they are refused with a ``ConfigError`` before anything is read.
"""

from arconvl.backend import require_tensorflow
from arconvl.data.arrays import prepare_array_splits
from arconvl.data.catalog import ARRAYS, FOLDER, LARGE_SCALE_NAMES, OWN_DATA_NAMES, class_counts
from arconvl.data.splits import prepare_splits
from arconvl.errors import ConfigError


def prepare_run_data(config, data_dir=None, *, allow_download=True, progress=True):
    """The splits of ``config`` (a ``RunConfig``): dataset, q, seed, validation fraction, subsample
    and, for a user's own data, test fraction, image size and channels (``progress``: a bar on
    stderr while an image folder is checked)."""
    if config.dataset in OWN_DATA_NAMES:
        return prepare_own_data(config, data_dir, progress=progress)
    if config.dataset not in LARGE_SCALE_NAMES:
        return prepare_splits(config.dataset, config.q, config.seed, data_dir, allow_download=allow_download,
                              val_fraction=config.val_fraction, subsample=config.subsample)
    if data_dir is None:
        raise ConfigError(f"{config.dataset} is read from a local copy only: give --data-dir "
                          "(layouts in docs/large_scale_datasets.md)")
    require_tensorflow(f"dataset {config.dataset}")
    from arconvl.data.large import prepare_large_scale_splits, print_progress  # noqa: PLC0415 - imports TensorFlow

    # Every image the run reads is decoded once here, so a corrupt one is a DataError naming it
    # before the run directory is touched (about one epoch's decoding, docs/large_scale_datasets.md).
    return prepare_large_scale_splits(config.dataset, data_dir, config.seed, config.val_fraction,
                                      subsample=config.subsample, verify=True, progress=print_progress())


def check_data_dir(data_dir, datasets=()):
    """``ConfigError`` unless ``data_dir`` (when given) is a directory, or for ``arrays`` a file."""
    if data_dir is None:
        return
    if ARRAYS in datasets:
        if not data_dir.is_file():
            raise ConfigError(f"--data-dir {data_dir} does not exist or is not a file (dataset arrays reads one .npz)")
    elif not data_dir.is_dir():
        raise ConfigError(f"--data-dir {data_dir} does not exist or is not a directory")


def prepare_own_data(config, data_dir, *, progress=True):
    """The splits of a user's image folder (``folder``: ``data_dir`` a directory, every image
    decoded once first with a progress bar) or ``.npz`` (``arrays``: ``data_dir`` the file);
    no q: the data's own imbalance."""
    if data_dir is None:
        where = "DIR (DIR/train/CLASS/*.png)" if config.dataset == FOLDER else "FILE.npz"
        raise ConfigError(f"dataset {config.dataset} needs --data-dir {where} (docs/your_data.md)")
    if config.dataset == ARRAYS:
        return prepare_array_splits(data_dir, config.seed, config.val_fraction, test_fraction=config.test_fraction,
                                    subsample=config.subsample)
    require_tensorflow(f"dataset {FOLDER}", instead="train on the images as arrays (--dataset arrays --data-dir "
                       "FILE.npz, docs/your_data.md)")
    from arconvl.data.folder import prepare_folder_splits  # noqa: PLC0415 - imports TensorFlow

    return prepare_folder_splits(data_dir, config.seed, config.val_fraction, test_fraction=config.test_fraction,
                                 image_size=config.image_size, channels=config.channels, subsample=config.subsample,
                                 progress=progress)


def class_record(splits):
    """The class names and per-class counts of ``splits`` (before the train/validation split,
    then of each split), as a run records them (``config.json``'s "classes")."""
    k = len(splits.train_counts)
    counts = {"before_split": splits.counts_before_split, "train": splits.train_counts,
              **{split: class_counts(splits.labels(split), k) for split in ("val", "test")}}
    return {"names": [str(name) for name in splits.class_names],
            **{key: [int(n) for n in value] for key, value in counts.items()}}


def class_table(record):
    """Lines of a table of ``class_record``'s names and counts, for the log."""
    width = max(len("class"), *(len(name) for name in record["names"]))
    columns = ("before_split", "train", "val", "test")
    lines = [f"  {'class':<{width}}  " + "  ".join(f"{column.replace('_', ' '):>12}" for column in columns)]
    for j, name in enumerate(record["names"]):
        lines.append(f"  {name:<{width}}  " + "  ".join(f"{record[column][j]:>12}" for column in columns))
    return lines
