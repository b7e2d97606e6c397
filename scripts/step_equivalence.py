#!/usr/bin/env python
"""One training step on TensorFlow before and after the Keras-API rework (issue 12, "Equivalence"):
from the same initial weights and the same batch, the same loss, loss parts and updated weights.

    python scripts/step_equivalence.py --before TREE [--after TREE] [--backbone small_cnn|tiny]
        [--variant code|paper] [--methods arconvl cpl] [--epochs 1 4 45] [--golden FILE]

TREE is a checkout of the project (e.g. ``git worktree add --detach /tmp/before 71d6684^``; the
default ``--after`` is this one). The run is the paper's Fashion-MNIST q=100 seed-0 run of
``resolve_run_config`` built by each tree's own ``build_model``: the small CNN, or with ``--backbone
tiny`` a small CNN of 4 and 8 filters (``tiny_cnn``) put in its place. The batch is the first 64
training images of ``--data-dir`` (raw Fashion-MNIST files) with their labels.

Each tree runs in a child process of its own (``PYTHONPATH=TREE``). The after tree first draws the
seeded initial weights (the backbone's, BatchNorm's moving statistics included, then the centers, then
the radii) and the class counts and steps per epoch of the run; both trees then load those weights
and take ONE ``train_on_batch`` step at the start of each epoch in ``--epochs`` (the optimizers'
``iterations`` at (epoch − 1) × steps per epoch; the before tree's ``EpochSchedules`` sets its rates
for that epoch). Prints the largest absolute and relative differences (relative: to the largest
magnitude of the same array) of the loss, its parts, the weights and the weights' updates.
``--golden FILE`` writes the inputs and the before tree's results to FILE
(tests/test_step_golden.py checks today's step against it).

Nothing here imports the project at module level: the functions below work with whichever
``arconvl`` is importable (before: ``arconvl.training.build_model(config, counts, shape)``; after:
``arconvl.run.training.build_model(config, counts, shape, steps_per_epoch)``).
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
BATCH = 64
IMAGE_SHAPE = (28, 28, 1)
RUN = {"dataset": "fashion_mnist", "q": 100, "seed": 0}
METHODS = ("arconvl", "cpl")
EPOCHS = (1, 4, 45)  # the first epoch; after the radius warm-up (3 epochs); after both decays


def read_batch(data_dir=DATA_DIR, size=BATCH):
    """The first ``size`` training images (uint8, (n, 28, 28, 1)) and labels (int32) of the raw
    Fashion-MNIST files (idx format: a 16-byte header for images, 8 bytes for labels)."""
    with gzip.open(Path(data_dir) / "train-images-idx3-ubyte.gz") as file:
        images = np.frombuffer(file.read(16 + size * 784)[16:], np.uint8).reshape(size, *IMAGE_SHAPE)
    with gzip.open(Path(data_dir) / "train-labels-idx1-ubyte.gz") as file:
        labels = np.frombuffer(file.read(8 + size)[8:], np.uint8).astype("int32")
    return images, labels


# --- inside a child: whichever ``arconvl`` is importable ------------------------------------------

def tiny_cnn(input_shape):
    """The small CNN's layer kinds at a few hundredths of its size (golden files stay small):
    conv4-maxpool-conv8-maxpool → dense(8) → BN, He-uniform, ReLU."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (4, 8):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer="he_uniform")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8, kernel_initializer="he_uniform")(x)
    return keras.Model(inputs, layers.BatchNormalization()(x), name="tiny_cnn")


def project_api():
    """(resolve_run_config, the training module) of the importable tree, before or after the regrouping."""
    try:
        from arconvl.run import training
        from arconvl.run.config import resolve_run_config
    except ImportError:
        from arconvl import training
        from arconvl.config import resolve_run_config
    return resolve_run_config, training


def run_config(method, variant):
    resolve_run_config, _ = project_api()
    config, _ = resolve_run_config(RUN["dataset"], RUN["q"], method, RUN["seed"], variant=variant)
    return config


def build(config, class_counts, steps_per_epoch, backbone):
    """The tree's ``build_model`` of ``config``; ``backbone="tiny"`` puts ``tiny_cnn`` in the small CNN's place."""
    import inspect

    _, training = project_api()
    original = training.build_backbone
    if backbone == "tiny":
        training.build_backbone = lambda name, input_shape, *args, **kwargs: tiny_cnn(input_shape)
    try:
        if "steps_per_epoch" in inspect.signature(training.build_model).parameters:
            return training.build_model(config, class_counts, IMAGE_SHAPE, steps_per_epoch)
        return training.build_model(config, class_counts, IMAGE_SHAPE)
    finally:
        training.build_backbone = original


def state_variables(model):
    """Every variable a step changes, in one order for both trees: the backbone's (trainable and
    BatchNorm's moving statistics, in the backbone's order), the centers, the radii's a_j."""
    radii = [] if model.radii is None else [model.radii.a]
    return [*model.backbone.weights, model.prototypes.centers, *radii]


def start_epoch(model, config, epoch, steps_per_epoch):
    """The optimizers as at the first step of 1-based ``epoch``: their iterations (the schedules'
    step after the rework) and, before it, the rates ``EpochSchedules`` assigned at the epoch's start."""
    optimizers = {id(o): o for o in (model.optimizer, getattr(model, "network_optimizer", None),
                                     model.radius_optimizer) if o is not None}
    for optimizer in optimizers.values():
        optimizer.iterations.assign((epoch - 1) * steps_per_epoch)
    try:
        from arconvl.callbacks import EpochSchedules  # before: rates assigned per epoch
    except ImportError:
        return
    schedules = EpochSchedules(config)
    schedules.set_model(model)
    schedules.on_epoch_begin(epoch - 1)


def initial_state(inputs, methods, variant, backbone):
    """{M.init.i: array, M.names: their paths}: each method's seeded initial ``state_variables`` (the run's seed)."""
    import keras

    out = {}
    for method in methods:
        config = run_config(method, variant)
        keras.utils.set_random_seed(config.seed)
        model = build(config, inputs["class_counts"], int(inputs["steps_per_epoch"]), backbone)
        variables = state_variables(model)
        out.update({f"{method}.init.{i}": v.numpy() for i, v in enumerate(variables)})
        out[f"{method}.names"] = np.array([v.path for v in variables])
    return out


def one_steps(inputs, methods, epochs, variant, backbone):
    """{M.eE.loss, M.eE.part.NAME, M.eE.weights.i}: one step from ``M.init.*`` on the batch at each epoch."""
    out = {}
    x, y = inputs["x"].astype("float32"), inputs["y"]
    for method in methods:
        config = run_config(method, variant)
        init = [inputs[f"{method}.init.{i}"] for i in range(sum(k.startswith(f"{method}.init.") for k in inputs))]
        for epoch in epochs:
            model = build(config, inputs["class_counts"], int(inputs["steps_per_epoch"]), backbone)
            variables = state_variables(model)
            shapes = [tuple(v.shape) for v in variables]
            if shapes != [w.shape for w in init]:
                raise ValueError(f"{method}: the model's variables {shapes} are not the initial weights' "
                                 f"{[w.shape for w in init]}")
            for variable, value in zip(variables, init):
                variable.assign(value)
            start_epoch(model, config, epoch, int(inputs["steps_per_epoch"]))
            logs = model.train_on_batch(x * config.pixel_scale, y, return_dict=True)
            key = f"{method}.e{epoch}"
            out[f"{key}.loss"] = np.float32(logs["loss"])
            out.update({f"{key}.part.{name}": np.float32(logs[name]) for name in model.method.parts})
            out.update({f"{key}.weights.{i}": v.numpy() for i, v in enumerate(variables)})
    return out


def child(argv):
    """``--child prepare|step IN OUT ...``: the inputs' class counts and initial weights, or the steps."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("prepare", "step"))
    parser.add_argument("inputs")
    parser.add_argument("output")
    parser.add_argument("--methods", nargs="+")
    parser.add_argument("--epochs", nargs="+", type=int)
    parser.add_argument("--variant")
    parser.add_argument("--backbone")
    args = parser.parse_args(argv)
    with np.load(args.inputs) as data:
        inputs = dict(data)
    if args.child == "prepare":
        from arconvl.data.run_data import prepare_run_data
        from arconvl.run.training import steps_per_epoch

        config = run_config(args.methods[0], args.variant)
        splits = prepare_run_data(config, allow_download=False)
        inputs["class_counts"] = np.asarray(splits.train_counts, "int64")
        inputs["steps_per_epoch"] = np.int64(steps_per_epoch(splits, config))
        inputs.update(initial_state(inputs, args.methods, args.variant, args.backbone))
        np.savez(args.output, **inputs)
    else:
        np.savez(args.output, **one_steps(inputs, args.methods, args.epochs, args.variant, args.backbone))


# --- the parent: a child per tree, then the differences -------------------------------------------

def run_child(tree, argv):
    env = {**os.environ, "PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    done = subprocess.run([sys.executable, __file__, *argv], env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the step in {tree} failed:\n{done.stderr[-4000:]}")


def differences(a, b):
    """(max |a − b|, max |a − b| / max |b|) of the arrays ``a`` and ``b`` (relative to b's scale)."""
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    absolute = float(np.abs(a - b).max())
    scale = float(np.abs(b).max())
    return absolute, absolute / scale if scale else (0.0 if absolute == 0 else float("inf"))


def compare(before, after, inputs, methods, epochs):
    """Lines of the largest differences per method and epoch: loss, parts, weights, updates."""
    lines = [f"{'method':8} {'epoch':>5} {'quantity':8} {'max abs':>10} {'max rel':>10}"]
    for method in methods:
        names = inputs[f"{method}.names"]

        def label(key):
            """'M.eE.weights.i' → the variable's path; 'M.eE.part.NAME' → NAME."""
            kind, index = key.split(".")[-2:]
            return str(names[int(index)]) if kind == "weights" else index

        init = [inputs[f"{method}.init.{i}"] for i in range(sum(k.startswith(f"{method}.init.") for k in inputs))]
        for epoch in epochs:
            key = f"{method}.e{epoch}"
            parts = sorted(k for k in after if k.startswith(f"{key}.part."))
            missing = sorted(set(parts) ^ {k for k in before if k.startswith(f"{key}.part.")})
            if missing:
                lines.append(f"{method:8} {epoch:>5} parts only on one side: {missing}")
            scalars = [f"{key}.loss", *(p for p in parts if p in before)]
            weights = [f"{key}.weights.{i}" for i in range(len(init))]
            rows = {"loss": [f"{key}.loss"], "parts": scalars[1:], "weights": weights}
            updates = {k: differences(before[k] - w, after[k] - w) for k, w in zip(weights, init)}
            rows = {name: {k: differences(before[k], after[k]) for k in keys} for name, keys in rows.items()}
            for name, diffs in (*rows.items(), ("updates", updates)):
                largest = max(diffs, key=lambda k: diffs[k][0], default=None)
                where = f"  (largest: {label(largest)})" if largest and diffs[largest][0] else ""
                lines.append(f"{method:8} {epoch:>5} {name:8} {max((d[0] for d in diffs.values()), default=0):>10.3g} "
                             f"{max((d[1] for d in diffs.values()), default=0):>10.3g}{where}")
            lines.append(f"{method:8} {epoch:>5} loss {float(after[f'{key}.loss']):.7g} (after) "
                         f"{float(before[f'{key}.loss']):.7g} (before)")
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="checkout of the code before the rework")
    parser.add_argument("--after", type=Path, default=REPO, help="checkout of the code after it (default: this one)")
    parser.add_argument("--backbone", choices=("small_cnn", "tiny"), default="small_cnn",
                        help="the run's small CNN, or tiny_cnn in its place (the golden's)")
    parser.add_argument("--variant", choices=("code", "paper"), default="code")
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--epochs", nargs="+", type=int, default=list(EPOCHS),
                        help="1-based epochs at whose first step one step is taken (default: 1 4 45)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="raw Fashion-MNIST .gz files")
    parser.add_argument("--golden", type=Path, help="write the inputs and the before tree's results here")
    args = parser.parse_args(argv)
    shared = ["--methods", *args.methods, "--epochs", *map(str, args.epochs), "--variant", args.variant,
              "--backbone", args.backbone]
    for tree in (args.before, args.after):
        if not (tree / "arconvl" / "__init__.py").is_file():
            parser.error(f"{tree} is not a checkout of the project (no arconvl/__init__.py)")
    try:
        x, y = read_batch(args.data_dir)
    except (OSError, ValueError) as error:
        parser.error(f"cannot read the Fashion-MNIST training files in {args.data_dir}: {error}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        np.savez(folder / "batch.npz", x=x, y=y)
        run_child(args.after.resolve(), ["--child", "prepare", str(folder / "batch.npz"), str(folder / "in.npz"),
                                         *shared])
        for name, tree in (("before", args.before), ("after", args.after)):
            run_child(tree.resolve(), ["--child", "step", str(folder / "in.npz"), str(folder / f"{name}.npz"),
                                       *shared])
        inputs, before, after = (dict(np.load(folder / f"{name}.npz")) for name in ("in", "before", "after"))
    print(f"{args.backbone}, variant {args.variant}, batch of {len(y)}, class counts "
          f"{inputs['class_counts'].tolist()}, {int(inputs['steps_per_epoch'])} steps an epoch")
    print("\n".join(compare(before, after, inputs, args.methods, args.epochs)))
    if args.golden:
        meta = {"methods": np.array(args.methods), "epochs": np.array(args.epochs), "variant": np.array(args.variant),
                "backbone": np.array(args.backbone)}
        np.savez_compressed(args.golden, **inputs, **before, **meta)
        print(f"golden: {args.golden} ({args.golden.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
