"""kwh_calc.cli: the command map, and ``main`` loading only the command it runs."""

from __future__ import annotations

import json
import subprocess
import sys

from kwh_calc.cli import COMMAND_MODULES, COMMANDS


def test_every_command_is_mapped_to_the_module_that_registers_it():
    """Importing each command module in turn registers exactly the commands the map gives it,
    and together they are every command of ``kwh``: the map cannot go stale unnoticed."""
    code = (
        "import json\n"
        "from importlib import import_module\n"
        "from kwh_calc.cli import COMMAND_MODULES\n"
        "from kwh_calc.cli.typer_app import app\n"
        "seen, found = set(), {}\n"
        "for module in COMMAND_MODULES:\n"
        "    import_module(f'kwh_calc.cli.{module}')\n"
        "    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}\n"
        "    found[module] = sorted(names - seen)\n"
        "    seen |= names\n"
        "print(json.dumps(found))\n"
    )
    found = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    expected = {module: sorted(c for c, m in COMMANDS.items() if m == module) for module in COMMAND_MODULES}
    assert found == expected


def _run_main(*arguments: str) -> tuple[str, list[str]]:
    code = (
        "import sys\n"
        f"sys.argv = ['kwh', *{list(arguments)!r}]\n"
        "from kwh_calc.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('kwh_calc.cli.')))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
    ).stdout
    text, _, modules = output.rpartition("MODULES ")
    return text, eval(modules)  # a printed list of names


def test_a_command_line_loads_only_its_command():
    """``kwh close …`` imports the close's command module only (not scipy.stats, openpyxl or the
    monitor of the others: the close's main process stays smaller, issue 13), and still works
    as a command of the group."""
    text, modules = _run_main("close", "--help")
    assert "Usage: kwh close [OPTIONS]" in text
    assert set(modules) - {"common", "guard", "typer_app"} == {"close"}
    text, modules = _run_main("removals", "template", "--help")
    assert "Usage: kwh removals template" in text
    assert set(modules) - {"common", "guard", "typer_app"} == {"removals"}


def test_help_and_unknown_commands_see_every_command():
    text, modules = _run_main("--help")
    assert set(COMMAND_MODULES) <= set(modules)
    assert all(command in text for command in COMMANDS)
    text, modules = _run_main("clos")
    assert "No such command 'clos'. Did you mean 'close'?" in text
    assert set(COMMAND_MODULES) <= set(modules)
