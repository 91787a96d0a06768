"""One document of the close: its task, and its run in a worker process (papermill, then render).

This is all a worker process of the close imports (with the renderer and papermill): not the
dataset, the results or pandas, so that each worker stays small (issue 13: the close's memory).
:mod:`kwh_calc.close.run` plans the documents and hands each task to a worker.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kwh_calc.common.atomic import check_output_target

if TYPE_CHECKING:
    from kwh_calc.rendering.render import RenderJob

__all__ = [
    "DOCUMENT_WORKER_WITHOUT",
    "EXECUTION_TIMEOUT_S",
    "DocumentTask",
    "execute_document",
    "render_document",
    "run_document",
    "set_aside",
]

#: Optional imports that a document's worker process goes without (as if not installed), set
#: by its initializer before anything is imported (issue 13: ≈56 MB less in each worker and
#: ≈1 s less to start one):
#:
#: - ``rfc3987_syntax``: jsonschema's optional IRI format check, which compiles 38 lark
#:   grammars when papermill loads nbformat; no notebook schema uses that format (the kept
#:   kernels go without it too, ``kernels.KERNEL_STARTUP``);
#: - ``pyarrow.fs``: papermill's optional HDFS paths (``hdfs://``), which load pyarrow and numpy;
#:   documents are read and written on local paths.
#:
#: Not for the process that loads the dataset: reading Parquet needs ``pyarrow.fs``.
DOCUMENT_WORKER_WITHOUT = ("rfc3987_syntax", "pyarrow.fs")
KERNEL_START_ATTEMPTS = 3
EXECUTED_NAME = "executed.ipynb"  # the executed notebook in a document's working folder
log = logging.getLogger("kwh_calc.close.run")  # one log for the close, whichever module writes


#: Seconds one cell of a document may run before the document fails (``CellTimeoutError``);
#: a document's slowest cell takes well under a second, so this only catches a hung cell.
EXECUTION_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class DocumentTask:
    """One document to make: what crosses from the close to a worker process (pickled).

    ``record`` holds the manifest fields known before the run (document, corporation_id,
    input_key, parameters, inputs, versions). ``extra`` carries the fields a ``renderer``
    (``"module:function"``, called as ``function(executed, target, fields)``) reads besides
    these, such as the monitor's footer and bundle path.
    """

    record: Mapping[str, Any]
    notebook: str
    parameters: Mapping[str, Any]
    pdf: str
    executed: str
    workdir: str
    title: str = ""
    subtitle: str | None = None
    year_label: str | None = None
    corporation_name: str | None = None
    year: int | None = None
    provenance: Mapping[str, str] | None = None
    engine: str = "builtin"
    timestamp: str | None = None
    kernels: str = "kept"  # kept | fresh
    defer_render: bool = False  # Quarto: rendered afterwards in batches
    render_apart: bool = False  # rendered by the close's render process (render_document)
    renderer: str | None = None
    execution_timeout: float | None = EXECUTION_TIMEOUT_S
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, task: DocumentTask | Mapping[str, Any]) -> DocumentTask:
        """A task as it is, or made from a dict of fields (the unknown keys go to ``extra``)."""
        if isinstance(task, DocumentTask):
            return task
        known = {f.name for f in fields(cls)} - {"extra"}
        given = {k: v for k, v in task.items() if k in known}
        extra = {**dict(task.get("extra") or {}), **{k: v for k, v in task.items() if k not in known | {"extra"}}}
        return cls(**given, extra=extra)

    def render_job(self, executed: Path, target: Path) -> RenderJob:
        """The render of this document's executed notebook ``executed`` to ``target`` (a PDF),
        with its title, cover and footer: the same whether rendered alone or in a Quarto batch."""
        from kwh_calc.rendering.render import RenderJob

        return RenderJob(
            Path(executed),
            Path(target),
            title=self.title,
            subtitle=self.subtitle,
            corporation=self.corporation_name,
            year=self.year,
            provenance=self.provenance,
            year_label=self.year_label,
            timestamp=datetime.fromisoformat(self.timestamp) if self.timestamp else None,
        )

    def fields(self) -> dict[str, Any]:
        """Every field as one plain dict, ``extra`` merged in: what a ``renderer`` receives."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {**values, **self.extra}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def set_aside(pdf: Path) -> Path | None:
    """Move an out-of-date PDF to ``<name>.verouderd.pdf``; returns the new path (None if none)."""
    pdf = Path(pdf)
    if not pdf.is_file():
        return None
    aside = pdf.with_name(f"{pdf.stem}.verouderd{pdf.suffix}")
    os.replace(pdf, aside)
    return aside


# --------------------------------------------------------------------------- one document


def _is_kernel_start_problem(error: BaseException) -> bool:
    """A kernel that could not start (port clash, slow start): worth another attempt. A kernel
    that died or a cell that timed out while the document ran is the document's failure."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(error, (DeadKernelError, CellTimeoutError)):
        return False
    text = f"{type(error).__name__}: {error}"
    return any(
        s in text
        for s in (
            "Address already in use",
            "Kernel didn't respond",
            "kernel died before replying",
            "TimeoutError",
            "ZMQError",
            "Kernel died",
        )
    )


def _cell_of_failure(executed: Path) -> str | None:
    """Which cell was running when execution broke off (a dead kernel, a timeout): the last
    cell papermill started, as ``cell N (first line)``; None when it cannot be told."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None
    started = [
        (index, cell)
        for index, cell in enumerate(cells)
        if (cell.get("metadata", {}).get("papermill") or {}).get("start_time")
    ]
    if not started:
        return None
    index, cell = started[-1]
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return f"cell {index}" + (f" ({first[:80]})" if first else "")


def run_document(task: DocumentTask | Mapping[str, Any]) -> dict:
    """Execute one notebook with papermill and render it; returns the record (a dict).

    Never raises for a failing document (its record says ``failed``, naming the stage, the
    error and, for a kernel that died or a cell that timed out, the cell). Ctrl-C and SIGTERM
    (``KeyboardInterrupt``, :class:`kwh_calc.rendering.lifeline.Stopped`) do go through: they
    stop the close, not just this document.

    With ``defer_render`` (Quarto batches) or ``render_apart`` (a render process of the close's
    own) only the notebook is run here: the record says ``executed`` and
    :func:`render_document` (or the batch) does the rest.
    """
    task = DocumentTask.of(task)
    record = execute_document(task)
    if record["status"] == "executed" and not (task.defer_render or task.render_apart):
        record = render_document(task, record)
    return record


def execute_document(task: DocumentTask | Mapping[str, Any]) -> dict:
    """The notebook stage of :func:`run_document`: papermill in this process's kept kernel.

    The record says ``executed`` (the executed notebook waits in the task's ``workdir`` for
    :func:`render_document`; with ``defer_render`` it is at its final place, for a Quarto
    batch) or ``failed``.
    """
    import papermill

    from kwh_calc.rendering.kernels import ENGINE_NAME, KEPT_KERNEL_ARGUMENTS

    task = DocumentTask.of(task)
    record = dict(task.record)
    started = time.perf_counter()
    workdir = Path(task.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    executed_tmp = workdir / EXECUTED_NAME
    Path(task.executed).parent.mkdir(parents=True, exist_ok=True)
    try:
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                engine_options: dict[str, object]
                if task.kernels == "kept":
                    engine_options = {"engine_name": ENGINE_NAME, "kernel_cwd": str(workdir)}
                else:
                    # The kernel's start-up notices (e.g. "running over TCP") are noise in a close.
                    engine_options = {"cwd": str(workdir), "extra_arguments": KEPT_KERNEL_ARGUMENTS}
                papermill.execute_notebook(
                    str(task.notebook),
                    str(executed_tmp),
                    parameters=dict(task.parameters),
                    progress_bar=False,
                    log_output=False,
                    start_timeout=120,
                    execution_timeout=task.execution_timeout,
                    kernel_name="python3",
                    **engine_options,
                )
                break
            except papermill.PapermillExecutionError:
                raise
            except Exception as error:  # parallel kernel start-up: port clashes, slow starts
                if attempt == KERNEL_START_ATTEMPTS or not _is_kernel_start_problem(error):
                    raise
                time.sleep(0.5 * attempt)
    except Exception as error:  # the document fails, the close goes on (Ctrl-C/SIGTERM go through)
        return _failed(task, record, "notebook", error, started)
    record.update(status="executed", timings={"notebook": round(time.perf_counter() - started, 3)})
    if task.defer_render:
        # Quarto: rendered later with the other documents in one `quarto render` per batch.
        os.replace(executed_tmp, task.executed)
        record["executed_notebook"] = str(task.executed)
        shutil.rmtree(workdir, ignore_errors=True)
    record["duration_s"] = round(time.perf_counter() - started, 3)
    return record


def render_document(task: DocumentTask | Mapping[str, Any], executed: Mapping[str, Any]) -> dict:
    """The render stage of :func:`run_document`: the executed notebook that ``executed`` (the
    record :func:`execute_document` returned) left in the task's ``workdir``, rendered and put
    in place with its PDF; returns the final record (``ok`` or ``failed``)."""
    from kwh_calc.rendering.render import RenderError, render_notebooks

    task = DocumentTask.of(task)
    record = dict(executed)
    started = time.perf_counter()
    workdir = Path(task.workdir)
    executed_tmp = workdir / EXECUTED_NAME
    executed_path = Path(task.executed)
    try:
        pdf_tmp = workdir / f"document{Path(task.pdf).suffix}"
        if task.renderer:
            # Another output than a PDF (issue 14: HTML dashboards): "module:function" called
            # as function(executed, target, fields), returning .engine and .duration_s.
            module, name = task.renderer.split(":")
            result = getattr(importlib.import_module(module), name)(executed_tmp, pdf_tmp, task.fields())
        else:
            (outcome,) = render_notebooks(
                [task.render_job(executed_tmp, pdf_tmp)], engine=task.engine, workdir=workdir / "render"
            )
            if isinstance(outcome, RenderError):
                raise outcome
            result = outcome
        pdf = Path(task.pdf)
        for target in (pdf, executed_path):  # never rename over a folder, device or other non-file
            check_output_target(target)
        files = {str(executed_path): _sha256_file(executed_tmp), str(pdf): _sha256_file(pdf_tmp)}
        os.replace(executed_tmp, executed_path)
        os.replace(pdf_tmp, pdf)
        stale = pdf.with_name(f"{pdf.stem}.verouderd{pdf.suffix}")
        stale.unlink(missing_ok=True)  # the current PDF is back: the set-aside copy has had its day
        record.update(
            status="ok",
            pdf=str(pdf),
            executed_notebook=str(executed_path),
            engine=result.engine,
            files=files,
            timings={
                **record.get("timings", {}),
                "render": round(result.duration_s, 3),
                # the render's own stages (export, pandoc, typst, write; quarto), for kwh bench close
                **{f"render_{stage}": round(seconds, 3) for stage, seconds in result.timings.items()},
            },
        )
        shutil.rmtree(workdir, ignore_errors=True)
    except Exception as error:  # the document fails, the close goes on (Ctrl-C/SIGTERM go through)
        return _failed(task, record, "render", error, started)
    record["duration_s"] = round(record.get("duration_s", 0.0) + time.perf_counter() - started, 3)
    return record


def _failed(task: DocumentTask, record: dict, stage: str, error: Exception, started: float) -> dict:
    """The record of a document that failed at ``stage``: the executed notebook kept for the
    reader where it can be, the error (with the cell that was running when execution broke
    off), and last run's PDF moved aside so it is not taken for this run's."""
    import papermill

    executed_tmp = Path(task.workdir) / EXECUTED_NAME
    executed = Path(task.executed)
    cell = _cell_of_failure(executed_tmp) if stage == "notebook" and executed_tmp.exists() else None
    if executed_tmp.exists():
        try:
            check_output_target(executed)
            os.replace(executed_tmp, executed)  # keep the notebook with the error cell for the reader
            record["executed_notebook"] = str(executed)
        except OSError:  # the place is taken by a folder or device: the error message says enough
            pass
    message = f"{stage}: {type(error).__name__}: {error}".strip()
    if cell and not isinstance(error, papermill.PapermillExecutionError):  # that one names its cell
        message = f"{stage}: {type(error).__name__} in {cell}: {error}".strip()
    aside = set_aside(Path(task.pdf))  # last run's PDF must not pass for this run's
    if aside is not None:
        message += f" (previous output moved aside to {aside.name})"
    record.update(status="failed", error=message[-4000:])
    log.debug("document failed: %s", traceback.format_exc())
    record["duration_s"] = round(record.get("duration_s", 0.0) + time.perf_counter() - started, 3)
    return record


def _warm_kernel() -> int:
    """Start this worker's kept kernel and import what documents use (a worker task)."""
    from kwh_calc.rendering.kernels import warm_kernel

    warm_kernel()
    return os.getpid()
