"""Hostile delivery files: archives with limits, outputs that would replace the tenant file.

Exit codes of ``validate-delivery``: 0 accepted, 1 refused, 2 unreadable (zip bomb, too big),
3 output refused. Every case: the delivery file byte-unchanged, no traceback.
"""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from hostile import assert_refused, invoke

from kwh_calc.intake import archive_limits

HEADER = [
    "Geslacht",
    "Voorletters",
    "Achternaam",
    "Straat",
    "Huisnummer",
    "Postcode",
    "Woonplaats",
    "E-mail",
    "Aannemer",
    "Datum",
]


def workbook(path, rows: int = 3):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(1, rows + 1):  # synthetic tenants, no real personal data
        ws.append(
            [
                "v",
                "T.",
                f"Huurder{i}",
                "Teststraat",
                i,
                "1234 AB",
                "Teststad",
                f"t{i}@example.invalid",
                "Aannemer A",
                "2025-01-15",
            ]
        )
    wb.save(path)
    return path


def inflate(path, part: str = "xl/worksheets/sheet1.xml", extra_bytes: int = 8 << 20, entries: int = 0):
    """Rewrite ``path`` with ``extra_bytes`` of whitespace inside ``part`` and ``entries`` extra parts."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    head, _, tail = parts[part].partition(b"<sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for name, data in parts.items():
            if name != part:
                target.writestr(name, data)
        with target.open(part, "w", force_zip64=True) as stream:
            stream.write(head + b"<sheetData>")
            chunk = b" " * (1 << 20)
            for _ in range(extra_bytes >> 20):
                stream.write(chunk)
            stream.write(tail)
        for number in range(entries):
            target.writestr(f"customXml/item{number}.xml", b"<x/>")
    return path


def refused(file, code, *words, extra=()):
    before = file.read_bytes()
    result = invoke("validate-delivery", file, "-q", "reparaties", *extra)
    assert_refused(result, code, *words)
    assert file.read_bytes() == before
    return result


@pytest.mark.parametrize("option", ["--json", "--pdf"])
def test_the_report_never_replaces_the_delivery_file(tmp_path, option):
    file = workbook(tmp_path / "levering.xlsx")
    refused(file, 3, str(file), "input", extra=(option, file))


def test_json_and_pdf_on_one_path(tmp_path):
    file = workbook(tmp_path / "levering.xlsx")
    target = tmp_path / "verslag"
    refused(file, 3, "--json", "--pdf", extra=("--json", target, "--pdf", target))
    assert not target.exists()


def test_report_into_a_folder(tmp_path):
    file = workbook(tmp_path / "levering.xlsx")
    refused(file, 3, "folder", extra=("--json", tmp_path))


def test_a_zip_bomb_is_refused_from_the_directory(tmp_path, monkeypatch):
    # The real limit is 256 MB; lowered here so the test stays small and fast.
    monkeypatch.setattr(archive_limits, "MAX_TOTAL_UNCOMPRESSED", 4 << 20)
    monkeypatch.setattr(archive_limits, "RATIO_FLOOR", 64 << 20)  # only the size limit applies here
    file = inflate(workbook(tmp_path / "bom.xlsx"), extra_bytes=6 << 20)
    result = refused(file, 2, "pakt uit tot", "grens")
    assert "bom.xlsx" in result.output


def test_a_part_that_unpacks_hundreds_of_times_its_size(tmp_path):
    file = inflate(workbook(tmp_path / "ratio.xlsx"), extra_bytes=8 << 20)  # whitespace packs ~1000x
    refused(file, 2, "xl/worksheets/sheet1.xml", "keer zo groot")


def test_too_many_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_limits, "MAX_ENTRIES", 40)
    file = inflate(workbook(tmp_path / "delen.xlsx"), extra_bytes=0, entries=50)
    refused(file, 2, "onderdelen", "grens")


def test_a_huge_csv_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_limits, "MAX_TOTAL_UNCOMPRESSED", 1024)
    file = tmp_path / "levering.csv"
    file.write_text(
        ";".join(HEADER) + "\n" + "v;T.;Huurder;Teststraat;1;1234 AB;Teststad;t@example.invalid;A;2025-01-15\n" * 40
    )
    refused(file, 2, "MB", "grens")


def test_an_ordinary_workbook_passes_the_limits(tmp_path):
    file = workbook(tmp_path / "gewoon.xlsx", rows=200)
    with zipfile.ZipFile(file) as archive:
        archive_limits.check_archive(archive)
    result = invoke("validate-delivery", file, "-q", "reparaties", "--json", tmp_path / "verslag.json")
    assert result.exit_code in (0, 1), result.output  # judged on its content, not refused as unreadable
    assert (tmp_path / "verslag.json").exists()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated zip", b"\x00" * 100])
def test_broken_files(tmp_path, content):
    file = tmp_path / "kapot.xlsx"
    file.write_bytes(content)
    refused(file, 2, "kapot.xlsx")


def test_a_pipe_or_device_is_refused_without_reading(tmp_path):
    import os

    fifo = tmp_path / "levering.xlsx"
    os.mkfifo(fifo)  # opening it for reading would block forever
    assert_refused(invoke("validate-delivery", fifo, "-q", "reparaties"), 2, "geen gewoon bestand")
    assert_refused(invoke("validate-delivery", "/dev/zero", "-q", "reparaties"), 2, "geen gewoon bestand")
