"""The national submission to Aedes (prestatieveld Huurdersoordeel) as .xlsx and as CSV.

FAQ section 6: "Eind augustus verzamelen we deze resultaten en leveren we die aan voor de
Aedes-benchmark"; docs/methodology.md §4.7. The figures come from :func:`kwh_calc.calculations.aedes.aedes_results`;
this module only lays them out. The close writes ``reports/<Y>/aedes-aanlevering.xlsx`` and
``reports/<Y>/aedes-aanlevering.csv``.

Column layout (sheet ``Huurdersoordeel``; the CSV has the same columns and headers)
------------------------------------------------------------------------------------
Row 1 holds the headers, then one row per Aedes member corporation, in ``corporation_id``
order (also members without respondents). Empty cell = no value (no respondents, or a
margin of error with fewer than 2 respondents).

=====  =====================================  ===========================================  ==========
col.   header                                 content                                      Excel format
=====  =====================================  ===========================================  ==========
A      Corporatie-id                          ``corporation_id``                           text
B      Corporatie                             corporation name                             text
then, for each sub-score S in Nieuwe huurders, Reparatieverzoeken, Vertrokken huurders
(columns C–I, J–P, Q–W):
+0     S – cijfer                             grade rounded half up to 1 decimal (1–10)    ``0.0``
+1     S – cijfer onafgerond                  unrounded mean grade                         ``0.0000``
+2     S – aantal respondenten                n                                            ``0``
+3     S – letter                             A, B or C (on the rounded grade)             text
+4     S – % ontevreden                       percent (0–100) with grade ≤ 5, unrounded    ``0.0``
+5     S – foutmarge (cijferpunten)           half-width of the 90% t-interval             ``0.00``
+6     S – grensgeval                         ``ja`` when within 0,05 of a letter          text
                                              boundary, else ``nee``
X      Totaal – punten                        weighted points (A +1, B 0, C −1; 25/55/20)  ``0.00``
Y      Totaal – letter                        overall letter (empty if a sub-score has     text
                                              no respondents)
=====  =====================================  ===========================================  ==========

Numbers are stored as numbers (never as text). The second sheet ``Metadata`` lists, as
``Gegeven`` / ``Waarde`` rows, the mapping given to the writer; :func:`submission_metadata`
builds the standard one: benchmark year, period (Dutch months), freeze date, the date up to
which responses count, rules (letters, weights, dissatisfied, margin), rule-set version and
fingerprint, dataset fingerprint and the generating package version.

The CSV (:func:`write_submission_csv`) is UTF-8, comma-separated, with the same Dutch headers,
a decimal **point**, grades with one decimal and other numbers at full precision; it carries
no metadata (the close's manifest records it). Both files are written atomically (temporary
file in the target folder, then :func:`os.replace`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from kwh_calc.calculations.aedes import (
    SUBSCORE_NAMES,
    BenchmarkPeriod,
    benchmark_period,
    round_grade,
)
from kwh_calc.common.atomic import atomic_path
from kwh_calc.common.numbers import fmt_decimal, fmt_grade, fmt_pct
from kwh_calc.common.reproducible_xlsx import save_reproducible
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules

__all__ = [
    "METADATA_SHEET",
    "SUBMISSION_SHEET",
    "SubmissionColumn",
    "submission_columns",
    "submission_metadata",
    "submission_rows",
    "write_submission_csv",
    "write_submission_xlsx",
]

SUBMISSION_SHEET = "Huurdersoordeel"
METADATA_SHEET = "Metadata"
DATE_FORMAT = "dd-mm-yyyy"


@dataclass(frozen=True)
class SubmissionColumn:
    """One column of the submission: Dutch header, source column of the results, kind.

    ``kind``: ``text``, ``int``, ``grade`` (rounded, one decimal), ``float`` or ``flag``
    (``ja``/``nee``); ``number_format`` is the Excel format of number columns.
    """

    header: str
    source: str
    kind: str
    number_format: str | None = None


def submission_columns(keys: tuple[str, ...] = tuple(SUBSCORE_NAMES)) -> list[SubmissionColumn]:
    """The column layout of the submission (see the module docstring), for sub-score keys."""
    columns = [
        SubmissionColumn("Corporatie-id", "corporation_id", "text"),
        SubmissionColumn("Corporatie", "name", "text"),
    ]
    for key in keys:
        name = SUBSCORE_NAMES.get(key, key)
        columns += [
            SubmissionColumn(f"{name} – cijfer", f"{key}_grade", "grade", "0.0"),
            SubmissionColumn(f"{name} – cijfer onafgerond", f"{key}_score", "float", "0.0000"),
            SubmissionColumn(f"{name} – aantal respondenten", f"{key}_n", "int", "0"),
            SubmissionColumn(f"{name} – letter", f"{key}_letter", "text"),
            SubmissionColumn(f"{name} – % ontevreden", f"{key}_pct_dissatisfied", "float", "0.0"),
            SubmissionColumn(f"{name} – foutmarge (cijferpunten)", f"{key}_margin", "float", "0.00"),
            SubmissionColumn(f"{name} – grensgeval", f"{key}_near_boundary", "flag"),
        ]
    columns += [
        SubmissionColumn("Totaal – punten", "overall_points", "float", "0.00"),
        SubmissionColumn("Totaal – letter", "overall_letter", "text"),
    ]
    return columns


def _keys_of(results: pd.DataFrame) -> tuple[str, ...]:
    return tuple(key for key in SUBSCORE_NAMES if f"{key}_n" in results.columns)


def _cell(value, kind: str):
    """A Python value for one cell: None when empty, numbers as int/float, text as str."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "int":
        return int(value)
    if kind == "grade":
        return float(round_grade(value))
    if kind == "float":
        return float(value)
    if kind == "flag":
        return "ja" if bool(value) else "nee"
    return str(value)


def submission_rows(results: pd.DataFrame) -> tuple[list[SubmissionColumn], list[list]]:
    """The submission as (columns, rows of Python values) from :func:`~kwh_calc.calculations.aedes.aedes_results`."""
    columns = submission_columns(_keys_of(results))
    missing = [c.source for c in columns if c.source not in results.columns]
    if missing:
        raise ValueError(f"results lack column(s) {', '.join(missing)}: pass the output of aedes_results")
    ordered = results.sort_values("corporation_id", kind="stable")
    rows = [[_cell(record[c.source], c.kind) for c in columns] for record in ordered.to_dict("records")]
    return columns, rows


def submission_metadata(
    dataset: Dataset, rules: Rules, year: int, *, as_of: date | str | None = None, period: BenchmarkPeriod | None = None
) -> dict[str, object]:
    """The standard metadata sheet: Dutch label -> value (dates stay dates, numbers numbers).

    Parameters
    ----------
    dataset : the research dataset (its ``fingerprint``; empty for an in-memory dataset).
    rules : the rule set the figures were computed with (version, fingerprint, the rules).
    year : benchmark year Y.
    as_of : monitoring date, when the figures are running figures rather than final.
    period : the period of the results (``results.attrs["period"]``); default computed.
    """
    from kwh_calc import __version__

    period = period or benchmark_period(year, rules, as_of)
    letters = sorted(rules.aedes.letters, key=lambda b: b.min_grade, reverse=True)
    letter_text = (
        "; ".join([f"{b.letter} ≥ {fmt_grade(b.min_grade)}" for b in letters[:-1]] + [f"{letters[-1].letter} lager"])
        + " (op het cijfer afgerond op één decimaal, half naar boven)"
    )
    weights = ", ".join(f"{SUBSCORE_NAMES.get(k, k)} {fmt_pct(w * 100)}" for k, w in rules.aedes.weights.items())
    points = ", ".join(
        f"{letter} = {value:+d}".replace("+0", "0") for letter, value in rules.aedes.letter_points.items()
    )
    overall = (
        f"punten ≥ {fmt_decimal(rules.aedes.overall_a_min, 2)} → {letters[0].letter}, "
        f"≤ {fmt_decimal(rules.aedes.overall_c_max, 2)} → {letters[-1].letter}, anders {letters[1].letter}"
    )
    metadata: dict[str, object] = {
        "Onderwerp": "Aedes-benchmark, prestatieveld Huurdersoordeel (KWH-Huurdersonderzoek)",
        "Benchmarkjaar": year,
        "Periode (maanden van dienstverlening)": period.describe_nl(),
        "Bevriesdatum": period.freeze,
        "Stand": "definitief (bevroren)" if period.frozen else f"tussenstand per {period.as_of:%d-%m-%Y}",
        "Meegeteld: maanden van dienstverlening": period.counted_nl(),
        "Meegeteld: ingevuld tot en met": period.completed_on_or_before,
        "Letter per deelscore": letter_text,
        "Totaalletter": f"{points}; weging {weights}; {overall}",
        "Ontevreden": f"cijfer ≤ {rules.aedes.dissatisfied_max_grade}",
        "Foutmarge": (
            f"halve breedte van het {fmt_pct(rules.representativeness.confidence * 100)}-"
            "betrouwbaarheidsinterval (t-verdeling) van het gemiddelde cijfer, in cijferpunten"
        ),
        "Grensgeval": (
            f"cijfer onafgerond binnen {fmt_decimal(rules.aedes.boundary_flag_margin, 2)} van een lettergrens"
        ),
        "Regelset versie": rules.version,
        "Regelset vingerafdruk (SHA-256)": rules.fingerprint,
        "Dataset vingerafdruk (SHA-256)": dataset.fingerprint or "(dataset in het geheugen)",
        "Gemaakt met": f"kwh-workbench {__version__}",
    }
    return metadata


def _metadata_cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime | int | float) or value is None:
        return value
    return str(value)


def write_submission_xlsx(results: pd.DataFrame, path: str | Path, metadata: Mapping[str, object]) -> Path:
    """Write the submission workbook (layout: module docstring), atomically.

    Parameters
    ----------
    results : output of :func:`kwh_calc.calculations.aedes.aedes_results` (all members).
    path : target ``.xlsx``; its folder is created.
    metadata : rows of the ``Metadata`` sheet, Dutch label -> value (see
        :func:`submission_metadata`); dates are written as dates (``dd-mm-yyyy``).

    Returns
    -------
    Path
        ``path``.
    """
    columns, rows = submission_rows(results)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SUBMISSION_SHEET
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        sheet.append(values)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 28 if column.source == "name" else 14
        if column.number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = column.number_format
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"

    info = workbook.create_sheet(METADATA_SHEET)
    info.append(["Gegeven", "Waarde"])
    for cell in info[1]:
        cell.font = Font(bold=True)
    for label, value in metadata.items():
        info.append([str(label), _metadata_cell(value)])
        if isinstance(value, date | datetime):
            info.cell(row=info.max_row, column=2).number_format = DATE_FORMAT
    info.column_dimensions["A"].width = 40
    info.column_dimensions["B"].width = 90

    # Byte-reproducible: every timestamp is the freeze date, a fact of the content.
    freeze = metadata.get("Bevriesdatum")
    with atomic_path(path) as temporary:
        save_reproducible(workbook, temporary, freeze if isinstance(freeze, date | datetime) else None)
    return Path(path)


def _csv_text(value, column: SubmissionColumn) -> str:
    if value is None:
        return ""
    if column.kind == "grade":
        return f"{Decimal(repr(value)):.1f}"
    if column.kind == "float":
        return repr(float(value))
    return str(value)


def write_submission_csv(results: pd.DataFrame, path: str | Path) -> Path:
    """Write the submission as CSV (same columns and Dutch headers as the workbook), atomically.

    UTF-8, comma-separated, decimal point; grades with one decimal (``7.5``), other numbers at
    full precision (shortest float repr), flags ``ja``/``nee``, empty cell = no value.
    """
    columns, rows = submission_rows(results)
    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns])
        for values in rows:
            writer.writerow([_csv_text(v, c) for v, c in zip(values, columns, strict=True)])
    return Path(path)


def write_close_submission(dataset: Dataset, rules: Rules, year: int, out_dir: Path) -> list[Path]:
    """The close's national output: ``aedes-aanlevering.xlsx`` and ``.csv`` in ``out_dir``."""
    from kwh_calc.calculations.aedes import aedes_results

    results = aedes_results(dataset, rules, year)
    metadata = submission_metadata(dataset, rules, year)
    return [
        write_submission_xlsx(results, Path(out_dir) / "aedes-aanlevering.xlsx", metadata),
        write_submission_csv(results, Path(out_dir) / "aedes-aanlevering.csv"),
    ]
