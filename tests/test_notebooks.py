"""The committed notebooks: well-formed for papermill, and the analysts' example runs."""

import json
from pathlib import Path

import papermill
import pytest

from kwh_calc.close.run import load_documents

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_parameters_cell_and_tags_everywhere(path):
    notebook = json.loads(path.read_text())
    tags = [cell.get("metadata", {}).get("tags") for cell in notebook["cells"]]
    assert all(isinstance(t, list) for t in tags), "papermill needs a tags list on every cell"
    assert any("parameters" in t for t in tags)


def test_every_registered_document_exists():
    for document in load_documents():
        assert document.notebook.exists(), document.key


def test_analysis_example_runs_on_the_demo(demo_dir, tmp_path):
    out = papermill.execute_notebook(
        str(NOTEBOOKS[[p.name for p in NOTEBOOKS].index("analyse-voorbeeld.ipynb")]),
        str(tmp_path / "out.ipynb"),
        parameters={"DATA": str(demo_dir), "YEAR": 2025},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    outputs = [o for cell in out.cells for o in cell.get("outputs", [])]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs), "no altair chart"
    assert any("respondents on Reparaties" in "".join(o.get("text", "")) for o in outputs)
