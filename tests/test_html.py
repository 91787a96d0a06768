"""The built-in HTML engine: a self-contained page from an executed notebook's outputs."""

from __future__ import annotations

import json

import nbformat
import pytest

from kwh_calc.rendering.html import NL_FORMAT_LOCALE, render_html
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
