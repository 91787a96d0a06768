"""Tenant delivery files and the validatieverslag (docs/methodology.md §9, §8, §6).

A corporation uploads one file per questionnaire (Excel ``.xlsx``; ``.csv`` is accepted too) in
a fixed format. :func:`validate_delivery_file` checks it at once and returns a
:class:`ValidationReport`: **errors** refuse the file, **attention points** (aandachtspunten)
help improve it. Every finding names its rule, its column and the Excel row numbers (the
header is row 1). Tenant data is personal data (AVG/GDPR): no finding, message, log line or
exception ever carries a cell value, only row numbers, column names and counts.

The fixed format (``delivery_files`` in ``params/rules.yml``)
-------------------------------------------------------------
Headers are matched after lower-casing and removing spaces, ``-``, ``_``, ``.`` and ``/``
(``"E-mail"``, ``"e_mail"`` -> ``email``; ``"Uitsplitsing 1"`` -> ``uitsplitsing1``).

=================  =============================================================  ========
column             accepted headers (besides the column name itself)              required
=================  =============================================================  ========
``geslacht``       ``geslacht``                                                   yes
``voorletters``    ``voornaam``, ``voorletters/voornaam``, ``initialen``          yes
``tussenvoegsel``  ``tussenvoegsels``                                             yes
``achternaam``     ``familienaam``                                                yes
``straat``         ``straatnaam``                                                 yes
``huisnummer``     ``huisnr``                                                     yes
``toevoeging``     ``huisnummertoevoeging``, ``huisnr toevoeging``                yes
``postcode``                                                                      yes
``woonplaats``     ``plaats``                                                     yes
``telefoon1``      ``telefoonnummer1``, ``tel1``, ``telefoon``                    yes
``telefoon2``      ``telefoonnummer2``, ``tel2``                                  yes
``email``          ``e-mail``, ``e-mailadres``                                    yes
``uitsplitsing1``  ``uitsplitsing 1`` (… 4 likewise)                              no
``aannemer``,      as named                                                       no
``id1``, ``id2``,
``datum``,
``type``
=================  =============================================================  ========

A required column must be present; its cells may be empty unless a rule below says otherwise.

Errors (the file is refused)
----------------------------
``bestand_onleesbaar`` is not a finding but :class:`DeliveryFileUnreadable` (exit status 2):
empty file, legacy ``.xls``, password-protected (encrypted OLE container), ``.xlsb``/``.ods``,
damaged or non-Excel file, a workbook without data or without tenant rows.

- ``kolom_ontbreekt``: a required column is missing; ``kolom_dubbel``: two headers name the
  same column.
- ``formule``: a cell holds a formula (``<f>`` in the sheet XML), per column.
- ``verborgen_rij`` / ``verborgen_kolom``: hidden rows or columns. **Decision:** only hidden
  rows up to the last row with data and hidden columns up to the last column with data count
  (hiding the unused grid beyond the data hides no tenant).
- ``filter_actief``: the sheet (or a table on it) has an autofilter. **Decision:** any
  autofilter counts, with or without criteria (FAQ: "Gebruik geen filters").
- ``meerdere_tabbladen``: more than one worksheet holds data (hidden sheets included); the
  first one with data is checked. Sheets are named by position, never by name.
- ``niet_bereikbaar``: a tenant row without e-mail address and without telephone number
  (both empty; a malformed value is reported by its own rule).
- ``geslacht_ongeldig``: not ``m``, ``v``, ``man`` or ``vrouw`` (case-insensitive).
  **Decision:** an empty ``geslacht`` is allowed (the salutation becomes neutral).
- ``postcode_ongeldig``: empty, or not a Dutch postcode ``1234 AB`` / ``1234AB``
  (case-insensitive, first digit 1–9). **Decision:** an empty postcode is an error, since
  de-duplication and blocking need postcode + huisnummer (docs/methodology.md §8.7).
- ``email_ongeldig``: a non-empty e-mail address that is not ``local@domain.tld`` (one ``@``,
  no spaces, no list of addresses).
- ``telefoon_ongeldig``: a non-empty number that, without spaces, dashes, dots, brackets and
  ``(0)``, is not 10 digits starting with 0 nor ``+31``/``0031`` + 9 digits. **Decision:** a
  number stored as a number in Excel has lost its leading zero: 9 digits are read with a 0 in
  front, 11 digits starting with 31 as ``+31…``.
- ``datum_ongeldig``: a non-empty ``datum`` that is neither an Excel date cell nor text in
  the form ``d-m-jjjj``, ``d/m/jjjj``, ``d.m.jjjj`` or ``jjjj-mm-dd`` (optionally followed by a
  time) for a real calendar date. A plain number without date format is not a date.

Attention points (the file is accepted)
---------------------------------------
- ``email_ontbreekt``: how many tenants lack an e-mail address (phoned instead).
- ``uitsplitsingen_leeg``: the uitsplitsing columns are absent or all empty: no breakdowns
  (docs/methodology.md §6.2).
- ``type_leeg``: empty (or absent) ``type`` for the questionnaires in
  ``delivery_files.type_questionnaires`` (Reparaties, Planmatig onderhoud, Groot onderhoud:
  the FAQ names "Reparaties of (Groot) Onderhoud").
- ``dubbele_huurder``: rows with the same postcode + huisnummer + toevoeging + name
  (voorletters, tussenvoegsel, achternaam; compared case- and space-insensitively); all rows of
  each such group are listed.
- ``onbekende_kolom``: a header that is not part of the format (ignored).

Rows that are entirely empty are not tenants and are skipped.

Reading
-------
The file is opened read-only and never written. An ``.xlsx`` is a zip of XML parts; each
worksheet is read in one streaming pass (ElementTree's pull parser, 16 KB feeds) that collects
cell values, formulas (``<f>``), hidden rows (``<row hidden="1">``), hidden columns (``<col
hidden="1">``) and autofilters (``<autoFilter>``, ``filterMode``, tables) together; the shared
strings table is read with a regular expression (XML-parser fallback for unusual parts). Only
the values of the columns the checks read are kept. Measured on the 2-core build machine
(shared, load ≈ 2): 100.000 rows × 21 columns in ≈ 5 s; openpyxl's ``read_only=True`` mode,
which exposes neither hidden rows nor filters, needed ≈ 24 s just to stream the values of
100.000 × 18 cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError, XMLPullParser, iterparse

from openpyxl.utils import get_column_letter

from kwh_calc.common.atomic import write_bytes_atomic
from kwh_calc.common.numbers import fmt_count, fmt_pct
from kwh_calc.intake import archive_limits
from kwh_calc.intake.rules import QUESTIONNAIRES, DeliveryFileRules, Rules, load_rules

__all__ = [
    "DeliveryFileUnreadable",
    "Finding",
    "SheetData",
    "ValidationReport",
    "check_sheet",
    "format_rows",
    "normalise_header",
    "read_delivery_file",
    "valid_date",
    "valid_email",
    "valid_phone",
    "valid_postcode",
    "validate_delivery_file",
    "write_report_json",
]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
UITSPLITSINGEN = ("uitsplitsing1", "uitsplitsing2", "uitsplitsing3", "uitsplitsing4")
NAME_COLUMNS = ("voorletters", "tussenvoegsel", "achternaam")
PHONE_COLUMNS = ("telefoon1", "telefoon2")
# Columns whose values the checks read; the reader keeps only these (straat, woonplaats, aannemer,
# id1 and id2 need to be present but their values are not checked).
CHECKED_COLUMNS = frozenset(
    {
        "geslacht",
        *NAME_COLUMNS,
        "huisnummer",
        "toevoeging",
        "postcode",
        "email",
        *PHONE_COLUMNS,
        *UITSPLITSINGEN,
        "datum",
        "type",
    }
)

_HEADER_STRIP = re.compile(r"[\s\-_./\u00a0]+")
_POSTCODE = re.compile(r"[1-9][0-9]{3} ?[A-Za-z]{2}")
_EMAIL = re.compile(r"[^@\s;,<>]+@[^@\s;,<>]+\.[A-Za-z]{2,}")
_PHONE_STRIP = re.compile(r"[\s\-./()]+")
_PHONE = re.compile(r"0[1-9][0-9]{8}|(?:\+|00)31[1-9][0-9]{8}")
_DATE_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DATE_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?")
_DIGITS = frozenset("0123456789")


class DeliveryFileUnreadable(Exception):
    """The file cannot be read as a delivery file; ``reason`` is one Dutch line (exit status 2).

    The reason never contains file contents, only the kind of problem.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Finding:
    """One finding of the validatieverslag.

    Attributes
    ----------
    rule : rule code, e.g. ``postcode_ongeldig`` (see the module docstring).
    column : the column as headed in the file (or the format's name when it is missing);
        ``None`` for findings about the whole sheet.
    rows : Excel row numbers (header = row 1), ascending; empty for column/sheet findings.
    text : the Dutch explanation without the row list.
    rows_listed : how many row ranges :attr:`message` lists before "… en N meer".
    """

    rule: str
    column: str | None
    rows: tuple[int, ...]
    text: str
    rows_listed: int = 20

    @property
    def message(self) -> str:
        """Dutch message: the explanation plus the compressed, capped row list."""
        if not self.rows:
            return f"{self.text}."
        return f"{self.text}: {format_rows(self.rows, self.rows_listed)}."

    def to_dict(self) -> dict:
        """JSON form: ``rule``, ``column``, ``rows``, ``message``."""
        return {"rule": self.rule, "column": self.column, "rows": list(self.rows), "message": self.message}


@dataclass
class ValidationReport:
    """The validatieverslag of one delivery file (docs/methodology.md §9)."""

    file: str
    questionnaire: str
    tenant_rows: int
    errors: list[Finding] = field(default_factory=list)
    attention_points: list[Finding] = field(default_factory=list)
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone().replace(microsecond=0))

    @property
    def accepted(self) -> bool:
        """True when the file has no errors (attention points do not block it)."""
        return not self.errors

    def to_dict(self) -> dict:
        """JSON form: ``accepted``, ``errors``, ``attention_points`` and context."""
        return {
            "accepted": self.accepted,
            "file": self.file,
            "questionnaire": self.questionnaire,
            "tenant_rows": self.tenant_rows,
            "checked_at": self.checked_at.isoformat(),
            "errors": [f.to_dict() for f in self.errors],
            "attention_points": [f.to_dict() for f in self.attention_points],
        }


@dataclass
class SheetData:
    """What the reader extracted from the checked sheet (values of known columns only)."""

    kind: str  # "xlsx" or "csv"
    headers: dict[int, str]  # 0-based column index -> header text in row 1
    row_numbers: list[int]  # Excel row numbers of the non-empty data rows
    values: dict[int, list]  # column index -> values aligned with row_numbers (CHECKED_COLUMNS only)
    formulas: dict[int, list[int]] = field(default_factory=dict)  # column index -> rows
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: set[int] = field(default_factory=set)
    autofilter: bool = False
    data_sheets: list[int] = field(default_factory=list)  # 1-based positions of sheets with data
    last_row: int = 0
    last_column: int = -1


# --------------------------------------------------------------------------- headers, rows


def normalise_header(text: object) -> str:
    """Header as compared: lower case, without spaces, ``-``, ``_``, ``.`` and ``/``.

    ``"Uitsplitsing 1"`` and ``"uitsplitsing_1"`` -> ``"uitsplitsing1"``; ``"E-mail"`` -> ``"email"``.
    """
    if text is None:
        return ""
    return _HEADER_STRIP.sub("", str(text)).lower()


def _header_lookup(config: DeliveryFileRules) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for columns in (config.required_columns, config.optional_columns):
        for canonical, aliases in columns.items():
            for alias in (canonical, *aliases):
                lookup.setdefault(normalise_header(alias), canonical)
    return lookup


def format_rows(rows: Iterable[int], limit: int = 20) -> str:
    """Dutch row list with ranges and a cap: ``rij 5–9, 12``; ``rijen … en 1.234 meer``.

    Parameters
    ----------
    rows : Excel row numbers (any order, duplicates ignored).
    limit : number of ranges shown; the rows of the remaining ranges are counted.
    """
    ordered = sorted({int(r) for r in rows})
    if not ordered:
        return ""
    ranges: list[tuple[int, int]] = []
    start = prev = ordered[0]
    for row in ordered[1:]:
        if row == prev + 1:
            prev = row
            continue
        ranges.append((start, prev))
        start = prev = row
    ranges.append((start, prev))
    shown = ranges[:limit]
    parts = [f"{fmt_count(a)}" if a == b else f"{fmt_count(a)}–{fmt_count(b)}" for a, b in shown]
    rest = sum(b - a + 1 for a, b in ranges[limit:])
    text = ", ".join(parts)
    if rest:
        text += f" … en {fmt_count(rest)} meer"
    word = "rij" if len(ordered) == 1 else "rijen"
    return f"{word} {text}"


# --------------------------------------------------------------------------- reading


def _sniff(path: Path) -> str:
    """Kind of file by content: ``xlsx`` or ``csv``; raise with a clear reason otherwise."""
    if not path.exists():
        raise DeliveryFileUnreadable(f"bestand {path.name} bestaat niet")
    if path.is_dir():
        raise DeliveryFileUnreadable(f"{path.name} is een map, geen bestand")
    if not path.is_file():  # a FIFO or device would block or never end: refuse before opening
        raise DeliveryFileUnreadable(f"{path.name} is geen gewoon bestand (apparaat, pipe of socket)")
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        raise DeliveryFileUnreadable("het bestand kan niet worden geopend (geen leesrechten?)") from None
    if size == 0:
        raise DeliveryFileUnreadable("het bestand is leeg (0 bytes)")
    if size > archive_limits.MAX_TOTAL_UNCOMPRESSED:  # read whole (CSV, .xls sniffing): bound it first
        raise DeliveryFileUnreadable(
            f"het bestand is {size / 2**20:.0f} MB (grens "
            f"{archive_limits.MAX_TOTAL_UNCOMPRESSED / 2**20:.0f} MB); splits de levering"
        )
    if head.startswith(OLE_MAGIC):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise DeliveryFileUnreadable(
                "het bestand is met een wachtwoord beveiligd; sla het op zonder wachtwoord en lever het opnieuw aan"
            )
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            raise DeliveryFileUnreadable(
                "oud Excel-formaat (.xls) wordt niet ondersteund; sla het bestand op als Excel-werkmap (.xlsx)"
            )
        raise DeliveryFileUnreadable("geen Excel-bestand (een ander Office-document); lever een .xlsx-bestand aan")
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    raise DeliveryFileUnreadable("geen Excel-bestand (.xlsx) of CSV-bestand; lever een .xlsx-bestand aan")


def read_delivery_file(path: str | Path, rules: Rules | DeliveryFileRules | None = None) -> SheetData:
    """Read a delivery file read-only into :class:`SheetData` (values of known columns only).

    Raises
    ------
    DeliveryFileUnreadable
        With a one-line Dutch reason for an empty, encrypted, legacy ``.xls``, damaged or
        non-Excel file, or a workbook without data or without tenant rows.
    """
    config = _config(rules)
    path = Path(path)
    kind = _sniff(path)
    lookup = _header_lookup(config)
    try:
        sheet = _read_xlsx(path, lookup) if kind == "xlsx" else _read_csv(path, lookup)
    except DeliveryFileUnreadable:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ParseError,
        KeyError,
        ValueError,
        EOFError,
        OSError,
        IndexError,
        NotImplementedError,
        RuntimeError,
    ):  # RuntimeError: an encrypted zip entry
        raise DeliveryFileUnreadable("het bestand is beschadigd of geen geldig Excel-bestand (.xlsx)") from None
    if not sheet.row_numbers and len(sheet.data_sheets) <= 1:
        raise DeliveryFileUnreadable("het bestand bevat geen huurders (alleen een kopregel)")
    return sheet


def _config(rules: Rules | DeliveryFileRules | None) -> DeliveryFileRules:
    if isinstance(rules, DeliveryFileRules):
        return rules
    rules = rules if rules is not None else load_rules()
    if rules.delivery_files is None:
        raise ValueError("the rule set has no delivery_files section (params/rules.yml)")
    return rules.delivery_files


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for part in (PurePosixPath(base).parent / target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _read_xlsx(path: Path, lookup: dict[str, str]) -> SheetData:
    with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
        try:
            archive_limits.check_archive(archive)  # zip bombs: refused from the directory, nothing unpacked
        except archive_limits.ArchiveRefused as refused:
            raise DeliveryFileUnreadable(refused.reason) from None
        names = set(archive.namelist())
        if "xl/workbook.bin" in names:
            raise DeliveryFileUnreadable("Excel binaire werkmap (.xlsb) wordt niet ondersteund; sla op als .xlsx")
        if "content.xml" in names and "mimetype" in names:
            raise DeliveryFileUnreadable("OpenDocument-rekenblad (.ods) wordt niet ondersteund; sla op als .xlsx")
        workbook_part = _workbook_part(archive, names)
        sheets, date1904, ns = _sheets(archive, workbook_part)
        if not sheets:
            raise DeliveryFileUnreadable("de werkmap bevat geen werkbladen")
        sst = _shared_strings(archive, workbook_part, names, ns)
        date_styles = _date_styles(archive, workbook_part, names, ns)
        table_filter = _table_filters(archive, names)
        chosen: SheetData | None = None
        data_sheets: list[int] = []
        for position, part in sheets:
            if part not in names:
                continue
            if chosen is None:
                with archive.open(part) as stream:
                    sheet = _parse_sheet(stream, ns, sst, date_styles, date1904, lookup)
                if sheet.last_column >= 0:
                    chosen = sheet
                    data_sheets.append(position)
                    chosen.autofilter = chosen.autofilter or table_filter.get(part, False)
            else:
                with archive.open(part) as stream:
                    if _has_data(stream, ns):
                        data_sheets.append(position)
        if chosen is None:
            raise DeliveryFileUnreadable("het bestand bevat geen gegevens (alle werkbladen zijn leeg)")
        chosen.data_sheets = data_sheets
        return chosen


def _workbook_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "_rels/.rels" in names:
        with archive.open("_rels/.rels") as stream:
            for _, elem in iterparse(stream):
                if _local(elem.tag) == "Relationship" and elem.get("Type", "").endswith("/officeDocument"):
                    part = _resolve("", elem.get("Target", ""))
                    if part in names:
                        return part
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    raise DeliveryFileUnreadable("geen Excel-werkmap (zip-bestand zonder werkmap); lever een .xlsx-bestand aan")


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, resolved part) of a part."""
    rels_part = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
    result: dict[str, tuple[str, str]] = {}
    try:
        stream = archive.open(rels_part)
    except KeyError:
        return result
    with stream:
        for _, elem in iterparse(stream):
            if _local(elem.tag) == "Relationship":
                target = elem.get("Target", "")
                if elem.get("TargetMode") == "External":
                    continue
                result[elem.get("Id", "")] = (elem.get("Type", "").rpartition("/")[2], _resolve(part, target))
    return result


def _sheets(archive: zipfile.ZipFile, workbook_part: str) -> tuple[list[tuple[int, str]], bool, str]:
    rels = _rels(archive, workbook_part)
    sheets: list[tuple[int, str]] = []
    date1904 = False
    ns = MAIN_NS
    with archive.open(workbook_part) as stream:
        for _, elem in iterparse(stream):
            local = _local(elem.tag)
            if local == "workbook":
                ns = elem.tag[1:].partition("}")[0] if elem.tag.startswith("{") else ""
            elif local == "workbookPr":
                date1904 = elem.get("date1904", "0") in ("1", "true")
            elif local == "sheet":
                rid = next((elem.get(f"{{{n}}}id") for n in OFFICE_REL_NS if elem.get(f"{{{n}}}id")), None)
                if rid in rels and rels[rid][0] == "worksheet":
                    sheets.append((len(sheets) + 1, rels[rid][1]))
                elif rid in rels:
                    sheets.append((len(sheets) + 1, ""))  # chart sheet or other: no tenant data
    return [(pos, part) for pos, part in sheets if part], date1904, ns


def _related_part(archive: zipfile.ZipFile, workbook_part: str, kind: str, names: set[str], default: str) -> str | None:
    for rel_type, part in _rels(archive, workbook_part).values():
        if rel_type == kind and part in names:
            return part
    return default if default in names else None


_SI = re.compile(
    r"<(?:\w+:)?si>(?:<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>|<(?:\w+:)?t\s*/>|(.*?))</(?:\w+:)?si>|<(?:\w+:)?si\s*/>",
    re.S,
)
_RUN_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)


def _shared_strings(archive: zipfile.ZipFile, workbook_part: str, names: set[str], ns: str) -> list[str]:
    """The shared strings table, in order.

    Read with a regular expression over the (UTF-8) part, which is several times faster than
    an XML parser for the hundreds of thousands of strings of a large file; a part with
    comments, CDATA, a DTD or another encoding is read with the XML parser instead.
    """
    part = _related_part(archive, workbook_part, "sharedStrings", names, "xl/sharedStrings.xml")
    if part is None:
        return []
    data = archive.read(part)
    head = data[:200].lower()
    if (
        b"<!--" in data
        or b"<![cdata[" in data.lower()
        or b"<!doctype" in head
        or data[:2] in (b"\xff\xfe", b"\xfe\xff")
        or (b"encoding=" in head and b"utf-8" not in head)
    ):
        return _shared_strings_xml(data, ns)
    text = data.decode("utf-8-sig")
    strings: list[str] = []
    append = strings.append
    for simple, rich in _SI.findall(text):
        if rich:
            simple = "".join(_RUN_TEXT.findall(_PHONETIC.sub("", rich)))
        append(html.unescape(simple) if "&" in simple else simple)
    return strings


def _shared_strings_xml(data: bytes, ns: str) -> list[str]:
    si, t, r, rph = (f"{{{ns}}}{x}" for x in ("si", "t", "r", "rPh"))
    strings: list[str] = []
    for _, elem in iterparse(io.BytesIO(data)):
        if elem.tag == si:
            direct = elem.find(t)
            if direct is not None:
                strings.append(direct.text or "")
            else:
                strings.append("".join((run.findtext(t) or "") for run in elem.iter(r)))
            elem.clear()
        elif elem.tag == rph:
            elem.clear()
    return strings


_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])


def _is_date_format(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code)
    return bool(re.search(r"[dmyhs]", code, re.IGNORECASE)) and "General" not in code


def _date_styles(archive: zipfile.ZipFile, workbook_part: str, names: set[str], ns: str) -> frozenset[str]:
    """Cell style indexes (the ``s`` attribute, as text) whose number format is a date."""
    part = _related_part(archive, workbook_part, "styles", names, "xl/styles.xml")
    if part is None:
        return frozenset()
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    with archive.open(part) as stream:
        in_cell_xfs = False
        for event, elem in iterparse(stream, events=("start", "end")):
            local = _local(elem.tag)
            if local == "cellXfs":
                in_cell_xfs = event == "start"
            elif event == "end" and local == "numFmt":
                custom[int(elem.get("numFmtId", "0"))] = elem.get("formatCode", "")
            elif event == "end" and local == "xf" and in_cell_xfs:
                xf_formats.append(int(elem.get("numFmtId", "0")))
    dates = set()
    for index, fmt_id in enumerate(xf_formats):
        if fmt_id in custom:
            if _is_date_format(custom[fmt_id]):
                dates.add(str(index))
        elif fmt_id in _BUILTIN_DATE_FORMATS:
            dates.add(str(index))
    return frozenset(dates)


def _table_filters(archive: zipfile.ZipFile, names: set[str]) -> dict[str, bool]:
    """Worksheet part -> whether a table (ListObject) on it has an autofilter."""
    result: dict[str, bool] = {}
    for name in names:
        if not (name.startswith("xl/worksheets/_rels/") and name.endswith(".rels")):
            continue
        sheet_part = "xl/worksheets/" + PurePosixPath(name).name[: -len(".rels")]
        for rel_type, part in _rels(archive, sheet_part).values():
            if rel_type == "table" and part in names:
                with archive.open(part) as stream:
                    for _, elem in iterparse(stream):
                        if _local(elem.tag) == "autoFilter":
                            result[sheet_part] = True
    return result


def _cell_text(value: object) -> bool:
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())


_FEED_BYTES = 1 << 14


def _events(stream):
    """``end`` events of an XML stream, fed in 16 KB chunks (larger chunks measured slower)."""
    parser = XMLPullParser(events=("end",))
    while True:
        chunk = stream.read(_FEED_BYTES)
        if not chunk:
            break
        parser.feed(chunk)
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


def _parse_sheet(
    stream, ns: str, sst: list[str], date_styles: frozenset[str], date1904: bool, lookup: dict[str, str]
) -> SheetData:
    """One streaming pass over a worksheet's XML: values, formulas, hidden rows/cols, filters.

    Per the schema a cell's children come in the order ``f``, ``v``, ``is``; the loop relies
    on that to touch as few elements as possible (this pass dominates the run time).
    """
    parser = _SheetParser(ns, sst, date_styles, date1904, lookup)
    for _, elem in _events(stream):
        if elem.tag == parser.ROW:
            parser.row(elem)
            elem.clear()
        elif elem.tag in parser.other:
            parser.sheet_setting(elem)
    return parser.finish()


class _SheetParser:
    """The state of :func:`_parse_sheet`: the sheet so far, the checked columns' slots, hidden
    rows and columns, formulas and where the data ends."""

    def __init__(
        self, ns: str, sst: list[str], date_styles: frozenset[str], date1904: bool, lookup: dict[str, str]
    ) -> None:
        q = f"{{{ns}}}" if ns else ""
        self.ROW, self.C, self.V, self.F, self.IS, self.T, self.COL, self.AUTOFILTER, self.SHEETPR = (
            q + x for x in ("row", "c", "v", "f", "is", "t", "col", "autoFilter", "sheetPr")
        )
        self.other = {self.COL, self.AUTOFILTER, self.SHEETPR}
        self.sst, self.date_styles, self.lookup = sst, date_styles, lookup
        self.epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        self.sheet = SheetData(kind="xlsx", headers={}, row_numbers=[], values={})
        self.letters_cache: dict[str, int] = {}
        self.wanted: dict[int, int] = {}  # column index -> slot
        self.slots: list[list] = []
        self.hidden_rows: list[int] = []
        self.hidden_cols: set[int] = set()
        self.formulas: dict[int, list[int]] = {}
        self.last_row = 0
        self.last_col = -1
        self.header_done = False

    def column_of(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - 64
        self.letters_cache[letters] = col - 1
        return col - 1

    def sheet_setting(self, elem) -> None:
        """A ``col`` (hidden columns), ``autoFilter`` or ``sheetPr`` (filter mode) element."""
        if elem.tag == self.COL and elem.get("hidden") in ("1", "true"):
            lo, hi = int(elem.get("min", "1")), int(elem.get("max", "1"))
            self.hidden_cols.update(range(lo - 1, min(hi, lo + 16384)))
        elif elem.tag == self.AUTOFILTER or (elem.tag == self.SHEETPR and elem.get("filterMode") in ("1", "true")):
            self.sheet.autofilter = True

    def row(self, elem) -> None:
        """One ``row`` element: the header row names the columns, a data row adds its values."""
        C, V, F, IS, T = self.C, self.V, self.F, self.IS, self.T
        letters_cache, wanted, sheet = self.letters_cache, self.wanted, self.sheet
        r_attr = elem.get("r")
        row_no = int(r_attr) if r_attr else self.last_row + 1
        self.last_row = row_no
        if elem.get("hidden") in ("1", "true"):
            self.hidden_rows.append(row_no)
        is_header = not self.header_done and row_no == 1
        self.header_done = True
        row_vals: list[object] = [None] * len(self.slots)
        has_value = False
        last_col = self.last_col
        col = -1
        value: object  # a cell's value: text, number, date or boolean
        for c in elem:
            if c.tag != C:
                continue  # extLst
            ref = c.get("r")
            if ref:
                cached = letters_cache.get(ref.rstrip("0123456789"))
                col = self.column_of(ref) if cached is None else cached
            else:
                col += 1
            if not len(c):
                continue  # a styled but empty cell
            first = c[0]
            if first.tag == F:
                self.formulas.setdefault(col, []).append(row_no)
                has_value = True
                if col > last_col:
                    last_col = col
                if len(c) < 2:
                    continue
                first = c[1]
            slot = wanted.get(col)
            if slot is None and not is_header:
                if first.tag == V and first.text is None:
                    continue
                has_value = True
                if col > last_col:
                    last_col = col
                continue
            ftag = first.tag
            ctype = c.get("t")
            if ftag == V:
                vtext = first.text
                if vtext is None:
                    continue
                if ctype == "s":
                    value = self.sst[int(vtext)]
                elif ctype is None or ctype == "n":
                    if is_header:
                        value = vtext
                    elif c.get("s") in self.date_styles:
                        value = self.epoch + dt.timedelta(days=float(vtext))
                    else:
                        number = float(vtext)
                        value = int(number) if number.is_integer() and abs(number) < 1e15 else number
                elif ctype == "b":
                    value = vtext in ("1", "true")
                else:  # str (formula text), e (error), d (ISO date)
                    value = vtext
            elif ftag == IS:
                value = "".join(x.text or "" for x in first.iter(T))
            else:
                continue
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            has_value = True
            if col > last_col:
                last_col = col
            if is_header:
                sheet.headers[col] = value if isinstance(value, str) else str(value)
            elif slot is not None:  # always, outside the header row (see above)
                row_vals[slot] = value
        self.last_col = last_col
        if is_header:
            self.checked_columns()
        elif has_value:
            sheet.row_numbers.append(row_no)
            for slot, value in enumerate(row_vals):
                self.slots[slot].append(value)

    def checked_columns(self) -> None:
        """After the header row: a slot for each column whose values the checks read."""
        for col, header in self.sheet.headers.items():
            if self.lookup.get(normalise_header(header)) in CHECKED_COLUMNS:
                self.wanted[col] = len(self.slots)
                self.slots.append([])

    def finish(self) -> SheetData:
        """The sheet, with hidden rows and columns inside the data only."""
        sheet = self.sheet
        sheet.values = {col: self.slots[slot] for col, slot in self.wanted.items()}
        data_rows = sheet.row_numbers[-1] if sheet.row_numbers else (1 if sheet.headers else 0)
        sheet.hidden_rows = [r for r in self.hidden_rows if r <= data_rows]
        sheet.hidden_columns = {c for c in self.hidden_cols if c <= self.last_col}
        sheet.formulas = self.formulas
        sheet.last_row = data_rows
        sheet.last_column = self.last_col
        return sheet


def _has_data(stream, ns: str) -> bool:
    """Whether a worksheet has at least one non-empty cell (stops at the first one)."""
    q = f"{{{ns}}}" if ns else ""
    V, T, F = q + "v", q + "t", q + "f"
    for _, elem in iterparse(stream):
        if elem.tag in (V, T) and elem.text and elem.text.strip():
            return True
        if elem.tag == F:
            return True
        if elem.tag == q + "row":
            elem.clear()
    return False


def _read_csv(path: Path, lookup: dict[str, str]) -> SheetData:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise DeliveryFileUnreadable("geen tekstbestand (CSV); lever een .xlsx- of .csv-bestand aan")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    sheet = SheetData(kind="csv", headers={}, row_numbers=[], values={})
    wanted: dict[int, list] = {}
    last_col = -1
    for row_no, record in enumerate(reader, start=1):
        cells = [cell.strip() for cell in record]
        filled = [i for i, cell in enumerate(cells) if cell]
        if filled:
            last_col = max(last_col, filled[-1])
        if row_no == 1:
            sheet.headers = {i: cell for i, cell in enumerate(cells) if cell}
            wanted = {i: [] for i, h in sheet.headers.items() if lookup.get(normalise_header(h)) in CHECKED_COLUMNS}
            continue
        if not filled:
            continue
        sheet.row_numbers.append(row_no)
        for i, values in wanted.items():
            values.append(cells[i] if i < len(cells) and cells[i] else None)
    if last_col < 0:
        raise DeliveryFileUnreadable("het bestand bevat geen gegevens")
    sheet.values = wanted
    sheet.last_column = last_col
    sheet.last_row = sheet.row_numbers[-1] if sheet.row_numbers else 1
    sheet.data_sheets = [1]
    return sheet


# --------------------------------------------------------------------------- value checks


def _tenants(count: int, singular: str = "", plural: str = "") -> str:
    """``1 huurder heeft`` / ``1.234 huurders hebben`` (verb optional)."""
    noun = "huurder" if count == 1 else "huurders"
    verb = singular if count == 1 else plural
    return f"{fmt_count(count)} {noun} {verb}".rstrip()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def valid_postcode(value: object) -> bool:
    """Dutch postcode ``1234 AB`` / ``1234AB`` (case-insensitive, first digit 1–9)."""
    return isinstance(value, str) and _POSTCODE.fullmatch(value.strip()) is not None


def valid_email(value: object) -> bool:
    """One e-mail address ``local@domain.tld`` without spaces."""
    return isinstance(value, str) and _EMAIL.fullmatch(value.strip()) is not None


def valid_phone(value: object) -> bool:
    """Dutch telephone number: 10 digits starting with 0, or ``+31``/``0031`` + 9 digits.

    Spaces, dashes, dots, brackets and a ``(0)`` after the country code are tolerated. A number
    stored as an Excel number lost its leading zero: 9 digits count as ``0`` + 9 digits and
    11 digits starting with 31 as ``+31…`` (module docstring, Decision).
    """
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return False
        digits = str(int(value))
        if len(digits) == 9:
            digits = "0" + digits
        elif len(digits) == 11 and digits.startswith("31"):
            digits = "+" + digits
        return _PHONE.fullmatch(digits) is not None
    text = _PHONE_STRIP.sub("", str(value).replace("(0)", ""))
    return _PHONE.fullmatch(text) is not None


def valid_date(value: object) -> bool:
    """An Excel date cell, or text ``d-m-jjjj`` / ``d/m/jjjj`` / ``d.m.jjjj`` / ``jjjj-mm-dd``."""
    if isinstance(value, (dt.date, dt.datetime)):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    match = _DATE_DMY.fullmatch(text)
    if match:
        day, month, year = (int(x) for x in match.groups())
    else:
        match = _DATE_YMD.fullmatch(text)
        if not match:
            return False
        year, month, day = (int(x) for x in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2200


# --------------------------------------------------------------------------- validation


def validate_delivery_file(path: str | Path, questionnaire: str, rules: Rules | None = None) -> ValidationReport:
    """Check a tenant delivery file and return its validatieverslag (docs/methodology.md §9).

    Parameters
    ----------
    path : the ``.xlsx`` (or ``.csv``) file; opened read-only, never changed.
    questionnaire : questionnaire key of the file (docs/methodology.md §1.1), e.g. ``"reparaties"``.
    rules : rule set (``delivery_files`` section); default ``params/rules.yml``.

    Returns
    -------
    ValidationReport
        ``accepted`` is False when there is any error. Findings carry row numbers and column
        names only, never cell values.

    Raises
    ------
    DeliveryFileUnreadable
        The file cannot be read at all (one-line Dutch reason).
    ValueError
        Unknown questionnaire key.
    """
    if questionnaire not in QUESTIONNAIRES:
        raise ValueError(f"unknown questionnaire {questionnaire!r}; expected one of {', '.join(QUESTIONNAIRES)}")
    config = _config(rules)
    sheet = read_delivery_file(path, config)
    errors, attention = check_sheet(sheet, questionnaire, config)
    return ValidationReport(
        file=Path(path).name,
        questionnaire=questionnaire,
        tenant_rows=len(sheet.row_numbers),
        errors=errors,
        attention_points=attention,
    )


def check_sheet(sheet: SheetData, questionnaire: str, config: DeliveryFileRules) -> tuple[list[Finding], list[Finding]]:
    """Apply the rules of the module docstring to extracted sheet data: (errors, attention points).

    The rules run in the order of the validatieverslag: the sheet's structure, the header row,
    the values (codes, contact details, dates), then the attention points.
    """
    check = _SheetCheck(sheet, config)
    _check_structure(check)
    _check_headers(check)
    _check_codes(check)
    _check_contact(check)
    _check_dates(check)
    _note_missing_email(check)
    _note_empty_breakdowns(check)
    if questionnaire in config.type_questionnaires:
        _note_missing_type(check)
    _note_duplicate_tenants(check)
    return check.errors, check.attention


@dataclass
class _SheetCheck:
    """What the rules of :func:`check_sheet` share: the sheet, the columns found in its header
    row (canonical name -> column index) and the findings so far."""

    sheet: SheetData
    config: DeliveryFileRules
    found: dict[str, int] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    attention: list[Finding] = field(default_factory=list)

    @property
    def rows(self) -> list[int]:
        return self.sheet.row_numbers

    def err(self, rule: str, column: str | None, rows: Sequence[int], text: str) -> None:
        self.errors.append(Finding(rule, column, tuple(rows), text, self.config.rows_listed))

    def note(self, rule: str, column: str | None, rows: Sequence[int], text: str) -> None:
        self.attention.append(Finding(rule, column, tuple(rows), text, self.config.rows_listed))

    def label(self, col: int) -> str:
        return self.sheet.headers.get(col, f"kolom {get_column_letter(col + 1)}")

    def column(self, canonical: str) -> list | None:
        col = self.found.get(canonical)
        return None if col is None else self.sheet.values.get(col)

    def name_of(self, canonical: str) -> str:
        return self.sheet.headers[self.found[canonical]]

    def invalid(self, canonical: str, valid, rule: str, text: str) -> list | None:
        """Rows whose value in ``canonical`` is given but not ``valid`` (an error ``rule``); the
        column's values, or None without the column."""
        values = self.column(canonical)
        if values is not None:
            bad = [r for r, v in zip(self.rows, values, strict=True) if v is not None and not valid(v)]
            if bad:
                self.err(rule, self.name_of(canonical), bad, text.format(name=self.name_of(canonical)))
        return values


def _check_structure(check: _SheetCheck) -> None:
    """More than one sheet with data, a filter, hidden rows or columns, formulas."""
    sheet = check.sheet
    if len(sheet.data_sheets) > 1:
        positions = ", ".join(str(p) for p in sheet.data_sheets[:-1]) + f" en {sheet.data_sheets[-1]}"
        check.err(
            "meerdere_tabbladen",
            None,
            [],
            f"{len(sheet.data_sheets)} tabbladen bevatten gegevens (tabbladen {positions}); lever één tabblad "
            f"met huurdersgegevens per bestand aan (tabblad {sheet.data_sheets[0]} is gecontroleerd)",
        )
    if sheet.autofilter:
        check.err("filter_actief", None, [], "Het tabblad heeft een filter (autofilter); verwijder het filter")
    if sheet.hidden_rows:
        check.err("verborgen_rij", None, sheet.hidden_rows, "Verborgen rijen; maak alle rijen zichtbaar")
    for col in sorted(sheet.hidden_columns):
        check.err(
            "verborgen_kolom",
            check.label(col),
            [],
            f"Kolom {get_column_letter(col + 1)} ('{check.label(col)}') is verborgen; maak alle kolommen zichtbaar",
        )
    for col in sorted(sheet.formulas):
        check.err(
            "formule",
            check.label(col),
            sorted(sheet.formulas[col]),
            f"Kolom '{check.label(col)}' bevat formules; vervang formules door vaste waarden",
        )


def _check_headers(check: _SheetCheck) -> None:
    """Unknown columns (attention), doubled and missing required columns; fills ``check.found``."""
    sheet, found = check.sheet, check.found
    lookup = _header_lookup(check.config)
    for col in sorted(sheet.headers):
        canonical = lookup.get(normalise_header(sheet.headers[col]))
        if canonical is None:
            check.note(
                "onbekende_kolom",
                sheet.headers[col],
                [],
                f"Kolom '{sheet.headers[col]}' hoort niet bij het bestandsformat en wordt niet gebruikt",
            )
        elif canonical in found:
            check.err(
                "kolom_dubbel",
                sheet.headers[col],
                [1],
                f"Kolom '{sheet.headers[col]}' komt dubbel voor (ook kolom {get_column_letter(found[canonical] + 1)}); "
                "de eerste wordt gebruikt",
            )
        else:
            found[canonical] = col
    for canonical in check.config.required_columns:
        if canonical not in found:
            check.err(
                "kolom_ontbreekt", canonical, [], f"Verplichte kolom '{canonical}' ontbreekt in de kopregel (rij 1)"
            )


def _check_codes(check: _SheetCheck) -> None:
    """Gender codes and postcodes."""
    config = check.config
    genders = {code.lower() for code in config.gender_codes}
    check.invalid(
        "geslacht",
        lambda v: _text(v).lower() in genders,
        "geslacht_ongeldig",
        f"Ongeldige code in kolom '{{name}}' (toegestaan: {', '.join(config.gender_codes)} of leeg)",
    )
    values = check.column("postcode")
    if values is not None:
        bad = [r for r, v in zip(check.rows, values, strict=True) if not valid_postcode(v)]
        if bad:
            name = check.name_of("postcode")
            check.err(
                "postcode_ongeldig", name, bad, f"Postcode ontbreekt of heeft niet de vorm 1234 AB in kolom '{name}'"
            )


def _check_contact(check: _SheetCheck) -> None:
    """E-mail addresses and phone numbers, and tenants with neither."""
    emails = check.invalid("email", valid_email, "email_ongeldig", "Ongeldig e-mailadres in kolom '{name}'")
    phones = [
        check.invalid(
            canonical,
            valid_phone,
            "telefoon_ongeldig",
            "Ongeldig telefoonnummer in kolom '{name}' (Nederlands nummer: 10 cijfers beginnend met 0, of +31)",
        )
        for canonical in PHONE_COLUMNS
    ]
    contact = [v for v in (emails, *phones) if v is not None]
    unreachable = [r for i, r in enumerate(check.rows) if all(values[i] is None for values in contact)]
    if unreachable:
        names = [check.name_of(c) for c in ("email", *PHONE_COLUMNS) if c in check.found]
        check.err(
            "niet_bereikbaar",
            ", ".join(names) or "e-mail, telefoon",
            unreachable,
            f"{_tenants(len(unreachable), 'heeft', 'hebben')} geen e-mailadres en geen telefoonnummer",
        )


def _check_dates(check: _SheetCheck) -> None:
    check.invalid(
        "datum",
        valid_date,
        "datum_ongeldig",
        "Geen geldige datum in kolom '{name}' (gebruik een Excel-datum of dd-mm-jjjj)",
    )


def _note_missing_email(check: _SheetCheck) -> None:
    """Tenants without an e-mail address are approached by telephone only."""
    rows, emails = check.rows, check.column("email")
    n = len(rows)
    missing_email = list(rows) if emails is None else [r for r, v in zip(rows, emails, strict=True) if v is None]
    if missing_email:
        share = fmt_pct(100 * len(missing_email) / n) if n else "–"
        check.note(
            "email_ontbreekt",
            check.name_of("email") if "email" in check.found else "email",
            missing_email,
            f"{fmt_count(len(missing_email))} van {fmt_count(n)} huurders ({share}) "
            f"{'heeft' if len(missing_email) == 1 else 'hebben'} geen e-mailadres; "
            "zij worden alleen telefonisch benaderd",
        )


def _note_empty_breakdowns(check: _SheetCheck) -> None:
    present = [c for c in UITSPLITSINGEN if c in check.found]
    if not present or all(all(v is None for v in check.column(c) or []) for c in present):
        columns = ", ".join(check.name_of(c) for c in present) if present else "uitsplitsing 1–4"
        check.note(
            "uitsplitsingen_leeg",
            columns,
            [],
            "De kolommen uitsplitsing 1 t/m 4 ontbreken of zijn leeg; uitsplitsen van de resultaten "
            "(bijvoorbeeld naar wijk of vestiging) is dan niet mogelijk",
        )


def _note_missing_type(check: _SheetCheck) -> None:
    """Questionnaires whose invitation names the work done (``type_questionnaires``)."""
    values = check.column("type")
    if values is None:
        check.note(
            "type_leeg",
            "type",
            [],
            "Kolom 'type' ontbreekt; zonder omschrijving van de werkzaamheden noemt de uitnodiging "
            "niet waarover het onderzoek gaat",
        )
        return
    empty = [r for r, v in zip(check.rows, values, strict=True) if v is None]
    if empty:
        name = check.name_of("type")
        check.note(
            "type_leeg",
            name,
            empty,
            f"{_tenants(len(empty))} zonder omschrijving in kolom '{name}'; de "
            "uitnodiging noemt dan niet waarover het onderzoek gaat",
        )


def _note_duplicate_tenants(check: _SheetCheck) -> None:
    """The same postcode, house number, addition and name more than once."""
    rows, n = check.rows, len(check.rows)
    key_columns = [check.column(c) for c in ("postcode", "huisnummer", "toevoeging", *NAME_COLUMNS)]
    if key_columns[0] is None:
        return
    normalised = [
        [" ".join(_text(v).lower().split()) if v is not None else "" for v in values]
        if values is not None
        else [""] * n
        for values in key_columns
    ]
    normalised[0] = [v.replace(" ", "") for v in normalised[0]]
    groups: dict[tuple, list[int]] = {}
    for r, *key in zip(rows, *normalised, strict=True):
        if key[0]:
            groups.setdefault(tuple(key), []).append(r)
    duplicates = sorted(r for group in groups.values() if len(group) > 1 for r in group)
    if duplicates:
        n_groups = sum(1 for group in groups.values() if len(group) > 1)
        check.note(
            "dubbele_huurder",
            "postcode, huisnummer, toevoeging, naam",
            duplicates,
            f"{_tenants(n_groups, 'komt', 'komen')} meer dan één keer voor (zelfde postcode, huisnummer, "
            "toevoeging en naam)",
        )


# --------------------------------------------------------------------------- output


def write_report_json(report: ValidationReport | dict, target: str | Path) -> Path:
    """Write the validatieverslag as JSON (UTF-8), atomically (temp file + ``os.replace``)."""
    data = report.to_dict() if isinstance(report, ValidationReport) else report
    return write_bytes_atomic(Path(target), (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
