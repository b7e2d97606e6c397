"""Experiment grids (TOML configs with profiles) and the sweep runner that trains them."""

from arconvl.sweep.experiment import Experiment, RunSpec, load_experiment
from arconvl.sweep.runner import parse_shard, run_sweep, select_shard

__all__ = ["Experiment", "RunSpec", "load_experiment", "parse_shard", "run_sweep", "select_shard"]
