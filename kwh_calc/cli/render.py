"""``kwh render``: run an analyst's notebook with papermill and render it to a house-style PDF."""

from __future__ import annotations

from pathlib import Path

import typer

from kwh_calc.cli.common import console
from kwh_calc.cli.typer_app import app


@app.command("render")
def render_command(
    notebook: Path = typer.Argument(..., exists=True, dir_okay=False, help="The notebook (.ipynb) to run and render."),
    out: Path = typer.Option(..., "--out", help="The PDF; the executed notebook is kept beside it (.ipynb)."),
    parameter: list[str] | None = typer.Option(
        None, "-p", "--parameter", help="name=value for the parameters cell (repeatable; values read as YAML)."
    ),
    engine: str = typer.Option("auto", "--engine", help="auto | quarto | builtin"),
    title: str | None = typer.Option(None, "--title", help="Cover title (default: the notebook's first # heading)."),
) -> None:
    """Run NOTEBOOK with papermill and render it to a PDF in the house style (either engine).

    Exit status 1 when a cell fails (the cell is named) or the render fails; 2 for bad options.
    """
    from kwh_calc.rendering.analysis import NotebookError, parse_parameters, render_analysis
    from kwh_calc.rendering.render import ENGINES, RenderError

    if engine not in ENGINES:
        console.print(f"--engine must be one of {', '.join(ENGINES)}")
        raise typer.Exit(2)
    try:
        parameters = parse_parameters(parameter or [])
    except ValueError as error:
        console.print(str(error))
        raise typer.Exit(2) from None
    try:
        result = render_analysis(notebook, out, parameters=parameters, engine=engine, title=title)
    except (NotebookError, RenderError) as error:
        console.print(str(error), markup=False)
        raise typer.Exit(1) from None
    for warning in result.warnings:
        console.print(f"note: {warning}", markup=False)
    console.print(
        f"{result.pdf_path}: {result.pages} pages, engine {result.engine}, {result.duration_s:.1f} s", markup=False
    )
