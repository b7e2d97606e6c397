#!/usr/bin/env python
"""How far one training step on an epoch's last, partial batch moves the model that the epoch's
evaluation then sees (docs/fashion_review.md, CB Focal).

    python scripts/last_batch_probe.py RUN_DIR [--data-dir D] [--epoch 1] [--draws 20] [--small 4]

From the weights of a run directory (``checkpoint.npz`` of an unfinished run, else the finished
run's ``best.weights.h5``), with the run's own configuration, data and model: one
``train_on_batch`` step at the learning rate of the start of ``--epoch`` on a batch of ``--small``
training images, and, for comparison, on a batch of the run's batch size; after each step the
validation G-mean, each draw starting again from the same weights and optimizer state (momentum
included). The batches are the first ``--draws`` of epoch ``--epoch``'s training order. Prints the
validation G-mean before any step and, per batch size, the median, the smallest and the number of
draws that left it 0.
The default --small is what Fashion-MNIST at q = 10 leaves as its last batch: 29,700 = 232 × 128 + 4.
"""

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as python -m arconvl: no TensorFlow start-up lines

from arconvl.errors import ArconvlError, ConfigError  # noqa: E402 - after the path insert above


def restored_model(run_dir, config, splits):
    """The run's model with the weights of ``run_dir`` (its checkpoint, else its best weights)."""
    from arconvl.run.checkpoint import restore_state  # noqa: PLC0415 - these import Keras; --help does not
    from arconvl.run.directory import read_resume_point  # noqa: PLC0415
    from arconvl.run.files import CHECKPOINT_FILE, WEIGHTS_FILE  # noqa: PLC0415
    from arconvl.run.training import prepare_run  # noqa: PLC0415

    resume = read_resume_point(run_dir, config)
    start = prepare_run(config, splits, resume)
    if resume is not None:
        restore_state(start.model, resume.state)
        return start.model, f"{CHECKPOINT_FILE} (epoch {resume.state.epoch})"
    if not (run_dir / WEIGHTS_FILE).is_file():
        raise ConfigError(f"{run_dir} holds neither {CHECKPOINT_FILE} nor {WEIGHTS_FILE}")
    start.model.load_weights(run_dir / WEIGHTS_FILE)
    return start.model, WEIGHTS_FILE


def probe(run_dir, data_dir=None, epoch=1, draws=20, small=4):
    """{"before": validation G-mean, "before_classwise": validation class-wise accuracy, "weights":
    what was loaded, "learning_rate": the step's rate, batch size: [validation G-mean after one step
    on each of ``draws`` batches]}."""
    from arconvl.data import prepare_run_data  # noqa: PLC0415
    from arconvl.model.metrics import classwise_accuracy, g_mean  # noqa: PLC0415
    from arconvl.run.callbacks import evaluate_recalls, held_learning_rate  # noqa: PLC0415
    from arconvl.run.checkpoint import capture_state, restore_state  # noqa: PLC0415
    from arconvl.run.config import RunConfig  # noqa: PLC0415
    from arconvl.run.files import read_config  # noqa: PLC0415
    from arconvl.run.training import steps_per_epoch  # noqa: PLC0415

    run_dir = Path(run_dir)
    config = RunConfig.from_dict(read_config(run_dir))
    splits = prepare_run_data(config, data_dir, allow_download=False, progress=False)
    model, weights = restored_model(run_dir, config, splits)
    saved = capture_state(model, config.to_dict(), epoch=0, seconds=0.0)  # weights, and both optimizers' slots
    val = splits.eval_batches("val", batch_size=config.batch_size, pixel_scale=config.pixel_scale)

    def val_recalls():
        return evaluate_recalls(model, val, splits.labels("val"), len(splits.train_counts))

    recalls = val_recalls()
    results = {"before": g_mean(recalls), "before_classwise": classwise_accuracy(recalls), "weights": weights}
    start_iteration = (epoch - 1) * steps_per_epoch(splits, config)
    for size in (small, config.batch_size):
        order = splits.train_batches(batch_size=size, seed=config.seed, augment=config.augment,
                                     pixel_scale=config.pixel_scale, first_epoch=epoch, num_epochs=1)
        batches = list(itertools.islice(order, draws))
        if len(batches) < draws:
            raise ConfigError(f"an epoch holds {len(batches)} batches of {size} images: ask for --draws "
                              f"{len(batches)} or fewer")
        after = []
        for images, labels in batches:
            restore_state(model, saved)  # every draw from the same weights and optimizer state
            for optimizer in (model.network_optimizer, model.radius_optimizer):
                if optimizer is not None:  # a radius optimizer for ARConvL's radii only
                    optimizer.iterations.assign(start_iteration)
            results["learning_rate"] = held_learning_rate(model.network_optimizer)
            model.train_on_batch(images, labels)
            after.append(g_mean(val_recalls()))
        results[size] = after
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run directory of `python -m arconvl train`")
    parser.add_argument("--data-dir", help="the run's --data-dir, where it had one")
    parser.add_argument("--epoch", type=int, default=1, help="the step's learning rate is that of this epoch's "
                        "start, its batches this epoch's first (default: 1, the rate 0.1 of the paper's schedule)")
    parser.add_argument("--draws", type=int, default=20, help="batches per size (default: 20)")
    parser.add_argument("--small", type=int, default=4, help="the small batch's size (default: 4)")
    args = parser.parse_args(argv)
    if min(args.epoch, args.draws, args.small) < 1:
        parser.error("--epoch, --draws and --small take whole numbers from 1")
    try:
        results = probe(args.run_dir, args.data_dir, args.epoch, args.draws, args.small)
    except (ArconvlError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.run_dir}: {results['weights']}, validation G-mean {results['before']:.4f} (class-wise "
          f"accuracy {results['before_classwise']:.4f}); one step at learning rate {results['learning_rate']:g} "
          f"(epoch {args.epoch}) on")
    for size, after in results.items():
        if isinstance(size, int):
            after = np.asarray(after)
            print(f"  {size:4d} images: validation G-mean median {np.median(after):.4f}, smallest {after.min():.4f}, "
                  f"0 in {int((after == 0).sum())} of {len(after)} draws")
    return 0


if __name__ == "__main__":
    sys.exit(main())
