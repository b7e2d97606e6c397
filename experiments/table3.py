#!/usr/bin/env python
"""Supplementary Table 3: class-wise accuracy (%) of the eight methods.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/table3.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("table3")
