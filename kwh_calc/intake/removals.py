"""The removals register: completed questionnaires taken out of the research (docs/methodology.md §6).

FAQ "Kunnen antwoorden van huurders uit het onderzoek verwijderd worden?": KWH removes a
completed questionnaire only when the tenant was invited although no service was delivered.
Nothing else is removed — not a tenant who had another repair in mind (the answer may land
at another contractor), not a tenant who on a follow-up call says an insufficient grade was
meant as sufficient — and a grade is never changed.

**Decision** (docs/methodology.md §6, docs/data-contract.md ``removals``): a removal is a row of the optional
dataset table ``removals`` (``response_id``, ``reason`` ``geen_dienst_geleverd``,
``decided_on``, ``reference``), validated with the dataset
(:func:`kwh_calc.intake.dataset.load_dataset`). The respondents and answers tables are never edited:
every calculation leaves the registered questionnaires out through :func:`removed_mask`
(:func:`kwh_calc.calculations.scores.respondent_results`, response counts, exports, signals), and
:func:`including_removed` gives the dataset as if nothing had been removed, so documents can
show the figures with and without the removals (:mod:`kwh_calc.calculations.removal_effect`).

This module holds the register itself: which respondents it removes, the inventory per
corporation, and the empty template a researcher fills in.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kwh_calc.intake.dataset import REMOVAL_REASONS, TABLE_COLUMNS, Dataset, empty_table, positions_in

__all__ = [
    "REGISTER_COLUMNS",
    "TEMPLATE_EXPLANATION",
    "including_removed",
    "register_rows",
    "removal_counts",
    "removed_mask",
    "template_frame",
]

#: The register's columns, in docs/data-contract.md order.
REGISTER_COLUMNS = tuple(TABLE_COLUMNS["removals"])

#: What the template explains (English: the CLI and docs are English; reports are Dutch).
TEMPLATE_EXPLANATION = """\
Removals register (docs/data-contract.md §10, docs/methodology.md §6.6)
for corporation {corporation_id}, research year {year}.
One row per completed questionnaire taken out of the research; the respondents and answers are never edited.
  response_id  the questionnaire's response_id (must exist in respondents; each at most once)
  reason       geen_dienst_geleverd: the only allowed reason. The tenant was invited although no service
               was delivered (e.g. the tenant's data was delivered by mistake).
  decided_on   the date KWH decided (YYYY-MM-DD)
  reference    the corporation's request or ticket number (no personal data)
Refused, as the FAQ refuses them: a tenant who had another repair in mind, a tenant who on a follow-up
call says an insufficient grade was meant as sufficient, any wish to change a grade.
Append the filled rows to the dataset's removals table; `kwh check-data` validates it and
`kwh removals report DATA --year {year}` shows what the removals change."""


def removed_mask(dataset: Dataset) -> np.ndarray:
    """Per row of ``dataset.respondents``: True when the register removes that questionnaire.

    Returns
    -------
    numpy.ndarray
        Boolean array, one element per respondent row (all False without removals).
    """
    removals = dataset.removals
    if removals is None or len(removals) == 0:
        return np.zeros(len(dataset.respondents), dtype=bool)
    # Arrow look-up: no Python strings per respondent (the national table has ~500.000 rows).
    return positions_in(dataset.respondents["response_id"], removals["response_id"].dropna()) >= 0


def including_removed(dataset: Dataset) -> Dataset:
    """The same dataset with an empty register: the figures as if nothing had been removed.

    No re-validation is needed (an empty register is always valid), so this is cheap even for
    the national dataset; the fingerprint is kept (it identifies the input files).
    """
    return dataclasses.replace(dataset, removals=empty_table("removals"))


def register_rows(dataset: Dataset, year: int | None = None) -> pd.DataFrame:
    """The register with each removed questionnaire's corporation, questionnaire and month.

    Parameters
    ----------
    dataset : validated research dataset (every ``response_id`` of the register exists).
    year : keep removals whose respondent's ``service_month`` lies in this research year
        (January–December); default all years.

    Returns
    -------
    DataFrame
        ``response_id, reason, decided_on, reference, corporation_id, questionnaire,
        service_month``, sorted by corporation, questionnaire and response.
    """
    respondents = dataset.respondents[["response_id", "corporation_id", "questionnaire", "service_month"]]
    rows = dataset.removals[list(REGISTER_COLUMNS)].merge(respondents, on="response_id", how="inner")
    if year is not None:
        rows = rows.loc[rows["service_month"].str.slice(0, 4) == f"{year:04d}"]
    return rows.sort_values(["corporation_id", "questionnaire", "response_id"], kind="stable").reset_index(drop=True)


def removal_counts(dataset: Dataset) -> pd.DataFrame:
    """Inventory: removed questionnaires per corporation (rows) and service year (columns).

    Returns
    -------
    DataFrame
        Index ``corporation_id``, one integer column per service year; empty without removals.
    """
    rows = register_rows(dataset)
    if rows.empty:
        return pd.DataFrame(index=pd.Index([], name="corporation_id"))
    year = rows["service_month"].str.slice(0, 4).astype(int).rename("year")
    return pd.crosstab(rows["corporation_id"], year)


def template_frame() -> pd.DataFrame:
    """An empty register with the docs/data-contract.md columns (the template's CSV content)."""
    return empty_table("removals")


def allowed_reasons() -> tuple[str, ...]:
    """The reasons the register accepts (one: ``geen_dienst_geleverd``)."""
    return REMOVAL_REASONS
