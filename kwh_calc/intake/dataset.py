"""The research dataset (docs/data-contract.md): load, validate completely, refuse with a clear message.

A research dataset is a folder with one file per table, ``NAME.parquet`` or ``NAME.csv``
(UTF-8, comma-separated, header row, ISO dates, empty cell = missing). :func:`load_dataset`
reads it, converts every column to its contract type and validates it completely: types,
allowed values, ranges, uniqueness, referential integrity and questions per questionnaire.
Nothing is dropped, coerced or clipped silently: a grade of 11 is an error, not a 10.

Who checks what: the conversion to the contract types is our own (:func:`_convert`: exact
64-bit integers also beyond 2^53, ISO dates only, ``true``/``false`` words, one rule per bad
value), because pandera's ``coerce`` would accept what the contract refuses (a float beyond
2^53 as an integer, any date format pandas can parse) and name no rows. pandera
then checks the values, the unique columns and the unique keys of a table
(``DataFrameSchema(unique=...)``, :data:`UNIQUE_KEYS`), and coerces the validated required
integers and booleans to plain ``int64`` / ``bool`` (``coerce=True``). The rules across
tables (references, a respondent's delivery, one answer per respondent and question) are
:func:`_relations`.

Optional tables (:data:`OPTIONAL_TABLES`: the ``removals`` register, ``open_answers``) may be left out; a missing
one is read as empty. Present, they are validated like any other table.

A bad dataset raises :class:`DatasetError`, whose message names for every broken rule the
table, the column, the rule and up to ten offending rows by key (never by personal data).

Types after loading
-------------------
- text columns: pandas ``string`` dtype (missing = ``<NA>``)
- ``service_month``: text ``YYYY-MM`` (sorts and compares as a month)
- dates: ``datetime64[ns]`` at midnight (missing = ``NaT``)
- integers: ``int64``; ``answers.grade``: nullable ``Int64`` (missing = not answered)
- booleans: ``bool``
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet

from kwh_calc.common.atomic import atomic_path, csv_ready
from kwh_calc.intake.rules import QUESTIONNAIRES

if TYPE_CHECKING:
    import pandera.pandas as pa

MAX_KEYS_SHOWN = 10
MODES = ("online", "telefonisch")
CHANNELS = ("mijn_kwh", "api")
DECISIONS = ("toekennen", "verlengen", "niet_toekennen", "niet_verlengen", "verloopt")
#: The only reason a completed questionnaire may be removed (docs/methodology.md §6, FAQ "Kunnen
#: antwoorden van huurders uit het onderzoek verwijderd worden?").
REMOVAL_REASONS = ("geen_dienst_geleverd",)
SAFE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
TRUE_WORDS = {"true", "1", "yes", "ja", "waar"}
FALSE_WORDS = {"false", "0", "no", "nee", "onwaar"}

# column -> (kind, required). Kinds: str, month, date, int, bool, grade.
TABLE_COLUMNS: dict[str, dict[str, tuple[str, bool]]] = {
    "corporations": {
        "corporation_id": ("str", True),
        "name": ("str", True),
        "units": ("int", True),
        "region": ("str", True),
        "urbanisation": ("int", True),
        "aedes_member": ("bool", True),
        "member_since": ("date", True),
        "merged_from": ("str", False),
        "merged_on": ("date", False),
    },
    "questions": {
        "questionnaire": ("str", True),
        "question_id": ("str", True),
        "text": ("str", True),
        "label_question": ("bool", True),
        "aedes_question": ("bool", True),
    },
    "respondents": {
        "response_id": ("str", True),
        "corporation_id": ("str", True),
        "questionnaire": ("str", True),
        "service_month": ("month", True),
        "completed_on": ("date", True),
        "mode": ("str", True),
        "delivery_id": ("str", True),
        "aannemer": ("str", False),
        "uitsplitsing_1": ("str", False),
        "uitsplitsing_2": ("str", False),
        "uitsplitsing_3": ("str", False),
        "uitsplitsing_4": ("str", False),
        "anonymity_lifted": ("bool", True),
    },
    "answers": {
        "response_id": ("str", True),
        "question_id": ("str", True),
        "grade": ("grade", False),
    },
    "deliveries": {
        "delivery_id": ("str", True),
        "corporation_id": ("str", True),
        "questionnaire": ("str", True),
        "channel": ("str", True),
        "delivered_on": ("date", True),
        "period_start": ("date", True),
        "period_end": ("date", True),
        "n_delivered": ("int", True),
        "n_approached": ("int", True),
    },
    "checkvraag": {
        "corporation_id": ("str", True),
        "delivery_id": ("str", True),
        "service_month": ("month", True),
        "answer": ("int", True),
        "aannemer": ("str", False),
        "consent": ("bool", True),
    },
    "label_history": {
        "corporation_id": ("str", True),
        "research_year": ("int", True),
        "decision": ("str", True),
        "passed": ("bool", True),
        "valid_until": ("date", False),
    },
    "removals": {
        "response_id": ("str", True),
        "reason": ("str", True),
        "decided_on": ("date", True),
        "reference": ("str", True),
    },
    # Optional table (issue 14): answers to open questions, masked before any output.
    "open_answers": {
        "response_id": ("str", True),
        "question_id": ("str", True),
        "text": ("str", True),
    },
}
#: Tables a dataset may leave out; a missing one is read as empty (docs/data-contract.md "optional").
OPTIONAL_TABLES = frozenset({"removals", "open_answers"})
OPEN_ANSWER_MAX_CHARS = 4000

# Columns that identify a row in messages; None = the data row number (header = line 1).
TABLE_KEYS: dict[str, tuple[str, ...] | None] = {
    "corporations": ("corporation_id",),
    "questions": ("questionnaire", "question_id"),
    "respondents": ("response_id",),
    "answers": ("response_id", "question_id"),
    "deliveries": ("delivery_id",),
    "checkvraag": None,
    "label_history": ("corporation_id", "research_year"),
    "removals": ("response_id",),
    "open_answers": ("response_id", "question_id"),
}
TABLES = tuple(TABLE_COLUMNS)
#: Keys unique within a table, checked by pandera (``DataFrameSchema(unique=...)``): the key
#: columns, the column named in the message and the rule (docs/data-contract.md §2). The answers' own key
#: (one answer per respondent and question) is checked in :func:`_relations` on the linked rows.
UNIQUE_KEYS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "questions": (("questionnaire", "question_id"), "question_id", "must be unique within its questionnaire"),
    "label_history": (
        ("corporation_id", "research_year"),
        "research_year",
        "one decision per corporation and research year",
    ),
    "open_answers": (("response_id", "question_id"), "question_id", "question answered twice by one respondent"),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (table, column), which rule, and the offending rows by key."""

    table: str
    column: str
    rule: str
    count: int
    keys: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.keys[:MAX_KEYS_SHOWN])
        more = f" (and {self.count - len(self.keys[:MAX_KEYS_SHOWN])} more)" if self.count > MAX_KEYS_SHOWN else ""
        rows = "row" if self.count == 1 else "rows"
        return f"{self.table}.{self.column}: {self.rule} — {self.count} {rows}: {shown}{more}"


class DatasetError(ValueError):
    """The dataset breaks the docs/data-contract.md §2 contract; ``violations`` lists every broken rule."""

    def __init__(self, path: Path | str, violations: list[Violation]):
        self.path = Path(path)
        self.violations = violations
        lines = [f"Dataset {self.path} refused: {len(violations)} rule(s) broken"]
        lines += [f"  - {v}" for v in violations]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Dataset:
    """A validated research dataset: one DataFrame per docs/data-contract.md §1 table.

    ``fingerprint`` is the SHA-256 over the table files' names and bytes (empty for a dataset
    built in memory); manifests use it to tell whether the input of a document changed.
    """

    corporations: pd.DataFrame
    questions: pd.DataFrame
    respondents: pd.DataFrame
    answers: pd.DataFrame
    deliveries: pd.DataFrame
    checkvraag: pd.DataFrame
    label_history: pd.DataFrame
    #: the removals register (docs/data-contract.md, optional): questionnaires taken out of the research
    removals: pd.DataFrame = field(default_factory=lambda: empty_table("removals"))
    open_answers: pd.DataFrame | None = None  # optional table; always a DataFrame after loading
    path: Path | None = None
    fingerprint: str = field(default="")
    #: per answer, its respondent's row in ``respondents`` and its question's row in
    #: ``questions`` (derived at validation; lets scoring work on integers, not strings)
    answer_respondent: np.ndarray | None = field(default=None, repr=False, compare=False)
    answer_question: np.ndarray | None = field(default=None, repr=False, compare=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by docs/data-contract.md §1 name."""
        return {name: getattr(self, name) for name in TABLES}

    def replace(self, **tables: pd.DataFrame) -> Dataset:
        """A copy with some tables replaced, re-validated (analysts' what-ifs, tests)."""
        current = self.tables()
        current.update(tables)
        return from_tables(current)


# --------------------------------------------------------------------------- reading


def _table_file(directory: Path, name: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        candidate = directory / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _refuse_duplicate_columns(names: Iterable[str]) -> None:
    # pandas would rename a second "grade" to "grade.1" and the contract would silently use
    # the first: a duplicated header is refused instead.
    counts = pd.Series(list(names), dtype=object).value_counts()
    duplicated = sorted(str(n) for n in counts.index[counts > 1])
    if duplicated:
        raise ValueError(f"header names a column more than once: {', '.join(duplicated)}")


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        table = pyarrow.parquet.read_table(path)
        _refuse_duplicate_columns(table.column_names)
        # self_destruct frees Arrow buffers while converting: half the peak memory.
        return table.to_pandas(self_destruct=True, split_blocks=True)
    with path.open(newline="", encoding="utf-8") as handle:
        _refuse_duplicate_columns(next(csv.reader(handle), []))
    # Read every cell as text: the contract, not pandas' guessing, decides the types.
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def ambiguous_tables(directory: Path) -> list[str]:
    """Table names present as both ``NAME.parquet`` and ``NAME.csv`` (which one is meant?)."""
    stems = [p.stem for p in directory.iterdir() if p.suffix in (".parquet", ".csv") and p.is_file()]
    return sorted({stem for stem in stems if stems.count(stem) > 1})


def dataset_fingerprint(files: Iterable[Path]) -> str:
    """SHA-256 over the given files' names and bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_dataset(path: str | Path) -> Dataset:
    """Load and completely validate the research dataset in folder ``path``.

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    DatasetError
        A table is missing or any contract rule is broken (all broken rules are listed).
    """
    directory = Path(path)
    if not directory.is_dir():
        raise FileNotFoundError(f"Dataset folder not found: {directory}")
    raw: dict[str, pd.DataFrame] = {}
    files: list[Path] = []
    missing: list[Violation] = [
        Violation(
            name,
            "*",
            f"ambiguous: both {name}.parquet and {name}.csv are present; remove the one that is not meant",
            1,
            (str(directory),),
        )
        for name in ambiguous_tables(directory)
    ]
    for name in TABLES:
        file = _table_file(directory, name)
        if file is None and name in OPTIONAL_TABLES:
            continue  # read as empty by from_tables
        if file is None:
            missing.append(
                Violation(name, "*", f"table missing: expected {name}.parquet or {name}.csv", 1, (str(directory),))
            )
            continue
        files.append(file)
        try:
            raw[name] = _read_table(file)
        except Exception as exc:  # unreadable file: report it as a violation, not a traceback
            missing.append(
                Violation(name, "*", f"unreadable file {file.name}: {type(exc).__name__}: {exc}", 1, (file.name,))
            )
    if missing:
        raise DatasetError(directory, missing)
    return from_tables(raw, path=directory, fingerprint=dataset_fingerprint(files))


def _arrow_strings(series: pd.Series) -> pyarrow.Array:
    native = getattr(series.array, "_pa_array", None)
    if native is not None and (pyarrow.types.is_string(native.type) or pyarrow.types.is_large_string(native.type)):
        return native.combine_chunks() if isinstance(native, pyarrow.ChunkedArray) else native
    return pyarrow.array(series.astype(object).where(series.notna(), None).to_numpy(), type=pyarrow.string())


def positions_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position in ``keys`` of every element of ``values`` (-1 where absent), as int64.

    Done in Arrow, without materialising millions of Python strings (the answers table):
    this is what keeps loading and scoring the national dataset within memory.
    """
    found = pc.index_in(_arrow_strings(values), value_set=_arrow_strings(keys))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def answer_links(
    respondents: pd.DataFrame, questions: pd.DataFrame, answers: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """For every answer, the row of its respondent and of its question (-1 where none).

    The question row is that of (the respondent's questionnaire, question_id). Integer codes
    instead of string tuples: the answers table has millions of rows.
    """
    respondent_pos = positions_in(answers["response_id"], respondents["response_id"])
    questionnaire_codes = {q: i for i, q in enumerate(QUESTIONNAIRES)}
    question_ids = pd.Index(questions["question_id"].dropna().unique())
    width = len(question_ids) + 1
    answer_ids = answers["question_id"].astype("category")
    question_code = np.append(question_ids.get_indexer(answer_ids.cat.categories).astype(np.int64), -1)
    answer_question = question_code[answer_ids.cat.codes.to_numpy()]  # code -1 (missing) maps to -1
    del answer_ids
    respondent_questionnaire = respondents["questionnaire"].map(questionnaire_codes).fillna(-1).to_numpy(dtype=np.int64)
    if len(respondent_questionnaire):
        answer_questionnaire = np.where(
            respondent_pos >= 0, respondent_questionnaire[np.maximum(respondent_pos, 0)], -1
        )
    else:  # no respondents (header-only table): every answer is dangling, reported by _relations
        answer_questionnaire = np.full(len(answers), -1, dtype=np.int64)
    answer_key = np.where(
        (answer_questionnaire >= 0) & (answer_question >= 0), answer_questionnaire * width + answer_question, -1
    )
    question_key = questions["questionnaire"].map(questionnaire_codes).fillna(-1).to_numpy(
        dtype=np.int64
    ) * width + question_ids.get_indexer(questions["question_id"])
    order = np.argsort(question_key, kind="stable")
    sorted_keys = question_key[order]
    slot = np.minimum(np.searchsorted(sorted_keys, answer_key), max(len(sorted_keys) - 1, 0))
    found = (
        (answer_key >= 0) & (len(sorted_keys) > 0) & (sorted_keys[slot] == answer_key)
        if len(sorted_keys)
        else np.zeros(len(answers), bool)
    )
    question_row = np.where(found, order[slot] if len(order) else -1, -1)
    return respondent_pos, question_row.astype(np.int64)


# --------------------------------------------------------------------------- typing


def _row_keys(table: str, frame: pd.DataFrame, mask: np.ndarray) -> tuple[int, tuple[str, ...]]:
    positions = np.flatnonzero(mask)
    count = len(positions)
    shown = positions[:MAX_KEYS_SHOWN]
    key_columns = TABLE_KEYS[table]
    if key_columns is None or any(c not in frame.columns for c in key_columns):
        return count, tuple(f"row {p + 2}" for p in shown)
    keys = []
    for p in shown:
        parts = [f"{c}={frame[c].iloc[p]}" for c in key_columns]
        keys.append(" ".join(parts))
    return count, tuple(keys)


def _violation(table: str, column: str, rule: str, frame: pd.DataFrame, mask) -> Violation | None:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    count, keys = _row_keys(table, frame, mask)
    return Violation(table, column, rule, count, keys)


def _as_text(series: pd.Series) -> pd.Series:
    # Values are kept exactly as delivered (no stripping: an id " C1" is not "C1"); an
    # empty text is missing, as in CSV.
    text = series if isinstance(series.dtype, pd.StringDtype) else series.astype("string")
    empty = (text == "").fillna(False).to_numpy(dtype=bool)
    return text.mask(empty) if empty.any() else text


def _convert(kind: str, series: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    """Convert a column to its contract type; return (converted, bad-value mask, rule)."""
    present = series.notna().to_numpy()
    if kind == "str":
        return _as_text(series), np.zeros(len(series), bool), ""
    if kind == "month":
        text = _as_text(series)
        bad = present & ~text.str.fullmatch(MONTH_PATTERN).fillna(False).to_numpy(dtype=bool)
        return text, bad, "not a month YYYY-MM"
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            converted = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
            try:
                converted = converted.astype("datetime64[ns]")
            except (TypeError, ValueError, OverflowError):  # other time zone kinds, out of ns range: by their text
                converted = pd.to_datetime(series.astype(str).str.slice(0, 10), format="ISO8601", errors="coerce")
        else:
            text = _as_text(series)
            try:
                converted = pd.to_datetime(text, format="ISO8601", errors="coerce")
                converted = converted.astype("datetime64[ns]")
            except (TypeError, ValueError, OverflowError):
                # Time zones or mixed offsets (e.g. tz-aware Parquet timestamps read as text):
                # only plain YYYY-MM-DD values count as dates, the rest is reported below.
                plain = text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool))
                converted = pd.to_datetime(plain, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
        bad = present & converted.isna().to_numpy()
        has_time = converted.notna() & (converted != converted.dt.normalize())
        bad |= has_time.to_numpy()
        return converted, bad, "not an ISO date (YYYY-MM-DD)"
    if kind in ("int", "grade"):
        return _convert_int(series, present)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("boolean"), np.zeros(len(series), bool), ""
        words = _as_text(series).str.lower()
        truth = words.isin(TRUE_WORDS)
        falsity = words.isin(FALSE_WORDS)
        bad = present & ~(truth | falsity).to_numpy(dtype=bool)
        converted = pd.Series(pd.NA, index=series.index, dtype="boolean")
        converted[truth.fillna(False).to_numpy(dtype=bool)] = True
        converted[falsity.fillna(False).to_numpy(dtype=bool)] = False
        return converted, bad, "not a boolean (true/false)"
    raise ValueError(f"unknown column kind {kind}")


INT_RULE = "not a whole number within the exact 64-bit range (-2^63 … 2^63-1)"
EXACT_FLOAT = 2**53  # from here on a float64 no longer holds every whole number


def _exact_int(text: str) -> int | None:
    """The exact integer a text spells (``"12"``, ``"+12"``, ``"12.0"``), else None."""
    body = text.strip()
    if body.endswith(".0") or "." in body:
        whole, _, fraction = body.partition(".")
        if fraction.strip("0"):
            return None
        body = whole
    try:
        return int(body, 10)
    except ValueError:
        return None


def _convert_int(series: pd.Series, present: np.ndarray) -> tuple[pd.Series, np.ndarray, str]:
    """Integers exactly, or refused: nothing is rounded, wrapped or silently made inexact.

    Decision (docs/data-contract.md says ``int``): an integer column holds 64-bit integers. A value outside
    -2^63 … 2^63-1 (it cannot be stored) is refused; so is a value that reaches this function
    as a float of 2^53 or more (Parquet double columns: which integer was meant is unknowable).
    Texts (CSV) are parsed exactly, so ``9007199254740993`` stays ``…993``.
    """
    low, high = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    if pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series):
        if pd.api.types.is_unsigned_integer_dtype(series):
            too_big = (series.astype("UInt64") > high).fillna(False).to_numpy(dtype=bool)
            if too_big.any():
                kept = series.astype("UInt64").where(~too_big)
                return kept.astype("Int64"), too_big, INT_RULE
        return series.astype("Int64"), np.zeros(len(series), bool), ""
    if pd.api.types.is_bool_dtype(series):
        return pd.Series(pd.NA, index=series.index, dtype="Int64"), present.copy(), INT_RULE
    if pd.api.types.is_numeric_dtype(series):
        text = None
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    else:
        text = _as_text(series)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    values = numbers.to_numpy()
    with np.errstate(invalid="ignore"):
        small = np.isfinite(values) & (np.abs(values) < EXACT_FLOAT)
        whole = small & (values == np.round(values))
    bad = present & ~whole
    result = np.zeros(len(series), dtype=np.int64)
    result[whole] = values[whole].astype(np.int64)
    # Large values: only texts can be exact; parse those few one by one.
    if text is not None:
        for position in np.flatnonzero(bad):
            exact = _exact_int(str(text.iloc[position]))
            if exact is not None and low <= exact <= high:
                result[position] = exact
                bad[position] = False
    valid = present & ~bad
    converted = pd.Series(pd.array(result, dtype="Int64"), index=series.index).where(
        pd.Series(valid, index=series.index)
    )
    return converted, bad, INT_RULE


def _type_table(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Violation]]:
    spec = TABLE_COLUMNS[name]
    violations: list[Violation] = []
    missing = [c for c, (_, required) in spec.items() if required and c not in frame.columns]
    for column in missing:
        violations.append(Violation(name, column, "required column missing", 1, ("header",)))
    unknown = [c for c in frame.columns if c not in spec]
    typed = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column, (kind, required) in spec.items():
        if column not in frame.columns:
            if required:
                continue
            source = pd.Series(pd.NA, index=typed.index, dtype="object")
        else:
            source = frame[column].reset_index(drop=True)
        converted, bad, rule = _convert(kind, source)
        found = _violation(name, column, rule, frame.reset_index(drop=True), bad)
        if found:
            violations.append(found)
        if required and column in frame.columns:
            empty = converted.isna().to_numpy() & ~bad
            found = _violation(name, column, "required value missing", frame.reset_index(drop=True), empty)
            if found:
                violations.append(found)
        typed[column] = converted
    # Extra columns are kept (additions must be optional): analysts may carry their own.
    for column in unknown:
        typed[column] = frame[column].reset_index(drop=True)
    return typed, violations


def _final_schema(name: str) -> pa.DataFrameSchema:
    """Plain ``int64`` / ``bool`` where the contract says the value is required (pandera coerces)."""
    import pandera.pandas as pa  # loading and checking only: not in a document's kernel

    return pa.DataFrameSchema(
        {
            column: pa.Column("int64" if kind == "int" else "bool", coerce=True)
            for column, (kind, required) in TABLE_COLUMNS[name].items()
            if required and kind in ("int", "bool")
        }
    )


def _finalise_types(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """After validation (no value is missing or out of type any more): the required integer and
    boolean columns as plain ``int64`` / ``bool`` instead of the nullable types of the checks."""
    return _final_schema(name).validate(frame)


# --------------------------------------------------------------------------- rules


def _isin(values: Iterable[str]) -> pa.Check:
    import pandera.pandas as pa  # loading and checking only: not in a document's kernel

    allowed = tuple(values)
    return pa.Check.isin(allowed, error=f"value not one of {', '.join(allowed)}")


def _schemas() -> dict[str, pa.DataFrameSchema]:
    """Value rules per table (types were converted before; nullable = optional in docs/data-contract.md §2)."""
    import pandera.pandas as pa  # loading and checking only: not in a document's kernel

    def col(*checks: pa.Check, nullable: bool = False, unique: bool = False) -> pa.Column:
        return pa.Column(checks=list(checks), nullable=nullable, unique=unique, required=False, coerce=False)

    def unique(name: str) -> dict:
        return {"unique": list(UNIQUE_KEYS[name][0]), "report_duplicates": "all"}

    schemas = {
        "corporations": pa.DataFrameSchema(
            {
                "corporation_id": col(
                    pa.Check.str_matches(
                        SAFE_ID_PATTERN, error="not safe as a file name (letters, digits, _ . -; at most 64)"
                    ),
                    unique=True,
                ),
                "units": col(pa.Check.gt(0, error="must be more than 0")),
                "urbanisation": col(pa.Check.in_range(1, 5, error="must be 1-5")),
            }
        ),
        "questions": pa.DataFrameSchema(
            {
                "questionnaire": col(_isin(QUESTIONNAIRES)),
            },
            **unique("questions"),
        ),
        "respondents": pa.DataFrameSchema(
            {
                "response_id": col(unique=True),
                "questionnaire": col(_isin(QUESTIONNAIRES)),
                "mode": col(_isin(MODES)),
            }
        ),
        "answers": pa.DataFrameSchema(
            {
                "grade": col(pa.Check.in_range(1, 10, error="grade must be 1-10"), nullable=True),
            }
        ),
        "deliveries": pa.DataFrameSchema(
            {
                "delivery_id": col(unique=True),
                "questionnaire": col(_isin(QUESTIONNAIRES)),
                "channel": col(_isin(CHANNELS)),
                "n_delivered": col(pa.Check.ge(0, error="must be 0 or more")),
                "n_approached": col(pa.Check.ge(0, error="must be 0 or more")),
            }
        ),
        "checkvraag": pa.DataFrameSchema(
            {
                "answer": col(pa.Check.in_range(1, 4, error="answer must be 1-4")),
            }
        ),
        "label_history": pa.DataFrameSchema(
            {
                "decision": col(_isin(DECISIONS)),
            },
            **unique("label_history"),
        ),
        "removals": pa.DataFrameSchema(
            {
                "response_id": col(unique=True),
                "reason": col(
                    pa.Check.isin(
                        REMOVAL_REASONS,
                        error=(
                            "reason not allowed: only geen_dienst_geleverd "
                            "(invited although no service was delivered); a grade is never changed"
                        ),
                    )
                ),
            }
        ),
        # the rules across tables: _open_answer_relations
        "open_answers": pa.DataFrameSchema({}, **unique("open_answers")),
    }
    return schemas


def _schema_violations(name: str, frame: pd.DataFrame, schema: pa.DataFrameSchema) -> list[Violation]:
    import pandera.pandas as pa  # loading and checking only: not in a document's kernel

    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    violations = []
    key_rows = cases["check"] == "multiple_fields_uniqueness"
    if key_rows.any():
        _, column, rule = UNIQUE_KEYS[name]
        mask = np.zeros(len(frame), bool)
        mask[cases.loc[key_rows, "index"].dropna().astype(int).unique()] = True
        found = _violation(name, column, rule, frame, mask)
        if found:
            violations.append(found)
        cases = cases.loc[~key_rows]
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        index = group["index"].dropna().astype(int).unique()
        mask = np.zeros(len(frame), bool)
        mask[index] = True
        rule = "must be unique (duplicate values)" if check == "field_uniqueness" else str(check)
        found = _violation(name, str(column), rule, frame, mask)
        if found:
            violations.append(found)
    return violations


def _relations(t: dict[str, pd.DataFrame], links: tuple[np.ndarray, np.ndarray]) -> list[Violation]:
    """Referential integrity and cross-table rules, table by table (docs/data-contract.md §2)."""
    corp_ids = set(t["corporations"]["corporation_id"].dropna())
    delivery_of = t["deliveries"].drop_duplicates("delivery_id").set_index("delivery_id")
    out = [
        *_corporation_relations(t["corporations"], corp_ids),
        *_delivery_relations(t["deliveries"], corp_ids),
        *_respondent_relations(t["respondents"], t["questions"], corp_ids, delivery_of),
        *_answer_relations(t["answers"], t["questions"], links),
        *_checkvraag_relations(t["checkvraag"], corp_ids, delivery_of),
        *_reference(t["label_history"], "label_history", "corporation_id", corp_ids, "corporations"),
        *_removal_relations(t["removals"], t["respondents"]),
    ]
    return [v for v in out if v is not None]


def _removal_relations(removals: pd.DataFrame, respondents: pd.DataFrame) -> list[Violation | None]:
    """A removal names a respondent: looked up in Arrow, without a set of the ~500.000
    respondent ids as Python strings (≈0,35 s, issue 13)."""
    ids = removals["response_id"]
    try:
        known = (positions_in(ids, respondents["response_id"]) >= 0) & ids.notna().to_numpy()
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):  # ids that are not strings: pandas can
        known = ids.isin(set(respondents["response_id"])).to_numpy()
    return [_violation("removals", "response_id", "response_id not in respondents", removals, ~known)]


def _reference(frame: pd.DataFrame, table: str, column: str, known: set, other: str) -> list[Violation | None]:
    """``table.column`` must name a row of ``other``."""
    return [_violation(table, column, f"{column} not in {other}", frame, ~_known(frame[column], known))]


def _known(ids: pd.Series, known: Iterable) -> pd.Series:
    """``ids.isin(known)`` for identifier columns, done by pyarrow in one call.

    pandas' ``isin`` on Arrow strings turns every value of ``known`` into an Arrow scalar one by
    one: 2,2 s of the demo's 6 s load, mostly for the respondents' 494.226 ids (issue 13). A
    missing id is never known.
    """
    try:
        value_set = pyarrow.array(list(known), type=pyarrow.string())
        found = pc.is_in(pyarrow.array(ids, from_pandas=True), value_set=value_set, skip_nulls=True)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):  # ids that are not strings: pandas can
        return ids.isin(known)
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=ids.index, dtype=bool)


def _corporation_relations(corps: pd.DataFrame, corp_ids: set) -> list[Violation | None]:
    """Mergers: known predecessors; merged_on and merged_from together."""
    out: list[Violation | None] = []
    merged = corps["merged_from"].fillna("").str.split(";")
    predecessors = merged.explode().str.strip()
    unknown_predecessor = predecessors.ne("") & ~predecessors.isin(corp_ids)
    bad_rows = unknown_predecessor.groupby(level=0).any().reindex(corps.index, fill_value=False)
    out.append(
        _violation("corporations", "merged_from", "predecessor corporation_id not in corporations", corps, bad_rows)
    )
    out.append(
        _violation(
            "corporations",
            "merged_on",
            "merged_on and merged_from must be given together",
            corps,
            corps["merged_from"].isna() != corps["merged_on"].isna(),
        )
    )
    return out


def _delivery_relations(deliveries: pd.DataFrame, corp_ids: set) -> list[Violation | None]:
    """A known corporation, a period that ends after it starts, no more approached than delivered."""
    out: list[Violation | None] = []
    out += _reference(deliveries, "deliveries", "corporation_id", corp_ids, "corporations")
    out.append(
        _violation(
            "deliveries",
            "period_end",
            "period_end before period_start",
            deliveries,
            deliveries["period_end"] < deliveries["period_start"],
        )
    )
    out.append(
        _violation(
            "deliveries",
            "n_approached",
            "more tenants approached than delivered",
            deliveries,
            deliveries["n_approached"] > deliveries["n_delivered"],
        )
    )
    return out


def _respondent_relations(
    respondents: pd.DataFrame, questions: pd.DataFrame, corp_ids: set, delivery_of: pd.DataFrame
) -> list[Violation | None]:
    """A known corporation; a known delivery of the same corporation and questionnaire; completed
    after the service month began; a questionnaire with questions."""
    out: list[Violation | None] = []
    out += _reference(respondents, "respondents", "corporation_id", corp_ids, "corporations")
    # Row positions in Arrow, not isin + reindex on ~500.000 strings (≈0,3 s, issue 13); like
    # isin, a missing id matches a missing one.
    delivery_row = positions_in(respondents["delivery_id"], delivery_of.index.to_series())
    known_delivery = delivery_row >= 0
    out.append(_violation("respondents", "delivery_id", "delivery_id not in deliveries", respondents, ~known_delivery))
    rows = delivery_row[known_delivery]
    d_corp = delivery_of["corporation_id"].to_numpy()[rows]
    d_q = delivery_of["questionnaire"].to_numpy()[rows]
    mismatch = np.zeros(len(respondents), bool)
    mismatch[known_delivery] = (respondents["corporation_id"].to_numpy()[known_delivery] != d_corp) | (
        respondents["questionnaire"].to_numpy()[known_delivery] != d_q
    )
    out.append(
        _violation(
            "respondents",
            "delivery_id",
            "delivery belongs to another corporation or questionnaire",
            respondents,
            mismatch,
        )
    )
    # Decision: a questionnaire about a service cannot be completed before the month of that
    # service began (docs/data-contract.md: service_month is the month of the service delivered).
    month_start = pd.to_datetime(respondents["service_month"] + "-01", format="%Y-%m-%d", errors="coerce")
    out.append(
        _violation(
            "respondents",
            "completed_on",
            "completed_on before the first day of service_month",
            respondents,
            (respondents["completed_on"] < month_start).to_numpy(dtype=bool),
        )
    )
    with_questions = set(questions["questionnaire"].dropna())
    out.append(
        _violation(
            "respondents",
            "questionnaire",
            "questionnaire has no questions in questions",
            respondents,
            ~respondents["questionnaire"].isin(with_questions),
        )
    )
    return out


def _answer_relations(
    answers: pd.DataFrame, questions: pd.DataFrame, links: tuple[np.ndarray, np.ndarray]
) -> list[Violation | None]:
    """A known respondent, a question of their questionnaire, one answer per respondent and
    question (on the linked rows, by position: fast on millions of answers)."""
    out: list[Violation | None] = []
    respondent_pos, question_row = links
    known_response = respondent_pos >= 0
    out.append(_violation("answers", "response_id", "response_id not in respondents", answers, ~known_response))
    out.append(
        _violation(
            "answers",
            "question_id",
            "question_id not in questions for the respondent's questionnaire",
            answers,
            known_response & (question_row < 0),
        )
    )
    linked = known_response & (question_row >= 0)
    pair = np.where(linked, respondent_pos * (len(questions) + 1) + question_row, -1 - np.arange(len(answers)))
    out.append(
        _violation(
            "answers",
            "question_id",
            "question answered twice by one respondent",
            answers,
            _repeated(pair),
        )
    )
    return out


def _repeated(keys: np.ndarray) -> np.ndarray:
    """True for every key that an earlier element already had (``duplicated(keep="first")``).

    Deliveries list the answers by respondent and question, so the keys usually rise strictly
    and cannot repeat: checking that takes ≈10 ms for the demo's 4 million answers, hashing
    them ≈0,4 s (issue 13).
    """
    if (np.diff(keys) > 0).all():
        return np.zeros(len(keys), dtype=bool)
    return pd.Series(keys).duplicated(keep="first").to_numpy()


def _checkvraag_relations(check: pd.DataFrame, corp_ids: set, delivery_of: pd.DataFrame) -> list[Violation | None]:
    """A known corporation and a Reparaties delivery of that corporation."""
    out: list[Violation | None] = []
    out += _reference(check, "checkvraag", "corporation_id", corp_ids, "corporations")
    check_delivery_q = delivery_of["questionnaire"].reindex(check["delivery_id"]).to_numpy()
    out.append(
        _violation(
            "checkvraag",
            "delivery_id",
            "not a Reparaties delivery in deliveries",
            check,
            check_delivery_q != "reparaties",
        )
    )
    # Decision: as for respondents, the delivery must be the row's own corporation's (a signal
    # e-mail would otherwise go to, and be counted for, the wrong corporation).
    check_delivery_corp = delivery_of["corporation_id"].reindex(check["delivery_id"]).to_numpy()
    known_check = check_delivery_q == "reparaties"
    out.append(
        _violation(
            "checkvraag",
            "delivery_id",
            "delivery belongs to another corporation",
            check,
            known_check & (check_delivery_corp != check["corporation_id"].to_numpy()),
        )
    )
    return out


def empty_table(name: str) -> pd.DataFrame:
    """An empty table ``name`` with its docs/data-contract.md columns (an optional table left out)."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TABLE_COLUMNS[name]})


def _open_answer_relations(t: dict[str, pd.DataFrame]) -> list[Violation]:
    """open_answers: an existing respondent, an open question of their questionnaire, bounded text."""
    answers, respondents, questions = t["open_answers"], t["respondents"], t["questions"]
    if answers.empty:
        return []
    questionnaire = answers["response_id"].map(
        respondents.drop_duplicates("response_id").set_index("response_id")["questionnaire"]
    )
    known = questionnaire.notna().to_numpy(dtype=bool)
    open_questions = set(
        zip(
            questions.loc[~questions["label_question"].astype(bool), "questionnaire"],
            questions.loc[~questions["label_question"].astype(bool), "question_id"],
            strict=True,
        )
    )
    is_open = np.array(
        [(q, i) in open_questions for q, i in zip(questionnaire, answers["question_id"], strict=True)], dtype=bool
    )
    found = [
        _violation("open_answers", "response_id", "response_id not in respondents", answers, ~known),
        _violation(
            "open_answers",
            "question_id",
            "not an open question (label_question false) of the respondent's questionnaire",
            answers,
            known & ~is_open,
        ),
        _violation(
            "open_answers",
            "text",
            f"longer than {OPEN_ANSWER_MAX_CHARS} characters",
            answers,
            (answers["text"].str.len() > OPEN_ANSWER_MAX_CHARS).fillna(False),
        ),
    ]
    return [v for v in found if v is not None]


def from_tables(raw: dict[str, pd.DataFrame], path: Path | str | None = None, fingerprint: str = "") -> Dataset:
    """Validate in-memory tables (any of CSV-text or typed columns) into a :class:`Dataset`.

    Raises :class:`DatasetError` listing every broken rule.
    """
    where = path if path is not None else "<in memory>"
    required = [n for n in TABLES if n not in OPTIONAL_TABLES]
    missing = [Violation(n, "*", "table missing", 1, ("-",)) for n in required if n not in raw]
    if missing:
        raise DatasetError(where, missing)
    raw = {**{n: empty_table(n) for n in OPTIONAL_TABLES}, **raw}
    typed: dict[str, pd.DataFrame] = {}
    violations: list[Violation] = []
    for name in TABLES:
        frame, found = _type_table(name, raw[name])
        typed[name] = frame
        violations += found
    if violations:  # value and relation rules only make sense on well-typed tables
        raise DatasetError(where, violations)
    schemas = _schemas()
    for name in TABLES:
        violations += _schema_violations(name, typed[name], schemas[name])
    links = answer_links(typed["respondents"], typed["questions"], typed["answers"])
    violations += _relations(typed, links)
    violations += _open_answer_relations(typed)
    if violations:
        raise DatasetError(where, violations)
    tables = {name: _finalise_types(name, typed[name]) for name in TABLES}
    respondent_row, question_row = links
    return Dataset(
        **tables,
        path=Path(path) if path is not None else None,
        fingerprint=fingerprint,
        answer_respondent=respondent_row,
        answer_question=question_row,
    )


# --------------------------------------------------------------------------- writing


def write_dataset(tables: dict[str, pd.DataFrame] | Dataset, directory: str | Path, fmt: str = "parquet") -> Path:
    """Write tables in the docs/data-contract.md §1 format (``fmt`` ``parquet`` or ``csv``); returns the folder.

    Dates are written as ISO dates, booleans as ``true``/``false`` in CSV. Each file is written
    to a temporary name first and renamed, so no half-written table carries its final name.
    """
    if isinstance(tables, Dataset):
        tables = tables.tables()
    if fmt not in ("parquet", "csv"):
        raise ValueError("fmt must be 'parquet' or 'csv'")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        target = out / f"{name}.{fmt}"
        with atomic_path(target) as temporary:
            if fmt == "parquet":
                frame.to_parquet(temporary, index=False)
            else:
                csv_ready(frame).to_csv(temporary, index=False, encoding="utf-8")
        for other in out.glob(f"{name}.*"):
            if other != target and other.suffix in (".csv", ".parquet"):
                other.unlink()  # one file per table: a stale other-format copy would shadow it
    return out


def refusal_text(path: str | Path, error: Exception) -> str:
    """What a command says when the dataset at ``path`` cannot be loaded (``load_dataset``
    raised ``error``): the violations of a broken contract, or why the files cannot be read."""
    if isinstance(error, DatasetError | FileNotFoundError):
        return str(error)
    reason = getattr(error, "strerror", None) or error
    return f"Dataset {path} refused: cannot be read ({reason})"


def year_data_problem(
    dataset: Dataset, year: int, first_month: str | None = None, last_month: str | None = None
) -> str | None:
    """Why research year ``year`` cannot be computed from ``dataset`` (not a single respondent
    in its service months), or None. The window defaults to January–December of ``year``.

    Without this check ``--year 2099`` wrote empty tables with exit 0, and ``kwh label``
    advised "niet toekennen" for every corporation.
    """
    first = first_month or f"{year:04d}-01"
    last = last_month or f"{year:04d}-12"
    months = dataset.respondents["service_month"]
    if ((months >= first) & (months <= last)).any():
        return None
    years = sorted(set(months.dropna().str.slice(0, 4)))
    present = f"the dataset has service years {years[0]}–{years[-1]}" if years else "the dataset has no respondents"
    return f"--year {year}: no respondents with service_month {first} … {last}; {present}."


def respondent_counts(dataset: Dataset) -> pd.DataFrame:
    """Inventory: respondents per questionnaire (rows) and service year (columns)."""
    respondents = dataset.respondents
    year = respondents["service_month"].str.slice(0, 4).astype(int)
    table = pd.crosstab(respondents["questionnaire"], year)
    order = [q for q in QUESTIONNAIRES if q in table.index]
    return table.reindex(order)
