"""One source of truth per run option: ``options.RUN_OPTIONS``. ``RunConfig``, the sweep's ``RunSpec``
and ``Experiment``, ``train``'s command line, TOML run files and the reports' configuration columns
all derive from it, so an option added there alone reaches every one of them."""

import dataclasses
import json
import os
import re
import subprocess
import sys

from arconvl.reports.results import KEY_COLUMNS, config_columns
from arconvl.run.config import RunConfig
from arconvl.run.options import RUN_OPTIONS, option_values
from arconvl.sweep.experiment import GRID_OPTIONS, Experiment, RunSpec

from test_cli import REPO, write_learnable_mnist


def _defaults(cls):
    return {f.name: f.default for f in dataclasses.fields(cls) if "option" in f.metadata}


def test_every_option_is_a_field_of_the_run_config_and_the_sweep():
    names = list(RUN_OPTIONS)
    assert list(_defaults(RunConfig)) == names and list(_defaults(RunSpec)) == names
    settings = [name for name in names if name not in GRID_OPTIONS.values()]
    assert list(_defaults(Experiment)) == settings
    for cls in (RunConfig, RunSpec, Experiment):
        for name, default in _defaults(cls).items():
            option = RUN_OPTIONS[name]
            assert default is (dataclasses.MISSING if option.required else option.default), (cls, name)
    run = RunSpec(dataset="mnist", q=2, epochs=3)
    assert option_values(run) == {**{n: o.default for n, o in RUN_OPTIONS.items()}, "dataset": "mnist", "q": 2,
                                  "epochs": 3}


def test_the_readme_names_every_key_of_a_toml_run_file():
    """README, ``--config FILE.toml``: its list of keys is the table's, in the table's order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("reads the run options from a file (keys "):].split(" and a `[params]` table")[0]
    assert re.findall(r"`(\w+)`", listed) == list(RUN_OPTIONS)

def test_the_configuration_columns_are_the_options_and_resolved_settings():
    columns = set(config_columns())
    for name, option in RUN_OPTIONS.items():
        assert (name in columns) == (name not in KEY_COLUMNS and not option.speed_only), name
    assert {"precision", "xla"}.isdisjoint(columns)   # speed only: their runs may be averaged together
    assert {"profile", "batch_size", "learning_rate", "lr_decay_epochs", "pixel_scale", "val_fraction"} <= columns


def test_a_new_option_in_the_table_alone_reaches_every_consumer(tmp_path):
    """``run_option_probe.py`` adds ``smoothing`` (a float in [0, 0.5], default 0) to RUN_OPTIONS and
    edits nothing else; the command line, a TOML run file, a sweep config, a real train (config.json,
    run.csv, RunConfig) and the report columns all take it, and ``check_option`` refuses it out of range."""
    data = write_learnable_mnist(tmp_path / "mnist", n_train=600, n_test=100)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    result = subprocess.run([sys.executable, str(REPO / "tests" / "run_option_probe.py"), str(data), str(work)],
                            capture_output=True, text=True, timeout=600, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    out_of_range = "'smoothing' must be a number in [0, 0.5], got"

    assert seen["help"] and seen["parsed"] == 0.25                     # train's argparse
    code, stdout, stderr = seen["cli_refusal"]
    assert code == 2 and stdout == "" and f"{out_of_range} 0.9" in stderr and not (work / "refused").exists()
    assert seen["toml"] == 0.25                                        # a TOML run file
    assert f"{out_of_range} 0.7" in seen["toml_refusals"][0] and f"{out_of_range} True" in seen["toml_refusals"][1]
    experiment_value, run_value, arguments = seen["sweep"]             # a sweep config, and the train it runs
    assert experiment_value == run_value == 0.125
    assert arguments[arguments.index("--smoothing") + 1] == "0.125"
    assert f"{out_of_range} 2" in seen["sweep_refusal"]
    assert seen["train"] == [0, ""]                                    # a real train of that run
    assert seen["config_json"] == seen["run_config"] == 0.125 and float(seen["run_csv"]) == 0.125
    code, _, stderr = seen["toml_train"]                               # 0.25: another configuration
    assert code == 2 and "holds a finished run with a different configuration (smoothing)" in stderr
    assert seen["config_column"]                                       # the reports' columns
    assert "the runs of cpl on mnist q=2 differ in smoothing" in seen["report_refusal"]
