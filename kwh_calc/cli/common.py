"""Helpers shared by the command modules: loading with clear errors, atomic CSV output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console

from kwh_calc.common.atomic import atomic_path
from kwh_calc.intake.dataset import Dataset, DatasetError, load_dataset
from kwh_calc.intake.rules import Rules, load_rules

console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are never re-wrapped
out = Console(highlight=False)

DATA_ARGUMENT = typer.Argument(..., help="Research dataset folder (DATA.md: one .parquet or .csv per table).")
YEAR_OPTION = typer.Option(..., "--year", help="Research year Y (service months Jan-Dec Y).")
RULES_OPTION = typer.Option(None, "--rules", help="Rule set YAML (default: params/rules.yml).")


def load_or_exit(path: Path) -> Dataset:
    """Load a dataset; a broken contract prints every violation and exits with status 1."""
    try:
        return load_dataset(path)
    except (DatasetError, FileNotFoundError) as error:
        console.print(str(error), markup=False)
        raise typer.Exit(1) from None


def rules_or_exit(path: Path | None, year: int | None) -> Rules:
    """Load the rule set; an invalid one prints the reason and exits with status 1."""
    try:
        return load_rules(path, year)
    except Exception as error:  # pydantic/yaml errors: show them as one clear message
        console.print(f"Rule set {path or 'params/rules.yml'} refused: {error}", markup=False)
        raise typer.Exit(1) from None


def write_csv_atomic(frame: pd.DataFrame, target: Path) -> Path:
    """Write a CSV (UTF-8; floats in shortest round-trip form) so no half-written file carries its name."""
    with atomic_path(target) as temporary:
        frame.to_csv(temporary, index=False, encoding="utf-8")
    return Path(target)
