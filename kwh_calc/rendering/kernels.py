"""A papermill engine that runs every notebook of a worker process in one kept kernel.

Starting a Jupyter kernel and importing pandas, altair and kwh_calc costs 3–4 s per notebook,
far more than running a document (docs/architecture.md §6.2: "One kernel reused through nbclient … ran the
same report in 35–45 ms per run after the first"). Papermill still parameterises, executes and
saves every notebook; this engine only hands its client a kernel that is already running.

Isolation between documents:

- before every notebook the kernel's names are cleared (IPython's reset, as ``%reset -f``
  without its full garbage collection) and its working folder set to the document's own folder;
- after a notebook with an error, and after every ``restart_every`` notebooks, the kernel is
  replaced by a fresh one, so module state (options, caches) cannot drift far;
- a test renders the same document in a kept kernel after other corporations and in a fresh
  kernel and requires byte-identical PDFs.

Papermill finds the engine by its name through the ``papermill.engine`` entry point declared in
``pyproject.toml`` (papermill's own plug-in mechanism; :mod:`kwh_calc.rendering.papermill_plugin`
explains the indirection), so ``engine_name="kwh-kept-kernel"`` works in any process where the
project is installed, without importing this module first.

Kernels end with their worker process (a multiprocessing finaliser; a parent-death signal,
:func:`kwh_calc.rendering.lifeline.kernel_preexec`, when the worker is killed; and ipykernel's own
parent-process watch as a last resort).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing.util
import os
import signal
import threading

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import KernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from kwh_calc.rendering.lifeline import kernel_preexec

__all__ = [
    "ENGINE_NAME",
    "KEPT_KERNEL_ARGUMENTS",
    "KeptKernel",
    "KeptKernelEngine",
    "kill_kernels_now",
    "shutdown_kernels",
    "warm_kernel",
]

ENGINE_NAME = "kwh-kept-kernel"
KEPT_KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
#: Run in every kept kernel at start-up, before any document. jsonschema (imported by altair)
#: imports the optional ``rfc3987_syntax`` only to check the ``iri`` string format, and that
#: import compiles 38 lark grammars: about half of the kernel's start-up imports (issue 13).
#: Neither altair nor nbformat checks formats, so the kernel goes without; documents are the
#: same (a plain papermill run with the import gives the same notebook and PDF).
#: It also sets the kernel's own logger to ERROR: ``--IPKernelApp.log_level=ERROR`` only sets
#: its handler, and the kernel built a debug record of every message it handled (two to four a
#: cell) for the handler to drop.
KERNEL_STARTUP = (
    "import sys; sys.modules.setdefault('rfc3987_syntax', None); del sys; get_ipython().kernel.log.setLevel(40)"
)
#: Settings of a kept kernel that change nothing a document shows (issue 13):
#: no input history database (every cell of every document would be written to the one
#: SQLite file that all kernels of the machine share, behind its lock) and no output cache
#: (``Out``/``_1``…, which a document never reads and whose flush runs a full garbage
#: collection at every reset), and no check whether a cell needs top-level ``await`` (IPython
#: tokenises and compiles every cell a second time for it, ≈5% of a kernel's CPU in the close;
#: the documents have no ``await``).
KEPT_KERNEL_SETTINGS = [
    "--HistoryManager.enabled=False",
    "--InteractiveShell.cache_size=0",
    "--InteractiveShell.autoawait=False",
]
#: Clears the previous document's names. ``%reset -f`` does the same and then runs a full
#: garbage collection (~0,1 s with pandas and altair loaded); Python's own collector frees
#: that memory anyway when it is needed.
RESET_NAMES = "get_ipython().reset(new_session=False)\n"
#: Documents per kept kernel before it is replaced. A replacement costs ≈4 s of CPU (start,
#: imports, the results tables, vl-convert's JavaScript engine): at 50 that was ≈20 replacements
#: and ≈75 CPU-seconds of a national close, at 200 still four (issue 13). At 600 each worker of
#: a national close with two workers keeps one kernel. What a kernel keeps between documents is
#: bounded (module caches keyed on content, at most 256 charts) and names are cleared after
#: every document; its memory levels off after the first hundred documents.
RESTART_EVERY = 600
#: Run once in a worker's kernel before its first document (:func:`warm_kernel`), while the close
#: computes the year's results: the imports of the documents and vl-convert's first chart
#: (its JavaScript engine starts then) cost 2–3 s that the first document would otherwise pay.
#: Only modules are loaded; every document still starts with its names cleared.
WARM_UP = """\
import pandas, IPython.display
import kwh_calc.presentation.aedes_views, kwh_calc.presentation.ckv_views
import kwh_calc.presentation.removal_views, kwh_calc.presentation.representativeness_views
import kwh_calc.presentation.results_views, kwh_calc.results.year
from kwh_calc.presentation.present import chart_svg as _chart_svg
_chart_svg({"data": {"values": [{"a": 1}]}, "mark": "bar", "encoding": {"x": {"field": "a", "type": "quantitative"}}})
del _chart_svg
"""


#: Seconds the clearing of the previous document's names may take before the kernel is taken
#: for hung and replaced.
PREPARE_TIMEOUT_S = 60


class KeptKernel:
    """One running kernel and its client, restarted on error and every ``restart_every`` runs.

    The client is nbclient's own kind, an *asynchronous* one: nbclient waits for a cell's reply
    while it polls, beside it, whether the kernel is still alive and whether the cell's
    ``execution_timeout`` has passed. A blocking client stops the event loop inside every wait,
    so a kernel that died (or a cell that ran for ever) hung the whole worker (issue 13); now
    the document fails with ``DeadKernelError`` or ``CellTimeoutError`` naming its cell and the
    kernel is replaced for the next document.
    """

    def __init__(self, kernel_name: str = "python3", restart_every: int = RESTART_EVERY):
        self.kernel_name = kernel_name
        self.restart_every = restart_every
        self.km: KernelManager | None = None
        self.kc: AsyncKernelClient | None = None
        self.runs = 0

    def ensure(self, start_timeout: float) -> None:
        """Start the kernel if none is running (or it died)."""
        if self.km is not None and self.km.is_alive():
            return
        self.shutdown()
        self.km = KernelManager(kernel_name=self.kernel_name)
        # preexec_fn reaches Popen: the kernel is killed by Linux when this process dies.
        self.km.start_kernel(
            extra_arguments=[
                *KEPT_KERNEL_ARGUMENTS,
                *KEPT_KERNEL_SETTINGS,
                f"--IPKernelApp.exec_lines={KERNEL_STARTUP}",
            ],
            preexec_fn=kernel_preexec,
        )
        # The manager's own connection details, in nbclient's client class (the manager's default
        # client would be a blocking one).
        self.kc = AsyncKernelClient(
            **self.km.get_connection_info(session=True),
            connection_file=self.km.connection_file,
            parent=self.km,
        )
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=start_timeout)
        self.runs = 0

    def prepare(self, cwd: str | None) -> None:
        """Clear the previous document's names and move to this document's folder."""
        # Move first: the previous document's folder may be gone already.
        code = f"import os as _os\n_os.chdir({cwd!r})\ndel _os\n" if cwd else ""
        code += RESET_NAMES
        assert self.kc is not None, "ensure() starts the kernel before prepare()"
        try:
            reply = run_sync(self.kc.execute_interactive)(
                code, store_history=False, timeout=PREPARE_TIMEOUT_S, output_hook=lambda msg: None
            )
        except TimeoutError:
            self.shutdown()
            raise RuntimeError(f"kept kernel did not answer within {PREPARE_TIMEOUT_S} s; replaced") from None
        if reply["content"].get("status") != "ok":
            self.shutdown()
            raise RuntimeError(f"kept kernel could not be prepared: {reply['content'].get('evalue', '')}")

    def warm(self, code: str = WARM_UP, timeout: float = 120) -> bool:
        """Run ``code`` (imports) before any document; False when it failed (the documents
        then simply pay the imports themselves)."""
        assert self.kc is not None, "ensure() starts the kernel before warm()"
        try:
            reply = run_sync(self.kc.execute_interactive)(
                code, store_history=False, timeout=timeout, output_hook=lambda msg: None
            )
        except TimeoutError:
            return False
        return reply["content"].get("status") == "ok"

    def finished(self, failed: bool) -> None:
        """Count a run; replace the kernel after an error or every ``restart_every`` runs."""
        self.runs += 1
        if failed or self.runs >= self.restart_every:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop the client and the kernel (idempotent)."""
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
        self.km, self.kc = None, None


_kernels: dict[str, KeptKernel] = {}
_lock = threading.Lock()


def _kernel(kernel_name: str) -> KeptKernel:
    with _lock:
        if kernel_name not in _kernels:
            _kernels[kernel_name] = KeptKernel(kernel_name)
        return _kernels[kernel_name]


def warm_kernel(kernel_name: str = "python3", start_timeout: float = 120) -> bool:
    """Start this process's kept kernel now and load what documents import (:data:`WARM_UP`)."""
    kernel = _kernel(kernel_name)
    kernel.ensure(start_timeout)
    return kernel.warm()


def shutdown_kernels() -> None:
    """Stop every kept kernel of this process."""
    for kernel in list(_kernels.values()):
        kernel.shutdown()


def kill_kernels_now() -> None:
    """SIGKILL every kept kernel of this process without talking to it, and remove its
    connection file.

    For a signal handler: a clean shutdown goes through jupyter_client's event loop, which may
    be the very loop the interrupted code is running, and then never returns.
    """
    for kernel in list(_kernels.values()):
        km = kernel.km
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)
        if km is not None:
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()


class KeptKernelEngine(NBClientEngine):
    """Papermill's nbclient engine, with the kernel kept between notebooks of a process."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        kernel = _kernel(kernel_name)
        kernel.ensure(start_timeout)
        kernel.prepare(kwargs.get("kernel_cwd"))
        kwargs = remove_args(["input_path", "kernel_cwd", "extra_arguments"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
        client.kc = kernel.kc  # the client neither starts nor stops this kernel
        failed = True
        # Papermill writes (and validates) the whole notebook before and after every cell so
        # that a long run can be watched; for a document of a second that is ~2 × cells writes
        # of a notebook holding SVG charts (~0,05 s each, issue 13). papermill.execute_notebook
        # writes the final notebook itself, after a cell error too; only when execution itself
        # breaks (a dead kernel, a timeout) is the manager's final save restored, so the
        # executed notebook still shows how far it got.
        output_path, nb_man.output_path = nb_man.output_path, None
        try:
            result = client.execute()
            failed = any(
                output.get("output_type") == "error" for cell in nb_man.nb.cells for output in cell.get("outputs", [])
            )
            return result
        except BaseException:
            nb_man.output_path = output_path
            raise
        finally:
            kernel.finished(failed)


atexit.register(shutdown_kernels)
# multiprocessing workers leave through os._exit, which skips atexit: finalise there too.
multiprocessing.util.Finalize(None, shutdown_kernels, exitpriority=10)
