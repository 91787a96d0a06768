"""Tests of kwh_calc.presentation.delivery_views: the validatieverslag as Dutch Markdown.

Reports are built here from synthetic findings (no tenant data exists in a finding); the PDF
made from this Markdown by ``kwh validate-delivery --pdf`` is tested in test_delivery_files.py.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from kwh_calc.intake.delivery_files import Finding, ValidationReport
from kwh_calc.presentation.delivery_views import findings_table, summary_table, validation_markdown
from kwh_calc.presentation.present import escape_markdown

CHECKED = dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.UTC)

#: Text from an uploaded file (its name, a column header) that Markdown would read as markup.
NASTY = r"*bold* #1 $x$ <x> [a](b) @home C:\map\ \\ a|b _u_ `c` &amp; ~x~"


def _pandoc_plain(markdown: str) -> str:
    """What a reader sees: the Markdown as pandoc reads it, written as plain text."""
    import pypandoc

    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "plain", "--wrap=none", "--columns=100000"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def report(errors=(), attention=(), file="levering.xlsx") -> ValidationReport:
    return ValidationReport(
        file=file,
        questionnaire="reparaties",
        tenant_rows=1234,
        errors=list(errors),
        attention_points=list(attention),
        checked_at=CHECKED,
    )


POSTCODE = Finding(
    "postcode_ongeldig",
    "Postcode",
    (2, 3, 4, 7),
    "Postcode ontbreekt of heeft niet de vorm 1234 AB in kolom 'Postcode'",
)
FILTER = Finding("filter_actief", None, (), "Het tabblad heeft een filter (autofilter); verwijder het filter")
NO_EMAIL = Finding("email_ontbreekt", "E-mail", (5,), "1 van 1.234 huurders (0,1%) heeft geen e-mailadres")


def test_summary_table_holds_the_facts_in_dutch():
    table = summary_table(report([POSTCODE, FILTER], [NO_EMAIL]), "Reparaties")
    assert dict(zip(table["Gegeven"], table["Waarde"], strict=True)) == {
        "Bestand": "levering.xlsx",
        "Vragenlijst": "Reparaties",
        "Gecontroleerd": "4 maart 2025, 10:30",
        "Huurders (rijen)": "1.234",
        "Fouten": "2",
        "Aandachtspunten": "1",
        "Uitkomst": "Geweigerd",
    }
    assert summary_table(report(), None).set_index("Gegeven").loc["Vragenlijst", "Waarde"] == "reparaties"


def test_findings_table_names_rule_column_and_excel_rows():
    table = findings_table([POSTCODE, FILTER])
    assert list(table.columns) == ["Regel", "Kolom", "Rijen", "Toelichting"]
    assert table.iloc[0].tolist() == ["postcode_ongeldig", "Postcode", "rijen 2–4, 7", POSTCODE.text]
    assert table.iloc[1].tolist() == ["filter_actief", "–", "–", FILTER.text]  # a finding about the sheet


def test_rows_are_capped_as_in_the_messages():
    many = Finding("verborgen_rij", None, tuple(range(2, 200, 2)), "Verborgen rijen", rows_listed=3)
    assert findings_table([many]).loc[0, "Rijen"] == "rijen 2, 4, 6 … en 96 meer"


def test_refused_report_reads_as_a_refusal_with_both_sections():
    plain = _pandoc_plain(validation_markdown(report([POSTCODE], [NO_EMAIL]), "Reparaties"))
    assert plain.startswith("Het bestand levering.xlsx is geweigerd: herstel de fouten")
    errors = re.search(r"^Fouten$", plain, re.M)
    notes = re.search(r"^Aandachtspunten$", plain, re.M)
    assert errors is not None
    assert notes is not None
    assert "postcode_ongeldig" in plain
    assert "rijen 2–4, 7" in plain
    assert "rij 5" in plain
    assert errors.start() < plain.index("postcode_ongeldig") < notes.start() < plain.index("email_ontbreekt")
    assert "nooit gegevens van huurders" in plain


def test_accepted_report_without_findings_says_none():
    plain = _pandoc_plain(validation_markdown(report(), "Reparaties"))
    assert plain.startswith("Het bestand levering.xlsx is geaccepteerd.")
    assert "aandachtspunten hieronder" not in plain
    assert plain.count("Geen.") == 2
    with_notes = _pandoc_plain(validation_markdown(report(attention=[NO_EMAIL])))
    assert "De aandachtspunten hieronder helpen" in with_notes


def test_headings_are_one_level_for_the_renderer():
    markdown = validation_markdown(report([POSTCODE]))
    assert re.findall(r"^#+ .*$", markdown, re.M) == ["## Fouten", "## Aandachtspunten"]


@pytest.mark.parametrize("where", ["file", "column"])
def test_text_from_the_file_is_shown_literally(where):
    odd = Finding("onbekende_kolom", NASTY, (), f"Kolom '{NASTY}' hoort niet bij het bestandsformat")
    shown = report(attention=[odd]) if where == "column" else report(file=NASTY + ".xlsx")
    markdown = validation_markdown(shown)
    plain = _pandoc_plain(markdown)
    assert plain.count(NASTY) == 2  # column and explanation; sentence and summary table
    assert escape_markdown(NASTY) in markdown  # every markup character escaped
