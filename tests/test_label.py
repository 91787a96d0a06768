"""KWH-Kwaliteitslabel advice engine (docs/methodology.md §3): every criterion and state transition.

One synthetic national dataset holds a corporation per scenario (built once per module);
each test reads its corporation's row. Corporation ids name the scenario.
"""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from label_helpers import (
    LABEL,
    YEAR,
    label_corporation,
    quarter_months,
    respondent_means,
    same_grades,
    spread,
)
from typer.testing import CliRunner

from kwh_calc.calculations.decisions import (
    NEEDS_NO_LABEL,
    NEEDS_VALID_LABEL,
    PASSED_BY_DECISION,
    check_register,
    merge_label_history,
    register_to_label_history,
)
from kwh_calc.calculations.label import (
    ADVICE_NAMES,
    ADVICES,
    COMPONENT_FIELDS,
    label_advice,
    label_components,
    label_dates,
    label_state,
    outcome,
    possible_decisions,
)
from kwh_calc.cli import app
from kwh_calc.intake.dataset import write_dataset
from kwh_calc.intake.rules import load_rules

RULES = load_rules()
DECIDED = ADVICES[:5]


def low(n: int) -> list[list[int]]:
    """``n`` dissatisfied respondents (mean 5): fails both thresholds."""
    return same_grades(n, 5)


def scenarios() -> DatasetBuilder:
    b = DatasetBuilder(YEAR)
    # --- state machine
    label_corporation(b, "grant")
    label_corporation(b, "extend")
    b.label_history("extend", YEAR - 1, "toekennen", True, "2027-03-31")
    label_corporation(b, "not_grant", grades={"reparaties": same_grades(60, 6)})
    label_corporation(b, "not_extend", grades={"reparaties": same_grades(60, 6)})
    b.label_history("not_extend", YEAR - 2, "toekennen", True, "2026-03-31")
    b.label_history("not_extend", YEAR - 1, "verlengen", True, "2027-03-31")
    label_corporation(b, "not_extend_no_row", grades={"reparaties": same_grades(60, 6)})
    b.label_history("not_extend_no_row", YEAR - 2, "toekennen", True, "2026-03-31")
    label_corporation(b, "expire", grades={"reparaties": same_grades(60, 6)})
    b.label_history("expire", YEAR - 2, "toekennen", True, "2026-03-31")
    b.label_history("expire", YEAR - 1, "niet_verlengen", False, "2026-03-31")
    label_corporation(b, "lapsed")  # label ran out before the March decision
    b.label_history("lapsed", YEAR - 3, "toekennen", True, "2026-02-28")
    label_corporation(b, "valid_on_day")  # valid_until exactly Y+1-03-01
    b.label_history("valid_on_day", YEAR - 3, "toekennen", True, "2026-03-01")
    label_corporation(b, "own_year_row")  # a decision already recorded for Y is not input to Y
    b.label_history("own_year_row", YEAR, "toekennen", True, "2028-03-31")
    # --- low response: the CKV decides
    label_corporation(b, "nh_19", grades={"nieuwe_huurders": low(19)})
    label_corporation(b, "nh_20", grades={"nieuwe_huurders": low(20)})
    label_corporation(b, "vh_19", grades={"vertrokken_huurders": low(19)})
    label_corporation(b, "rep_49", grades={"reparaties": low(49)})
    label_corporation(b, "rep_50", grades={"reparaties": low(50)})
    label_corporation(b, "po_49", grades={"planmatig_onderhoud": low(49)})
    label_corporation(b, "po_50", grades={"planmatig_onderhoud": low(50)})
    label_corporation(b, "rep_49_valid", grades={"reparaties": low(49)})
    b.label_history("rep_49_valid", YEAR - 1, "toekennen", True, "2027-03-31")
    label_corporation(b, "few_but_good", grades={"reparaties": same_grades(10, 9)})
    label_corporation(b, "zero_vh", grades={"vertrokken_huurders": []})
    label_corporation(b, "no_onderhoud", onderhoud=False)
    label_corporation(b, "no_onderhoud_valid", onderhoud=False)
    b.label_history("no_onderhoud_valid", YEAR - 1, "toekennen", True, "2027-03-31")
    # --- coverage and Algemene waardering
    label_corporation(b, "gap_k3", quarters={"reparaties": [1, 2, 4]})
    label_corporation(b, "half_yearly", half_yearly=["vertrokken_huurders"])
    label_corporation(b, "no_aw", algemene_waardering=False)
    label_corporation(b, "gap_and_low", quarters={"nieuwe_huurders": [1, 2, 3]}, grades={"reparaties": low(10)})
    # --- exact thresholds
    label_corporation(b, "exact_7_0", grades={"reparaties": respondent_means([7] * 60)})
    label_corporation(b, "exact_85", grades={"nieuwe_huurders": respondent_means([9] * 17 + [5] * 3)})
    label_corporation(b, "score_6_96", grades={"reparaties": respondent_means([7] * 48 + [6] * 2)})
    label_corporation(b, "pct_84_5", grades={"reparaties": respondent_means([9] * 169 + [5] * 31)})
    # --- new members
    label_corporation(b, "route_a", member_since="2025-08-01", quarters={q: [3, 4] for q in LABEL[:3]})
    route_b(b, "route_b", member_since="2025-07-01", first=("2025-01-01", "2025-06-30"))
    route_b(b, "route_b_short", member_since="2025-10-01", first=("2025-04-01", "2025-09-30"))
    route_b(b, "long_not_new", member_since="2010-01-01", first=("2025-01-01", "2025-06-30"))
    label_corporation(b, "jan_first_gap", member_since="2025-01-01", quarters={"reparaties": [1, 2, 4]})
    label_corporation(
        b, "route_a_no_aw", member_since="2025-09-01", quarters={q: [4] for q in LABEL[:3]}, algemene_waardering=False
    )
    label_corporation(b, "future_member", member_since="2026-02-01", components=(), algemene_waardering=False)
    # --- mergers
    merger(b, "M", ["P1", "P2"], "2025-07-01", first_half={"P1": True, "P2": True})
    b.label_history("P1", YEAR - 1, "toekennen", True, "2027-03-31")
    merger(b, "N", ["Q1", "Q2"], "2025-07-01", first_half={"Q1": True, "Q2": False})
    label_corporation(b, "S1")
    label_corporation(b, "S2")
    b.corporation("LATER", member_since="2026-04-01", merged_from="S1;S2", merged_on="2026-04-01")
    return b


def route_b(b: DatasetBuilder, cid: str, *, member_since: str, first: tuple[str, str]) -> None:
    """A corporation whose first quarterly-component delivery spans ``first``, then quarterly."""
    b.corporation(cid, member_since=member_since)
    first_start, first_end = pd.Timestamp(first[0]), pd.Timestamp(first[1])
    for q in LABEL[:3]:
        b.delivery(cid, q, *first)
        start = first_end + pd.Timedelta(days=1)
        while start.year == YEAR:
            end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
            b.delivery(cid, q, start.date().isoformat(), end.date().isoformat())
            start = end + pd.Timedelta(days=1)
        spread(b, cid, q, same_grades(60, 8), [f"{YEAR}-{m:02d}" for m in range(first_start.month, 13)])
    b.delivery(cid, "planmatig_onderhoud", f"{YEAR}-01-01", f"{YEAR}-12-31")
    spread(b, cid, "planmatig_onderhoud", same_grades(60, 8), quarter_months([3, 4]))
    b.delivery(cid, "algemene_waardering", f"{YEAR}-11-01", f"{YEAR}-11-30")


def merger(b: DatasetBuilder, successor: str, predecessors: list[str], on: str, first_half: dict[str, bool]) -> None:
    """Predecessors researching up to the merger (respondents in Jan–Jun only when
    ``first_half``), the merged corporation from ``on``: quarterly deliveries throughout."""
    for p in predecessors:
        b.corporation(p)
        for q in LABEL[:3]:
            for k in (1, 2):
                b.delivery(p, q, *_quarter(k))
            if first_half[p]:
                spread(b, p, q, same_grades(15, 8), quarter_months([1, 2]))
        b.delivery(p, "planmatig_onderhoud", f"{YEAR}-01-01", f"{YEAR}-06-30")
        if first_half[p]:
            spread(b, p, "planmatig_onderhoud", same_grades(30, 8), quarter_months([1, 2]))
        b.delivery(p, "algemene_waardering", f"{YEAR}-03-01", f"{YEAR}-03-31")
    b.corporation(successor, member_since=on, merged_from=";".join(predecessors), merged_on=on)
    for q in LABEL[:3]:
        for k in (3, 4):
            b.delivery(successor, q, *_quarter(k))
        spread(b, successor, q, same_grades(30, 8), quarter_months([3, 4]))
    b.delivery(successor, "planmatig_onderhoud", f"{YEAR}-07-01", f"{YEAR}-12-31")
    spread(b, successor, "planmatig_onderhoud", same_grades(30, 8), quarter_months([3, 4]))


def _quarter(k: int) -> tuple[str, str]:
    start = pd.Timestamp(YEAR, 3 * k - 2, 1)
    return start.date().isoformat(), (start + pd.DateOffset(months=3) - pd.Timedelta(days=1)).date().isoformat()


@pytest.fixture(scope="module")
def builder() -> DatasetBuilder:
    return scenarios()


@pytest.fixture(scope="module")
def result(builder):
    return label_advice(builder.build(), RULES, YEAR)


@pytest.fixture(scope="module")
def advice(result) -> pd.DataFrame:
    return result.advice.set_index("corporation_id")


def row(advice: pd.DataFrame, cid: str) -> pd.Series:
    return advice.loc[cid]


# --------------------------------------------------------------------------- state machine


@pytest.mark.parametrize(
    ("passed", "valid", "previous", "expected"),
    [
        (True, False, None, "toekennen"),
        (True, False, False, "toekennen"),
        (True, True, None, "verlengen"),
        (True, True, False, "verlengen"),
        (True, True, True, "verlengen"),
        (False, False, None, "niet_toekennen"),
        (False, False, False, "niet_toekennen"),
        (False, True, True, "niet_verlengen"),
        (False, True, None, "niet_verlengen"),
        (False, True, False, "verloopt"),
    ],
)
def test_outcome_table(passed, valid, previous, expected):
    assert outcome(passed, valid, previous) == expected


def test_label_dates_from_rules():
    valid_at, granted = label_dates(RULES, 2025)
    assert valid_at == pd.Timestamp("2026-03-01")
    assert granted == pd.Timestamp("2028-03-31")


def test_grant(advice):
    r = row(advice, "grant")
    assert r["advice"] == "toekennen"
    assert r["criteria_met"]
    assert not r["label_valid"]
    assert r["valid_until_if_granted"] == pd.Timestamp("2028-03-31")
    assert "toekennen, geldig tot 31 maart 2028" in r["reasons"]
    assert pd.isna(r["previous_year_passed"])


def test_extend(advice):
    r = row(advice, "extend")
    assert r["advice"] == "verlengen"
    assert r["label_valid"]
    assert r["valid_until_before"] == pd.Timestamp("2027-03-31")
    assert "verlengen tot 31 maart 2028" in r["reasons"]


def test_not_grant(advice):
    r = row(advice, "not_grant")
    assert r["advice"] == "niet_toekennen"
    assert r["hard_fail"]
    assert not r["criteria_met"]
    assert "Reparaties: onderdeelscore 6,0 (grens 7,0) niet gehaald" in r["reasons"]
    assert not r["reparaties_meets"]
    assert r["nieuwe_huurders_meets"]


def test_not_extend(advice):
    r = row(advice, "not_extend")
    assert r["advice"] == "niet_verlengen"
    assert bool(r["previous_year_passed"])
    assert "het label blijft geldig tot 31 maart 2027" in r["reasons"]
    # no decision recorded on Y-1 counts as "not failed"
    assert row(advice, "not_extend_no_row")["advice"] == "niet_verlengen"


def test_expire_after_two_failing_years(advice):
    r = row(advice, "expire")
    assert r["advice"] == "verloopt"
    assert r["label_valid"]
    assert not bool(r["previous_year_passed"])
    assert "2 opeenvolgende onderzoeksjaren niet gehaald" in r["reasons"]


def test_validity_dates(advice):
    assert row(advice, "lapsed")["advice"] == "toekennen"  # valid_until 2026-02-28 < 2026-03-01
    assert row(advice, "valid_on_day")["advice"] == "verlengen"  # 2026-03-01 counts as valid
    assert row(advice, "own_year_row")["advice"] == "toekennen"


def test_label_state_fresh_ignores_history(builder):
    history = builder.build().label_history
    state = label_state(history, ["extend", "P1"], RULES, YEAR, fresh={"extend"}).set_index("corporation_id")
    assert not state.at["extend", "label_valid"]
    assert pd.isna(state.at["extend", "valid_until_before"])
    assert state.at["P1", "label_valid"]


# --------------------------------------------------------------------------- low response


@pytest.mark.parametrize(
    ("cid", "component", "expected"),
    [
        ("nh_19", "nieuwe_huurders", "ckv_beslist"),
        ("nh_20", "nieuwe_huurders", "niet_toekennen"),
        ("vh_19", "vertrokken_huurders", "ckv_beslist"),
        ("rep_49", "reparaties", "ckv_beslist"),
        ("rep_50", "reparaties", "niet_toekennen"),
        ("po_49", "planmatig_onderhoud", "ckv_beslist"),
        ("po_50", "planmatig_onderhoud", "niet_toekennen"),
    ],
)
def test_low_response_threshold(advice, cid, component, expected):
    r = row(advice, cid)
    assert r["advice"] == expected
    assert r[f"{component}_ckv_discretion"] == (expected == "ckv_beslist")
    assert not r[f"{component}_meets"]


def test_ckv_beslist_names_both_outcomes(advice):
    r = row(advice, "nh_19")
    assert (r["advice_if_counted"], r["advice_if_not_counted"]) == ("niet_toekennen", "toekennen")
    assert "bij 19 respondenten (minder dan 20): de CKV beslist of dit resultaat meetelt" in r["reasons"]
    assert "telt het resultaat mee, dan niet toekennen, telt het niet mee, dan toekennen" in r["reasons"]
    valid = row(advice, "rep_49_valid")
    assert (valid["advice_if_counted"], valid["advice_if_not_counted"]) == ("niet_verlengen", "verlengen")
    assert pd.isna(r["criteria_met"])


def test_low_response_that_meets_is_a_pass(advice):
    r = row(advice, "few_but_good")
    assert r["advice"] == "toekennen"
    assert r["reparaties_n"] == 10
    assert not r["reparaties_ckv_discretion"]


def test_zero_respondents_is_low_response(advice):
    r = row(advice, "zero_vh")
    assert r["advice"] == "ckv_beslist"
    assert r["vertrokken_huurders_n"] == 0
    assert r["vertrokken_huurders_ckv_discretion"]
    assert pd.isna(r["vertrokken_huurders_score"])
    assert "Vertrokken huurders: geen respondenten in 2025" in r["reasons"]


def test_no_onderhoud_delivery(advice):
    r = row(advice, "no_onderhoud")
    assert r["advice"] == "ckv_beslist"
    assert not r["planmatig_onderhoud_coverage"]
    assert r["planmatig_onderhoud_ckv_discretion"]
    assert "geen onderhoud aangeleverd in 2025" in r["reasons"]
    assert "geen respondenten" not in r["reasons"]  # one reason for the component, not two
    assert (
        row(advice, "no_onderhoud_valid")["advice_if_counted"],
        row(advice, "no_onderhoud_valid")["advice_if_not_counted"],
    ) == ("niet_verlengen", "verlengen")


# --------------------------------------------------------------------------- coverage, AW


def test_coverage_gap_in_one_quarter(advice, result):
    r = row(advice, "gap_k3")
    assert r["advice"] == "niet_toekennen"
    assert not r["reparaties_coverage"]
    assert r["reparaties_meets"]
    assert "Reparaties: niet ieder kwartaal onderzocht, geen aanlevering over hooguit 92 dagen in K3" in r["reasons"]
    detail = result.components.set_index(["corporation_id", "component"]).loc[("gap_k3", "reparaties")]
    assert (detail["K1"], detail["K2"], detail["K3"], detail["K4"]) == (1, 1, 0, 1)


def test_twice_yearly_delivery_fails_coverage(advice):
    r = row(advice, "half_yearly")
    assert r["advice"] == "niet_toekennen"
    assert not r["vertrokken_huurders_coverage"]
    assert "zoals halfjaarlijks" in r["reasons"]


def test_no_algemene_waardering(advice):
    r = row(advice, "no_aw")
    assert r["advice"] == "niet_toekennen"
    assert not r["aw_held"]
    assert "Algemene waardering niet gehouden in 2025" in r["reasons"]


def test_hard_fail_wins_over_discretion(advice):
    r = row(advice, "gap_and_low")
    assert r["advice"] == "niet_toekennen"
    assert r["ckv_discretion"]
    assert r["hard_fail"]


# --------------------------------------------------------------------------- exact thresholds


def test_exactly_7_0_and_85_meet(advice):
    r = row(advice, "exact_7_0")
    assert r["reparaties_score"] == 7.0
    assert r["reparaties_meets"]
    assert r["advice"] == "toekennen"
    r = row(advice, "exact_85")
    assert r["nieuwe_huurders_pct_satisfied"] == 85.0
    assert r["nieuwe_huurders_meets"]
    assert r["advice"] == "toekennen"


def test_6_96_fails_and_is_borderline(advice):
    r = row(advice, "score_6_96")
    assert r["reparaties_score"] == pytest.approx(6.96)
    assert not r["reparaties_meets"]
    assert r["reparaties_borderline"]
    assert r["borderline"]
    assert r["advice"] == "niet_toekennen"
    assert "Reparaties: onderdeelscore 7,0 (grens 7,0, grensgeval: onafgerond 6,96) niet gehaald" in r["reasons"]


def test_84_5_percent_fails_and_is_borderline(advice):
    r = row(advice, "pct_84_5")
    assert r["reparaties_pct_satisfied"] == 84.5
    assert not r["reparaties_meets"]
    assert r["reparaties_borderline"]
    assert "percentage tevreden 85% (grens 85%, grensgeval: onafgerond 84,5%) niet gehaald" in r["reasons"]


# --------------------------------------------------------------------------- new members


def test_new_member_route_a(advice):
    r = row(advice, "route_a")
    assert r["advice"] == "nog_niet_beoordeelbaar"
    assert r["special_case"] == "new_member_route_a"
    assert r["expected_presentation"] == "augustus 2026"
    assert "(augustus 2025 t/m juli 2026)" in r["reasons"]
    assert "route a" in r["reasons"]
    assert r["advice_if_counted"] == ""
    assert pd.isna(r["valid_until_if_granted"])


def test_new_member_route_b(advice):
    r = row(advice, "route_b")
    assert r["special_case"] == "new_member_route_b"
    assert r["advice"] == "toekennen"
    assert all(r[f"{q}_coverage"] for q in LABEL)
    assert "afgelopen 6 maanden (route b)" in r["reasons"]


def test_route_b_delivery_not_reaching_back_far_enough(advice):
    r = row(advice, "route_b_short")  # member since October, first delivery April-September: K1 open
    assert r["advice"] == "nog_niet_beoordeelbaar"
    assert r["special_case"] == "new_member_route_a"


def test_long_first_delivery_of_an_existing_member_fails(advice):
    r = row(advice, "long_not_new")
    assert r["special_case"] == ""
    assert r["advice"] == "niet_toekennen"
    assert not r["reparaties_coverage"]


def test_member_since_first_of_january_is_not_new(advice):
    r = row(advice, "jan_first_gap")
    assert r["special_case"] == ""
    assert r["advice"] == "niet_toekennen"


def test_not_assessable_takes_precedence(advice):
    r = row(advice, "route_a_no_aw")
    assert r["advice"] == "nog_niet_beoordeelbaar"
    assert not r["aw_held"]
    assert row(advice, "future_member")["advice"] == "nog_niet_beoordeelbaar"
    assert row(advice, "future_member")["special_case"] == "not_yet_member"


# --------------------------------------------------------------------------- mergers


def test_merger_with_first_half_results(advice):
    r = row(advice, "M")
    assert r["special_case"] == "merger"
    assert r["advice"] == "toekennen"
    assert not r["label_valid"]
    assert r["reparaties_n"] == 2 * 15 + 30
    assert r["planmatig_onderhoud_n"] == 2 * 30 + 30
    assert all(r[f"{q}_coverage"] for q in LABEL)
    assert r["aw_held"]
    assert "Fusie per 1 juli 2025 uit P1, P2" in r["reasons"]


def test_merger_without_first_half_results(advice):
    r = row(advice, "N")
    assert r["advice"] == "nog_niet_beoordeelbaar"
    assert r["special_case"] == "merger_first_half_missing"
    assert "geen respondenten bij Q2" in r["reasons"]
    assert r["expected_presentation"] == "juli 2026"


def test_merged_scores_are_pooled_and_compared_exactly():
    """Predecessors' respondents before the merger pool with the merged corporation's own, and the
    pooled onderdeelscore is compared exactly (docs/methodology.md §2.4 exactness, §3 mergers): respondent
    means 20/3 (three grades), 7 (one grade) and 22/3 (three grades), 60 each, give exactly 7,0;
    one 7,0 respondent less on a grade gives 6,998… (prints as 7,0, fails, grensgeval)."""

    def build(last_means_7_8_6: bool):
        b = DatasetBuilder(YEAR)
        b.corporation("PA")
        b.corporation("PB")
        b.corporation("MS", member_since="2025-07-01", merged_from="PA;PB", merged_on="2025-07-01")
        for q in LABEL:
            for p in ("PA", "PB"):
                b.delivery(p, q, *_quarter(1))
                b.delivery(p, q, *_quarter(2))
            b.delivery("MS", q, *_quarter(3))
            b.delivery("MS", q, *_quarter(4))
            b.respondents("PA", q, [[6, 7, 7]] * 60, month="2025-03")
            b.respondents("PB", q, [[7, None]] * 60, month="2025-02")
            b.respondents("MS", q, [[7, 8, 7]] * 59 + [[7, 8, 6] if last_means_7_8_6 else [7, 8, 7]], month="2025-08")
        b.delivery("PA", "algemene_waardering", "2025-03-01", "2025-03-31")
        return label_advice(b.build(), RULES, YEAR).advice.set_index("corporation_id").loc["MS"]

    exact = build(False)
    assert exact["special_case"] == "merger"
    assert exact["reparaties_n"] == 180
    assert exact["reparaties_meets"]
    assert not exact["reparaties_borderline"]
    assert exact["advice"] == "toekennen"
    below = build(True)
    assert not below["reparaties_meets"]
    assert below["reparaties_borderline"]
    assert below["advice"] == "niet_toekennen"
    assert "onderdeelscore 7,0 (grens 7,0, grensgeval: onafgerond 6,9981)" in below["reasons"]


def test_predecessors_merged_away_get_no_row(advice, result):
    assert not {"P1", "P2", "Q1", "Q2"} & set(advice.index)
    away = result.merged_away.set_index("corporation_id")
    assert set(away.index) == {"P1", "P2", "Q1", "Q2"}
    assert away.at["P1", "successor_id"] == "M"
    assert away.at["P1", "merged_on"] == pd.Timestamp("2025-07-01")


def test_merger_after_the_year(advice):
    assert row(advice, "S1")["advice"] == "toekennen"
    assert row(advice, "S2")["advice"] == "toekennen"
    r = row(advice, "LATER")
    assert r["advice"] == "nog_niet_beoordeelbaar"
    assert r["special_case"] == "not_yet_member"


def test_existing_corporation_absorbing_another_after_the_year_is_assessed_on_its_own():
    """A corporation that is a member in Y and absorbs another after Y is one of the merger's
    predecessors in Y: it gets its own advice (docs/methodology.md §3.10 mergers), not "nog niet beoordeelbaar"."""
    b = DatasetBuilder(YEAR)
    label_corporation(b, "ABSORBS", merged_from="ABSORBS;GONE", merged_on="2026-04-01")
    b.label_history("ABSORBS", YEAR - 1, "toekennen", True, "2027-03-31")
    label_corporation(b, "ABSORBS_B", merged_from="GONE_B", merged_on="2026-04-01")
    label_corporation(b, "GONE")
    label_corporation(b, "GONE_B")
    b.corporation("NEWCO", member_since="2026-04-01", merged_from="GONE;GONE_B", merged_on="2026-04-01")
    advice = label_advice(b.build(), RULES, YEAR).advice.set_index("corporation_id")
    assert advice.at["ABSORBS", "advice"] == "verlengen"
    assert advice.at["ABSORBS", "special_case"] == ""
    assert advice.at["ABSORBS_B", "advice"] == "toekennen"
    assert advice.at["ABSORBS_B", "special_case"] == ""
    assert advice.at["NEWCO", "advice"] == "nog_niet_beoordeelbaar"
    assert advice.at["NEWCO", "special_case"] == "not_yet_member"
    assert "Ontstaat pas door de fusie per 1 april 2026" in advice.at["NEWCO", "reasons"]


def test_label_history_from_before_a_merger_does_not_carry_over():
    """The merged corporation starts afresh (FAQ "Fusies"; docs/methodology.md §3.10 "Earlier label history of
    predecessors does not carry over"), also in the years after the merger year and when the
    merged corporation keeps the id of one of its predecessors: only its rows from the merger year
    on count."""
    b = DatasetBuilder(YEAR)
    # Absorbed OLD1 on 1 July Y-1; its own label of Y-2 was granted before the merger; the CKV
    # decided niet_toekennen on the merged corporation's Y-1.
    label_corporation(b, "ABS_PASS", merged_from="ABS_PASS;OLD1", merged_on=f"{YEAR - 1}-07-01")
    b.label_history("ABS_PASS", YEAR - 2, "toekennen", True, f"{YEAR + 1}-03-31")
    b.label_history("ABS_PASS", YEAR - 1, "niet_toekennen", False)
    label_corporation(
        b,
        "ABS_FAIL",
        merged_from="ABS_FAIL;OLD2",
        merged_on=f"{YEAR - 1}-07-01",
        grades={"reparaties": same_grades(60, 6)},
    )
    b.label_history("ABS_FAIL", YEAR - 2, "toekennen", True, f"{YEAR + 1}-03-31")
    b.label_history("ABS_FAIL", YEAR - 1, "niet_toekennen", False)
    # The merged corporation's own decision on the merger year does count.
    label_corporation(b, "ABS_OWN", merged_from="ABS_OWN;OLD3", merged_on=f"{YEAR - 1}-07-01")
    b.label_history("ABS_OWN", YEAR - 1, "toekennen", True, f"{YEAR + 2}-03-31")
    # A merger on 1 January Y: the decision on Y-1 (taken in March Y) judged the corporation before the merger.
    label_corporation(b, "JAN", merged_from="JAN;OLD4", merged_on=f"{YEAR}-01-01")
    b.label_history("JAN", YEAR - 1, "verlengen", True, f"{YEAR + 2}-03-31")
    for old in ("OLD1", "OLD2", "OLD3", "OLD4"):
        b.corporation(old)
    advice = label_advice(b.build(), RULES, YEAR).advice.set_index("corporation_id")
    assert advice.at["ABS_PASS", "advice"] == "toekennen"
    assert not advice.at["ABS_PASS", "label_valid"]
    assert advice.at["ABS_FAIL", "advice"] == "niet_toekennen"
    assert advice.at["ABS_OWN", "advice"] == "verlengen"
    assert advice.at["ABS_OWN", "valid_until_before"] == pd.Timestamp(f"{YEAR + 2}-03-31")
    assert advice.at["JAN", "advice"] == "toekennen"
    assert pd.isna(advice.at["JAN", "previous_year_passed"])


# --------------------------------------------------------------------------- tables


def test_advice_values_and_component_columns(result):
    table = result.advice
    assert table["advice"].isin(ADVICES).all()
    both = table.loc[table["advice"] == "ckv_beslist"]
    assert both["advice_if_counted"].isin(DECIDED).all()
    assert both["advice_if_not_counted"].isin(DECIDED).all()
    for q in label_components(RULES):
        for field in COMPONENT_FIELDS:
            assert f"{q}_{field}" in table.columns
    assert table["reasons"].str.len().gt(0).all()
    assert table["corporation_id"].is_unique


def test_component_detail(result):
    detail = result.components
    assert len(detail) == len(result.advice) * 4
    one = detail.set_index(["corporation_id", "component"]).loc[("nh_19", "nieuwe_huurders")]
    assert one["status"] == "CKV beslist"
    assert one["low_response"]
    assert one["min_respondents"] == 20
    assert one["score_display"] == "5,0"
    assert one["kind"] == "quarterly"
    assert set(result.coverage["quarter"]) == {"K1", "K2", "K3", "K4"}


# --------------------------------------------------------------------------- CLI

CONTRACT = [
    "corporation_id",
    "advice",
    "advice_if_counted",
    "advice_if_not_counted",
    "aw_held",
    "valid_until_before",
    "valid_until_if_granted",
    "previous_year_passed",
    "special_case",
    "reasons",
]


def test_cli_label(builder, tmp_path):
    data = write_dataset(builder.tables(), tmp_path / "data", fmt="csv")
    out = tmp_path / "advies.csv"
    details = tmp_path / "onderdelen.csv"
    result = CliRunner().invoke(
        app, ["label", str(data), "--year", str(YEAR), "--out", str(out), "--components", str(details)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, keep_default_na=False, na_values=[""])
    for column in CONTRACT + [f"{q}_{f}" for q in LABEL for f in COMPONENT_FIELDS]:
        assert column in table.columns
    assert table["advice"].isin(ADVICES).all()
    ckv = table.loc[table["advice"] == "ckv_beslist"]
    assert len(ckv)
    assert ckv["advice_if_counted"].isin(DECIDED).all()
    assert ckv["advice_if_not_counted"].isin(DECIDED).all()
    assert table["reparaties_meets"].dropna().isin([True, False]).all()
    row_ = table.set_index("corporation_id").loc["score_6_96"]
    assert row_["reparaties_score"] == pytest.approx(6.96)
    assert row_["reparaties_borderline"]
    assert row_["valid_until_if_granted"] == "2028-03-31"
    assert "P1" not in set(table["corporation_id"])
    summary = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.output.splitlines()
        if line.count("│") == 3
    }
    written = table["advice"].map(ADVICE_NAMES).value_counts()
    assert {name: int(summary[name].replace(".", "")) for name in written.index} == written.to_dict()
    assert details.exists()


def test_cli_label_refuses_bad_rules(builder, tmp_path):
    data = write_dataset(builder.tables(), tmp_path / "data", fmt="csv")
    bad = tmp_path / "rules.yml"
    bad.write_text("version: x\n")
    result = CliRunner().invoke(
        app, ["label", str(data), "--year", str(YEAR), "--out", str(tmp_path / "a.csv"), "--rules", str(bad)]
    )
    assert result.exit_code == 1
    assert f"Rule set {bad} refused" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "a.csv").exists()


def test_registry_functions_share_one_computation(builder):
    from kwh_calc.calculations.label import (
        advice_table,
        components_table,
        coverage_table,
        merged_away_table,
    )

    dataset = builder.build()
    advice = advice_table(dataset, RULES, YEAR)
    assert advice_table(dataset, RULES, YEAR) is advice
    assert len(components_table(dataset, RULES, YEAR)) == 4 * len(advice)
    assert set(coverage_table(dataset, RULES, YEAR)["corporation_id"]) == set(advice["corporation_id"])
    assert set(merged_away_table(dataset, RULES, YEAR)["corporation_id"]) == {"P1", "P2", "Q1", "Q2"}


# --------------------------------------------------------------------------- the state machine over years


@settings(max_examples=60, deadline=None)
@given(years=st.lists(st.booleans(), min_size=1, max_size=9), has_label=st.booleans())
def test_the_label_over_years_follows_the_state_machine(years, has_label):
    """docs/methodology.md §3.7, §3.8, §3.11: year after year the CKV follows the advice and the
    register becomes next year's label_history (decisions.register_to_label_history). Then:
    a label is valid at a decision exactly when one of the last ``validity_years`` years
    passed; a passing year grants or extends; it expires only after two consecutive failing
    years; the advice is always a decision the register accepts without a reason."""
    first = 2018
    validity = RULES.label.validity_years
    history = pd.DataFrame(
        {
            "corporation_id": pd.Series(["C1"] if has_label else [], dtype=object),
            "research_year": pd.Series([first - 1] if has_label else [], dtype="int64"),
            "decision": pd.Series(["toekennen"] if has_label else [], dtype=object),
            "passed": pd.Series([True] if has_label else [], dtype=bool),
            "valid_until": pd.Series([label_dates(RULES, first - 1)[1]] if has_label else [], dtype="datetime64[ns]"),
        }
    )
    passed_in = {first - 1: True} if has_label else {}
    for year, passed in enumerate(years, start=first):
        state = label_state(history, ["C1"], RULES, year).iloc[0]
        valid, previous = bool(state["label_valid"]), state["previous_year_passed"]
        assert valid == any(passed_in.get(year - k, False) for k in range(1, validity + 1))
        assert (pd.isna(previous) and year - 1 not in passed_in) or previous == passed_in[year - 1]
        decision = outcome(passed, valid, None if pd.isna(previous) else bool(previous))
        assert decision in possible_decisions(valid, None if pd.isna(previous) else bool(previous))
        assert PASSED_BY_DECISION[decision] == passed
        assert decision in (NEEDS_VALID_LABEL if valid else NEEDS_NO_LABEL)
        assert (decision == "verloopt") == (valid and not passed and passed_in.get(year - 1) is False)
        register = pd.DataFrame(
            {
                "corporation_id": ["C1"],
                "research_year": [year],
                "decision": [decision],
                "passed": [passed],
                "valid_until": [pd.NaT],
                "reason": [pd.NA],
            }
        )
        advice = pd.DataFrame(
            {
                "corporation_id": ["C1"],
                "advice": [decision],
                "label_valid": [valid],
                "valid_until_before": [state["valid_until_before"]],
            }
        )
        assert check_register(register, advice) == ([], [])
        history = merge_label_history(history, register_to_label_history(register, RULES, year, advice))
        passed_in[year] = passed
