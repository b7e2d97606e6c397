"""The resolved run configuration, its variants, and the learning-rate schedules (SPEC §2, §5)."""

import keras
import numpy as np
import pytest

from arconvl.errors import ConfigError
from arconvl.model.epoch_schedules import scale_epoch, step_decay, warmup_then_constant
from arconvl.model.schedules import StepDecay, WarmupThenConstant
from arconvl.run.config import resolve_run_config


def lr_per_epoch(config):
    """(network lr, radius lr) of every 1-based epoch of ``config``'s run, from the pure schedules."""
    return [(step_decay(epoch, config.learning_rate, config.lr_decay_epochs, config.lr_decay_factor),
             warmup_then_constant(epoch, config.radius_warmup_learning_rate, config.radius_learning_rate,
                                  config.radius_warmup_epochs))
            for epoch in range(1, config.epochs + 1)]


def first_epochs_at(rates, value):
    return [epoch for epoch, (lr, _) in enumerate(rates, start=1) if lr == pytest.approx(value)][:1]


@pytest.mark.parametrize(
    "dataset, variant, decays",
    [
        ("fashion_mnist", "paper", (26, 41)),  # "decay by 0.1 at the 26-th and 41-th epochs"
        ("fashion_mnist", "code", (27, 42)),   # the code tests the 0-based index against 25 / 40
        ("svhn", "paper", (26, 41)),
        ("cifar10", "paper", (51, 81)),
        ("cifar10", "code", (52, 82)),
    ],
)
def test_paper_schedule_per_dataset_and_variant(dataset, variant, decays):
    config, notes = resolve_run_config(dataset, 100, "arconvl", 0, variant=variant)
    assert notes == []
    assert config.epochs == (100 if dataset == "cifar10" else 50)
    rates = lr_per_epoch(config)
    assert first_epochs_at(rates, 0.1) == [1]
    assert first_epochs_at(rates, 0.01) == [decays[0]]
    assert first_epochs_at(rates, 0.001) == [decays[1]]
    radius = [radius_lr for _, radius_lr in rates]
    assert radius[:3] == [0.001] * 3 and set(radius[3:]) == {0.01}  # radii: 0.001 for 3 epochs


def test_variants_differ_as_documented():
    code, _ = resolve_run_config("fashion_mnist", 10, "arconvl", 0, variant="code")
    paper, _ = resolve_run_config("fashion_mnist", 10, "arconvl", 0, variant="paper")
    assert (code.momentum, code.pixel_scale, code.method_params["normalize_distribution_alpha"]) == (0.0, 1.0, True)
    assert (paper.momentum, paper.pixel_scale, paper.method_params["normalize_distribution_alpha"]) == (
        0.9, 1 / 255, False)


def test_backbone_and_augmentation_per_dataset():
    expected = {"mnist": ("small_cnn", False), "fashion_mnist": ("small_cnn", False),
                "svhn": ("resnet44", True), "cifar10": ("resnet44", True)}
    for dataset, (backbone, augment) in expected.items():
        config, _ = resolve_run_config(dataset, 1, "cpl", 0)
        settings = (config.backbone, config.augment, config.batch_size, config.learning_rate)
        assert settings == (backbone, augment, 128, 0.1)


def test_shorter_run_keeps_the_schedule_shape_and_says_so():
    config, notes = resolve_run_config("fashion_mnist", 100, "arconvl", 0, epochs=10, variant="paper")
    # 26 → after 25/50 of training = epoch 6 of 10; 41 → after 40/50 = epoch 9; warm-up 3/50 → 1 epoch.
    assert config.lr_decay_epochs == (6, 9)
    assert config.radius_warmup_epochs == 1
    assert len(notes) == 1 and "10 epochs instead of the paper's 50" in notes[0] and "6, 9" in notes[0]


def test_scale_epoch_is_the_identity_at_the_paper_length():
    for epoch in range(1, 51):
        assert scale_epoch(epoch, 50, 50) == epoch
    assert scale_epoch(26, 50, 100) == 51 and scale_epoch(41, 50, 100) == 81


def test_step_decay_and_warmup_by_hand():
    assert [step_decay(e, 0.1, (3, 5)) for e in range(1, 7)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    assert [warmup_then_constant(e, 0.001, 0.01, 2) for e in (1, 2, 3)] == [0.001, 0.001, 0.01]


def test_keras_schedules_at_the_boundary_steps():
    main = StepDecay(0.1, (3, 5), steps_per_epoch=10)  # epoch 3 starts at step 20, epoch 5 at step 40
    assert [float(main(s)) for s in (0, 19, 20, 39, 40, 1000)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rel=1e-6)
    radius = WarmupThenConstant(0.001, 0.01, warmup_epochs=3, steps_per_epoch=7)  # epoch 4 starts at step 21
    assert [float(radius(s)) for s in (0, 20, 21, 500)] == pytest.approx([0.001, 0.001, 0.01, 0.01], rel=1e-6)


@pytest.mark.parametrize("dataset, variant", [("fashion_mnist", "paper"), ("cifar10", "code")])
def test_keras_schedules_follow_the_epoch_schedules_of_a_run(dataset, variant):
    config, _ = resolve_run_config(dataset, 100, "arconvl", 0, variant=variant)
    steps = 3
    main = StepDecay(config.learning_rate, config.lr_decay_epochs, steps, config.lr_decay_factor)
    radius = WarmupThenConstant(config.radius_warmup_learning_rate, config.radius_learning_rate,
                                config.radius_warmup_epochs, steps)
    step = np.arange(config.epochs * steps)
    per_step = list(zip(keras.ops.convert_to_numpy(main(step)), keras.ops.convert_to_numpy(radius(step))))
    expected = [rates for rates in lr_per_epoch(config) for _ in range(steps)]
    np.testing.assert_allclose(per_step, expected, rtol=1e-6)


def test_keras_schedules_serialise_and_drive_an_optimizer():
    for schedule in (StepDecay(0.1, (2,), 4), WarmupThenConstant(0.001, 0.01, 1, 4)):
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
        assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    optimizer = keras.optimizers.SGD(StepDecay(0.1, (2,), steps_per_epoch=4))
    variable = keras.Variable([0.0])
    for _ in range(5):  # steps 0-3 of epoch 1 at 0.1, step 4 (epoch 2) at 0.01
        optimizer.apply([keras.ops.ones((1,))], [variable])
    assert float(variable.numpy()[0]) == pytest.approx(-(4 * 0.1 + 0.01), rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dataset": "imagenet"}, "'dataset' must be one of mnist, .*, got 'imagenet'"),
        ({"q": 0}, "'q' must be an integer from 1 to"),
        ({"seed": -1}, "'seed' must be an integer from 0 to 4294967295, got -1"),
        ({"epochs": 0}, "'epochs' must be an integer from 1 to"),
        ({"method": "nope"}, "'method' must be one of cpl, .*, got 'nope'"),
        ({"variant": "mine"}, "'variant' must be one of code, paper, got 'mine'"),
    ],
)
def test_bad_values_are_rejected_by_name(kwargs, message):
    args = {"dataset": "mnist", "q": 10, "method": "arconvl", "seed": 0, **kwargs}
    options = {k: args.pop(k) for k in ("epochs", "variant") if k in args}
    with pytest.raises(ConfigError, match=message):
        resolve_run_config(args["dataset"], args["q"], args["method"], args["seed"], **options)


def test_config_round_trips_through_json_and_flattens_params():
    import json

    config, _ = resolve_run_config("mnist", 10, "arconvl", 0, method_overrides={"gamma": "0.1"})
    assert json.loads(config.to_json())["method_params"]["gamma"] == 0.1
    flat = config.flat()
    assert flat["param.gamma"] == 0.1 and flat["lr_decay_epochs"] == "27;42" and "method_params" not in flat


def test_feature_dim_is_the_small_cnns_alone():
    config, _ = resolve_run_config("fashion_mnist", 10, "arconvl", 0, feature_dim=2)
    assert config.feature_dim == 2
    assert resolve_run_config("svhn", 10, "arconvl", 0)[0].feature_dim == 64
    with pytest.raises(ConfigError, match="feature_dim is fixed at 64 for resnet44"):
        resolve_run_config("svhn", 10, "arconvl", 0, feature_dim=2)
    for bad in (0, 2.5, True):
        with pytest.raises(ConfigError, match="'feature_dim' must be an integer"):
            resolve_run_config("mnist", 10, "arconvl", 0, feature_dim=bad)


def test_large_scale_sets_keep_their_natural_imbalance():
    with pytest.raises(ConfigError, match="q must be 1"):
        resolve_run_config("inaturalist2018", 10, "la", 0)
