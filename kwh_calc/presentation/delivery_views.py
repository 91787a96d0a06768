"""The validatieverslag of a tenant delivery file as a Dutch document (docs/methodology.md §9).

:func:`validation_markdown` turns the :class:`~kwh_calc.intake.delivery_files.ValidationReport`
of ``kwh validate-delivery`` into pandoc Markdown: a summary, then one table of errors and one
of attention points (rule, column, Excel rows, explanation). ``kwh validate-delivery --pdf``
renders it in the house style (:func:`kwh_calc.rendering.render.render_markdown`).

Text that comes from the uploaded file (its name, its column headers, which the findings quote)
is escaped (:func:`kwh_calc.presentation.present.escape_markdown`, and the cells of
:func:`kwh_calc.presentation.present.markdown_table`): it is shown literally, never read as
Markdown, Typst or a citation. The findings hold rule codes, column names, row numbers and
counts only, never a tenant's data.
"""

from __future__ import annotations

import pandas as pd

from kwh_calc.common.numbers import fmt_count, fmt_date
from kwh_calc.intake.delivery_files import Finding, ValidationReport, format_rows
from kwh_calc.presentation.present import escape_markdown, markdown_table

__all__ = ["TITLE", "findings_table", "summary_table", "validation_markdown"]

#: Title on the cover of the PDF.
TITLE = "Validatieverslag huurdersbestand"

_PRIVACY = "Dit verslag noemt alleen rijnummers (de kopregel is rij 1) en kolomnamen, nooit gegevens van huurders."


def _verdict(report: ValidationReport) -> str:
    return "Geaccepteerd" if report.accepted else "Geweigerd"


def summary_table(report: ValidationReport, questionnaire_name: str | None = None) -> pd.DataFrame:
    """The facts of the check: file, questionnaire, when, tenants, errors, attention points, outcome.

    Columns ``Gegeven`` and ``Waarde`` (Dutch text; the file name as uploaded, escaped when
    the table is written).
    """
    when = report.checked_at
    facts = [
        ("Bestand", report.file),
        ("Vragenlijst", questionnaire_name or report.questionnaire),
        ("Gecontroleerd", f"{fmt_date(when)}, {when:%H:%M}"),
        ("Huurders (rijen)", fmt_count(report.tenant_rows)),
        ("Fouten", fmt_count(len(report.errors))),
        ("Aandachtspunten", fmt_count(len(report.attention_points))),
        ("Uitkomst", _verdict(report)),
    ]
    return pd.DataFrame(facts, columns=["Gegeven", "Waarde"])


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    """One row per finding: ``Regel``, ``Kolom``, ``Rijen`` (Excel rows, header = row 1,
    compressed and capped as in the messages) and ``Toelichting``; ``–`` where there is none."""
    return pd.DataFrame(
        [
            (
                finding.rule,
                finding.column or "–",
                format_rows(finding.rows, finding.rows_listed) if finding.rows else "–",
                finding.text,
            )
            for finding in findings
        ],
        columns=["Regel", "Kolom", "Rijen", "Toelichting"],
    )


def validation_markdown(report: ValidationReport, questionnaire_name: str | None = None) -> str:
    """The validatieverslag as pandoc Markdown (Dutch), for :func:`kwh_calc.rendering.render.render_markdown`.

    Parameters
    ----------
    report : ValidationReport
        The outcome of :func:`kwh_calc.intake.delivery_files.validate_delivery_file`.
    questionnaire_name : str, optional
        The questionnaire's Dutch name (``rules.questionnaire_name``); default its key.

    Returns
    -------
    str
        The outcome in one sentence, the summary table, then the sections "Fouten" and
        "Aandachtspunten" (a table each, or "Geen."), and the note that no tenant data is shown.
    """
    name = escape_markdown(report.file)
    if report.accepted:
        outcome = f"**Het bestand {name} is geaccepteerd.**"
        if report.attention_points:
            outcome += " De aandachtspunten hieronder helpen het volgende bestand te verbeteren."
    else:
        outcome = f"**Het bestand {name} is geweigerd:** herstel de fouten hieronder en lever het bestand opnieuw aan."
    parts = [outcome, markdown_table(summary_table(report, questionnaire_name), align="ll")]
    for heading, findings in (("Fouten", report.errors), ("Aandachtspunten", report.attention_points)):
        parts.append(f"## {heading}")
        parts.append(markdown_table(findings_table(findings), align="llll") if findings else "Geen.")
    parts.append(f"*{_PRIVACY}*")
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"
