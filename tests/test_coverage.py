"""Quarterly coverage, Algemene waardering held, mergers and new members (docs/methodology.md §3.3)."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder
from label_helpers import YEAR

from kwh_calc.calculations.coverage import (
    QUARTERS,
    assessed_corporations,
    attribute_to_successors,
    aw_held,
    coverage_matrix,
    coverage_pivot,
    coverage_summary,
    mergers,
    new_members,
    quarters,
    year_deliveries,
)
from kwh_calc.intake.rules import load_rules

RULES = load_rules()


@pytest.fixture(scope="module")
def dataset():
    b = DatasetBuilder(YEAR)
    for cid in (
        "quarterly",
        "monthly",
        "gap",
        "days_92",
        "days_93",
        "half",
        "straddle",
        "aw_prev",
        "aw_dec_jan",
        "onderhoud_prev",
        "nothing",
    ):
        b.corporation(cid)
    b.corporation("new_b", member_since="2025-07-01")
    b.corporation("new_b7", member_since="2025-07-01")
    for k in (1, 2, 3, 4):
        start = pd.Timestamp(YEAR, 3 * k - 2, 1)
        end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
        b.delivery("quarterly", "reparaties", start.date().isoformat(), end.date().isoformat())
        if k != 3:
            b.delivery("gap", "reparaties", start.date().isoformat(), end.date().isoformat())
    for m in range(1, 13):
        start = pd.Timestamp(YEAR, m, 1)
        b.delivery(
            "monthly", "nieuwe_huurders", start.date().isoformat(), (start + pd.offsets.MonthEnd(0)).date().isoformat()
        )
    # 92 days: 1 Jan - 3 Apr (counts, covers K1 and K2); 93 days: 1 Jul - 2 Oct (does not)
    b.delivery("days_92", "reparaties", "2025-01-01", "2025-04-03")
    b.delivery("days_93", "reparaties", "2025-07-01", "2025-10-02")
    b.delivery("half", "vertrokken_huurders", "2025-01-01", "2025-06-30")
    b.delivery("half", "vertrokken_huurders", "2025-07-01", "2025-12-31")
    # one delivery straddling K1/K2 (15 Feb - 14 May) and one K3/K4 (15 Aug - 14 Nov): all quarters overlap
    b.delivery("straddle", "reparaties", "2025-02-15", "2025-05-14")
    b.delivery("straddle", "reparaties", "2025-08-15", "2025-11-14")
    b.delivery("aw_prev", "algemene_waardering", "2024-11-01", "2024-11-30")
    b.delivery("aw_dec_jan", "algemene_waardering", "2024-12-15", "2025-01-15")
    b.delivery("onderhoud_prev", "planmatig_onderhoud", "2024-01-01", "2024-12-31")
    # new member, route b: first delivery six months back, then quarterly; a later long one does not count
    b.delivery("new_b", "reparaties", "2025-01-01", "2025-06-30")
    b.delivery("new_b", "reparaties", "2025-07-01", "2025-09-30")
    b.delivery("new_b", "reparaties", "2025-10-01", "2025-12-31")
    b.delivery("new_b", "nieuwe_huurders", "2025-01-01", "2025-03-31")
    b.delivery("new_b", "nieuwe_huurders", "2025-04-01", "2025-12-31")  # not the first: too long
    b.delivery("new_b7", "reparaties", "2024-12-01", "2025-06-30")  # seven months: too far back
    return b.build()


@pytest.fixture(scope="module")
def summary(dataset):
    return coverage_summary(dataset, RULES, YEAR).set_index(["corporation_id", "questionnaire"])


def test_quarters():
    q = quarters(2025)
    assert q["quarter"].tolist() == list(QUARTERS)
    assert q["start"].tolist()[1] == pd.Timestamp("2025-04-01")
    assert q["end"].tolist()[3] == pd.Timestamp("2025-12-31")


def test_quarterly_and_monthly_cover(summary):
    assert summary.loc[("quarterly", "reparaties"), "covered"]
    assert summary.loc[("monthly", "nieuwe_huurders"), "covered"]
    assert summary.loc[("monthly", "nieuwe_huurders"), "K2"] == 3


def test_gap_in_one_quarter(summary):
    gap = summary.loc[("gap", "reparaties")]
    assert not gap["covered"]
    assert gap["quarters_missing"] == "K3"
    assert gap["quarters_long_only"] == ""
    assert (gap["K1"], gap["K2"], gap["K3"], gap["K4"]) == (1, 1, 0, 1)


def test_period_length_limit_is_inclusive(summary, dataset):
    deliveries = year_deliveries(dataset, RULES, YEAR).set_index("corporation_id")
    assert deliveries.at["days_92", "period_days"] == 92
    assert deliveries.at["days_92", "counts_quarterly"]
    assert deliveries.at["days_93", "period_days"] == 93
    assert not deliveries.at["days_93", "counts_quarterly"]
    assert summary.loc[("days_92", "reparaties"), "quarters_missing"] == "K3, K4"
    assert summary.loc[("days_93", "reparaties"), "quarters_long_only"] == "K3, K4"


def test_twice_yearly_does_not_cover(summary):
    half = summary.loc[("half", "vertrokken_huurders")]
    assert not half["covered"]
    assert half["n_deliveries"] == 2
    assert half["quarters_missing"] == "K1, K2, K3, K4"
    assert half["quarters_long_only"] == "K1, K2, K3, K4"


def test_overlap_is_enough(summary):
    assert summary.loc[("straddle", "reparaties"), "covered"]


def test_route_b_first_delivery(summary, dataset):
    assert summary.loc[("new_b", "reparaties"), "covered"]
    assert summary.loc[("new_b", "reparaties"), "route_b"]
    nh = summary.loc[("new_b", "nieuwe_huurders")]
    assert not nh["covered"]
    assert nh["quarters_missing"] == "K2, K3, K4"
    assert not summary.loc[("new_b7", "reparaties"), "route_b"]
    assert summary.loc[("new_b7", "reparaties"), "quarters_missing"] == "K1, K2, K3, K4"


def test_algemene_waardering_held(dataset, summary):
    held = aw_held(dataset, RULES, YEAR).set_index("corporation_id")
    assert not held.at["aw_prev", "aw_held"]
    assert held.at["aw_dec_jan", "aw_held"]
    assert held.at["aw_dec_jan", "aw_deliveries"] == 1
    assert not held.at["nothing", "aw_held"]
    assert summary.loc[("aw_dec_jan", "algemene_waardering"), "kind"] == "held"


def test_onderhoud_needs_a_delivery_in_the_year(summary):
    assert not summary.loc[("onderhoud_prev", "planmatig_onderhoud"), "covered"]
    assert summary.loc[("onderhoud_prev", "planmatig_onderhoud"), "kind"] == "yearly"


def test_matrix_shape_and_pivot(dataset):
    matrix = coverage_matrix(dataset, RULES, YEAR)
    n_corps = len(dataset.corporations)
    assert len(matrix) == n_corps * 5 * 4
    assert (matrix["n_counting"] <= matrix["n_deliveries"]).all()
    pivot = coverage_pivot(matrix, "half")
    assert list(pivot.index) == list(QUARTERS)
    assert list(pivot.columns) == [
        "nieuwe_huurders",
        "vertrokken_huurders",
        "reparaties",
        "planmatig_onderhoud",
        "algemene_waardering",
    ]
    assert pivot["vertrokken_huurders"].tolist() == [0, 0, 0, 0]
    assert coverage_pivot(matrix, "half", "n_deliveries")["vertrokken_huurders"].tolist() == [1, 1, 1, 1]
    aw = coverage_pivot(matrix, "aw_dec_jan", "covered")["algemene_waardering"].tolist()
    assert aw == [True, False, False, False]


# --------------------------------------------------------------------------- members and mergers


def corporations(*rows: dict) -> pd.DataFrame:
    base = {"merged_from": None, "merged_on": None, "member_since": "2010-01-01"}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for column in ("merged_on", "member_since"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_new_members():
    corps = corporations(
        {"corporation_id": "old"},
        {"corporation_id": "jan1", "member_since": "2025-01-01"},
        {"corporation_id": "mid", "member_since": "2025-06-15"},
        {"corporation_id": "dec31", "member_since": "2025-12-31"},
        {"corporation_id": "next", "member_since": "2026-01-01"},
        {"corporation_id": "merged", "member_since": "2025-07-01", "merged_from": "old", "merged_on": "2025-07-01"},
    )
    assert new_members(corps, 2025).tolist() == [False, False, True, True, False, False]


def test_attribution_to_successors():
    corps = corporations(
        {"corporation_id": "A"},
        {"corporation_id": "B"},
        {"corporation_id": "AB", "merged_from": "A;B", "merged_on": "2025-07-01"},
        {"corporation_id": "ABC", "merged_from": "AB;C", "merged_on": "2025-10-01"},
        {"corporation_id": "C"},
        {"corporation_id": "X"},
        {"corporation_id": "XY", "merged_from": "X", "merged_on": "2026-04-01"},
    )
    rows = pd.DataFrame(
        {
            "corporation_id": ["A", "A", "B", "AB", "C", "X"],
            "service_month": ["2025-06", "2025-07", "2025-01", "2025-08", "2025-09", "2025-05"],
        }
    )
    out = attribute_to_successors(rows, corps, year=2025, month_column="service_month")
    assert out["corporation_id"].tolist() == ["ABC", "A", "ABC", "ABC", "ABC", "X"]
    assert out["source_corporation_id"].tolist() == rows["corporation_id"].tolist()
    later = attribute_to_successors(rows, corps, year=2026, month_column="service_month")
    assert later["corporation_id"].iloc[-1] == "XY"
    assert set(mergers(corps)["predecessor_id"]) == {"A", "B", "AB", "C", "X"}
    assert set(assessed_corporations(corps, 2025)["corporation_id"]) == {"ABC", "X", "XY"}
    with pytest.raises(ValueError, match="give exactly one of date_column and month_column"):
        attribute_to_successors(rows, corps, year=2025)


def test_merged_corporation_pools_predecessor_deliveries():
    b = DatasetBuilder(YEAR)
    b.corporation("P1")
    b.corporation("P2")
    b.corporation("M", member_since="2025-07-01", merged_from="P1;P2", merged_on="2025-07-01")
    b.delivery("P1", "reparaties", "2025-01-01", "2025-03-31")
    b.delivery("P2", "reparaties", "2025-04-01", "2025-06-30")
    b.delivery("M", "reparaties", "2025-07-01", "2025-09-30")
    b.delivery("M", "reparaties", "2025-10-01", "2025-12-31")
    summary = coverage_summary(b.build(), RULES, YEAR).set_index(["corporation_id", "questionnaire"])
    assert summary.loc[("M", "reparaties"), "covered"]
    assert summary.loc[("M", "reparaties"), "n_deliveries"] == 4
    assert "P1" not in summary.index.get_level_values(0)
