"""Shared by the sweep tests: a tiny experiment config and a stand-in for ``python`` that "trains" at once."""

import csv
import sys
import textwrap

CONFIG = """
name = "tiny"
description = "two methods, one dataset"
methods = ["cpl", "arconvl"]
datasets = ["mnist"]
qs = [2, 5]
seeds = [0, 1, 2]
[params.arconvl]
gamma = 0.1
[profiles.smoke]
qs = [2]
seeds = [0]
epochs = 1
"""

# A stand-in for `python`: `FAKE -m arconvl train ... --out DIR` writes DIR/run.csv at once. Files beside
# it steer it: each call appends "RUN CUDA_VISIBLE_DEVICES" to attempts.txt; it fails (exit 3) when
# fail.txt lists the run's directory name; and when crash.txt lists it, it takes the run off the list
# and kills its parent process (as if a Ray worker were killed) before writing anything.
FAKE_PYTHON = textwrap.dedent(f"""\
    #!{sys.executable}
    import csv, os, signal, sys
    args = sys.argv[3:]
    options = {{flag: args[i + 1] for i, flag in enumerate(args[:-1]) if flag.startswith("--")}}
    out = options["--out"]
    name = os.path.basename(out)
    here = os.path.dirname(os.path.abspath(sys.argv[0]))

    def listed(marker):
        path = os.path.join(here, marker)
        return os.path.exists(path) and name in open(path).read().split()

    with open(os.path.join(here, "attempts.txt"), "a") as attempts:
        attempts.write(f"{{name}} {{os.environ.get('CUDA_VISIBLE_DEVICES', '-')}}\\n")
    if listed("crash.txt"):
        crash = os.path.join(here, "crash.txt")
        remaining = [run for run in open(crash).read().split() if run != name]
        open(crash, "w").write(" ".join(remaining))
        os.kill(os.getppid(), signal.SIGKILL)
        sys.exit(1)
    if listed("fail.txt"):
        print("injected failure", file=sys.stderr)
        sys.exit(3)
    os.makedirs(out, exist_ok=True)
    row = {{"dataset": options["--dataset"], "q": options["--q"], "method": options["--method"],
           "seed": options["--seed"], "test_gmean": "0.5",
           "params": ";".join(a for a in args if "=" in a)}}
    with open(os.path.join(out, "run.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
""")


def write_config(folder, text=CONFIG, name="tiny.toml"):
    """An experiment config file in ``folder``."""
    path = folder / name
    path.write_text(text)
    return path


def write_fake_python(folder):
    """FAKE_PYTHON as an executable ``folder/fake-python``; its steering files go beside it."""
    path = folder / "fake-python"
    path.write_text(FAKE_PYTHON)
    path.chmod(0o755)
    return str(path)


def attempts(folder):
    """The runs the fake python in ``folder`` was started for, in order, with their CUDA_VISIBLE_DEVICES."""
    path = folder / "attempts.txt"
    return [tuple(line.split()) for line in path.read_text().splitlines()] if path.exists() else []


def rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))
