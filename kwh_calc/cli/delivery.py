"""Commands about tenant delivery files and fieldwork: ``validate-delivery`` and ``calendar``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kwh_calc import __version__
from kwh_calc.calculations.fieldwork import fieldwork_calendar, fmt_date_nl
from kwh_calc.cli.common import RULES_OPTION, check_outputs, console, out, write_csv_atomic
from kwh_calc.cli.guard import EXIT_OUTPUT
from kwh_calc.cli.typer_app import app
from kwh_calc.common.atomic import protect_inputs
from kwh_calc.common.numbers import fmt_count
from kwh_calc.intake.delivery_files import (
    DeliveryFileUnreadable,
    ValidationReport,
    validate_delivery_file,
    write_report_json,
)
from kwh_calc.intake.rules import QUESTIONNAIRES, Rules, load_rules
from kwh_calc.presentation.delivery_views import TITLE, validation_markdown
from kwh_calc.rendering.render import ENGINES, RenderError, render_markdown, require_engine

CALENDAR_COLUMNS = {
    "month_name": "maand",
    "deadline": "uiterste aanleverdatum",
    "invitation": "uitnodiging",
    "reminder": "herinnering",
    "phone_no_email": "bellen zonder e-mail",
    "phone_non_responders": "bellen non-respons",
    "fieldwork_end": "einde veldwerk",
}


def _rules(path: Path | None):
    if path is not None and path.exists() and not path.is_file():  # /dev/zero would be read forever
        console.print(f"Regelset {path} ongeldig: geen gewoon bestand", markup=False)
        raise typer.Exit(2)
    try:
        return load_rules(path)
    except Exception as error:  # yaml/pydantic errors as one clear line
        console.print(f"Regelset {path or 'params/rules.yml'} ongeldig: {error}", markup=False)
        raise typer.Exit(2) from None


@app.command("validate-delivery")
def validate_delivery(
    file: Path = typer.Argument(..., help="Tenant delivery file (.xlsx, or .csv); opened read-only."),
    questionnaire: str = typer.Option(
        ..., "--questionnaire", "-q", help=f"Questionnaire key: {', '.join(QUESTIONNAIRES)}."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the validatieverslag as JSON."),
    pdf_out: Path | None = typer.Option(
        None, "--pdf", help="Write the validatieverslag as PDF (house style, as every document)."
    ),
    engine: str = typer.Option("auto", "--engine", help="Render engine of the PDF: auto | quarto | builtin"),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Check a tenant delivery file and print its validatieverslag (docs/methodology.md §9).

    Exit status 0: accepted; 1: refused (errors); 2: the file cannot be read (or a bad option);
    3: an output refused, also a PDF that cannot be made (render engine missing).

    Only row numbers and column names are printed, never tenant data.
    """
    if questionnaire not in QUESTIONNAIRES:
        console.print(f"--questionnaire {questionnaire}: onbekend; kies uit {', '.join(QUESTIONNAIRES)}", markup=False)
        raise typer.Exit(2)
    if engine not in ENGINES:
        console.print(f"--engine {engine}: onbekend; kies uit {', '.join(ENGINES)}", markup=False)
        raise typer.Exit(2)
    protect_inputs(file)
    check_outputs(None, rules_path, **{"--json": json_out, "--pdf": pdf_out})
    if pdf_out is not None:
        try:  # before reading the file: a PDF that cannot be made is refused like a bad output path
            engine = require_engine(engine)
        except RenderError as error:
            console.print(f"--pdf {pdf_out}: PDF kan niet worden gemaakt ({error.message})", markup=False)
            raise typer.Exit(EXIT_OUTPUT) from None
    rules = _rules(rules_path)
    try:
        report = validate_delivery_file(file, questionnaire, rules)
    except DeliveryFileUnreadable as error:
        console.print(f"Bestand {file.name} niet leesbaar: {error.reason}", markup=False, soft_wrap=True)
        if json_out is not None:
            write_report_json(
                {
                    "accepted": False,
                    "readable": False,
                    "reason": error.reason,
                    "file": file.name,
                    "questionnaire": questionnaire,
                    "errors": [],
                    "attention_points": [],
                },
                json_out,
            )
        raise typer.Exit(2) from None
    verdict = "geaccepteerd" if report.accepted else "geweigerd"
    out.print(
        f"Validatieverslag {escape(report.file)} ({rules.questionnaire_name(questionnaire)}): {verdict}; "
        f"{fmt_count(report.tenant_rows)} huurders, {fmt_count(len(report.errors))} fouten, "
        f"{fmt_count(len(report.attention_points))} aandachtspunten.",
        soft_wrap=True,
    )
    for kind, findings in (("fout", report.errors), ("aandachtspunt", report.attention_points)):
        for finding in findings:
            column = f" [{finding.column}]" if finding.column else ""
            out.print(f"- {kind} {finding.rule}{column}: {finding.message}", markup=False, soft_wrap=True)
    if json_out is not None:
        write_report_json(report, json_out)
        console.print(f"JSON geschreven: {json_out}", markup=False)
    if pdf_out is not None:
        _write_pdf(report, rules, pdf_out, engine)
        console.print(f"PDF geschreven: {pdf_out}", markup=False)
    raise typer.Exit(0 if report.accepted else 1)


def _write_pdf(report: ValidationReport, rules: Rules, target: Path, engine: str) -> None:
    """The validatieverslag as a house-style PDF: the view's Markdown through the renderer.

    Dated by the check (cover and PDF date), so the same report gives the same bytes; the
    footer names the rule set that judged the file. A render that fails leaves no PDF (exit 3).
    """
    name = rules.questionnaire_name(report.questionnaire)
    try:
        render_markdown(
            validation_markdown(report, name),
            target,
            title=TITLE,
            subtitle=f"Vragenlijst {name}",
            provenance={"rules_version": rules.version, "package_version": __version__},
            engine=engine,
            timestamp=report.checked_at,
        )
    except RenderError as error:
        console.print(f"--pdf {target}: PDF niet geschreven ({error})", markup=False)
        raise typer.Exit(EXIT_OUTPUT) from None


@app.command("calendar")
def calendar(
    year: int = typer.Argument(..., help="Year Y of the delivery calendar."),
    out_file: Path | None = typer.Option(None, "--out", help="Also write the calendar as CSV (ISO dates)."),
) -> None:
    """Print the Mijn KWH delivery deadlines of year Y with invitation, reminder and telephone dates.

    Deadline: the first Wednesday of the month, or the Wednesday after when that is the 1st–4th
    (docs/methodology.md §8.1).

    Fieldwork ends on the Sunday of week 4.
    """
    try:
        frame = fieldwork_calendar(year)
    except (ValueError, OverflowError) as error:  # a year the calendar cannot hold (0, -5, 9999)
        console.print(f"Jaar {year}: geen geldig kalenderjaar ({error})", markup=False)
        raise typer.Exit(2) from None
    table = Table(title=f"Aanleverkalender Mijn KWH {year}", box=box.SIMPLE_HEAD, pad_edge=False)
    for label in (
        "maand",
        "aanlever-\ndeadline",
        "uit-\nnodiging",
        "herin-\nnering",
        "bellen zonder\ne-mail",
        "bellen non-\nrespons",
        "einde\nveldwerk",
    ):
        table.add_column(label, no_wrap=True)
    for row in frame.itertuples(index=False):
        record = row._asdict()
        cells = []
        for column in list(CALENDAR_COLUMNS)[1:]:
            day = record[column]
            text = fmt_date_nl(day)  # "wo 8 jan 2025": the year is shown only when it is not Y
            cells.append(text if day.year != year else text.rsplit(" ", 1)[0])
        table.add_row(record["month_name"], *cells)
    # Wide enough that no date is truncated, also when piped (Rich then assumes 80 columns).
    Console(highlight=False, width=max(out.width, 100)).print(table)
    if out_file is not None:
        csv_frame = frame[list(CALENDAR_COLUMNS)].copy()
        for column in list(CALENDAR_COLUMNS)[1:]:
            csv_frame[column] = pd.to_datetime(csv_frame[column]).dt.strftime("%Y-%m-%d")
        csv_frame.insert(0, "maandnummer", frame["month"])
        write_csv_atomic(csv_frame.rename(columns=CALENDAR_COLUMNS), out_file)
        console.print(f"CSV geschreven: {out_file}", markup=False)
