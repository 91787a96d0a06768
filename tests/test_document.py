"""kwh_calc.close.document: what a worker process of the close imports stays small."""

from __future__ import annotations

import subprocess
import sys

from imports import loaded_after


def test_a_worker_imports_neither_pandas_nor_the_dataset():
    """A worker unpickles its tasks from kwh_calc.close.document and renders with the built-in
    engine: that path imports no pandas, dataset, rules or results (≈50 MB less in each worker
    of the close; issue 13). The kernels and the main process still use them."""
    code = "import kwh_calc.close.document\nfrom kwh_calc.rendering import kernels, render\n"
    modules = ("pandas", "pandera", "pydantic", "kwh_calc.intake.dataset", "kwh_calc.results.year")
    modules += ("kwh_calc.close.run",)
    assert loaded_after(code, modules)[1] == []


def test_a_worker_renders_a_document_without_pandas(tmp_path):
    """Rendering a document as a worker does (its render job: cover with corporation, year and
    date, provenance footer) loads no pandas either. The cover's date once did, which put
    pandas, numpy and pyarrow (≈100 MB) into every worker at its first document (issue 13)."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Resultaten\n\nTekst.")]
    nbformat.write(notebook, tmp_path / "executed.ipynb")
    code = (
        "from pathlib import Path\n"
        "from kwh_calc.close.document import DocumentTask\n"
        "from kwh_calc.rendering.render import render_notebooks\n"
        f"folder = Path({str(tmp_path)!r})\n"
        "task = DocumentTask(record={}, notebook='', parameters={}, pdf='', executed='', workdir='',"
        " title='Resultaten', corporation_name='Woonstichting Proef', year=2025,"
        " provenance={'Gegevens': 'abc'}, timestamp='2026-02-01T00:00:00+00:00')\n"
        "(outcome,) = render_notebooks([task.render_job(folder / 'executed.ipynb', folder / 'out.pdf')],"
        " engine='builtin', workdir=folder / 'render')\n"
        "print(type(outcome).__name__)\n"
    )
    printed, loaded = loaded_after(code, ("pandas", "numpy", "pyarrow"))
    assert printed.strip() == "RenderResult"
    assert loaded == []
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")


def test_the_close_hands_workers_the_lean_module():
    """What the process pool pickles by reference is the function of kwh_calc.close.document."""
    import pickle

    from kwh_calc.close import run
    from kwh_calc.close.document import DocumentTask, run_document

    assert run.run_document is run_document
    assert b"kwh_calc.close.document" in pickle.dumps(run_document)
    assert b"kwh_calc.close.document" in pickle.dumps(run._warm_kernel)
    assert run.DocumentTask is DocumentTask


def test_the_kwh_script_imports_no_command_until_it_runs():
    """The close's workers start (Python's spawn) by importing the script that started the close;
    ``kwh_calc.cli`` then imports no command (each pulls pandas, the dataset, the monitor …):
    only ``main()`` or asking for ``app`` does."""
    code = (
        "import sys\n"
        "import kwh_calc.cli\n"
        "print(sorted(m for m in ('pandas', 'kwh_calc.cli.close', 'kwh_calc.cli.typer_app') if m in sys.modules))\n"
        "from kwh_calc.cli import app\n"
        "loaded = sorted(m for m in ('kwh_calc.cli.close', 'kwh_calc.cli.typer_app') if m in sys.modules)\n"
        "print(loaded, type(app).__name__)\n"
    )
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert lines[0] == "[]"
    assert lines[1] == "['kwh_calc.cli.close', 'kwh_calc.cli.typer_app'] Typer"


def test_document_workers_go_without_pyarrow_and_the_dataset_process_keeps_it():
    """papermill imports pyarrow (and numpy) for ``hdfs://`` paths only: a document's worker goes
    without (≈56 MB less per worker, issue 13); the process that loads the dataset reads
    Parquet and keeps it."""
    from kwh_calc.close.run import _WorkerPool

    probe = (
        "__import__('papermill') and sorted(m for m in ('numpy', 'pyarrow', 'rfc3987_syntax')"
        " if __import__('sys').modules.get(m) is not None)"
    )
    with _WorkerPool(1) as documents:
        assert documents.submit(eval, probe).result() == []
    with _WorkerPool(1, documents=False) as dataset:
        assert dataset.submit(eval, "__import__('pyarrow.fs') and __import__('pandas').__name__").result() == "pandas"
