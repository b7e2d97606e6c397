"""The GPU check (scripts/device_check.sh, issue 15): its --quick mode end to end on this CPU, the
offline wheel install, the generated 32×32 data, failure recording, and the device-bundle target."""

import importlib.metadata
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "device_check.sh"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
sys.path.insert(0, str(REPO / "scripts"))

import device_check  # noqa: E402

SECTIONS = {"environment", "first_losses", "host_wait", "real_run", "throughput", "jobs", "protocol"}


# The GPU machine runs the check on JAX (docs/gpu.md), so the suite runs it there; on TensorFlow only
# where JAX is missing (the two cost 1.5 and 2.5 minutes on 2 cores, the device check's
# TensorFlow-specific lines are its version probe and GPU listing).
QUICK_BACKEND = "jax" if importlib.util.find_spec("jax") is not None else "tensorflow"


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="needs Fashion-MNIST in /usr/share/datasets/fashion-mnist")
def test_quick_check_measures_every_section(tmp_path, backend=QUICK_BACKEND):
    out = tmp_path / "out"
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHON": sys.executable}
    # About a minute on an idle 2-core CPU; the budgets are tripled so that a busy machine slows the
    # test down rather than cutting a section short.
    done = subprocess.run([str(SCRIPT), "--quick", "--out", str(out), "--bundle", str(tmp_path / "no-bundle"),
                           "--budget-scale", "3"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((out / "device_check.json").read_text())
    sections = report["sections"]
    problems = {name: section.get("error") for name, section in sections.items() if section["status"] != "ok"}
    # The protocol estimate is partial in --quick: it measures no ResNet.
    assert set(sections) == SECTIONS and problems == {"protocol": None}, (
        problems, (out / "device_check.log").read_text()[-3000:])
    assert report["quick"] and report["backend"] == backend == sections["environment"]["backend"]
    assert sections["environment"]["gpu_visible"] is False and sections["environment"]["versions"]["keras"]

    for part in sections["throughput"]["results"]:
        assert all(part[key]["fastest"] > 0 for key in ("arconvl_train", "cpl_train", "evaluate")), part
    assert {(p["backbone"], p["precision"]) for p in sections["throughput"]["results"]} == set(
        device_check.QUICK.throughput)
    host = sections["host_wait"]
    assert host["train_images_per_s"]["1"]["fastest"] > 0 and host["speedup"] > 0
    losses = sections["first_losses"]["device"]["losses"]
    assert len(losses) == device_check.QUICK.loss_steps and all(math.isfinite(v) and v > 0 for v in losses)
    assert 0 <= sections["real_run"]["test_gmean"] <= 1 and sections["real_run"]["epochs"] == 3

    jobs = sections["jobs"]["results"]
    assert [part["jobs"] for part in jobs] == [1, 2] and all(part["runs_per_hour"] > 0 for part in jobs)
    assert jobs[0]["speedup"] == 1.0 and jobs[1]["speedup"] == pytest.approx(
        jobs[1]["runs_per_hour"] / jobs[0]["runs_per_hour"])
    assert sections["jobs"]["best"]["small_cnn"]["jobs"] in (1, 2)

    estimate = sections["protocol"]["by_precision"]["float32"]["configs"]["table1"]
    speedup = sections["jobs"]["best"]["small_cnn"]["speedup"]
    # --quick measures the small CNN only: Table 1's MNIST and Fashion-MNIST runs, at the best --jobs.
    assert estimate["runs_covered"] == 800 and estimate["missing_backbones"] == ["resnet44"]
    assert estimate["one_at_a_time"] > 0 and estimate["best_jobs"] == pytest.approx(estimate["one_at_a_time"] / speedup)

    summary = (out / "device_check.md").read_text()
    for title in ("Environment", "Throughput", "host wait", "First steps", "Real run", "Concurrent runs",
                  "Protocol estimate"):
        assert title in summary
    assert "device check:" in done.stdout


def test_bad_arguments_are_one_line_and_write_nothing(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for arguments in (["--out", str(a_file)], ["--data-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "o")],
                      ["--jobs", "3"], ["--budget-scale", "0"]):
        done = subprocess.run([sys.executable, str(REPO / "scripts" / "device_check.py"), *arguments],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def make_wheel(folder, name, tag="py3-none-any"):
    """A minimal wheel of a package ``name`` whose module holds ``VALUE = 42``."""
    dist = f"{name}-0.1.dist-info"
    files = {f"{name}/__init__.py": "VALUE = 42\n",
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n",
             f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"}
    files[f"{dist}/RECORD"] = "".join(f"{path},,\n" for path in files) + f"{dist}/RECORD,,\n"
    path = folder / f"{name}-0.1-{tag}.whl"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def test_wheels_install_offline_into_the_site_and_reach_children(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "")
    make_wheel(tmp_path / "wheels", "carriedprobe")
    site = tmp_path / "site"
    assert device_check.install_wheels(tmp_path / "wheels", site) == "carriedprobe-0.1-py3-none-any.whl"
    child = subprocess.run([sys.executable, "-c", "import carriedprobe; print(carriedprobe.VALUE)"],
                           capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == "42"  # via PYTHONPATH, as the check's children see it


def test_wheels_of_another_python_are_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "")
    make_wheel(tmp_path / "wheels", "otherprobe", tag="cp27-cp27mu-manylinux1_x86_64")
    recorded = device_check.install_wheels(tmp_path / "wheels", tmp_path / "site")
    assert recorded.startswith("not installed:") and "otherprobe" in recorded
    assert os.environ["PYTHONPATH"] == "" and str(tmp_path / "site") not in sys.path


def test_generated_data_reads_as_balanced_cifar10(tmp_path):
    from arconvl.data import load_dataset

    folder = device_check.generated_cifar(tmp_path / "cifar10", 3, 2)
    data = load_dataset("cifar10", folder.parent, allow_download=False)
    assert data.x_train.shape == (30, 32, 32, 3) and data.x_test.shape == (20, 32, 32, 3)
    assert np.bincount(data.y_train).tolist() == [3] * 10 and np.bincount(data.y_test).tolist() == [2] * 10


def test_a_failing_task_or_section_is_recorded_and_the_rest_runs(tmp_path):
    spec, result = tmp_path / "spec.json", tmp_path / "result.json"
    bad = {"backbone": "no_such_net", "precision": "float32", "batch_size": 8, "steps": 2, "repeats": 1,
           "xla": False, "data_dir": None}
    spec.write_text(json.dumps({"result": str(result), "tasks": [
        {"key": "bad", "task": "throughput", "params": bad},
        {"key": "after", "task": "environment", "params": {}}]}))
    device_check.run_child(spec)
    results = json.loads(result.read_text())
    assert results["bad"]["status"] == "failed" and results["bad"]["error"] == "KeyError: 'no_such_net'"
    assert results["after"]["status"] == "ok"

    check = device_check.Check(device_check.QUICK, tmp_path, tmp_path, None, True)
    device_check.recorded(check, "jobs", lambda check: 1 / 0)
    check.log.close()
    jobs = check.report["sections"]["jobs"]
    assert (jobs["status"], jobs["error"]) == ("failed", "ZeroDivisionError: division by zero")
    assert "status: failed — ZeroDivisionError: division by zero" in (tmp_path / "device_check.md").read_text()


def test_device_bundle_target_downloads_the_pinned_wheels_for_the_gpu_python(tmp_path):
    bundle = tmp_path / "bundle"
    done = subprocess.run(["make", "-n", "device-bundle", f"DEVICE_BUNDLE={bundle}"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    commands = done.stdout.replace("\\\n", " ")
    download = next(line for line in commands.splitlines() if "pip download" in line)
    for option in ("--no-deps", "--only-binary=:all:", "--python-version 3.12", "--implementation cp",
                   "--platform manylinux2014_x86_64", f"-d {bundle}/wheels"):
        assert option in download
    pinned = dict(re.findall(r"\b([a-z_-]+)==(\S+)", download))
    assert pinned == {name: importlib.metadata.version(name) for name in ("keras", "namex", "optree")}
    copy = next(line for line in commands.splitlines() if line.startswith("cp "))
    assert sorted(Path(p).name for p in copy.split()[1:-1]) == sorted(
        f"{kind}-{part}-idx{dim}-ubyte.gz" for kind in ("train", "t10k") for part, dim in (("images", 3),
                                                                                         ("labels", 1)))
    assert copy.split()[-1] == f"{bundle}/fashion-mnist/"
    assert not bundle.exists()
