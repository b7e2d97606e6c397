#!/usr/bin/env python
"""The GPU check (issue 15, docs/gpu.md): one run of at most 8 minutes that measures what the full
protocol needs to know about a device, and writes DIR/device_check.json, DIR/device_check.md (the
summary) and DIR/device_check.log (every child process's output). Start it as
``scripts/device_check.sh [--out DIR] [--quick]``.

Sections, each with a time budget; one that fails, runs out of time or is skipped is recorded with
its reason and the others still run:

  environment   device, driver, backend and versions; whether the backend sees a GPU
  first_losses  the first train steps' losses of ARConvL (Fashion-MNIST q = 100, seed 0) on the device,
                against the same steps on the CPU with the same backend and seed (when a GPU is seen)
  host_wait     train images/s with steps_per_execution 1 against N: does the host wait each step?
  real_run      a 3-epoch ``python -m arconvl train`` of ARConvL on Fashion-MNIST q = 100: its G-mean
  throughput    train and evaluation images/s of ARConvL and CPL per backbone and precision
                (``benchmark_throughput.measure_arms``), one process each
  jobs          runs/hour of 1, 2, 4, 8 concurrent short real runs (small CNN on Fashion-MNIST
                q = 100; ResNet-44 on generated 32×32 data)
  protocol      the protocol estimate (``arconvl.sweep.protocol_cost``) at the best measured --jobs

The backend is KERAS_BACKEND's (unset: tensorflow where installed, else jax); with JAX the steps are
XLA-compiled, since Keras runs JAX steps op by op otherwise. ``--quick`` runs every section on the
same code path with tiny sizes (the test calls it). A bundle folder (``make device-bundle``) holding
``wheels/*.whl`` is installed into a temporary folder first, without network; its ``fashion-mnist/``
is the data.
"""

import argparse
import importlib.metadata
import importlib.util
import itertools
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent
DEFAULT_BUNDLE = REPO / ".device-bundle"
JSON_NAME, MARKDOWN_NAME, LOG_NAME = "device_check.json", "device_check.md", "device_check.log"
VERSIONED_PACKAGES = ("keras", "jax", "jaxlib", "tensorflow", "numpy", "namex", "optree", "ml-dtypes", "h5py")
XLA_BY_BACKEND = {"jax": True}  # Keras compiles JAX steps only with jit_compile; TensorFlow: the project default
LOSS_RTOL = 1e-2     # first steps' losses, device against CPU: TF32 convolutions and reordered sums
WEIGHTS_RTOL = 1e-6  # the initial weights of one seed must not depend on the device
HOST_WAIT_SPEEDUP = 1.2  # N steps per host call this much faster than 1: the host waits for the device
SEED = 0


@dataclass(frozen=True)
class Plan:
    """Sizes and time budgets (seconds) of one check."""

    total_s: int
    budgets: dict
    throughput: tuple            # (backbone, precision) pairs
    throughput_per_process: bool  # one process per pair, else all pairs in the first child
    batch_size: int
    steps: int
    repeats: int
    steps_per_execution: int     # host_wait: against 1
    loss_steps: int
    loss_subsample: float
    real_epochs: int
    real_subsample: float
    jobs: dict                   # model → the --jobs values measured
    job_runs: dict               # model → (epochs, subsample) of each short run
    generated_per_class: tuple   # (train, test) images per class of the generated 32×32 data


MEASURED_BACKBONES = ("small_cnn", "resnet44", "resnet56")
PAIRS = tuple((b, p) for b in MEASURED_BACKBONES for p in ("float32", "mixed_bfloat16"))
FULL = Plan(
    total_s=470,
    budgets={"environment": 20, "first_losses": 30, "host_wait": 30, "first_losses_cpu": 30, "real_run": 60,
             "throughput:small_cnn": 25, "throughput:resnet44": 35, "throughput:resnet56": 40,
             "jobs:small_cnn": 50, "jobs:resnet44": 60},
    throughput=PAIRS, throughput_per_process=True, batch_size=128, steps=20, repeats=3,
    steps_per_execution=32, loss_steps=5, loss_subsample=1.0, real_epochs=3, real_subsample=1.0,
    jobs={"small_cnn": (1, 2, 4, 8), "resnet44": (1, 2, 4, 8)},
    job_runs={"small_cnn": (1, 0.25), "resnet44": (1, 1.0)}, generated_per_class=(500, 100),
)
QUICK = Plan(  # what the CPU of a CI runner does in about a minute: the small CNN only, --jobs 1 and 2
    total_s=170,
    budgets={"environment": 40, "first_losses": 25, "host_wait": 20, "first_losses_cpu": 25, "real_run": 40,
             "throughput:small_cnn": 20, "throughput:resnet44": 30, "throughput:resnet56": 30,
             "jobs:small_cnn": 80, "jobs:resnet44": 40},
    throughput=(("small_cnn", "float32"), ("small_cnn", "mixed_bfloat16")), throughput_per_process=False,
    batch_size=8, steps=2, repeats=1, steps_per_execution=2, loss_steps=2, loss_subsample=0.02,
    real_epochs=3, real_subsample=0.01, jobs={"small_cnn": (1, 2)}, job_runs={"small_cnn": (1, 0.01)},
    generated_per_class=(4, 2),
)
def scaled(plan, factor):
    """``plan`` with every time budget multiplied by ``factor``."""
    return replace(plan, total_s=plan.total_s * factor,
                               budgets={key: value * factor for key, value in plan.budgets.items()})


JOB_DATASETS = {"small_cnn": "fashion_mnist", "resnet44": "cifar10"}


def keras_backend():
    """KERAS_BACKEND, else tensorflow where installed, else jax."""
    return os.environ.get("KERAS_BACKEND") or ("tensorflow" if importlib.util.find_spec("tensorflow") else "jax")


def last_line(text):
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def error_line(error):
    return f"{type(error).__name__}: {last_line(error) if str(error) else '(no message)'}"


def write_json(path, data):
    temporary = Path(f"{path}.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    temporary.replace(path)


# ---------------------------------------------------------------- tasks run in child processes

def load_keras_pieces():
    """The project's Keras-side modules, imported in a child only (they start the backend)."""
    sys.path.insert(0, str(SCRIPTS))
    import benchmark_throughput  # noqa: PLC0415

    return benchmark_throughput


def task_environment():
    import keras  # noqa: PLC0415

    accelerators = load_keras_pieces().backend_accelerators()
    return {"backend": keras.backend.backend(), "accelerators": accelerators, "gpu_visible": bool(accelerators)}


def task_first_losses(steps, subsample, xla, data_dir):
    """The losses of the first ``steps`` train steps of the real run's model and batches."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    from arconvl.data import prepare_run_data  # noqa: PLC0415
    from arconvl.run.config import resolve_run_config  # noqa: PLC0415
    from arconvl.run.training import build_model, steps_per_epoch  # noqa: PLC0415

    config, _ = resolve_run_config("fashion_mnist", 100, "arconvl", SEED, subsample=subsample, xla=xla)
    splits = prepare_run_data(config, data_dir, allow_download=False)
    keras.utils.set_random_seed(config.seed)  # as training.train_run does before building
    model = build_model(config, splits.train_counts, splits.input_shape, steps_per_epoch(splits, config))
    initial = float(sum(np.abs(np.asarray(w, dtype=np.float64)).sum() for w in model.get_weights()))
    batches = splits.train_batches(batch_size=config.batch_size, seed=config.seed, augment=config.augment,
                                   pixel_scale=config.pixel_scale)
    losses = [float(model.train_on_batch(np.asarray(x), np.asarray(y), return_dict=True)["loss"])
              for x, y in itertools.islice(batches, steps)]
    return {"losses": losses, "initial_weights_abs_sum": initial,
            "accelerators": load_keras_pieces().backend_accelerators()}


def fastest_and_median(values):
    import statistics  # noqa: PLC0415

    return {"fastest": max(values), "median": statistics.median(values)}


def task_host_wait(batch_size, steps, repeats, steps_per_execution, xla, data_dir):
    """Train images/s of the small CNN's ARConvL step with 1 and with ``steps_per_execution`` steps per call."""
    bench = load_keras_pieces()
    arms = {str(n): ("arconvl", "float32", xla, n) for n in (1, steps_per_execution)}
    args = SimpleNamespace(batch_size=batch_size, steps=steps, repeats=repeats, data_dir=data_dir)
    blocks, source = bench.measure_arms("small_cnn", arms, args)
    rates = {name: fastest_and_median(block["train"]) for name, block in blocks.items()}
    speedup = rates[str(steps_per_execution)]["fastest"] / rates["1"]["fastest"]
    return {"train_images_per_s": rates, "speedup": speedup, "host_waits": speedup >= HOST_WAIT_SPEEDUP,
            "steps_per_execution": steps_per_execution, "data": source}


def task_throughput(backbone, precision, batch_size, steps, repeats, xla, data_dir):
    """Train (ARConvL, CPL) and evaluation images/s of one backbone and precision, interleaved."""
    bench = load_keras_pieces()
    arms = {method: (method, precision, xla) for method in ("arconvl", "cpl")}
    args = SimpleNamespace(batch_size=batch_size, steps=steps, repeats=repeats, data_dir=data_dir)
    blocks, source = bench.measure_arms(backbone, arms, args)
    return {"backbone": backbone, "precision": precision, "data": source,
            "arconvl_train": fastest_and_median(blocks["arconvl"]["train"]),
            "cpl_train": fastest_and_median(blocks["cpl"]["train"]),
            "evaluate": fastest_and_median(blocks["arconvl"]["evaluate"])}


TASKS = {"environment": task_environment, "first_losses": task_first_losses, "host_wait": task_host_wait,
         "throughput": task_throughput}


def run_child(spec_path):
    """Run the tasks of a spec file in turn, rewriting its result file after each one."""
    spec = json.loads(Path(spec_path).read_text())
    sys.path.insert(0, str(REPO))
    results = {}
    for task in spec["tasks"]:
        started = time.monotonic()
        try:
            results[task["key"]] = {"status": "ok", **TASKS[task["task"]](**task["params"])}
        except Exception as error:  # noqa: BLE001 - recorded, and the next task runs
            import traceback  # noqa: PLC0415

            traceback.print_exc()
            results[task["key"]] = {"status": "failed", "error": error_line(error)}
        results[task["key"]]["seconds"] = round(time.monotonic() - started, 1)
        write_json(spec["result"], results)


# ---------------------------------------------------------------- the parent process

def generated_cifar(folder, per_class_train, per_class_test):
    """CIFAR-10's python batches (``data_batch_1``…``5``, ``test_batch``) of uniform-noise images, balanced."""
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    train_labels = rng.permutation(np.repeat(np.arange(10), per_class_train))
    parts = [(f"data_batch_{i + 1}", labels) for i, labels in enumerate(np.array_split(train_labels, 5))]
    for name, labels in parts + [("test_batch", np.repeat(np.arange(10), per_class_test))]:
        rows = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": rows, b"labels": [int(v) for v in labels]}, handle, protocol=2)
    return folder


def install_wheels(wheel_dir, site):
    """``pip install`` every wheel of ``wheel_dir`` into ``site`` from those files alone (no index), and put
    ``site`` first on this process's and its children's import path. Returns what to record: the wheels
    installed, or the reason they were not (e.g. wheels of another Python; the check goes on without them)."""
    wheels = sorted(Path(wheel_dir).glob("*.whl"))
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
               "--no-cache-dir", "--target", str(site), *map(str, wheels)]
    installed = subprocess.run(command, capture_output=True, text=True)
    if installed.returncode != 0:
        return f"not installed: {last_line(installed.stderr + installed.stdout).rstrip('.')}"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(site))
    return " ".join(wheel.name for wheel in wheels)


def package_versions():
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def nvidia_smi():
    """(GPU name, driver, memory) from nvidia-smi, or None where there is none."""
    if shutil.which("nvidia-smi") is None:
        return None
    query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
    try:
        output = subprocess.run(query, capture_output=True, text=True, timeout=20, check=True).stdout
    except (subprocess.SubprocessError, OSError) as error:
        return {"error": error_line(error)}
    gpus = [dict(zip(("name", "driver", "memory"), (part.strip() for part in line.split(","))))
            for line in output.splitlines() if line.strip()]
    return {"gpus": gpus}


class Check:
    """One check: the plan, the deadline, the log, and the sections recorded so far."""

    def __init__(self, plan, out, workdir, data_dir, quick):
        self.plan, self.out, self.workdir, self.data_dir = plan, out, workdir, data_dir
        self.backend = keras_backend()
        self.xla = XLA_BY_BACKEND.get(self.backend, False)
        self.started = time.monotonic()
        self.deadline = self.started + plan.total_s
        self.log = open(out / LOG_NAME, "w")
        self.report = {"quick": quick, "backend": self.backend, "xla": self.xla, "total_budget_s": plan.total_s,
                       "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "sections": {}}
        self.children = 0

    def remaining(self):
        return self.deadline - time.monotonic()

    def write(self):
        self.report["seconds"] = round(time.monotonic() - self.started, 1)
        write_json(self.out / JSON_NAME, self.report)
        (self.out / MARKDOWN_NAME).write_text(markdown_summary(self.report))

    def log_text(self, title, text):
        self.log.write(f"===== {title}\n{text}\n")
        self.log.flush()

    def run_tasks(self, tasks, env=None):
        """Run ``tasks`` ((key, task, params, budget) each) in one child process within their summed budget
        and what is left of the total; returns key → result, with the unfinished ones marked."""
        budget = min(sum(task[3] for task in tasks), self.remaining())
        if budget < 5:
            return {key: {"status": "skipped", "error": "no time left of the total budget"} for key, *_ in tasks}
        self.children += 1
        spec_path = self.workdir / f"child{self.children}.json"
        result_path = self.workdir / f"child{self.children}.result.json"
        specs = [{"key": key, "task": task, "params": params} for key, task, params, _ in tasks]
        write_json(spec_path, {"result": str(result_path), "tasks": specs})
        from arconvl.sweep.runner import train_environment  # noqa: PLC0415 - light: no Keras

        process = subprocess.Popen([sys.executable, __file__, "--child", str(spec_path)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, env={**train_environment(), **(env or {})},
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=budget)
            ended = f"exit {process.returncode}: {last_line(output)}"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            output, _ = process.communicate()
            ended = f"timeout: over its budget of {budget:.0f} s"
        self.log_text(f"child {self.children}: {', '.join(key for key, *_ in tasks)}", output)
        results = json.loads(result_path.read_text()) if result_path.exists() else {}
        unfinished = [key for key, *_ in tasks if key not in results]
        for key in unfinished:  # the first one was running when the child ended; the others never started
            status = "timeout" if ended.startswith("timeout") else "failed"
            results[key] = ({"status": status, "error": ended} if key == unfinished[0]
                            else {"status": "skipped", "error": f"not started: {unfinished[0]} ended its process"})
        for key, _, _, task_budget in tasks:
            results[key]["budget_s"] = task_budget
        return results

    def train_runs(self, runs, data_dir, budget, name):
        """Train ``runs`` (``RunSpec``s) as concurrent ``python -m arconvl train`` processes; returns
        (wall seconds or None when cut at ``budget``, outcomes)."""
        from arconvl.sweep.runner import ActiveRun  # noqa: PLC0415

        started = time.monotonic()
        active = [ActiveRun.launch(run, self.workdir / name / f"run{i}", sys.executable, data_dir, True)
                  for i, run in enumerate(runs)]
        while any(entry.process.poll() is None for entry in active) and time.monotonic() - started < budget:
            time.sleep(0.2)
        wall = time.monotonic() - started
        cut = any(entry.process.poll() is None for entry in active)
        for entry in active:
            if entry.process.poll() is None:
                entry.stop()
        outcomes = [entry.outcome() for entry in active]
        for outcome in outcomes:
            self.log_text(f"train {name} {outcome.log_path.name}", outcome.log_path.read_text(errors="replace"))
        return (None if cut else wall), outcomes


def section_status(parts):
    """ok when every part is, failed when none is even partly, else partial."""
    statuses = {part["status"] for part in parts}
    return "ok" if statuses == {"ok"} else ("partial" if statuses & {"ok", "partial"} else "failed")


def first_pass(check):
    """environment, first_losses and host_wait in one child (in --quick also every throughput pair);
    returns the throughput results it measured (key → result)."""
    plan = check.plan
    tasks = [("environment", "environment", {}, plan.budgets["environment"]),
             ("first_losses", "first_losses", {"steps": plan.loss_steps, "subsample": plan.loss_subsample,
                                               "xla": check.xla, "data_dir": check.data_dir},
              plan.budgets["first_losses"]),
             ("host_wait", "host_wait", {"batch_size": plan.batch_size, "steps": plan.steps_per_execution * 2,
                                         "repeats": plan.repeats, "steps_per_execution": plan.steps_per_execution,
                                         "xla": check.xla, "data_dir": check.data_dir}, plan.budgets["host_wait"])]
    results = check.run_tasks(tasks + ([] if plan.throughput_per_process else throughput_tasks(check)))
    sections = check.report["sections"]
    environment = results.pop("environment")
    environment.update({"keras_backend": check.backend, "xla": check.xla, "python": sys.version.split()[0],
                        "versions": package_versions(), "nvidia_smi": nvidia_smi(), "cpu_cores": os.cpu_count()})
    sections["environment"] = environment
    sections["host_wait"] = results.pop("host_wait")
    sections["first_losses"] = {"status": results["first_losses"]["status"], "device": results.pop("first_losses")}
    return results


def throughput(check, measured):
    """Each (backbone, precision) pair in a process of its own, unless ``measured`` has it already."""
    parts = []
    for task in throughput_tasks(check):
        key, _, params, _ = task
        result = measured[key] if key in measured else check.run_tasks([task])[key]
        parts.append({"backbone": params["backbone"], "precision": params["precision"], **result})
        check.report["sections"]["throughput"] = {"status": section_status(parts), "results": parts}
        check.write()


def throughput_tasks(check):
    plan = check.plan
    return [(f"throughput:{backbone}:{precision}", "throughput",
             {"backbone": backbone, "precision": precision, "batch_size": plan.batch_size, "steps": plan.steps,
              "repeats": plan.repeats, "xla": check.xla, "data_dir": check.data_dir},
             plan.budgets[f"throughput:{backbone}"]) for backbone, precision in plan.throughput]


def compare_first_losses(check):
    """The device's first losses against the CPU's (same backend, seed, batches), when a GPU is seen."""
    section = check.report["sections"]["first_losses"]
    device = section["device"]
    if device["status"] != "ok":
        return
    if not device["accelerators"]:
        section["cpu"] = {"status": "skipped", "error": "no GPU seen: the device run is the CPU run"}
        section["agree"] = None
        return
    params = {"steps": check.plan.loss_steps, "subsample": check.plan.loss_subsample, "xla": check.xla,
              "data_dir": check.data_dir}
    hide_gpus = {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    cpu = check.run_tasks([("cpu", "first_losses", params, check.plan.budgets["first_losses_cpu"])], hide_gpus)["cpu"]
    section["cpu"] = cpu
    if cpu["status"] != "ok":
        section["status"] = "partial"
        return
    differences = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(device["losses"], cpu["losses"])]
    weights = abs(device["initial_weights_abs_sum"] - cpu["initial_weights_abs_sum"]) / cpu["initial_weights_abs_sum"]
    section.update({"relative_differences": differences, "initial_weights_relative_difference": weights,
                    "tolerance": LOSS_RTOL, "agree": max(differences) <= LOSS_RTOL and weights <= WEIGHTS_RTOL})


def real_run(check):
    """The real run: ``python -m arconvl train`` of ARConvL, Fashion-MNIST q = 100, seed 0."""
    plan = check.plan
    from arconvl.sweep.experiment import RunSpec  # noqa: PLC0415

    run = RunSpec(dataset="fashion_mnist", q=100, method="arconvl", seed=SEED, epochs=plan.real_epochs,
                  subsample=plan.real_subsample, xla=check.xla)
    budget = min(plan.budgets["real_run"], check.remaining())
    wall, (outcome,) = check.train_runs([run], check.data_dir, budget, "real_run")
    section = {"epochs": plan.real_epochs, "subsample": plan.real_subsample, "budget_s": round(budget, 1),
               "wall_s": None if wall is None else round(wall, 1)}
    if outcome.row is None:
        status = "timeout" if wall is None else "failed"
        section.update({"status": status, "error": outcome.last_line})
    else:
        row = outcome.row
        section.update({"status": "ok", "test_gmean": float(row["test_gmean"]), "val_gmean": float(row["val_gmean"]),
                        "test_gmean_last": float(row["test_gmean_last"]),
                        "test_classwise_acc": float(row["test_classwise_acc"]), "run_seconds": float(row["seconds"])})
    check.report["sections"]["real_run"] = section


def jobs(check):
    """Runs/hour of ``--jobs N`` concurrent short real runs, per model; a cut wave ends that model's series."""
    plan = check.plan
    from arconvl.sweep.experiment import RunSpec  # noqa: PLC0415

    parts = []
    for model, counts in plan.jobs.items():
        epochs, subsample = plan.job_runs[model]
        data_dir = check.data_dir if model == "small_cnn" else generated_cifar(
            check.workdir / "generated" / "cifar10", *plan.generated_per_class).parent
        model_deadline = time.monotonic() + plan.budgets[f"jobs:{model}"]
        stop = None
        for index, count in enumerate(counts):
            part = {"model": model, "dataset": JOB_DATASETS[model], "jobs": count, "epochs": epochs,
                    "subsample": subsample}
            if stop is None and check.remaining() < 5:
                stop = "no time left of the total budget"
            if stop is not None:
                parts.append({**part, "status": "skipped", "error": stop})
                continue
            runs = [RunSpec(dataset=JOB_DATASETS[model], q=100, method="arconvl", seed=seed, epochs=epochs,
                            subsample=subsample, xla=check.xla)
                    for seed in range(count)]
            # what is left of the model's budget, shared by the waves to come (time a wave leaves goes on)
            wave_budget = min((model_deadline - time.monotonic()) / (len(counts) - index), check.remaining())
            wall, outcomes = check.train_runs(runs, data_dir, wave_budget, f"jobs-{model}-{count}")
            failed = [outcome for outcome in outcomes if outcome.row is None]
            if wall is None:
                part.update({"status": "timeout", "error": f"not finished within {wave_budget:.0f} s"})
                stop = f"--jobs {count} did not finish within its budget"
            elif failed:
                part.update({"status": "failed", "error": failed[0].last_line})
                stop = f"--jobs {count} failed"
            else:
                part.update({"status": "ok", "wall_s": round(wall, 1), "runs_per_hour": count * 3600 / wall,
                             "mean_run_seconds": sum(float(o.row["seconds"]) for o in outcomes) / count})
            parts.append(part)
    for model in plan.jobs:
        measured = [part for part in parts if part["model"] == model and part["status"] == "ok"]
        for part in measured:
            part["speedup"] = part["runs_per_hour"] / measured[0]["runs_per_hour"] if measured[0]["jobs"] == 1 else None
    best = {model: max((p for p in parts if p["model"] == model and p.get("speedup")),
                       key=lambda p: p["runs_per_hour"], default=None) for model in plan.jobs}
    check.report["sections"]["jobs"] = {
        "status": section_status(parts), "results": parts,
        "best": {model: None if part is None else {"jobs": part["jobs"], "speedup": part["speedup"]}
                 for model, part in best.items()}}


def protocol(check):
    """Hours of the paper's protocol from the measured rates, one run at a time and at the best --jobs
    (ResNet-56 takes ResNet-44's speed-up); a config's runs on an unmeasured backbone are left out and named."""
    sys.path.insert(0, str(SCRIPTS))
    from benchmark_throughput import PROTOCOL_CONFIGS  # noqa: PLC0415

    from arconvl.run.config import DATASET_DEFAULTS  # noqa: PLC0415
    from arconvl.sweep import load_experiment  # noqa: PLC0415
    from arconvl.sweep.protocol_cost import Rates, experiment_seconds  # noqa: PLC0415

    sections = check.report["sections"]
    best = sections.get("jobs", {}).get("best", {})
    unmeasured = {"jobs": 1, "speedup": 1.0}
    speedups = {backbone: best.get("small_cnn" if backbone == "small_cnn" else "resnet44") or unmeasured
                for backbone in MEASURED_BACKBONES}
    experiments = {name: load_experiment(REPO / "configs" / f"{name}.toml") for name in PROTOCOL_CONFIGS}
    estimates = {}
    for precision in sorted({p for _, p in check.plan.throughput}):
        measured = {part["backbone"]: part for part in sections["throughput"]["results"]
                    if part["status"] == "ok" and part["precision"] == precision}
        if not measured:
            estimates[precision] = {"status": "skipped", "error": "no backbone measured"}
            continue
        part = {"status": "ok", "configs": {}}
        for name, experiment in experiments.items():
            runs = experiment.runs()
            covered = [run for run in runs if DATASET_DEFAULTS[run.dataset]["backbone"] in measured]
            hours = {}
            for label, scale in (("one_at_a_time", {b: 1.0 for b in measured}),
                                 ("best_jobs", {b: speedups[b]["speedup"] for b in measured})):
                rates = {b: Rates(*(measured[b][key]["fastest"] * scale[b]
                                    for key in ("arconvl_train", "cpl_train", "evaluate"))) for b in measured}
                hours[label] = (experiment_seconds(SimpleNamespace(runs=lambda covered=covered: covered), rates) / 3600
                                if covered else None)
            missing = sorted({DATASET_DEFAULTS[run.dataset]["backbone"] for run in runs} - set(measured))
            part["configs"][name] = {"runs": len(runs), "runs_covered": len(covered), "missing_backbones": missing,
                                     **hours}
            if missing:
                part["status"] = "partial"
        estimates[precision] = part
    sections["protocol"] = {"status": section_status(estimates.values()), "by_precision": estimates,
                            "jobs_used": {b: s["jobs"] for b, s in speedups.items()},
                            "speedups_used": {b: s["speedup"] for b, s in speedups.items()}}


def recorded(check, name, step):
    """Run ``step(check)``; an exception becomes the section's recorded failure."""
    started = time.monotonic()
    try:
        step(check)
    except Exception as error:  # noqa: BLE001 - one section's failure must not end the check
        import traceback  # noqa: PLC0415

        check.log_text(f"section {name} failed", traceback.format_exc())
        check.report["sections"][name] = {"status": "failed", "error": error_line(error)}
    check.report["sections"][name].setdefault("seconds", round(time.monotonic() - started, 1))
    check.write()


def run_check(plan, out, data_dir, quick, wheels):
    with tempfile.TemporaryDirectory(prefix="device-check-") as workdir:
        check = Check(plan, out, Path(workdir), data_dir, quick)
        check.report["data_dir"] = data_dir
        check.report["bundle_wheels"] = wheels
        try:
            measured = first_pass(check)
            check.write()
            recorded(check, "first_losses", compare_first_losses)
            recorded(check, "real_run", real_run)
            recorded(check, "throughput", lambda check: throughput(check, measured))
            recorded(check, "jobs", jobs)
            recorded(check, "protocol", protocol)
        finally:
            check.write()
            check.log.close()
    return check.report


# ---------------------------------------------------------------- the summary

def number(value, digits=0):
    return "–" if value is None else f"{value:,.{digits}f}"


def status_line(section):
    return section["status"] + (f" — {section['error']}" if section.get("error") else "")


def environment_lines(env):
    smi = env.get("nvidia_smi") or {}
    gpus = ", ".join(f"{g['name']} (driver {g['driver']}, {g['memory']})" for g in smi.get("gpus", []))
    versions = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items() if v)
    return [f"- device: {gpus or 'no nvidia-smi'}; {env.get('cpu_cores')} CPU cores",
            f"- backend {env.get('keras_backend')} sees a GPU: {env.get('gpu_visible')} "
            f"({', '.join(env.get('accelerators') or []) or 'none'})",
            f"- Python {env.get('python')}; {versions}"]


def throughput_lines(section):
    lines = ["| backbone | precision | ARConvL train | CPL train | ARConvL / CPL | evaluation | data | status |",
             "|---|---|---|---|---|---|---|---|"]
    for part in section.get("results", []):
        if part["status"] != "ok":
            lines.append(f"| {part['backbone']} | {part['precision']} | | | | | | {status_line(part)} |")
            continue
        a, c, e = part["arconvl_train"], part["cpl_train"], part["evaluate"]
        lines.append(f"| {part['backbone']} | {part['precision']} | {number(a['fastest'])} ({number(a['median'])}) "
                     f"| {number(c['fastest'])} ({number(c['median'])}) | {a['fastest'] / c['fastest']:.2f} | "
                     f"{number(e['fastest'])} ({number(e['median'])}) | {part['data']} | ok |")
    return lines


def host_wait_lines(host):
    if host["status"] != "ok":
        return []
    n, rates = host["steps_per_execution"], host["train_images_per_s"]
    return [f"Small CNN, ARConvL, float32: {number(rates['1']['fastest'])} train images/s with 1 step per host "
            f"call, {number(rates[str(n)]['fastest'])} with {n}: ×{host['speedup']:.2f} "
            f"→ {'yes' if host['host_waits'] else 'no'} (threshold ×{HOST_WAIT_SPEEDUP})."]


def first_losses_lines(losses):
    lines = []
    device, cpu = losses.get("device", {}), losses.get("cpu", {})
    if device.get("losses"):
        lines.append(f"- device ({', '.join(device['accelerators']) or 'CPU'}): "
                     + ", ".join(f"{v:.6g}" for v in device["losses"]))
    if cpu.get("losses"):
        lines.append("- CPU: " + ", ".join(f"{v:.6g}" for v in cpu["losses"]))
    if cpu:
        lines.append(f"- CPU run: {status_line(cpu)}")
    if losses.get("relative_differences"):
        weights = losses["initial_weights_relative_difference"]
        lines.append(f"- largest relative difference {max(losses['relative_differences']):.2e} (tolerance "
                     f"{losses['tolerance']:g}); initial weights {weights:.1e}; agree: {losses['agree']}")
    return lines


def real_run_lines(real):
    if real["status"] != "ok":
        return []
    return [f"{real['epochs']} epochs (subsample {real['subsample']:g}): test G-mean {real['test_gmean']:.4f} "
            f"(best validation; last epoch {real['test_gmean_last']:.4f}), {real['run_seconds']:.1f} s in the run, "
            f"{real['wall_s']:.1f} s with the process start."]


def jobs_lines(section):
    lines = ["| model | data | jobs | wall s | runs/hour | speed-up | mean s in a run | status |",
             "|---|---|---|---|---|---|---|---|"]
    for part in section.get("results", []):
        lines.append(f"| {part['model']} | {part['dataset']} ({part['epochs']} epoch, subsample "
                     f"{part['subsample']:g}) | {part['jobs']} | {number(part.get('wall_s'), 1)} | "
                     f"{number(part.get('runs_per_hour'))} | {number(part.get('speedup'), 2)} | "
                     f"{number(part.get('mean_run_seconds'), 1)} | {status_line(part)} |")
    return lines


def protocol_lines(estimate):
    used = ", ".join(f"{b} {n}" for b, n in estimate.get("jobs_used", {}).items())
    lines = [f"Hours, one run at a time → at the best measured --jobs ({used}):", "",
             "| precision | config | runs | hours, one at a time | hours, best --jobs | left out |",
             "|---|---|---|---|---|---|"]
    for precision, part in estimate.get("by_precision", {}).items():
        if "configs" not in part:
            lines.append(f"| {precision} | | | | | {status_line(part)} |")
        for name, config in part.get("configs", {}).items():
            missing = ", ".join(config["missing_backbones"])
            left_out = f"{config['runs'] - config['runs_covered']} runs on {missing}" if missing else ""
            lines.append(f"| {precision} | {name} | {config['runs']} | {number(config['one_at_a_time'], 1)} | "
                         f"{number(config['best_jobs'], 1)} | {left_out} |")
    return lines


SUMMARY_PARTS = (  # (section, heading, its lines under the status line)
    ("environment", "Environment", environment_lines),
    ("throughput", "Throughput (images/s, fastest block; median in brackets)", throughput_lines),
    ("host_wait", "Does the host wait for the device each step?", host_wait_lines),
    ("first_losses", "First steps' losses, device against CPU (same backend and seed)", first_losses_lines),
    ("real_run", "Real run: ARConvL, Fashion-MNIST q = 100, seed 0", real_run_lines),
    ("jobs", "Concurrent runs (--jobs)", jobs_lines),
    ("protocol", "Protocol estimate (arconvl/sweep/protocol_cost.py)", protocol_lines),
)


def markdown_summary(report):
    mode = " --quick: tiny sizes, not a measurement" if report["quick"] else ""
    lines = [f"# Device check{mode}", "",
             f"Backend {report['backend']}, XLA {'on' if report['xla'] else 'off'}; started {report['started']}; "
             f"{report.get('seconds', 0):.0f} s of the {report['total_budget_s']:.0f} s budget. "
             "Produced by `scripts/device_check.sh" + (" --quick" if report["quick"] else "") + "`; carried wheels: "
             f"{report.get('bundle_wheels') or 'none'}.", ""]
    for name, heading, body in SUMMARY_PARTS:
        section = report["sections"].get(name)
        if section:
            lines += [f"## {heading}", "", f"status: {status_line(section)}", "", *body(section), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- command line

class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit code 2 (as ``arconvl.cli``'s parser, which imports Keras)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv=None):
    parser = OneLineParser(description=__doc__.split("\n\n")[0],
                                     epilog="Run it through scripts/device_check.sh; see docs/gpu.md.")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "device-check",
                        help="folder for device_check.{json,md,log} (default: runs/device-check)")
    parser.add_argument("--quick", action="store_true", help="every section with tiny sizes (CPU, under 3 minutes)")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE,
                        help="folder of wheels/*.whl and fashion-mnist/ (make device-bundle; default .device-bundle)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where Fashion-MNIST is (default: the bundle's, else the system location)")
    parser.add_argument("--budget-scale", type=float, default=1.0, metavar="X",
                        help="multiply every time budget by X, for a slower or busier machine (default 1)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file, not a folder")
    if not args.budget_scale > 0:
        parser.error(f"--budget-scale must be positive, got {args.budget_scale}")
    if args.data_dir is not None and not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a folder")
    os.environ["KERAS_BACKEND"] = keras_backend()  # for every child
    data_dir = args.data_dir or (args.bundle if (args.bundle / "fashion-mnist").is_dir() else None)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="device-check-site-") as site:
        wheels = install_wheels(args.bundle / "wheels", site) if list(args.bundle.glob("wheels/*.whl")) else None
        sys.path.insert(0, str(REPO))
        plan = scaled(QUICK if args.quick else FULL, args.budget_scale)
        report = run_check(plan, args.out, None if data_dir is None else str(data_dir), args.quick, wheels)
    statuses = {name: section["status"] for name, section in report["sections"].items()}
    print(f"device check: {report['seconds']:.0f} s; " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
    print(f"wrote {args.out / JSON_NAME}, {args.out / MARKDOWN_NAME}, {args.out / LOG_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
