"""Command-line interface ``kwh``: one module per command group, all on one Typer app.

Each module of :data:`COMMAND_MODULES` registers its commands on :data:`kwh_calc.cli.typer_app.app`
when imported; this package's ``app`` (the Typer app of :mod:`kwh_calc.cli.typer_app`) imports
them all, while ``main()`` imports only the module of the command it runs.
"""

import sys
from importlib import import_module
from typing import Any

__all__ = ["app", "main"]

#: Every command (or command group) of ``kwh`` and the module that registers it on the app
#: when imported (``kwh_calc.cli.<module>``).
COMMANDS = {
    "aedes": "aedes",
    "bench": "bench",
    "close": "close",
    "check-data": "data",
    "demo-data": "data",
    "export-databank": "databank",
    "signals": "databank",
    "validate-delivery": "delivery",
    "calendar": "delivery",
    "forecast": "forecast",
    "forecast-backtest": "forecast",
    "label": "label",
    "ckv-decisions": "label",
    "monitor": "monitor",
    "removals": "removals",
    "render": "render",
    "representativeness": "representativeness",
    "scores": "scores",
}
#: The command modules, each registering its commands on the app when imported.
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


def _app(command: str | None = None) -> Any:
    """The app with every command, or with only ``command``'s module when that is a command:
    ``kwh close`` then does not import what the other commands use (scipy.stats, openpyxl,
    the monitor: ≈65 MB more in the close's main process for its whole run, issue 13)."""
    modules = (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES
    for name in modules:
        import_module(f"kwh_calc.cli.{name}")
    app = import_module("kwh_calc.cli.typer_app").app
    if len(modules) == len(COMMAND_MODULES):
        globals()["app"] = app  # asked for once
    return app


def _command_asked(arguments: list[str]) -> str | None:
    """The command of a ``kwh`` command line (its first word that is not an option)."""
    return next((word for word in arguments if not word.startswith("-")), None)


def main() -> None:
    """Entry point of the ``kwh`` console command."""
    from kwh_calc.rendering.lifeline import stop_resource_tracker_at_exit

    stop_resource_tracker_at_exit()  # no process of the command outlives it
    _app(_command_asked(sys.argv[1:]))()


def __getattr__(name: str) -> Any:
    # The commands are imported when the app is asked for, not with this package: the close's
    # worker processes start by importing the ``kwh`` script that started the close (Python's
    # "spawn"), and through it this package; with every command that was pandas, the dataset,
    # the monitor and more in every worker (issue 13: ≈50 MB each, and slower starts).
    if name == "app":
        return _app()
    raise AttributeError(f"module 'kwh_calc.cli' has no attribute {name!r}")
