#!/usr/bin/env python
"""Train-step throughput of ARConvL and of plain CPL cross-entropy on the same backbone, batch
and data, measured in one process with the two interleaved (ABBA); prints the medians, then
``ratio: X.XX`` (ARConvL / CPL, fastest blocks).

    python scripts/benchmark_throughput.py [--backbone small_cnn] [--steps 30] [--repeats 10]
"""

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from arconvl.config import resolve_run_config  # noqa: E402
from arconvl.data import load_dataset  # noqa: E402
from arconvl.errors import DataError  # noqa: E402
from arconvl.training import build_model  # noqa: E402

INPUT_SHAPES = {"small_cnn": (28, 28, 1), "resnet44": (32, 32, 3), "resnet56": (32, 32, 3)}
DATASET_OF_BACKBONE = {"small_cnn": "fashion_mnist", "resnet44": "cifar10", "resnet56": "cifar10"}


def benchmark_images(backbone, count, seed=0):
    """Real Fashion-MNIST images for the small CNN when present offline, else uniform noise."""
    shape = INPUT_SHAPES[backbone]
    if backbone == "small_cnn":
        try:
            data = load_dataset("fashion_mnist", allow_download=False)
            return data.x_train[:count].astype("float32"), data.y_train[:count].astype("int32"), "Fashion-MNIST"
        except DataError:
            pass
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, size=(count, *shape)).astype("float32")
    return images, rng.integers(0, 10, size=count).astype("int32"), "random noise"


def make_model(method, backbone, counts):
    config, _ = resolve_run_config(DATASET_OF_BACKBONE[backbone], 100, method, 0)
    config = dataclasses.replace(config, backbone=backbone)
    return build_model(config, counts, INPUT_SHAPES[backbone])


class StepClock(keras.callbacks.Callback):
    """Times the steady-state train steps inside ``fit``: from the end of the first step to the end
    of the last, leaving out fit's start-up (iterator creation), which varies by seconds here."""

    def on_train_begin(self, logs=None):
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def images_per_second(model, dataset, steps, batch_size):
    clock = StepClock()
    model.fit(dataset, epochs=1, steps_per_epoch=steps + 1, verbose=0, shuffle=False, callbacks=[clock])
    return steps * batch_size / (clock.ends[-1] - clock.ends[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", default="small_cnn", choices=sorted(INPUT_SHAPES))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30, help="train steps per timed block")
    parser.add_argument("--repeats", type=int, default=10, help="timed blocks per method, interleaved")
    args = parser.parse_args(argv)

    images, labels, source = benchmark_images(args.backbone, args.batch_size * args.steps)
    counts = np.bincount(labels, minlength=10)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(args.batch_size).cache().repeat()
    models = {method: make_model(method, args.backbone, counts) for method in ("arconvl", "cpl")}
    for model in models.values():  # trace and warm up
        images_per_second(model, dataset, 3, args.batch_size)
    rates = {method: [] for method in models}
    order = list(models)
    for _ in range(args.repeats):
        for method in order:  # ABBA order: drifts of the machine's speed hit both methods alike
            rates[method].append(images_per_second(models[method], dataset, args.steps, args.batch_size))
        order.reverse()

    print(f"backbone {args.backbone}, batch {args.batch_size}, {source}, device "
          f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}, "
          f"{args.repeats} blocks x {args.steps} steps per method")
    best = {method: max(values) for method, values in rates.items()}
    medians = {method: statistics.median(values) for method, values in rates.items()}
    for method in rates:
        print(f"{method:8s} best {best[method]:7.1f} images/s, median {medians[method]:7.1f} "
              f"(blocks: {', '.join(f'{v:.0f}' for v in rates[method])})")
    print(f"median ratio: {medians['arconvl'] / medians['cpl']:.2f}")
    # Interference from other work only ever slows a block down, so the fastest block of each
    # method is the least noisy estimate of its speed (as timeit's documentation advises).
    print(f"ratio: {best['arconvl'] / best['cpl']:.2f}")


if __name__ == "__main__":
    main()
