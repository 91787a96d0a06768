"""The monitor's results during the year: one vectorised pass over the national data.

``kwh monitor DATA --as-of YYYY-MM`` shows every corporation its research year to date
(service months January..as-of). As the close does with :mod:`kwh_calc.results.year`, every
table is computed once for all corporations and kept as Parquet in
``reports/monitor/<YYYY-MM>/results/``; the dashboard notebooks read their slice through
:class:`MonitorResults` and compute nothing.

Anonymity as in the PDFs (docs/methodology.md §6): breakdown groups, contractors, months and quarters
with fewer respondents than ``suppression.min_cell_size`` are suppressed (complementary
suppression for breakdowns); open answers are masked and shown only per question with at
least the minimum cell. Contractor tables (``contractor_*``) hold, per contractor, its own
figures and the other contractors' figures **pooled and without names**, and only when at
least two other contractors contribute (one other contractor's figure would identify it).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from kwh_calc.calculations.aedes import aedes_results, benchmark_year_at
from kwh_calc.calculations.checkvraag import checkvraag_distribution
from kwh_calc.calculations.coverage import coverage_matrix, year_deliveries
from kwh_calc.calculations.forecast import forecast_label, month_window
from kwh_calc.calculations.open_answers import masked_open_answers
from kwh_calc.calculations.response import response_table
from kwh_calc.calculations.scores import component_scores, peer_scores, respondent_results, suppress
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules, load_rules
from kwh_calc.results.year import _loaded, breakdown_tables, load_results, write_results

__all__ = ["MONITOR_TABLES", "MonitorResults", "compute_monitor_results", "months_back", "read_all", "write_results"]

#: Months of the monthly and quarterly series (the last 24 months up to as-of).
SERIES_MONTHS = 24


def months_back(as_of: str, count: int) -> str:
    """The service month ``count - 1`` months before ``as_of`` (first month of a window)."""
    return str(pd.Period(as_of, "M") - (count - 1))


def _month_end(as_of: str) -> pd.Timestamp:
    return pd.Period(as_of, "M").end_time.normalize()


class _Context:
    """What every table of one monitor run shares (computed once)."""

    def __init__(self, dataset: Dataset, rules: Rules, as_of: str):
        self.dataset, self.rules, self.as_of = dataset, rules, as_of
        self.year, self.first, self.last, _ = month_window(as_of)
        self.results = respondent_results(dataset, rules, first_month=self.first, last_month=self.last)
        self.totals = component_scores(self.results, rules)
        self.min_cell = rules.suppression.min_cell_size


def _corporations(c: _Context) -> pd.DataFrame:
    corps = c.dataset.corporations.copy()
    corps["size_class"] = [c.rules.size_class(int(u)) for u in corps["units"]]
    return corps


def _scores(c: _Context) -> pd.DataFrame:
    return c.totals


def _peers(c: _Context) -> pd.DataFrame:
    return peer_scores(c.results, c.dataset.corporations, c.rules)


def _breakdowns(c: _Context) -> pd.DataFrame:
    return breakdown_tables(c.results, c.rules, c.totals)


def _series(c: _Context) -> pd.DataFrame:
    """Monthly and quarterly scores of the last 24 months; small cells suppressed."""
    first = months_back(c.as_of, SERIES_MONTHS)
    results = respondent_results(c.dataset, c.rules, first_month=first, last_month=c.as_of)
    results["quarter_label"] = results["service_month"].str.slice(0, 4) + "-" + results["quarter"]
    frames = []
    for kind, column in (("maand", "service_month"), ("kwartaal", "quarter_label")):
        table = suppress(component_scores(results, c.rules, by=column), c.rules)
        frames.append(table.rename(columns={column: "period"}).assign(kind=kind))
    return pd.concat(frames, ignore_index=True)


def _response(c: _Context) -> pd.DataFrame:
    deliveries = c.dataset.deliveries
    to_date = deliveries.loc[deliveries["period_start"] <= _month_end(c.as_of)]
    return response_table(dataclasses.replace(c.dataset, deliveries=to_date), year=c.year)


def _checkvraag(c: _Context) -> pd.DataFrame:
    rows = c.dataset.checkvraag
    to_date = dataclasses.replace(c.dataset, checkvraag=rows.loc[rows["service_month"] <= c.as_of])
    total = checkvraag_distribution(to_date, c.rules, c.year).assign(aannemer=pd.NA, level="totaal")
    by_contractor = checkvraag_distribution(to_date, c.rules, c.year, by="aannemer").assign(level="aannemer")
    return pd.concat([total, by_contractor], ignore_index=True)


def _coverage(c: _Context) -> pd.DataFrame:
    """Per quarter of the year: covered by deliveries made so far, missing, or still due."""
    deliveries = year_deliveries(c.dataset, c.rules, c.year)
    delivered = deliveries.loc[deliveries["delivered_on"] <= _month_end(c.as_of)]
    matrix = coverage_matrix(c.dataset, c.rules, c.year, delivered)
    # A quarter's data is due in the month after it ends (Mijn KWH deadline early that month):
    # only then is an uncovered quarter missing rather than still to be delivered.
    due_month = matrix["quarter"].str.slice(1).astype(int) * 3 + 1
    ended = due_month <= int(c.as_of[5:])
    matrix["status"] = np.where(matrix["covered"], "gedekt", np.where(ended, "ontbreekt", "nog te leveren"))
    return matrix


def _aedes(c: _Context) -> pd.DataFrame:
    year = benchmark_year_at(_month_end(c.as_of).date(), c.rules)
    rules = c.rules.for_year(year)
    table = aedes_results(c.dataset, rules, year, as_of=_month_end(c.as_of).date())
    period = table.attrs["period"]
    table = table.assign(benchmark_year=year, period_first=period.first_month, period_last=period.last_month)
    table.attrs = {}  # the period object is in the columns; Parquet keeps only JSON attributes
    return table


def _forecast(c: _Context) -> pd.DataFrame:
    return forecast_label(c.dataset, c.rules, c.as_of)


def _open_answers(c: _Context) -> pd.DataFrame:
    """Every open answer of the year to date, masked, with the respondent's corporation and contractor."""
    return masked_open_answers(c.dataset, first_month=c.first, last_month=c.last)


def _contractor_scores(c: _Context) -> pd.DataFrame:
    """Per contractor: its own year-to-date figures and the other contractors' pooled, unnamed."""
    results = c.results.loc[c.results["aannemer"].notna()]
    columns = [
        "corporation_id",
        "questionnaire",
        "aannemer",
        "n",
        "score",
        "pct_satisfied",
        "score_display",
        "pct_display",
        "suppressed",
        "others_contractors",
        "others_n",
        "others_score",
        "others_pct_satisfied",
        "rank",
        "ranked",
    ]
    if results.empty:
        return pd.DataFrame(columns=columns)
    own = component_scores(results, c.rules, by="aannemer")
    own["suppressed"] = own["n"] < c.min_cell
    own.loc[own["suppressed"], ["score", "pct_satisfied"]] = np.nan
    own.loc[own["suppressed"], ["score_display", "pct_display"]] = pd.NA
    pooled = (
        results.groupby(["corporation_id", "questionnaire"], observed=True)
        .agg(
            all_n=("mean", "size"),
            all_sum=("mean", "sum"),
            all_satisfied=("satisfied", "sum"),
            all_contractors=("aannemer", "nunique"),
        )
        .reset_index()
    )
    per = (
        results.groupby(["corporation_id", "questionnaire", "aannemer"], observed=True)
        .agg(n_=("mean", "size"), sum_=("mean", "sum"), satisfied_=("satisfied", "sum"))
        .reset_index()
    )
    table = own.merge(per, on=["corporation_id", "questionnaire", "aannemer"]).merge(
        pooled, on=["corporation_id", "questionnaire"]
    )
    table["others_contractors"] = table["all_contractors"] - 1
    table["others_n"] = table["all_n"] - table["n_"]
    show = (table["others_contractors"] >= 2) & (table["others_n"] >= c.min_cell)
    table["others_score"] = np.where(show, (table["all_sum"] - table["sum_"]) / table["others_n"].clip(lower=1), np.nan)
    table["others_pct_satisfied"] = np.where(
        show, 100.0 * (table["all_satisfied"] - table["satisfied_"]) / table["others_n"].clip(lower=1), np.nan
    )
    table.loc[~show, "others_n"] = pd.NA
    # Rank among the contractors shown (enough respondents), only with at least three of them.
    shown = table.loc[~table["suppressed"]]
    ranks = shown.groupby(["corporation_id", "questionnaire"])["score"].rank(ascending=False, method="min")
    counts = shown.groupby(["corporation_id", "questionnaire"])["score"].transform("size")
    table["rank"] = pd.Series(ranks.where(counts >= 3), index=shown.index).reindex(table.index).astype("Int64")
    table["ranked"] = pd.Series(counts.where(counts >= 3), index=shown.index).reindex(table.index).astype("Int64")
    table["others_n"] = table["others_n"].astype("Int64")
    return table[columns]


def _contractor_series(c: _Context) -> pd.DataFrame:
    """Quarterly own figures per contractor and the other contractors pooled (same rules)."""
    first = months_back(c.as_of, SERIES_MONTHS)
    results = respondent_results(c.dataset, c.rules, first_month=first, last_month=c.as_of)
    results = results.loc[results["aannemer"].notna()].copy()
    columns = [
        "corporation_id",
        "questionnaire",
        "aannemer",
        "period",
        "n",
        "score",
        "pct_satisfied",
        "others_n",
        "others_score",
    ]
    if results.empty:
        return pd.DataFrame(columns=columns)
    results["period"] = results["service_month"].str.slice(0, 4) + "-" + results["quarter"]
    keys = ["corporation_id", "questionnaire", "period"]
    per = (
        results.groupby([*keys, "aannemer"], observed=True)
        .agg(n=("mean", "size"), sum_=("mean", "sum"), satisfied_=("satisfied", "sum"))
        .reset_index()
    )
    pooled = (
        results.groupby(keys, observed=True)
        .agg(all_n=("mean", "size"), all_sum=("mean", "sum"), contractors=("aannemer", "nunique"))
        .reset_index()
    )
    table = per.merge(pooled, on=keys)
    table["score"] = np.where(table["n"] >= c.min_cell, table["sum_"] / table["n"], np.nan)
    table["pct_satisfied"] = np.where(table["n"] >= c.min_cell, 100.0 * table["satisfied_"] / table["n"], np.nan)
    others_n = table["all_n"] - table["n"]
    show = (table["contractors"] - 1 >= 2) & (others_n >= c.min_cell)
    table["others_n"] = others_n.where(show).astype("Int64")
    table["others_score"] = np.where(show, (table["all_sum"] - table["sum_"]) / others_n.clip(lower=1), np.nan)
    return table[columns]


#: name -> function of the run's shared context.
MONITOR_TABLES: dict[str, Callable[[_Context], pd.DataFrame]] = {
    "corporations": _corporations,
    "scores": _scores,
    "peers": _peers,
    "breakdowns": _breakdowns,
    "series": _series,
    "response": _response,
    "checkvraag": _checkvraag,
    "coverage": _coverage,
    "aedes": _aedes,
    "forecast": _forecast,
    "open_answers": _open_answers,
    "contractor_scores": _contractor_scores,
    "contractor_series": _contractor_series,
}


def compute_monitor_results(dataset: Dataset, rules: Rules, as_of: str) -> dict[str, pd.DataFrame]:
    """Every monitor table for the year to date ``as_of`` (all corporations)."""
    context = _Context(dataset, rules, as_of)
    return {name: function(context) for name, function in MONITOR_TABLES.items()}


@functools.lru_cache(maxsize=4)
def _rules(path: str | None, year: int) -> Rules:
    # A kept kernel makes hundreds of dashboards with the same rule set: read the YAML once.
    return load_rules(path, year)


class MonitorResults:
    """A corporation's (or one contractor's) view of the monitor results, for notebooks.

    Parameters
    ----------
    directory : the results folder written by ``kwh monitor``.
    corporation_id : the corporation whose slice :meth:`of` returns.
    """

    def __init__(self, directory: str | Path, corporation_id: str):
        self.directory = Path(directory)
        self.corporation_id = corporation_id
        # Read once per process and folder, as YearResults does: a kept kernel makes hundreds of
        # dashboards from one folder; the cache is checked against the folder's content here.
        self._loaded = _loaded(self.directory)
        self.meta = json.loads(self._loaded.stamp[0])
        self.as_of = str(self.meta["as_of"])
        self.year = int(self.as_of[:4])
        self.rules = _rules(self.meta.get("rules_path") or None, self.year)

    def of(self, name: str) -> pd.DataFrame:
        """The rows of table ``name`` that belong to this corporation (in table order; a new frame)."""
        tables = self._loaded.tables
        if name not in tables:
            tables[name] = pd.read_parquet(self.directory / f"{name}.parquet")
        positions = self._loaded.positions.get(name)
        if positions is None:
            positions = tables[name].groupby("corporation_id", sort=False, dropna=True).indices
            self._loaded.positions[name] = positions
        rows = positions.get(self.corporation_id, np.array([], dtype=np.intp))
        return tables[name].take(rows).reset_index(drop=True)

    @property
    def corporation(self) -> pd.Series:
        """This corporation's row of the corporations table (name, units, region …)."""
        rows = self.of("corporations")
        if rows.empty:
            raise KeyError(f"corporation {self.corporation_id!r} not in the monitor results")
        return rows.iloc[0]


def read_all(directory: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of a monitor results folder (tests, analysts)."""
    return load_results(Path(directory))
