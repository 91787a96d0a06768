"""The CKV decisions register: what the CKV actually decided, as next year's ``label_history``.

KWH advises; the CKV decides and may deviate from the advice (FAQ "Wat is de CKV?": "De CKV
kan afwijken van de adviezen van KWH"). docs/methodology.md §3.11: the CKV's actual decision on research
year Y is recorded as the ``label_history`` row for Y, input to the next year.

Register files live in ``params/ckv_decisions/<Y>.csv`` (or ``<Y>.yml``), one per research
year, one row per corporation decided on:

=================  ========  ====================================================================
column             required  meaning
=================  ========  ====================================================================
corporation_id     yes       the corporation
decision           yes       ``toekennen`` | ``verlengen`` | ``niet_toekennen`` | ``niet_verlengen`` | ``verloopt``
passed             no        the year met the criteria in the CKV's judgement; default from the
                             decision (true for toekennen/verlengen, else false); must agree with it
valid_until        no        end of validity; default: toekennen/verlengen Y+1+validity_years-03-31,
                             niet_verlengen/verloopt the current end (from the advice), niet_toekennen none
reason             no        required when the decision deviates from KWH's advice
advice             no        KWH's advice, for the record (the template fills it in)
decided_on         no        date of the CKV meeting
research_year      no        when given, must equal Y
=================  ========  ====================================================================

A YAML register holds ``research_year``, an optional default ``decided_on`` and a list
``decisions`` of mappings with the same keys.

Typical year: ``kwh ckv-decisions template`` writes the register pre-filled with the advice;
the secretary records the decisions (and reasons for deviations); ``kwh ckv-decisions check``
validates it against the advice; ``kwh ckv-decisions export`` writes ``label_history`` in the
docs/data-contract.md §11 format, merged with the existing one, for next year's dataset.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from kwh_calc.calculations.label import ADVICE_NAMES, label_dates
from kwh_calc.common.atomic import atomic_path, csv_ready
from kwh_calc.intake.dataset import DECISIONS, FALSE_WORDS, TRUE_WORDS
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, Rules

__all__ = [
    "PASSED_BY_DECISION",
    "REGISTER_COLUMNS",
    "REGISTER_DIR",
    "RegisterError",
    "check_register",
    "label_history_csv",
    "load_register",
    "merge_label_history",
    "read_register",
    "register_path",
    "register_template",
    "register_to_label_history",
    "write_register",
]

REGISTER_DIR = DEFAULT_RULES_PATH.parent / "ckv_decisions"
REGISTER_COLUMNS = (
    "corporation_id",
    "decision",
    "passed",
    "valid_until",
    "reason",
    "advice",
    "decided_on",
    "research_year",
)
REQUIRED_COLUMNS = ("corporation_id", "decision")
#: ``label_history.passed`` implied by each decision (docs/data-contract.md §11).
PASSED_BY_DECISION = {
    "toekennen": True,
    "verlengen": True,
    "niet_toekennen": False,
    "niet_verlengen": False,
    "verloopt": False,
}
#: Decisions that need a valid label at the decision, and those that need none.
NEEDS_VALID_LABEL = frozenset({"verlengen", "niet_verlengen", "verloopt"})
NEEDS_NO_LABEL = frozenset({"toekennen", "niet_toekennen"})
HISTORY_COLUMNS = ["corporation_id", "research_year", "decision", "passed", "valid_until"]


class RegisterError(ValueError):
    """A register breaks its format or disagrees with the advice; ``problems`` lists each."""

    def __init__(self, where: str | Path, problems: list[str]):
        self.problems = problems
        super().__init__(
            "\n".join(
                [f"CKV decisions register {where} refused: {len(problems)} problem(s)"] + [f"  - {p}" for p in problems]
            )
        )


# --------------------------------------------------------------------------- reading


def register_path(year: int, directory: str | Path | None = None) -> Path:
    """The register file of ``year`` in ``directory`` (default ``params/ckv_decisions``).

    Returns the existing ``<Y>.csv``, ``<Y>.yml`` or ``<Y>.yaml`` (in that order), else the
    ``.csv`` path a new register would get.
    """
    directory = Path(directory) if directory is not None else REGISTER_DIR
    for suffix in (".csv", ".yml", ".yaml"):
        candidate = directory / f"{year}{suffix}"
        if candidate.is_file():
            return candidate
    return directory / f"{year}.csv"


def _raw_register(path: Path, year: int) -> pd.DataFrame:
    if path.suffix in (".yml", ".yaml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(content, dict) or not isinstance(content.get("decisions", []), list):
            raise RegisterError(path, ["a YAML register is a mapping with a list 'decisions'"])
        if "research_year" in content and int(content["research_year"]) != year:
            raise RegisterError(path, [f"research_year {content['research_year']} in a register for {year}"])
        frame = pd.DataFrame(content.get("decisions") or [], dtype=object)
        if "decided_on" in content:
            default = str(content["decided_on"])
            frame["decided_on"] = (
                frame["decided_on"].where(frame["decided_on"].notna(), default) if "decided_on" in frame else default
            )
        return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def read_register(path: str | Path, year: int) -> pd.DataFrame:
    """Read and validate the format of the register file ``path`` for research year ``year``.

    Returns
    -------
    DataFrame
        :data:`REGISTER_COLUMNS` typed: text columns as ``string``, ``passed`` as nullable
        ``boolean``, ``valid_until``/``decided_on`` as dates, ``research_year`` = ``year``.

    Raises
    ------
    RegisterError
        Unknown or missing columns, an empty or duplicate corporation, a decision outside
        the five of docs/data-contract.md §11, a malformed boolean or date, a ``passed`` that contradicts the
        decision, a ``research_year`` other than ``year``, a ``valid_until`` on niet_toekennen.
    """
    path = Path(path)
    raw = _raw_register(path, year)
    problems: list[str] = []
    unknown = [c for c in raw.columns if c not in REGISTER_COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(str, unknown))}; allowed: {', '.join(REGISTER_COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        problems.append(f"required column(s) missing: {', '.join(missing)}")
    if problems:
        raise RegisterError(path, problems)
    text = {
        c: (raw[c] if c in raw else pd.Series(None, index=raw.index, dtype=object))
        .astype("string")
        .str.strip()
        .replace("", pd.NA)
        for c in REGISTER_COLUMNS
    }
    register = pd.DataFrame({c: text[c] for c in ("corporation_id", "decision", "reason", "advice")})

    def where(mask) -> str:
        ids = register.loc[mask, "corporation_id"].fillna("(empty)").tolist()
        shown = ", ".join(ids[:10]) + (f" (and {len(ids) - 10} more)" if len(ids) > 10 else "")
        return f"{len(ids)} row(s): {shown}"

    empty_id = register["corporation_id"].isna()
    if empty_id.any():
        problems.append(
            f"corporation_id: required value missing — rows {', '.join(str(i + 2) for i in register.index[empty_id])}"
        )
    duplicate = register["corporation_id"].duplicated(keep=False) & ~empty_id
    if duplicate.any():
        problems.append(f"corporation_id: one decision per corporation — {where(duplicate)}")
    no_decision = register["decision"].isna()
    if no_decision.any():
        problems.append(
            "decision: missing, fill in what the CKV decided (e.g. where the advice was ckv_beslist) — "
            f"{where(no_decision)}"
        )
    bad_decision = ~no_decision & ~register["decision"].isin(DECISIONS).fillna(False).astype(bool)
    if bad_decision.any():
        problems.append(f"decision: not one of {', '.join(DECISIONS)} — {where(bad_decision)}")

    words = text["passed"].str.lower()
    passed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    passed[words.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)] = True
    passed[words.isin(FALSE_WORDS).fillna(False).to_numpy(dtype=bool)] = False
    bad_passed = words.notna() & passed.isna()
    if bad_passed.any():
        problems.append(f"passed: not a boolean (true/false) — {where(bad_passed.to_numpy(dtype=bool))}")
    implied = register["decision"].map(PASSED_BY_DECISION).astype("boolean")
    contradicts = (passed.notna() & implied.notna() & (passed != implied)).fillna(False).to_numpy(dtype=bool)
    if contradicts.any():
        problems.append(f"passed: contradicts the decision (true only with toekennen/verlengen) — {where(contradicts)}")
    register["passed"] = passed.where(passed.notna(), implied)

    for column in ("valid_until", "decided_on"):
        values = pd.to_datetime(text[column], format="ISO8601", errors="coerce")
        bad = (text[column].notna() & values.isna()).to_numpy(dtype=bool)
        if bad.any():
            problems.append(f"{column}: not an ISO date (YYYY-MM-DD) — {where(bad)}")
        register[column] = values.astype("datetime64[ns]")
    granted_no_label = (register["decision"] == "niet_toekennen").fillna(False) & register["valid_until"].notna()
    if granted_no_label.any():
        problems.append(
            f"valid_until: niet_toekennen leaves no valid label — {where(granted_no_label.to_numpy(dtype=bool))}"
        )
    years = pd.to_numeric(text["research_year"], errors="coerce")
    wrong_year = (text["research_year"].notna() & (years != year)).to_numpy(dtype=bool)
    if wrong_year.any():
        problems.append(f"research_year: must be {year} in this register — {where(wrong_year)}")
    if problems:
        raise RegisterError(path, problems)
    register["research_year"] = year
    return register[list(REGISTER_COLUMNS)].reset_index(drop=True)


def load_register(year: int, directory: str | Path | None = None) -> pd.DataFrame:
    """Read the register of ``year`` from ``directory`` (default ``params/ckv_decisions``).

    Raises ``FileNotFoundError`` when there is none, :class:`RegisterError` when it is invalid.
    """
    path = register_path(year, directory)
    if not path.is_file():
        raise FileNotFoundError(f"No CKV decisions register for {year}: expected {path} (or .yml)")
    return read_register(path, year)


# --------------------------------------------------------------------------- checks


def check_register(register: pd.DataFrame, advice: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Check the register against KWH's advice on the same year (docs/methodology.md §3.11).

    Parameters
    ----------
    register : :func:`read_register` output.
    advice : the advice table (:func:`kwh_calc.calculations.label.advice_table`) of the same year.

    Returns
    -------
    (errors, warnings)
        Errors: a corporation without advice (unknown, or merged away); a decision that
        deviates from the advice without a ``reason`` (for ``ckv_beslist`` either named
        outcome follows the advice; for ``nog_niet_beoordeelbaar`` every decision deviates);
        a decision that does not fit the label state (toekennen / niet_toekennen need no
        valid label; verlengen / niet_verlengen / verloopt need one). Warnings: assessable
        corporations without a recorded decision.
    """
    errors: list[str] = []
    warnings: list[str] = []
    indexed = advice.set_index("corporation_id")
    for row in register.itertuples():
        cid = row.corporation_id
        if cid not in indexed.index:
            errors.append(f"{cid}: no advice for {row.research_year} (unknown corporation, or merged away)")
            continue
        advised = indexed.loc[cid]
        followed = {advised["advice"], advised.get("advice_if_counted"), advised.get("advice_if_not_counted")}
        if row.decision not in followed and pd.isna(row.reason):
            named = ADVICE_NAMES.get(advised["advice"], advised["advice"])
            errors.append(f"{cid}: decision {row.decision} deviates from the advice ({named}): a reason is required")
        valid = bool(advised["label_valid"])
        if valid and row.decision in NEEDS_NO_LABEL:
            errors.append(
                f"{cid}: decision {row.decision} but the label is valid until "
                f"{advised['valid_until_before']:%Y-%m-%d} (verlengen, niet_verlengen or verloopt)"
            )
        if not valid and row.decision in NEEDS_VALID_LABEL:
            errors.append(f"{cid}: decision {row.decision} but there is no valid label (toekennen or niet_toekennen)")
    decided = set(register["corporation_id"])
    open_ = advice.loc[
        (advice["advice"] != "nog_niet_beoordeelbaar") & ~advice["corporation_id"].isin(decided), "corporation_id"
    ]
    if len(open_):
        shown = ", ".join(open_.tolist()[:10]) + (f" (and {len(open_) - 10} more)" if len(open_) > 10 else "")
        warnings.append(f"{len(open_)} assessable corporation(s) without a recorded decision: {shown}")
    return errors, warnings


# --------------------------------------------------------------------------- export


def register_to_label_history(
    register: pd.DataFrame, rules: Rules, year: int, advice: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The register as ``label_history`` rows for research year ``year`` (docs/data-contract.md §11 format).

    ``valid_until`` when not given: toekennen / verlengen → Y+1+``validity_years``-03-31
    (:func:`kwh_calc.calculations.label.label_dates`); niet_verlengen / verloopt → the label's current end
    (``valid_until_before`` of the advice: the label stays valid until then, docs/methodology.md §3.8);
    niet_toekennen → empty.

    Raises
    ------
    RegisterError
        niet_verlengen / verloopt without ``valid_until`` and without an advice to take the
        current end from.
    """
    _, granted = label_dates(rules, year)
    history = register[["corporation_id", "decision", "passed", "valid_until"]].copy()
    history.insert(1, "research_year", year)
    grant = history["decision"].isin(["toekennen", "verlengen"]) & history["valid_until"].isna()
    history.loc[grant, "valid_until"] = granted
    keep = history["decision"].isin(["niet_verlengen", "verloopt"]) & history["valid_until"].isna()
    if keep.any():
        if advice is None:
            ids = ", ".join(history.loc[keep, "corporation_id"].tolist()[:10])
            raise RegisterError(
                "(export)",
                [f"niet_verlengen/verloopt without valid_until need the advice (--data) for the current end: {ids}"],
            )
        current = advice.set_index("corporation_id")["valid_until_before"]
        history.loc[keep, "valid_until"] = history.loc[keep, "corporation_id"].map(current)
    history["passed"] = history["passed"].astype(bool)
    history["research_year"] = history["research_year"].astype("int64")
    history["valid_until"] = pd.to_datetime(history["valid_until"]).astype("datetime64[ns]")
    return history[HISTORY_COLUMNS].sort_values("corporation_id").reset_index(drop=True)


def merge_label_history(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``existing`` label_history with the rows of ``new`` added; a row of ``new`` replaces
    the existing row of the same corporation and research year."""
    keys = ["corporation_id", "research_year"]
    old = existing[HISTORY_COLUMNS]
    replaced = pd.MultiIndex.from_frame(old[keys].astype(object)).isin(
        pd.MultiIndex.from_frame(new[keys].astype(object))
    )
    merged = pd.concat([old.loc[~replaced], new[HISTORY_COLUMNS]], ignore_index=True)
    merged["passed"] = merged["passed"].astype(bool)
    merged["valid_until"] = pd.to_datetime(merged["valid_until"]).astype("datetime64[ns]")
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)


def label_history_csv(history: pd.DataFrame) -> pd.DataFrame:
    """``label_history`` as docs/data-contract.md §11 CSV text: ISO dates, ``true``/``false``, empty = missing."""
    text = history[HISTORY_COLUMNS].copy()
    text["passed"] = text["passed"].map({True: "true", False: "false"})
    text["valid_until"] = pd.to_datetime(text["valid_until"]).dt.strftime("%Y-%m-%d")
    return text


# --------------------------------------------------------------------------- template


def register_template(advice: pd.DataFrame) -> pd.DataFrame:
    """A register pre-filled from the advice, for the secretary to complete after the meeting.

    One row per assessable corporation (``nog_niet_beoordeelbaar`` left out); ``decision`` is
    the advice where it is one of the five decisions and empty for ``ckv_beslist`` (the CKV
    chooses one of ``advice_if_counted`` / ``advice_if_not_counted``); ``advice`` records the
    advice. ``reason`` is empty: fill it in where the CKV deviates.
    """
    rows = advice.loc[advice["advice"] != "nog_niet_beoordeelbaar"]
    decision = rows["advice"].where(rows["advice"].isin(DECISIONS), "")
    advised = rows["advice"].where(
        rows["advice"] != "ckv_beslist",
        "ckv_beslist (" + rows["advice_if_counted"] + " / " + rows["advice_if_not_counted"] + ")",
    )
    return pd.DataFrame(
        {
            "corporation_id": rows["corporation_id"].to_numpy(),
            "decision": decision.to_numpy(),
            "passed": "",
            "valid_until": "",
            "reason": "",
            "advice": advised.to_numpy(),
            "decided_on": "",
        }
    )


def write_register(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a register (or template) as CSV; dates ISO, booleans ``true``/``false``."""
    path = Path(path)
    with atomic_path(path) as temporary:
        csv_ready(frame).to_csv(temporary, index=False, encoding="utf-8")
    return path
