"""Fixtures shared by the sweep tests (local and Ray engines)."""

import pytest

from sweep_helpers import write_config, write_fake_python


@pytest.fixture
def config_file(tmp_path):
    """The tiny experiment config of ``sweep_helpers.CONFIG``, written to a file."""
    return write_config(tmp_path)


@pytest.fixture
def fake_python(tmp_path):
    """A stand-in for ``python`` that writes a run's ``run.csv`` at once (``sweep_helpers``)."""
    return write_fake_python(tmp_path)
