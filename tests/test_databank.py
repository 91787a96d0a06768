"""Tests of kwh_calc.exports.databank and `kwh export-databank`.

docs/methodology.md §6: anonymity; formula neutralisation.

Every workbook is read back with openpyxl. All data is synthetic.
"""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from builders import DatasetBuilder
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.exports import databank as db
from kwh_calc.exports.databank import (
    ANONYMISED_COLUMNS,
    RESPONDENT_COLUMNS,
    databank_sheets,
    export_databank,
    sheet_title,
)
from kwh_calc.intake.dataset import from_tables, write_dataset
from kwh_calc.intake.rules import load_rules

RULES = load_rules()
DANGEROUS = ["=SUM(A1)", "+31 6 00000000", "@x", "-1", '=HYPERLINK("http://example.invalid","klik")']
BREAKDOWN_HEADERS = [RESPONDENT_COLUMNS[c] for c in ANONYMISED_COLUMNS]


@pytest.fixture(scope="module")
def dataset():
    b = DatasetBuilder().corporation("C1").corporation("C2")
    lifted = b.respondents(
        "C1", "reparaties", [[8, None, 6]] * len(DANGEROUS), month="2025-03", other_grades=[1] * len(DANGEROUS)
    )
    anonymous = b.respondents(
        "C1",
        "reparaties",
        [[7, 7, 7]],
        month="2025-04",
        aannemer="Aannemer X",
        uitsplitsing_1="Complex 12",
        anonymity_lifted=False,
    )
    b.respondents("C1", "nieuwe_huurders", [[9]], month="2025-12")
    b.respondents("C1", "reparaties", [[5]], month="2024-12", uitsplitsing_1="vorig jaar")  # other research year
    b.respondents("C2", "reparaties", [[5]], month="2025-03", uitsplitsing_1="andere corporatie")
    for row in b.respondent_rows:
        if row["response_id"] in lifted:
            text = DANGEROUS[lifted.index(row["response_id"])]
            row.update(
                aannemer=text, uitsplitsing_1=text, uitsplitsing_2=text, uitsplitsing_3="gewoon", uitsplitsing_4=text
            )
        if row["response_id"] in anonymous:
            row.update(uitsplitsing_2="=1+1", uitsplitsing_3="Wijk Oost", uitsplitsing_4="@kantoor")
    tables = b.tables()
    questions = tables["questions"]
    questions.loc[(questions["questionnaire"] == "reparaties") & (questions["question_id"] == "X1"), "text"] = (
        "=1+1 vraag"
    )
    return from_tables(tables), lifted, anonymous


@pytest.fixture(scope="module")
def workbook(dataset, tmp_path_factory):
    data, _, _ = dataset
    path = export_databank(data, RULES, "C1", 2025, tmp_path_factory.mktemp("db") / "databank.xlsx")
    return openpyxl.load_workbook(path)


def sheet_rows(sheet) -> tuple[list[str], list[dict]]:
    header = [c.value for c in sheet[1]]
    return header, [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_one_sheet_per_questionnaire_after_the_explanation(workbook):
    assert workbook.sheetnames == ["Toelichting", "Nieuwe huurders", "Reparaties"]
    header, rows = sheet_rows(workbook["Reparaties"])
    assert header[: len(RESPONDENT_COLUMNS)] == list(RESPONDENT_COLUMNS.values())
    assert "Labelvraag 1 (L1)" in header
    assert "Rapportcijfer dienstverlening (A1)" in header
    assert len(rows) == len(DANGEROUS) + 1  # 2024-12 and the other corporation are not exported
    assert {r["servicemaand"].value for r in rows} == {"2025-03", "2025-04"}


def test_anonymous_respondents_have_blank_breakdowns(workbook, dataset):
    _, lifted, anonymous = dataset
    _, rows = sheet_rows(workbook["Reparaties"])
    by_id = {r["respondent"].value: r for r in rows}
    hidden = by_id[anonymous[0]]
    assert hidden["anonimiteit opgeheven"].value == "nee"
    assert all(hidden[h].value is None for h in BREAKDOWN_HEADERS)
    assert hidden["Labelvraag 1 (L1)"].value == 7  # the answers themselves stay
    shown = by_id[lifted[0]]
    assert shown["anonimiteit opgeheven"].value == "ja"
    assert shown["uitsplitsing 3"].value == "gewoon"


def test_formula_like_texts_are_text_not_formulas(workbook, dataset):
    _, lifted, _ = dataset
    _, rows = sheet_rows(workbook["Reparaties"])
    by_id = {r["respondent"].value: r for r in rows}
    for response_id, text in zip(lifted, DANGEROUS, strict=True):
        for header in ("aannemer", "uitsplitsing 1", "uitsplitsing 2", "uitsplitsing 4"):
            cell = by_id[response_id][header]
            assert cell.value == text  # the delivered value unchanged ...
            assert cell.data_type == "s"
            assert cell.data_type != "f"
            assert cell.quotePrefix
    assert by_id[lifted[0]]["uitsplitsing 3"].quotePrefix is False
    header = next(c for c in workbook["Reparaties"][1] if c.value == "=1+1 vraag (X1)")
    assert header.data_type == "s"
    assert header.quotePrefix
    for sheet in workbook.worksheets:
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_grades_are_numbers_and_unanswered_is_empty(workbook, dataset):
    _, lifted, _ = dataset
    _, rows = sheet_rows(workbook["Reparaties"])
    row = next(r for r in rows if r["respondent"].value == lifted[0])
    assert row["Labelvraag 1 (L1)"].value == 8
    assert row["Labelvraag 1 (L1)"].data_type == "n"
    assert row["Labelvraag 2 (L2)"].value is None
    assert row["Labelvraag 7 (L7)"].value is None
    assert row["=1+1 vraag (X1)"].value == 1
    assert row["ingevuld op"].is_date
    assert row["ingevuld op"].number_format == "dd-mm-yyyy"


def test_explanation_sheet(workbook):
    info = {row[0]: row[1] for row in workbook["Toelichting"].iter_rows(values_only=True)}
    assert info["Corporatie"] == "Testcorporatie C1 (C1)"
    assert info["Onderzoeksjaar"] == "2025"
    assert info["Regelset"] == RULES.version
    assert info["Aangemaakt door"].startswith("kwh-workbench")
    assert "leeggemaakt" in info["Anonimiteit"]
    assert "aannemer" in info["Anonimiteit"]
    assert "Reparaties: 6 respondenten" in info["Blad Reparaties"]


def test_sheet_titles_fit_excel():
    long = RULES.questionnaire_name("groot_onderhoud")
    title = sheet_title(long)
    assert len(title) <= 31
    assert "/" not in title
    assert title.endswith("…")
    assert sheet_title("Reparaties", {"Reparaties"}) == "Reparaties (2)"


def test_written_atomically(dataset, tmp_path, monkeypatch):
    data, _, _ = dataset
    target = tmp_path / "databank.xlsx"
    target.write_bytes(b"old")

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr("kwh_calc.common.atomic.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        export_databank(data, RULES, "C1", 2025, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["databank.xlsx"]
    monkeypatch.undo()
    export_databank(data, RULES, "C1", 2025, target)
    assert openpyxl.load_workbook(target).sheetnames[0] == "Toelichting"
    assert [p.name for p in tmp_path.iterdir()] == ["databank.xlsx"]


def test_corporation_without_respondents_and_unknown_corporation(dataset, tmp_path):
    data, _, _ = dataset
    path = export_databank(data, RULES, "C2", 2030, tmp_path / "leeg.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["Toelichting"]
    with pytest.raises(KeyError):
        databank_sheets(data, RULES, "CX", 2025)


def test_cli_export_databank(dataset, tmp_path):
    data, _, anonymous = dataset
    folder = write_dataset(data, tmp_path / "data")
    out = tmp_path / "uit" / "C1.xlsx"
    run = CliRunner().invoke(
        app, ["export-databank", str(folder), "--corporation", "C1", "--year", "2025", "--out", str(out)]
    )
    assert run.exit_code == 0, run.output
    assert "7 respondenten" in run.output
    assert anonymous[0] not in run.output
    assert openpyxl.load_workbook(out).sheetnames == ["Toelichting", "Nieuwe huurders", "Reparaties"]
    assert (
        CliRunner()
        .invoke(app, ["export-databank", str(folder), "--corporation", "CX", "--year", "2025", "--out", str(out)])
        .exit_code
        == 1
    )
    assert (
        CliRunner()
        .invoke(
            app,
            ["export-databank", str(folder), "--corporation", "C1", "--year", "2025", "--out", str(tmp_path / "x.csv")],
        )
        .exit_code
        == 2
    )


def test_formula_prefixes():
    assert all(db.is_formula_like(t) for t in [*DANGEROUS, "\t=1", "\r=1"])
    assert not any(db.is_formula_like(t) for t in ["Wijk Oost", "1", " =1", "'=1"])


def test_a_re_export_gives_the_same_bytes(dataset, tmp_path):
    data, _, _ = dataset
    first = export_databank(data, RULES, "C1", 2025, tmp_path / "eerste.xlsx").read_bytes()
    second = export_databank(data, RULES, "C1", 2025, tmp_path / "tweede.xlsx").read_bytes()
    assert first == second
    # No wall-clock time in the file: every stamp is the research year's last day.
    with zipfile.ZipFile(tmp_path / "tweede.xlsx") as archive:
        assert {entry.date_time[:3] for entry in archive.infolist()} == {(2025, 12, 31)}
        assert b"2025-12-31T00:00:00Z" in archive.read("docProps/core.xml")
