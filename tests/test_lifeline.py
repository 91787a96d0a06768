"""Children die with their parent: the parent-death signal, and stop signals as exceptions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from kwh_calc.rendering.lifeline import Stopped, stop_signals_raise

CHILD = """
import subprocess, sys, time
from kwh_calc.rendering.lifeline import kernel_preexec
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], preexec_fn=kernel_preexec,
                              start_new_session=True)
print(grandchild.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux-only")
def test_a_process_started_with_kernel_preexec_dies_with_its_parent():
    # A grandchild in its own session (as a kernel is) survives its parent's SIGKILL unless
    # the parent-death signal works.
    parent = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    grandchild = psutil.Process(int(parent.stdout.readline()))
    try:
        parent.kill()
        parent.wait(timeout=30)
        end = time.monotonic() + 20  # liveness bound, not a timing measurement
        while time.monotonic() < end and grandchild.is_running() and grandchild.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.1)
        assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE
    finally:
        if grandchild.is_running():
            grandchild.kill()


def _sigterm_inside_the_block():
    with stop_signals_raise():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this


def test_sigterm_becomes_stopped_inside_the_block_only():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Stopped) as caught:
        _sigterm_inside_the_block()
    assert caught.value.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) is previous


ENDS_WITH_A_TRACKER = """
import multiprocessing, sys
from multiprocessing import resource_tracker
from kwh_calc import cli

def command():
    global lock
    lock = multiprocessing.get_context("spawn").Lock()  # as a close's process pool has: released at exit
    print(resource_tracker._resource_tracker._pid, flush=True)

cli._app = lambda *_: command
sys.argv = ["kwh", "close"]
cli.main()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on the close's machines")
def test_a_kwh_command_leaves_no_process_behind_when_it_ends():
    """multiprocessing's resource tracker ended after the command, as an orphan for init to reap;
    ``kwh`` ends and reaps it itself as the last thing it does, so nothing of the command's group
    is left when it returns, and nothing is printed."""
    run = subprocess.run(
        [sys.executable, "-c", ENDS_WITH_A_TRACKER], capture_output=True, text=True, start_new_session=True, check=True
    )
    tracker = int(run.stdout.split()[0])
    assert not psutil.pid_exists(tracker)
    assert "Traceback" not in run.stderr  # the tracker ended after the lock was released, not before
