"""Response: tenants approached, completed online, completed by telephone, total response.

FAQ "Waar kan ik de respons zien?" / docs/methodology.md §6.1. Response is counted **per delivery**, the
unit in which tenants are approached: approached = the delivery's ``n_approached`` (after
de-duplication and blocking), completed = the delivery's respondents (every completed
questionnaire, whether or not it answered a label question, except those in the removals
register), split by ``mode``.
Deliveries are attributed to a period by their ``period_start`` (the same attribution as the
population of a component in the representativeness analysis, docs/methodology.md §5.4), so that the
respondents of one delivery are never split over two periods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kwh_calc.intake.dataset import Dataset, positions_in
from kwh_calc.intake.removals import removed_mask

__all__ = ["PERIODS", "response_table"]

PERIODS = ("year", "quarter", "month")


def _period_label(dates: pd.Series, period: str) -> pd.Series:
    if period == "year":
        return dates.dt.year.astype(str)
    if period == "quarter":
        return dates.dt.year.astype(str) + "-K" + dates.dt.quarter.astype(str)
    if period == "month":
        return dates.dt.strftime("%Y-%m")
    raise ValueError(f"period must be one of {PERIODS}")


def response_table(dataset: Dataset, year: int | None = None, period: str = "year") -> pd.DataFrame:
    """Response per corporation × questionnaire × period.

    Parameters
    ----------
    dataset : validated research dataset.
    year : keep deliveries whose ``period_start`` lies in this year (default: all years).
    period : ``"year"``, ``"quarter"`` (``2025-K1``) or ``"month"`` (``2025-01``) of the
        delivery's ``period_start``.

    Returns
    -------
    DataFrame
        ``corporation_id, questionnaire, period, deliveries, delivered`` (tenant records
        delivered, Σ ``n_delivered``: the population of the representativeness analysis),
        ``approached`` (invited after de-duplication and blocking), ``completed_online,
        completed_telefonisch, completed`` (counts) and ``response_pct``, ``online_pct``,
        ``telefonisch_pct`` (percent 0–100 of approached; empty when nobody was approached).
    """
    deliveries = dataset.deliveries
    if year is not None:
        deliveries = deliveries.loc[deliveries["period_start"].dt.year == year]
    deliveries = deliveries.assign(period=_period_label(deliveries["period_start"], period))
    # A removed questionnaire (removals register) is not a completed one; its tenant was
    # approached all the same, so n_approached stays.
    # Only the two columns counted, and ids looked up in Arrow: taking every column of the
    # ~500.000 respondents and pandas' isin cost ≈0,2 s per call (issue 13).
    respondents = dataset.respondents[["delivery_id", "mode"]]
    counted = ~removed_mask(dataset) & (positions_in(respondents["delivery_id"], deliveries["delivery_id"]) >= 0)
    by_mode = (
        respondents.loc[counted]
        .groupby(["delivery_id", "mode"], observed=True)
        .size()
        .unstack("mode", fill_value=0)
        .reindex(columns=["online", "telefonisch"], fill_value=0)
        .rename(columns=lambda m: f"completed_{m}")
    )
    per_delivery = deliveries.merge(by_mode, left_on="delivery_id", right_index=True, how="left")
    for column in ("completed_online", "completed_telefonisch"):
        per_delivery[column] = per_delivery[column].fillna(0).astype(np.int64)
    table = (
        per_delivery.groupby(["corporation_id", "questionnaire", "period"], observed=True)
        .agg(
            deliveries=("delivery_id", "size"),
            delivered=("n_delivered", "sum"),
            approached=("n_approached", "sum"),
            completed_online=("completed_online", "sum"),
            completed_telefonisch=("completed_telefonisch", "sum"),
        )
        .reset_index()
    )
    table["completed"] = table["completed_online"] + table["completed_telefonisch"]
    approached = table["approached"].where(table["approached"] > 0)
    for name, column in (
        ("response_pct", "completed"),
        ("online_pct", "completed_online"),
        ("telefonisch_pct", "completed_telefonisch"),
    ):
        table[name] = 100.0 * table[column] / approached
    return table
