"""Command-line interface ``kwh``: one module per command group, all on one Typer app.

Each module below registers its commands on :data:`kwh_calc.cli.app.app` when imported.
"""

from kwh_calc.cli import aedes as _aedes  # noqa: F401  aedes
from kwh_calc.cli import bench as _bench  # noqa: F401  bench
from kwh_calc.cli import close as _close  # noqa: F401  close
from kwh_calc.cli import data as _data  # noqa: F401  check-data, demo-data
from kwh_calc.cli import databank as _databank  # noqa: F401  export-databank, signals
from kwh_calc.cli import (
    delivery as _delivery,  # noqa: F401  validate-delivery, calendar
)
from kwh_calc.cli import label as _label  # noqa: F401  label, ckv-decisions
from kwh_calc.cli import removals as _removals  # noqa: F401  removals template, removals report
from kwh_calc.cli import render as _render  # noqa: F401  render
from kwh_calc.cli import (
    representativeness as _representativeness,  # noqa: F401  representativeness
)
from kwh_calc.cli import scores as _scores  # noqa: F401  scores
from kwh_calc.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``kwh`` console command."""
    app()
