"""Make ``chart-fonts/``: TrueType copies of ``fonts/`` for measuring chart text (issue 13).

vl-convert measures every text of a chart (axis labels, legends, titles) by laying it out with
the registered font, and reads a font file from disk for every glyph it lays out. With the
OpenType (CFF) files of ``fonts/`` that reading is about a third of a chart's time; with
TrueType outlines of the same font it is far cheaper, and the widths are the same (the
conversion keeps every advance width and kerning pair; only the outlines become quadratic, to
within one font unit). vl-convert draws no glyph itself: the SVG names the font and Typst draws
the text with ``fonts/``. A test requires the same SVG from both folders.

The copies then keep only the characters of :data:`CHART_CHARACTERS` (the Latin letters of
Europe's languages, punctuation, the euro sign and the symbols the documents use) and the
layout features a text is laid out with by default (:data:`DEFAULT_LAYOUT_FEATURES`): about 70
instead of 480 kB a file. vl-convert opens and maps the whole file for every glyph it measures,
four to six times per glyph, so the size is paid per glyph: at 190 kB (ADR-049) a chart took
67 ms, at 70 kB about 57 (ADR-051). Text outside those characters (Greek, Cyrillic, rare
letters of Latin Extended-B) is measured with a fallback font and may sit a little off in a
chart; the PDF still draws it with Inter.

Run once when ``fonts/`` changes (needs fontTools, which the project does not install)::

    python -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.68.0
    /tmp/ft/bin/python tools/chart_fonts.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
#: Largest distance between a cubic curve and its quadratic replacement, in font units (of 2048).
MAX_ERROR = 1.0
#: The characters chart text is measured with (Unicode ranges, as pyftsubset's ``--unicodes``):
#: Basic Latin, Latin-1 and Latin Extended-A (every letter of the Latin alphabets of Europe's
#: languages, the Dutch ĳ included), the general punctuation of running text, the euro sign, the
#: arrows, operators and check marks the documents use. vl-convert maps the whole file for every
#: glyph it measures, so every glyph kept costs time (ADR-051): Latin Extended-B and the other
#: symbol blocks (about 150 glyphs) went.
CHART_CHARACTERS = ",".join(
    (
        "U+0020-007E",  # Basic Latin
        "U+00A0-017F",  # Latin-1 Supplement (é ë ± × ·) and Latin Extended-A (ĳ Ł ő Ş)
        "U+2010-2027",  # dashes, quotation marks, bullet, ellipsis (– — ‘ ’ “ ” • …)
        "U+2030-203A",  # per mille, primes, angle quotation marks
        "U+20AC",  # €
        "U+2190-2195",  # arrows (← ↑ → ↓ ↔ ↕)
        "U+2212",  # minus sign
        "U+2248",  # ≈
        "U+2260",  # ≠
        "U+2264-2265",  # ≤ ≥
        "U+2713",  # ✓
        "U+2717",  # ✗
    )
)
#: The layout features HarfBuzz-style shaping applies to Latin text by default, and so the only
#: ones that change how wide a chart's text is laid out: contextual alternates (Inter's ``->``
#: arrow, ``x`` between digits), glyph composition, local forms, kerning and mark positioning.
#: Features a text must ask for (fractions, tabular figures, stylistic sets) never apply to chart
#: text, and their tables were a fifth of the file.
DEFAULT_LAYOUT_FEATURES = ["calt", "ccmp", "locl", "kern", "mark", "mkmk", "liga", "clig", "rlig"]


def to_truetype(source: Path, target: Path) -> None:
    """``source`` (CFF outlines) as ``target`` with TrueType (glyf) outlines, metrics unchanged."""
    font = TTFont(source, recalcTimestamp=False)  # the same file from the same source
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font.sfntVersion = "\000\001\000\000"
    keep_chart_characters(font)
    font.save(target)


def keep_chart_characters(font: TTFont) -> None:
    """Keep :data:`CHART_CHARACTERS`, :data:`DEFAULT_LAYOUT_FEATURES` and every name record."""
    options = subset.Options()
    options.layout_features = DEFAULT_LAYOUT_FEATURES
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(CHART_CHARACTERS))
    subsetter.subset(font)


def main() -> None:
    target = ROOT / "chart-fonts"
    target.mkdir(exist_ok=True)
    for source in sorted((ROOT / "fonts").glob("*.otf")):
        to_truetype(source, target / f"{source.stem}.ttf")
        print(f"{source.name} -> chart-fonts/{source.stem}.ttf")


if __name__ == "__main__":
    main()
