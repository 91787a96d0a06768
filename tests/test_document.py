"""kwh_calc.close.document: what a worker process of the close imports stays small."""

from __future__ import annotations

import subprocess
import sys


def test_a_worker_imports_neither_pandas_nor_the_dataset():
    """A worker unpickles its tasks from kwh_calc.close.document and renders with the built-in
    engine: that path imports no pandas, dataset, rules or results (≈50 MB less in each worker
    of the close; issue 13). The kernels and the main process still use them."""
    code = (
        "import sys\n"
        "import kwh_calc.close.document\n"
        "from kwh_calc.rendering import kernels, render\n"
        "print(sorted(m for m in ('pandas', 'pandera', 'pydantic', 'kwh_calc.intake.dataset',"
        " 'kwh_calc.results.year', 'kwh_calc.close.run') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


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
