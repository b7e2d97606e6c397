"""Today's training step against the step before the Keras-API rework (issue 12, "Equivalence").

``tests/data/step_golden_tf.npz`` holds 64 Fashion-MNIST training images with their labels, the seeded
initial weights of the paper's Fashion-MNIST q=100 seed-0 run (code variant) with
``scripts/step_equivalence.py``'s ``tiny_cnn`` in the small CNN's place, and the loss, its parts and
every updated weight (backbone, BatchNorm statistics, centers, radii) after ONE step at the start of
epochs 1, 4 and 45, computed on TensorFlow by the code of 523a34c (71d6684^, before
``PrototypeClassifier`` took its own train steps and ``train`` its LearningRateSchedules and
``RadiusSplitOptimizer``). Today's ``build_model`` takes the same steps from the same weights here.

Rebuild (only when the method is meant to change)::

    git worktree add --detach /tmp/before 71d6684^
    python scripts/step_equivalence.py --before /tmp/before --backbone tiny --golden tests/data/step_golden_tf.npz
"""

from pathlib import Path

import numpy as np
import pytest
from repo_scripts import load_script

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "step_golden_tf.npz"
# float32 rounding of a reordered sum, not a change of the method (measured: 6e-8 on the weights).
RTOL, ATOL = 1e-5, 1e-6
# Parts the loss reports today that it did not before (ARConvL's underflow-clamp diagnostic).
NEW_PARTS = {"clamped_fraction"}


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        return dict(data)


@pytest.fixture(scope="module")
def today(golden):
    script = load_script("scripts/step_equivalence.py")
    return script.one_steps(golden, list(golden["methods"]), [int(e) for e in golden["epochs"]],
                            str(golden["variant"]), str(golden["backbone"]))


def stepped(golden, method):
    """The golden's keys of ``method``'s steps: 'M.eE.loss', 'M.eE.part.NAME', 'M.eE.weights.i'."""
    return sorted(k for k in golden if k.startswith(f"{method}.e"))


def test_the_golden_is_the_tiny_code_variant_run_at_three_epochs(golden):
    assert list(golden["methods"]) == ["arconvl", "cpl"] and list(golden["epochs"]) == [1, 4, 45]
    assert str(golden["variant"]) == "code" and str(golden["backbone"]) == "tiny"
    assert golden["x"].shape == (64, 28, 28, 1) and golden["class_counts"].tolist() == [54, 5400] * 5
    assert {"arconvl.e4.part.region", "arconvl.e4.part.r_upp_sq", "cpl.e45.part.cross_entropy"} <= set(golden)


@pytest.mark.parametrize("method", ["arconvl", "cpl"])
def test_one_step_gives_the_loss_parts_and_weights_of_the_code_before_the_rework(golden, today, method):
    keys = stepped(golden, method)
    new = {k for k in today if k.startswith(f"{method}.e")} - set(keys)
    assert {k.rsplit(".", 1)[1] for k in new} <= NEW_PARTS and all(".part." in k for k in new)
    for key in keys:
        np.testing.assert_allclose(today[key], golden[key], rtol=RTOL, atol=ATOL, err_msg=key)


def test_the_radii_warm_up_then_step_ten_times_further(golden):
    """The golden itself holds the schedules: the radii's step at epoch 4 (0.01) is ten times the one
    at epoch 1 (0.001, the warm-up); at epoch 45 the network's is a hundredth of epoch 4's (two decays)."""
    radii = len([k for k in golden if k.startswith("arconvl.init.")]) - 1
    step = {e: golden[f"arconvl.e{e}.weights.{radii}"] - golden[f"arconvl.init.{radii}"] for e in (1, 4, 45)}
    np.testing.assert_allclose(step[4], 10 * step[1], rtol=1e-4)
    np.testing.assert_allclose(step[45], step[4], rtol=1e-4)
    centers = radii - 1
    moves = {e: golden[f"arconvl.e{e}.weights.{centers}"] - golden[f"arconvl.init.{centers}"] for e in (4, 45)}
    np.testing.assert_allclose(moves[45], moves[4] / 100, rtol=1e-3, atol=1e-7)  # ulp of the centers
