#!/usr/bin/env python
"""Throughput of ARConvL's and plain CPL's compiled train steps and of evaluation, per backbone,
measured in one process with the methods interleaved (ABBA); then an estimate of the wall time
of the paper's whole protocol on this device.

    python scripts/benchmark_throughput.py [--backbones small_cnn resnet44 resnet56]
        [--steps 30] [--repeats 10] [--precision float32|mixed_bfloat16] [--xla] [--no-estimate]
    python scripts/benchmark_throughput.py --backends tensorflow jax [--backbones ...] [--steps ...]
    python scripts/benchmark_throughput.py --compare mixed_bfloat16|xla [--backbones ...]

Prints one line per backbone, ``ratio: X.XX`` (ARConvL / CPL train images/s, fastest blocks) for
the small CNN, and the protocol estimate (``arconvl.sweep.protocol_cost``) when every backbone was measured.

``--backends`` measures each named Keras backend in turn, in a child process of its own (Keras fixes
its backend at import), and prints every backend's images/s and ratio in one table, then one
``ratio (BACKEND): X.XX`` line per backend.
"""

import argparse
import dataclasses
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from arconvl.data import load_dataset  # noqa: E402
from arconvl.errors import DataError  # noqa: E402
from arconvl.run.config import PRECISIONS, resolve_run_config  # noqa: E402
from arconvl.run.training import build_model  # noqa: E402
from arconvl.sweep import load_experiment  # noqa: E402
from arconvl.sweep.protocol_cost import Rates, experiment_seconds  # noqa: E402

INPUT_SHAPES = {"small_cnn": (28, 28, 1), "resnet44": (32, 32, 3), "resnet56": (32, 32, 3)}
DATASET_OF_BACKBONE = {"small_cnn": "fashion_mnist", "resnet44": "cifar10", "resnet56": "cifar10"}
PROTOCOL_CONFIGS = ("table1", "table2", "fig5")


def backend_accelerators():
    """The accelerators Keras' backend computes on (e.g. ``["cuda:0"]``); empty when it runs on the CPU."""
    if keras.backend.backend() == "jax":
        import jax  # noqa: PLC0415 - the backend in use

        return [str(device) for device in jax.devices() if device.platform != "cpu"]
    import tensorflow as tf  # noqa: PLC0415 - the backend in use

    return [device.name for device in tf.config.list_physical_devices("GPU")]


def benchmark_images(backbone, count, seed=0, data_dir=None):
    """Real Fashion-MNIST images for the small CNN when present offline, else uniform noise."""
    shape = INPUT_SHAPES[backbone]
    if backbone == "small_cnn":
        try:
            data = load_dataset("fashion_mnist", data_dir, allow_download=False)
            if len(data.x_train) >= count:
                return data.x_train[:count].astype("float32"), data.y_train[:count].astype("int32"), "Fashion-MNIST"
        except DataError:
            pass
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, size=(count, *shape)).astype("float32")
    return images, rng.integers(0, 10, size=count).astype("int32"), "random noise"


def make_model(method, precision, xla, steps_per_execution=1, *, backbone, counts):
    """The run's model of ``method`` on ``backbone``; ``steps_per_execution`` > 1 recompiles it to run
    that many train steps per call from the host."""
    config, _ = resolve_run_config(DATASET_OF_BACKBONE[backbone], 100, method, 0, precision=precision, xla=xla)
    config = dataclasses.replace(config, backbone=backbone)
    steps_per_epoch = math.ceil(int(np.sum(counts)) / config.batch_size)  # the schedules' epoch length
    model = build_model(config, counts, INPUT_SHAPES[backbone], steps_per_epoch)
    if steps_per_execution > 1:
        model.compile(optimizer=model.network_optimizer, radius_optimizer=model.radius_optimizer, jit_compile=xla,
                      steps_per_execution=steps_per_execution)
    return model


class StepClock(keras.callbacks.Callback):
    """Times the steady-state train steps inside ``fit``: from the end of the first step to the end
    of the last, leaving out fit's start-up (iterator creation), which varies by seconds here."""

    def on_train_begin(self, logs=None):
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def train_images_per_second(model, images, labels, steps, batch_size):
    """Images/s of ``steps`` timed train steps (a multiple of the model's ``steps_per_execution``), after
    one untimed call; ``images`` must hold ``steps + steps_per_execution`` batches."""
    per_call = model.steps_per_execution
    clock = StepClock()  # its end-of-call hook also makes the host wait for each call's result
    model.fit(images, labels, batch_size=batch_size, epochs=1, steps_per_epoch=steps + per_call, verbose=0,
              shuffle=False, callbacks=[clock])
    return steps * batch_size / (clock.ends[-1] - clock.ends[0])


def eval_images_per_second(model, images, batch_size):
    """Images/s of ``predict`` (the compiled nearest-center step) over ``images``, start-up included."""
    start = time.perf_counter()
    model.predict(images, batch_size=batch_size, verbose=0)
    return len(images) / (time.perf_counter() - start)


def measure_arms(backbone, arms, args):
    """Train and evaluation blocks of each arm (name → (method, precision, xla[, steps_per_execution])),
    timed in turn in ABBA order (drifts of the machine's speed hit every arm alike); returns (blocks,
    data source). ``args.steps`` must be a multiple of every arm's steps per execution."""
    images, labels, source = benchmark_images(backbone, args.batch_size * args.steps * 2, data_dir=args.data_dir)
    counts = np.bincount(labels, minlength=10)
    models = {name: make_model(*arm_options, backbone=backbone, counts=counts) for name, arm_options in arms.items()}
    for model in models.values():  # trace and warm up
        train_images_per_second(model, images, labels, model.steps_per_execution, args.batch_size)
        eval_images_per_second(model, images, args.batch_size)
    blocks = {name: {"train": [], "evaluate": []} for name in models}
    order = list(models)
    for _ in range(args.repeats):
        for name in order:
            blocks[name]["train"].append(
                train_images_per_second(models[name], images, labels, args.steps, args.batch_size))
            blocks[name]["evaluate"].append(eval_images_per_second(models[name], images, args.batch_size))
        order.reverse()
    return blocks, source


def fastest(values):
    # Interference from other work only ever slows a block down, so the fastest block is the
    # least noisy estimate of a speed (as timeit's documentation advises).
    return max(values)


def compare_option(args):
    """ARConvL without and with one speed option, per backbone, in one process."""
    option = {"mixed_bfloat16": ("arconvl", "mixed_bfloat16", False), "xla": ("arconvl", "float32", True)}
    arms = {"float32": ("arconvl", "float32", False), args.compare: option[args.compare]}
    print(f"ARConvL float32 without XLA vs with {args.compare}; {args.repeats} blocks x {args.steps} steps; "
          "images/s of the fastest block")
    for backbone in args.backbones:
        blocks, source = measure_arms(backbone, arms, args)
        base, other = blocks["float32"], blocks[args.compare]
        print(f"{backbone:10s} train {fastest(base['train']):7.1f} -> {fastest(other['train']):7.1f}, "
              f"evaluation {fastest(base['evaluate']):7.1f} -> {fastest(other['evaluate']):7.1f}  ({source}); "
              f"speed-up: {fastest(other['train']) / fastest(base['train']):.2f} (train), "
              f"{fastest(other['evaluate']) / fastest(base['evaluate']):.2f} (evaluation)")


BACKENDS = ("tensorflow", "jax")
RESULT_PREFIX = "benchmark-result: "  # a child's one machine-readable line


def measure_backends(backends, argv):
    """Each backend's ``{backbone: Rates fields}``, measured by this script in a child process with
    ``KERAS_BACKEND`` set (same arguments, estimate off); its output is passed through."""
    rows = {}
    for backend in backends:
        print(f"--- {backend} ---", flush=True)
        env = {**os.environ, "KERAS_BACKEND": backend}
        child = subprocess.run([sys.executable, __file__, *argv, "--no-estimate", "--report-json"], env=env,
                               capture_output=True, text=True, check=False)
        lines = child.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith(RESULT_PREFIX)), flush=True)
        results = [line[len(RESULT_PREFIX):] for line in lines if line.startswith(RESULT_PREFIX)]
        if child.returncode != 0 or not results:
            sys.exit(f"benchmark on {backend} failed (exit {child.returncode}): {child.stderr.strip()[-2000:]}")
        rows[backend] = json.loads(results[-1])
    return rows


def without_backends(argv):
    """``argv`` less its ``--backends`` option and values (either spelling), for the children."""
    kept, skipping = [], False
    for token in argv:
        if token == "--backends":
            skipping = True
        elif token.startswith("--backends="):
            skipping = False
        elif skipping and token in BACKENDS:
            continue
        else:
            skipping = False
            kept.append(token)
    return kept


def print_backends(rows):
    """One table of every backend's images/s and ARConvL / CPL ratio, then ``ratio (BACKEND): X.XX`` lines."""
    print(f"{'backend':10s} {'backbone':10s} {'ARConvL img/s':>14s} {'CPL img/s':>10s} {'ratio':>6s} "
          f"{'eval img/s':>10s}")
    for backend, measured in rows.items():
        for backbone, rates in measured.items():
            print(f"{backend:10s} {backbone:10s} {rates['train_arconvl']:14.1f} {rates['train_plain']:10.1f} "
                  f"{rates['train_arconvl'] / rates['train_plain']:6.2f} {rates['evaluate']:10.1f}")
    for backend, measured in rows.items():
        rates = measured.get("small_cnn") or next(iter(measured.values()))
        print(f"ratio ({backend}): {rates['train_arconvl'] / rates['train_plain']:.2f}")


def format_duration(seconds):
    hours = seconds / 3600
    return f"{hours:,.1f} h ({hours / 24:.1f} days)" if hours >= 24 else f"{hours:,.1f} h"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbones", nargs="+", default=["small_cnn"], choices=sorted(INPUT_SHAPES))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30, help="train steps per timed block")
    parser.add_argument("--repeats", type=int, default=10, help="timed blocks per method, interleaved")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS)
    parser.add_argument("--xla", action="store_true", help="XLA-compile the train and evaluation steps")
    parser.add_argument("--data-dir", type=Path, default=None, help="where Fashion-MNIST is (default: system location)")
    parser.add_argument("--no-estimate", action="store_true", help="skip the protocol time estimate")
    parser.add_argument("--compare", choices=("mixed_bfloat16", "xla"),
                        help="instead: ARConvL float32 without XLA against ARConvL with this option, "
                        "interleaved, printing 'speed-up: X.XX' per backbone")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS,
                        help="measure each of these Keras backends in a child process and print them side by side "
                        "(default: the backend in use)")
    parser.add_argument("--report-json", action="store_true", help=argparse.SUPPRESS)  # a child's result line
    args = parser.parse_args(argv)
    if args.compare:
        return compare_option(args)
    if args.backends:
        return print_backends(measure_backends(args.backends, without_backends(sys.argv[1:] if argv is None else argv)))

    accelerators = backend_accelerators()
    device = f"GPU: {accelerators[0]}" if accelerators else f"CPU ({os.cpu_count()} cores)"
    print(f"backend {keras.backend.backend()}; device {device}; batch {args.batch_size}; "
          f"precision {args.precision}; XLA {'on' if args.xla else 'off'}; "
          f"{args.repeats} blocks x {args.steps} steps per method; images/s of the fastest block (median)")
    print(f"{'backbone':10s} {'ARConvL train':>16s} {'CPL train':>16s} {'ratio':>6s} {'evaluation':>16s}  data")
    measured = {}
    arms = {method: (method, args.precision, args.xla) for method in ("arconvl", "cpl")}
    for backbone in args.backbones:
        blocks, source = measure_arms(backbone, arms, args)
        arconvl, cpl = blocks["arconvl"], blocks["cpl"]
        rates = Rates(fastest(arconvl["train"]), fastest(cpl["train"]), fastest(arconvl["evaluate"]))
        measured[backbone] = rates
        print(f"{backbone:10s} {rates.train_arconvl:7.1f} ({statistics.median(arconvl['train']):6.1f}) "
              f"{rates.train_plain:7.1f} ({statistics.median(cpl['train']):6.1f}) "
              f"{rates.train_arconvl / rates.train_plain:6.2f} "
              f"{rates.evaluate:7.1f} ({statistics.median(arconvl['evaluate']):6.1f})  {source}")
    if "small_cnn" in measured:
        small = measured["small_cnn"]
        print(f"ratio: {small.train_arconvl / small.train_plain:.2f}")
    if args.report_json:
        print(RESULT_PREFIX + json.dumps({backbone: dataclasses.asdict(rates) for backbone, rates in measured.items()}))
    if args.no_estimate:
        return
    missing = sorted(set(INPUT_SHAPES) - set(measured))
    if missing:
        print(f"protocol estimate: needs every backbone (add --backbones {' '.join(sorted(INPUT_SHAPES))}); "
              f"missing {', '.join(missing)}")
        return
    print("protocol estimate on this device, one run at a time (ResNet-56 rates scaled by pixels to 64x64 / 224x224):")
    total = 0.0
    for name in PROTOCOL_CONFIGS:
        experiment = load_experiment(REPO / "configs" / f"{name}.toml")
        seconds = experiment_seconds(experiment, measured)
        total += seconds
        print(f"  {name:8s} {len(experiment.runs()):5d} runs  {format_duration(seconds)}")
    print(f"  total             {format_duration(total)}")


if __name__ == "__main__":
    main()
