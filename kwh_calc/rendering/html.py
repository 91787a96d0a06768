"""Executed dashboard notebook -> one self-contained HTML file (built-in engine or Quarto's html).

A monitor dashboard must open from disk or an e-mail attachment with no network: every
script, the font and all data are inside the file. The page is built from the executed
notebook's outputs in order: ``text/html`` fragments as they are, and charts
(:data:`kwh_calc.presentation.monitor_views.VEGALITE_MIME`) as ``<figure>`` elements drawn
by vega-embed in the browser (interactive, Dutch tooltips), with the chart's description
as caption and ARIA label.

- JavaScript: vega, vega-lite and vega-embed bundled by ``vl_convert.javascript_bundle()``
  (about 0,9 MB). Bundling takes seconds, so it is cached on disk per vl-convert version
  (:func:`vega_bundle`); the close's workers share the cached file.
- Font: Inter Regular (``fonts/``, OFL) as a base64 ``@font-face``; bold is synthesised.
- Locale: Dutch number and time formats for vega (``7,4``; ``mrt``).
- Phone, print, accessibility: a fluid single column, tables that scroll sideways inside
  their own region, charts as wide as the container, print styles without interaction, a
  skip link, ``lang="nl"``, headings and real tables from the views.

Two engines make the same page (:class:`_Page`: the same sections, style sheet, scripts and
policy): :func:`render_html` writes it directly (``builtin-html``, milliseconds), and
:func:`render_quarto_html` hands it to ``quarto render --to html`` (``quarto-html``: format
``html`` with ``minimal`` and ``embed-resources``; the vega bundle as ``include-after-body``),
for workstations where the analysts' Quarto is the renderer (docs/architecture.md §9.2).

An error output anywhere raises :class:`RenderError` (a failed notebook never becomes a
dashboard), as the PDF engines do.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import nbformat

from kwh_calc.common.atomic import write_bytes_atomic, write_text_atomic
from kwh_calc.common.numbers import MONTHS_NL, MONTHS_NL_SHORT
from kwh_calc.common.paths import fonts_dir
from kwh_calc.rendering.render import RenderError

__all__ = [
    "NL_FORMAT_LOCALE",
    "NL_TIME_LOCALE",
    "HtmlResult",
    "bundle_include_path",
    "quarto_html_document",
    "render_dashboard",
    "render_dashboard_quarto",
    "render_html",
    "render_quarto_html",
    "vega_bundle",
    "vega_bundle_path",
]

VEGALITE_MIME = "application/vnd.kwh.vegalite+json"  # same value as monitor_views.VEGALITE_MIME (no upward import)

NL_FORMAT_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€ ", ""]}
NL_TIME_LOCALE = {
    "dateTime": "%a %e %B %Y %X",
    "date": "%d-%m-%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
    "shortDays": ["zo", "ma", "di", "wo", "do", "vr", "za"],
    "months": list(MONTHS_NL),
    "shortMonths": list(MONTHS_NL_SHORT),
}

_CSS = """
@font-face{font-family:"Inter";src:url(data:font/otf;base64,%(font)s) format("opentype");
 font-weight:400;font-style:normal}
:root{--ink:#1a1a1a;--muted:#5f5f5f;--line:#d9d9d9;--accent:#1d4f73;--warn:#b0413e;--ok:#2f6b3a;--bg:#fff;--soft:#f4f6f8}
*{box-sizing:border-box}
html{font-size:16px;-webkit-text-size-adjust:100%%}
body{margin:0;font-family:"Inter",system-ui,sans-serif;color:var(--ink);background:var(--bg);line-height:1.5}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:10}
main{max-width:1000px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.6em 0 .5em;border-bottom:2px solid var(--accent);padding-bottom:.2em}
h3{font-size:1.05rem;margin:1em 0 .3em}
.kicker{color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-size:.8rem;margin:0}
.subtitle{color:var(--muted);margin:0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px;margin:12px 0}
.tile{border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:6px;padding:10px 12px;
 background:var(--soft)}
.tile h3{margin:0 0 .2em}.tile p{margin:.2em 0}.big{font-size:1.8rem;font-weight:700;margin:0}
.unit{font-size:.9rem;font-weight:400;color:var(--muted)}
.status-onder-de-grens{border-left-color:var(--warn)}.status-grensgeval{border-left-color:#c8862a}
.status-boven-de-grens{border-left-color:var(--ok)}
.status{font-weight:600}
.table-wrap{overflow-x:auto;margin:10px 0}
table{border-collapse:collapse;width:100%%;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:4px 0;color:var(--ink)}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:14px 0;break-inside:avoid}
figcaption{color:var(--muted);font-size:.88rem}
.chart{width:100%%;min-height:120px}
.chart .vega-embed{width:100%%}
details{margin:8px 0}summary{cursor:pointer;color:var(--accent);font-weight:600}
.answers{padding-left:1.2em}.answers li{margin:.3em 0}.month{color:var(--muted);font-size:.85rem;margin-right:.4em}
footer{color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);margin-top:2em;padding-top:.6em}
:focus-visible{outline:3px solid #c8862a;outline-offset:2px}
@media (max-width:600px){main{padding:10px}h1{font-size:1.3rem}.big{font-size:1.5rem}table{font-size:.85rem}}
@media (max-width:600px){.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%%)}
 .stack tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
 .stack th,.stack td{display:flex;justify-content:space-between;gap:1em;border:0;padding:2px 0;text-align:right}
 .stack [data-label]::before{content:attr(data-label);color:var(--muted);text-align:left}
 .stack th[scope=row]{font-weight:700;text-align:left}.stack th[scope=row]::before{content:none}}
@media print{.skip{display:none}main{max-width:none;padding:0}details>*{display:block}
 section,figure,table,.tile{break-inside:avoid}a{color:inherit;text-decoration:none}h2{break-after:avoid}}
"""

_EMBED_JS = """
(function(){
  var fmt = %(format)s, tfmt = %(time)s;
  // Draw once the inline font is ready: vega measures legend and axis labels with the font it
  // finds at that moment, and labels measured in a fallback font overlap once Inter is drawn.
  function draw(){
  document.querySelectorAll('script[type="application/json"][data-kwh-chart]').forEach(function(el){
    var spec = JSON.parse(el.textContent);
    var target = document.getElementById(el.getAttribute('data-kwh-chart'));
    vegaEmbed(target, spec, {actions:false, renderer:'svg', formatLocale:fmt, timeFormatLocale:tfmt,
      tooltip:{theme:'light'}}).then(function(result){
        target.setAttribute('data-drawn','1');
        var svg = target.querySelector('svg');
        if (svg){svg.setAttribute('role','img');svg.setAttribute('aria-label', spec.description || '');}
      }).catch(function(err){ target.textContent = 'Grafiek kon niet worden getekend.'; console.error(err); });
  });
  }
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(draw, draw); } else { draw(); }
  // Printing: open every folded section so nothing is lost on paper.
  window.addEventListener('beforeprint', function(){
    document.querySelectorAll('details').forEach(function(d){d.open=true;});
  });
})();
"""


@dataclass(frozen=True)
class HtmlResult:
    """Outcome of one HTML render (``engine``, ``duration_s`` and ``timings`` as the PDF engines
    report them; ``timings``: seconds per stage, here the one stage ``write``)."""

    path: Path
    engine: str
    duration_s: float
    size_bytes: int
    timings: dict[str, float] = field(default_factory=dict)


def _cache_dir() -> Path:
    return Path.home() / ".cache" / "kwh-workbench"


def vega_bundle_path(cache_dir: Path | None = None) -> Path:
    """The cached vega + vega-lite + vega-embed JavaScript bundle (made on first use).

    One file per vl-convert version (``~/.cache/kwh-workbench/vega-bundle-<version>.js``):
    bundling takes seconds, reading the file milliseconds.
    """
    from importlib.metadata import version

    import vl_convert as vlc

    # vl-convert's stub marks ``snippet`` as required, but at runtime it defaults to None: the default
    # snippet, which puts vegaEmbed, vegaLite and vega on ``window``. Called without it, as before.
    default_bundle = cast("Callable[[], str]", vlc.javascript_bundle)
    path = (cache_dir or _cache_dir()) / f"vega-bundle-{version('vl-convert-python')}.js"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, default_bundle())
    return path


def vega_bundle(cache_dir: Path | None = None) -> str:
    """The text of :func:`vega_bundle_path`."""
    return vega_bundle_path(cache_dir).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=2)
def _read_bundle(path: str) -> str:
    """The bundle's text, read once per worker (the file is named by its vl-convert version)."""
    return Path(path).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _font_base64() -> str:
    return base64.b64encode((fonts_dir() / "Inter-Regular.otf").read_bytes()).decode("ascii")


def _script_json(value) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can close it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def _body(notebook: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    charts = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise RenderError("export", f"notebook cell failed: {output.get('ename')}: {output.get('evalue')}")
            data = output.get("data") or {}
            if VEGALITE_MIME in data:
                payload = data[VEGALITE_MIME]
                charts += 1
                ident = f"grafiek-{charts}"
                title = html.escape(str(payload.get("title", "")))
                description = html.escape(str(payload.get("description", "")))
                parts.append(
                    f'<figure aria-labelledby="{ident}-titel"><h3 id="{ident}-titel">{title}</h3>'
                    f'<div class="chart" id="{ident}" role="img" aria-label="{description}"></div>'
                    f'<script type="application/json" data-kwh-chart="{ident}">{_script_json(payload["spec"])}</script>'
                    f"<figcaption>{description}</figcaption></figure>"
                )
            elif "text/html" in data:
                text = data["text/html"]
                parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


# No request may leave the file: the policy blocks every fetch, image and font from elsewhere.
# (``data:`` scripts: Quarto's embed-resources inlines its own scripts as data URLs.)
_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' data:; "
    "style-src 'unsafe-inline'; font-src data:; img-src data:\">"
)


@dataclass(frozen=True)
class _Page:
    """The parts of a dashboard page, the same for both engines."""

    head: str  # Content-Security-Policy and the style sheet with the font
    main: str  # skip link, <main> with the sections and the footer
    script: str  # the embedding script (after the vega bundle)


def _page(executed: Path, footer: str) -> _Page:
    notebook = nbformat.read(str(executed), as_version=4)
    body = _body(notebook)
    return _Page(
        head=f"{_CSP}\n<style>{_CSS % {'font': _font_base64()}}</style>",
        main=(
            '<a class="skip" href="#inhoud">Naar de inhoud</a>\n<main id="inhoud">\n'
            f"{body}\n<footer><p>{html.escape(footer)}</p></footer>\n</main>"
        ),
        script=_EMBED_JS % {"format": _script_json(NL_FORMAT_LOCALE), "time": _script_json(NL_TIME_LOCALE)},
    )


def render_html(executed: Path, target: Path, *, title: str, footer: str, bundle: str) -> HtmlResult:
    """Write the self-contained dashboard of an executed notebook (the built-in HTML engine).

    Parameters
    ----------
    executed : the executed notebook.
    target : the HTML file to write (atomically).
    title : the page title (browser tab, bookmarks).
    footer : provenance line (plain text; escaped here).
    bundle : the vega JavaScript bundle (:func:`vega_bundle`).

    Returns
    -------
    HtmlResult
        Path, engine ``builtin-html``, seconds taken and file size in bytes.
    """
    started = time.perf_counter()
    page = _page(Path(executed), footer)
    text = (
        '<!DOCTYPE html>\n<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{page.head}\n<title>{html.escape(title)}</title>\n</head>\n<body>\n{page.main}\n"
        f"<script>{bundle}</script>\n<script>{page.script}</script>\n</body>\n</html>\n"
    )
    write_text_atomic(target, text)
    elapsed = time.perf_counter() - started
    return HtmlResult(Path(target), "builtin-html", elapsed, len(text.encode("utf-8")), {"write": elapsed})


def render_dashboard(executed: Path, target: Path, task: dict) -> HtmlResult:
    """The close's renderer hook (``task["renderer"]``): render one monitor dashboard.

    ``task`` carries ``title``, ``footer`` and ``bundle_path`` (the cached vega bundle).
    """
    bundle = _read_bundle(str(task["bundle_path"]))
    return render_html(Path(executed), Path(target), title=task["title"], footer=task["footer"], bundle=bundle)


# --------------------------------------------------------------------------- Quarto's html format


def bundle_include_path(bundle_path: Path) -> Path:
    """The vega bundle wrapped in ``<script>`` as a file for Quarto's ``include-after-body``.

    Written once beside the cached bundle (``vega-bundle-<version>.html``), so a Quarto render
    reads it instead of every dashboard writing 0,9 MB of JavaScript again.
    """
    bundle_path = Path(bundle_path)
    path = bundle_path.with_suffix(".html")
    if not path.is_file() or path.stat().st_mtime < bundle_path.stat().st_mtime:
        write_text_atomic(path, f"<script>{bundle_path.read_text(encoding='utf-8')}</script>\n")
    return path


def _raw_html_block(text: str) -> str:
    """A pandoc raw HTML block that no backtick run inside ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{=html}}\n{text}\n{fence}\n"


def quarto_html_document(page: _Page, title: str, bundle_include: Path) -> tuple[str, dict[str, str]]:
    """The Markdown document and include files Quarto renders for one dashboard.

    Quarto's ``html`` format with ``minimal: true`` (no Bootstrap theme: the page is styled
    by the same style sheet as the built-in engine, and stays well under 2 MB) and
    ``embed-resources: true`` (everything inline). The sections are one raw HTML block: the
    notebook's outputs as they are, headings and tables included.

    Returns
    -------
    (markdown, files)
        The document text and the include files to write beside it (name -> text).
    """
    front = {
        "pagetitle": title,
        "lang": "nl",
        # The views' tables are already accessible HTML (caption, scope): Quarto keeps them as they are.
        "html-table-processing": "none",
        "format": {
            "html": {
                "minimal": True,
                "embed-resources": True,
                "include-in-header": ["header.html"],
                "include-after-body": [str(bundle_include), "embed.html"],
            }
        },
    }
    document = "---\n" + json.dumps(front, ensure_ascii=False, indent=1) + "\n---\n\n" + _raw_html_block(page.main)
    files = {
        "header.html": page.head + "\n",
        "embed.html": f"<script>{page.script}</script>\n",
        "_quarto.yml": "project:\n  type: default\n",  # stops Quarto from taking a project further up
    }
    return document, files


def render_quarto_html(
    executed: Path, target: Path, *, title: str, footer: str, bundle_path: Path, workdir: Path
) -> HtmlResult:
    """Write the self-contained dashboard of an executed notebook with Quarto's ``html`` format.

    The same page as :func:`render_html` (same sections, style sheet, scripts and policy), put
    together by ``quarto render --to html`` with ``embed-resources``. Needs ``quarto`` on PATH.

    Parameters
    ----------
    executed, target, title, footer : as :func:`render_html`.
    bundle_path : the cached vega bundle (:func:`vega_bundle_path`).
    workdir : a private folder for Quarto's files (emptied first).

    Returns
    -------
    HtmlResult
        Engine ``quarto-html``; timings ``export`` (page parts) and ``quarto``.
    """
    started = time.perf_counter()
    page = _page(Path(executed), footer)
    document, files = quarto_html_document(page, title, bundle_include_path(Path(bundle_path)))
    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    (workdir / "dashboard.md").write_text(document, encoding="utf-8")
    exported = time.perf_counter()
    try:
        proc = subprocess.run(
            ["quarto", "render", "dashboard.md", "--to", "html"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RenderError("quarto", str(error)) from error
    produced = workdir / "dashboard.html"
    if proc.returncode != 0 or not produced.is_file():
        text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr or proc.stdout or "")
        lines = [line for line in text.strip().splitlines() if not line.lstrip().startswith("at ")]
        raise RenderError("quarto", "\n".join(lines[-20:]) or f"quarto exited with {proc.returncode}")
    data = produced.read_bytes()
    write_bytes_atomic(target, data)
    shutil.rmtree(workdir, ignore_errors=True)
    done = time.perf_counter()
    return HtmlResult(
        Path(target),
        "quarto-html",
        done - started,
        len(data),
        {"export": exported - started, "quarto": done - exported},
    )


def render_dashboard_quarto(executed: Path, target: Path, task: dict) -> HtmlResult:
    """The renderer hook for ``kwh monitor --engine quarto``: one dashboard through Quarto."""
    return render_quarto_html(
        Path(executed),
        Path(target),
        title=task["title"],
        footer=task["footer"],
        bundle_path=Path(task["bundle_path"]),
        workdir=Path(task["workdir"]) / "quarto",
    )
