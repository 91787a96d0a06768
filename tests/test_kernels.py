import nbformat
import papermill
import pytest

from kwh_calc.rendering.kernels import ENGINE_NAME, KeptKernel, shutdown_kernels


def notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    for cell in nb.cells:
        cell.metadata["tags"] = []
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def run(source, target, cwd, **parameters):
    return papermill.execute_notebook(
        str(source),
        str(target),
        parameters=parameters,
        progress_bar=False,
        kernel_name="python3",
        engine_name=ENGINE_NAME,
        kernel_cwd=str(cwd),
    )


def test_documents_share_the_kernel_but_not_their_names(tmp_path):
    first = notebook(tmp_path / "a.ipynb", "value = 1", "import os\nleft_behind = os.getpid()")
    second = notebook(
        tmp_path / "b.ipynb",
        "value = 2",
        "import os\nassert 'left_behind' not in globals(), 'names leaked'\npid = os.getpid()\ncwd = os.getcwd()",
    )
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    try:
        a = run(first, tmp_path / "a-out.ipynb", tmp_path / "one")
        b = run(second, tmp_path / "b-out.ipynb", tmp_path / "two")
    finally:
        shutdown_kernels()
    assert a.metadata.papermill.exception is None
    assert b.metadata.papermill.exception is None


def test_a_failing_document_does_not_poison_the_next(tmp_path):
    failing = notebook(tmp_path / "f.ipynb", "x = 1", "import math\nmath.pi = 3\nraise ValueError('boom')")
    checking = notebook(tmp_path / "c.ipynb", "x = 1", "import math\nassert math.pi > 3.14")
    try:
        with pytest.raises(papermill.PapermillExecutionError, match="boom"):
            run(failing, tmp_path / "f-out.ipynb", tmp_path)
        # The kernel was replaced after the error, so the module change is gone.
        run(checking, tmp_path / "c-out.ipynb", tmp_path)
    finally:
        shutdown_kernels()


def test_kernel_is_replaced_after_an_error_and_periodically(tmp_path):
    kernel = KeptKernel(restart_every=3)
    kernel.ensure(60)
    try:
        first = kernel.km
        kernel.prepare(str(tmp_path))
        kernel.finished(failed=False)
        assert kernel.km is first
        assert kernel.km.is_alive()
        kernel.finished(failed=True)
        assert kernel.km is None
        kernel.ensure(60)
        for _ in range(3):
            kernel.finished(failed=False)
        assert kernel.km is None
    finally:
        kernel.shutdown()


def test_papermill_finds_the_engine_through_its_entry_point_alone():
    """A fresh interpreter that never imported kwh_calc still resolves the engine by name."""
    import subprocess
    import sys

    probe = (
        "import sys; import papermill.engines as e; "
        f"engine = e.papermill_engines.get_engine({ENGINE_NAME!r}); "
        "print(engine.__module__ + '.' + engine.__qualname__)"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "kwh_calc.rendering.papermill_plugin.KeptKernelPlugin"


def test_the_engine_module_imports_before_papermill_without_a_circle():
    import subprocess
    import sys

    probe = (
        "import kwh_calc.rendering.kernels as k, papermill.engines as e; "
        "print(e.papermill_engines.get_engine(k.ENGINE_NAME).__name__)"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "KeptKernelPlugin"


def test_the_executed_notebook_is_written_once_not_after_every_cell(tmp_path, monkeypatch):
    import papermill.engines as engines

    writes = []
    real = engines.write_ipynb
    monkeypatch.setattr(engines, "write_ipynb", lambda nb, path: writes.append(path) or real(nb, path))
    source = notebook(tmp_path / "n.ipynb", "x = 1", "y = 2", "z = 3", "print(x + y + z)")
    try:
        result = run(source, tmp_path / "n-out.ipynb", tmp_path)
    finally:
        shutdown_kernels()
    # Papermill's manager saves once as the run starts; the final notebook is written by
    # papermill.execute_notebook itself (not counted here) and holds every output.
    assert len(writes) == 1
    written = nbformat.read(tmp_path / "n-out.ipynb", as_version=4)
    assert written.cells[-1].outputs[0]["text"] == "6\n" == result.cells[-1].outputs[0]["text"]


def test_a_run_that_breaks_off_still_leaves_the_notebook_as_far_as_it_got(tmp_path, monkeypatch):
    # When execution itself breaks (not a cell error: papermill then writes nothing itself),
    # the engine's final save must keep what ran, now that it no longer saves after every cell.
    import kwh_calc.rendering.kernels as kernels

    class BreaksOff(kernels.PapermillNotebookClient):
        def papermill_execute_cells(self):
            for index, cell in enumerate(self.nb.cells[:2]):
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
                self.nb_man.cell_complete(cell, index)
            raise RuntimeError("kernel lost")

    monkeypatch.setattr(kernels, "PapermillNotebookClient", BreaksOff)
    source = notebook(tmp_path / "t.ipynb", "x = 1", "print('voor')", "print('na')")
    try:
        with pytest.raises(RuntimeError, match="kernel lost"):
            run(source, tmp_path / "t-out.ipynb", tmp_path)
    finally:
        shutdown_kernels()
    written = nbformat.read(tmp_path / "t-out.ipynb", as_version=4)
    assert written.cells[1].outputs
    assert written.cells[1].outputs[0]["text"] == "voor\n"
    assert not written.cells[2].outputs


def test_a_kept_kernel_starts_lean_and_clears_names_without_a_full_collection(tmp_path):
    source = notebook(
        tmp_path / "k.ipynb",
        "x = 1",
        "import sys\nfrom IPython import get_ipython\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'), get_ipython().history_manager.enabled,"
        " get_ipython().displayhook.do_full_cache, get_ipython().autoawait,"
        " get_ipython().kernel.log.isEnabledFor(10))",
    )
    try:
        result = run(source, tmp_path / "k-out.ipynb", tmp_path)
    finally:
        shutdown_kernels()
    assert result.cells[-1].outputs[0]["text"] == "None False 0 False False\n"


def test_kill_kernels_now_kills_without_asking(tmp_path):
    """What a worker's SIGTERM handler uses: no event loop, no reply awaited, the process gone."""
    import psutil

    from kwh_calc.rendering.kernels import _kernels, kill_kernels_now

    source = notebook(tmp_path / "k.ipynb", "x = 1")
    try:
        run(source, tmp_path / "k-out.ipynb", tmp_path)
        processes = [k.km.provisioner.process for k in _kernels.values() if k.km is not None]
        assert processes
        kill_kernels_now()
        for process in processes:
            process.wait(timeout=10)
            assert not psutil.pid_exists(process.pid) or psutil.Process(process.pid).status() == "zombie"
    finally:
        shutdown_kernels()
