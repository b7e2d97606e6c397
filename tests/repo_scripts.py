"""The repository's scripts and experiment scripts (no package) imported as modules, for their tests."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script(relative_path):
    """The module of the file at ``relative_path`` under the repository root, executed once per call."""
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
