"""Render an executed notebook to a Dutch A4 PDF report (docs/architecture.md §5, "Quarto here and there").

Two engines, one house style: the Quarto format extension ``_extensions/kwh`` (format
``kwh-typst``: Typst template partials ``typst-template.typ`` + ``typst-show.typ``, Lua filters,
PDF/A-2a + PDF/UA-1), which the built-in engine reads too:

``quarto``
    ``quarto render --to kwh-typst --no-execute`` of a private project folder (the project's
    ``_quarto.yml``, links to ``_extensions/`` and ``fonts/``) holding the executed notebooks
    of a batch (:func:`render_notebooks`: one Deno start for many documents), each normalised
    by :func:`_quarto_notebook`: its report metadata in a front-matter cell, every code cell
    reduced to the Markdown the built-in export makes of its outputs, so both engines typeset
    the same Markdown. Chosen by ``engine="auto"`` when the ``quarto`` CLI is on PATH.
``builtin``
    executed notebook → pandoc Markdown (:func:`export_markdown`, honouring the Quarto cell
    options the notebooks use) → pandoc's Typst writer (``pypandoc-binary``) with
    ``_extensions/kwh/kwh-builtin.typ`` (the counterpart of Quarto's main Typst template,
    including the same partials) → the ``typst`` package → PDF. pandoc runs as one kept
    process per Python process (``pandoc lua _extensions/kwh/kwh-builtin-server.lua``), which
    converts document after document as the pandoc command would.

How the built-in export treats a notebook (the decisions):

- Markdown cells go in as they are (attachments are written as files). Headings are shifted
  so that the highest level used becomes level 1 (pandoc would number a lone ``##`` "0.1").
- Code cells: ``#| include: false`` drops the cell; code is shown only with ``#| echo: true``
  (reports hide code by default); ``#| output: false`` drops the outputs; with
  ``#| output: asis`` stdout and plain-text results are inserted as raw Markdown.
- Outputs, best representation first: ``text/markdown`` (as Markdown), ``image/svg+xml``,
  ``image/png``, ``image/jpeg`` (as figures; ``#| fig-cap:`` / ``#| label: fig-…`` or the
  ``{"kwh": {"caption", "label"}}`` output metadata that :func:`kwh_calc.presentation.present.chart`
  writes give the caption "Figuur n"), then ``text/plain``: shown as a verbatim block only
  when it is the output's sole representation (a printed value); the plain-text repr of a
  richer object (a DataFrame's HTML, an Altair chart's Vega-Lite JSON) is skipped and
  reported in :attr:`RenderResult.warnings` — use :mod:`kwh_calc.presentation.present`. stdout is shown
  verbatim, stderr (warnings) is dropped unless ``#| warning: true``. ``#| tbl-cap:``
  captions a Markdown table output.
- An ``error`` output anywhere raises :class:`RenderError` (stage ``export``): a failed
  notebook never becomes a PDF.
- Front matter in a leading raw cell (``---`` YAML) may set ``execute:`` defaults (``echo``,
  ``output``, ``include``, ``warning``) like in Quarto; raw cells in Markdown or Typst format
  are passed through.

Markdown that Python code made (a view's) goes the same way: :func:`render_markdown` renders it
as the one Markdown cell of an executed notebook (the validatieverslag of ``kwh
validate-delivery``).

Reproducibility and safety: PDFs carry a fixed creation timestamp and use only the bundled
fonts (``fonts/``, system fonts ignored), so the same inputs give byte-identical PDFs. Every
render has its own working folder. The PDF is written to a temporary file beside its target
and moved into place with :func:`os.replace`: no half-written PDF ever carries its name.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import copy
import functools
import json
import multiprocessing.util
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

if TYPE_CHECKING:
    from typst import PDFStandard  # a name of typst's type stub only

from kwh_calc.common import paths
from kwh_calc.common.atomic import write_bytes_atomic
from kwh_calc.common.numbers import fmt_date
from kwh_calc.common.paths import fonts_dir, templates_dir
from kwh_calc.presentation.present import TEXT_WIDTH_PT, escape_markdown

__all__ = [
    "DEFAULT_TIMESTAMP",
    "ENGINES",
    "PROVENANCE_LABELS",
    "RenderError",
    "RenderJob",
    "RenderResult",
    "check_no_errors",
    "choose_engine",
    "export_markdown",
    "format_options",
    "min_heading_level",
    "parse_cell_options",
    "pdf_page_count",
    "pdf_standards",
    "project_root",
    "quarto_available",
    "quarto_project_config",
    "render_markdown",
    "render_notebook",
    "render_notebooks",
    "report_metadata",
    "require_engine",
]

ENGINES = ("auto", "quarto", "builtin")

#: The Quarto format extension holding the house style, relative to the project root, and
#: the format it contributes.
EXTENSION = paths.EXTENSION
FORMAT = "kwh-typst"

#: Dutch labels of the usual provenance keys; other keys are shown as they are.
PROVENANCE_LABELS = {
    "dataset_fingerprint": "Dataset",
    "dataset": "Dataset",
    "rules_version": "Regelset",
    "rule_set_version": "Regelset",
    "rules": "Regelset",
    "package_version": "kwh-workbench",
    "version": "kwh-workbench",
    "git_commit": "Commit",
    "commit": "Commit",
}

#: PDF creation date when no timestamp is given (and SOURCE_DATE_EPOCH is unset): fixed, so
#: that renders are byte-reproducible.
DEFAULT_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)

_IMAGE_TYPES = (("image/svg+xml", "svg"), ("image/png", "png"), ("image/jpeg", "jpg"))


class RenderError(RuntimeError):
    """Rendering failed at a named stage.

    Attributes
    ----------
    stage : str
        ``"export"`` (reading the notebook, an error output, bad cell options),
        ``"pandoc"``, ``"typst"``, ``"quarto"`` or ``"write"``.
    message : str
        What went wrong; for Typst errors including the offending line of the generated
        ``.typ`` file.
    workdir : pathlib.Path or None
        The working folder, kept for debugging (the generated ``document.md`` / ``.typ``).
    """

    def __init__(self, stage: str, message: str, *, workdir: Path | None = None):
        self.stage = stage
        self.message = message
        self.workdir = workdir
        super().__init__(stage, message)

    def __str__(self) -> str:
        text = f"render failed at stage {self.stage}: {self.message}"
        if self.workdir is not None:
            text += f"\n(working folder kept for inspection: {self.workdir})"
        return text


@dataclass(frozen=True)
class RenderResult:
    """The outcome of :func:`render_notebook`.

    Attributes
    ----------
    pdf_path : pathlib.Path
        The PDF written.
    engine : str
        ``"quarto"`` or ``"builtin"``.
    duration_s : float
        Wall time of the render in seconds.
    pages : int
        Number of pages of the PDF.
    warnings : tuple of str
        Things the reader should know: skipped outputs, pandoc and Typst warnings.
    timings : dict
        Seconds per stage (``export``, ``pandoc``, ``typst``, ``write``; ``quarto``).
    """

    pdf_path: Path
    engine: str
    duration_s: float
    pages: int
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- locations


def project_root() -> Path:
    """The project folder holding ``_quarto.yml``, ``_extensions/kwh/`` and ``fonts/``.

    ``$KWH_PROJECT_ROOT`` when set, else the folder above the ``kwh_calc`` package (the
    project is installed editable, ``pip install -e .``).
    """
    root = paths.project_root()
    if not (root / EXTENSION / "typst-template.typ").is_file():
        raise RenderError(
            "export",
            f"no report template under {root}/{EXTENSION}: install the project editable "
            "(pip install -e .) or set KWH_PROJECT_ROOT",
        )
    return root


@functools.lru_cache(maxsize=1)
def _quarto_config() -> dict[str, Any]:
    path = project_root() / "_quarto.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@functools.lru_cache(maxsize=1)
def format_options() -> dict[str, Any]:
    """The ``kwh-typst`` format options as Quarto sees them: the extension's, then the project's.

    Returns
    -------
    dict
        ``lang``, ``papersize``, ``section-numbering``, ``pdf-standard`` (a list such as
        ``["a-2a", "ua-1"]``), ``font-paths`` … — the one place both engines take them from.
    """
    extension = yaml.safe_load((templates_dir() / "_extension.yml").read_text(encoding="utf-8")) or {}
    options = dict(((extension.get("contributes") or {}).get("formats") or {}).get("typst") or {})
    config = _quarto_config()
    if "lang" in config:
        options["lang"] = config["lang"]
    options.update((config.get("format") or {}).get(FORMAT) or {})
    return options


def quarto_available() -> bool:
    """Whether the ``quarto`` CLI is on PATH."""
    return shutil.which("quarto") is not None


def choose_engine(engine: str = "auto") -> str:
    """Resolve ``"auto"`` to ``"quarto"`` (CLI on PATH) or ``"builtin"``; validate the name."""
    if engine not in ENGINES:
        raise ValueError(f"unknown render engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "quarto" if quarto_available() else "builtin"
    if engine == "quarto" and not quarto_available():
        raise RenderError("quarto", "engine 'quarto' asked for, but the quarto CLI is not on PATH")
    return engine


def require_engine(engine: str = "auto") -> str:
    """:func:`choose_engine`, and for the built-in engine pandoc found as well.

    For a command that makes a PDF after other work (``kwh validate-delivery --pdf``): it
    refuses an engine that cannot run before that work, with the :class:`RenderError` that
    names what is missing.
    """
    chosen = choose_engine(engine)
    if chosen == "builtin":
        _pandoc_path()
    return chosen


# --------------------------------------------------------------------------- notebook export


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def _read_notebook(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
    except (OSError, ValueError) as exc:
        raise RenderError("export", f"cannot read notebook {path}: {exc}") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise RenderError("export", f"{path} is not a Jupyter notebook")
    return nb


def check_no_errors(nb: Mapping[str, Any], name: str = "notebook") -> None:
    """Raise :class:`RenderError` when any cell of the executed notebook has an error output."""
    for number, cell in enumerate(nb.get("cells", []), start=1):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                raise RenderError(
                    "export",
                    f"{name}: cell {number} raised {out.get('ename', 'an error')}: {out.get('evalue', '')}".rstrip(
                        ": "
                    ),
                )


_OPTION_PREFIX = re.compile(r"^#\|[ ]?")


def parse_cell_options(source: str) -> tuple[dict[str, Any], str]:
    """Split Quarto cell options (leading ``#|`` lines, YAML) from a code cell's source.

    Returns
    -------
    (dict, str)
        The options and the remaining code.
    """
    lines = source.split("\n")
    count = 0
    while count < len(lines) and lines[count].startswith("#|"):
        count += 1
    if count == 0:
        return {}, source
    text = "\n".join(_OPTION_PREFIX.sub("", line) for line in lines[:count])
    try:
        options = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid #| cell options: {exc}") from exc
    if not isinstance(options, dict):
        raise ValueError(f"invalid #| cell options: {text!r}")
    return options, "\n".join(lines[count:]).strip("\n")


def _fence(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def _svg_width_px(svg: str) -> float | None:
    match = re.search(r"<svg\b[^>]*?\swidth=\"([\d.]+)(px)?\"", svg[:2000])
    return float(match.group(1)) if match else None


def _png_width_px(data: bytes) -> int | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 24:
        return int.from_bytes(data[16:20], "big")
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@dataclass
class _Export:
    parts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    figure_count: int = 0
    # Quarto drops the caption of a figure or table that has no cross-reference label
    # (quarto-cli#11733): for Quarto, captioned figures get one (fig-kwh-…).
    auto_labels: bool = False


def export_markdown(
    nb: Mapping[str, Any], figures_dir: Path | None, *, figures_prefix: str = "figures"
) -> tuple[str, list[str]]:
    """Export an executed notebook to pandoc Markdown (the built-in engine's first stage).

    Parameters
    ----------
    nb : mapping
        The notebook as parsed JSON (nbformat 4).
    figures_dir : pathlib.Path or None
        Folder the figures are written to; ``None`` writes no files (a dry run).
    figures_prefix : str
        How the Markdown refers to ``figures_dir`` (relative to the working folder).

    Returns
    -------
    (str, list of str)
        The Markdown and the warnings (skipped outputs). See the module docstring for what
        is exported how. Error outputs must have been checked first (:func:`check_no_errors`).
    """
    if figures_dir is not None:
        figures_dir.mkdir(parents=True, exist_ok=True)
    language = (
        (nb.get("metadata", {}).get("kernelspec", {}) or {}).get("language")
        or (nb.get("metadata", {}).get("language_info", {}) or {}).get("name")
        or "python"
    )
    defaults: dict[str, Any] = {"echo": False, "output": True, "include": True, "warning": False}
    state = _Export()
    cells = nb.get("cells", [])
    first_content = next((i for i, c in enumerate(cells) if _text(c.get("source")).strip()), None)

    for index, cell in enumerate(cells):
        number = index + 1
        kind = cell.get("cell_type")
        source = _text(cell.get("source"))
        if kind == "markdown":
            state.parts.append(_markdown_cell(source, cell, number, figures_dir, figures_prefix))
        elif kind == "raw":
            if index == first_content and source.lstrip().startswith("---"):
                _front_matter_defaults(source, defaults)
                continue
            fmt = str(
                (cell.get("metadata") or {}).get("format") or (cell.get("metadata") or {}).get("raw_mimetype") or ""
            ).lower()
            if fmt in ("text/markdown", "markdown"):
                state.parts.append(source)
            elif fmt in ("typst", "text/x-typst", "text/typst"):
                state.parts.append(_fence(source, "{=typst}"))
        elif kind == "code":
            try:
                options, code = parse_cell_options(source)
            except ValueError as exc:
                raise RenderError("export", f"cell {number}: {exc}") from None
            _code_cell(state, cell, number, {**defaults, **options}, code, language, figures_dir, figures_prefix)
    markdown = "\n\n".join(p.strip("\n") for p in state.parts if p and p.strip()) + "\n"
    return markdown, state.warnings


def _front_matter_defaults(source: str, defaults: dict[str, Any]) -> None:
    text = source.strip()
    text = text[3:] if text.startswith("---") else text
    text = text.rsplit("---", 1)[0] if text.rstrip().endswith(("---", "...")) else text
    try:
        meta = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return
    if isinstance(meta, dict):
        execute = meta.get("execute") or {}
        for key in ("echo", "output", "include", "warning"):
            if isinstance(execute, dict) and key in execute:
                defaults[key] = execute[key]
            if key in meta:
                defaults[key] = meta[key]


def _markdown_cell(source: str, cell: Mapping[str, Any], number: int, figures_dir: Path | None, prefix: str) -> str:
    for k, (name, bundle) in enumerate(sorted((cell.get("attachments") or {}).items())):
        for mime, ext in _IMAGE_TYPES:
            if mime in bundle:
                filename = f"cell{number:03d}-attachment{k + 1}.{ext}"
                if figures_dir is not None:
                    raw = _text(bundle[mime])
                    data = raw.encode() if mime == "image/svg+xml" else base64.b64decode(raw)
                    (figures_dir / filename).write_bytes(data)
                source = source.replace(f"attachment:{name}", f"{prefix}/{filename}")
                break
    return source


def _code_cell(
    state: _Export,
    cell: Mapping[str, Any],
    number: int,
    options: dict[str, Any],
    code: str,
    language: str,
    figures_dir: Path | None,
    prefix: str,
) -> None:
    if options.get("include") is False:
        return
    echo = options.get("echo")
    if (echo is True or echo == "fenced") and code.strip():
        state.parts.append(_fence(code, language))
    output_option = options.get("output", True)
    if output_option is False:
        return
    asis = output_option == "asis"
    captions = _as_list(options.get("fig-cap"))
    label = options.get("label")
    tbl_cap = options.get("tbl-cap")
    image_in_cell = 0

    for out in cell.get("outputs", []) or []:
        otype = out.get("output_type")
        if otype == "stream":
            text = _text(out.get("text"))
            if out.get("name") == "stderr" and not options.get("warning"):
                continue
            if text.strip():
                state.parts.append(text if asis else _fence(text))
            continue
        if otype not in ("display_data", "execute_result"):
            continue
        data = out.get("data") or {}
        if "text/markdown" in data:
            text = _text(data["text/markdown"])
            if tbl_cap and "|" in text:
                ref = f" {{#{label}}}" if isinstance(label, str) and label.startswith("tbl-") else ""
                text = f"{text.rstrip()}\n\n: {tbl_cap}{ref}\n"
                tbl_cap = None
            state.parts.append(text)
            continue
        image = next(((m, e) for m, e in _IMAGE_TYPES if m in data), None)
        if image is not None:
            kwh_meta = (out.get("metadata") or {}).get("kwh") or {}
            caption = captions[image_in_cell] if image_in_cell < len(captions) else kwh_meta.get("caption")
            fig_label = (label if image_in_cell == 0 else None) or kwh_meta.get("label")
            state.parts.append(
                _image(state, out, data, image, number, image_in_cell, caption, fig_label, figures_dir, prefix)
            )
            image_in_cell += 1
            continue
        if "text/plain" in data:
            text = _text(data["text/plain"])
            if asis:
                state.parts.append(text)
            elif set(data) == {"text/plain"}:
                state.parts.append(_fence(text))
            else:
                others = ", ".join(sorted(m for m in data if m != "text/plain"))
                state.warnings.append(
                    f"cell {number}: output skipped ({others} cannot go into a PDF; "
                    "show tables and charts with kwh_calc.presentation.present.table / .chart)"
                )
        elif data:
            state.warnings.append(f"cell {number}: output skipped ({', '.join(sorted(data))})")


def _image(
    state: _Export,
    out: Mapping[str, Any],
    data: Mapping[str, Any],
    image: tuple[str, str],
    number: int,
    k: int,
    caption: Any,
    label: Any,
    figures_dir: Path | None,
    prefix: str,
) -> str:
    mime, ext = image
    raw = _text(data[mime])
    payload = raw.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(raw)
    state.figure_count += 1
    filename = f"cell{number:03d}-{k + 1}.{ext}"
    if figures_dir is not None:
        (figures_dir / filename).write_bytes(payload)
    attrs: list[str] = []
    if isinstance(label, str) and label:
        attrs.append(f"#{label}")
    elif state.auto_labels and caption:
        attrs.append(f"#fig-kwh-{number}-{k + 1}")
    meta = (out.get("metadata") or {}).get(mime) or {}
    width_px = meta.get("width") if isinstance(meta, dict) else None
    if width_px is None:
        width_px = _svg_width_px(raw) if mime == "image/svg+xml" else _png_width_px(payload)
    if width_px:
        width_pt = float(width_px) * 0.75
        if width_pt > TEXT_WIDTH_PT + 0.5:
            attrs.append("width=100%")
        elif mime != "image/svg+xml":
            attrs.append(f"width={width_pt:.1f}pt")
    cap = "" if caption is None else str(caption).replace("\n", " ")
    # PDF/UA: every image has alt text (Quarto and kwh-builtin.lua pass fig-alt to Typst).
    alt = _kwh_alt(out) or re.sub(r"\\(.)", r"\1", cap) or "Grafiek"  # plain text: no Markdown escapes
    attrs.append('fig-alt="' + re.sub(r"[\\\"]", "'", alt).replace("\n", " ") + '"')
    attr_text = "{" + " ".join(attrs) + "}"
    return f"![{cap}]({prefix}/{filename}){attr_text}"


def _kwh_alt(out: Mapping[str, Any]) -> str:
    """The alt text :func:`kwh_calc.presentation.present.chart` stored in an output's metadata (or "")."""
    meta = (out.get("metadata") or {}).get("kwh") or {}
    return str(meta.get("alt") or "")


_HEADING = re.compile(r"^(#{1,6})[ \t]")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


def min_heading_level(markdown: str) -> int | None:
    """The highest (smallest-numbered) ATX heading level used outside code blocks."""
    fence: str | None = None
    best: int | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            continue
        if fence is None:
            heading = _HEADING.match(line)
            if heading:
                level = len(heading.group(1))
                best = level if best is None else min(best, level)
    return best


# --------------------------------------------------------------------------- metadata


def _resolve_timestamp(timestamp: datetime | None) -> datetime:
    if timestamp is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.strip().isdigit():
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        return DEFAULT_TIMESTAMP
    if timestamp.tzinfo is None:
        return timestamp.replace(tzinfo=UTC)
    return timestamp


def report_metadata(
    *,
    title: str,
    subtitle: str | None,
    corporation: str | None,
    year: int | None,
    provenance: Mapping[str, str] | None,
    date: datetime | None,
    shift: int = 0,
    year_label: str | None = None,
) -> dict[str, Any]:
    """The pandoc metadata both engines give the template (values escaped as Markdown)."""
    typst_format = format_options()
    meta: dict[str, Any] = {
        "title": escape_markdown(title),
        "lang": typst_format.get("lang", "nl"),
        "papersize": typst_format.get("papersize", "a4"),
        "provenance": [
            {"label": escape_markdown(PROVENANCE_LABELS.get(key, key)), "value": escape_markdown(value)}
            for key, value in (provenance or {}).items()
            if value not in (None, "")
        ],
    }
    if typst_format.get("section-numbering"):
        meta["section-numbering"] = str(typst_format["section-numbering"])
    if subtitle:
        meta["subtitle"] = escape_markdown(subtitle)
    if corporation:
        meta["corporation"] = escape_markdown(corporation)
    if year is not None:
        meta["year"] = str(int(year))
    if year_label:
        meta["year-label"] = escape_markdown(year_label)
    if date is not None:
        meta["report-date"] = fmt_date(date)
    if shift:
        meta["shift-heading-level-by"] = shift
    return meta


def _write_yaml(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=True), encoding="utf-8")


# --------------------------------------------------------------------------- pandoc and typst


@functools.lru_cache(maxsize=1)
def _pandoc_path() -> str:
    """pandoc's executable (pypandoc-binary's, else one on PATH); a clear RenderError without it."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:  # no pypandoc, or pypandoc found no pandoc
        raise RenderError(
            "pandoc",
            "pandoc not found: the built-in engine needs pandoc (pip install pypandoc-binary, "
            "as make setup does, or pandoc on PATH)",
        ) from exc


@functools.lru_cache(maxsize=1)
def _typst_fonts() -> Any:
    import typst

    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(fonts_dir())])


# Only text with an "@" (citation syntax), "<" (raw HTML) or an image (alt text) needs the Lua filter.
_FILTER_TRIGGER = re.compile(r"[@<]|fig-alt=")


#: Seconds one document may take in pandoc before it is taken for hung (the process is replaced).
PANDOC_TIMEOUT_S = 300
#: Seconds a kept pandoc gets to end by itself once its input is closed, before it is killed.
PANDOC_CLOSE_S = 2.0


class _PandocServer:
    """One ``pandoc lua`` process that converts the documents of a process one after the other.

    A pandoc process per document cost ≈0,09 CPU-s, more than half of it starting (the Haskell
    runtime and its 64 MB heap, the template, the Lua engine): the close's 1.000 documents paid
    that a thousand times (issue 13). ``kwh-builtin-server.lua`` does per request what the
    pandoc command did, with byte-identical output (a test compares both). A document that
    makes pandoc fail fails alone; a process that died or hung is replaced for the next one.
    """

    def __init__(self, pandoc: str, template: Path):
        self.key = (pandoc, *_template_signature(template))
        self.owner = os.getpid()  # a forked child must not talk to (or stop) its parent's process
        script = template.parent / "kwh-builtin-server.lua"
        # Read only when the process fails, closed with it (a pipe nobody reads could fill up).
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        # `pandoc lua` keeps a history file (pandoc-hist<pid>-0) in its temporary folder and
        # removes it only when it ends by itself: a folder of its own, removed with it, leaves
        # nothing behind in /tmp when it has to be killed.
        self._tmpdir = tempfile.mkdtemp(prefix="kwh-pandoc-")
        self.proc = subprocess.Popen(
            # pandoc's built-in -H64m heap suits a short run; a kept process needs no more than
            # 8 MB to start from (same CPU, 85 -> 37 MB of memory of its own).
            [pandoc, "+RTS", "-H8m", "-RTS", "lua", str(script), str(template)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "TMPDIR": self._tmpdir},
        )
        self._buffer = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def convert(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait for its reply; raises RenderError when the process fails."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
            line = self._read_line(timeout)
        except (OSError, TimeoutError) as exc:
            reason = f"timed out after {timeout:g} seconds" if isinstance(exc, TimeoutError) else str(exc)
            tail = self._stderr_tail()
            self.close()
            raise RenderError("pandoc", f"pandoc {reason}{tail}") from None
        try:
            reply = json.loads(line)
        except ValueError:
            tail = self._stderr_tail()
            self.close()
            raise RenderError("pandoc", f"pandoc answered {line[:200]!r}{tail}") from None
        return reply if isinstance(reply, dict) else {"error": f"pandoc answered {line[:200]!r}"}

    def _read_line(self, timeout: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise OSError(f"pandoc stopped (exit status {self.proc.wait()})")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _stderr_tail(self) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return f": {text[-2000:]}" if text else ""

    def close(self) -> None:
        """End the process: at the end of its input it stops by itself; killed when it does not
        within :data:`PANDOC_CLOSE_S` (hung, or stopped)."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=PANDOC_CLOSE_S)
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self._stderr.close()
        shutil.rmtree(self._tmpdir, ignore_errors=True)


def _template_signature(template: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and mtime of the template and its partials: the server restarts when one changes."""
    signature = []
    for path in sorted(template.parent.glob("*.typ")):
        with contextlib.suppress(OSError):
            stat = path.stat()
            signature.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


_pandoc_server: _PandocServer | None = None
_pandoc_lock = threading.Lock()


def _close_pandoc_server() -> None:
    global _pandoc_server
    if _pandoc_server is not None and _pandoc_server.owner == os.getpid():
        _pandoc_server.close()
    _pandoc_server = None


atexit.register(_close_pandoc_server)
# multiprocessing workers leave through os._exit, which skips atexit: finalise there too.
multiprocessing.util.Finalize(None, _close_pandoc_server, exitpriority=10)


def _run_pandoc(md_path: Path, meta_path: Path, typ_path: Path, shift: int, workdir: Path, markdown: str) -> list[str]:
    global _pandoc_server
    templates = templates_dir()
    template = templates / "kwh-builtin.typ"
    request = {
        # The server's working folder is not the document's: absolute paths, named as given.
        "input": os.path.abspath(md_path),
        "metadata": os.path.abspath(meta_path),
        "output": os.path.abspath(typ_path),
        "shift": shift,
        # Only text with an "@", "<" or an image needs the filter (≈7 of a document's ≈33 ms
        # in pandoc; ≈16 until it looked for labels only at a citation).
        "filter": str(templates / "kwh-builtin.lua") if _FILTER_TRIGGER.search(markdown) else "",
    }
    pandoc = _pandoc_path()
    with _pandoc_lock:
        server = _pandoc_server
        if server is not None and server.owner != os.getpid():
            server = None  # inherited through fork: the parent's, left alone
        if server is None or not server.alive() or server.key != (pandoc, *_template_signature(template)):
            if server is not None:
                server.close()
            try:
                server = _pandoc_server = _PandocServer(pandoc, template)
            except OSError as exc:
                _pandoc_server = None
                raise RenderError("pandoc", str(exc)) from exc
        reply = server.convert(request, PANDOC_TIMEOUT_S)
    if reply.get("error"):
        raise RenderError("pandoc", str(reply["error"]).strip() or "pandoc failed")
    return [f"pandoc: {line}" for line in reply.get("warnings") or [] if str(line).strip()]


def _typst_error_message(exc: Exception, typ_path: Path) -> str:
    message = getattr(exc, "message", None) or str(exc)
    diagnostic = getattr(exc, "diagnostic", "") or ""
    hints = getattr(exc, "hints", None) or []
    text = message
    if diagnostic and diagnostic not in text:
        text += f"\n{diagnostic}"
    for hint in hints:
        text += f"\nhint: {hint}"
    if typ_path.name in text and not re.search(r"^\s*\d+\s*│", text, re.M):
        try:
            lines = typ_path.read_text(encoding="utf-8").split("\n")
        except OSError:
            lines = []
        for match in re.finditer(re.escape(typ_path.name) + r":(\d+)(?::(\d+))?", text):
            n = int(match.group(1))
            if 1 <= n <= len(lines):
                text += f"\n{typ_path.name} line {n}: {lines[n - 1].strip()}"
                break
    return text


def _run_typst(typ_path: Path, workdir: Path, timestamp: datetime) -> tuple[bytes, list[str]]:
    import typst

    try:
        compiler = typst.Compiler(root=str(workdir), font_paths=_typst_fonts(), ignore_system_fonts=True)
        pdf, warnings = compiler.compile_with_warnings(
            input=str(typ_path), timestamp=timestamp, pdf_standards=pdf_standards()
        )
    except Exception as exc:  # typst.TypstError, or a RuntimeError from the binding
        raise RenderError("typst", _typst_error_message(exc, typ_path)) from exc
    if not isinstance(pdf, bytes):  # one PDF document: bytes (a list only for per-page image formats)
        raise RenderError("typst", f"expected PDF bytes, got {type(pdf).__name__}")
    notes = [f"typst: {getattr(w, 'message', w)}" for w in warnings or []]
    return pdf, notes


def pdf_standards() -> list[PDFStandard]:
    """The PDF standards every PDF declares and conforms to (``pdf-standard`` of the format).

    Typst checks conformance while it writes the PDF (e.g. alt text on every image for
    PDF/UA-1) and refuses a document that does not conform, in both engines.
    """
    return [cast("PDFStandard", str(s)) for s in _as_list(format_options().get("pdf-standard"))]


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_page_count(pdf: bytes) -> int:
    """Number of page objects of a PDF written by Typst (no PDF library needed)."""
    return len(_PAGE_OBJECT.findall(pdf))


def _write_atomic(pdf: bytes, pdf_path: Path) -> None:
    try:
        write_bytes_atomic(pdf_path, pdf)
    except OSError as exc:
        raise RenderError("write", f"cannot write {pdf_path}: {exc}") from exc


# --------------------------------------------------------------------------- engines


def _render_builtin(
    nb: Mapping[str, Any], wd: Path, meta: dict[str, Any], ts: datetime, timings: dict[str, float], warnings: list[str]
) -> bytes:
    t0 = time.perf_counter()
    figures = wd / "figures"
    if figures.exists():
        shutil.rmtree(figures)
    markdown, notes = export_markdown(nb, figures)
    warnings.extend(notes)
    level = min_heading_level(markdown)
    shift = 1 - level if level and level > 1 else 0
    md_path, meta_path, typ_path = wd / "document.md", wd / "metadata.yml", wd / "document.typ"
    md_path.write_text(markdown, encoding="utf-8")
    _write_yaml(meta_path, meta)
    t1 = time.perf_counter()
    warnings.extend(_run_pandoc(md_path, meta_path, typ_path, shift, wd, markdown))
    t2 = time.perf_counter()
    pdf, notes = _run_typst(typ_path, wd, ts)
    warnings.extend(notes)
    t3 = time.perf_counter()
    timings.update(export=t1 - t0, pandoc=t2 - t1, typst=t3 - t2)
    return pdf


def _quarto_notebook(nb: Mapping[str, Any], figures_dir: Path, prefix: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The executed notebook as handed to Quarto: the same content as the built-in export.

    Markdown cells stay Markdown cells (attachments written to ``figures_dir``). Every code
    cell that shows something gets one ``text/markdown`` output holding exactly what
    :func:`export_markdown` makes of it (tables, figures with caption, label and alt text,
    ``asis`` text, printed values), and no code: so both engines typeset the same Markdown,
    and Quarto never sees an output it would show differently (a DataFrame's text repr, an
    Altair chart's JSON). The report metadata goes into a front-matter cell, so that one
    ``quarto render`` of a project folder renders many notebooks, each with its own title.
    """
    figures_dir.mkdir(parents=True, exist_ok=True)
    language = (nb.get("metadata", {}).get("kernelspec", {}) or {}).get("language") or "python"
    defaults: dict[str, Any] = {"echo": False, "output": True, "include": True, "warning": False}
    front: dict[str, Any] = {}
    cells: list[dict[str, Any]] = []
    raw_cells = nb.get("cells", [])
    first_content = next((i for i, c in enumerate(raw_cells) if _text(c.get("source")).strip()), None)
    texts: list[str] = []
    for index, cell in enumerate(raw_cells):
        number = index + 1
        kind = cell.get("cell_type")
        source = _text(cell.get("source"))
        if kind == "markdown":
            text = _markdown_cell(source, cell, number, figures_dir, prefix)
            texts.append(text)
            cells.append({"cell_type": "markdown", "metadata": {}, "source": text})
        elif kind == "raw":
            if index == first_content and source.lstrip().startswith("---"):
                _front_matter_defaults(source, defaults)
                block = re.match(r"---[ \t]*\n(.*?)\n---[ \t]*$", source.strip(), re.S)
                try:
                    loaded = yaml.safe_load(block.group(1)) if block else None
                except yaml.YAMLError:
                    loaded = None
                if isinstance(loaded, dict):
                    front.update(loaded)  # the notebook's own options; the report metadata wins
                continue
            cells.append({"cell_type": "raw", "metadata": dict(cell.get("metadata") or {}), "source": source})
        elif kind == "code":
            try:
                options, code = parse_cell_options(source)
            except ValueError as exc:
                raise RenderError("export", f"cell {number}: {exc}") from None
            state = _Export(auto_labels=True)
            _code_cell(state, cell, number, {**defaults, **options}, code, language, figures_dir, prefix)
            text = "\n\n".join(p.strip("\n") for p in state.parts if p and p.strip())
            if not text:
                continue
            texts.append(text)
            cells.append(
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": None,
                    "source": "#| echo: false",
                    "outputs": [
                        {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": text + "\n"}}
                    ],
                }
            )
    front.update(meta)
    level = min_heading_level("\n\n".join(texts))
    if level and level > 1:
        front["shift-heading-level-by"] = 1 - level
    matter = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=True) + "---\n"
    for cell in cells:  # Quarto reads sources as lists of lines, as Jupyter writes them
        cell["source"] = cell["source"].splitlines(keepends=True)
    return {
        "cells": [{"cell_type": "raw", "metadata": {}, "source": matter.splitlines(keepends=True)}, *cells],
        "metadata": {
            "kernelspec": (nb.get("metadata") or {}).get("kernelspec")
            or {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 4,
    }


def quarto_project_config(files: list[str] | None = None) -> dict[str, Any]:
    """``_quarto.yml`` for a render in a working folder: the project's, paths made absolute.

    Parameters
    ----------
    files : list of str, optional
        The notebooks of the folder that one ``quarto render`` renders (``project.render``).
    """
    root = project_root()
    config = copy.deepcopy(_quarto_config())
    if "filters" in config:
        config["filters"] = [
            str((root / p).resolve()) if isinstance(p, str) and p.endswith(".lua") else p
            for p in _as_list(config["filters"])
        ]
    config.setdefault("project", {})["type"] = "default"
    if files is not None:
        config["project"]["render"] = list(files)
    config["execute"] = {**(config.get("execute") or {}), "enabled": False}
    return config


def _run_quarto(args: list[str], cwd: Path, ts: datetime) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(ts.timestamp()))}
    try:
        return subprocess.run(
            ["quarto", "render", *args, "--to", FORMAT, "--no-execute"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError("quarto", str(exc)) from exc


def _quarto_failure(proc: subprocess.CompletedProcess) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr or proc.stdout or "")
    lines = [
        line
        for line in text.strip().splitlines()
        if not line.startswith("WARN: typst-gather") and "Run ./configure.sh" not in line
    ]
    return "\n".join(lines[-40:]) or f"quarto exited with {proc.returncode}"


def _render_quarto_batch(
    batch: list[tuple[int, dict[str, Any], dict[str, Any]]], wd: Path, ts: datetime, timings: dict[str, float]
) -> dict[int, bytes | RenderError]:
    """Render prepared notebooks with one ``quarto render`` of a project folder.

    One Deno start and one project for many documents: that is what makes the Quarto close
    affordable. When the batch fails, the documents without a PDF are rendered one by one, so
    a failing document is named and never stops the others.
    """
    t0 = time.perf_counter()
    wd.mkdir(parents=True, exist_ok=True)
    for name in ("_extensions", "fonts"):
        # Quarto finds format extensions and the project's fonts (font-paths: /fonts) in the
        # project folder; links keep one copy.
        if not (wd / name).exists():
            (wd / name).symlink_to(project_root() / name, target_is_directory=True)
    names = {}
    for i, nb, _ in batch:
        name = f"doc-{i:04d}"
        names[i] = name
        (wd / f"{name}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        pdf = wd / f"{name}.pdf"
        if pdf.exists():
            pdf.unlink()
    _write_yaml(wd / "_quarto.yml", quarto_project_config(sorted(f"{n}.ipynb" for n in names.values())))
    proc = _run_quarto([], wd, ts)
    outcome: dict[int, bytes | RenderError] = {}
    for i, name in names.items():
        pdf = wd / f"{name}.pdf"
        if pdf.is_file():
            outcome[i] = pdf.read_bytes()
            continue
        if proc.returncode == 0 and len(names) == 1:
            outcome[i] = RenderError("quarto", "quarto wrote no PDF")
            continue
        single = proc if len(names) == 1 else _run_quarto([f"{name}.ipynb"], wd, ts)
        if single.returncode == 0 and pdf.is_file():
            outcome[i] = pdf.read_bytes()
        else:
            outcome[i] = RenderError("quarto", _quarto_failure(single))
    timings["quarto"] = time.perf_counter() - t0
    return outcome


def render_notebook(
    executed_notebook: Path,
    pdf_path: Path,
    *,
    title: str,
    subtitle: str | None = None,
    corporation: str | None = None,
    year: int | None = None,
    provenance: Mapping[str, str] | None = None,
    engine: str = "auto",
    year_label: str | None = None,
    workdir: Path | None = None,
    timestamp: datetime | None = None,
) -> RenderResult:
    """Render an executed notebook to a PDF report with the shared KWH Typst template.

    Parameters
    ----------
    executed_notebook : pathlib.Path
        The notebook after execution (papermill); any error output makes the render fail.
    pdf_path : pathlib.Path
        Where the PDF goes; its folder is created. Written atomically.
    title : str
        Document title (Dutch), on the cover block and in the running header.
    subtitle : str, optional
        Subtitle under the title.
    corporation : str, optional
        Corporation name on the cover block and in the running header.
    year : int, optional
        Research year ("Onderzoeksjaar 2026").
    year_label : str, optional
        The word before the year in the cover band and running header (default
        "Onderzoeksjaar"; the Aedes report says "Benchmarkjaar").
    provenance : mapping of str to str
        Shown in the footer of every page, in order, e.g. ``{"dataset_fingerprint": …,
        "rules_version": …, "package_version": …, "git_commit": …}``; known keys get Dutch
        labels (:data:`PROVENANCE_LABELS`), others are shown as given. Empty values are left
        out.
    engine : {"auto", "quarto", "builtin"}
        ``auto`` takes Quarto when the ``quarto`` CLI is on PATH, else the built-in engine.
    workdir : pathlib.Path, optional
        Working folder for this render only (never share one between parallel renders). It
        keeps the intermediate files (``document.md``, ``metadata.yml``, ``document.typ``,
        ``figures/``). Default: a temporary folder, removed after success and kept (named in
        the error) after a failure.
    timestamp : datetime, optional
        PDF creation date, also printed on the cover block. Default: ``$SOURCE_DATE_EPOCH``
        or :data:`DEFAULT_TIMESTAMP` (then no date on the cover). Naive datetimes are UTC.

    Returns
    -------
    RenderResult

    Raises
    ------
    RenderError
        With the stage (``export``, ``pandoc``, ``typst``, ``quarto``, ``write``) and message.
        The target PDF is then left untouched (an earlier version stays as it was).
    """
    job = RenderJob(
        Path(executed_notebook),
        Path(pdf_path),
        title=title,
        subtitle=subtitle,
        corporation=corporation,
        year=year,
        provenance=provenance,
        year_label=year_label,
        timestamp=timestamp,
    )
    (outcome,) = render_notebooks([job], engine=engine, workdir=workdir)
    if isinstance(outcome, RenderError):
        raise outcome
    return outcome


def render_markdown(
    markdown: str,
    pdf_path: Path,
    *,
    title: str,
    subtitle: str | None = None,
    corporation: str | None = None,
    year: int | None = None,
    provenance: Mapping[str, str] | None = None,
    engine: str = "auto",
    timestamp: datetime | None = None,
) -> RenderResult:
    """Render Markdown that Python code made (a view's) to a PDF, the way notebooks are rendered.

    The Markdown becomes the one Markdown cell of an executed notebook that
    :func:`render_notebook` renders: the same engines, house style, cover and checks, and no
    kernel to start. For a document made from a value the command already holds (the
    validatieverslag of ``kwh validate-delivery``), not from the year's results.

    Parameters
    ----------
    markdown : str
        pandoc Markdown, as :mod:`kwh_calc.presentation.present` writes it (text from outside
        escaped with :func:`kwh_calc.presentation.present.escape_markdown`).
    pdf_path, title, subtitle, corporation, year, provenance, engine, timestamp
        As for :func:`render_notebook`.

    Raises
    ------
    RenderError
        As :func:`render_notebook`; the target PDF is then left untouched.
    """
    notebook = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": markdown}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with tempfile.TemporaryDirectory(prefix="kwh-markdown-") as folder:
        path = Path(folder) / "document.ipynb"
        path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
        return render_notebook(
            path,
            Path(pdf_path),
            title=title,
            subtitle=subtitle,
            corporation=corporation,
            year=year,
            provenance=provenance,
            engine=engine,
            timestamp=timestamp,
        )


@dataclass(frozen=True)
class RenderJob:
    """One document for :func:`render_notebooks`; the fields are those of :func:`render_notebook`."""

    executed_notebook: Path
    pdf_path: Path
    title: str
    subtitle: str | None = None
    corporation: str | None = None
    year: int | None = None
    provenance: Mapping[str, str] | None = None
    year_label: str | None = None
    timestamp: datetime | None = None


def render_notebooks(
    jobs: list[RenderJob], *, engine: str = "auto", workdir: Path | None = None
) -> list[RenderResult | RenderError]:
    """Render many executed notebooks; with Quarto in one ``quarto render`` call per timestamp.

    Quarto pays a Deno start and a project set-up per call (seconds); a batch pays it once.
    The built-in engine renders the jobs one after the other.

    Parameters
    ----------
    jobs : list of RenderJob
        The documents.
    engine : {"auto", "quarto", "builtin"}
        See :func:`render_notebook`.
    workdir : pathlib.Path, optional
        Working folder of this call only (kept; default a temporary folder, removed when
        every document rendered).

    Returns
    -------
    list of RenderResult or RenderError
        In the order of ``jobs``: one failing document never stops the others. A
        ``RenderResult``'s ``duration_s`` of a Quarto batch is the batch's time shared
        equally over its documents.
    """
    chosen = choose_engine(engine)
    own_workdir = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="kwh-render-")) if workdir is None else Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    outcomes: list[RenderResult | RenderError | None] = [None] * len(jobs)
    prepared: dict[datetime, list[tuple[int, dict[str, Any], dict[str, Any]]]] = {}
    for i, job in enumerate(jobs):
        start = time.perf_counter()
        job_wd = wd if len(jobs) == 1 and chosen == "builtin" else wd / f"job-{i:04d}"
        warnings: list[str] = []
        timings: dict[str, float] = {}
        try:
            nb = _read_notebook(Path(job.executed_notebook))
            check_no_errors(nb, Path(job.executed_notebook).name)
            ts = _resolve_timestamp(job.timestamp)
            meta = report_metadata(
                title=job.title,
                subtitle=job.subtitle,
                corporation=job.corporation,
                year=job.year,
                provenance=job.provenance,
                date=ts if job.timestamp is not None else None,
                year_label=job.year_label,
            )
            if chosen == "builtin":
                job_wd.mkdir(parents=True, exist_ok=True)
                pdf = _render_builtin(nb, job_wd, meta, ts, timings, warnings)
                outcomes[i] = _finish(job, pdf, chosen, start, warnings, timings)
            else:
                _, notes = export_markdown(nb, None)  # dry run: the warnings of what is skipped
                warnings.extend(notes)
                name = f"doc-{i:04d}"
                prepared.setdefault(ts, []).append(
                    (
                        i,
                        _quarto_notebook(
                            nb, wd / f"batch-{int(ts.timestamp())}" / f"{name}-figures", f"{name}-figures", meta
                        ),
                        {"warnings": warnings, "start": start},
                    )
                )
        except RenderError as exc:
            exc.workdir = job_wd
            outcomes[i] = exc
    for ts, batch in prepared.items():
        batch_wd = wd / f"batch-{int(ts.timestamp())}"
        timings = {}
        started = time.perf_counter()
        pdfs = _render_quarto_batch(batch, batch_wd, ts, timings)
        share = (time.perf_counter() - started) / len(batch)
        for i, _, extra in batch:
            result = pdfs[i]
            if isinstance(result, RenderError):
                result.workdir = batch_wd
                outcomes[i] = result
                continue
            try:
                outcomes[i] = _finish(
                    jobs[i], result, chosen, time.perf_counter() - share, extra["warnings"], {"quarto": share}
                )
            except RenderError as exc:
                outcomes[i] = exc
    if own_workdir and all(isinstance(o, RenderResult) for o in outcomes):
        shutil.rmtree(wd, ignore_errors=True)
    return outcomes  # type: ignore[return-value]


def _finish(
    job: RenderJob, pdf: bytes, engine: str, start: float, warnings: list[str], timings: dict[str, float]
) -> RenderResult:
    t_write = time.perf_counter()
    pages = pdf_page_count(pdf)
    _write_atomic(pdf, Path(job.pdf_path))
    timings["write"] = time.perf_counter() - t_write
    return RenderResult(
        pdf_path=Path(job.pdf_path),
        engine=engine,
        duration_s=time.perf_counter() - start,
        pages=pages,
        warnings=tuple(warnings),
        timings=timings,
    )
