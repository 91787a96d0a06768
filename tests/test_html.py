"""The HTML engines: a self-contained page from an executed notebook's outputs (built-in and Quarto)."""

from __future__ import annotations

import json

import nbformat
import pytest

from kwh_calc.rendering.html import (
    NL_FORMAT_LOCALE,
    _page,
    _raw_html_block,
    quarto_html_document,
    render_html,
    render_quarto_html,
)
from kwh_calc.rendering.render import RenderError

MIME = "application/vnd.kwh.vegalite+json"


def _notebook(tmp_path, outputs) -> str:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = outputs
    notebook.cells = [cell]
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, str(path))
    return path


def _display(data):
    return nbformat.v4.new_output("display_data", data=data)


def test_page_holds_html_charts_font_locale_and_bundle(tmp_path):
    spec = {"mark": "bar", "data": {"values": [{"a": "</script><script>alert(1)</script>"}]}, "description": "d"}
    path = _notebook(
        tmp_path,
        [
            _display({"text/html": "<section><h2>Kop</h2></section>", "text/plain": ""}),
            _display(
                {MIME: {"spec": spec, "title": "Titel", "description": "Wat de grafiek <toont>"}, "text/plain": "Titel"}
            ),
        ],
    )
    result = render_html(path, tmp_path / "out.html", title="T & co", footer="voet <x>", bundle="/*BUNDLE*/")
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert result.size_bytes == len(page.encode("utf-8"))
    assert result.engine == "builtin-html"
    assert "<section><h2>Kop</h2></section>" in page
    assert "/*BUNDLE*/" in page
    assert "data:font/otf;base64," in page
    assert json.dumps(NL_FORMAT_LOCALE, separators=(",", ":"), ensure_ascii=False) in page
    assert "<title>T &amp; co</title>" in page
    assert "voet &lt;x&gt;" in page
    assert 'aria-label="Wat de grafiek &lt;toont&gt;"' in page
    # Chart data can never close the script element that carries it.
    assert "</script><script>alert(1)" not in page
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page


def test_an_error_output_is_refused(tmp_path):
    error = nbformat.v4.new_output("error", ename="KeyError", evalue="'C999'", traceback=[])
    with pytest.raises(RenderError, match="KeyError"):
        render_html(_notebook(tmp_path, [error]), tmp_path / "out.html", title="t", footer="f", bundle="")
    assert not (tmp_path / "out.html").exists()


# --------------------------------------------------------------------------- Quarto's html format


def test_a_raw_block_cannot_be_closed_by_backticks_in_the_page():
    block = _raw_html_block("<p>```` code ````</p>")
    fence = block.split("{=html}")[0]
    assert set(fence) == {"`"}
    assert len(fence) == 5
    assert block.endswith(f"\n{fence}\n")


def test_quarto_document_is_minimal_self_contained_and_dutch(tmp_path):
    path = _notebook(tmp_path, [_display({"text/html": "<section><h2>Kop</h2></section>", "text/plain": ""})])
    document, files = quarto_html_document(_page(path, "voet"), "T & co", tmp_path / "bundle.html")
    front = json.loads(document.split("---\n")[1])
    html_format = front["format"]["html"]
    assert front["lang"] == "nl"
    assert front["pagetitle"] == "T & co"
    assert html_format["embed-resources"] is True
    assert html_format["minimal"] is True
    assert html_format["include-after-body"] == [str(tmp_path / "bundle.html"), "embed.html"]
    assert "<section><h2>Kop</h2></section>" in document
    assert "Content-Security-Policy" in files["header.html"]
    assert "project:" in files["_quarto.yml"]  # a project of its own: the repository's _quarto.yml stays out


def test_quarto_renders_the_same_page(tmp_path, quarto_cli):
    spec = {"mark": "bar", "data": {"values": [{"a": "</script><script>alert(1)</script>"}]}, "description": "d"}
    path = _notebook(
        tmp_path,
        [
            _display({"text/html": "<section><h2>Kop</h2><p>`x` ```</p></section>", "text/plain": ""}),
            _display({MIME: {"spec": spec, "title": "Titel", "description": "Wat <toont>"}, "text/plain": "Titel"}),
        ],
    )
    bundle = tmp_path / "vega-bundle-test.js"
    bundle.write_text("/*BUNDLE*/", encoding="utf-8")
    result = render_quarto_html(
        path, tmp_path / "out.html", title="T & co", footer="voet <x>", bundle_path=bundle, workdir=tmp_path / "q"
    )
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert result.engine == "quarto-html"
    assert result.size_bytes == len(page.encode("utf-8"))
    assert "<section><h2>Kop</h2><p>`x` ```</p></section>" in page
    assert "/*BUNDLE*/" in page
    assert "vegaEmbed" in page
    assert "<title>T &amp; co</title>" in page
    assert "voet &lt;x&gt;" in page
    assert "</script><script>alert(1)" not in page
    assert "default-src &#39;none&#39;" in page  # pandoc writes the policy's quotes as entities
    assert 'lang="nl"' in page
    assert not (tmp_path / "q").exists()  # Quarto's working files are gone


def test_quarto_refuses_an_error_output_before_it_runs(tmp_path):
    error = nbformat.v4.new_output("error", ename="KeyError", evalue="'C999'", traceback=[])
    bundle = tmp_path / "b.js"
    bundle.write_text("", encoding="utf-8")
    with pytest.raises(RenderError, match="KeyError"):
        render_quarto_html(
            _notebook(tmp_path, [error]),
            tmp_path / "out.html",
            title="t",
            footer="f",
            bundle_path=bundle,
            workdir=tmp_path / "q",
        )
    assert not (tmp_path / "out.html").exists()
