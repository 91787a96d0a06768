"""Shared fixtures: a small synthetic national demo dataset and the close's year results."""

from pathlib import Path

import pytest

from kwh_calc.close.run import ensure_results
from kwh_calc.intake.dataset import load_dataset, write_dataset
from kwh_calc.intake.demo import generate_demo
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, load_rules

DEMO_YEAR = 2025


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A 20-corporation demo dataset (every demo scenario present) written as Parquet."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    write_dataset(generate_demo(corporations=20, year=DEMO_YEAR, seed=11), folder)
    return folder


@pytest.fixture(scope="session")
def demo_results_dir(demo_dir, tmp_path_factory) -> Path:
    """The close's year results (``reports/<Y>/results``) for the demo dataset."""
    out = tmp_path_factory.mktemp("reports") / str(DEMO_YEAR)
    return ensure_results(load_dataset(demo_dir), load_rules(year=DEMO_YEAR), DEMO_YEAR, out, DEFAULT_RULES_PATH)


@pytest.fixture(scope="session")
def quarto_cli() -> str:
    """The quarto CLI for the Quarto engine's tests (``make test`` builds it from ../shared/quarto).

    In CI (``CI=true``) a missing quarto fails the test: the Quarto path must be tested there.
    On a machine without Quarto the test is skipped with the reason.
    """
    import os
    import shutil

    found = shutil.which("quarto")
    if found:
        return found
    reason = (
        "the quarto CLI is not on PATH: run `make test` (builds it from ../shared/quarto), or install "
        "Quarto (conda-forge, quarto.org)"
    )
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


MONITOR_AS_OF = "2025-06"


@pytest.fixture(scope="session")
def monitor_run(demo_dir, tmp_path_factory):
    """``kwh monitor`` on the demo for C001 with its contractor dashboards (built-in HTML engine)."""
    from kwh_calc.close.monitor import run_monitor

    out = tmp_path_factory.mktemp("monitor-reports")
    return run_monitor(demo_dir, MONITOR_AS_OF, out, corporations=["C001"], contractors=True)


@pytest.fixture(scope="session")
def monitor_run_quarto(demo_dir, tmp_path_factory, quarto_cli):
    """The same run as :func:`monitor_run` through Quarto's ``html`` format (``--engine quarto``)."""
    from kwh_calc.close.monitor import run_monitor

    out = tmp_path_factory.mktemp("monitor-reports-quarto")
    return run_monitor(demo_dir, MONITOR_AS_OF, out, corporations=["C001"], contractors=True, engine="quarto")


@pytest.fixture(params=["builtin", "quarto"])
def monitor_engine_run(request):
    """:func:`monitor_run` and :func:`monitor_run_quarto` in turn: the checks every dashboard passes."""
    return request.getfixturevalue("monitor_run" if request.param == "builtin" else "monitor_run_quarto")
