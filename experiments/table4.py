#!/usr/bin/env python
"""Supplementary Table 4: class-wise accuracy (%) of the ablations.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/table4.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("table4")
