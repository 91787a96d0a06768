"""Commands about the research dataset itself: ``check-data`` and ``demo-data``."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from kwh_calc.cli.common import DATA_ARGUMENT, console, load_or_exit, out
from kwh_calc.cli.typer_app import app
from kwh_calc.common.atomic import OutputRefused
from kwh_calc.common.numbers import fmt_count
from kwh_calc.intake.dataset import TABLES, load_dataset, respondent_counts, write_dataset


@app.command("check-data")
def check_data(data: Path = DATA_ARGUMENT) -> None:
    """Validate a research dataset against docs/data-contract.md and print a short inventory."""
    dataset = load_or_exit(data)
    corps = dataset.corporations
    out.print(f"Dataset {data}: OK (fingerprint {dataset.fingerprint[:12]})")
    out.print(
        f"Corporations: {fmt_count(len(corps))} "
        f"(Aedes members {fmt_count(int(corps['aedes_member'].sum()))}, "
        f"merged {fmt_count(int(corps['merged_from'].notna().sum()))}); "
        f"deliveries {fmt_count(len(dataset.deliveries))}; answers {fmt_count(len(dataset.answers))}"
    )
    counts = respondent_counts(dataset)
    table = Table(title="Respondents per questionnaire and service year")
    table.add_column("questionnaire")
    for year in counts.columns:
        table.add_column(str(year), justify="right")
    for questionnaire, row in counts.iterrows():
        table.add_row(str(questionnaire), *(fmt_count(v) for v in row))
    out.print(table)
    _print_removals(dataset)


def _print_removals(dataset) -> None:
    """Inventory of the removals register (docs/methodology.md §6): questionnaires removed per corporation."""
    from kwh_calc.intake.removals import removal_counts

    counts = removal_counts(dataset)
    if counts.empty:
        out.print("Removals: none (no removals register, or an empty one)")
        return
    total = fmt_count(int(counts.to_numpy().sum()))
    table = Table(title=f"Removals per corporation and service year ({total} questionnaires)")
    table.add_column("corporation")
    for year in counts.columns:
        table.add_column(str(year), justify="right")
    for corporation_id, row in counts.iterrows():
        table.add_row(str(corporation_id), *(fmt_count(v) for v in row))
    out.print(table)


@app.command("demo-data")
def demo_data(
    out_dir: Path = typer.Argument(..., help="Folder to write the dataset to (created)."),
    corporations: int = typer.Option(250, "--corporations", min=5, help="Number of corporations."),
    year: int = typer.Option(2025, "--year", help="Research year Y; Y-1 is generated as well."),
    seed: int = typer.Option(2025, "--seed", help="Random seed; the same seed gives the same data."),
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
    force: bool = typer.Option(False, "--force", help="Replace a dataset already in the folder."),
) -> None:
    """Generate the synthetic national demo dataset (docs/data-contract.md format) and validate it.

    A folder that already holds a table (``NAME.parquet`` or ``NAME.csv``) is refused
    (exit 1) unless ``--force``: a real dataset must never be replaced by demo data by accident.
    """
    from kwh_calc.intake.demo import generate_demo

    if fmt not in ("parquet", "csv"):
        console.print(f"--format {fmt}: choose parquet or csv", markup=False)
        raise typer.Exit(2)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputRefused(out_dir, "is not a folder")
    existing = (
        sorted(p.name for p in out_dir.glob("*") if p.suffix in (".parquet", ".csv") and p.stem in TABLES)
        if out_dir.is_dir()
        else []
    )
    if existing and not force:
        console.print(
            f"{out_dir} already holds a dataset ({', '.join(existing)}): not overwritten; "
            "choose an empty folder or add --force",
            markup=False,
        )
        raise typer.Exit(1)
    started = time.perf_counter()
    tables = generate_demo(corporations=corporations, year=year, seed=seed)
    write_dataset(tables, out_dir, fmt=fmt)
    dataset = load_dataset(out_dir)
    console.print(
        f"Demo dataset written to {out_dir}: {fmt_count(len(dataset.corporations))} corporations, "
        f"{fmt_count(len(dataset.respondents))} respondents, {fmt_count(len(dataset.answers))} answers "
        f"in {time.perf_counter() - started:.1f} s; passes check-data."
    )
