"""Helpers for the hostile test modules: a tiny dataset, byte snapshots, refusal checks."""

from __future__ import annotations

from pathlib import Path

from builders import DatasetBuilder
from typer.testing import CliRunner

from kwh_calc.cli import app

runner = CliRunner()


def tiny_tables(year: int = 2025) -> dict:
    """Two corporations, a handful of synthetic respondents in ``year`` (fast to validate)."""
    builder = DatasetBuilder(year).corporation("C1").corporation("C2", aedes_member=False)
    builder.respondents("C1", "reparaties", [[8, 7, 9]] * 4, aedes_grades=[8] * 4)
    builder.respondents("C2", "nieuwe_huurders", [[6, 7, 5]] * 3, aedes_grades=[7] * 3)
    return builder.tables()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (to prove inputs are byte-unchanged)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def assert_refused(result, code: int, *words: str) -> None:
    """Exit ``code``, each of ``words`` in the message, no traceback, no escaped exception."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for word in words:
        assert word in result.output, (word, result.output)
