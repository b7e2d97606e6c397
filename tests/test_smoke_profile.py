"""The smoke profile of the sweep configs (issue 16), pinned so that a change to it is deliberate.

The smoke reproduction (``scripts/reproduce_all.sh --profile smoke``) must fit in about 15 minutes
on a 2-core CPU and still give readable numbers: every run needs enough optimizer steps for the
batch-norm moving statistics (momentum 0.99) to settle and for the step-decay schedule to reach
its low learning rates, and enough images of each minority class that its recall, hence the
G-mean, is rarely 0.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from arconvl.data.imbalance import stratified_subsample, validation_count
from arconvl.paper import paper_class_counts
from arconvl.paper.methods import ABLATION_METHODS, TABLE1_METHODS
from arconvl.run.config import resolve_run_config
from arconvl.sweep import load_experiment

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

SMOKE = {"datasets": ("fashion_mnist",), "seeds": (0,), "epochs": 4, "subsample": 0.2, "variant": "code",
         "precision": "float32", "xla": False, "params": {}}
SMOKE_QS = {"table1": (10, 20), "table2": (10,)}  # Table 2: the imbalanced row only, to save time
MIN_STEPS = 180  # optimizer steps of the shortest smoke run (Fashion-20: 180; Fashion-10: 188)
MIN_MINORITY_IMAGES = 50  # training images of the smallest class in any smoke run (Fashion-20: 54)
MAX_STEPS = 4300  # optimizer steps of both smoke sweeps together (4,260): the cost of the reproduction


def smoke(name):
    return load_experiment(CONFIGS / f"{name}.toml", "smoke")


def run_config(run):
    config, _ = resolve_run_config(run.dataset, run.q, run.method, run.seed, epochs=run.epochs,
                                   subsample=run.subsample)
    return config


def train_counts(run):
    """Per class: the run's training images, from supplementary Table 1 through its split and subsample."""
    config = run_config(run)
    before, _ = paper_class_counts(run.dataset, run.q)
    counts = [n - validation_count(n, config.val_fraction) for n in before]
    labels = np.repeat(np.arange(len(counts)), counts)
    _, kept = stratified_subsample(labels, labels, run.subsample, np.random.default_rng(0))
    return np.bincount(kept)


def training_steps(run):
    """Optimizer steps of one run: epochs × ⌈training images / batch size⌉."""
    config = run_config(run)
    return config.epochs * math.ceil(train_counts(run).sum() / config.batch_size)


@pytest.mark.parametrize("name, methods", [("table1", TABLE1_METHODS), ("table2", ABLATION_METHODS)])
def test_the_smoke_grid_and_settings_are_pinned(name, methods):
    experiment = smoke(name)
    assert experiment.methods == methods == load_experiment(CONFIGS / f"{name}.toml").methods  # every method
    assert experiment.qs == SMOKE_QS[name]
    for key, value in SMOKE.items():
        assert getattr(experiment, key) == value, key


def test_table2s_smoke_rows_are_among_table1s_so_every_ablation_row_has_arconvl():
    rows = {(r.dataset, r.q, r.seed) for r in smoke("table1").runs()}
    assert {(r.dataset, r.q, r.seed) for r in smoke("table2").runs()} <= rows
    assert len({q for _, q, _ in rows}) >= 2  # Fig. 4 and supplementary Fig. 1 draw lines, not points


def test_every_smoke_run_trains_long_enough_on_enough_minority_images():
    runs = smoke("table1").runs() + smoke("table2").runs()
    assert min(training_steps(r) for r in runs) >= MIN_STEPS
    assert min(train_counts(r).min() for r in runs) >= MIN_MINORITY_IMAGES
    assert sum(training_steps(r) for r in runs) <= MAX_STEPS


def test_the_smoke_schedule_reaches_both_decayed_learning_rates():
    # Both ×0.1 decays fall inside the run on different epochs, after at least one epoch at the base
    # rate (3 epochs would put both on epoch 3, and 1 epoch none at all).
    config = run_config(smoke("table1").runs()[0])
    first, second = config.lr_decay_epochs
    assert 1 < first < second <= config.epochs
