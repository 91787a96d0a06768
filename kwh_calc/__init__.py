"""kwh_calc: the tested calculations of the KWH-Huurdersonderzoek workbench.

Public API (each module holds one concept; see its docstring for the FAQ rule it implements):

- :mod:`kwh_calc.rules`: the rule set (``params/rules.yml``) -> :func:`load_rules`
- :mod:`kwh_calc.dataset`: the research dataset contract -> :func:`load_dataset`
- :mod:`kwh_calc.demo`: the synthetic national demo dataset -> :func:`generate_demo`
- :mod:`kwh_calc.numbers`: exact threshold arithmetic and Dutch display
- :mod:`kwh_calc.scores`: onderdeelscore, percentage tevreden, breakdowns, peers
- :mod:`kwh_calc.response`: approached, online, telephone, response percentage
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
