"""kwh render: an analyst's notebook run with papermill and rendered (kwh_calc.rendering.analysis)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pdfs import pdf_text
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.rendering.analysis import NotebookError, failing_cell, notebook_title, parse_parameters, render_analysis
from kwh_calc.rendering.render import project_root


def test_parameters_are_read_as_yaml():
    assert parse_parameters(["year=2025", "region=Noord", "flag=true", "empty=", "path=../data"]) == {
        "year": 2025,
        "region": "Noord",
        "flag": True,
        "empty": "",
        "path": "../data",
    }
    with pytest.raises(ValueError, match="write name=value"):
        parse_parameters(["year"])


def test_failing_cell_is_numbered_as_the_analyst_sees_it():
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {"tags": ["papermill-error-cell-tag"]}, "source": "fout"},
            {"cell_type": "markdown", "metadata": {}, "source": "# Titel"},
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1", "outputs": []},
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": "x = 2", "outputs": []},
            {
                "cell_type": "code",
                "metadata": {},
                "source": "#| echo: false\n\ny = 1 / 0\n",
                "outputs": [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero"}],
            },
        ]
    }
    assert failing_cell(nb) == (3, "y = 1 / 0", "ZeroDivisionError: division by zero")
    assert notebook_title(nb, "x") == "Titel"
    assert notebook_title({"cells": []}, "x") == "x"


@pytest.mark.e2e
def test_kwh_render_names_the_failing_cell_and_keeps_the_notebook(tmp_path):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Analyse"),
            new_code_cell("deler = 1", metadata={"tags": ["parameters"]}),
            new_code_cell("uitkomst = 10 / deler"),
        ],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    )
    source = tmp_path / "analyse.ipynb"
    nbformat.write(nb, str(source))
    before = source.read_bytes()
    result = CliRunner().invoke(
        app, ["render", str(source), "--out", str(tmp_path / "out" / "a.pdf"), "-p", "deler=0", "--engine", "builtin"]
    )
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "failed in cell 3 ('uitkomst = 10 / deler'): ZeroDivisionError" in message
    assert (tmp_path / "out" / "a.ipynb").is_file()
    assert not (tmp_path / "out" / "a.pdf").exists()
    assert source.read_bytes() == before  # inputs never modified
    made = render_analysis(source, tmp_path / "ok.pdf", parameters={"deler": 4}, engine="builtin")
    assert made.pages == 1
    assert "Analyse" in pdf_text(made.pdf_path)
    with pytest.raises(NotebookError):
        render_analysis(source, tmp_path / "fout.pdf", parameters={"deler": 0}, engine="builtin")


def test_quarto_build_script_says_how_to_get_quarto_without_the_kit(tmp_path):
    proc = subprocess.run(
        [str(project_root() / "tools" / "quarto.sh"), str(tmp_path / "q"), str(tmp_path / "geen-kit"), "python3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert "conda" in proc.stderr
    assert "quarto.org" in proc.stderr
    assert "built-in engine" in proc.stderr
    assert not Path(tmp_path / "q").exists()
