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
