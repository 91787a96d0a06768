"""Reparaties: the checkvraag "Is de reparatie klaar?" (docs/methodology.md §7).

The invitation e-mail of a Reparaties questionnaire first asks whether the repair is done,
with four options (``rules.checkvraag.answers``):

1. Ja, de reparatie is klaar              -> questionnaire
2. Ja, klaar maar ik ben niet tevreden    -> questionnaire
3. Nee, nog niet (helemaal) klaar         -> no questionnaire; signal e-mail to the corporation
                                             (only with consent); the questionnaire is sent
                                             again after 6 weeks (or 3: a corporation setting)
4. Ik weet niets van een reparatie        -> no questionnaire; signal e-mail (only with consent)

Distribution (:func:`checkvraag_distribution`, :func:`national_reference`)
    Per corporation (optionally per group of a column such as ``aannemer``): the number of
    answers ``n``, per option the count ``n_answer_<k>`` and the share ``pct_answer_<k>`` in
    **percent (0–100)** of ``n``. Research year Y counts the service months January–December
    Y (attribution by ``service_month``, as for the scores). Rows without a value in the
    ``by`` column are left out of that breakdown (they still count in the corporation total).

Suppression (docs/methodology.md §7.3)
    A cell (corporation total, contractor, national reference) with fewer answers than
    ``suppression.min_cell_size`` is suppressed: its counts and percentages are emptied,
    ``n`` stays visible. **Decision (complementary suppression):** within one corporation's
    breakdown, when the answers hidden from the breakdown (suppressed groups plus rows without
    a value) number more than 0 but fewer than the minimum, they could be recovered as the
    corporation total minus the shown groups; then the smallest shown group is suppressed too
    (repeated until the hidden remainder is 0 or at least the minimum). Such cells carry
    ``suppressed`` and ``suppressed_secondary``.

Routing (:func:`routing`)
    Per checkvraag row the next step (Dutch), whether a questionnaire is sent, the
    re-invitation date for answer 3 and whether a signal e-mail goes to the corporation
    (answers 3 and 4, only when ``consent`` is true).
    **Decision (re-invitation date):** the checkvraag table has no answer date; the checkvraag
    is answered in the invitation e-mail, so the re-invitation date is the invitation date of
    the row's delivery (:func:`kwh_calc.calculations.fieldwork.invitation_date`: Mijn KWH the Tuesday after
    the round's deadline, API the day after delivery) plus the corporation's number of weeks.
    **Decision (setting per corporation):** ``params/checkvraag.yml`` maps corporation_id ->
    weeks under ``reinvite_weeks``; every value must be one of
    ``checkvraag.reinvite_weeks_allowed``; a corporation not listed gets
    ``checkvraag.reinvite_weeks_default``. A missing file means no corporation has its own
    setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kwh_calc.calculations.fieldwork import invitation_date
from kwh_calc.calculations.scores import research_months
from kwh_calc.common.paths import params_dir
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules

__all__ = [
    "DEFAULT_SETTINGS_PATH",
    "answer_columns",
    "checkvraag_distribution",
    "checkvraag_rows",
    "checkvraag_table",
    "load_checkvraag_settings",
    "national_reference",
    "reinvite_weeks",
    "routing",
]

DEFAULT_SETTINGS_PATH = params_dir() / "checkvraag.yml"

#: Answers after which the questionnaire is sent (docs/methodology.md §7.1: options 1 and 2).
QUESTIONNAIRE_ANSWERS = (1, 2)
#: Answer after which the tenant is invited again after some weeks (option 3).
REINVITE_ANSWER = 3
#: Answers that lead to a signal e-mail when the tenant consented (options 3 and 4).
SIGNAL_ANSWERS = (3, 4)

#: Values of the ``level`` column of :func:`checkvraag_table`.
LEVEL_CORPORATION = "corporation"
LEVEL_NATIONAL = "national"


def answer_columns(rules: Rules) -> tuple[list[str], list[str]]:
    """The count and percent column names, one per answer option: ``n_answer_1`` …, ``pct_answer_1`` …"""
    options = sorted(rules.checkvraag.answers)
    return [f"n_answer_{k}" for k in options], [f"pct_answer_{k}" for k in options]


def checkvraag_rows(
    dataset: Dataset,
    year: int | None = None,
    *,
    first_month: str | None = None,
    last_month: str | None = None,
    corporation_id: str | None = None,
) -> pd.DataFrame:
    """The checkvraag rows of research year ``year`` (service months Jan–Dec) or of a month range.

    ``first_month``/``last_month`` (``YYYY-MM``, inclusive) override the year's months.
    """
    rows = dataset.checkvraag
    if year is not None:
        first, last = research_months(year)
        first_month, last_month = first_month or first, last_month or last
    mask = np.ones(len(rows), bool)
    if first_month is not None:
        mask &= (rows["service_month"] >= first_month).to_numpy(dtype=bool)
    if last_month is not None:
        mask &= (rows["service_month"] <= last_month).to_numpy(dtype=bool)
    if corporation_id is not None:
        mask &= (rows["corporation_id"] == corporation_id).fillna(False).to_numpy(dtype=bool)
    return rows.loc[mask]


def _distribution(rows: pd.DataFrame, rules: Rules, keys: list[str]) -> pd.DataFrame:
    """Counts and percent per option for every group of ``keys`` (no keys: one total row)."""
    options = sorted(rules.checkvraag.answers)
    n_cols, pct_cols = answer_columns(rules)
    if keys:
        counts = pd.crosstab([rows[k] for k in keys], rows["answer"]) if len(rows) else None
        if counts is None:
            return pd.DataFrame(columns=[*keys, "n", *n_cols, *pct_cols, "suppressed", "suppressed_secondary"])
        counts = counts.reindex(columns=options, fill_value=0)
        counts.columns = n_cols
        counts = counts.reset_index()
    else:
        values = rows["answer"].value_counts().reindex(options, fill_value=0)
        counts = pd.DataFrame([dict(zip(n_cols, values.to_numpy(), strict=True))])
    counts[n_cols] = counts[n_cols].astype("int64")
    counts.insert(len(keys), "n", counts[n_cols].sum(axis=1).astype("int64"))
    for n_col, pct_col in zip(n_cols, pct_cols, strict=True):
        counts[pct_col] = counts[n_col] / counts["n"].where(counts["n"] > 0) * 100.0
    counts["suppressed"] = counts["n"].to_numpy() < rules.suppression.min_cell_size
    counts["suppressed_secondary"] = False
    return counts


def _blank_suppressed(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    n_cols, pct_cols = answer_columns(rules)
    hidden = table["suppressed"].to_numpy(dtype=bool)
    table[n_cols] = table[n_cols].astype("Int64")
    table.loc[hidden, n_cols] = pd.NA
    table.loc[hidden, pct_cols] = np.nan
    return table


def _complementary(groups: pd.DataFrame, totals: pd.Series, minimum: int) -> pd.DataFrame:
    """Suppress further groups per corporation while the hidden remainder is in (0, minimum)."""
    groups = groups.copy()
    for corporation_id, index in groups.groupby("corporation_id", sort=False).groups.items():
        while True:
            part = groups.loc[index]
            shown = part.loc[~part["suppressed"]]
            remainder = int(totals.get(corporation_id, 0)) - int(shown["n"].sum())
            if shown.empty or not 0 < remainder < minimum:
                break
            smallest = shown.sort_values(["n"], kind="stable").index[0]
            groups.loc[smallest, ["suppressed", "suppressed_secondary"]] = True
    return groups


def checkvraag_distribution(
    dataset: Dataset, rules: Rules, year: int, by: str | None = None, *, corporation_id: str | None = None
) -> pd.DataFrame:
    """Distribution of the four checkvraag answers per corporation (docs/methodology.md §7.3), suppressed.

    Parameters
    ----------
    dataset : the research dataset; its ``checkvraag`` table.
    rules : the rule set (answer options, ``suppression.min_cell_size``).
    year : research year Y: service months January–December Y.
    by : optional column of the checkvraag table to break down by (``aannemer``; any other
        column the table carries, such as ``service_month``). Rows without a value are left
        out of the breakdown; complementary suppression (module docstring) protects them.
    corporation_id : only this corporation.

    Returns
    -------
    DataFrame
        ``corporation_id``, [``by``], ``n`` (answers), ``n_answer_1..4`` (counts),
        ``pct_answer_1..4`` (percent 0–100 of ``n``), ``suppressed``,
        ``suppressed_secondary``. Suppressed rows have empty counts and percentages.
        Corporations without checkvraag rows in Y have no row.
    """
    rows = checkvraag_rows(dataset, year, corporation_id=corporation_id)
    if by is None:
        table = _distribution(rows, rules, ["corporation_id"])
    else:
        if by not in rows.columns:
            raise KeyError(f"checkvraag has no column {by!r}")
        present = rows.loc[rows[by].notna()]
        table = _distribution(present, rules, ["corporation_id", by])
        totals = rows.groupby("corporation_id", observed=True).size()
        table = _complementary(table, totals, rules.suppression.min_cell_size)
    table = table.sort_values([c for c in ("corporation_id", by) if c], kind="stable").reset_index(drop=True)
    return _blank_suppressed(table, rules)


def national_reference(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """The national distribution of the checkvraag answers in research year Y (one row).

    Every checkvraag row of every corporation counts once (answers, not corporations, weigh
    the same). Columns as :func:`checkvraag_distribution` without ``corporation_id``.
    """
    table = _distribution(checkvraag_rows(dataset, year), rules, [])
    return _blank_suppressed(table, rules)


def checkvraag_table(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """The results table ``checkvraag`` of the close: per corporation, per contractor, national.

    Returns
    -------
    DataFrame
        ``level`` (``corporation``: the corporation total; ``aannemer``: one row per
        contractor; ``national``: the national reference, ``corporation_id`` empty),
        ``corporation_id``, ``group`` (the contractor; empty otherwise), ``n``,
        ``n_answer_1..4``, ``pct_answer_1..4`` (percent 0–100), ``suppressed``,
        ``suppressed_secondary``, ``year``.
    """
    n_cols, pct_cols = answer_columns(rules)
    columns = [
        "level",
        "corporation_id",
        "group",
        "n",
        *n_cols,
        *pct_cols,
        "suppressed",
        "suppressed_secondary",
        "year",
    ]
    frames = [checkvraag_distribution(dataset, rules, year).assign(level=LEVEL_CORPORATION, group=None)]
    if "aannemer" in dataset.checkvraag.columns:
        by = checkvraag_distribution(dataset, rules, year, by="aannemer")
        frames.append(by.rename(columns={"aannemer": "group"}).assign(level="aannemer"))
    national = national_reference(dataset, rules, year)
    if int(national["n"].iloc[0]) > 0:
        frames.append(national.assign(level=LEVEL_NATIONAL, corporation_id=None, group=None))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True).assign(year=year)
    table["corporation_id"] = table["corporation_id"].astype("string")
    table["group"] = table["group"].astype("string")
    return table[columns]


# --------------------------------------------------------------------------- routing


def load_checkvraag_settings(path: str | Path | None = None, rules: Rules | None = None) -> dict[str, int]:
    """Per-corporation re-invitation weeks from ``params/checkvraag.yml`` (module docstring).

    The file holds ``reinvite_weeks: {corporation_id: weeks}``. With ``rules``, every value is
    checked against ``checkvraag.reinvite_weeks_allowed``. A missing default file gives ``{}``.

    Raises
    ------
    ValueError
        The file is not a mapping, or a value is not a whole number (or not allowed).
    """
    given = path is not None
    path = Path(path) if path is not None else DEFAULT_SETTINGS_PATH
    if not path.exists():
        if given:
            raise FileNotFoundError(f"checkvraag settings not found: {path}")
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("reinvite_weeks") or {}, dict):
        raise ValueError(f"{path}: expected a mapping 'reinvite_weeks: {{corporation_id: weeks}}'")
    settings: dict[str, int] = {}
    for corporation_id, weeks in (raw.get("reinvite_weeks") or {}).items():
        if isinstance(weeks, bool) or not isinstance(weeks, int):
            raise ValueError(f"{path}: reinvite_weeks of {corporation_id}: {weeks!r} is not a whole number of weeks")
        settings[str(corporation_id)] = weeks
    if rules is not None:
        _check_allowed(settings, rules, str(path))
    return settings


def _check_allowed(settings: Mapping[str, int], rules: Rules, where: str) -> None:
    allowed = rules.checkvraag.reinvite_weeks_allowed
    wrong = sorted(c for c, w in settings.items() if w not in allowed)
    if wrong:
        shown = ", ".join(f"{c}={settings[c]}" for c in wrong[:10])
        raise ValueError(f"{where}: reinvite_weeks must be one of {allowed}: {shown}")


def reinvite_weeks(corporation_id: str, rules: Rules, settings: Mapping[str, int] | None = None) -> int:
    """Weeks after which a tenant who answered 3 gets the questionnaire again (docs/methodology.md §7.2)."""
    weeks = (settings or {}).get(corporation_id, rules.checkvraag.reinvite_weeks_default)
    if weeks not in rules.checkvraag.reinvite_weeks_allowed:
        raise ValueError(
            f"reinvite_weeks of {corporation_id}: {weeks} not in {rules.checkvraag.reinvite_weeks_allowed}"
        )
    return int(weeks)


def _next_step(answer: int, weeks: int, signal: bool) -> str:
    if answer in QUESTIONNAIRE_ANSWERS:
        return "Vragenlijst sturen"
    parts = ["Geen vragenlijst"]
    if answer == REINVITE_ANSWER:
        parts.append(f"na {weeks} weken opnieuw uitnodigen")
    parts.append("signaalmail aan de corporatie" if signal else "geen signaalmail (geen toestemming)")
    return "; ".join(parts)


def routing(
    dataset: Dataset,
    rules: Rules,
    settings: Mapping[str, int] | str | Path | None = None,
    *,
    corporation_id: str | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The next step after every checkvraag answer (docs/methodology.md §7.1).

    Parameters
    ----------
    dataset : the research dataset (``checkvraag`` and ``deliveries``).
    rules : the rule set (``checkvraag.reinvite_weeks_default`` / ``_allowed``).
    settings : per-corporation weeks (mapping corporation_id -> 3 or 6), or the path of a
        settings file; default ``params/checkvraag.yml`` (see :func:`load_checkvraag_settings`).
    corporation_id, first_month, last_month, year : which rows (as :func:`checkvraag_rows`).

    Returns
    -------
    DataFrame
        The checkvraag rows (original index kept) with ``send_questionnaire`` (bool; answers
        1 and 2), ``next_step`` (Dutch text), ``reinvite_weeks`` (answer 3, else empty),
        ``invited_on`` (invitation date of the delivery), ``reinvite_on`` (answer 3: invitation
        date + weeks; else ``NaT``) and ``signal`` (answers 3 and 4 with ``consent`` only).
    """
    if settings is None or isinstance(settings, (str, Path)):
        settings = load_checkvraag_settings(settings, rules)
    else:
        _check_allowed(settings, rules, "settings")
    rows = checkvraag_rows(
        dataset, year, first_month=first_month, last_month=last_month, corporation_id=corporation_id
    ).copy()
    deliveries = dataset.deliveries.set_index("delivery_id")
    used = deliveries.loc[deliveries.index.isin(rows["delivery_id"].unique())]
    invited = {
        d: invitation_date(channel, delivered)
        for d, channel, delivered in zip(used.index, used["channel"], used["delivered_on"], strict=True)
    }
    answers = rows["answer"].to_numpy(dtype=np.int64)
    consent = rows["consent"].to_numpy(dtype=bool)
    weeks = np.array([reinvite_weeks(c, rules, settings) for c in rows["corporation_id"]], dtype=np.int64)
    signal = np.isin(answers, SIGNAL_ANSWERS) & consent
    reinvite = answers == REINVITE_ANSWER
    invited_on = pd.to_datetime(pd.Series([invited[d] for d in rows["delivery_id"]], index=rows.index, dtype=object))
    rows["send_questionnaire"] = np.isin(answers, QUESTIONNAIRE_ANSWERS)
    rows["next_step"] = pd.array(
        [_next_step(a, w, s) for a, w, s in zip(answers, weeks, signal, strict=True)], dtype="string"
    )
    rows["reinvite_weeks"] = pd.Series(weeks, index=rows.index, dtype="Int64").where(reinvite)
    rows["invited_on"] = invited_on.astype("datetime64[ns]")
    rows["reinvite_on"] = (rows["invited_on"] + pd.to_timedelta(np.where(reinvite, weeks * 7, 0), unit="D")).where(
        reinvite
    )
    rows["signal"] = signal
    return rows
