"""Helpers shared by the command modules: loading with clear errors, atomic CSV output."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console

from kwh_calc.common.atomic import OutputRefused, atomic_path, check_output_target, protect_inputs
from kwh_calc.intake.dataset import TABLES, Dataset, DatasetError, load_dataset, refusal_text, year_data_problem
from kwh_calc.intake.rules import Rules, load_rules

console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are never re-wrapped
out = Console(highlight=False)

DATA_ARGUMENT = typer.Argument(
    ..., help="Research dataset folder (docs/data-contract.md §1: one .parquet or .csv per table)."
)
YEAR_OPTION = typer.Option(..., "--year", help="Research year Y (service months Jan-Dec Y).")
RULES_OPTION = typer.Option(None, "--rules", help="Rule set YAML (default: params/rules.yml).")


def protect_dataset(path: Path) -> None:
    """Register the dataset's files (and every table file name it could hold) as inputs.

    No output may replace them, and none may add ``NAME.csv`` beside ``NAME.parquet``
    (which would make the folder ambiguous).
    """
    folder = Path(path)
    protect_inputs(*(folder / f"{name}{suffix}" for name in TABLES for suffix in (".parquet", ".csv")))
    with contextlib.suppress(OSError):  # not a (readable) folder: loading it reports that
        protect_inputs(*(p for p in folder.iterdir() if p.suffix in (".parquet", ".csv")))


def check_outputs(data: Path | None = None, rules_path: Path | None = None, **targets: Path | None) -> None:
    """Refuse (exit 3) bad output options before any work is done.

    ``data`` and ``rules_path`` are registered as inputs first; then every target must pass
    :func:`kwh_calc.common.atomic.check_output_target` and no two options may name the same file (one
    would overwrite the other). The atomic writer checks again when it writes: this is only
    the early answer, so a national run does not compute for a minute before refusing.
    """
    if data is not None:
        protect_dataset(data)
    protect_inputs(rules_path)
    seen: dict[str, str] = {}
    for option, target in targets.items():
        if target is None:
            continue
        check_output_target(target)
        key = os.path.realpath(target)
        if key in seen:
            raise OutputRefused(target, f"given for both {seen[key]} and {option}")
        seen[key] = option


def load_or_exit(path: Path) -> Dataset:
    """Load a dataset; a broken contract prints every violation and exits with status 1."""
    protect_dataset(path)
    try:
        return load_dataset(path)
    except (DatasetError, OSError) as error:  # OSError: missing, or e.g. a folder without read permission
        console.print(refusal_text(path, error), markup=False)
        raise typer.Exit(1) from None


def require_year_data(
    dataset: Dataset, year: int, first_month: str | None = None, last_month: str | None = None
) -> None:
    """Refuse (exit 1) a research year without a single respondent in its service months
    (:func:`kwh_calc.intake.dataset.year_data_problem`)."""
    problem = year_data_problem(dataset, year, first_month, last_month)
    if problem:
        console.print(problem, markup=False)
        raise typer.Exit(1)


def rules_or_exit(path: Path | None, year: int | None) -> Rules:
    """Load the rule set; an invalid one prints the reason and exits with status 1."""
    protect_inputs(path)
    if path is not None and path.exists() and not path.is_file():  # /dev/zero would be read forever
        console.print(f"Rule set {path} refused: not a regular file", markup=False)
        raise typer.Exit(1)
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
