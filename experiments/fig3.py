#!/usr/bin/env python
"""Fig. 3: ARConvL's learned class regions in a 2-D feature space (D = 2).

Trains ARConvL with the small CNN and D = 2 (``python -m arconvl train --feature-dim 2``; a
finished run is reused, an interrupted one resumes), then draws the training features of the
best-validation weights coloured by class, the centers, and circles of the learned radii:

    python experiments/fig3.py [--dataset mnist|fashion_mnist] [--q 10] [--seed 0]
                               [--epochs N] [--subsample F] [--data-dir DIR] [--offline]
                               [--out-dir results/fig3]

Writes OUT_DIR/fig3_regions_DATASET_qQ.{png,pdf}; the run lives in OUT_DIR/runs/DATASET-qQ-seedS/.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arconvl.cli import main as arconvl_main  # noqa: E402
from arconvl.errors import ArconvlError  # noqa: E402

FEATURE_DIM = 2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion_mnist"), default="fashion_mnist",
                        help="the paper draws MNIST; default fashion_mnist (installable offline)")
    parser.add_argument("--q", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="default: the paper's 50")
    parser.add_argument("--subsample", type=float, default=None, help="quick checks only")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=Path("results/fig3"))
    parser.add_argument("--max-per-class", type=int, default=1500, help="training points drawn per class")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def train_arguments(args, run_dir):
    """The ``python -m arconvl train`` arguments of the figure's run."""
    argv = ["train", "--dataset", args.dataset, "--q", str(args.q), "--method", "arconvl",
            "--seed", str(args.seed), "--feature-dim", str(FEATURE_DIM), "--out", str(run_dir)]
    for flag, value in (("--epochs", args.epochs), ("--subsample", args.subsample), ("--data-dir", args.data_dir)):
        if value is not None:
            argv += [flag, str(value)]
    return argv + (["--offline"] if args.offline else []) + (["--quiet"] if args.quiet else [])


def draw(args, run_dir):
    """The figure of the finished run in ``run_dir``; returns the written paths."""
    from arconvl.data import CLASS_NAMES, eval_pipeline, prepare_splits
    from arconvl.reports.regions import region_figure, thin_per_class
    from arconvl.reports.writers import save_figure
    from arconvl.run.config import resolve_run_config
    from arconvl.run.files import WEIGHTS_FILE
    from arconvl.run.training import build_model, steps_per_epoch

    config, _ = resolve_run_config(args.dataset, args.q, "arconvl", args.seed, epochs=args.epochs,
                                   subsample=1.0 if args.subsample is None else args.subsample,
                                   feature_dim=FEATURE_DIM)
    splits = prepare_splits(config.dataset, config.q, config.seed, args.data_dir,
                            allow_download=not args.offline, subsample=config.subsample)
    model = build_model(config, splits.train_counts, splits.x_train.shape[1:], steps_per_epoch(splits, config))
    model.load_weights(run_dir / WEIGHTS_FILE)  # the best-validation weights
    keep = thin_per_class(splits.y_train, args.max_per_class, np.random.default_rng(config.seed))
    images = eval_pipeline(splits.x_train[keep], batch_size=512, pixel_scale=config.pixel_scale)
    features = model.backbone.predict(images, verbose=0)
    centers = model.prototypes.centers.numpy()
    radii = np.sqrt(model.radius_sq().numpy())  # R_j = |a_j|
    name = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}[args.dataset]
    figure = region_figure(
        features, splits.y_train[keep], centers, radii, class_names=CLASS_NAMES[args.dataset],
        class_counts=splits.train_counts,
        title=f"ARConvL regions in a 2-D feature space: {name}, q = {args.q}, seed {args.seed}",
    )
    return save_figure(figure, args.out_dir, f"fig3_regions_{args.dataset}_q{args.q}")


def main(argv=None):
    args = parse_args(argv)
    run_dir = args.out_dir / "runs" / f"{args.dataset}-q{args.q}-seed{args.seed}"
    status = arconvl_main(train_arguments(args, run_dir))
    if status != 0:
        return status
    try:
        paths = draw(args, run_dir)
    except ArconvlError as error:
        print(f"fig3.py: error: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
