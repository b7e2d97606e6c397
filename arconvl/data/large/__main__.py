"""``python -m arconvl.data.large NAME DATA_DIR [--seed S] [--train-fraction F] [--verify]``:
read a local CelebA or iNaturalist 2018 copy, print its per-class counts beside the paper's and
the split sizes. A problem with the files ends in one line on stderr and exit code 2."""

import argparse
import sys

from arconvl.data.large.image_files import print_progress
from arconvl.data.large.prepare import (
    LARGE_SCALE_DATASETS,
    compare_with_paper,
    format_count_comparison,
    prepare_large_scale_splits,
)
from arconvl.errors import ArconvlError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m arconvl.data.large", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=tuple(LARGE_SCALE_DATASETS))
    parser.add_argument("data_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-fraction", type=float, default=None,
                        help="stratified fraction of the training pool kept (default: the paper's)")
    parser.add_argument("--verify", action="store_true", help="decode every image once (slow on the full data)")
    args = parser.parse_args(argv)
    try:
        splits = prepare_large_scale_splits(args.name, args.data_dir, args.seed, train_fraction=args.train_fraction,
                                            verify=args.verify, progress=print_progress())
    except ArconvlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"source: {splits.source}")
    print(f"training pool {int(splits.pool_counts.sum())} images, fraction kept {splits.train_fraction:g}; "
          f"train {len(splits.train_labels)}, validation {len(splits.val_labels)}, test {len(splits.test_labels)}")
    print(format_count_comparison(compare_with_paper(args.name, splits)))
    if args.verify:
        print("every image decodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
