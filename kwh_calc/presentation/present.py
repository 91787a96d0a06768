"""Presentation helpers for notebooks: tables, charts and text that render well in both engines.

A notebook shows its results through these functions, so that every output is something
both Quarto and the built-in engine of :mod:`kwh_calc.rendering.render` can typeset in a PDF:

- :func:`table` displays a DataFrame as a Markdown pipe table (the Typst writer drops the
  HTML repr of a DataFrame). Numbers right-aligned, cell text escaped.
- :func:`chart` renders a chart (a Vega-Lite dict, or an Altair chart) in the kernel to SVG
  with vl-convert (Dutch number
  and date formats, the project's bundled font, sober KWH theme) and displays it as
  ``image/svg+xml``: Altair 6 in a papermill run leaves no usable image by default, and
  chart text must be measured with the same font Typst draws it with.
- :func:`markdown` displays Markdown text.
- :data:`THEME` / :func:`use_theme` the Dutch Altair theme (also applied by :func:`chart`).

Numbers in PDFs must be formatted the Dutch way by :mod:`kwh_calc.common.numbers` before they are
shown (``7,4``, ``85%``); :func:`table` only formats raw numeric columns as a fallback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kwh_calc.common.numbers import fmt_count, fmt_decimal
from kwh_calc.common.paths import chart_fonts_dir

if TYPE_CHECKING:
    import pandas as pd

# numpy and pandas are imported where tables need them: the renderer of a close's worker
# process uses this module's text helpers and page width and needs neither (issue 13: its memory).

__all__ = [
    "FONT_FAMILY",
    "PALETTE",
    "TEXT_WIDTH_PT",
    "THEME",
    "chart",
    "chart_alt_text",
    "chart_svg",
    "escape_markdown",
    "facet_by_component",
    "markdown",
    "markdown_table",
    "marked_lines",
    "send_markdown",
    "sticky",
    "table",
    "use_theme",
]

#: Width of the text column of the report template in pt (A4, 2,5 cm side margins).
TEXT_WIDTH_PT = 453.0

#: The font family bundled in ``fonts/`` and named by the Typst template and chart config.
FONT_FAMILY = "Inter"

#: Sober categorical palette: dark blue (the corporation), ochre (comparison), then muted.
PALETTE = ["#1d4f73", "#c8862a", "#6f9cc4", "#7a9a4a", "#8c6d9e", "#9e9e9e"]

_INK = "#1a1a1a"
_MUTED = "#5f5f5f"
_GRID = "#e3e3e3"

#: Vega-Lite ``config`` of the KWH theme. Sizes are in px; in the PDF 1 px = 0,75 pt.
THEME: dict[str, Any] = {
    "font": FONT_FAMILY,
    "background": "white",
    "padding": 4,
    "view": {"stroke": None, "continuousWidth": 520, "continuousHeight": 240},
    "title": {
        "font": FONT_FAMILY,
        "fontSize": 13,
        "fontWeight": 600,
        "color": _INK,
        "anchor": "start",
        "offset": 10,
    },
    "axis": {
        "labelFont": FONT_FAMILY,
        "titleFont": FONT_FAMILY,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": 600,
        "labelColor": _INK,
        "titleColor": _INK,
        "domainColor": "#8a8a8a",
        "tickColor": "#8a8a8a",
        "gridColor": _GRID,
        "titlePadding": 8,
        "labelPadding": 4,
    },
    "axisBand": {"grid": False, "tickSize": 0, "domain": True},
    # Horizontal labels on a discrete x axis (years, months); put long categories on y.
    "axisXDiscrete": {"labelAngle": 0},
    "legend": {
        "labelFont": FONT_FAMILY,
        "titleFont": FONT_FAMILY,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": 600,
        "labelColor": _INK,
        "titleColor": _INK,
        "orient": "bottom",
        "symbolSize": 90,
    },
    "header": {
        "labelFont": FONT_FAMILY,
        "titleFont": FONT_FAMILY,
        "labelFontSize": 11,
        "titleFontSize": 11,
    },
    "text": {"font": FONT_FAMILY, "fontSize": 11, "color": _INK},
    "range": {"category": PALETTE},
    "scale": {"bandPaddingInner": 0.35, "bandPaddingOuter": 0.2},
    "bar": {"color": PALETTE[0]},
    "line": {"color": PALETTE[0], "strokeWidth": 2},
    "point": {"color": PALETTE[0], "filled": True, "size": 45},
    "rule": {"color": _MUTED},
    "area": {"color": PALETTE[2]},
}

_LOCALE: Final = "nl-NL"
_fonts_registered: set[str] = set()

#: Charts already drawn in this process, by their Vega-Lite spec (oldest dropped first). A chart
#: costs vl-convert 20-180 ms, mostly measuring its text; in the close many recur: the Aedes
#: distribution of a sub-score is the same drawing for every member with the same grade (681
#: charts, 64 distinct drawings in the demo's close, issue 13).
_SVG_CACHE_SIZE: Final = 256
_svg_cache: dict[str, str] = {}

# Markdown punctuation that could change meaning inside generated text: emphasis, code,
# links, raw HTML (<x> would be dropped), citations (@word), math, table cells, entities.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>@$|~^&#])")

# A cell that reads as a number in Dutch notation: "7,4", "85%", "1.234", "-0,5", "€ 12,50",
# "7,6 (30)" (a value with its count), "–".
_NUMERIC_TEXT = re.compile(r"^\s*([-−+]?\s?(€\s?)?\d[\d.]*(,\d+)?\s?%?(\s\(\d[\d.]*\))?|–|-|)\s*$")


def escape_markdown(text: Any) -> str:
    """Escape text so that Markdown/pandoc shows it literally.

    Parameters
    ----------
    text : any
        The value to show; converted with ``str``.

    Returns
    -------
    str
        The text with Markdown punctuation backslash-escaped, so that ``@kwh`` is no
        citation, ``<x>`` is not dropped as raw HTML and ``|`` does not split a table cell.
        Newlines become spaces.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


def _cell_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    import numpy as np
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "ja" if value else "nee"
    if isinstance(value, (int, np.integer)):
        return fmt_count(value)
    if isinstance(value, (float, np.floating, Decimal)):
        return fmt_decimal(value, 1)
    if isinstance(value, (datetime, date)):
        return value.strftime("%d-%m-%Y")
    return str(value)


# Cells that stand in for a hidden or missing number (suppression markers): they neither make
# a column numeric nor textual. "< 5 resp.", "< 5 antw.", "verborgen".
_SUPPRESSED_TEXT = re.compile(r"^\s*(<\s?\d+\s(resp|antw)\.|verborgen)\s*$")


def _looks_numeric(texts: Iterable[str]) -> bool:
    """Most cells that hold something read as numbers, or no cell does: missing values and
    suppression markers (``< 5 resp.``, ``verborgen``) are not counted either way, so a
    column of figures stays right-aligned however many of its cells are suppressed."""
    texts = [t for t in texts if t.strip() not in ("", "–", "-")]
    shown = [t for t in texts if not _SUPPRESSED_TEXT.match(t)]
    if not shown:
        return True
    return 2 * sum(1 for t in shown if _NUMERIC_TEXT.match(t)) > len(shown)


def _alignments(
    columns: Sequence[str],
    kinds: Sequence[str],
    cells: list[list[str]],
    align: str | Sequence[str] | Mapping[str, str] | None,
) -> list[str]:
    if isinstance(align, str):
        if len(align) != len(columns):
            raise ValueError(f"align {align!r} has {len(align)} letters for {len(columns)} columns")
        letters = list(align)
    elif isinstance(align, Mapping):
        letters = [align.get(c, "") for c in columns]
    elif align is not None:
        letters = list(align)
        if len(letters) != len(columns):
            raise ValueError(f"align has {len(letters)} entries for {len(columns)} columns")
    else:
        letters = [""] * len(columns)
    result = []
    for j, letter in enumerate(letters):
        letter = (letter or "").lower()[:1]
        if letter not in ("l", "r", "c"):
            numeric = kinds[j] in "iuf" or _looks_numeric(row[j] for row in cells)
            letter = "r" if numeric else "l"
        result.append(letter)
    return result


def markdown_table(
    df: pd.DataFrame, caption: str | None = None, align: str | Sequence[str] | Mapping[str, str] | None = None
) -> str:
    """The pandoc Markdown pipe table (with optional caption) that :func:`table` displays.

    Parameters
    ----------
    df : pandas.DataFrame
        The table. A named or non-default index becomes the first column(s). Strings are
        shown as they are (format numbers with :mod:`kwh_calc.common.numbers` first); as a
        fallback raw integers get a thousands dot, raw floats one decimal with a decimal
        comma, booleans ``ja``/``nee``, dates ``dd-mm-jjjj``, missing values ``–``. Cell
        text is escaped (:func:`escape_markdown`).
    caption : str, optional
        Table caption (Markdown); the PDF numbers it "Tabel n" above the table.
    align : str, sequence or mapping, optional
        Column alignment: ``"lrr"``, ``["l", "r", "r"]`` or ``{"Score": "r"}``. Columns
        not given are right-aligned when numeric (numeric dtype, or most cells read as a
        Dutch number such as ``7,4``, ``1.234`` or ``85%``, or all cells are missing),
        else left-aligned.

    Returns
    -------
    str
        Markdown text.
    """
    import pandas as pd

    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index()
    columns = [str(c) for c in df.columns]
    kinds = [df[c].dtype.kind if hasattr(df[c], "dtype") else "O" for c in df.columns]
    cells = [[_cell_text(v) for v in row] for row in df.itertuples(index=False, name=None)]
    letters = _alignments(columns, kinds, cells, align)

    def line(values: Iterable[str]) -> str:
        return "| " + " | ".join(escape_markdown(v) for v in values) + " |"

    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [line(columns), "|" + "|".join(rule[a] for a in letters) + "|"]
    lines += [line(row) for row in cells]
    text = "\n".join(lines) + "\n"
    if caption:
        text += f"\n: {caption}\n"
    return text


def table(
    df: pd.DataFrame,
    caption: str | None = None,
    align: str | Sequence[str] | Mapping[str, str] | None = None,
    intro: str | None = None,
) -> None:
    """Display a DataFrame as a real table in the PDF (a Markdown pipe table).

    See :func:`markdown_table` for the parameters. In the PDF the table gets a bold header,
    thin rules, right-aligned numbers and, with ``caption``, the caption "Tabel n. …".
    ``intro`` (Markdown: a heading and/or the sentence that introduces the table) is shown
    first and kept on the same page as the table (:func:`sticky`).
    """
    if intro:
        markdown(intro, keep_with_next=True)
    _show_markdown(markdown_table(df, caption=caption, align=align))


def sticky(text: str) -> str:
    """Markdown that keeps ``text`` on the same page as the block after it (a table or figure).

    The text is wrapped in a Typst ``block(sticky: true)`` through raw ``{=typst}`` blocks,
    which both render engines pass on: a heading and the sentence that introduces a table
    then never stay behind at the bottom of a page while the table moves to the next.
    Leading headings stay outside the block (they keep their spacing and are kept with the
    text after them by the template anyway).
    """
    lines = text.strip().split("\n")
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        start += 1
    headings = "\n".join(lines[:start]).strip()
    body = "\n".join(lines[start:]).strip()
    if not body:
        return headings + "\n"
    wrapped = f"```{{=typst}}\n#block(sticky: true)[\n```\n\n{body}\n\n```{{=typst}}\n]\n```\n"
    return f"{headings}\n\n{wrapped}" if headings else wrapped


def markdown(text: str, keep_with_next: bool = False) -> None:
    """Display Markdown text (headings, emphasis, lists) as formatted text in the PDF.

    The text is inserted as Markdown as it is: escape generated values with
    :func:`escape_markdown`. With ``keep_with_next`` the text stays on the same page as the
    table or chart displayed right after it (see :func:`sticky`).

    In a notebook the Markdown of one cell (this function's and :func:`table`'s) is shown as
    one output when the cell ends, or before the cell's next chart (:func:`send_markdown`).
    """
    _show_markdown(sticky(text) if keep_with_next else text)


#: Markdown that :func:`markdown` and :func:`table` showed in the running cell of a notebook,
#: not yet sent. A document called them about twenty times; every display is a message from
#: the kernel, a flush of its output streams and an output to record in the notebook
#: (≈1,2 ms of CPU together, ≈25 CPU-seconds of a national close; issue 13).
_pending_markdown: list[str] = []
_cells_watched: set[int] = set()  # the shells whose cells send their Markdown when they end


def _show_markdown(text: str) -> None:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:  # not in a notebook: shown at once
        from IPython.display import Markdown, display

        display(Markdown(text))
        return
    if id(shell) not in _cells_watched:
        shell.events.register("post_run_cell", send_markdown)
        _cells_watched.add(id(shell))
    _pending_markdown.append(text)


def send_markdown(*_: Any) -> None:
    """Show the Markdown the running cell has shown so far as one output.

    Joined as the render engines join outputs (blank line between, no empty ones), so that the
    document is the same as with one output per call. Runs when a cell ends (an IPython
    ``post_run_cell`` event, after an error too) and before a chart.
    """
    from IPython.display import Markdown, display

    text = "\n\n".join(part.strip("\n") for part in _pending_markdown if part.strip())
    _pending_markdown.clear()
    if text:
        display(Markdown(text))


def register_fonts(font_dir: Path | None = None) -> None:
    """Make vl-convert measure chart text with the project's font (once per process).

    The default is ``chart-fonts/``: the font of ``fonts/`` with TrueType outlines, the same
    widths. vl-convert reads the font file for every glyph it measures, and CFF outlines made
    that a third of a chart's time (issue 13). The SVG only names the font; Typst draws the
    text with ``fonts/``.
    """
    import vl_convert as vlc

    path = str((font_dir or chart_fonts_dir()).resolve())
    if path not in _fonts_registered:
        vlc.register_font_directory(path)
        _fonts_registered.add(path)


def _is_compound(spec: Mapping[str, Any]) -> bool:
    return any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat"))


def _clip_bars(spec: dict[str, Any]) -> None:
    """Clip bar marks to the plot area (unless the chart says otherwise): with a scale domain
    that starts above zero, bars would otherwise run over the axis labels. Vega-Lite has no
    config for this, so it is set on the marks."""
    mark = spec.get("mark")
    if mark == "bar":
        spec["mark"] = {"type": "bar", "clip": True}
    elif isinstance(mark, dict) and mark.get("type") == "bar":
        spec["mark"] = {"clip": True, **mark}
    for layer in spec.get("layer", []) or []:
        if isinstance(layer, dict):
            _clip_bars(layer)


def _spec(altair_chart: Any) -> dict[str, Any]:
    """The Vega-Lite dict of a chart, for :func:`chart_svg` to size: a dict is copied only as
    deep as that sizing changes it (the top level and its layers), never its data.

    Altair's schema validation is left out: it costs as much as the serialisation itself and,
    since :func:`chart` needs the spec twice, it ran twice per chart of every document (about
    a third of a chart cell, issue 13). The view functions' tests serialise their charts with
    validation; vl-convert still refuses a spec it cannot compile. A full copy of a dict spec
    cost 3–5 ms for a chart with a few hundred data points, paid three times per chart.
    """
    if isinstance(altair_chart, Mapping):
        return _sizing_copy(altair_chart)  # the sizing below must not change the caller's spec
    return dict(altair_chart.to_dict(validate=False))


def _sizing_copy(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with a new top level and new layer dicts (what :func:`_clip_bars` and the sizing
    set); data, encodings and everything else shared with the caller's spec."""
    copied = dict(spec)
    if isinstance(copied.get("layer"), list):
        copied["layer"] = [_sizing_copy(layer) if isinstance(layer, Mapping) else layer for layer in copied["layer"]]
    return copied


def chart_svg(altair_chart: Any, width_pt: float = TEXT_WIDTH_PT, height_pt: float | None = None) -> str:
    """Render a Vega-Lite spec (or an Altair chart) to SVG text with the KWH theme.

    Parameters
    ----------
    altair_chart : altair.Chart or dict
        The chart; any chart Altair can serialise (``to_dict``), or a Vega-Lite spec.
    width_pt : float, default TEXT_WIDTH_PT
        Total width of the chart in the PDF, in pt (axes and legend included). Ignored for
        compound charts (concat, facet, repeat), which keep their own sizes.
    height_pt : float, optional
        Height of the plot area in pt. Default: the chart's own height (a number or
        ``alt.Step``), else 0,42 × ``width_pt``. Ignored for compound charts.

    Returns
    -------
    str
        SVG text; sizes in px, which Typst lays out as 0,75 pt each. Number and date
        formats are Dutch (locale ``nl-NL``); text uses the bundled font.
    """
    return _sized_svg(_spec(altair_chart), width_pt, height_pt)


def _sized_svg(spec: dict[str, Any], width_pt: float, height_pt: float | None) -> str:
    """:func:`chart_svg` of a spec of its own (:func:`_spec`), which it changes."""
    if not _is_compound(spec):
        _clip_bars(spec)
        spec["width"] = round(width_pt / 0.75)
        if height_pt is not None:
            spec["height"] = round(height_pt / 0.75)
        elif "height" not in spec:  # keep the chart's own height (a number or a step)
            spec["height"] = round(0.42 * width_pt / 0.75)
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    # The description is alt text for the PDF (chart_alt_text); Vega writes none of it into the
    # SVG, and leaving it out lets charts that differ only in it share one drawing.
    spec.pop("description", None)
    key = json.dumps([spec, _PDF_THEME, _LOCALE], sort_keys=True, separators=(",", ":"), default=str)
    svg = _svg_cache.get(key)
    if svg is None:
        svg = _draw_svg(spec)
        if len(_svg_cache) >= _SVG_CACHE_SIZE:
            del _svg_cache[next(iter(_svg_cache))]
        _svg_cache[key] = svg
    return svg


#: The theme as the PDF charts get it: labels are never cut short. Vega measures every label of
#: an axis, legend or facet header once more only to see whether it exceeds its limit, and that
#: was a quarter of the time of a chart with many labels (issue 13); the documents' labels are
#: short by design and were never cut (the same SVG for all 814 distinct charts of the demo's
#: close). The HTML dashboards keep the limits: a phone's chart is narrow.
_PDF_THEME: Final[dict[str, Any]] = {
    **THEME,
    "axis": {**THEME["axis"], "labelLimit": 0},
    "legend": {**THEME["legend"], "labelLimit": 0},
    "header": {**THEME["header"], "labelLimit": 0},
}


def _draw_svg(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    register_fonts()
    return vlc.vegalite_to_svg(spec, config=_PDF_THEME, format_locale=_LOCALE, time_format_locale=_LOCALE)


def marked_lines(rows: list[dict[str, Any]], x: str, label_y: dict[str, Any], dy: int) -> list[dict[str, Any]]:
    """Two Vega-Lite layers: a grey dashed vertical line at each row's ``x`` (a threshold, a
    letter boundary) and the row's ``tekst`` beside it, starting 3 px to its right.

    Parameters
    ----------
    rows : the lines, each with the ``x`` field and a ``tekst``.
    x : field of the line's position on the quantitative x axis.
    label_y : the text's ``y`` encoding (e.g. ``{"value": 0}``, or a field on the chart's scale).
    dy : vertical offset of the text from ``label_y``, in px.
    """
    rule = {
        "data": {"values": rows},
        "mark": {"type": "rule", "color": _MUTED, "strokeDash": [4, 3], "strokeWidth": 1},
        "encoding": {"x": {"field": x, "type": "quantitative"}},
    }
    text = {
        "data": {"values": rows},
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "top",
            "color": _MUTED,
            "dx": 3,
            "dy": dy,
            "fontSize": 10,
        },
        "encoding": {
            "text": {"field": "tekst", "type": "nominal"},
            "x": {"field": x, "type": "quantitative"},
            "y": label_y,
        },
    }
    return [rule, text]


def facet_by_component(order: list[str]) -> dict[str, Any]:
    """The ``facet`` of a chart drawn once per component (questionnaire), in ``order``, each
    panel headed by its name in semibold at its left."""
    return {
        "field": "onderdeel",
        "header": {"labelAnchor": "start", "labelFontWeight": 600},
        "sort": order,
        "title": None,
        "type": "nominal",
    }


def chart_alt_text(altair_chart: Any) -> str | None:
    """The alternative text of a chart: its Vega-Lite top-level ``description``.

    The view functions that build charts set it (``chart.properties(description=…)``): a
    Dutch sentence that says what the chart shows and its key figures, for readers who
    cannot see the image (PDF/UA). None when the chart has none.
    """
    spec = altair_chart if isinstance(altair_chart, Mapping) else _spec(altair_chart)
    text = spec.get("description")
    return str(text) if text else None


def chart(
    altair_chart: Any,
    caption: str | None = None,
    width_pt: float = TEXT_WIDTH_PT,
    height_pt: float | None = None,
    label: str | None = None,
    intro: str | None = None,
    alt: str | None = None,
) -> None:
    """Display a chart (Vega-Lite dict or Altair chart) as a vector image (SVG) that both render
    engines typeset.

    Parameters
    ----------
    altair_chart : altair.Chart or dict
        The chart.
    caption : str, optional
        Figure caption; the PDF numbers it "Figuur n. …" below the chart. Stored in the
        output's metadata (``{"kwh": {"caption": …}}``), which the built-in engine reads and
        the Quarto engine turns into the cell option ``fig-cap``. A cell's own
        ``#| fig-cap:`` takes precedence.
    width_pt, height_pt : float
        Size in the PDF, see :func:`chart_svg`.
    label : str, optional
        Cross-reference label such as ``"fig-scores"`` (``@fig-scores`` in Markdown).
    intro : str, optional
        Markdown shown before the chart and kept on the same page (:func:`sticky`).
    alt : str, optional
        Alt text for readers who cannot see the chart (plain text; PDF/UA requires one on
        every image). Default: the chart's ``description`` (:func:`chart_alt_text`), which the
        view functions set; without one the render engine uses the caption, else "Grafiek".
        Stored in the output's metadata, ``{"kwh": {"alt": …}}``.
    """
    from IPython.display import display

    if intro:
        markdown(intro, keep_with_next=True)
    send_markdown()  # the Markdown before the chart stays before it
    spec = _spec(altair_chart)  # serialised (or copied) once: the alt text and the SVG come from the same dict
    alt = alt or chart_alt_text(spec)
    svg = _sized_svg(spec, width_pt, height_pt)
    meta: dict[str, Any] = {}
    if caption:
        meta["caption"] = caption
    if label:
        meta["label"] = label
    if alt:
        meta["alt"] = alt
    display({"image/svg+xml": svg}, raw=True, metadata={"kwh": meta} if meta else None)


def use_theme() -> None:
    """Register and enable the KWH theme in Altair (``alt.theme.enable("kwh")``).

    :func:`chart` applies the theme anyway; enabling it also makes charts shown
    interactively in JupyterLab look like the PDF.
    """
    import altair as alt

    @alt.theme.register("kwh", enable=True)
    def _kwh_theme() -> Any:
        return {"config": THEME}
