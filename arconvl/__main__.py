"""``python -m arconvl``: see ``arconvl.cli``."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off stderr

STDOUT_CLOSED = 141  # 128 + SIGPIPE: what a program stopped by a closed pipe returns in a shell


def import_main():
    """``arconvl.cli.main``, imported (TensorFlow with it) with file descriptor 2 on /dev/null unless
    the user asked for TensorFlow's INFO lines (``TF_CPP_MIN_LOG_LEVEL=0``): TensorFlow writes its
    start-up lines (the oneDNN notice, CUDA probing on a CPU machine) before its C++ logging is set
    up, where that variable alone does not reach them. A Python error in the import still shows."""
    quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("", "0")
    saved = os.dup(2) if quiet else None
    if quiet:
        sys.stderr.flush()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        from arconvl.cli import main
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(saved)
    return main


def run():
    """``main()``, quiet when standard output is closed early (``... --dry-run | head -1``)."""
    main = import_main()
    try:
        code = main()
        sys.stdout.flush()  # a closed pipe shows here at the latest
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        code = STDOUT_CLOSED
    return code


sys.exit(run())
