"""Child processes die with their parent: no worker, kernel or renderer outlives a stopped close.

A close runs worker processes (``--jobs``), each with a kept Jupyter kernel and short-lived
renderers (pandoc, Quarto). Stopping the main process must not leave any of them behind:

- **SIGTERM / SIGINT of the main process**: :func:`stop_signals_raise` turns both into
  :class:`Stopped` in the main thread, so ``finally`` blocks run: the pool's workers are
  killed with their process group (:func:`kill_worker`) and the main process's own kernels
  are shut down.
- **SIGKILL of the main process** (no handler can run): every worker asks the Linux kernel
  for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, :func:`worker_initializer`);
  its SIGTERM handler kills its own process group (itself and its renderers). Kept kernels
  are started with :func:`kernel_preexec`, which asks for SIGKILL when *their* parent (the
  worker, or the main process with ``--jobs 1``) dies. ipykernel's own parent poll (about
  once a second) is the last resort, also for ``--fresh-kernels``.

- **The end of a command**: multiprocessing's resource tracker would outlive it as an orphan
  for the system to reap; :func:`stop_resource_tracker_at_exit` ends and reaps it last.

``prctl`` exists on Linux only; elsewhere these functions do nothing and the pool's own
shutdown and ipykernel's parent poll remain.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Iterator

__all__ = [
    "Stopped",
    "die_with_parent",
    "keep_niceness",
    "kernel_preexec",
    "kill_worker",
    "stop_resource_tracker_at_exit",
    "stop_signals_raise",
    "worker_initializer",
]

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Stopped(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM or SIGINT); ``signum`` says which.

    A ``KeyboardInterrupt`` subclass on purpose: code that lets Ctrl-C through lets this through.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        """Shell convention: 128 + signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


def die_with_parent(signum: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies; False elsewhere.

    Note: Linux sends it when the parent *thread* that started this process ends; all callers
    start their children from their main thread.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc/prctl: fall back on the other mechanisms
        return False


def kernel_preexec() -> None:
    """``preexec_fn`` of a kernel: it is killed outright when the process that started it dies,
    and it keeps the niceness of the process that started it (:func:`keep_niceness`)."""
    die_with_parent(signal.SIGKILL)
    keep_niceness()


def keep_niceness() -> None:
    """Give this process's session the niceness of this process.

    A kernel starts in a session of its own, and with Linux's automatic grouping of sessions
    (``/proc/sys/kernel/sched_autogroup_enabled``) a process's niceness only counts within its
    session: the session as a whole gets an equal share of the CPU, whatever the niceness of its
    processes. Written to ``/proc/self/autogroup``, the niceness counts between sessions too.
    Without automatic grouping, or without the right to write it, nothing changes.
    """
    with contextlib.suppress(OSError):
        niceness = os.getpriority(os.PRIO_PROCESS, 0)
        if niceness > 0:
            with open("/proc/self/autogroup", "w") as group:
                group.write(str(niceness))


def _worker_terminated(signum, frame) -> None:
    # Kernels first (they have their own session): killed outright, since a clean shutdown
    # from inside a signal handler can wait forever on the event loop it interrupted; then this
    # worker's whole process group, itself included.
    try:
        from kwh_calc.rendering.kernels import kill_kernels_now

        kill_kernels_now()
    except BaseException:
        pass
    os.killpg(os.getpgrp(), signal.SIGKILL)


def worker_initializer(parent_pid: int, without_modules: tuple[str, ...] = (), niceness: int = 0) -> None:
    """Initializer of every close worker: own process group, dies with ``parent_pid``.

    The worker leaves the terminal's process group, so a Ctrl-C reaches only the main
    process, which then stops the workers itself (in order, not half-way through a write).
    ``without_modules`` are optional imports this worker goes without: importing one raises
    ``ImportError``, as if it were not installed
    (:data:`kwh_calc.close.document.DOCUMENT_WORKER_WITHOUT` says why for a document's worker).
    ``niceness`` is added to the worker's (and so to its kernel's) scheduling niceness.
    """
    os.setpgrp()
    if niceness:
        os.nice(niceness)
    for name in without_modules:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_terminated)
    die_with_parent(signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        _worker_terminated(signal.SIGTERM, None)


def kill_worker(pid: int) -> None:
    """Kill worker ``pid``'s process group (the worker and its renderers) at once.

    Its kernels, in sessions of their own, die by their parent-death signal.
    """
    for target in (lambda: os.killpg(pid, signal.SIGTERM), lambda: os.kill(pid, signal.SIGTERM)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise :class:`Stopped` in the main thread.

    Outside the main thread (where Python allows no handlers) this does nothing.
    """

    def handler(signum, frame):
        raise Stopped(signum)

    previous = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def stop_resource_tracker_at_exit() -> None:
    """End multiprocessing's resource tracker of this process, if it started one, and reap it,
    as the very last thing this process does when it exits.

    Left alone, the tracker ends only after this process has ended (when its pipe closes), as
    an orphan that the system's init reaps later: a command that finished still had a process
    in its group. It must end after multiprocessing has released its semaphores at exit (their
    finalisers tell the tracker; one told after the end started a new tracker, which printed a
    traceback for a semaphore it had never seen), hence a finaliser of the lowest priority.
    ``_stop`` is what CPython's own tests end the tracker with; without it, nothing is done.
    """
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _stop_resource_tracker, exitpriority=-100)


def _stop_resource_tracker() -> None:
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError):
            stop()
