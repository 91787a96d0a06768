"""Tests of kwh_calc.rendering.render: executed notebook -> Dutch A4 PDF (built-in engine; Quarto where present).

Most notebooks are built with constructed outputs (fast); one is really executed with
nbclient, end to end. PDF text is read back with pypdf.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import textwrap
import zlib
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pypdf
import pytest
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
    new_raw_cell,
)
from pdfs import alt_texts, font_names, standards

from kwh_calc.common import paths
from kwh_calc.presentation import present
from kwh_calc.rendering import render
from kwh_calc.rendering.render import RenderError, RenderResult, render_notebook

PROVENANCE = {
    "dataset_fingerprint": "3f9a1c2b7d4e",
    "rules_version": "2026.1",
    "package_version": "0.1.0",
    "git_commit": "74cc2f4",
}
STAMP = datetime(2027, 2, 3, 9, 30, tzinfo=UTC)

SCORES = pd.DataFrame(
    {
        "Onderdeel": ["Nieuwe huurders", "Vertrokken huurders", "Reparaties"],
        "Score": ["7,4", "7,9", "8,1"],
        "Tevreden": ["85%", "91%", "88%"],
    }
)


# --------------------------------------------------------------------------- builders


def md_output(text: str):
    return new_output("display_data", data={"text/markdown": text, "text/plain": "<Markdown>"})


def svg_output(svg: str, caption: str | None = None):
    meta = {"kwh": {"caption": caption}} if caption else {}
    return new_output("display_data", data={"image/svg+xml": svg, "text/plain": "<SVG>"}, metadata=meta)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    raw = b"\x00" + b"\x1d\x4f\x73" * 8  # one row of 8 dark-blue pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", (8).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0]))
        + chunk(b"IDAT", zlib.compress(raw * 1))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bar_svg() -> str:
    data = pd.DataFrame({"Onderdeel": SCORES["Onderdeel"], "Score": [7.4, 7.9, 8.1]})
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("Score:Q", title="Gemiddeld rapportcijfer", scale=alt.Scale(domain=[0, 10])),
            y=alt.Y("Onderdeel:N", title=None, sort=None),
        )
    )
    return present.chart_svg(chart, height_pt=90)


def write_nb(path: Path, cells) -> Path:
    nb = new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nbformat.write(nb, str(path))
    return path


def report_cells(svg: str):
    return [
        new_markdown_cell(
            "## Samenvatting\n\nResultaten van de corporatie. Kosten € 12,50 – één enquête, geëvalueerd."
        ),
        new_code_cell(
            "#| include: false\nimport geheim  # HIDDEN_INCLUDE_CODE",
            outputs=[new_output("stream", name="stdout", text="HIDDEN_INCLUDE_OUTPUT\n")],
        ),
        new_code_cell(
            "verborgen_code = 1  # HIDDEN_ECHO_CODE",
            outputs=[md_output(present.markdown_table(SCORES, caption="Scores per onderdeel"))],
        ),
        new_markdown_cell("## Figuren\n\nZie @fig-scores."),
        new_code_cell("#| label: fig-scores\n#| fig-cap: Rapportcijfer per onderdeel", outputs=[svg_output(svg)]),
        new_code_cell(
            "#| output: asis\nprint('...')",
            outputs=[new_output("stream", name="stdout", text="Een **ASISVET** woord en *cursief*.\n")],
        ),
        new_code_cell("#| echo: true\nzichtbare_code = 2  # SHOWN_CODE", outputs=[]),
    ]


def render_kwargs(**extra):
    kwargs = dict(
        title="Resultaten KWH-Huurdersonderzoek",
        subtitle="Overzicht per onderdeel",
        corporation="Woonstichting Eén",
        year=2026,
        provenance=PROVENANCE,
        engine="builtin",
        timestamp=STAMP,
    )
    kwargs.update(extra)
    return kwargs


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)
    return text.replace("\xa0", " ")


# --------------------------------------------------------------------------- built-in engine


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, bar_svg):
    tmp = tmp_path_factory.mktemp("report")
    nb = write_nb(tmp / "report.ipynb", report_cells(bar_svg))
    workdir = tmp / "work"
    result = render_notebook(nb, tmp / "out" / "report.pdf", workdir=workdir, **render_kwargs())
    return result, pdf_text(result.pdf_path), workdir


def test_pdf_contains_cover_provenance_tables_charts(rendered):
    result, text, _ = rendered
    assert isinstance(result, RenderResult)
    assert result.engine == "builtin"
    assert result.pdf_path.is_file()
    assert result.pages == len(pypdf.PdfReader(str(result.pdf_path)).pages) >= 1
    assert result.duration_s > 0
    assert set(result.timings) >= {"export", "pandoc", "typst", "write"}
    for expected in [
        "Resultaten KWH-Huurdersonderzoek",
        "Overzicht per onderdeel",
        "Woonstichting Eén",
        "Onderzoeksjaar 2026",
        "3 februari 2027",
        "Pagina 1 van",
        *PROVENANCE.values(),
        "Regelset",
        "Nieuwe huurders",
        "7,4",
        "85%",
        "Tabel 1",
        "Scores per onderdeel",
        "Gemiddeld rapportcijfer",
        "Figuur 1",
        "Rapportcijfer per onderdeel",
        "€ 12,50 – één enquête, geëvalueerd",
    ]:
        assert expected in text, expected


def test_headings_are_shifted_not_numbered_from_zero(rendered):
    _, text, _ = rendered
    assert "1 Samenvatting" in text
    assert "2 Figuren" in text
    assert "0.1 Samenvatting" not in text
    assert "0.2" not in text


def test_cross_reference_becomes_dutch_ref(rendered):
    _, text, _ = rendered
    assert "Zie Figuur 1." in text


def test_code_hidden_unless_echo_true_and_include_false_drops_all(rendered):
    _, text, _ = rendered
    for hidden in ["HIDDEN_INCLUDE_CODE", "HIDDEN_INCLUDE_OUTPUT", "HIDDEN_ECHO_CODE", "verborgen_code", "#|"]:
        assert hidden not in text
    assert "zichtbare_code = 2" in text


def test_asis_output_is_formatted_markdown(rendered):
    _, text, workdir = rendered
    assert "ASISVET" in text
    assert "**" not in text
    typ = (workdir / "document.typ").read_text(encoding="utf-8")
    assert "#strong[ASISVET]" in typ
    assert "#emph[cursief]" in typ


def test_two_renders_are_byte_identical(tmp_path, bar_svg):
    nb = write_nb(tmp_path / "nb.ipynb", report_cells(bar_svg))
    a = render_notebook(nb, tmp_path / "a.pdf", workdir=tmp_path / "wa", **render_kwargs())
    b = render_notebook(nb, tmp_path / "b.pdf", workdir=tmp_path / "wb", **render_kwargs())
    assert a.pdf_path.read_bytes() == b.pdf_path.read_bytes()
    # Without a timestamp the fixed default is used: still reproducible, and no date on the cover.
    c = render_notebook(nb, tmp_path / "c.pdf", **render_kwargs(timestamp=None))
    d = render_notebook(nb, tmp_path / "d.pdf", **render_kwargs(timestamp=None))
    assert c.pdf_path.read_bytes() == d.pdf_path.read_bytes()
    assert "februari" not in pdf_text(c.pdf_path)


def test_typst_failure_leaves_no_pdf_and_no_temp_file(tmp_path):
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            new_markdown_cell("Tekst"),
            new_raw_cell("#undefined-function-xyz()", metadata={"format": "typst"}),
        ],
    )
    out = tmp_path / "out"
    with pytest.raises(RenderError) as info:
        render_notebook(nb, out / "report.pdf", **render_kwargs())
    err = info.value
    assert err.stage == "typst"
    assert "undefined-function-xyz" in err.message  # the line of the generated .typ
    assert (err.workdir / "document.typ").is_file()  # kept for debugging
    assert not out.exists() or list(out.iterdir()) == []
    shutil.rmtree(err.workdir)


def test_failed_render_keeps_previous_pdf_untouched(tmp_path):
    good = write_nb(tmp_path / "good.ipynb", [new_markdown_cell("Goed")])
    target = tmp_path / "report.pdf"
    render_notebook(good, target, **render_kwargs())
    before = target.read_bytes()
    bad = write_nb(tmp_path / "bad.ipynb", [new_raw_cell("#kapot(", metadata={"format": "typst"})])
    with pytest.raises(RenderError):
        render_notebook(bad, target, workdir=tmp_path / "w", **render_kwargs())
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["bad.ipynb", "good.ipynb", "report.pdf"]


def test_notebook_with_error_output_raises(tmp_path):
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            new_markdown_cell("Tekst"),
            new_code_cell(
                "1/0", outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
            ),
        ],
    )
    with pytest.raises(RenderError) as info:
        render_notebook(nb, tmp_path / "r.pdf", workdir=tmp_path / "w", **render_kwargs())
    assert info.value.stage == "export"
    assert "cell 2" in info.value.message
    assert "ZeroDivisionError" in info.value.message
    assert not (tmp_path / "r.pdf").exists()


def test_outputs_kinds_png_plain_html_and_escaped_metadata(tmp_path):
    png = base64.b64encode(tiny_png()).decode()
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            new_code_cell("x", outputs=[new_output("display_data", data={"image/png": png, "text/plain": "<img>"})]),
            new_code_cell(
                "42", outputs=[new_output("execute_result", data={"text/plain": "PLAINVALUE42"}, execution_count=1)]
            ),
            new_code_cell(
                "df",
                outputs=[
                    new_output(
                        "execute_result",
                        execution_count=2,
                        data={"text/html": "<table></table>", "text/plain": "DATAFRAME_REPR"},
                    )
                ],
            ),
            new_code_cell("import sys", outputs=[new_output("stream", name="stderr", text="STDERR_WARNING\n")]),
            new_code_cell(
                "#| tbl-cap: Respons per kanaal\n#| label: tbl-respons",
                outputs=[md_output(present.markdown_table(SCORES))],
            ),
            new_markdown_cell("Zie @tbl-respons; mail @kwh of <x>."),
        ],
    )
    result = render_notebook(
        nb, tmp_path / "r.pdf", workdir=tmp_path / "w", **render_kwargs(corporation="@home <Wonen> & Co")
    )
    text = pdf_text(result.pdf_path)
    assert "PLAINVALUE42" in text
    assert "DATAFRAME_REPR" not in text
    assert "STDERR_WARNING" not in text
    assert any("cell 3" in w and "text/html" in w for w in result.warnings)
    assert "@home <Wonen> & Co" in text
    assert "Tabel 1. Respons per kanaal" in text
    assert "Zie Tabel 1; mail @kwh of <x>." in text
    assert list((tmp_path / "w" / "figures").glob("*.png"))


def test_a_documents_cross_references_see_its_own_labels_only(tmp_path):
    """The kept pandoc filters one document after the other and collects a document's labels at
    its first citation (issue 13): a reference to a label of the document before is text."""
    table = new_code_cell("#| tbl-cap: Respons\n#| label: tbl-a", outputs=[md_output(present.markdown_table(SCORES))])
    first = write_nb(tmp_path / "a.ipynb", [table, new_markdown_cell("Zie @tbl-a.")])
    second = write_nb(tmp_path / "b.ipynb", [new_markdown_cell("Zie @tbl-a; en <x>.")])
    render_notebook(first, tmp_path / "a.pdf", workdir=tmp_path / "wa", **render_kwargs())
    result = render_notebook(second, tmp_path / "b.pdf", workdir=tmp_path / "wb", **render_kwargs())
    assert "#ref(<tbl-a>)" in (tmp_path / "wa" / "document.typ").read_text(encoding="utf-8")
    assert "#ref(" not in (tmp_path / "wb" / "document.typ").read_text(encoding="utf-8")
    assert "Zie @tbl-a; en <x>." in pdf_text(result.pdf_path)


@pytest.mark.parametrize("extra", ["", "Mail @kwh."])
def test_long_tables_get_automatic_column_widths(tmp_path, extra):
    """With or without the Lua filter (only run for text with @ or <), columns size to content."""
    long = SCORES.assign(Toelichting=["Boven de norm"] * 2 + ["Onder de norm: " + "lange uitleg " * 12])
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [new_markdown_cell(f"Tekst. {extra}"), new_code_cell("t", outputs=[md_output(present.markdown_table(long))])],
    )
    render_notebook(nb, tmp_path / "r.pdf", workdir=tmp_path / "w", **render_kwargs())
    typ = (tmp_path / "w" / "document.typ").read_text(encoding="utf-8")
    assert "columns: 4," in typ
    assert "%" not in typ.split("columns:")[1].split("\n")[0]


def test_long_table_breaks_across_pages_with_repeated_header(tmp_path):
    rows = pd.DataFrame({"Aannemer": [f"Aannemer {i:02d}" for i in range(90)], "Score": ["7,4"] * 90})
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [new_code_cell("t", outputs=[md_output(present.markdown_table(rows, caption="Lange tabel"))])],
    )
    result = render_notebook(nb, tmp_path / "r.pdf", **render_kwargs())
    pages = [page.extract_text() for page in pypdf.PdfReader(str(result.pdf_path)).pages]
    assert result.pages >= 2
    assert all(f"Aannemer {i:02d}" in "".join(pages) for i in range(90))
    assert all("Aannemer Score" in page for page in pages)  # the header row repeats


def test_export_markdown_options_and_front_matter():
    nb = json.loads(
        nbformat.writes(
            new_notebook(
                cells=[
                    new_raw_cell("---\nexecute:\n  echo: true\n---"),
                    new_code_cell("a = 1"),
                    new_code_cell("#| echo: false\nb = 2"),
                    new_code_cell("#| output: false\nc = 3", outputs=[md_output("VERBORGEN")]),
                ]
            )
        )
    )
    markdown, warnings = render.export_markdown(nb, None)
    assert "a = 1" in markdown
    assert "b = 2" not in markdown
    assert "c = 3" in markdown
    assert "VERBORGEN" not in markdown
    assert warnings == []


def test_parse_cell_options_and_heading_levels():
    options, code = render.parse_cell_options("#| label: fig-a\n#| fig-cap:\n#|   - Een\n#|   - Twee\nx = 1")
    assert options == {"label": "fig-a", "fig-cap": ["Een", "Twee"]}
    assert code == "x = 1"
    with pytest.raises(ValueError, match=r"invalid #\| cell options"):
        render.parse_cell_options("#| : : [\nx")
    assert render.min_heading_level("```\n# comment\n```\n\n### Kop\n\n## Kop") == 2
    assert render.min_heading_level("geen koppen") is None


def test_engine_choice(monkeypatch):
    with pytest.raises(ValueError, match="unknown render engine 'latex'"):
        render.choose_engine("latex")
    monkeypatch.setenv("PATH", "")
    assert render.choose_engine("auto") == "builtin"
    with pytest.raises(RenderError):
        render.choose_engine("quarto")


def test_require_engine_names_a_missing_pandoc(monkeypatch):
    import pypandoc

    assert render.require_engine("builtin") == "builtin"

    def missing():
        raise OSError("No pandoc was found")

    monkeypatch.setattr(pypandoc, "get_pandoc_path", missing)
    render._pandoc_path.cache_clear()
    try:
        with pytest.raises(RenderError, match=r"pandoc not found.*pypandoc-binary") as caught:
            render.require_engine("builtin")
        assert caught.value.stage == "pandoc"
    finally:
        monkeypatch.undo()
        render._pandoc_path.cache_clear()


def test_render_markdown_goes_the_notebook_way(tmp_path):
    """Markdown made by a view renders as the one Markdown cell of a notebook would."""
    markdown = "## Kop\n\nTekst met *nadruk*.\n\n" + present.markdown_table(SCORES)
    result = render.render_markdown(
        markdown, tmp_path / "md.pdf", title="Een verslag", provenance=PROVENANCE, engine="builtin", timestamp=STAMP
    )
    nb = new_notebook(cells=[new_markdown_cell(markdown)])
    nbformat.write(nb, tmp_path / "same.ipynb")
    same = render_notebook(
        tmp_path / "same.ipynb",
        tmp_path / "nb.pdf",
        title="Een verslag",
        provenance=PROVENANCE,
        engine="builtin",
        timestamp=STAMP,
    )
    assert result.pdf_path.read_bytes() == same.pdf_path.read_bytes()
    text = pypdf.PdfReader(result.pdf_path).pages[0].extract_text()
    assert "Een verslag" in text
    assert "Kop" in text
    assert "Reparaties" in text


def test_project_files_are_consistent():
    """The house style is one Quarto format extension that _quarto.yml uses and both engines read."""
    root = render.project_root()
    config = render._quarto_config()
    assert config["lang"] == "nl"
    assert list(config["format"]) == [render.FORMAT]
    assert config["format"][render.FORMAT]["keep-typ"] is False
    options = render.format_options()
    assert options["papersize"] == "a4"
    assert options["lang"] == "nl"
    assert render.pdf_standards() == ["a-2a", "ua-1"]
    extension = paths.templates_dir()
    assert extension == root / "_extensions" / "kwh"
    for partial in options["template-partials"]:
        assert (extension / partial).is_file()
    assert [Path(p).name for p in options["template-partials"]] == ["typst-template.typ", "typst-show.typ"]
    for entry in options["filters"]:
        assert (extension / entry["path"]).is_file()
    assert not list(root.glob("templates/*.typ")), "one copy of the house style, in _extensions/kwh"
    # Quarto reads font-paths relative to each document unless they start with "/" (the project).
    assert options["font-paths"] == ["/fonts"]
    fonts = paths.fonts_dir()
    assert (fonts / "OFL.txt").is_file()
    assert {p.name for p in fonts.glob("*.otf")} >= {"Inter-Regular.otf", "Inter-Bold.otf", "Inter-Italic.otf"}
    assert sum(p.stat().st_size for p in fonts.iterdir()) < 3_000_000


def test_pdfs_declare_pdf_a_and_ua_with_alt_text_and_dutch(rendered):
    path = rendered[0].pdf_path
    assert standards(path) == {"pdfa": "2A", "pdfua": "1", "lang": "nl-NL"}
    assert "Rapportcijfer per onderdeel" in alt_texts(path)
    # Inter embedded for the text; the one code cell shown (echo: true) is in Typst's mono font.
    assert {name.split("-")[0] for name in font_names(path)} == {"Inter", "DejaVuSansMono"}


def test_every_image_gets_alt_text(tmp_path, bar_svg):
    """PDF/UA refuses an image without alt text: a chart without caption gets one anyway;
    present.chart(alt=...) gives its own; a caption's Markdown escapes are not read out."""
    own = svg_output(bar_svg)
    own.metadata = {"kwh": {"alt": 'Staafdiagram "scores"', "caption": r"Scores van \<Zuid\>"}}
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            new_code_cell("c", outputs=[svg_output(bar_svg)]),
            new_code_cell("d", outputs=[svg_output(bar_svg, r"Scores van \<Zuid\>")]),
            new_code_cell("e", outputs=[own]),
        ],
    )
    result = render_notebook(nb, tmp_path / "a.pdf", workdir=tmp_path / "w", **render_kwargs())
    assert 'fig-alt="Grafiek"' in (tmp_path / "w" / "document.md").read_text(encoding="utf-8")
    assert alt_texts(result.pdf_path) == ["Grafiek", "Scores van <Zuid>", "Staafdiagram 'scores'"]


# --------------------------------------------------------------------------- quarto engine


def test_quarto_engine_plumbing_with_a_stand_in_cli(tmp_path, monkeypatch, bar_svg):
    """A fake `quarto` on PATH: checks what the engine hands Quarto, without Quarto."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "quarto-args.json"
    sample = tmp_path / "sample.pdf"
    sample.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Page >> endobj\n%%EOF\n")
    script = bindir / "quarto"
    script.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import json, os, shutil, sys, yaml
        json.dump({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                   "epoch": os.environ.get("SOURCE_DATE_EPOCH")}}, open({str(log)!r}, "w"))
        for name in yaml.safe_load(open("_quarto.yml"))["project"]["render"]:
            shutil.copy({str(sample)!r}, name.replace(".ipynb", ".pdf"))
        """)
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    cells = [
        new_markdown_cell("## Kop"),
        new_code_cell("#| label: fig-x\npresent.chart(c)", outputs=[svg_output(bar_svg, "Bijschrift")]),
        new_code_cell("present.chart(c)", outputs=[svg_output(bar_svg, "Zonder label")]),
        new_code_cell("import geheim  # CODE", outputs=[md_output(present.markdown_table(SCORES))]),
    ]
    nb = write_nb(tmp_path / "nb.ipynb", cells)
    jobs = [
        render.RenderJob(
            nb,
            tmp_path / f"out{i}.pdf",
            title=f"Titel {i}",
            corporation="Woonstichting Eén",
            year=2026,
            provenance=PROVENANCE,
            timestamp=STAMP,
        )
        for i in range(3)
    ]
    results = render.render_notebooks(jobs, engine="auto", workdir=tmp_path / "w")
    assert [r.engine for r in results] == ["quarto"] * 3
    assert all(r.pages == 1 for r in results)
    assert (tmp_path / "out2.pdf").read_bytes() == sample.read_bytes()
    call = json.loads(log.read_text())
    # One call renders the whole batch (the project's files), without executing.
    assert call["argv"] == ["render", "--to", "kwh-typst", "--no-execute"]
    assert call["epoch"] == str(int(STAMP.timestamp()))
    work = Path(call["cwd"])
    import yaml

    project = yaml.safe_load((work / "_quarto.yml").read_text())
    assert project["project"]["render"] == ["doc-0000.ipynb", "doc-0001.ipynb", "doc-0002.ipynb"]
    assert project["format"]["kwh-typst"]["font-paths"] == ["/fonts"]
    assert (work / "fonts" / "OFL.txt").is_file()
    assert (work / "_extensions" / "kwh" / "_extension.yml").is_file()
    handed = json.loads((work / "doc-0001.ipynb").read_text())
    meta = yaml.safe_load("".join(handed["cells"][0]["source"]).strip().strip("-"))
    assert meta["title"] == "Titel 1"
    assert meta["corporation"] == "Woonstichting Eén"
    assert meta["year"] == "2026"
    assert meta["shift-heading-level-by"] == -1
    assert {"label": "Dataset", "value": "3f9a1c2b7d4e"} in meta["provenance"]
    outputs = ["".join(c["outputs"][0]["data"]["text/markdown"]) for c in handed["cells"] if c["cell_type"] == "code"]
    # The same Markdown as the built-in export; captioned figures get a label (quarto-cli#11733).
    assert outputs[0].startswith("![Bijschrift](doc-0001-figures/cell002-1.svg){#fig-x fig-alt=")
    assert outputs[1].startswith("![Zonder label](doc-0001-figures/cell003-1.svg){#fig-kwh-3-1 fig-alt=")
    assert "| Onderdeel |" in outputs[2]
    assert all("".join(c["source"]) == "#| echo: false" for c in handed["cells"] if c["cell_type"] == "code")
    assert "geheim" not in json.dumps(handed)


@pytest.mark.quarto
def test_quarto_engine_renders_the_same_report(tmp_path, bar_svg, quarto_cli):
    nb = write_nb(tmp_path / "nb.ipynb", report_cells(bar_svg))
    result = render_notebook(nb, tmp_path / "q.pdf", **render_kwargs(engine="quarto"))
    text = pdf_text(result.pdf_path)
    assert result.engine == "quarto"
    for expected in [
        "Resultaten KWH-Huurdersonderzoek",
        "Woonstichting Eén",
        "Pagina 1 van",
        "3f9a1c2b7d4e",
        "Tabel 1. Scores per onderdeel",
        "Figuur 1. Rapportcijfer per onderdeel",
        "Gemiddeld rapportcijfer",
        "Zie Figuur 1",
        "SHOWN_CODE",
    ]:
        assert expected in text, expected
    assert "HIDDEN_ECHO_CODE" not in text
    assert "HIDDEN_INCLUDE_OUTPUT" not in text


# --------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_executed_notebook_end_to_end(tmp_path):
    """A notebook really executed by a kernel, with present.table and present.chart."""
    from nbclient import NotebookClient

    source = textwrap.dedent("""\
        import altair as alt
        import pandas as pd
        from kwh_calc.presentation import present
        df = pd.DataFrame({"Onderdeel": ["Reparaties", "Nieuwe huurders"], "Score": [8.12, 7.45]})
        """)
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Resultaten\n\nDe scores van dit jaar."),
            new_code_cell(source),
            new_code_cell("present.table(df.assign(Score=['8,1', '7,5']), caption='Scores uit de kernel')"),
            new_code_cell(
                "present.chart(alt.Chart(df).mark_bar().encode(\n"
                "    x=alt.X('Score:Q', title='Score in de kernel'), y=alt.Y('Onderdeel:N', title=None)),\n"
                "    caption='Grafiek uit de kernel', height_pt=80)"
            ),
        ],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    )
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, str(path))
    result = render_notebook(path, tmp_path / "e2e.pdf", **render_kwargs())
    text = pdf_text(result.pdf_path)
    for expected in [
        "1 Resultaten",
        "Tabel 1. Scores uit de kernel",
        "Reparaties",
        "8,1",
        "Score in de kernel",
        "Figuur 1. Grafiek uit de kernel",
        "Pagina 1 van 1",
    ]:
        assert expected in text, expected
    assert "import altair" not in text


def test_sticky_intro_stays_with_its_table(tmp_path):
    """present.table(intro=…) wraps the intro in a sticky Typst block: heading, intro and table
    share a page, however much text came before."""
    filler = [md_output("Vultekst. " * 100 + "\n")]  # the intro lands near the bottom of page 1
    rows = pd.DataFrame({"Onderdeel": [f"Onderdeel {i}" for i in range(12)], "Score": ["7,4"] * 12})
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            new_code_cell("v", outputs=filler * 3),
            new_code_cell(
                "t",
                outputs=[
                    md_output(present.sticky("## Kop\n\nINTROZIN bij de tabel.")),
                    md_output(present.markdown_table(rows, caption="Tabel bij de intro")),
                ],
            ),
        ],
    )
    result = render_notebook(nb, tmp_path / "r.pdf", workdir=tmp_path / "w", **render_kwargs())
    assert "#block(sticky: true)[" in (tmp_path / "w" / "document.typ").read_text(encoding="utf-8")
    pages = [page.extract_text() for page in pypdf.PdfReader(str(result.pdf_path)).pages]
    intro = next(i for i, page in enumerate(pages) if "INTROZIN" in page)
    assert "Tabel bij de intro" in pages[intro]
    assert "Onderdeel 11" in pages[intro]


# --------------------------------------------------------------------------- the pandoc process

#: Markdown that exercises what the pandoc step does: a setext title that a negative heading
#: shift turns into the document title, CRLF line ends, a tab, a citation and raw HTML for the
#: filter, a pipe table, an image with alt text and a warning (a duplicate link reference).
TRICKY_MARKDOWN = (
    "Titel\r\n=====\r\n\r\nTekst\tmet @kwh en <5 respondenten> en [a].\r\n\r\n"
    "[a]: https://example.org\r\n[a]: https://example.com\r\n\r\n## Onderdeel\r\n\r\n"
    "| Onderdeel | Score |\r\n|---|--:|\r\n| Reparaties | 7,4 |\r\n\r\n"
    '![Scores](figures/x.svg){fig-alt="Staafdiagram" width=100%}\r\n'
)


def _pandoc_command(md: Path, meta: Path, typ: Path, shift: int, lua_filter: bool) -> list[str]:
    """The pandoc command the built-in engine ran per document before the pandoc process was kept."""
    templates = paths.templates_dir()
    cmd = [
        render._pandoc_path(),
        str(md),
        "--from=markdown",
        "--to=typst",
        "--wrap=preserve",
        "--columns=100000",
        f"--template={templates / 'kwh-builtin.typ'}",
        f"--metadata-file={meta}",
        f"--output={typ}",
    ]
    if lua_filter:
        cmd.append(f"--lua-filter={templates / 'kwh-builtin.lua'}")
    if shift:
        cmd.append(f"--shift-heading-level-by={shift}")
    return cmd


@pytest.mark.parametrize("shift", [0, -1, 1])
@pytest.mark.parametrize("lua_filter", [True, False])
def test_kept_pandoc_process_writes_what_the_pandoc_command_writes(tmp_path, shift, lua_filter):
    import subprocess

    md, meta = tmp_path / "document.md", tmp_path / "metadata.yml"
    md.write_bytes(TRICKY_MARKDOWN.encode())
    meta.write_text(
        "corporation: Woonstichting *Test*\nprovenance:\n- label: Dataset\n  value: 3f9a\n"
        "title: Resultaten\nyear: '2026'\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        _pandoc_command(md, meta, tmp_path / "command.typ", shift, lua_filter), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    # The filter runs when the Markdown needs it; "@" makes it so, and plain text does not.
    warnings = render._run_pandoc(md, meta, tmp_path / "kept.typ", shift, tmp_path, "@" if lua_filter else "")
    assert (tmp_path / "kept.typ").read_bytes() == (tmp_path / "command.typ").read_bytes()
    assert warnings == [f"pandoc: {line}" for line in proc.stderr.splitlines() if line.strip()]
    assert any("Duplicate link reference" in w and str(md) in w for w in warnings)


def test_a_pandoc_failure_fails_its_document_only(tmp_path):
    md, meta = tmp_path / "document.md", tmp_path / "metadata.yml"
    md.write_text("# Kop\n\nTekst.\n", encoding="utf-8")
    meta.write_text("title: [unclosed\n", encoding="utf-8")  # YAML pandoc cannot read
    with pytest.raises(RenderError) as caught:
        render._run_pandoc(md, meta, tmp_path / "bad.typ", 0, tmp_path, "")
    assert caught.value.stage == "pandoc"
    assert "YAML" in caught.value.message
    meta.write_text("title: Goed\n", encoding="utf-8")
    render._run_pandoc(md, meta, tmp_path / "good.typ", 0, tmp_path, "")
    assert "title: [Goed]" in (tmp_path / "good.typ").read_text(encoding="utf-8")


def _tiny_document(folder):
    """A one-line document and its metadata file, for the kept pandoc's tests."""
    md, meta = folder / "document.md", folder / "metadata.yml"
    md.write_text("Tekst.\n", encoding="utf-8")
    meta.write_text("title: Een\n", encoding="utf-8")
    return md, meta


def test_a_pandoc_process_that_died_is_replaced(tmp_path):
    md, meta = _tiny_document(tmp_path)
    render._run_pandoc(md, meta, tmp_path / "one.typ", 0, tmp_path, "")
    server = render._pandoc_server
    assert server is not None
    server.proc.kill()
    server.proc.wait()
    render._run_pandoc(md, meta, tmp_path / "two.typ", 0, tmp_path, "")
    assert render._pandoc_server is not server
    assert (tmp_path / "two.typ").read_bytes() == (tmp_path / "one.typ").read_bytes()


def test_a_hung_pandoc_times_out_and_is_replaced(tmp_path, monkeypatch):
    md, meta = _tiny_document(tmp_path)
    render._run_pandoc(md, meta, tmp_path / "one.typ", 0, tmp_path, "")
    server = render._pandoc_server
    assert server is not None
    os.kill(server.proc.pid, signal.SIGSTOP)  # the process stays, but never answers
    monkeypatch.setattr(render, "PANDOC_TIMEOUT_S", 0.5)
    with pytest.raises(RenderError, match="timed out") as caught:
        render._run_pandoc(md, meta, tmp_path / "two.typ", 0, tmp_path, "")
    assert caught.value.stage == "pandoc"
    assert server.proc.poll() is not None  # killed, not left behind
    render._run_pandoc(md, meta, tmp_path / "three.typ", 0, tmp_path, "")
    assert (tmp_path / "three.typ").read_bytes() == (tmp_path / "one.typ").read_bytes()


@pytest.mark.parametrize("ending", ["closed", "killed"])
def test_a_kept_pandoc_leaves_nothing_in_the_temporary_folder(tmp_path, monkeypatch, ending):
    """`pandoc lua` keeps a history file (pandoc-hist<pid>-0) in its temporary folder: once left
    in /tmp by every worker of every close. The kept process has a folder of its own, removed
    when it ends, whether it stopped by itself or had to be killed."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    md, meta = _tiny_document(tmp_path)
    render._close_pandoc_server()
    render._run_pandoc(md, meta, tmp_path / "one.typ", 0, tmp_path, "")
    server = render._pandoc_server
    assert server is not None
    assert any(temporary.iterdir())  # its own folder, with pandoc's file in it
    if ending == "killed":
        os.kill(server.proc.pid, signal.SIGSTOP)  # does not end by itself: killed after PANDOC_CLOSE_S
        monkeypatch.setattr(render, "PANDOC_CLOSE_S", 0.2)
    render._close_pandoc_server()
    assert server.proc.poll() is not None
    assert list(temporary.iterdir()) == []


def test_a_kept_pandoc_keeps_no_document_after_its_request(tmp_path):
    """The filter holds the document it filters (its labels are collected at the first
    citation); held past its request, every document stayed in the kept pandoc's memory
    (≈0,5 MB for a document of the close). Twenty larger documents must leave it flat."""
    import psutil

    md, meta = _tiny_document(tmp_path)
    rows = "".join(f"| Aannemer {i} met een lange naam | {i},5 | @kwh |\n" for i in range(1000))
    md.write_text(TRICKY_MARKDOWN.replace("\r", "") + "| A | B | C |\n|---|--:|---|\n" + rows, encoding="utf-8")
    render._close_pandoc_server()

    def convert(times: int) -> int:
        for _ in range(times):
            render._run_pandoc(md, meta, tmp_path / "out.typ", 0, tmp_path, "@")
        assert render._pandoc_server is not None
        return psutil.Process(render._pandoc_server.proc.pid).memory_info().rss

    settled = convert(5)
    assert convert(15) - settled < 20 * 2**20  # held documents: ≈60 MB more
    render._close_pandoc_server()


def test_a_forked_process_starts_its_own_pandoc(tmp_path):
    md, meta = _tiny_document(tmp_path)
    render._run_pandoc(md, meta, tmp_path / "parent.typ", 0, tmp_path, "")
    parent = render._pandoc_server
    assert parent is not None
    pid = os.fork()
    if pid == 0:  # the child: its own process, the parent's untouched
        try:
            render._run_pandoc(md, meta, tmp_path / "child.typ", 0, tmp_path, "")
            own = render._pandoc_server is not parent
            render._close_pandoc_server()
            os._exit(0 if own else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.alive()
    assert (tmp_path / "child.typ").read_bytes() == (tmp_path / "parent.typ").read_bytes()
    render._run_pandoc(md, meta, tmp_path / "again.typ", 0, tmp_path, "")
    assert render._pandoc_server is parent
