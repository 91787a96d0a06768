"""Where the project's files are: the one place that knows the project root.

The package reads files that live beside it in the project, not inside it: ``params/`` (the
rule set, the documents of the close, the checkvraag settings), ``_extensions/kwh/`` (the house style), ``fonts/``,
``chart-fonts/``,
``notebooks/`` and ``_quarto.yml``. They are found from the project root:
``$KWH_PROJECT_ROOT`` when set (a non-editable install, a test), else the folder that holds
the ``kwh_calc`` package (the editable install of a checkout, ``pip install -e .``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "EXTENSION",
    "PACKAGE_DIR",
    "PROJECT_ROOT_ENV",
    "chart_fonts_dir",
    "fonts_dir",
    "params_dir",
    "project_root",
    "templates_dir",
]

PROJECT_ROOT_ENV = "KWH_PROJECT_ROOT"
#: The house style: a Quarto format extension that the built-in engine reads too.
EXTENSION = "_extensions/kwh"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def project_root() -> Path:
    """The project folder (``$KWH_PROJECT_ROOT``, else the folder above the package)."""
    env = os.environ.get(PROJECT_ROOT_ENV)
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def params_dir() -> Path:
    """``params/``: rules, documents of the close, checkvraag settings, CKV decisions."""
    return project_root() / "params"


def templates_dir() -> Path:
    """``_extensions/kwh/``: the house style (Quarto format extension), read by both engines."""
    return project_root() / EXTENSION


def fonts_dir() -> Path:
    """``fonts/``: the bundled font family, which Typst (both engines) and the HTML pages draw with."""
    return project_root() / "fonts"


def chart_fonts_dir() -> Path:
    """``chart-fonts/``: the same family with TrueType outlines, with which vl-convert measures
    chart text (the same widths, measured far faster; ``tools/chart_fonts.py`` makes it). It
    must stay outside ``fonts/``: Typst and Quarto search their font folders recursively."""
    return project_root() / "chart-fonts"
