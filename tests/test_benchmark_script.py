"""The benchmark's ``--backends`` plumbing (scripts/benchmark_throughput.py): what each backend's child
is asked to run, and the side-by-side table it prints. The speeds themselves are measured by the
script, never in a test."""


import pytest
from repo_scripts import load_script

SCRIPT = "scripts/benchmark_throughput.py"


@pytest.fixture(scope="module")
def benchmark():
    return load_script(SCRIPT)


@pytest.mark.parametrize("argv, kept", [
    (["--backends", "tensorflow", "jax", "--steps", "5"], ["--steps", "5"]),
    (["--steps", "5", "--backends", "jax"], ["--steps", "5"]),
    (["--backbones", "small_cnn", "resnet44", "--backends=jax", "--repeats", "2"],
     ["--backbones", "small_cnn", "resnet44", "--repeats", "2"]),
])
def test_the_children_get_every_argument_but_the_backends(benchmark, argv, kept):
    assert benchmark.without_backends(argv) == kept


def test_main_measures_each_named_backend_with_the_other_arguments(benchmark, monkeypatch, capsys):
    calls = []
    rows = {"tensorflow": {"small_cnn": {"train_arconvl": 150.0, "train_plain": 120.0, "evaluate": 400.0}},
            "jax": {"small_cnn": {"train_arconvl": 90.0, "train_plain": 100.0, "evaluate": 300.0}}}
    monkeypatch.setattr(benchmark, "measure_backends", lambda backends, argv: calls.append((backends, argv)) or rows)
    benchmark.main(["--backends", "tensorflow", "jax", "--steps", "4"])
    assert calls == [(["tensorflow", "jax"], ["--steps", "4"])]
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["ratio (tensorflow): 1.25", "ratio (jax): 0.90"]
    assert any(line.split()[:2] == ["jax", "small_cnn"] and line.split()[-2:] == ["0.90", "300.0"] for line in out)
