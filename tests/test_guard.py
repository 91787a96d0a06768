"""The guard of every ``kwh`` command: documented exit codes, one message, never a traceback."""

from __future__ import annotations

import pytest
from hostile import assert_refused, invoke

from kwh_calc.cli.guard import EXIT_INTERNAL
from kwh_calc.rendering.lifeline import Stopped


@pytest.mark.parametrize("year", ["0", "9999"])
def test_calendar_of_an_impossible_year(year):
    assert_refused(invoke("calendar", year), 2, f"Jaar {year}")


def test_usage_errors_keep_their_own_code():
    result = invoke("scores", "--no-such-option")
    assert result.exit_code == 2
    assert "Interne fout" not in result.output


def test_a_defect_is_one_line_with_exit_70(monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise KeyError("criteria_met")

    monkeypatch.setattr("kwh_calc.cli.delivery.fieldwork_calendar", broken)
    result = invoke("calendar", "2025")
    assert_refused(result, EXIT_INTERNAL, "Interne fout in 'kwh calendar'", "KeyError", "KWH_DEBUG=1")


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("KWH_DEBUG", "1")
    monkeypatch.setattr("kwh_calc.cli.delivery.fieldwork_calendar", lambda year: 1 / 0)
    result = invoke("calendar", "2025")
    assert isinstance(result.exception, ZeroDivisionError)


@pytest.mark.parametrize(("signum", "code"), [(15, 143), (2, 130)])
def test_a_stop_signal_exits_with_the_shell_code(monkeypatch, signum, code):
    def stopped(year):
        raise Stopped(signum)

    monkeypatch.setattr("kwh_calc.cli.delivery.fieldwork_calendar", stopped)
    assert_refused(invoke("calendar", "2025"), code, "Gestopt")
