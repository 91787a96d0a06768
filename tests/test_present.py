"""Tests of kwh_calc.presentation.present: tables, charts and text that render in both engines."""

from __future__ import annotations

import re
import subprocess
from unittest import mock

import altair as alt
import numpy as np
import pandas as pd
import pytest

from kwh_calc.presentation import present


def _pandoc_plain(markdown: str) -> str:
    import pypandoc

    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "plain", "--wrap=none"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.mark.parametrize(
    "text",
    [
        "@kwh",
        "zie <x> en <5 respondenten>",
        "a | b",
        "*niet cursief* en _ook niet_",
        "`code` [link](x) $5 & ~ ^ # \\ backslash",
        "Eén, ë, € 12,50 – 7,4",
    ],
)
def test_escape_markdown_shows_text_literally(text):
    assert _pandoc_plain(present.escape_markdown(text)) == text


def test_markdown_table_alignment_and_dutch_cells():
    df = pd.DataFrame(
        {
            "Onderdeel": ["Nieuwe huurders", "Reparaties"],
            "Score": ["7,4", "8,0"],
            "Tevreden": ["85%", "–"],
            "Respondenten": [1234, 56],
            "Gemiddelde": [7.45, np.nan],
        }
    )
    text = present.markdown_table(df, caption="Scores per onderdeel")
    lines = text.strip().split("\n")
    assert lines[0] == "| Onderdeel | Score | Tevreden | Respondenten | Gemiddelde |"
    assert lines[1] == "|:---|---:|---:|---:|---:|"
    assert lines[2] == "| Nieuwe huurders | 7,4 | 85% | 1.234 | 7,5 |"
    assert lines[3] == "| Reparaties | 8,0 | – | 56 | – |"
    assert lines[-1] == ": Scores per onderdeel"


def test_markdown_table_fallback_formats_are_dutch():
    df = pd.DataFrame(
        {
            "a": [True, False],
            "b": pd.to_datetime(["2026-03-01", None]),
            "c": pd.array([1, None], dtype="Int64"),
            "d": ["x", 2.25],
        }
    )
    rows = present.markdown_table(df).strip().split("\n")[2:]
    assert rows == ["| ja | 01-03-2026 | 1 | x |", "| nee | – | – | 2,3 |"]


def test_markdown_table_escapes_cells_and_keeps_named_index():
    df = pd.DataFrame({"Opmerking": ["a|b @kwh <x>"]}, index=pd.Index(["K1"], name="Corporatie"))
    text = present.markdown_table(df)
    assert text.split("\n")[0] == "| Corporatie | Opmerking |"
    assert r"a\|b \@kwh \<x\>" in text
    assert "|:---|:---|" in text


def test_markdown_table_numbers_with_suppression_markers_stay_right_aligned():
    df = pd.DataFrame(
        {
            "Aannemer": ["A", "B", "C"],
            "Score": ["7,4", "< 5 resp.", "8,0"],
            "Vorig jaar": ["–", "–", "–"],
            "Landelijk": ["7,6 (30)", "€ 12,50", "-0,5"],
        }
    )
    assert "|:---|---:|---:|---:|" in present.markdown_table(df)


def test_markdown_table_explicit_align():
    df = pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["1"]})
    assert "|:---|:---:|---:|" in present.markdown_table(df, align="lcr")
    assert "|---:|:---|---:|" in present.markdown_table(df, align={"a": "r"})
    with pytest.raises(ValueError, match="align 'lr' has 2 letters for 3 columns"):
        present.markdown_table(df, align="lr")


def test_table_markdown_and_chart_display_the_right_mime_types():
    df = pd.DataFrame({"Kanaal": ["Online"], "Respons": ["310"]})
    chart = (
        alt.Chart(pd.DataFrame({"x": ["a", "b"], "y": [7.25, 8.5]}))
        .mark_bar()
        .encode(x=alt.X("x:N", title="Onderdeel"), y=alt.Y("y:Q", title="Rapportcijfer"))
    )
    with mock.patch("IPython.display.display") as display:
        present.table(df, caption="Respons")
        present.markdown("**vet**")
        present.chart(chart, caption="Scores", label="fig-scores")
    table_obj, markdown_obj, chart_call = (display.call_args_list[i] for i in range(3))
    assert table_obj.args[0].data.startswith("| Kanaal | Respons |")
    assert markdown_obj.args[0].data == "**vet**"
    bundle = chart_call.args[0]
    assert set(bundle) == {"image/svg+xml"}
    assert chart_call.kwargs["raw"] is True
    assert chart_call.kwargs["metadata"] == {"kwh": {"caption": "Scores", "label": "fig-scores"}}


def test_chart_keeps_its_alt_text_as_data_in_the_output_metadata():
    chart = (
        alt.Chart(pd.DataFrame({"x": ["a"], "y": [7.25]}))
        .mark_bar()
        .encode(x="x:N", y="y:Q")
        .properties(description="Staafdiagram: onderdeel a 7,3.")
    )
    assert present.chart_alt_text(chart) == "Staafdiagram: onderdeel a 7,3."
    with mock.patch("IPython.display.display") as display:
        present.chart(chart, caption="Scores")
        present.chart(chart, alt="Eigen tekst.")
    assert display.call_args_list[0].kwargs["metadata"] == {
        "kwh": {"caption": "Scores", "alt": "Staafdiagram: onderdeel a 7,3."}
    }
    assert display.call_args_list[1].kwargs["metadata"] == {"kwh": {"alt": "Eigen tekst."}}


def test_chart_svg_is_dutch_sized_and_uses_the_bundled_font():
    data = pd.DataFrame({"Jaar": ["2024", "2025", "2026"], "Score": [7.25, 7.5, 1234.5]})
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("Jaar:O", title="Onderzoeksjaar"),
            y=alt.Y("Score:Q", title="Rapportcijfer", axis=alt.Axis(format=",.1f")),
        )
    )
    svg = present.chart_svg(chart, width_pt=300)
    width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))
    assert width == pytest.approx(400, abs=1)  # 300 pt = 400 px
    assert "Onderzoeksjaar" in svg
    assert "Rapportcijfer" in svg
    assert 'font-family="Inter' in svg
    assert "1.200,0" in svg  # nl-NL: thousands dot, decimal comma


def test_chart_svg_keeps_step_heights_and_clips_bars():
    data = pd.DataFrame({"o": ["a", "b"], "r": ["x", "y"], "s": [7.0, 8.0]})
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(x=alt.X("s:Q", scale=alt.Scale(domain=[1, 10])), y="o:N", yOffset="r:N")
        .properties(height=alt.Step(11))
    )
    svg = present.chart_svg(bars)
    height = float(re.search(r'<svg[^>]*\sheight="([\d.]+)"', svg).group(1))
    assert height < 150  # 2 categories x 2 offsets x 11 px, plus axis and legend
    assert "clip-path" in svg  # bars starting at 0 do not run over the axis labels


def _bars(own: str, description: str) -> dict:
    return {
        "data": {"values": [{"g": "7,1", "n": 3, "s": own == "7,1"}, {"g": "7,2", "n": 5, "s": own == "7,2"}]},
        "mark": "bar",
        "encoding": {"x": {"field": "g", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}},
        "description": description,
    }


def test_chart_svg_draws_a_recurring_chart_once(monkeypatch):
    """Charts that differ only in their alt text share one drawing; any other difference is drawn."""
    monkeypatch.setattr(present, "_svg_cache", {})
    drawn: list[dict] = []
    draw = present._draw_svg
    monkeypatch.setattr(present, "_draw_svg", lambda spec: drawn.append(spec) or draw(spec))
    first = present.chart_svg(_bars("7,1", "Het cijfer van Woonstichting A is 7,1."))
    again = present.chart_svg(_bars("7,1", "Het cijfer van Woonstichting B is 7,1."))
    other = present.chart_svg(_bars("7,2", "Het cijfer van Woonstichting A is 7,2."))
    narrow = present.chart_svg(_bars("7,1", "Het cijfer van Woonstichting A is 7,1."), width_pt=200)
    assert again == first
    assert len(drawn) == 3
    assert other != first
    assert narrow != first
    assert all("description" not in spec for spec in drawn)  # the alt text is not part of the drawing
    # What the cache returns is what vl-convert draws (bar the process-wide number of its clip paths).
    fresh = draw({**drawn[0]})
    assert re.sub(r"clip\d+", "clip", again) == re.sub(r"clip\d+", "clip", fresh)


def test_chart_svg_cache_is_bounded_and_leaves_the_callers_spec_alone(monkeypatch):
    monkeypatch.setattr(present, "_svg_cache", {})
    monkeypatch.setattr(present, "_SVG_CACHE_SIZE", 2)
    monkeypatch.setattr(present, "_draw_svg", lambda spec: f"<svg>{spec['width']}</svg>")

    # Bars in layers (nested too) get clipped and the top level sized, in a copy of only those
    # dicts: the caller's spec, its layers and marks stay as they were.
    def caller_spec() -> dict:
        return {
            "data": {"values": [{"a": 1}]},
            "layer": [{"mark": "bar"}, {"layer": [{"mark": {"type": "bar", "color": "red"}}, {"mark": "rule"}]}],
            "description": "alt",
        }

    spec = caller_spec()
    for width in (100, 200, 300):
        present.chart_svg(spec, width_pt=width)
    assert len(present._svg_cache) == 2
    assert spec == caller_spec()
    with mock.patch("IPython.display.display"):
        present.chart(spec)
    assert spec == caller_spec()


def test_use_theme_registers_the_kwh_theme():
    present.use_theme()
    assert alt.theme.active == "kwh"
    assert alt.theme.get()()["config"]["font"] == present.FONT_FAMILY
    alt.theme.enable("default")


def test_suppression_markers_do_not_make_a_column_textual():
    """A column of figures stays right-aligned even when most of its cells are suppressed."""
    df = pd.DataFrame(
        {
            "Aannemer": ["A", "B", "C"],
            "Score": ["6,9", "verborgen", "< 5 resp."],
            "% tevreden": ["77%", "verborgen", "< 5 resp."],
            "Antwoorden": ["< 5 antw.", "< 5 antw.", "–"],
        }
    )
    assert "|:---|---:|---:|---:|" in present.markdown_table(df)


def test_sticky_keeps_text_with_the_next_block_and_headings_outside():
    text = present.sticky("## Respons\n\nBenaderde huurders.\n\nTweede alinea.")
    assert text.startswith("## Respons\n\n```{=typst}\n#block(sticky: true)[\n```\n\nBenaderde huurders.")
    assert text.rstrip().endswith("```{=typst}\n]\n```")
    assert present.sticky("### Alleen een kop") == "### Alleen een kop\n"
    plain = _pandoc_plain(present.sticky("Tekst met 7,4 en 85%."))
    assert plain == "Tekst met 7,4 en 85%."  # the raw Typst lines are left out of other formats


def test_table_and_chart_show_their_intro_first():
    df = pd.DataFrame({"Kanaal": ["Online"], "Respons": ["310"]})
    with mock.patch("IPython.display.display") as shown:
        present.table(df, caption="Respons", intro="## Respons\n\nDe respons per kanaal.")
    first, second = (c.args[0].data for c in shown.call_args_list)
    assert "#block(sticky: true)[" in first
    assert "De respons per kanaal." in first
    assert second.startswith("| Kanaal | Respons |")


_MEASURE = r"""
import json, re, sys
import vl_convert as vlc
from kwh_calc.presentation import present
present.register_fonts(__import__("pathlib").Path(sys.argv[1]))
words = ["Nieuwe huurders", "Reparatieverzoeken", "Algemene waardering (N = 929)", "7,4", "85%",
         "één – ëxtra café", "Woonstichting Zuid-Oost", "WAVE fi fl 0123456789",
         "≥ 5,5 ✗ ✓ → € ± × · “aanhalingstekens” ’s-Hertogenbosch Łódź Ørsta Şişli"]
specs = []
# One chart per word: the chart's width follows the width of its one axis label and its text.
for weight, style in ((400, "normal"), (600, "normal"), (700, "normal"), (400, "italic"), (700, "italic")):
    for w in words:
        specs.append({
            "data": {"values": [{"t": w, "x": 1}]},
            "mark": {"type": "text", "fontWeight": weight, "fontStyle": style, "align": "left"},
            "encoding": {"x": {"field": "x", "type": "quantitative", "title": "Onderdeelscore"},
                         "y": {"field": "t", "type": "nominal", "title": None}, "text": {"field": "t"}},
            "config": {"axis": {"labelFontWeight": weight, "labelFontStyle": style}},
            "autosize": {"type": "pad"},
            "width": 100,
        })
print(json.dumps([re.sub(r"clip\d+", "clip", present._draw_svg(s)) for s in specs]))
"""


def test_chart_fonts_measure_as_the_fonts_the_pdf_draws_with():
    """chart-fonts/ (TrueType, for vl-convert's measuring) gives the same SVG as fonts/ (the
    OpenType files Typst draws with) for every weight and style, accents, ligatures, symbols and
    the Latin letters of other languages included: a chart's layout never depends on which of the
    two measured it. chart-fonts/ keeps only the characters charts use (tools/chart_fonts.py)."""
    import json
    import sys

    from kwh_calc.common.paths import chart_fonts_dir, fonts_dir

    def measured(folder):
        run = subprocess.run([sys.executable, "-c", _MEASURE, str(folder)], capture_output=True, text=True, check=True)
        return json.loads(run.stdout)

    assert sorted(p.stem for p in chart_fonts_dir().glob("*.ttf")) == sorted(p.stem for p in fonts_dir().glob("*.otf"))
    truetype, opentype = measured(chart_fonts_dir()), measured(fonts_dir())
    assert truetype == opentype
    assert all('font-family="Inter' in svg for svg in truetype)


def test_pdf_charts_never_cut_a_label_short():
    """Vega cuts labels longer than their limit with "…", measuring every label once more to
    see; the PDF charts do without the limit (their labels are short by design) and print a long
    label whole. The dashboards' theme keeps the limit."""
    label = "Een heel lange categorie die langer is dan honderdtachtig pixels samen"
    spec = {
        "data": {"values": [{"c": label, "n": 3}, {"c": "kort", "n": 5}]},
        "mark": "bar",
        "encoding": {"y": {"field": "c", "type": "nominal"}, "x": {"field": "n", "type": "quantitative"}},
    }
    svg = present.chart_svg(spec)
    assert label in svg
    assert "…" not in svg
    assert present.THEME["axis"].get("labelLimit") is None


def test_a_cells_markdown_is_one_output_and_charts_keep_their_place(tmp_path):
    """In a notebook, the Markdown a cell shows (markdown, table) goes out as one output when the
    cell ends or before its next chart (one display per call cost ≈1,2 ms of CPU across kernel
    and client, ≈25 s of a national close; issue 13); the exported document is the same as with
    one output per call, and a cell that fails still shows what it had shown."""
    import nbformat
    import papermill

    from kwh_calc.rendering.render import export_markdown

    cells = [
        "from kwh_calc.presentation.present import chart, markdown, table\nimport pandas as pd",
        "markdown('## Kop')\ntable(pd.DataFrame({'A': ['x']}), intro='Inleiding.')\nmarkdown('')\n"
        "chart({'data': {'values': [{'a': 1}]}, 'mark': 'bar',"
        " 'encoding': {'x': {'field': 'a', 'type': 'quantitative'}}})\n"
        "markdown('Na de figuur.')",
        "markdown('Voor de fout.')\nraise ValueError('stop')",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "in.ipynb")
    with pytest.raises(papermill.PapermillExecutionError):
        papermill.execute_notebook(
            str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False, kernel_name="python3"
        )
    executed = [c for c in nbformat.read(tmp_path / "out.ipynb", as_version=4).cells if c.cell_type == "code"]
    shown = executed[1].outputs
    assert [next(iter(o.data)) for o in shown] == ["text/markdown", "image/svg+xml", "text/markdown"]
    separate = ["## Kop", present.sticky("Inleiding."), present.markdown_table(pd.DataFrame({"A": ["x"]}))]
    assert shown[0].data["text/markdown"] == "\n\n".join(part.strip("\n") for part in separate)
    assert shown[2].data["text/markdown"] == "Na de figuur."
    failed = [o.get("output_type") for o in executed[2].outputs]
    assert "error" in failed
    assert any(o.get("data", {}).get("text/markdown") == "Voor de fout." for o in executed[2].outputs)
    # The document: as if every call had been its own output.
    one_by_one = nbformat.v4.new_notebook()
    one_by_one.cells = [nbformat.v4.new_code_cell("#| output: asis\n")]
    one_by_one.cells[0].outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": part}) for part in separate
    ]
    merged = nbformat.v4.new_notebook()
    merged.cells = [nbformat.v4.new_code_cell("#| output: asis\n")]
    merged.cells[0].outputs = [shown[0]]
    assert export_markdown(merged, None)[0] == export_markdown(one_by_one, None)[0]
