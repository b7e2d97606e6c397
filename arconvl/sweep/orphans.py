"""No orphans: a sweep's ``train`` children die with the sweep, however it dies.

A sweep killed outright (SIGKILL, the out-of-memory killer, a lost Slurm allocation, a killed Ray
worker) runs no clean-up, and its ``train`` children would go on as orphans, still writing their
run directories while a re-run of the sweep starts the same runs again. On Linux each child asks
the kernel, between fork and exec, to be sent SIGKILL as soon as its parent dies
(``prctl(PR_SET_PDEATHSIG)``); a child whose parent died before that request ends at once. A
child killed so leaves its run directory as any killed run does: the next ``train`` of it resumes
after its last finished epoch. Elsewhere the children are not tied to their parent, and
``train``'s lock on its run directory (``files.locked_run_dir``) keeps a re-started run from
writing beside an orphan.

The kernel sends the signal when the *thread* that started the child ends: start children from a
thread that outlives them (``run_sweep`` and the Ray task wait for their children).
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent():
    """A ``preexec_fn`` for ``subprocess.Popen`` that ties the child's life to this process (Linux),
    or None where the kernel offers no such tie."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent, kill = os.getpid(), int(signal.SIGKILL)

    def tie():  # runs in the child between fork and exec: no imports, no locks
        prctl(PR_SET_PDEATHSIG, kill)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return tie
