"""``kwh label`` (KWH's label advice per corporation) and ``kwh ckv-decisions`` (the register).

``kwh label DATA --year Y --out FILE.csv``: one row per corporation (predecessors merged away
on or before 31 December Y excluded) with ``corporation_id, advice`` (one of
:data:`kwh_calc.calculations.label.ADVICES`), ``advice_if_counted`` / ``advice_if_not_counted`` (the two
outcomes of ``ckv_beslist``), per label component ``<q>_n, <q>_score, <q>_pct_satisfied,
<q>_meets, <q>_ckv_discretion, <q>_coverage, <q>_borderline``, ``aw_held``, the label state
and validity dates, ``special_case`` and Dutch ``reasons``. Booleans are written ``true`` /
``false``, dates ISO, unknown values empty, scores and percentages unrounded.

``kwh ckv-decisions template|check|export``: see :mod:`kwh_calc.calculations.decisions`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
import yaml
from rich.table import Table

from kwh_calc.calculations.decisions import (
    RegisterError,
    check_register,
    label_history_csv,
    merge_label_history,
    read_register,
    register_path,
    register_template,
    register_to_label_history,
    write_register,
)
from kwh_calc.calculations.label import ADVICE_NAMES, ADVICES, label_advice
from kwh_calc.cli.common import (
    DATA_ARGUMENT,
    RULES_OPTION,
    YEAR_OPTION,
    check_outputs,
    console,
    load_or_exit,
    out,
    require_year_data,
    rules_or_exit,
    write_csv_atomic,
)
from kwh_calc.cli.typer_app import app
from kwh_calc.common.atomic import protect_inputs
from kwh_calc.common.numbers import fmt_count

ckv_app = typer.Typer(
    help="The CKV decisions register (params/ckv_decisions/<Y>.csv): template, check, export as label_history.",
    no_args_is_help=True,
)
app.add_typer(ckv_app, name="ckv-decisions")


def csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``true``/``false`` (empty when unknown), dates as ISO, for CSV output."""
    text = frame.copy()
    for column in text.columns:
        series = text[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            text[column] = series.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(series):
            text[column] = series.map({True: "true", False: "false"}).astype(object).where(series.notna(), None)
    return text


@app.command("label")
def label_command(
    data: Path = DATA_ARGUMENT,
    year: int = YEAR_OPTION,
    out_file: Path = typer.Option(..., "--out", help="CSV to write: one row per corporation with the advice."),
    rules_path: Path | None = RULES_OPTION,
    components_file: Path | None = typer.Option(
        None, "--components", help="Also write the corporation × component detail CSV."
    ),
    coverage_file: Path | None = typer.Option(
        None, "--coverage", help="Also write the coverage matrix CSV (corporation × component × quarter)."
    ),
) -> None:
    """KWH's KWH-Kwaliteitslabel advice to the CKV on research year Y (docs/methodology.md §3)."""
    check_outputs(data, rules_path, **{"--out": out_file, "--components": components_file, "--coverage": coverage_file})
    dataset = load_or_exit(data)
    require_year_data(dataset, year)
    rules = rules_or_exit(rules_path, year)
    result = label_advice(dataset, rules, year)
    write_csv_atomic(csv_ready(result.advice), out_file)
    if components_file is not None:
        write_csv_atomic(csv_ready(result.components), components_file)
    if coverage_file is not None:
        write_csv_atomic(csv_ready(result.coverage), coverage_file)

    counts = result.advice["advice"].value_counts()
    view = Table(title=f"Advies KWH-Kwaliteitslabel, onderzoeksjaar {year} (regels {rules.version})")
    view.add_column("Advies")
    view.add_column("Corporaties", justify="right")
    for advice in ADVICES:
        view.add_row(ADVICE_NAMES[advice], fmt_count(int(counts.get(advice, 0))))
    out.print(view)
    if len(result.merged_away):
        out.print(f"Gefuseerd (geen eigen advies): {fmt_count(len(result.merged_away))}")
    console.print(f"{fmt_count(len(result.advice))} rows written to {out_file}")


def _register_or_exit(year: int, register: Path | None) -> tuple[Path, pd.DataFrame]:
    path = register if register is not None and register.is_file() else register_path(year, register)
    protect_inputs(path)
    if not path.is_file():  # also a FIFO or device: never read
        console.print(f"No CKV decisions register for {year}: expected {path} (or .yml)", markup=False)
        raise typer.Exit(1)
    try:
        return path, read_register(path, year)
    except RegisterError as error:
        console.print(str(error), markup=False)
        raise typer.Exit(1) from None
    except (ValueError, yaml.YAMLError, pd.errors.ParserError) as error:  # not UTF-8, broken CSV or YAML
        first_line = (str(error).splitlines() or [""])[0]
        console.print(
            f"CKV decisions register {path} refused: unreadable ({type(error).__name__}: {first_line})", markup=False
        )
        raise typer.Exit(1) from None


REGISTER_OPTION = typer.Option(
    None, "--register", help="Register file, or folder holding <Y>.csv/.yml (default params/ckv_decisions)."
)


@ckv_app.command("template")
def template_command(
    year: int = YEAR_OPTION,
    data: Path = typer.Option(..., "--data", help="Research dataset folder of year Y."),
    out_file: Path = typer.Option(..., "--out", help="Register CSV to write (e.g. params/ckv_decisions/<Y>.csv)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Write a register for year Y pre-filled with the advice (fill in decisions and reasons)."""
    if out_file.exists():
        console.print(f"{out_file} exists: not overwritten (a register holds the CKV's decisions)", markup=False)
        raise typer.Exit(1)
    dataset = load_or_exit(data)
    require_year_data(dataset, year)
    rules = rules_or_exit(rules_path, year)
    template = register_template(label_advice(dataset, rules, year).advice)
    write_register(template, out_file)
    console.print(f"Register template with {fmt_count(len(template))} corporations written to {out_file}")


@ckv_app.command("check")
def check_command(
    year: int = YEAR_OPTION,
    data: Path = typer.Option(..., "--data", help="Research dataset folder of year Y (to compare with the advice)."),
    register: Path | None = REGISTER_OPTION,
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Validate the register of year Y against the advice; exit status 1 on errors."""
    path, table = _register_or_exit(year, register)
    dataset = load_or_exit(data)
    require_year_data(dataset, year)
    rules = rules_or_exit(rules_path, year)
    errors, warnings = check_register(table, label_advice(dataset, rules, year).advice)
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False)
    for error in errors:
        console.print(f"error: {error}", markup=False)
    if errors:
        raise typer.Exit(1)
    out.print(f"Register {path}: {fmt_count(len(table))} decisions, consistent with the advice")


@ckv_app.command("export")
def export_command(
    year: int = YEAR_OPTION,
    out_file: Path = typer.Option(..., "--out", help="label_history CSV to write (docs/data-contract.md §11 format)."),
    data: Path | None = typer.Option(
        None,
        "--data",
        help=(
            "Research dataset of year Y: check the register against the advice, "
            "take current label ends from it and merge with its label_history."
        ),
    ),
    register: Path | None = REGISTER_OPTION,
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Export the CKV's decisions on year Y as label_history (next year's input).

    With --data the output is the dataset's label_history with the rows of year Y replaced by
    the register's; without, only the register's rows for Y.
    """
    path, table = _register_or_exit(year, register)
    rules = rules_or_exit(rules_path, year)
    advice = None
    existing = None
    if data is not None:
        dataset = load_or_exit(data)
        advice = label_advice(dataset, rules, year).advice
        errors, warnings = check_register(table, advice)
        for warning in warnings:
            console.print(f"warning: {warning}", markup=False)
        if errors:
            for error in errors:
                console.print(f"error: {error}", markup=False)
            raise typer.Exit(1)
        existing = dataset.label_history
    try:
        history = register_to_label_history(table, rules, year, advice)
    except RegisterError as error:
        console.print(str(error), markup=False)
        raise typer.Exit(1) from None
    if existing is not None:
        history = merge_label_history(existing, history)
    write_csv_atomic(label_history_csv(history), out_file)
    console.print(
        f"label_history with {fmt_count(len(history))} rows "
        f"({fmt_count(len(table))} decisions on {year} from {path}) written to {out_file}"
    )
