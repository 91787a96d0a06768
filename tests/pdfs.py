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
