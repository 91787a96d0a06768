"""One place where every ``kwh`` command ends: documented exit codes, never a traceback.

Exit codes (also in README.md):

== ==========================================================================================
0  success (``validate-delivery``: the file is accepted)
1  input refused: a dataset breaking docs/data-contract.md, an ambiguous dataset folder, a year without
   data, a refused delivery file, a failed document in a close
2  usage: an unknown option or value, an unreadable file or rule set
3  output refused: the path is an input of the command, a folder, a device or another
   non-regular file, or cannot be written (the message names the path); also a PDF that no
   render engine can make (``validate-delivery --pdf`` without pandoc)
70 internal error: a defect of the workbench (one line; ``KWH_DEBUG=1`` shows the traceback)
130, 143 stopped by Ctrl-C (SIGINT) or SIGTERM; nothing half-written is left, no process stays
== ==========================================================================================
"""

from __future__ import annotations

import os
from typing import Any

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from kwh_calc.common.atomic import OutputRefused, clear_protected_inputs
from kwh_calc.intake.dataset import DatasetError
from kwh_calc.rendering.lifeline import Stopped, stop_signals_raise

__all__ = ["EXIT_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_OUTPUT", "EXIT_USAGE", "GuardedGroup"]

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_INTERNAL = 70  # sysexits.h EX_SOFTWARE

_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _say(text: str) -> None:
    _console.print(text, markup=False)


class GuardedGroup(TyperGroup):
    """The ``kwh`` group: runs a command with stop signals handled and failures translated."""

    # typer passes its vendored click's Context (typer._click, private): typed loosely here.
    def invoke(self, ctx: Any) -> Any:
        clear_protected_inputs()  # inputs are those of this command only
        try:
            return self._guarded(ctx)
        finally:
            clear_protected_inputs()  # and only while it runs (tests and notebooks share the process)

    def _guarded(self, ctx: Any) -> Any:
        try:
            with stop_signals_raise():
                return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # typer.Exit and usage errors carry their own code and message
        except Exception as error:
            # typer vendors its own click (typer._click): its usage errors pass through as well.
            if type(error).__module__.split(".")[0] in ("click", "typer"):
                raise
            self._translate(ctx, error)
        except KeyboardInterrupt as stop:  # Stopped included
            self._translate(ctx, stop)

    @staticmethod
    def _translate(ctx: Any, caught: BaseException) -> None:
        """Turn an exception into its message and exit code (see the module docstring)."""
        try:
            raise caught
        except Stopped as stop:
            _say(f"Gestopt ({stop}); niets half geschreven achtergelaten.")
            raise typer.Exit(stop.exit_code) from None
        except KeyboardInterrupt:
            _say("Gestopt (Ctrl-C); niets half geschreven achtergelaten.")
            raise typer.Exit(130) from None
        except OutputRefused as error:
            _say(str(error))
            raise typer.Exit(EXIT_OUTPUT) from None
        except DatasetError as error:
            _say(str(error))
            raise typer.Exit(EXIT_INPUT) from None
        except Exception as error:
            if os.environ.get("KWH_DEBUG"):
                raise
            command = ctx.invoked_subcommand or "kwh"
            _say(
                f"Interne fout in 'kwh {command}': {type(error).__name__}: {error}. "
                "Dit is een fout in de workbench; meld het met dit bericht (KWH_DEBUG=1 toont de traceback)."
            )
            raise typer.Exit(EXIT_INTERNAL) from None
