"""kwh_calc: the tested calculations of the KWH-Huurdersonderzoek workbench.

The folders follow the flow of the annual close (``docs/architecture.md``); dependencies go
one way, from top to bottom:

- :mod:`kwh_calc.common`: atomic output, Dutch numbers and dates, project paths
- :mod:`kwh_calc.intake`: the dataset contract (:func:`load_dataset`), the rule set
  (:func:`load_rules`), the demo dataset, tenant delivery files
- :mod:`kwh_calc.calculations`: scores, response, coverage, label, CKV decisions, Aedes,
  representativeness, checkvraag, fieldwork
- :mod:`kwh_calc.results`: the year's national tables, computed once (``YearResults``)
- :mod:`kwh_calc.exports`: the Aedes submission, the databank, signal lists
- :mod:`kwh_calc.presentation`: the Dutch tables and charts each document shows
- :mod:`kwh_calc.rendering`: executed notebook to PDF (built-in Typst engine or Quarto)
- :mod:`kwh_calc.close`: the annual close (``run_close``)
- :mod:`kwh_calc.cli`: the ``kwh`` command; :mod:`kwh_calc.bench`: benchmarks

Public API of this top level: the two entry points every analysis starts from.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kwh_calc.intake.dataset import Dataset, DatasetError, load_dataset, write_dataset
    from kwh_calc.intake.rules import Rules, load_rules

try:
    __version__ = version("kwh-workbench")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = [
    "Dataset",
    "DatasetError",
    "Rules",
    "__version__",
    "load_dataset",
    "load_rules",
    "write_dataset",
]

# Imported when first used (PEP 562): a document's kernel imports kwh_calc.presentation and
# kwh_calc.results only, and the dataset contract's validation library (pandera, ≈17 MB) is
# not among what it needs.
_LAZY = {
    "Dataset": "kwh_calc.intake.dataset",
    "DatasetError": "kwh_calc.intake.dataset",
    "load_dataset": "kwh_calc.intake.dataset",
    "write_dataset": "kwh_calc.intake.dataset",
    "Rules": "kwh_calc.intake.rules",
    "load_rules": "kwh_calc.intake.rules",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kwh_calc' has no attribute {name!r}")
