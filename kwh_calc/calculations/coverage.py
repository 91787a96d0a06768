"""Quarterly coverage and Algemene waardering held, per corporation × research year.

Label criteria 2 and 3 of docs/methodology.md §3.3 (FAQ section 5, "voorwaarden"):

- **Coverage** of ``nieuwe_huurders``, ``vertrokken_huurders``, ``reparaties`` (the rule set's
  ``label.quarterly_components``): "research at least every 3 months with tenant data over the
  past 3 months". **Decision:** holds when every calendar quarter of Y overlaps the data
  period of at least one delivery of that questionnaire whose data period is at most
  ``label.max_delivery_period_days`` (92) long (``period_end − period_start``, in days).
  Twice-yearly deliveries therefore do not count; the one exception is a new member's first
  delivery reaching back ``label.new_member_lookback_months`` (6) months (route b).
- ``planmatig_onderhoud`` (``label.yearly_components``): at least one delivery whose data
  period overlaps Y. Without one the corporation is reported "geen onderhoud aangeleverd" and
  the CKV decides (the label engine, :mod:`kwh_calc.calculations.label`, makes that call).
- **Algemene waardering held** (``label.required_held``): at least one delivery whose data
  period overlaps Y (its result does not count).

Mergers (docs/methodology.md §3.10, **Decision**): a merged corporation's year-Y data are its
predecessors' data from before ``merged_on`` plus its own. :func:`attribute_to_successors`
re-attributes predecessor rows (deliveries by ``period_start``, respondents by
``service_month``) to the successor; every function here works on attributed deliveries, so a
merged corporation's coverage pools its predecessors' deliveries before the merger.

New members (**Decision**): a corporation is a *new member in Y* when ``member_since`` lies
after 1 January Y and on or before 31 December Y (a member since 1 January is a member for
the whole year) and it is not the successor of a merger in Y. Only a new member's first
delivery of a questionnaire (earliest ``period_start``) may use the route-b exception.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules

__all__ = [
    "QUARTERS",
    "assessed_corporations",
    "attribute_to_successors",
    "aw_held",
    "coverage_matrix",
    "coverage_pivot",
    "coverage_summary",
    "in_year",
    "mergers",
    "new_members",
    "quarters",
    "year_bounds",
    "year_deliveries",
]

QUARTERS = ("K1", "K2", "K3", "K4")


# --------------------------------------------------------------------------- calendar


def year_bounds(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of research year ``year`` (1 January, 31 December)."""
    return pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)


def quarters(year: int) -> pd.DataFrame:
    """The calendar quarters of ``year``: ``quarter`` (``K1``–``K4``), ``start``, ``end`` (inclusive)."""
    starts = [pd.Timestamp(year, 3 * k + 1, 1) for k in range(4)]
    ends = [s + pd.DateOffset(months=3) - pd.Timedelta(days=1) for s in starts]
    return pd.DataFrame({"quarter": QUARTERS, "start": starts, "end": ends})


def in_year(dates: pd.Series, year: int, *, include_first_day: bool = False) -> pd.Series:
    """Whether each date lies inside ``year``: after 1 January (or on it when
    ``include_first_day``) and on or before 31 December. Missing dates give False.

    Mid-year events (new membership, mergers) use the default: an event on 1 January means the
    corporation stands for the whole year (docs/methodology.md §3.9 speaks of members "starting mid-year").
    """
    first, last = year_bounds(year)
    after = dates >= first if include_first_day else dates > first
    return (after & (dates <= last)).fillna(False).astype(bool)


# --------------------------------------------------------------------------- mergers


def mergers(corporations: pd.DataFrame) -> pd.DataFrame:
    """One row per predecessor: ``predecessor_id, successor_id, merged_on`` (all years).

    A corporation listing itself in ``merged_from`` (an absorbing merger) is not its own
    predecessor.
    """
    merged = corporations.loc[corporations["merged_from"].notna(), ["corporation_id", "merged_from", "merged_on"]]
    rows = []
    for successor, sources, on in merged.itertuples(index=False):
        for predecessor in str(sources).split(";"):
            predecessor = predecessor.strip()
            if predecessor and predecessor != successor:
                rows.append((predecessor, successor, on))
    table = pd.DataFrame(rows, columns=["predecessor_id", "successor_id", "merged_on"])
    table["merged_on"] = pd.to_datetime(table["merged_on"])
    return table.drop_duplicates("predecessor_id").reset_index(drop=True)


def attribute_to_successors(
    frame: pd.DataFrame,
    corporations: pd.DataFrame,
    *,
    year: int,
    date_column: str | None = None,
    month_column: str | None = None,
) -> pd.DataFrame:
    """Re-attribute predecessor rows dated before the merger to the merged corporation.

    Parameters
    ----------
    frame : rows with ``corporation_id`` (deliveries, respondents …).
    corporations : the corporations table (``merged_from``, ``merged_on``).
    year : research year: only mergers on or before 31 December ``year`` apply (a
        predecessor of a later merger still stands on its own in ``year``).
    date_column : date that decides "before the merger" (deliveries: ``period_start``), or
    month_column : a ``YYYY-MM`` column (respondents: ``service_month``); the month counts as
        before the merger when its first day lies before ``merged_on``.

    Returns
    -------
    DataFrame
        A copy with ``corporation_id`` re-attributed and ``source_corporation_id`` (the
        corporation that delivered the row). Chains of mergers are followed. docs/methodology.md §3.10
        **Decision**: a merged corporation's year-Y results are its predecessors' respondents
        with service months before ``merged_on`` plus its own after.
    """
    if (date_column is None) == (month_column is None):
        raise ValueError("give exactly one of date_column and month_column")
    out = frame.copy()
    out["source_corporation_id"] = out["corporation_id"]
    table = mergers(corporations)
    table = table.loc[table["merged_on"] <= year_bounds(year)[1]]
    if table.empty or out.empty:
        return out
    when = out[date_column] if date_column else pd.to_datetime(out[month_column].astype(str) + "-01")
    successor = table.set_index("predecessor_id")["successor_id"]
    merged_on = table.set_index("predecessor_id")["merged_on"]
    for _ in range(len(table)):  # follow chains A -> B -> C
        target = out["corporation_id"].map(successor)
        move = target.notna() & (when < out["corporation_id"].map(merged_on)).fillna(False)
        if not move.any():
            break
        out.loc[move, "corporation_id"] = target[move]
    return out


def assessed_corporations(corporations: pd.DataFrame, year: int) -> pd.DataFrame:
    """The corporations that stand on their own in year ``year``: all except predecessors that
    merged away on or before 31 December ``year`` (docs/methodology.md §3.10: they get no advice of their own)."""
    table = mergers(corporations)
    _, last = year_bounds(year)
    gone = set(table.loc[table["merged_on"] <= last, "predecessor_id"])
    return corporations.loc[~corporations["corporation_id"].isin(gone)].reset_index(drop=True)


def new_members(corporations: pd.DataFrame, year: int) -> pd.Series:
    """Whether each corporation is a new member in ``year`` (boolean, aligned with the table).

    ``member_since`` after 1 January and on or before 31 December of ``year``, and not the
    successor of a merger inside the year (mergers have their own rule, docs/methodology.md §3.9).
    """
    merger_in_year = corporations["merged_from"].notna() & in_year(corporations["merged_on"], year)
    return in_year(corporations["member_since"], year) & ~merger_in_year


# --------------------------------------------------------------------------- deliveries


def _components(rules: Rules) -> list[str]:
    label = rules.label
    return [*label.quarterly_components, *label.yearly_components, label.required_held]


def year_deliveries(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """The deliveries whose data period overlaps ``year``, attributed for mergers and annotated.

    Returns
    -------
    DataFrame
        The deliveries columns (``corporation_id`` re-attributed, see
        :func:`attribute_to_successors`) plus ``period_days`` (``period_end − period_start``
        in days), ``first_delivery`` (the corporation's earliest delivery of that
        questionnaire in the whole dataset), ``route_b`` (longer than
        ``max_delivery_period_days`` but counts as a new member's first delivery reaching
        back at most ``new_member_lookback_months`` months) and ``counts_quarterly`` (counts
        for quarterly coverage: short enough, or ``route_b``).
    """
    label = rules.label
    corporations = dataset.corporations
    deliveries = attribute_to_successors(dataset.deliveries, corporations, year=year, date_column="period_start")
    deliveries = deliveries.sort_values(
        ["corporation_id", "questionnaire", "period_start", "delivered_on", "delivery_id"], kind="stable"
    )
    deliveries["period_days"] = (deliveries["period_end"] - deliveries["period_start"]).dt.days.astype("int64")
    deliveries["first_delivery"] = ~deliveries.duplicated(["corporation_id", "questionnaire"])
    short = deliveries["period_days"] <= label.max_delivery_period_days
    new = set(corporations.loc[new_members(corporations, year).to_numpy(), "corporation_id"])
    candidate = deliveries["first_delivery"] & ~short & deliveries["corporation_id"].isin(new)
    lookback = pd.DateOffset(months=label.new_member_lookback_months)
    reaches = pd.Series(False, index=deliveries.index)
    for index in deliveries.index[candidate.to_numpy()]:  # a handful of rows at most
        end = deliveries.at[index, "period_end"]
        reaches[index] = deliveries.at[index, "period_start"] >= end + pd.Timedelta(days=1) - lookback
    deliveries["route_b"] = candidate & reaches
    deliveries["counts_quarterly"] = short | deliveries["route_b"]
    first, last = year_bounds(year)
    overlaps = (deliveries["period_start"] <= last) & (deliveries["period_end"] >= first)
    return deliveries.loc[overlaps.to_numpy()].reset_index(drop=True)


def coverage_matrix(dataset: Dataset, rules: Rules, year: int, deliveries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The quarterly coverage matrix: corporation × component × quarter (long table).

    Components: the label's quarterly and yearly components and the required-held one
    (Algemene waardering), in that order; corporations: :func:`assessed_corporations`.

    Returns
    -------
    DataFrame
        ``corporation_id, questionnaire, quarter`` (``K1``–``K4``), ``n_deliveries``
        (deliveries whose data period overlaps the quarter), ``n_counting`` (of those, the
        ones that count: for quarterly components at most ``max_delivery_period_days`` long
        or a route-b first delivery; for the others every one) and ``covered``
        (``n_counting > 0``).
    """
    deliveries = year_deliveries(dataset, rules, year) if deliveries is None else deliveries
    components = _components(rules)
    corporation_ids = assessed_corporations(dataset.corporations, year)["corporation_id"].tolist()
    q = quarters(year)
    starts = deliveries["period_start"].to_numpy()[:, None]
    ends = deliveries["period_end"].to_numpy()[:, None]
    overlap = (starts <= q["end"].to_numpy()[None, :]) & (ends >= q["start"].to_numpy()[None, :])
    counts = deliveries["counts_quarterly"] | ~deliveries["questionnaire"].isin(rules.label.quarterly_components)
    counting = overlap & counts.to_numpy(dtype=bool)[:, None]
    keys = [deliveries["corporation_id"].astype(object), deliveries["questionnaire"].astype(object)]
    frames = []
    for k, quarter in enumerate(QUARTERS):
        per = pd.DataFrame({"n_deliveries": overlap[:, k].astype(int), "n_counting": counting[:, k].astype(int)})
        grouped = per.groupby(keys).sum() if len(per) else per.iloc[:0]
        frames.append(grouped.assign(quarter=quarter))
    full = pd.MultiIndex.from_product(
        [corporation_ids, components, QUARTERS], names=["corporation_id", "questionnaire", "quarter"]
    )
    if len(deliveries):
        stacked = pd.concat(frames)
        stacked.index.names = ["corporation_id", "questionnaire"]
        stacked = stacked.set_index("quarter", append=True)
        matrix = stacked.reindex(full, fill_value=0).reset_index()
    else:
        matrix = full.to_frame(index=False).assign(n_deliveries=0, n_counting=0)
    matrix[["n_deliveries", "n_counting"]] = matrix[["n_deliveries", "n_counting"]].astype("int64")
    matrix["covered"] = matrix["n_counting"] > 0
    return matrix


def coverage_summary(dataset: Dataset, rules: Rules, year: int, deliveries: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coverage per corporation × component for year ``year`` (criteria 2 and 3).

    Returns
    -------
    DataFrame
        ``corporation_id, questionnaire, kind`` (``quarterly`` / ``yearly`` / ``held``),
        ``n_deliveries`` (deliveries overlapping the year), ``covered`` (quarterly: every
        quarter covered; yearly and held: at least one delivery overlapping the year),
        ``quarters_missing`` (quarters without a counting delivery, e.g. ``"K2, K3"``),
        ``quarters_long_only`` (quarters with deliveries, none of which counts: e.g.
        half-yearly deliveries), ``route_b`` (a route-b first delivery counts), and the
        per-quarter ``n_counting`` of the matrix as ``K1``–``K4``.
    """
    deliveries = year_deliveries(dataset, rules, year) if deliveries is None else deliveries
    matrix = coverage_matrix(dataset, rules, year, deliveries)
    label = rules.label
    kinds = {
        **dict.fromkeys(label.quarterly_components, "quarterly"),
        **dict.fromkeys(label.yearly_components, "yearly"),
        label.required_held: "held",
    }
    per_quarter = matrix.pivot_table(
        index=["corporation_id", "questionnaire"], columns="quarter", values="n_counting", aggfunc="sum"
    ).reindex(columns=list(QUARTERS))
    keys = ["corporation_id", "questionnaire"]
    summary = per_quarter.reset_index()[keys]
    summary["kind"] = summary["questionnaire"].map(kinds)
    counts = deliveries.groupby(keys).size().rename("n_deliveries")
    route_b = deliveries.groupby(keys)["route_b"].any().rename("route_b")
    summary = summary.join(counts, on=keys).join(route_b, on=keys)
    summary["n_deliveries"] = summary["n_deliveries"].fillna(0).astype("int64")
    summary["route_b"] = summary["route_b"].fillna(False).astype(bool) & (summary["kind"] == "quarterly")
    indexed = matrix.set_index(keys)
    missing = indexed.loc[~indexed["covered"], "quarter"].groupby(level=keys).agg(", ".join)
    long_only = (
        indexed.loc[(indexed["n_deliveries"] > 0) & (indexed["n_counting"] == 0), "quarter"]
        .groupby(level=keys)
        .agg(", ".join)
    )
    summary = summary.join(missing.rename("quarters_missing"), on=keys).join(
        long_only.rename("quarters_long_only"), on=keys
    )
    quarterly = summary["kind"] == "quarterly"
    summary["quarters_missing"] = summary["quarters_missing"].where(quarterly, None).fillna("")
    summary["quarters_long_only"] = summary["quarters_long_only"].where(quarterly, None).fillna("")
    summary["covered"] = np.where(quarterly, summary["quarters_missing"] == "", summary["n_deliveries"] > 0)
    summary = summary.join(per_quarter.astype("int64"), on=keys)
    columns = [*keys, "kind", "n_deliveries", "covered", "quarters_missing", "quarters_long_only", "route_b", *QUARTERS]
    order = {q: i for i, q in enumerate(_components(rules))}
    summary = summary.assign(_order=summary["questionnaire"].map(order)).sort_values(
        ["corporation_id", "_order"], kind="stable"
    )
    return summary[columns].reset_index(drop=True)


def aw_held(dataset: Dataset, rules: Rules, year: int, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Whether Algemene waardering was held in ``year`` (criterion 3), per corporation.

    **Decision** (docs/methodology.md §3.4): held = at least one ``algemene_waardering`` delivery whose
    data period overlaps the research year. Returns ``corporation_id, aw_held, aw_deliveries``.
    """
    summary = coverage_summary(dataset, rules, year) if summary is None else summary
    rows = summary.loc[summary["questionnaire"] == rules.label.required_held]
    return pd.DataFrame(
        {
            "corporation_id": rows["corporation_id"].to_numpy(),
            "aw_held": rows["covered"].to_numpy(dtype=bool),
            "aw_deliveries": rows["n_deliveries"].to_numpy(dtype="int64"),
        }
    )


def coverage_pivot(matrix: pd.DataFrame, corporation_id: str, value: str = "n_counting") -> pd.DataFrame:
    """One corporation's coverage matrix as quarters (rows) × components (columns).

    ``value``: ``n_counting`` (deliveries that count, the default), ``n_deliveries`` or
    ``covered``. Component order follows the matrix.
    """
    mine = matrix.loc[matrix["corporation_id"] == corporation_id]
    components = list(dict.fromkeys(mine["questionnaire"]))
    return mine.pivot(index="quarter", columns="questionnaire", values=value).reindex(
        index=list(QUARTERS), columns=components
    )
