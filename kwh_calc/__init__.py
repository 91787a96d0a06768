"""kwh_calc: the tested calculations of the KWH-Huurdersonderzoek workbench.

Public API (each module holds one concept; see its docstring for the FAQ rule it implements):

Data and rules
- :mod:`kwh_calc.rules`: the rule set (``params/rules.yml``) -> :func:`load_rules`
- :mod:`kwh_calc.dataset`: the research dataset contract -> :func:`load_dataset`
- :mod:`kwh_calc.demo`: the synthetic national demo dataset -> ``generate_demo``
- :mod:`kwh_calc.numbers`: exact threshold arithmetic and Dutch display
- :mod:`kwh_calc.atomic`: atomic file output

Calculations
- :mod:`kwh_calc.scores`: onderdeelscore, percentage tevreden, breakdowns, suppression, peers
- :mod:`kwh_calc.response`: approached, online, telephone, response percentage
- :mod:`kwh_calc.label`, :mod:`kwh_calc.coverage`, :mod:`kwh_calc.decisions`: the
  KWH-Kwaliteitslabel advice, quarterly coverage, the CKV decisions register
- :mod:`kwh_calc.aedes`, :mod:`kwh_calc.aedes_submission`: the Aedes-benchmark
- :mod:`kwh_calc.representativeness`: margins of error, sample sizes, intervals, quotas
- :mod:`kwh_calc.checkvraag`, :mod:`kwh_calc.signals`, :mod:`kwh_calc.databank`: the
  Reparaties check question, signal lists, the anonymised answers export
- :mod:`kwh_calc.delivery_files`, :mod:`kwh_calc.fieldwork`: upload validation and planning

The annual close and its documents
- :mod:`kwh_calc.results`: the year's national tables, computed once -> ``YearResults``
- :mod:`kwh_calc.close`: papermill per corporation and document -> ``run_close``
- :mod:`kwh_calc.kernels`: the kept-kernel papermill engine
- :mod:`kwh_calc.render`, :mod:`kwh_calc.present`: PDF rendering and notebook presentation
- :mod:`kwh_calc.views`, :mod:`kwh_calc.ckv_views`, :mod:`kwh_calc.aedes_views`,
  :mod:`kwh_calc.representativeness_views`: Dutch display tables of each document
- :mod:`kwh_calc.bench`: benchmarks (``kwh bench``)
"""

from importlib.metadata import PackageNotFoundError, version

from kwh_calc.dataset import Dataset, DatasetError, load_dataset, write_dataset
from kwh_calc.rules import Rules, load_rules

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
