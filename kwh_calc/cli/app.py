"""The ``kwh`` Typer application that every command module registers on."""

import typer

app = typer.Typer(
    name="kwh",
    help="KWH-Huurdersonderzoek workbench: data checks, scores, label advice, Aedes, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
