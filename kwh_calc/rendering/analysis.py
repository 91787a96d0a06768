"""Run an analyst's notebook with papermill and render it to a PDF in the house style.

What ``kwh render NOTEBOOK.ipynb --out F.pdf [-p name=value ...] [--engine ...]`` does: the
notebook is executed in its own folder (relative paths in it work as in JupyterLab) with the
given parameters, the executed notebook is kept beside the PDF (``F.ipynb``), and either
render engine of :mod:`kwh_calc.rendering.render` makes the PDF. A failing cell is named by its number
in the notebook as the analyst sees it (papermill's injected-parameters cell not counted) and
its first line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kwh_calc.rendering.render import RenderResult, render_notebook

__all__ = ["NotebookError", "failing_cell", "notebook_title", "parse_parameters", "render_analysis"]


class NotebookError(RuntimeError):
    """The notebook itself failed (a cell raised), before anything was rendered."""


def parse_parameters(pairs: list[str]) -> dict[str, Any]:
    """``["year=2025", "region=Noord"]`` → ``{"year": 2025, "region": "Noord"}`` (values as YAML).

    Raises
    ------
    ValueError
        For a pair without ``=`` or with an empty name.
    """
    parameters: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"parameter {pair!r}: write name=value")
        try:
            parameters[name.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            parameters[name.strip()] = value
    return parameters


def failing_cell(executed: Mapping[str, Any]) -> tuple[int, str, str] | None:
    """The first cell with an error output: (number as in the original notebook, first line,
    "ename: evalue"), or None. Cell numbers count from 1 and skip the cells papermill adds."""
    number = 0
    for cell in executed.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue  # cells papermill added
        number += 1
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                source = "".join(cell.get("source") or "")
                first = next((line for line in source.splitlines() if line.strip() and not line.startswith("#|")), "")
                return number, first.strip(), f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".rstrip(": ")
    return None


def notebook_title(nb: Mapping[str, Any], fallback: str) -> str:
    """The text of the notebook's first level-1 heading, else ``fallback``."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            match = re.search(r"^#\s+(.+?)\s*#*\s*$", "".join(cell.get("source") or ""), re.M)
            if match:
                return match.group(1)
    return fallback


def render_analysis(
    notebook: Path,
    pdf_path: Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    engine: str = "auto",
    title: str | None = None,
    timeout_s: int = 1800,
) -> RenderResult:
    """Execute ``notebook`` with papermill and render the result to ``pdf_path``.

    Parameters
    ----------
    notebook : pathlib.Path
        The analyst's notebook (never modified).
    pdf_path : pathlib.Path
        The PDF (written atomically); the executed notebook goes beside it (``.ipynb``).
    parameters : mapping, optional
        Values for the notebook's ``parameters`` cell.
    engine : {"auto", "quarto", "builtin"}
        Render engine (:func:`kwh_calc.rendering.render.choose_engine`).
    title : str, optional
        Title on the cover; default the notebook's first ``#`` heading, else its file name.
    timeout_s : int
        Longest a single cell may run, in seconds.

    Raises
    ------
    NotebookError
        A cell failed: the message names the cell (number and first line) and the error, and
        where the executed notebook was kept.
    kwh_calc.rendering.render.RenderError
        The notebook ran but could not be rendered.
    """
    import papermill

    notebook, pdf_path = Path(notebook).resolve(), Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    executed = pdf_path.with_suffix(".ipynb")
    with tempfile.TemporaryDirectory(prefix="kwh-analysis-") as folder:
        scratch = Path(folder) / "executed.ipynb"
        try:
            papermill.execute_notebook(
                str(notebook),
                str(scratch),
                parameters=dict(parameters or {}),
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=False,
                kernel_name="python3",
                execution_timeout=timeout_s,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except papermill.PapermillExecutionError as error:
            if scratch.exists():
                shutil.copyfile(scratch, executed)
            found = failing_cell(json.loads(scratch.read_text(encoding="utf-8"))) if scratch.exists() else None
            where = (
                (f"cell {found[0]} ({found[1]!r})" if found and found[1] else f"cell {found[0]}")
                if found
                else f"cell {error.cell_index + 1}"
            )
            raise NotebookError(
                f"{notebook.name} failed in {where}: {error.ename}: {error.evalue} (executed notebook kept: {executed})"
            ) from None
        shutil.copyfile(scratch, executed.with_name(executed.name + ".tmp"))
        os.replace(executed.with_name(executed.name + ".tmp"), executed)
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return render_notebook(executed, pdf_path, title=title or notebook_title(nb, notebook.stem), engine=engine)
