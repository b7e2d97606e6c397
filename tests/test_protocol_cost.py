"""The protocol time estimate: split sizes from supplementary Table 1 and per-run arithmetic."""

from pathlib import Path

import pytest

from arconvl.sweep import load_experiment
from arconvl.sweep.protocol_cost import Rates, experiment_seconds, run_seconds, split_sizes

REPO = Path(__file__).resolve().parents[1]
RATES = {"small_cnn": Rates(800.0, 1000.0, 2000.0), "resnet44": Rates(100.0, 125.0, 400.0),
         "resnet56": Rates(80.0, 100.0, 300.0)}


def test_split_sizes_follow_supplementary_table_1():
    # Fashion-100: five classes of 6,000 and five of 60; 10% of each (rounded) to validation.
    assert split_sizes("fashion_mnist", 100) == (27270, 3030, 10000)
    assert split_sizes("svhn", 1)[2] == 26032
    assert split_sizes("celeba", 1) == (96276, 10698, 13371)


def test_run_seconds_by_hand():
    assert run_seconds("fashion_mnist", 100, "cpl", 50, RATES) == pytest.approx(50 * (27270 / 1000 + 13030 / 2000))
    assert run_seconds("fashion_mnist", 100, "arc_c", 50, RATES) == pytest.approx(50 * (27270 / 800 + 13030 / 2000))
    # CelebA's 64x64 inputs cost (64/32)^2 = 4 times ResNet-56's measured 32x32 rate.
    assert run_seconds("celeba", 1, "la", 100, RATES) == pytest.approx(100 * (96276 / 25 + (10698 + 13371) / 75))


def test_experiment_seconds_sums_the_runs_of_a_config():
    table1 = load_experiment(REPO / "configs" / "table1.toml")
    expected = sum(run_seconds(r.dataset, r.q, r.method, 100 if r.dataset == "cifar10" else 50, RATES)
                   for r in table1.runs())
    assert len(table1.runs()) == 1600
    assert experiment_seconds(table1, RATES) == pytest.approx(expected)
    smoke = load_experiment(REPO / "configs" / "table1.toml", "smoke")   # its shorter runs
    assert experiment_seconds(smoke, RATES) == pytest.approx(
        sum(run_seconds(r.dataset, r.q, r.method, smoke.epochs, RATES) for r in smoke.runs()))
