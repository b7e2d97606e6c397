"""One run's data, whichever the dataset: the q-imbalanced arrays of the four small sets
(``splits.prepare_splits``) or the file lists of CelebA / iNaturalist 2018
(``large.prepare_large_scale_splits``). Both offer the interface ``training.train_run`` uses:
``input_shape``, ``num_train``, ``train_counts``, ``labels(split)``, ``train_batches(...)`` and
``eval_batches(split, ...)``.
"""

from arconvl.data.catalog import LARGE_SCALE_NAMES
from arconvl.data.splits import prepare_splits
from arconvl.errors import ConfigError


def prepare_run_data(config, data_dir=None, *, allow_download=True):
    """The splits of ``config`` (a ``RunConfig``): dataset, q, seed, validation fraction, subsample."""
    if config.dataset not in LARGE_SCALE_NAMES:
        return prepare_splits(config.dataset, config.q, config.seed, data_dir, allow_download=allow_download,
                              val_fraction=config.val_fraction, subsample=config.subsample)
    if data_dir is None:
        raise ConfigError(f"{config.dataset} is read from a local copy only: give --data-dir "
                          "(layouts in docs/large_scale_datasets.md)")
    from arconvl.data.large import prepare_large_scale_splits, print_progress  # noqa: PLC0415 - imports TensorFlow

    # Every image the run reads is decoded once here, so a corrupt one is a DataError naming it
    # before the run directory is touched (about one epoch's decoding, docs/large_scale_datasets.md).
    return prepare_large_scale_splits(config.dataset, data_dir, config.seed, config.val_fraction,
                                      subsample=config.subsample, verify=True, progress=print_progress())
