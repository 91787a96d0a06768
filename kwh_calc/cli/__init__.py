"""Command-line interface ``kwh``: one module per command group, all on one Typer app.

Each module of :data:`COMMAND_MODULES` registers its commands on :data:`kwh_calc.cli.typer_app.app`
when imported; this package's ``app`` (the Typer app of :mod:`kwh_calc.cli.typer_app`) imports
them all.
"""

from importlib import import_module
from typing import Any

__all__ = ["app", "main"]

#: The command modules, each registering its commands on the app when imported.
COMMAND_MODULES = (
    "aedes",  # aedes
    "bench",  # bench
    "close",  # close
    "data",  # check-data, demo-data
    "databank",  # export-databank, signals
    "delivery",  # validate-delivery, calendar
    "forecast",  # forecast, forecast-backtest
    "label",  # label, ckv-decisions
    "monitor",  # monitor
    "removals",  # removals template, removals report
    "render",  # render
    "representativeness",  # representativeness
    "scores",  # scores
)


def _app() -> Any:
    for name in COMMAND_MODULES:
        import_module(f"kwh_calc.cli.{name}")
    app = import_module("kwh_calc.cli.typer_app").app
    globals()["app"] = app  # asked for once
    return app


def main() -> None:
    """Entry point of the ``kwh`` console command."""
    _app()()


def __getattr__(name: str) -> Any:
    # The commands are imported when the app is asked for, not with this package: the close's
    # worker processes start by importing the ``kwh`` script that started the close (Python's
    # "spawn"), and through it this package; with every command that was pandas, the dataset,
    # the monitor and more in every worker (issue 13: ≈50 MB each, and slower starts).
    if name == "app":
        return _app()
    raise AttributeError(f"module 'kwh_calc.cli' has no attribute {name!r}")
