"""The ``kwh`` Typer application that every command module registers on."""

import typer

from kwh_calc.cli.guard import GuardedGroup

app = typer.Typer(
    cls=GuardedGroup,  # exit codes, no tracebacks, stop signals: kwh_calc/cli/guard.py
    name="kwh",
    help="KWH-Huurdersonderzoek workbench: data checks, scores, label advice, Aedes, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _group() -> None:
    # A callback keeps the app a group of commands even when ``kwh_calc.cli.main`` registers
    # only the one command it runs (Typer turns an app of one command into that command).
    pass
