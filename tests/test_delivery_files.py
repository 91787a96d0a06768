"""Tests of kwh_calc.intake.delivery_files and `kwh validate-delivery` (docs/methodology.md §9).

Every delivery file is synthetic and built here with openpyxl (fake tenants "Test Huurder",
e-mail @example.invalid, 06-numbers of the 0612345678 kind); the 100.000-row file is written
by a minimal xlsx writer (shared strings and a date style, as Excel writes them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from openpyxl.worksheet.table import Table
from pdfs import font_names, pdf_text, squeezed, standards
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.intake import delivery_files as df
from kwh_calc.intake.delivery_files import (
    DeliveryFileUnreadable,
    format_rows,
    normalise_header,
    valid_date,
    valid_email,
    valid_phone,
    valid_postcode,
    validate_delivery_file,
)
from kwh_calc.intake.rules import load_rules

HEADER = [
    "Geslacht",
    "Voorletters",
    "Tussenvoegsel",
    "Achternaam",
    "Straat",
    "Huisnummer",
    "Toevoeging",
    "Postcode",
    "Woonplaats",
    "Telefoon1",
    "Telefoon2",
    "E-mail",
    "Uitsplitsing 1",
    "Uitsplitsing 2",
    "Uitsplitsing 3",
    "Uitsplitsing 4",
    "Aannemer",
    "id1",
    "id2",
    "Datum",
    "Type",
]
COL = {name: i for i, name in enumerate(HEADER)}
runner = CliRunner()


def tenant(i: int, **changes) -> list:
    """A valid tenant row; keyword arguments (by header, space or dash as _) override cells."""
    row = {
        "Geslacht": "v" if i % 2 else "m",
        "Voorletters": "T.",
        "Tussenvoegsel": None,
        "Achternaam": f"Huurder{i}",
        "Straat": "Teststraat",
        "Huisnummer": i,
        "Toevoeging": None,
        "Postcode": f"{1000 + i % 9000} AB",
        "Woonplaats": "Teststad",
        "Telefoon1": f"06{12345000 + i:08d}",
        "Telefoon2": None,
        "E-mail": f"test.huurder{i}@example.invalid",
        "Uitsplitsing 1": "Wijk Oost",
        "Uitsplitsing 2": None,
        "Uitsplitsing 3": None,
        "Uitsplitsing 4": None,
        "Aannemer": "Aannemer A",
        "id1": f"OPD{i}",
        "id2": None,
        "Datum": dt.datetime(2025, 1, 15),
        "Type": "lekkage keuken",
    }
    for key, value in changes.items():
        name = next(n for n in (key, key.replace("_", " "), key.replace("_", "-")) if n in row)
        row[name] = value
    return [row[h] for h in HEADER]


def make_xlsx(path: Path, rows: list[list], header: list[str] = HEADER, edit=None) -> Path:
    """Write a workbook with one sheet (header + rows); ``edit(workbook, sheet)`` may change it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Huurders"
    ws.append(header)
    for row in rows:
        ws.append(row)
    if edit is not None:
        edit(wb, ws)
    wb.save(path)
    return path


def good_rows(n: int = 5) -> list[list]:
    return [tenant(i) for i in range(1, n + 1)]


def check(path: Path, questionnaire: str = "reparaties"):
    return validate_delivery_file(path, questionnaire)


def finding(findings, rule):
    hits = [f for f in findings if f.rule == rule]
    assert len(hits) == 1, f"expected one {rule}, got {[f.rule for f in findings]}"
    return hits[0]


def rules_of(findings) -> set[str]:
    return {f.rule for f in findings}


# --------------------------------------------------------------------------- helpers


def test_normalise_header_tolerates_case_spaces_and_separators():
    assert normalise_header("Uitsplitsing 1") == normalise_header("uitsplitsing1") == "uitsplitsing1"
    assert normalise_header(" E-mail ") == normalise_header("e_mail") == normalise_header("EMAIL") == "email"


def test_format_rows_compresses_ranges_and_caps():
    assert format_rows([12, 5, 6, 7, 8, 9]) == "rijen 5–9, 12"
    assert format_rows([7]) == "rij 7"
    rows = list(range(2, 2000, 2))  # 999 isolated rows
    text = format_rows(rows, limit=3)
    assert text == "rijen 2, 4, 6 … en 996 meer"
    assert format_rows([*list(range(2, 1240)), 5000], limit=1) == "rijen 2–1.239 … en 1 meer"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1234 AB", True),
        ("1234AB", True),
        ("1234 ab", True),
        (" 9999ZZ ", True),
        ("123 AB", False),
        ("0123 AB", False),
        ("1234 A", False),
        ("1234-AB", False),
        (1234, False),
        (None, False),
    ],
)
def test_valid_postcode(value, ok):
    assert valid_postcode(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("test.huurder@example.invalid", True),
        ("a@b.nl", True),
        ("test.huurder@", False),
        ("test huurder@example.invalid", False),
        ("a@b@example.invalid", False),
        ("a@example.invalid; b@example.invalid", False),
        ("geen", False),
    ],
)
def test_valid_email(value, ok):
    assert valid_email(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0612345678", True),
        ("06-12345678", True),
        ("06 1234 5678", True),
        ("010-2210360", True),
        ("+31612345678", True),
        ("+31 6 12345678", True),
        ("0031612345678", True),
        ("+31 (0)6 12345678", True),
        (612345678, True),
        (31612345678, True),
        (102210360, True),
        ("12345", False),
        ("0612345", False),
        ("06123456789", False),
        ("+32 470 12 34 56", False),
        ("0012345678", False),
        ("tel 0612345678", False),
        (12345, False),
        (6.5, False),
    ],
)
def test_valid_phone(value, ok):
    assert valid_phone(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (dt.datetime(2025, 1, 15), True),
        (dt.date(2025, 1, 15), True),
        ("15-01-2025", True),
        ("5-1-2025", True),
        ("15/01/2025", True),
        ("15.01.2025", True),
        ("2025-01-15", True),
        ("15-01-2025 10:30", True),
        ("31-02-2025", False),
        ("2025-13-01", False),
        ("gisteren", False),
        ("15-01-25", False),
        (45672, False),
    ],
)
def test_valid_date(value, ok):
    assert valid_date(value) is ok


# --------------------------------------------------------------------------- accepted files


def test_clean_file_is_accepted_without_findings(tmp_path):
    report = check(make_xlsx(tmp_path / "goed.xlsx", good_rows()))
    assert report.accepted
    assert report.errors == []
    assert report.attention_points == []
    assert report.tenant_rows == 5


def test_header_matching_is_tolerant(tmp_path):
    header = [h.upper() for h in HEADER]
    header[COL["Uitsplitsing 1"]] = "uitsplitsing1"
    header[COL["E-mail"]] = " e_mail "
    header[COL["Voorletters"]] = "Voornaam"
    report = check(make_xlsx(tmp_path / "koppen.xlsx", good_rows(), header=header))
    assert report.accepted, [f.message for f in report.errors]
    assert report.attention_points == []


def test_empty_rows_and_empty_gender_are_allowed(tmp_path):
    rows = [tenant(1), [None] * len(HEADER), tenant(2, Geslacht=None), tenant(3, Geslacht="VROUW")]
    report = check(make_xlsx(tmp_path / "leeg.xlsx", rows))
    assert report.accepted
    assert report.tenant_rows == 3


# --------------------------------------------------------------------------- errors


def test_missing_required_column(tmp_path):
    header = [h for h in HEADER if h != "Postcode"]
    rows = [[v for h, v in zip(HEADER, row, strict=True) if h != "Postcode"] for row in good_rows()]
    report = check(make_xlsx(tmp_path / "kolom.xlsx", rows, header=header))
    assert not report.accepted
    hit = finding(report.errors, "kolom_ontbreekt")
    assert hit.column == "postcode"
    assert hit.rows == ()


def test_duplicate_column(tmp_path):
    header = [*HEADER, "e-mail"]
    rows = [[*row, None] for row in good_rows()]
    report = check(make_xlsx(tmp_path / "dubbel.xlsx", rows, header=header))
    assert finding(report.errors, "kolom_dubbel").column == "e-mail"


def test_unknown_column_is_an_attention_point(tmp_path):
    rows = [[*row, "x"] for row in good_rows()]
    report = check(make_xlsx(tmp_path / "extra.xlsx", rows, header=[*HEADER, "Opmerking"]))
    assert report.accepted
    assert finding(report.attention_points, "onbekende_kolom").column == "Opmerking"


def test_formulas_are_reported_with_rows(tmp_path):
    rows = good_rows(6)
    rows[2][COL["Telefoon2"]] = "=J4"  # Excel row 4
    rows[4][COL["Telefoon2"]] = "=J6"  # Excel row 6
    report = check(make_xlsx(tmp_path / "formule.xlsx", rows))
    hit = finding(report.errors, "formule")
    assert hit.column == "Telefoon2"
    assert hit.rows == (4, 6)


def test_hidden_rows_and_columns(tmp_path):
    def edit(wb, ws):
        ws.row_dimensions[3].hidden = True
        ws.row_dimensions[5].hidden = True
        ws.row_dimensions[50].hidden = True  # beyond the data: not a hidden tenant
        ws.column_dimensions["S"].hidden = True  # id2
        ws.column_dimensions["AZ"].hidden = True  # beyond the data

    report = check(make_xlsx(tmp_path / "verborgen.xlsx", good_rows(), edit=edit))
    assert finding(report.errors, "verborgen_rij").rows == (3, 5)
    hit = finding(report.errors, "verborgen_kolom")
    assert hit.column == "id2"
    assert hit.rows == ()


def test_autofilter_is_refused(tmp_path):
    def edit(wb, ws):
        ws.auto_filter.ref = "A1:U6"

    report = check(make_xlsx(tmp_path / "filter.xlsx", good_rows(), edit=edit))
    assert not report.accepted
    assert finding(report.errors, "filter_actief").column is None


def test_table_with_filter_is_refused(tmp_path):
    def edit(wb, ws):
        ws.add_table(Table(displayName="Huurders", ref="A1:U6"))

    report = check(make_xlsx(tmp_path / "tabel.xlsx", good_rows(), edit=edit))
    assert "filter_actief" in rules_of(report.errors)


def test_more_than_one_sheet_with_data(tmp_path):
    def edit(wb, ws):
        wb.create_sheet("Leeg")
        wb.create_sheet("Extra")["B2"] = "iets"

    report = check(make_xlsx(tmp_path / "tabbladen.xlsx", good_rows(), edit=edit))
    hit = finding(report.errors, "meerdere_tabbladen")
    assert "tabbladen 1 en 3" in hit.message

    def edit_empty(wb, ws):
        wb.create_sheet("Leeg")

    assert check(make_xlsx(tmp_path / "een.xlsx", good_rows(), edit=edit_empty)).accepted


def test_data_on_a_later_sheet_is_checked(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Toelichting leeg"
    ws = wb.create_sheet("Huurders")
    ws.append(HEADER)
    ws.append(tenant(1, Postcode="fout"))
    wb.save(tmp_path / "later.xlsx")
    report = check(tmp_path / "later.xlsx")
    assert finding(report.errors, "postcode_ongeldig").rows == (2,)


def test_unreachable_rows(tmp_path):
    rows = good_rows(6)
    rows[1][COL["E-mail"]] = rows[1][COL["Telefoon1"]] = None  # row 3
    rows[3][COL["E-mail"]] = rows[3][COL["Telefoon1"]] = None  # row 5: phone 2 only
    rows[3][COL["Telefoon2"]] = "010-2210360"
    rows[4][COL["E-mail"]] = rows[4][COL["Telefoon1"]] = None  # row 6
    report = check(make_xlsx(tmp_path / "bereik.xlsx", rows))
    hit = finding(report.errors, "niet_bereikbaar")
    assert hit.rows == (3, 6)
    assert "2 huurders hebben geen e-mailadres en geen telefoonnummer" in hit.message


def test_invalid_gender(tmp_path):
    rows = [
        tenant(1, Geslacht="x"),
        tenant(2, Geslacht="Man"),
        tenant(3, Geslacht="M"),
        tenant(4, Geslacht="vr"),
        tenant(5, Geslacht=None),
    ]
    hit = finding(check(make_xlsx(tmp_path / "g.xlsx", rows)).errors, "geslacht_ongeldig")
    assert hit.rows == (2, 5)


def test_malformed_postcode(tmp_path):
    rows = [
        tenant(1),
        tenant(2, Postcode="123 AB"),
        tenant(3, Postcode="1234ab"),
        tenant(4, Postcode=None),
        tenant(5, Postcode=1234),
    ]
    hit = finding(check(make_xlsx(tmp_path / "pc.xlsx", rows)).errors, "postcode_ongeldig")
    assert hit.rows == (3, 5, 6)


def test_malformed_email_and_phone(tmp_path):
    rows = [
        tenant(1, E_mail="test.huurder@"),
        tenant(2),
        tenant(3, Telefoon1="12345"),
        tenant(4, Telefoon2="+32 470 12 34 56"),
        tenant(5, Telefoon1=612345678),
    ]
    report = check(make_xlsx(tmp_path / "contact.xlsx", rows))
    assert finding(report.errors, "email_ongeldig").rows == (2,)
    phones = {f.column: f.rows for f in report.errors if f.rule == "telefoon_ongeldig"}
    assert phones == {"Telefoon1": (4,), "Telefoon2": (5,)}


def test_unparseable_datum(tmp_path):
    def edit(wb, ws):
        ws["T7"].number_format = "General"  # a bare number, no date format

    rows = [
        tenant(1),
        tenant(2, Datum="15-01-2025"),
        tenant(3, Datum="31-02-2025"),
        tenant(4, Datum="gisteren"),
        tenant(5, Datum=None),
        tenant(6, Datum=45672),
    ]
    hit = finding(check(make_xlsx(tmp_path / "datum.xlsx", rows, edit=edit)).errors, "datum_ongeldig")
    assert hit.rows == (4, 5, 7)


# --------------------------------------------------------------------------- attention points


def test_missing_email_is_counted(tmp_path):
    rows = good_rows(5)
    rows[0][COL["E-mail"]] = None
    rows[3][COL["E-mail"]] = "   "
    report = check(make_xlsx(tmp_path / "mail.xlsx", rows))
    assert report.accepted
    hit = finding(report.attention_points, "email_ontbreekt")
    assert hit.rows == (2, 5)
    assert hit.message.startswith("2 van 5 huurders (40%) hebben geen e-mailadres")


def test_empty_breakdowns(tmp_path):
    rows = good_rows(3)
    for row in rows:
        row[COL["Uitsplitsing 1"]] = None
    report = check(make_xlsx(tmp_path / "uits.xlsx", rows))
    assert report.accepted
    assert finding(report.attention_points, "uitsplitsingen_leeg").rows == ()
    header = [h for h in HEADER if not h.startswith("Uitsplitsing")]
    rows = [[v for h, v in zip(HEADER, row, strict=True) if not h.startswith("Uitsplitsing")] for row in good_rows(3)]
    absent = check(make_xlsx(tmp_path / "zonder.xlsx", rows, header=header))
    assert "uitsplitsingen_leeg" in rules_of(absent.attention_points)


def test_empty_type_only_for_repairs_and_maintenance(tmp_path):
    rows = [tenant(1), tenant(2, Type=None), tenant(3), tenant(4, Type=" ")]
    path = make_xlsx(tmp_path / "type.xlsx", rows)
    for questionnaire in ("reparaties", "planmatig_onderhoud", "groot_onderhoud"):
        hit = finding(check(path, questionnaire).attention_points, "type_leeg")
        assert hit.rows == (3, 5)
    for questionnaire in ("nieuwe_huurders", "vertrokken_huurders", "algemene_waardering"):
        assert "type_leeg" not in rules_of(check(path, questionnaire).attention_points)


def test_duplicate_tenants(tmp_path):
    rows = [
        tenant(1),
        tenant(2, Postcode="2000 AB", Huisnummer=7),
        tenant(3),
        tenant(2, Postcode="2000ab", Huisnummer=7, Achternaam="huurder2 "),  # same tenant as row 3
        tenant(2, Postcode="2000 AB", Huisnummer=7, Toevoeging="A"),  # other addition: other tenant
        tenant(1),  # same as row 2
    ]
    hit = finding(check(make_xlsx(tmp_path / "dubbel.xlsx", rows)).attention_points, "dubbele_huurder")
    assert hit.rows == (2, 3, 5, 7)
    assert hit.message.startswith("2 huurders komen meer dan één keer voor")


def test_every_finding_has_rule_column_rows_and_dutch_message(tmp_path):
    rows = [tenant(1, Postcode="x", E_mail=None, Telefoon1=None, Type=None), tenant(1)]
    report = check(make_xlsx(tmp_path / "alles.xlsx", rows))
    data = report.to_dict()
    assert set(data) >= {"accepted", "errors", "attention_points"}
    for item in data["errors"] + data["attention_points"]:
        assert set(item) == {"rule", "column", "rows", "message"}
        assert all(isinstance(r, int) and r >= 2 for r in item["rows"])


# --------------------------------------------------------------------------- safety


def test_file_is_never_changed(tmp_path):
    def edit(wb, ws):
        ws.auto_filter.ref = "A1:U4"
        ws.row_dimensions[2].hidden = True

    path = make_xlsx(tmp_path / "ongewijzigd.xlsx", good_rows(3), edit=edit)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    before, stat = path.read_bytes(), path.stat()
    result = runner.invoke(
        app,
        [
            "validate-delivery",
            str(path),
            "--questionnaire",
            "reparaties",
            "--json",
            str(tmp_path / "v.json"),
            "--pdf",
            str(tmp_path / "v.pdf"),
        ],
    )
    assert result.exit_code == 1
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.stat().st_size == stat.st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ongewijzigd.xlsx", "v.json", "v.pdf"]


def test_no_personal_data_in_output(tmp_path):
    rows = [
        tenant(1, Postcode="12 AB", E_mail="fout@", Telefoon1="0612"),
        tenant(2, Geslacht="q"),
        tenant(2),
        tenant(3, E_mail=None, Telefoon1=None),
    ]
    path = make_xlsx(tmp_path / "avg.xlsx", rows)
    result = runner.invoke(
        app,
        [
            "validate-delivery",
            str(path),
            "-q",
            "reparaties",
            "--json",
            str(tmp_path / "v.json"),
            "--pdf",
            str(tmp_path / "v.pdf"),
            "--engine",
            "builtin",
        ],
    )
    assert result.exit_code == 1
    text = result.output + (tmp_path / "v.json").read_text(encoding="utf-8") + pdf_text(tmp_path / "v.pdf")
    assert "rij 2" in pdf_text(tmp_path / "v.pdf")  # the findings are there, by row number
    for secret in (
        "Huurder1",
        "Huurder2",
        "fout@",
        "0612",
        "12 AB",
        "example.invalid",
        "Teststraat",
        "Teststad",
        "OPD",
        "lekkage",
    ):
        assert secret not in text, secret


# --------------------------------------------------------------------------- unreadable files


def _ole(*streams: str) -> bytes:
    """A synthetic OLE compound file: the signature and the directory entry names."""
    return df.OLE_MAGIC + b"\x00" * 504 + b"".join(name.encode("utf-16-le") + b"\x00" * 16 for name in streams)


UNREADABLE = {
    "leeg.xlsx": (b"", "leeg (0 bytes)"),
    "oud.xls": (_ole("Root Entry", "Workbook", "\x05SummaryInformation"), "oud Excel-formaat (.xls)"),
    "geheim.xlsx": (_ole("Root Entry", "EncryptionInfo", "EncryptedPackage"), "met een wachtwoord beveiligd"),
    "plaatje.xlsx": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "geen Excel-bestand"),
    "brief.pdf": (b"%PDF-1.7\n" + b"x" * 100, "geen Excel-bestand"),
    "kapot.xlsx": (b"PK\x03\x04" + b"\x00" * 100, "beschadigd"),
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_unreadable_files_give_one_clear_line_and_exit_2(tmp_path, name):
    content, reason = UNREADABLE[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DeliveryFileUnreadable) as caught:
        check(path)
    assert reason in caught.value.reason
    result = runner.invoke(
        app, ["validate-delivery", str(path), "-q", "reparaties", "--json", str(tmp_path / "v.json")]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert reason in lines[0]
    data = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    assert data["accepted"] is False
    assert data["readable"] is False


def test_empty_workbook_header_only_and_other_zip(tmp_path):
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "leeg.xlsx")
    with pytest.raises(DeliveryFileUnreadable, match="geen gegevens"):
        check(tmp_path / "leeg.xlsx")
    with pytest.raises(DeliveryFileUnreadable, match="geen huurders"):
        check(make_xlsx(tmp_path / "kop.xlsx", []))
    with zipfile.ZipFile(tmp_path / "doc.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(DeliveryFileUnreadable, match="geen Excel-werkmap"):
        check(tmp_path / "doc.xlsx")
    with pytest.raises(DeliveryFileUnreadable, match="bestaat niet"):
        check(tmp_path / "nergens.xlsx")


# --------------------------------------------------------------------------- CSV


def test_csv_delivery_is_checked_like_excel(tmp_path):
    lines = [";".join(HEADER)]
    for row in [
        tenant(1, Datum="15-01-2025"),
        tenant(2, Postcode="12345", Datum="15-01-2025"),
        tenant(3, Datum="2025-13-01"),
    ]:
        lines.append(";".join("" if v is None else str(v) for v in row))
    path = tmp_path / "levering.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    report = check(path)
    assert finding(report.errors, "postcode_ongeldig").rows == (3,)
    assert finding(report.errors, "datum_ongeldig").rows == (4,)
    assert rules_of(report.errors) == {"postcode_ongeldig", "datum_ongeldig"}


# --------------------------------------------------------------------------- CLI, JSON, PDF


def test_cli_accepted_exit_0_and_json(tmp_path):
    path = make_xlsx(tmp_path / "goed.xlsx", good_rows())
    result = runner.invoke(
        app,
        [
            "validate-delivery",
            str(path),
            "--questionnaire",
            "nieuwe_huurders",
            "--json",
            str(tmp_path / "out" / "v.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "geaccepteerd" in result.output
    data = json.loads((tmp_path / "out" / "v.json").read_text(encoding="utf-8"))
    assert data["accepted"] is True
    assert data["errors"] == []
    assert data["tenant_rows"] == 5


def test_cli_refused_exit_1_json_and_pdf(tmp_path):
    rows = [tenant(1, Postcode="fout"), *good_rows(3)]
    path = make_xlsx(tmp_path / "fout.xlsx", rows)
    result = runner.invoke(
        app,
        [
            "validate-delivery",
            str(path),
            "-q",
            "reparaties",
            "--json",
            str(tmp_path / "v.json"),
            "--pdf",
            str(tmp_path / "v.pdf"),
            "--engine",
            "builtin",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "postcode_ongeldig" in result.output
    assert "rij 2" in result.output
    data = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    assert data["accepted"] is False
    assert data["errors"][0] == {
        "rule": "postcode_ongeldig",
        "column": "Postcode",
        "rows": [2],
        "message": "Postcode ontbreekt of heeft niet de vorm 1234 AB in kolom 'Postcode': rij 2.",
    }
    text = pdf_text(tmp_path / "v.pdf")
    assert "Validatieverslag huurdersbestand" in text  # the cover of the house style
    assert "Vragenlijst Reparaties" in text
    assert "Geweigerd" in text
    assert "postcode_ongeldig" in squeezed(text)  # the rule code, its Excel row, its column
    assert "rij 2" in text
    assert "Regelset" in text  # the footer names the rule set that judged the file
    # The house style: PDF/A-2a + PDF/UA-1 in Dutch, set in the bundled Inter only.
    assert standards(tmp_path / "v.pdf") == {"pdfa": "2A", "pdfua": "1", "lang": "nl-NL"}
    assert font_names(tmp_path / "v.pdf")
    assert all(name.startswith("Inter") for name in font_names(tmp_path / "v.pdf"))


def test_cli_unknown_questionnaire_exit_2(tmp_path):
    path = make_xlsx(tmp_path / "goed.xlsx", good_rows())
    assert runner.invoke(app, ["validate-delivery", str(path), "-q", "huurders"]).exit_code == 2
    result = runner.invoke(app, ["validate-delivery", str(path), "-q", "reparaties", "--engine", "latex"])
    assert result.exit_code == 2
    assert "--engine latex" in result.output


#: Text from the uploaded file that Markdown, Typst or pandoc would otherwise read as markup.
NASTY = r"*bold* #1 $x$ <x> [a](b) @home C:\map\ \\ a|b _u_ `c` &amp; ~x~"


def test_pdf_shows_file_supplied_text_literally(tmp_path):
    # A column header and the file name are the only text from the file the report shows.
    header = [*HEADER, NASTY]
    rows = [[*row, "x"] for row in good_rows(2)]
    path = make_xlsx(tmp_path / "raar $x$ @home [a](b).xlsx", rows, header=header)
    target = tmp_path / "raar.pdf"
    result = runner.invoke(
        app, ["validate-delivery", str(path), "-q", "reparaties", "--pdf", str(target), "--engine", "builtin"]
    )
    assert result.exit_code == 0, result.output
    text = squeezed(pdf_text(target))
    assert text.count(squeezed(NASTY)) == 2  # the column of the finding and its explanation
    assert squeezed(path.name) in text
    assert "onbekende_kolom" in text


def test_pdf_is_reproducible_for_one_report(tmp_path):
    from kwh_calc.presentation.delivery_views import TITLE, validation_markdown
    from kwh_calc.rendering.render import render_markdown

    report = check(make_xlsx(tmp_path / "twee.xlsx", [tenant(1, Postcode="fout"), *good_rows(2)]))
    report.checked_at = dt.datetime(2025, 3, 4, 10, 30, tzinfo=dt.UTC)
    first, again = (
        render_markdown(
            validation_markdown(report), tmp_path / name, title=TITLE, engine="builtin", timestamp=report.checked_at
        )
        for name in ("a.pdf", "b.pdf")
    )
    assert first.pdf_path.read_bytes() == again.pdf_path.read_bytes()


def test_pdf_without_pandoc_is_refused_before_the_file_is_read(tmp_path, monkeypatch):
    import pypandoc

    from kwh_calc.rendering import render

    def missing():
        raise OSError("No pandoc was found: either install pandoc and add it to your PATH or install pypandoc-binary")

    monkeypatch.setattr(pypandoc, "get_pandoc_path", missing)
    render._pandoc_path.cache_clear()
    try:
        path = make_xlsx(tmp_path / "goed.xlsx", good_rows())
        result = runner.invoke(
            app,
            [
                "validate-delivery",
                str(path),
                "-q",
                "reparaties",
                "--json",
                str(tmp_path / "v.json"),
                "--pdf",
                str(tmp_path / "v.pdf"),
                "--engine",
                "builtin",
            ],
        )
    finally:
        monkeypatch.undo()
        render._pandoc_path.cache_clear()
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "PDF kan niet worden gemaakt" in result.output
    assert "pandoc not found" in result.output
    assert "pypandoc-binary" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["goed.xlsx"]  # nothing written


def test_a_failing_render_leaves_no_pdf_and_exit_3(tmp_path, monkeypatch):
    from kwh_calc.cli import delivery
    from kwh_calc.rendering.render import RenderError

    def fails(*args, **kwargs):
        raise RenderError("typst", "kapot")

    monkeypatch.setattr(delivery, "render_markdown", fails)
    path = make_xlsx(tmp_path / "goed.xlsx", good_rows())
    result = runner.invoke(
        app,
        ["validate-delivery", str(path), "-q", "reparaties", "--pdf", str(tmp_path / "v.pdf"), "--engine", "builtin"],
    )
    assert result.exit_code == 3
    assert "PDF niet geschreven" in result.output
    assert "kapot" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "v.pdf").exists()


def test_rules_without_delivery_section_are_refused():
    rules = load_rules().model_copy(update={"delivery_files": None})
    with pytest.raises(ValueError, match="delivery_files"):
        df._config(rules)


# --------------------------------------------------------------------------- 100.000 rows


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def write_large_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    """A minimal but complete xlsx as Excel writes it: shared strings, a date style (s=1)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    strings: list[str] = []
    index: dict[str, int] = {}
    letters = [_letter(i) for i in range(len(header))]
    epoch = dt.datetime(1899, 12, 30)
    out = []
    for r, values in enumerate([header, *rows], start=1):
        cells = []
        for letter, v in zip(letters, values, strict=True):
            if v is None:
                continue
            if isinstance(v, str):
                k = index.get(v)
                if k is None:
                    k = index[v] = len(strings)
                    strings.append(v)
                cells.append(f'<c r="{letter}{r}" t="s"><v>{k}</v></c>')
            elif isinstance(v, dt.datetime):
                cells.append(f'<c r="{letter}{r}" s="1"><v>{(v - epoch).days}</v></c>')
            else:
                cells.append(f'<c r="{letter}{r}"><v>{v}</v></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    parts = {
        "[Content_Types].xml": xml + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>',
        "_rels/.rels": xml + f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": xml + f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Huurders" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": xml + f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": xml + f'<styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/>'
        '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
        '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
        'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        "</cellStyles></styleSheet>",
        "xl/sharedStrings.xml": xml
        + f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        + "</sst>",
        "xl/worksheets/sheet1.xml": xml
        + f'<worksheet xmlns="{main}" xmlns:r="{rel}"><sheetData>'
        + "".join(out)
        + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


LARGE_ROWS = 100_000
# Excel row -> defect planted in the large file.
LARGE_DEFECTS = {
    2_000: {"Postcode": "20000 AB"},
    50_001: {"Postcode": None},
    77_777: {"E-mail": None, "Telefoon1": None},
    99_999: {"Geslacht": "onbekend"},
    100_001: {"Datum": "32-01-2025"},
}


@pytest.fixture(scope="session")
def large_file(tmp_path_factory) -> Path:
    rows = []
    for i in range(LARGE_ROWS):
        row = tenant(i + 1)
        row[COL["Huisnummer"]] = i % 500 + 1
        row[COL["Postcode"]] = f"{1000 + i // 500} AB"  # unique postcode + number: no duplicates
        for key, value in LARGE_DEFECTS.get(i + 2, {}).items():
            row[COL[key]] = value
        rows.append(row)
    return write_large_xlsx(tmp_path_factory.mktemp("groot") / "groot.xlsx", HEADER, rows)


def test_large_writer_output_is_a_real_workbook(tmp_path):
    path = write_large_xlsx(tmp_path / "klein.xlsx", HEADER, good_rows(2))
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER)
    assert rows[1][COL["Datum"]] == dt.datetime(2025, 1, 15)
    assert check(path).accepted


def test_hundred_thousand_rows(large_file):
    report = check(large_file)
    assert report.tenant_rows == LARGE_ROWS
    assert {f.rule: f.rows for f in report.errors} == {
        "postcode_ongeldig": (2_000, 50_001),
        "niet_bereikbaar": (77_777,),
        "geslacht_ongeldig": (99_999,),
        "datum_ongeldig": (100_001,),
    }
    assert {f.rule: f.rows for f in report.attention_points} == {"email_ontbreekt": (77_777,)}


def test_shared_string_readers_agree(tmp_path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sst = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}"><si><t>A &amp; B &lt;straat&gt;</t></si>'
        '<si><t xml:space="preserve"> Ĳsselstein </t></si><si><t/></si>'
        '<si><r><t>Wijk</t></r><r><rPr><b/></rPr><t xml:space="preserve"> Oost</t></r>'
        '<rPh sb="0" eb="1"><t>x</t></rPh></si><si><t>kort</t><rPh sb="0" eb="1"><t>k</t></rPh></si></sst>'
    )
    path = tmp_path / "sst.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/sharedStrings.xml", sst)
    with zipfile.ZipFile(path) as archive:
        fast = df._shared_strings(archive, "xl/workbook.xml", {"xl/sharedStrings.xml"}, df.MAIN_NS)
    slow = df._shared_strings_xml(sst.encode(), df.MAIN_NS)
    assert fast == slow == ["A & B <straat>", " Ĳsselstein ", "", "Wijk Oost", "kort"]
