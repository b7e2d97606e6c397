"""The two large-scale datasets of the paper's Fig. 5, read from a user's local copy as lists of
image files and streamed through ``tf.data`` (SPEC §4; docs/large_scale_datasets.md):

- ``"celeba"``: CelebA hair-5 (blond, brown, gray, bald, black), 64×64×3;
- ``"inaturalist2018"``: iNaturalist 2018 by its 14 super-categories, 224×224×3.

Typical use::

    splits = prepare_large_scale_splits("celeba", "/data/celeba", seed=0)
    print(format_count_comparison(compare_with_paper("celeba", splits)))
    train = image_file_train_pipeline(splits.train_paths, splits.train_labels,
    image_size=splits.image_shape[:2], seed=0, pixel_scale=1.0)

Check a copy from the shell: ``python -m arconvl.data.large celeba /data/celeba [--verify]``.
"""

from arconvl.data.large.celeba import read_celeba
from arconvl.data.large.image_files import (
    ImageFiles,
    decode_and_resize,
    image_file_eval_pipeline,
    image_file_train_pipeline,
    print_progress,
    verify_images,
)
from arconvl.data.large.inaturalist import read_inaturalist
from arconvl.data.large.prepare import (
    LARGE_SCALE_DATASETS,
    LargeScaleDataset,
    LargeScaleSplits,
    allocate_fraction,
    compare_with_paper,
    format_count_comparison,
    large_scale_dataset,
    paper_counts,
    prepare_large_scale_splits,
)

__all__ = [
    "LARGE_SCALE_DATASETS",
    "ImageFiles",
    "LargeScaleDataset",
    "LargeScaleSplits",
    "allocate_fraction",
    "compare_with_paper",
    "decode_and_resize",
    "format_count_comparison",
    "image_file_eval_pipeline",
    "image_file_train_pipeline",
    "large_scale_dataset",
    "paper_counts",
    "prepare_large_scale_splits",
    "print_progress",
    "read_celeba",
    "read_inaturalist",
    "verify_images",
]
