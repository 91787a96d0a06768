"""Both render engines on the e2e demo: the documents of the close, an analyst's notebook.

One close per engine per session (every document of params/documents.yml for one corporation
whose name holds Markdown and Typst specials); the Quarto close renders its documents in one
batch. The checks compare the two engines' PDFs and hold each to the house rules: no code,
Inter embedded, the provenance line, PDF/A-2a + PDF/UA-1 declared in Dutch, the name
literally, byte-identical re-renders.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pdfs import alt_texts, font_names, pdf_text, squeezed, standards
from pypdf import PdfReader
from typer.testing import CliRunner

from kwh_calc.close.run import _plan, load_documents, run_close
from kwh_calc.intake.dataset import load_dataset, write_dataset
from kwh_calc.intake.demo import generate_demo
from kwh_calc.intake.rules import load_rules
from kwh_calc.rendering.render import RenderError, RenderJob, project_root, render_notebooks

pytestmark = pytest.mark.e2e
YEAR = 2025
CORPORATION = "C001"  # an Aedes member: it gets every document
SPECIAL = "<Zuid> *Plus* [x] #1 @home $5"
NAME = f"Woonstichting {SPECIAL}"
ENGINES = ["builtin", "quarto"]
DOCUMENTS = [d.key for d in load_documents()]
# Figures as the documents print them: decimals with a comma, percentages.
FIGURE = re.compile(r"\d[\d.]*,\d+|\d+%")
CODE = ("import ", "markdown(", "table(", "chart(", "YearResults", "results_dir", "#|", "escape_markdown", "def ")


@pytest.fixture(scope="module")
def special_demo(tmp_path_factory) -> Path:
    """The 20-corporation demo with C001 named with Markdown and Typst specials."""
    tables = generate_demo(corporations=20, year=YEAR, seed=11)
    corporations = tables["corporations"].copy()
    corporations.loc[corporations["corporation_id"] == CORPORATION, "name"] = NAME
    tables["corporations"] = corporations
    return write_dataset(tables, tmp_path_factory.mktemp("special") / "data")


def _close(special_demo: Path, out: Path, engine: str, requested: str | None = None) -> dict[str, Path]:
    summary = run_close(special_demo, YEAR, out, corporations=[CORPORATION], engine=requested or engine, jobs=1)
    assert not summary.failed, [r.error for r in summary.failed]
    pdfs = {r.document: Path(r.pdf) for r in summary.records if r.pdf and r.pdf.endswith(".pdf")}
    assert sorted(pdfs) == sorted(DOCUMENTS)
    made = [r for r in summary.records if r.document in DOCUMENTS]
    # The engine that rendered, also in the inputs (a change of engine redoes the documents).
    assert {r.engine for r in made} == {r.inputs["engine"] for r in made} == {engine}
    return pdfs


@pytest.fixture(scope="module")
def builtin_close(special_demo, tmp_path_factory) -> dict[str, Path]:
    return _close(special_demo, tmp_path_factory.mktemp("builtin"), "builtin")


@pytest.fixture(scope="module")
def closes(special_demo, builtin_close, tmp_path_factory, quarto_cli) -> dict[str, dict[str, Path]]:
    """Engine → document → PDF of a close of CORPORATION."""
    # "auto" takes Quarto when it is on PATH, as on a researcher's workstation.
    return {
        "builtin": builtin_close,
        "quarto": _close(special_demo, tmp_path_factory.mktemp("quarto"), "quarto", "auto"),
    }


def _pdfs(engine: str, request) -> dict[str, Path]:
    if engine == "builtin":
        return request.getfixturevalue("builtin_close")
    return request.getfixturevalue("closes")["quarto"]


@pytest.mark.parametrize("engine", ENGINES)
def test_documents_follow_the_house_rules(engine, request, special_demo):
    dataset = load_dataset(special_demo)
    for document, path in _pdfs(engine, request).items():
        text = pdf_text(path)
        for code in CODE:
            assert code not in text, (engine, document, code)
        fonts = font_names(path)
        assert fonts, (engine, document)
        assert all(name.startswith("Inter-") for name in fonts), (engine, document, fonts)
        # The provenance line in the footer of every page: data, rule set, program and commit.
        assert text.count(f"Gegevens {dataset.fingerprint[:12]}") == len(PdfReader(path).pages), (engine, document)
        assert f"Regelset {load_rules(year=YEAR).version} (" in text
        assert re.search(r"kwh-workbench \S+ \(\S+\)", text), (engine, document)
        assert standards(path) == {"pdfa": "2A", "pdfua": "1", "lang": "nl-NL"}, (engine, document)
        assert all(alt.strip() for alt in alt_texts(path)), (engine, document)


@pytest.mark.parametrize("engine", ENGINES)
def test_special_characters_in_the_name_render_literally(engine, request):
    for document, path in _pdfs(engine, request).items():
        if document == "ckv-overzicht":
            continue  # national: lists corporations by id
        body = squeezed(pdf_text(path))
        # The cover, every running header and the body text; nowhere a character lost or added.
        pages = len(PdfReader(path).pages)
        assert body.count(squeezed(NAME)) >= pages + 1, (engine, document)
        assert body.count("Woonstichting") == body.count(squeezed(NAME)), (engine, document)
    assert SPECIAL in " ".join(alt_texts(_pdfs(engine, request)["aedes-huurdersoordeel"]))


@pytest.mark.quarto
def test_quarto_documents_equal_the_builtin_ones(closes):
    for document in DOCUMENTS:
        builtin, quarto = closes["builtin"][document], closes["quarto"][document]
        text_b, text_q = pdf_text(builtin), pdf_text(quarto)
        assert set(FIGURE.findall(text_q)) == set(FIGURE.findall(text_b)), document
        assert abs(len(PdfReader(quarto).pages) - len(PdfReader(builtin).pages)) <= 1, document
        assert len(alt_texts(quarto)) == len(alt_texts(builtin)), document
        # The same numbered tables and figures with their captions, the same headings.
        captions = re.compile(r"(?:Tabel|Figuur) \d+\.|^\d+(?:\.\d+)* [A-Z]", re.M)
        assert captions.findall(text_q) == captions.findall(text_b), document


@pytest.mark.quarto
def test_rerenders_are_byte_identical(closes, special_demo, tmp_path):
    """The close's executed notebooks rendered again, both engines: the same bytes."""
    dataset = load_dataset(special_demo)
    rules = load_rules(year=YEAR)
    for engine, pdfs in closes.items():
        out_dir = pdfs["resultaten"].parent.parent
        tasks, _ = _plan(
            dataset, rules, YEAR, out_dir, out_dir / "results", load_documents(), [CORPORATION], engine, True
        )
        jobs = [
            RenderJob(
                Path(t.executed),
                tmp_path / engine / Path(t.pdf).name,
                title=t.title,
                subtitle=t.subtitle,
                corporation=t.corporation_name,
                year=t.year,
                provenance=t.provenance,
                year_label=t.year_label,
                timestamp=__import__("datetime").datetime.fromisoformat(t.timestamp),
            )
            for t in tasks
        ]
        outcomes = render_notebooks(jobs, engine=engine)
        assert not [o for o in outcomes if isinstance(o, RenderError)]
        for job in jobs:
            original = pdfs[job.pdf_path.stem]
            assert job.pdf_path.read_bytes() == original.read_bytes(), (engine, job.pdf_path.stem)


# --------------------------------------------------------------------------- analysts


@pytest.fixture(scope="module")
def analysis(special_demo, tmp_path_factory, quarto_cli) -> dict[str, Path]:
    """notebooks/analyse-voorbeeld.ipynb run and rendered by `kwh render --engine quarto`, and
    the same executed notebook rendered by the built-in engine (one papermill run for both;
    tests/test_analysis.py runs `kwh render --engine builtin`)."""
    from kwh_calc.cli import app
    from kwh_calc.rendering.render import render_notebook

    folder = tmp_path_factory.mktemp("analysis")
    pdf = folder / "analyse-quarto.pdf"
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(project_root() / "notebooks" / "analyse-voorbeeld.ipynb"),
            "--out",
            str(pdf),
            "-p",
            f"DATA={special_demo}",
            "--engine",
            "quarto",
        ],
    )
    assert result.exit_code == 0, result.output
    builtin = render_notebook(
        pdf.with_suffix(".ipynb"),
        folder / "analyse-builtin.pdf",
        engine="builtin",
        title="Voorbeeldanalyse: aannemers op Reparaties in één regio",
    )
    return {"quarto": pdf, "builtin": builtin.pdf_path}


@pytest.mark.quarto
def test_kwh_render_runs_and_renders_an_analysts_notebook_with_both_engines(analysis):
    texts = {engine: pdf_text(path) for engine, path in analysis.items()}
    for engine, text in texts.items():
        assert "Voorbeeldanalyse: aannemers op Reparaties in één regio" in text, engine
        assert "respondents on Reparaties in 2025" in text, engine  # a printed result
        assert "alt.Chart" not in text, engine
        assert "import altair" not in text, engine
        assert standards(analysis[engine])["pdfua"] == "1"
    assert analysis["quarto"].with_suffix(".ipynb").is_file()  # the executed notebook, kept
    assert set(FIGURE.findall(texts["quarto"])) == set(FIGURE.findall(texts["builtin"]))


@pytest.mark.quarto
def test_quarto_render_in_the_project_gives_the_house_style(analysis, tmp_path, quarto_cli):
    """What an analyst types: `quarto render notebooks/X.ipynb` in (a copy of) the project."""
    root = project_root()
    shutil.copy(root / "_quarto.yml", tmp_path / "_quarto.yml")
    for name in ("_extensions", "fonts"):
        (tmp_path / name).symlink_to(root / name, target_is_directory=True)
    (tmp_path / "notebooks").mkdir()
    executed = json.loads(analysis["quarto"].with_suffix(".ipynb").read_text(encoding="utf-8"))
    (tmp_path / "notebooks" / "analyse.ipynb").write_text(json.dumps(executed), encoding="utf-8")
    proc = subprocess.run(
        [quarto_cli, "render", "notebooks/analyse.ipynb"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pdf = tmp_path / "notebooks" / "analyse.pdf"
    text = pdf_text(pdf)
    assert "KWH-Huurdersonderzoek" in text
    assert "Pagina 1 van" in text
    assert "import altair" not in text
    assert "load_dataset(" not in text
    # Inter for the text (printed values are verbatim, in Typst's mono font).
    assert {name.split("-")[0] for name in font_names(pdf)} <= {"Inter", "DejaVuSansMono"}
    assert any(name.startswith("Inter-Regular") for name in font_names(pdf))
    assert standards(pdf) == {"pdfa": "2A", "pdfua": "1", "lang": "nl-NL"}
