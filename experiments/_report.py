"""Shared by the scripts of this folder: run ``python -m arconvl report NAME`` with the script's
arguments (``--profile paper|smoke``, ``--results-dir DIR``) and exit with its status."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run(name):
    from arconvl.cli import main

    sys.exit(main(["report", name, *sys.argv[1:]]))
