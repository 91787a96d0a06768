"""Commands that hand answers to a corporation: ``export-databank`` and ``signals``.

Neither command prints tenant data: only counts and file names.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from kwh_calc.cli.common import (
    DATA_ARGUMENT,
    RULES_OPTION,
    check_outputs,
    console,
    load_or_exit,
    out,
    require_year_data,
    rules_or_exit,
    write_csv_atomic,
)
from kwh_calc.cli.typer_app import app
from kwh_calc.common.numbers import fmt_count
from kwh_calc.exports.databank import databank_sheets, export_databank
from kwh_calc.exports.signals import signals

#: Dutch headers of the signals CSV (a file for the corporation's staff).
SIGNAL_HEADERS = {
    "response_id": "respondent",
    "corporation_id": "corporatie",
    "questionnaire": "vragenlijst",
    "question_id": "vraagnummer",
    "question": "vraag",
    "grade": "cijfer",
    "service_month": "servicemaand",
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _corporation_or_exit(dataset, corporation_id: str) -> None:
    if corporation_id not in set(dataset.corporations["corporation_id"]):
        console.print(f"--corporation {corporation_id}: niet in de dataset", markup=False)
        raise typer.Exit(1)


@app.command("export-databank")
def export_databank_command(
    data: Path = DATA_ARGUMENT,
    corporation: str = typer.Option(..., "--corporation", help="corporation_id whose respondents are exported."),
    year: int = typer.Option(..., "--year", help="Research year Y (service months Jan-Dec Y)."),
    out_file: Path = typer.Option(..., "--out", help="Excel workbook to write (.xlsx)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Export all answers of a corporation's respondents of year Y as an anonymised Excel databank.

    One sheet per questionnaire (one row per respondent, one column per question) and a sheet
    'Toelichting'. Delivered breakdowns (aannemer, uitsplitsing 1-4) are blanked for
    respondents who stayed anonymous; texts starting with = + - @ are stored as text, never as
    a formula (docs/methodology.md §6.5).
    """
    if out_file.suffix.lower() != ".xlsx":
        console.print(f"--out {out_file.name}: moet een .xlsx-bestand zijn", markup=False)
        raise typer.Exit(2)
    check_outputs(data, rules_path, **{"--out": out_file})
    dataset = load_or_exit(data)
    require_year_data(dataset, year)
    rules = rules_or_exit(rules_path, year)
    _corporation_or_exit(dataset, corporation)
    sheets = databank_sheets(dataset, rules, corporation, year)
    export_databank(dataset, rules, corporation, year, out_file, sheets=sheets)
    respondents = sum(len(f) for f in sheets.values())
    anonymous = sum(int((f["anonimiteit opgeheven"] == "nee").sum()) for f in sheets.values())
    out.print(
        f"Databank {corporation} {year} geschreven: {out_file} ({fmt_count(respondents)} respondenten in "
        f"{fmt_count(len(sheets))} vragenlijsten; bij {fmt_count(anonymous)} anonieme respondenten "
        "zijn de uitsplitsingen leeggemaakt).",
        markup=False,
        soft_wrap=True,
    )


@app.command("signals")
def signals_command(
    data: Path = DATA_ARGUMENT,
    first_month: str = typer.Option(..., "--from", help="First service month YYYY-MM."),
    last_month: str = typer.Option(..., "--to", help="Last service month YYYY-MM (inclusive)."),
    corporation: str | None = typer.Option(None, "--corporation", help="Only this corporation_id."),
    out_file: Path = typer.Option(..., "--out", help="CSV to write (one row per signal)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """List the signals of a period: answers with a trigger grade (rules: signals), consenting respondents only.

    Trigger grades per questionnaire and question come from the rule set (the year of --to);
    respondents who did not lift their anonymity never appear (docs/methodology.md §8.8).
    """
    for option, month in (("--from", first_month), ("--to", last_month)):
        if not _MONTH.match(month):
            console.print(f"{option} {month}: verwacht een maand als JJJJ-MM", markup=False)
            raise typer.Exit(2)
    if first_month > last_month:
        console.print(f"--from {first_month} ligt na --to {last_month}", markup=False)
        raise typer.Exit(2)
    check_outputs(data, rules_path, **{"--out": out_file})
    dataset = load_or_exit(data)
    rules = rules_or_exit(rules_path, int(last_month[:4]))
    if corporation is not None:
        _corporation_or_exit(dataset, corporation)
    try:
        found = signals(dataset, rules, first_month, last_month, corporation_id=corporation)
    except ValueError as error:  # a signal rule that does not fit the dataset
        console.print(f"Signaalregels ongeldig: {error}", markup=False)
        raise typer.Exit(1) from None
    csv = found.assign(questionnaire=found["questionnaire"].map(rules.questionnaire_name))
    write_csv_atomic(csv.rename(columns=SIGNAL_HEADERS), out_file)
    out.print(
        f"{fmt_count(len(found))} signalen van {fmt_count(found['response_id'].nunique())} respondenten "
        f"({fmt_count(found['corporation_id'].nunique())} corporaties), "
        f"servicemaanden {first_month} t/m {last_month}: {out_file}",
        markup=False,
        soft_wrap=True,
    )
