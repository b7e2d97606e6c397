"""Deliberate breakages of the method and its training wiring (issue 11), each of which some fast
test must catch: the breakage is applied as an exact text patch to a temporary copy of
``arconvl/`` and ``tests/``, and its guard tests, run with pytest on that copy, must fail.

One pytest process an entry (mostly a TensorFlow import), a few at a time; part of the default
suite.
Deselect with ``-m "not mutation"``. A snippet that no longer exists exactly once fails with a
message saying so: update the entry together with the code it breaks.
"""

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.mutation


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str          # relative to the repository root
    snippet: str       # must occur exactly once in ``path``
    replacement: str
    guards: tuple      # pytest node ids (relative to the repository root) of which one at least must fail


WIRING = "tests/test_wiring.py::"
MUTATIONS = [
    Mutation("best epoch chosen on the test split", "arconvl/run/callbacks.py",
             'def __init__(self, path, monitor="val_gmean"):', 'def __init__(self, path, monitor="test_gmean"):',
             (WIRING + "test_selection_follows_validation_not_test",)),
    Mutation("ties go to the earlier epoch", "arconvl/run/callbacks.py",
             "if value >= self.best:", "if value > self.best:",
             (WIRING + "test_a_nonzero_validation_tie_goes_to_the_later_epoch",)),
    Mutation("no radius warm-up", "arconvl/run/training.py",
             "WarmupThenConstant(config.radius_warmup_learning_rate, config.radius_learning_rate,",
             "WarmupThenConstant(config.radius_learning_rate, config.radius_learning_rate,",
             (WIRING + "test_optimizers_hold_the_scheduled_rates_in_each_epoch",)),
    Mutation("radii step at the network's rate", "arconvl/run/training.py",
             "keras.optimizers.SGD(radius_rate,", "keras.optimizers.SGD(network_rate,",
             (WIRING + "test_optimizers_hold_the_scheduled_rates_in_each_epoch",
              WIRING + "test_history_logs_the_rates_the_optimizers_held")),
    Mutation("step decay one epoch off", "arconvl/model/epoch_schedules.py",
             "if epoch >= start)", "if epoch > start)",
             ("tests/test_config_schedules.py::test_step_decay_and_warmup_by_hand",)),
    Mutation("the optimizers' step decay one epoch off", "arconvl/model/schedules.py",
             'ops.cast(epoch >= start, "int32")', 'ops.cast(epoch > start, "int32")',
             (WIRING + "test_optimizers_hold_the_scheduled_rates_in_each_epoch",)),
    Mutation("no stop-gradient in R_ben (centers)", "arconvl/losses/arconvl.py",
             "ops.stop_gradient(centers)", "centers",
             ("tests/test_losses_arconvl.py::test_gradient_routing",)),
    Mutation("no stop-gradient in R_upp (radii)", "arconvl/losses/arconvl.py",
             "ops.stop_gradient(radius_sq)", "radius_sq",
             ("tests/test_losses_arconvl.py::test_gradient_routing_when_radius_sets_r_upp",)),
    Mutation("momentum kept under variant code", "arconvl/run/config.py",
             '"code": {"momentum": 0.0,', '"code": {"momentum": 0.9,',
             (WIRING + "test_radii_and_centers_move_by_the_held_rate_times_their_gradient[code]",)),
    Mutation("q applied to the odd classes", "arconvl/data/imbalance.py",
             "if j % 2 == 0:", "if j % 2 == 1:",
             ("tests/test_data_imbalance.py::test_odd_classes_are_kept_whole_and_q1_keeps_everything",)),
]


def mutant_copy(root, mutation):
    """A copy of the package, the tests and the pytest settings under ``root``, with ``mutation``
    applied (``None``: none)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for folder in ("arconvl", "tests"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    if mutation is not None:
        target = root / mutation.path
        target.write_text(target.read_text().replace(mutation.snippet, mutation.replacement))
    return root


def snippet_problem(mutation):
    """Why ``mutation`` cannot be applied to the repository's code (its snippet is not there
    exactly once), else None."""
    found = (REPO / mutation.path).read_text().count(mutation.snippet)
    if found != 1:
        return (f"the snippet of mutation {mutation.name!r} occurs {found} times in {mutation.path} (expected "
                f"once): {mutation.snippet!r}; the code changed: update MUTATIONS in tests/test_mutations.py")
    return None


def run_pytest(root, node_ids):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", *node_ids],
                          cwd=root, env=env, capture_output=True, text=True, timeout=900)


def failed_tests(output):
    """The node ids pytest's ``-rf`` summary lists as FAILED."""
    return set(re.findall(r"^FAILED (\S+)", output, flags=re.MULTILINE))


def is_guard(node_id, guards):
    """``node_id`` is one of ``guards`` or a parametrization of one."""
    return any(node_id == guard or node_id.startswith(guard + "[") for guard in guards)


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory):
    """mutation → the future pytest result of its guards on its mutant copy (or why it cannot be
    applied), for the mutations selected in this session, and ``None`` → that of every guard on an
    unbroken copy; run a few at a time (each is mostly a TensorFlow import)."""
    selected = {item.callspec.params["mutation"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")}
    if any(item.name == "test_the_unbroken_copy_passes_every_guard" for item in request.session.items):
        selected.add(None)
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = {}
        for mutation in sorted(selected, key=lambda m: MUTATIONS.index(m) if m else -1):
            problem = mutation and snippet_problem(mutation)
            if problem:
                futures[mutation] = problem
                continue
            root = mutant_copy(tmp_path_factory.mktemp("mutant"), mutation)
            guards = mutation.guards if mutation else sorted({g for m in MUTATIONS for g in m.guards})
            futures[mutation] = pool.submit(run_pytest, root, guards)
        yield futures


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_the_guard_tests_catch_the_breakage(mutation, outcomes):
    if isinstance(outcomes[mutation], str):
        pytest.fail(outcomes[mutation])
    result = outcomes[mutation].result()
    output = result.stdout + result.stderr
    caught = [node for node in failed_tests(output) if is_guard(node, mutation.guards)]
    assert result.returncode == 1 and caught, (
        f"mutation {mutation.name!r} survived (pytest exit code {result.returncode}; expected guard tests to "
        f"fail: {', '.join(mutation.guards)}):\n{output[-3000:]}")


def test_the_unbroken_copy_passes_every_guard(outcomes):
    """The copy itself is sound: every guard passes before any breakage, so a failure above is the
    breakage's doing."""
    result = outcomes[None].result()
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
