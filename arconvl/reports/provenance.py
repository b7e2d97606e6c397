"""The banner that marks a report built from smoke runs rather than from the paper's protocol.

A run is a smoke run when its ``profile`` is "smoke" or it trained on a subsample (< 1) of the
data. When a report's runs include one, every table, the comparison and both figures open with a
banner naming the profile(s), epochs, subsample and seeds behind them, so that nobody reads their
numbers as a failed reproduction of the paper.
"""

import pandas as pd

from arconvl.reports.render import FULL_SEEDS

SMOKE_PROFILE = "smoke"
PAPER_PROFILE = "paper"  # the sweep's name for a config's top level: the paper's protocol


def _is_smoke(runs):
    """Per row: True where the run is a smoke run (see the module docstring)."""
    smoke = pd.Series(False, index=runs.index)
    if "profile" in runs.columns:
        smoke |= runs["profile"].astype(str) == SMOKE_PROFILE
    if "subsample" in runs.columns:
        smoke |= pd.to_numeric(runs["subsample"], errors="coerce") < 1
    return smoke


def _values(runs, column, fmt=str):
    """The distinct values of ``column`` in ``runs``, sorted and formatted, joined by commas."""
    if column not in runs.columns:
        return ""
    values = sorted(set(runs[column].dropna()))
    return ", ".join(fmt(v) for v in values)


def _percent(fraction):
    return f"{100 * float(fraction):g}%"


def _whole(value):
    return f"{int(float(value))}"


def smoke_settings(runs):
    """"profile smoke: 4 epochs on a 20% subsample of every split, seeds 0, 1" for the smoke runs
    among ``runs`` (a results frame); "" when there is none."""
    smoke = runs[_is_smoke(runs)]
    if smoke.empty:
        return ""
    profiles = _values(smoke, "profile") or "unnamed"
    epochs = _values(smoke, "epochs", _whole)
    subsample = _values(smoke, "subsample", _percent)
    seeds = _values(smoke, "seed", _whole)
    training = " ".join(filter(None, [
        epochs and f"{epochs} epoch{'' if epochs == '1' else 's'}",
        subsample and f"on a {subsample} subsample of every split",
    ]))
    seeds = seeds and f"seed{'s' if ',' in seeds else ''} {seeds}"
    return f"profile {profiles}: " + ", ".join(filter(None, [training, seeds]))


def smoke_banner(runs):
    """The one-paragraph banner of a table or the comparison built from ``runs``; "" without smoke runs."""
    settings = smoke_settings(runs)
    if not settings:
        return ""
    return (f"Smoke run ({settings}), not the paper's protocol (profile {PAPER_PROFILE}: the full schedule "
            f"on all the data, {FULL_SEEDS} seeds). It checks that every step of the reproduction runs; its "
            "numbers are not comparable with the paper's.")


def smoke_title(runs):
    """The short form of the banner, for a figure's title; "" without smoke runs."""
    settings = smoke_settings(runs)
    return f"Smoke run ({settings}), not the paper's protocol" if settings else ""
