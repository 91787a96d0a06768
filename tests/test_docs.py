"""The project's docs (docs/): every citation of a section resolves to an existing heading.

Code, tests, notebooks, params and the docs themselves cite sections as
``docs/methodology.md §3.2`` (or ``methodology §3.2`` inside docs/), and decisions as
``ADR-006``. A citation of a section that does not exist fails here, so renumbering or deleting
a section cannot go unnoticed (docs/README.md, "How to cite").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ("methodology", "data-contract", "architecture", "decisions")
SCANNED = ("kwh_calc", "notebooks", "tests", "params", "docs", "templates")
SCANNED_FILES = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md", "Makefile", "pyproject.toml", "_quarto.yml")
SUFFIXES = {".py", ".md", ".ipynb", ".yml", ".yaml", ".typ", ".lua", ".toml", ".txt", ""}

HEADING = re.compile(r"^#{1,6}\s+(?:§(?P<section>\d+(?:\.\d+)*)|(?P<adr>ADR-\d{3}))\b")
# A reference to a page (optionally followed by a section): ``docs/methodology.md §3.2``,
# ``methodology.md §3.2`` or, inside docs/, the short form ```methodology §3.2```; a reference
# to a file outside docs/ (`docs/methodology.md §3``: its bare sections are not ours); a bare section;
# an ADR.
TOKEN = re.compile(
    r"(?:docs/)?(?P<page>methodology|data-contract|architecture|decisions)\.md`?\s*(?:§(?P<psec>\d+(?:\.\d+)*))?"
    r"|`(?P<short>methodology|data-contract|architecture) §(?P<ssec>\d+(?:\.\d+)*)"
    r"|(?P<foreign>[A-Za-z_]+\.md)"
    r"|§(?P<sec>\d+(?:\.\d+)*)"
    r"|(?P<adr>ADR-\d{3})"
)


def _headings(page: str) -> tuple[set[str], list[str]]:
    found: list[str] = []
    for line in (DOCS / f"{page}.md").read_text(encoding="utf-8").splitlines():
        match = HEADING.match(line)
        if match:
            found.append(match.group("section") or match.group("adr"))
    return set(found), found


def _files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and ".ipynb_checkpoints" not in path.parts:
                files.append(path)
    return files


def _citations(path: Path) -> list[tuple[int, str, str]]:
    """``(line, page, section)`` for every section cited in ``path``.

    A bare ``§N`` belongs to the page named last before it on the same line; inside docs/ a
    line starts on the file's own page. In other files a bare ``§N`` without a page on its line
    is not a citation of docs/ (it may be a § of something else) and is skipped.
    """
    own = path.stem if path.parent == DOCS and path.stem in PAGES else None
    out = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        page = own
        for match in TOKEN.finditer(line):
            if match.group("adr"):
                out.append((number, "decisions", match.group("adr")))
            elif match.group("page"):
                page = match.group("page")
                if match.group("psec"):
                    out.append((number, page, match.group("psec")))
            elif match.group("short"):
                page = match.group("short")
                out.append((number, page, match.group("ssec")))
            elif match.group("foreign"):
                page = None
            elif page is not None:
                out.append((number, page, match.group("sec")))
    return out


@pytest.mark.parametrize("page", PAGES)
def test_section_numbers_are_unique(page):
    _, found = _headings(page)
    assert found, f"docs/{page}.md has no numbered headings"
    duplicates = sorted({s for s in found if found.count(s) > 1})
    assert not duplicates, f"docs/{page}.md: section numbers used twice: {duplicates}"


def test_decisions_are_numbered_in_order():
    _, found = _headings("decisions")
    numbers = [int(s.split("-")[1]) for s in found]
    assert numbers == list(range(1, len(numbers) + 1)), "ADR numbers must run 001, 002, … without gaps"


def test_every_citation_resolves():
    headings = {page: _headings(page)[0] for page in PAGES}
    broken = []
    for path in _files():
        for line, page, section in _citations(path):
            if section not in headings[page]:
                broken.append(f"{path.relative_to(ROOT)}:{line}: docs/{page}.md {section}")
    assert not broken, "citations of sections that do not exist:\n" + "\n".join(broken)


def test_docs_index_lists_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    missing = [page for page in PAGES if f"({page}.md)" not in index]
    assert not missing, f"docs/README.md does not link {missing}"
