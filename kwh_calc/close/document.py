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

__all__ = ["EXECUTION_TIMEOUT_S", "DocumentTask", "run_document", "set_aside"]

KERNEL_START_ATTEMPTS = 3
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
    """
    import papermill

    from kwh_calc.rendering.kernels import ENGINE_NAME, KEPT_KERNEL_ARGUMENTS
    from kwh_calc.rendering.render import RenderError, render_notebooks

    task = DocumentTask.of(task)
    record = dict(task.record)
    started = time.perf_counter()
    workdir = Path(task.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    executed_tmp = workdir / "executed.ipynb"
    executed = Path(task.executed)
    executed.parent.mkdir(parents=True, exist_ok=True)
    stage = "notebook"
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
        notebook_done = time.perf_counter()
        if task.defer_render:
            # Quarto: rendered later with the other documents in one `quarto render` per batch.
            os.replace(executed_tmp, executed)
            record.update(
                status="executed",
                executed_notebook=str(executed),
                timings={"notebook": round(notebook_done - started, 3)},
            )
            record["duration_s"] = round(time.perf_counter() - started, 3)
            shutil.rmtree(workdir, ignore_errors=True)
            return record
        stage = "render"
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
        for target in (pdf, executed):  # never rename over a folder, device or other non-file
            check_output_target(target)
        files = {str(executed): _sha256_file(executed_tmp), str(pdf): _sha256_file(pdf_tmp)}
        os.replace(executed_tmp, executed)
        os.replace(pdf_tmp, pdf)
        stale = pdf.with_name(f"{pdf.stem}.verouderd{pdf.suffix}")
        stale.unlink(missing_ok=True)  # the current PDF is back: the set-aside copy has had its day
        record.update(
            status="ok",
            pdf=str(pdf),
            executed_notebook=str(executed),
            engine=result.engine,
            files=files,
            timings={
                "notebook": round(notebook_done - started, 3),
                "render": round(result.duration_s, 3),
                # the render's own stages (export, pandoc, typst, write; quarto), for kwh bench close
                **{f"render_{stage}": round(seconds, 3) for stage, seconds in result.timings.items()},
            },
        )
        shutil.rmtree(workdir, ignore_errors=True)
    except Exception as error:  # the document fails, the close goes on (Ctrl-C/SIGTERM go through)
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
    record["duration_s"] = round(time.perf_counter() - started, 3)
    return record


def _warm_kernel() -> int:
    """Start this worker's kept kernel and import what documents use (a worker task)."""
    from kwh_calc.rendering.kernels import warm_kernel

    warm_kernel()
    return os.getpid()
