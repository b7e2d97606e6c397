"""``python -m arconvl``: see ``arconvl.cli``."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off stderr

STDOUT_CLOSED = 141  # 128 + SIGPIPE: what a program stopped by a closed pipe returns in a shell


def run():
    """``main()``, quiet when standard output is closed early (``... --dry-run | head -1``)."""
    from arconvl.cli import main  # light: the commands that need Keras import it (arconvl.backend)

    try:
        code = main()
        sys.stdout.flush()  # a closed pipe shows here at the latest
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        code = STDOUT_CLOSED
    return code


sys.exit(run())
