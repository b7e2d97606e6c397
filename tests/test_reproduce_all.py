"""scripts/reproduce_all.sh: what it runs, in which profile and with which arguments.

Python is replaced (``PYTHON=...``) by a stub that records each call and succeeds, so these tests
check the script's wiring in a second; the commands it calls have their own tests.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORTS = "table1 table3 table2 table4 fig4 supp_fig1 comparison"


@pytest.fixture
def stub_python(tmp_path):
    """An executable that appends its arguments to calls.txt; ``-c CODE`` runs the real Python."""
    stub = tmp_path / "python"
    log = tmp_path / "calls.txt"
    stub.write_text(f"""#!/usr/bin/env bash
if [ "$1" = -c ]; then exec {sys.executable} "$@"; fi
if [ -n "${{FAIL_ON:-}}" ] && [[ "$*" == *"$FAIL_ON"* ]]; then echo "$*" >> {log}; exit 1; fi
echo "$*" >> {log}
""")
    stub.chmod(0o755)
    return stub, log


def reproduce_all(stub_python, *args, fail_on=""):
    stub, log = stub_python
    env = {**os.environ, "PYTHON": str(stub), "FAIL_ON": fail_on}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "reproduce_all.sh"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    return done, log.read_text().splitlines() if log.exists() else []


def calls_of(calls, start):
    return [call for call in calls if call.startswith(start)]


def test_smoke_runs_both_sweeps_four_at_a_time_every_report_once_and_fig3_as_long_as_table1(stub_python):
    done, calls = reproduce_all(stub_python, "--profile", "smoke", "--offline", "--results-dir", "out")
    assert done.returncode == 0, done.stderr
    sweeps = calls_of(calls, "-m arconvl sweep")
    assert [call.split()[3] for call in sweeps] == ["configs/table1.toml", "configs/table2.toml"]
    assert all("--profile smoke --jobs 4 --results-dir out --offline" in call for call in sweeps)
    assert calls_of(calls, "-m arconvl report") == [f"-m arconvl report {REPORTS} --profile smoke --results-dir out"]
    [fig3] = calls_of(calls, "experiments/fig3.py")
    assert fig3 == "experiments/fig3.py --out-dir out/smoke/fig3 --quiet --offline --epochs 4 --subsample 0.2"
    assert "Fig. 5 skipped" in done.stdout


def test_paper_runs_one_at_a_time_and_fig3_on_the_full_schedule(stub_python):
    done, calls = reproduce_all(stub_python, "--data-dir", "data")
    assert done.returncode == 0, done.stderr
    assert all("--profile paper --jobs 1 " in call for call in calls_of(calls, "-m arconvl sweep"))
    assert calls[-1] == "experiments/fig3.py --out-dir results/paper/fig3 --quiet --data-dir data"  # after the rest


def test_jobs_given_on_the_command_line_win(stub_python):
    _, calls = reproduce_all(stub_python, "--profile", "smoke", "--jobs", "2")
    assert all(" --jobs 2 " in call for call in calls_of(calls, "-m arconvl sweep"))


def test_a_failed_sweep_still_builds_every_report_and_fig3_and_the_script_fails(stub_python):
    done, calls = reproduce_all(stub_python, "--profile", "smoke", fail_on="configs/table1.toml")
    assert done.returncode == 1
    assert "run the same command again" in done.stderr
    assert len(calls_of(calls, "-m arconvl sweep")) == 2
    assert calls_of(calls, "-m arconvl report") and calls_of(calls, "experiments/fig3.py")


def test_a_failed_fig3_beside_the_sweeps_fails_the_script(stub_python):
    done, _ = reproduce_all(stub_python, "--profile", "smoke", fail_on="fig3.py")
    assert done.returncode == 1


def test_an_unknown_option_is_one_line_and_exit_2(stub_python):
    done, calls = reproduce_all(stub_python, "--profil", "smoke")
    assert done.returncode == 2 and calls == []
    assert done.stderr.strip() == "reproduce_all.sh: unknown option --profil (see --help)"


def test_help_prints_the_whole_usage_comment(stub_python):
    script = (ROOT / "scripts" / "reproduce_all.sh").read_text().splitlines()
    usage = script[1:script.index("set -euo pipefail")]
    done, calls = reproduce_all(stub_python, "--help")
    assert done.returncode == 0 and calls == []
    assert done.stdout.splitlines() == usage
