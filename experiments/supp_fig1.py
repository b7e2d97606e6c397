#!/usr/bin/env python
"""Supplementary Fig. 1: class-wise accuracy vs q.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/supp_fig1.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("supp_fig1")
