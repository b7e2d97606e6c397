"""How long the paper's protocol takes on a device, from measured throughputs.

A run of E epochs costs E · (N_train / train rate + (N_val + N_test) / evaluation rate): every
epoch trains once and evaluates the validation and test splits (``training.train_run``). N comes
from supplementary Table 1 (counts before the 90/10 split; test counts), the runs from the sweep
configs (``configs/*.toml``). Rates are images/s of one backbone at its input size; the ResNet
rates of 32×32 inputs are scaled by pixel count to the 64×64 and 224×224 inputs of CelebA and
iNaturalist (the convolutions' work grows with the pixels; an extrapolation, stated as such).
A config's ``subsample`` is not taken into account (the estimate is for full runs).
"""

from dataclasses import dataclass

from arconvl.data.imbalance import validation_count
from arconvl.paper import paper_class_counts
from arconvl.run.config import DATASET_DEFAULTS

INPUT_SIDE = {"mnist": 28, "fashion_mnist": 28, "svhn": 32, "cifar10": 32, "celeba": 64, "inaturalist2018": 224}
MEASURED_SIDE = {"small_cnn": 28, "resnet44": 32, "resnet56": 32}


@dataclass(frozen=True)
class Rates:
    """Measured images/s of one backbone: train steps of ARConvL and of plain CPL, and evaluation."""

    train_arconvl: float
    train_plain: float
    evaluate: float


def split_sizes(dataset, q):
    """(N_train, N_val, N_test) of one run from supplementary Table 1 (N_val: the validation split's rule)."""
    before, test = paper_class_counts(dataset, q)
    val = sum(validation_count(n, 0.1) for n in before)
    return sum(before) - val, val, sum(test)


def uses_arconvl_step(method):
    """ARConvL and its ablations pay for the radii and the adaptive terms; the others do not."""
    return method.startswith("arc")


def run_seconds(dataset, q, method, epochs, rates_by_backbone):
    """Estimated seconds of one run."""
    backbone = DATASET_DEFAULTS[dataset]["backbone"]
    rates = rates_by_backbone[backbone]
    slowdown = (INPUT_SIDE[dataset] / MEASURED_SIDE[backbone]) ** 2
    train_rate = (rates.train_arconvl if uses_arconvl_step(method) else rates.train_plain) / slowdown
    n_train, n_val, n_test = split_sizes(dataset, q)
    return epochs * (n_train / train_rate + (n_val + n_test) / (rates.evaluate / slowdown))


def experiment_seconds(experiment, rates_by_backbone):
    """Estimated seconds of every run of a sweep ``Experiment`` (``sweep.load_experiment``), one after another."""
    total = 0.0
    for run in experiment.runs():
        epochs = run.epochs or DATASET_DEFAULTS[run.dataset]["epochs"]
        total += run_seconds(run.dataset, run.q, run.method, epochs, rates_by_backbone)
    return total
