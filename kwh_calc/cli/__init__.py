"""Command-line interface ``kwh``: one module per command group, all on one Typer app.

Each module below registers its commands on :data:`kwh_calc.cli.app.app` when imported.
"""

# Imported to register their commands; the redundant alias (`x as x`) marks each import as intended.
from kwh_calc.cli import aedes as aedes  # aedes
from kwh_calc.cli import bench as bench  # bench
from kwh_calc.cli import close as close  # close
from kwh_calc.cli import data as data  # check-data, demo-data
from kwh_calc.cli import databank as databank  # export-databank, signals
from kwh_calc.cli import delivery as delivery  # validate-delivery, calendar
from kwh_calc.cli import forecast as forecast  # forecast, forecast-backtest
from kwh_calc.cli import label as label  # label, ckv-decisions
from kwh_calc.cli import monitor as monitor  # monitor
from kwh_calc.cli import removals as removals  # removals template, removals report
from kwh_calc.cli import render as render  # render
from kwh_calc.cli import representativeness as representativeness  # representativeness
from kwh_calc.cli import scores as scores  # scores
from kwh_calc.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``kwh`` console command."""
    app()
