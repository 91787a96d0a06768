"""Reading rendered PDFs back in tests."""

import re
from pathlib import Path

from pypdf import PdfReader


def pdf_text(path: str | Path) -> str:
    """The text of every page, joined with spaces."""
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def squeezed(text: str) -> str:
    """Without white space (table cells wrap over lines) and with one kind of minus."""
    return re.sub(r"\s", "", text).replace("−", "-")


def _walk_structure(node, found: list[str], seen: set[int]) -> None:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for child in node:
            _walk_structure(child, found, seen)
        return
    if not hasattr(node, "get") or id(node) in seen:
        return
    seen.add(id(node))
    if "/Alt" in node:
        found.append(str(node["/Alt"]))
    if "/K" in node:
        _walk_structure(node["/K"], found, seen)


def alt_texts(path: str | Path) -> list[str]:
    """The alt texts in the PDF's structure tree (tagged PDF: one per image)."""
    root = PdfReader(path).trailer["/Root"]
    found: list[str] = []
    if "/StructTreeRoot" in root:
        _walk_structure(root["/StructTreeRoot"], found, set())
    return found


def standards(path: str | Path) -> dict[str, str]:
    """What the PDF declares: ``pdfa`` ("2A"), ``pdfua`` ("1") and ``lang`` ("nl")."""
    root = PdfReader(path).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8") if "/Metadata" in root else ""

    def tag(name: str) -> str:
        match = re.search(rf"<{name}>([^<]*)</{name}>", xmp) or re.search(rf'{name}="([^"]*)"', xmp)
        return match.group(1) if match else ""

    return {
        "pdfa": tag("pdfaid:part") + tag("pdfaid:conformance"),
        "pdfua": tag("pdfuaid:part"),
        "lang": str(root.get("/Lang", "")),
    }


def font_names(path: str | Path) -> set[str]:
    """Base names of the fonts the pages use that are embedded (subset prefix removed)."""
    names: set[str] = set()
    for page in PdfReader(path).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor_owner = descendants[0].get_object() if descendants else font
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names
