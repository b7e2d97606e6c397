"""A script for ``test_run_options.py``: adds the run option ``smoothing`` to ``options.RUN_OPTIONS``
(and edits nothing else), then follows it through ``train``'s command line, a TOML run file, a sweep
config, a real tiny ``train`` (RunConfig, config.json, run.csv, the run-directory check) and the
reports' configuration columns. Prints what it saw as one JSON object.

Usage: python run_option_probe.py DATA_DIR WORK_DIR   (DATA_DIR: tiny MNIST files)
"""

import contextlib
import csv
import io
import json
import sys
from pathlib import Path

from arconvl.run import options

NAME = "smoothing"
options.RUN_OPTIONS[NAME] = options.RunOption(NAME, float, "a probe option of the tests", default=0.0,
                                              low=0.0, high=0.5)

# Imported after the table changed, as every module would be after an edit of options.py.
import pandas as pd  # noqa: E402

from arconvl.cli import build_parser, main  # noqa: E402
from arconvl.errors import ArconvlError  # noqa: E402
from arconvl.reports.results import config_columns, finished_runs  # noqa: E402
from arconvl.run.config import RunConfig  # noqa: E402
from arconvl.run.options import read_run_options  # noqa: E402
from arconvl.sweep import load_experiment  # noqa: E402

EXPERIMENT = """
name = "probe"
methods = ["cpl"]
datasets = ["mnist"]
qs = [2]
seeds = [0]
epochs = 1
subsample = 0.2
"""


def refusal(action):
    """The message of the ``ArconvlError`` that ``action()`` raises (None if it raises none)."""
    try:
        action()
    except ArconvlError as error:
        return str(error)
    return None


def cli(*args):
    """``python -m arconvl ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit_:  # argparse
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def write(path, text):
    path.write_text(text)
    return path


def main_probe(data_dir, work):
    seen = {}
    # The command line
    _, help_text, _ = cli("train", "--help")
    seen["help"] = "--smoothing SMOOTHING" in help_text and "a probe option of the tests" in help_text
    seen["parsed"] = build_parser().parse_args(["train", "--dataset", "mnist", "--q", "2", "--smoothing", "0.25",
                                                "--out", "x"]).smoothing
    seen["cli_refusal"] = cli("train", "--dataset", "mnist", "--q", "2", "--smoothing", "0.9", "--data-dir", data_dir,
                              "--offline", "--out", work / "refused")
    # A TOML run file
    run_file = write(work / "run.toml", 'dataset = "mnist"\nq = 2\nmethod = "cpl"\nepochs = 1\nsubsample = 0.2\n'
                                        "smoothing = 0.25\n")
    seen["toml"] = read_run_options(run_file)[NAME]
    seen["toml_refusals"] = [refusal(lambda text=text: read_run_options(write(work / "bad.toml", text)))
                             for text in ("smoothing = 0.7\n", "smoothing = true\n")]
    # A sweep config: its value reaches the train command line the sweep runs
    experiment = load_experiment(write(work / "probe.toml", EXPERIMENT + "smoothing = 0.125\n"))
    (run,) = experiment.runs()
    seen["sweep"] = [experiment.smoothing, run.smoothing, run.train_arguments()]
    bad_sweep = write(work / "bad_sweep.toml", EXPERIMENT + "smoothing = 2\n")
    seen["sweep_refusal"] = refusal(lambda: load_experiment(bad_sweep))
    # A real train of the sweep's run: RunConfig, config.json, run.csv
    out = work / "run"
    code, _, err = cli("train", *run.train_arguments(), "--data-dir", data_dir, "--offline", "--out", out, "--quiet")
    seen["train"] = [code, err]
    if code != 0:
        return seen
    seen["config_json"] = json.loads((out / "config.json").read_text()).get(NAME)
    seen["run_config"] = getattr(RunConfig.from_dict(json.loads((out / "config.json").read_text())), NAME)
    with open(out / "run.csv", newline="") as handle:
        (row,) = csv.DictReader(handle)
    seen["run_csv"] = row.get(NAME)
    # The TOML file's value is another configuration: the finished run directory refuses it
    seen["toml_train"] = cli("train", "--config", run_file, "--data-dir", data_dir, "--offline", "--out", out)
    # The reports: the seeds of one cell must agree on it
    seen["config_column"] = NAME in config_columns()
    seeds = pd.DataFrame([{**row, "seed": seed, NAME: value} for seed, value in ((0, 0.125), (1, 0.25))])
    seen["report_refusal"] = refusal(lambda: finished_runs(seeds, "test_gmean"))
    return seen


if __name__ == "__main__":
    print(json.dumps(main_probe(Path(sys.argv[1]), Path(sys.argv[2]))))
