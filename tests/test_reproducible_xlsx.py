"""Byte-reproducible workbooks: no trace of the time of writing."""

from __future__ import annotations

import zipfile
from datetime import date

import openpyxl

from kwh_calc.common.reproducible_xlsx import DEFAULT_STAMP, save_reproducible


def workbook():
    wb = openpyxl.Workbook()
    wb.active.append(["Benchmarkjaar", 2025])
    return wb


def test_every_timestamp_is_the_stamp(tmp_path):
    target = save_reproducible(workbook(), tmp_path / "a.xlsx", date(2025, 8, 31))
    with zipfile.ZipFile(target) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 8, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2025-08-31T00:00:00Z") == 2  # created and modified


def test_same_workbook_same_bytes(tmp_path):
    first = save_reproducible(workbook(), tmp_path / "a.xlsx").read_bytes()
    second = save_reproducible(workbook(), tmp_path / "b.xlsx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert archive.infolist()[0].date_time == DEFAULT_STAMP.timetuple()[:6]
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").active["B1"].value == 2025
