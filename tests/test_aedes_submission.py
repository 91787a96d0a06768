"""The national Aedes submission (.xlsx and CSV) and the ``kwh aedes`` command."""

from __future__ import annotations

import csv
import math
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from test_aedes import KEYS, Aedes, full
from typer.testing import CliRunner

from kwh_calc.calculations.aedes import aedes_results
from kwh_calc.exports.aedes_submission import (
    METADATA_SHEET,
    SUBMISSION_SHEET,
    submission_columns,
    submission_metadata,
    write_submission_csv,
    write_submission_xlsx,
)
from kwh_calc.intake.dataset import write_dataset
from kwh_calc.intake.rules import load_rules

RULES = load_rules()


@pytest.fixture(scope="module")
def dataset():
    b = Aedes().corp("C2").corp("C1").corp("C3").corp("X9", member=False)
    full(b, "C1", grades=(8, 9, 7))
    b.add("C2", "reparaties", [8, 8, 7, 7]).add("C2", "nieuwe_huurders", [5, 9])  # no Vertrokken huurders
    full(b, "C3", grades=(6, 7, 8, 9, 4))
    full(b, "X9", grades=(1, 1))
    full(b, "C1", grades=(6,), month="2025-08", completed="2025-08-20")  # August Y: outside the period
    return b.build()


@pytest.fixture(scope="module")
def results(dataset):
    return aedes_results(dataset, RULES, 2025)


def test_xlsx_read_back_matches_the_computed_values(tmp_path, dataset, results):
    path = write_submission_xlsx(
        results, tmp_path / "reports" / "2025" / "aedes-aanlevering.xlsx", submission_metadata(dataset, RULES, 2025)
    )
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["aedes-aanlevering.xlsx"]
    book = load_workbook(path)
    assert book.sheetnames == [SUBMISSION_SHEET, METADATA_SHEET]
    sheet = book[SUBMISSION_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    columns = submission_columns(KEYS)
    assert list(rows[0]) == [c.header for c in columns]
    assert rows[0][:4] == (
        "Corporatie-id",
        "Corporatie",
        "Nieuwe huurders – cijfer",
        "Nieuwe huurders – cijfer onafgerond",
    )
    assert [r[0] for r in rows[1:]] == ["C1", "C2", "C3"]  # members only, sorted
    index = {c.source: i for i, c in enumerate(columns)}
    expected = results.set_index("corporation_id")
    for values in rows[1:]:
        row = expected.loc[values[0]]
        for key in KEYS:
            n = values[index[f"{key}_n"]]
            assert isinstance(n, int)
            assert n == row[f"{key}_n"]
            if n == 0:
                assert values[index[f"{key}_grade"]] is None
                assert values[index[f"{key}_letter"]] is None
                continue
            grade = values[index[f"{key}_grade"]]
            assert isinstance(grade, int | float)
            assert grade == row[f"{key}_grade"]
            assert values[index[f"{key}_score"]] == row[f"{key}_score"]
            assert values[index[f"{key}_letter"]] == row[f"{key}_letter"]
            assert values[index[f"{key}_pct_dissatisfied"]] == pytest.approx(row[f"{key}_pct_dissatisfied"])
            margin = values[index[f"{key}_margin"]]
            assert (margin is None and math.isnan(row[f"{key}_margin"])) or margin == pytest.approx(
                row[f"{key}_margin"]
            )
            assert values[index[f"{key}_near_boundary"]] == ("ja" if row[f"{key}_near_boundary"] else "nee")
        overall = values[index["overall_letter"]]
        assert overall == (None if pd.isna(row["overall_letter"]) else row["overall_letter"])
    # grades are numbers with format 0.0, not text
    grade_cell = sheet.cell(row=2, column=index["reparaties_grade"] + 1)
    assert grade_cell.data_type == "n"
    assert grade_cell.number_format == "0.0"
    assert sheet.cell(row=2, column=index["reparaties_n"] + 1).data_type == "n"


def test_xlsx_metadata_sheet(tmp_path, dataset, results):
    path = write_submission_xlsx(results, tmp_path / "a.xlsx", submission_metadata(dataset, RULES, 2025))
    meta = {row[0]: row[1] for row in load_workbook(path)[METADATA_SHEET].iter_rows(min_row=2, values_only=True)}
    assert meta["Benchmarkjaar"] == 2025
    assert meta["Periode (maanden van dienstverlening)"] == "september 2024 t/m juli 2025"
    assert meta["Bevriesdatum"] == datetime(2025, 8, 31)
    assert meta["Stand"] == "definitief (bevroren)"
    assert meta["Regelset versie"] == RULES.version
    assert meta["Regelset vingerafdruk (SHA-256)"] == RULES.fingerprint
    assert meta["Dataset vingerafdruk (SHA-256)"] == "(dataset in het geheugen)"
    assert meta["Gemaakt met"].startswith("kwh-workbench ")
    assert "A ≥ 8,0; B ≥ 7,5; C lager" in meta["Letter per deelscore"]
    assert "Reparatieverzoeken 55%" in meta["Totaalletter"]


def test_metadata_of_running_figures(dataset):
    meta = submission_metadata(dataset, RULES, 2025, as_of=date(2025, 3, 15))
    assert meta["Stand"] == "tussenstand per 15-03-2025"
    assert meta["Meegeteld: maanden van dienstverlening"] == "september 2024 t/m maart 2025"
    assert meta["Meegeteld: ingevuld tot en met"] == date(2025, 3, 15)


def test_csv_submission_has_the_same_layout(tmp_path, results):
    path = write_submission_csv(results, tmp_path / "aedes-aanlevering.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    columns = submission_columns(KEYS)
    assert rows[0] == [c.header for c in columns]
    index = {c.source: i for i, c in enumerate(columns)}
    c2 = next(r for r in rows[1:] if r[0] == "C2")
    expected = results.set_index("corporation_id").loc["C2"]
    assert c2[index["reparaties_grade"]] == "7.5"
    assert float(c2[index["reparaties_score"]]) == expected["reparaties_score"]
    assert c2[index["reparaties_n"]] == "4"
    assert c2[index["vertrokken_huurders_n"]] == "0"
    assert c2[index["vertrokken_huurders_grade"]] == ""
    assert c2[index["overall_letter"]] == ""


# --------------------------------------------------------------------------- CLI

CONTRACT = ["corporation_id"] + [f"{k}_{c}" for k in KEYS for c in ("n", "score", "letter")] + ["overall_letter"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, dataset):
    return write_dataset(dataset, tmp_path_factory.mktemp("data"), fmt="csv")


def test_cli_writes_the_contract_columns(tmp_path, data_dir, results):
    from kwh_calc.cli import app

    out = tmp_path / "aedes.csv"
    xlsx = tmp_path / "aedes-aanlevering.xlsx"
    run = CliRunner().invoke(app, ["aedes", str(data_dir), "--year", "2025", "--out", str(out), "--xlsx", str(xlsx)])
    assert run.exit_code == 0, run.output
    table = pd.read_csv(out, dtype={"overall_letter": "string"})
    assert set(CONTRACT) <= set(table.columns)
    for extra in (
        "reparaties_grade",
        "reparaties_pct_dissatisfied",
        "reparaties_margin",
        "reparaties_near_boundary",
        "overall_points",
    ):
        assert extra in table.columns
    assert table["corporation_id"].tolist() == ["C1", "C2", "C3"]
    assert table["reparaties_score"].tolist() == pytest.approx(results["reparaties_score"].tolist())
    assert table["reparaties_n"].tolist() == results["reparaties_n"].tolist()
    c2 = table.set_index("corporation_id").loc["C2"]
    assert c2["vertrokken_huurders_n"] == 0
    assert pd.isna(c2["vertrokken_huurders_score"])
    assert pd.isna(c2["overall_letter"])
    assert load_workbook(xlsx).sheetnames == [SUBMISSION_SHEET, METADATA_SHEET]


def test_cli_as_of_without_year(tmp_path, data_dir):
    from kwh_calc.cli import app

    out = tmp_path / "running.csv"
    run = CliRunner().invoke(app, ["aedes", str(data_dir), "--as-of", "2025-02-01", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "tussenstand per 01-02-2025" in run.output
    table = pd.read_csv(out)
    assert table["reparaties_n"].tolist() == [0, 0, 0]  # March responses completed in April


def test_cli_refuses_without_year_or_date(tmp_path, data_dir):
    from kwh_calc.cli import app

    run = CliRunner().invoke(app, ["aedes", str(data_dir), "--out", str(tmp_path / "x.csv")])
    assert run.exit_code == 2
    run = CliRunner().invoke(app, ["aedes", str(data_dir), "--as-of", "31-08-2025", "--out", str(tmp_path / "x.csv")])
    assert run.exit_code == 2
