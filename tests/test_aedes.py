"""Aedes-benchmark Huurdersoordeel (docs/methodology.md §4): period, freeze, letters, overall letter."""

from __future__ import annotations

import itertools
import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from kwh_calc.calculations.aedes import (
    GRADE_DECIMALS,
    aedes_results,
    aedes_trend,
    benchmark_period,
    benchmark_year_at,
    corporation_position,
    letter_for_grade,
    national_distribution,
    national_summary,
    near_boundary,
    next_letter,
    overall_letter,
    overall_points,
    round_grade,
    subscore_table,
    to_csv_frame,
    what_changes_letter,
)
from kwh_calc.intake.dataset import from_tables
from kwh_calc.intake.rules import QUESTIONNAIRES, load_rules

RULES = load_rules()
KEYS = ("nieuwe_huurders", "reparaties", "vertrokken_huurders")


class Aedes:
    """A compact builder of valid synthetic datasets for Aedes tests.

    Every questionnaire has one label question ``L1`` and two Aedes questions ``A1``, ``A2``.
    A respondent is given by their Aedes grade(s): an int (``A1`` only) or a tuple (``A1``,
    ``A2``; None = not answered). Each respondent also answers ``L1`` with 7.
    """

    def __init__(self):
        self.corps, self.resp, self.answers, self.deliveries = [], [], [], {}

    def corp(self, corporation_id: str, member: bool = True) -> Aedes:
        self.corps.append(
            dict(
                corporation_id=corporation_id,
                name=f"Corporatie {corporation_id}",
                units=3000,
                region="Utrecht",
                urbanisation=3,
                aedes_member=member,
                member_since="2010-01-01",
            )
        )
        return self

    def add(
        self, corporation_id: str, questionnaire: str, grades, month: str = "2025-03", completed: str | None = None
    ) -> Aedes:
        delivery = self.deliveries.setdefault((corporation_id, questionnaire), f"D{len(self.deliveries) + 1}")
        if completed is None:
            completed = (pd.Period(month, "M").end_time.normalize() + pd.Timedelta(days=10)).date().isoformat()
        for grade in grades:
            response_id = f"R{len(self.resp) + 1}"
            self.resp.append(
                dict(
                    response_id=response_id,
                    corporation_id=corporation_id,
                    questionnaire=questionnaire,
                    service_month=month,
                    completed_on=completed,
                    mode="online",
                    delivery_id=delivery,
                    anonymity_lifted=False,
                )
            )
            self.answers.append(dict(response_id=response_id, question_id="L1", grade=7))
            for question, value in zip(("A1", "A2"), grade if isinstance(grade, tuple) else (grade,), strict=False):
                self.answers.append(dict(response_id=response_id, question_id=question, grade=value))
        return self

    def build(self):
        questions = [
            dict(questionnaire=q, question_id=i, text=i, label_question=i == "L1", aedes_question=i != "L1")
            for q in QUESTIONNAIRES
            for i in ("L1", "A1", "A2")
        ]
        deliveries = [
            dict(
                delivery_id=d,
                corporation_id=c,
                questionnaire=q,
                channel="mijn_kwh",
                delivered_on="2023-01-05",
                period_start="2023-01-01",
                period_end="2026-12-31",
                n_delivered=100,
                n_approached=90,
            )
            for (c, q), d in self.deliveries.items()
        ]
        return from_tables(
            {
                "corporations": pd.DataFrame(self.corps),
                "questions": pd.DataFrame(questions),
                "respondents": pd.DataFrame(
                    self.resp,
                    columns=[
                        "response_id",
                        "corporation_id",
                        "questionnaire",
                        "service_month",
                        "completed_on",
                        "mode",
                        "delivery_id",
                        "anonymity_lifted",
                    ],
                ),
                "answers": pd.DataFrame(self.answers, columns=["response_id", "question_id", "grade"]),
                "deliveries": pd.DataFrame(
                    deliveries,
                    columns=[
                        "delivery_id",
                        "corporation_id",
                        "questionnaire",
                        "channel",
                        "delivered_on",
                        "period_start",
                        "period_end",
                        "n_delivered",
                        "n_approached",
                    ],
                ),
                "checkvraag": pd.DataFrame(
                    columns=["corporation_id", "delivery_id", "service_month", "answer", "consent"]
                ),
                "label_history": pd.DataFrame(columns=["corporation_id", "research_year", "decision", "passed"]),
            }
        )


def full(builder: Aedes, corporation_id: str, grades=(8, 8), **kwargs) -> Aedes:
    """All three sub-scores with the same grades."""
    for key in KEYS:
        builder.add(corporation_id, key, list(grades), **kwargs)
    return builder


def row_of(results: pd.DataFrame, corporation_id: str) -> pd.Series:
    return results.set_index("corporation_id").loc[corporation_id]


# --------------------------------------------------------------------------- period


def test_period_edges_and_freeze_date():
    b = Aedes().corp("C1")
    b.add("C1", "reparaties", [1], month="2024-08")  # August Y-1: out
    b.add("C1", "reparaties", [6], month="2024-09")  # September Y-1: in
    b.add("C1", "reparaties", [8], month="2025-07")  # July Y: in
    b.add("C1", "reparaties", [1], month="2025-08", completed="2025-08-20")  # August Y: out
    b.add("C1", "reparaties", [10], month="2025-07", completed="2025-08-31")  # completed on the freeze: in
    b.add("C1", "reparaties", [1], month="2025-07", completed="2025-09-01")  # after the freeze: out
    row = row_of(aedes_results(b.build(), RULES, 2025), "C1")
    assert row["reparaties_n"] == 3
    assert row["reparaties_score"] == 8.0


def test_benchmark_period_describes_itself_in_dutch():
    period = benchmark_period(2025, RULES)
    assert (period.first_month, period.last_month, period.freeze) == ("2024-09", "2025-07", date(2025, 8, 31))
    assert period.describe_nl() == "september 2024 t/m juli 2025"
    assert period.frozen


def test_end_month_is_a_setting():
    older = RULES.model_copy(update={"aedes": RULES.aedes.model_copy(update={"end_month": 8})})
    b = Aedes().corp("C1").add("C1", "reparaties", [9], month="2025-08", completed="2025-08-25")
    assert row_of(aedes_results(b.build(), older, 2025), "C1")["reparaties_n"] == 1
    assert row_of(aedes_results(b.build(), RULES, 2025), "C1")["reparaties_n"] == 0


# --------------------------------------------------------------------------- letters


@pytest.mark.parametrize(
    ("grade", "letter"),
    [
        (Fraction(149, 20), "B"),  # 7,45 -> 7,5 -> B
        (Fraction(7449, 1000), "C"),  # 7,449 -> 7,4 -> C
        (Fraction(7449999999999999999, 10**18), "C"),  # float(...) == 7.45: exactness matters
        (Fraction(159, 20), "A"),  # 7,95 -> 8,0 -> A
        (Fraction(7949, 1000), "B"),
        (Decimal("7.1"), "C"),
        (Decimal("7.5"), "B"),
        (Decimal("7.8"), "B"),  # Aedes' public examples
        ("10", "A"),
        (1, "C"),
    ],
)
def test_letter_on_half_up_one_decimal(grade, letter):
    assert letter_for_grade(grade, RULES) == letter


def test_round_grade_is_exact_half_up():
    assert round_grade(Fraction(149, 20)) == Decimal("7.5")
    assert round_grade(Fraction(7449999999999999999, 10**18)) == Decimal("7.4")
    assert round_grade(6.85) == Decimal("6.9")  # a float by its shortest repr
    assert round_grade(Fraction(137, 20), 0) == Decimal("7")


def test_letters_from_a_dataset_7_45_and_7_449():
    grades = [8] * 9 + [7] * 11  # 149 / 20 = 7,45
    b = Aedes().corp("C1").add("C1", "reparaties", grades).add("C1", "nieuwe_huurders", [8] * 449 + [7] * 551)
    row = row_of(aedes_results(b.build(), RULES, 2025), "C1")
    assert row["reparaties_grade"] == 7.5
    assert row["reparaties_letter"] == "B"
    assert row["reparaties_near_boundary"]
    assert row["nieuwe_huurders_score"] == 7.449  # 7449 / 1000
    assert row["nieuwe_huurders_grade"] == 7.4
    assert row["nieuwe_huurders_letter"] == "C"
    assert not row["nieuwe_huurders_near_boundary"]


@pytest.mark.parametrize(
    ("grade", "flag"),
    [
        ("7.45", True),
        ("7.55", True),
        ("7.5", True),
        ("7.449", False),
        ("7.551", False),
        ("7.95", True),
        ("8.05", True),
        ("8.051", False),
        ("5", False),
        ("0.04", False),
    ],
)
def test_boundary_flag(grade, flag):
    assert near_boundary(grade, RULES) is flag


def test_next_letter():
    assert next_letter("C", RULES) == ("B", Decimal("7.5"))
    assert next_letter("B", RULES) == ("A", Decimal("8.0"))
    assert next_letter("A", RULES) is None


# --------------------------------------------------------------------------- overall


def test_overall_worked_example_c_b_b():
    letters = dict(nieuwe_huurders="C", reparaties="B", vertrokken_huurders="B")
    assert overall_points(letters, RULES) == Decimal("-0.25")
    assert overall_letter(letters, RULES) == "B"


@pytest.mark.parametrize("combo", list(itertools.product("ABC", repeat=3)))
def test_overall_letter_table(combo):
    letters = dict(zip(KEYS, combo, strict=True))
    points = {"A": 1, "B": 0, "C": -1}
    percent = 25 * points[combo[0]] + 55 * points[combo[1]] + 20 * points[combo[2]]  # integers: exact
    expected = "A" if percent >= 50 else "C" if percent <= -50 else "B"
    assert overall_points(letters, RULES) == Decimal(percent) / 100
    assert overall_letter(letters, RULES) == expected


@pytest.mark.parametrize(
    ("combo", "points", "letter"),
    [
        (("C", "A", "A"), "0.50", "A"),  # exactly +0,50 -> A (floats give 0.5000000000000001 or 0.4999…)
        (("A", "C", "C"), "-0.50", "C"),  # exactly -0,50 -> C
        (("B", "A", "C"), "0.35", "B"),
        (("A", "B", "A"), "0.45", "B"),
    ],
)
def test_overall_letter_exactly_at_the_thresholds(combo, points, letter):
    letters = dict(zip(KEYS, combo, strict=True))
    assert overall_points(letters, RULES) == Decimal(points)
    assert overall_letter(letters, RULES) == letter


def test_overall_without_a_letter_is_empty():
    assert overall_letter(dict(nieuwe_huurders="A", reparaties=None, vertrokken_huurders="A"), RULES) is None


# --------------------------------------------------------------------------- results


def test_non_member_excluded_and_missing_subscore():
    b = Aedes().corp("C1").corp("C2", member=False).corp("C3").corp("C4")
    full(b, "C1", grades=(8, 9))
    full(b, "C2", grades=(3, 3))
    b.add("C3", "reparaties", [8]).add("C3", "nieuwe_huurders", [8])  # no Vertrokken huurders
    results = aedes_results(b.build(), RULES, 2025)
    assert results["corporation_id"].tolist() == ["C1", "C3", "C4"]
    c1 = row_of(results, "C1")
    assert c1["overall_letter"] == "A"
    assert c1["overall_points"] == 1.0
    c3 = row_of(results, "C3")
    assert c3["vertrokken_huurders_n"] == 0
    assert math.isnan(c3["vertrokken_huurders_score"])
    assert pd.isna(c3["vertrokken_huurders_letter"])
    assert pd.isna(c3["overall_letter"])
    assert math.isnan(c3["overall_points"])
    c4 = row_of(results, "C4")  # a member without any respondent still has a row
    assert [c4[f"{k}_n"] for k in KEYS] == [0, 0, 0]
    assert pd.isna(c4["overall_letter"])
    frame = to_csv_frame(results)
    c3_csv = frame.set_index("corporation_id").loc["C3"]
    assert pd.isna(c3_csv["vertrokken_huurders_grade"]) or c3_csv["vertrokken_huurders_grade"] == ""


def test_pct_dissatisfied_margin_and_several_aedes_questions():
    b = Aedes().corp("C1")
    b.add("C1", "reparaties", [5, 6, 4, 10])
    b.add("C1", "nieuwe_huurders", [(5, 6), (5, 5), (4, None), (None, 9), (None, None)])
    row = row_of(aedes_results(b.build(), RULES, 2025), "C1")
    assert row["reparaties_pct_dissatisfied"] == 50.0
    sd = pd.Series([5, 6, 4, 10]).std(ddof=1)
    assert row["reparaties_margin"] == pytest.approx(stats.t.ppf(0.95, 3) * sd / 2)
    # respondent means 5,5 / 5 / 4 / 9; the one without an Aedes grade is no respondent
    assert row["nieuwe_huurders_n"] == 4
    assert row["nieuwe_huurders_score"] == pytest.approx(5.875)
    assert row["nieuwe_huurders_n_dissatisfied"] == 2
    assert row["nieuwe_huurders_pct_dissatisfied"] == 50.0
    assert math.isnan(row["vertrokken_huurders_margin"])


def test_margin_needs_two_respondents():
    b = Aedes().corp("C1").add("C1", "reparaties", [8])
    assert math.isnan(row_of(aedes_results(b.build(), RULES, 2025), "C1")["reparaties_margin"])


def test_label_questions_and_other_questionnaires_do_not_count():
    b = Aedes().corp("C1").add("C1", "planmatig_onderhoud", [1, 1]).add("C1", "reparaties", [9])
    table = subscore_table(b.build(), RULES, 2025)
    assert set(table["questionnaire"]) == set(KEYS)
    assert table.set_index("questionnaire").loc["reparaties", "score"] == 9.0  # L1 (7) not counted


def test_csv_frame_writes_exact_decimals():
    b = Aedes().corp("C1")
    full(b, "C1", grades=(7, 7))
    b.add("C1", "reparaties", [8, 8])  # reparaties 7,5 -> B ; others C -> points -0.45
    frame = to_csv_frame(aedes_results(b.build(), RULES, 2025))
    row = frame.iloc[0]
    assert row["reparaties_grade"] == "7.5"
    assert row["nieuwe_huurders_grade"] == "7.0"
    assert row["overall_points"] == "-0.45"
    assert row["overall_letter"] == "B"
    assert row["reparaties_near_boundary"] == "true"
    assert row["reparaties_next_letter_grade"] == "8.0"


# --------------------------------------------------------------------------- monitoring


def monitoring_dataset():
    b = Aedes().corp("C1")
    b.add("C1", "reparaties", [6], month="2024-10", completed="2024-11-05")
    b.add("C1", "reparaties", [8], month="2025-02", completed="2025-03-10")
    b.add("C1", "reparaties", [10], month="2025-03", completed="2025-03-20")
    b.add("C1", "reparaties", [9], month="2025-07", completed="2025-08-31")
    b.add("C1", "reparaties", [1], month="2025-07", completed="2025-09-02")  # after the freeze
    b.add("C1", "reparaties", [2], month="2025-09", completed="2025-09-05")  # benchmark year 2026
    return b.build()


def test_as_of_before_the_freeze_gives_running_figures():
    dataset = monitoring_dataset()
    running = row_of(aedes_results(dataset, RULES, 2025, as_of="2025-03-15"), "C1")
    assert running["reparaties_n"] == 2
    assert running["reparaties_score"] == 7.0
    period = aedes_results(dataset, RULES, 2025, as_of=date(2025, 3, 15)).attrs["period"]
    assert period.last_month == "2025-03"
    assert period.completed_on_or_before == date(2025, 3, 15)
    assert not period.frozen
    assert row_of(aedes_results(dataset, RULES, 2025, as_of="2025-03-31"), "C1")["reparaties_n"] == 3


def test_as_of_after_the_freeze_is_frozen():
    dataset = monitoring_dataset()
    final = aedes_results(dataset, RULES, 2025)
    assert row_of(final, "C1")["reparaties_n"] == 4
    for as_of in ("2025-08-31", "2025-09-15", "2026-02-01"):
        frozen = aedes_results(dataset, RULES, 2025, as_of=as_of)
        pd.testing.assert_frame_equal(frozen, final)
        assert frozen.attrs["period"].frozen


def test_benchmark_year_in_progress():
    assert benchmark_year_at(date(2025, 1, 10), RULES) == 2025
    assert benchmark_year_at("2025-08-31", RULES) == 2025
    assert benchmark_year_at("2025-09-01", RULES) == 2026
    assert benchmark_year_at("2025-12-31", RULES) == 2026
    running = aedes_results(monitoring_dataset(), RULES, 2026, as_of="2025-09-30")
    assert row_of(running, "C1")["reparaties_n"] == 1
    assert row_of(running, "C1")["reparaties_score"] == 2.0


def test_as_of_before_the_period_has_no_respondents():
    results = aedes_results(monitoring_dataset(), RULES, 2025, as_of="2024-08-15")
    assert row_of(results, "C1")["reparaties_n"] == 0
    assert results.attrs["period"].counted_nl() == "nog geen maanden"


# --------------------------------------------------------------------------- report helpers


def national_dataset():
    b = Aedes().corp("C1").corp("C2").corp("C3")
    full(b, "C1", grades=(8, 8))  # 8,0 A
    full(b, "C2", grades=(7, 8))  # 7,5 B
    full(b, "C3", grades=(6, 8))  # 7,0 C
    full(b, "C1", grades=(6, 6), month="2024-03")  # benchmark year 2024
    full(b, "C2", grades=(9, 9), month="2024-03")
    return b.build()


def test_national_distribution_and_summary():
    results = aedes_results(national_dataset(), RULES, 2025)
    dist = national_distribution(results, RULES)
    rep = dist.loc[dist["questionnaire"] == "reparaties"].set_index("corporation_id")
    assert rep["rank"].to_dict() == {"C1": 1, "C2": 2, "C3": 3}
    assert rep.loc["C1", "percentile"] == pytest.approx(100 * 2.5 / 3)
    assert rep.loc["C3", "percentile"] == pytest.approx(100 * 0.5 / 3)
    position = corporation_position(results, "C2", RULES)
    assert position["rank"].tolist() == [2, 2, 2]
    assert position["n_ranked"].tolist() == [3, 3, 3]
    summary = national_summary(results, RULES).set_index("questionnaire")
    assert summary.loc["reparaties", "n_corporations"] == 3
    assert summary.loc["reparaties", "n_respondents"] == 6
    assert summary.loc["reparaties", "pooled_score"] == pytest.approx(7.5)
    assert summary.loc["reparaties", ["n_A", "n_B", "n_C"]].tolist() == [1, 1, 1]


def test_trend_against_last_year():
    trend = aedes_trend(national_dataset(), RULES, 2025)
    c1 = trend.loc[trend["corporation_id"] == "C1"].set_index("questionnaire")
    assert c1.loc["reparaties", "previous_letter"] == "C"
    assert c1.loc["reparaties", "letter"] == "A"
    assert c1.loc["reparaties", "grade_change"] == pytest.approx(2.0)
    assert c1.loc["reparaties", "letter_change"] == "hoger"
    assert c1.loc["totaal", "previous_letter"] == "C"
    assert c1.loc["totaal", "letter"] == "A"
    c3 = trend.loc[trend["corporation_id"] == "C3"].set_index("questionnaire")
    assert c3.loc["reparaties", "previous_n"] == 0
    assert pd.isna(c3.loc["reparaties", "letter_change"])


def test_what_changes_letter():
    b = Aedes().corp("C1")
    b.add("C1", "nieuwe_huurders", [7, 7])  # 7,0 C
    b.add("C1", "reparaties", [7, 8])  # 7,5 B
    b.add("C1", "vertrokken_huurders", [7, 8])  # 7,5 B -> C/B/B -> B
    results = aedes_results(b.build(), RULES, 2025)
    changes = what_changes_letter(results, "C1", RULES)
    assert changes.current_overall_letter == "B"
    assert changes.current_overall_points == Decimal("-0.25")
    sub = changes.subscores.set_index("questionnaire")
    assert sub.loc["nieuwe_huurders", "text"] == "7,5 voor B"
    assert sub.loc["nieuwe_huurders", "needed_score"] == pytest.approx(7.45)
    assert sub.loc["nieuwe_huurders", "gap"] == pytest.approx(0.45)
    assert sub.loc["reparaties", "text"] == "8,0 voor A"
    overall = {(r.questionnaire, r.to_letter): r.overall_letter for r in changes.overall.itertuples()}
    # Reparaties B -> A: -0.25 + 0.55 = 0.30 (still B); B -> C: -0.80 -> C
    assert overall == {("reparaties", "C"): "C"}


def test_what_changes_letter_overall_up():
    b = Aedes().corp("C1")
    b.add("C1", "nieuwe_huurders", [8]).add("C1", "reparaties", [8]).add(
        "C1", "vertrokken_huurders", [7]
    )  # A/A/C = 0.60 A
    b.add("C1", "nieuwe_huurders", [8], month="2025-04")
    results = aedes_results(b.build(), RULES, 2025)
    changes = what_changes_letter(results, "C1", RULES)
    assert changes.current_overall_letter == "A"
    downs = {(r.questionnaire, r.to_letter) for r in changes.overall.itertuples()}
    assert ("reparaties", "B") in downs
    assert ("nieuwe_huurders", "C") in downs
    assert set(changes.overall["direction"]) == {"lager"}


# --------------------------------------------------------------------------- letters at the boundaries, as properties

_TOP_DOWN = sorted(RULES.aedes.letters, key=lambda b: b.min_grade, reverse=True)
_HALF_UNIT = Fraction(1, 2 * 10**GRADE_DECIMALS)  # letters go on the grade rounded half up


def _expected_letter(grade: Fraction) -> str:
    """From the rule set alone: the first boundary (top-down) whose half-unit-lower edge the exact grade reaches."""
    for boundary in _TOP_DOWN:
        if grade >= Fraction(boundary.min_grade) - _HALF_UNIT:
            return boundary.letter
    return _TOP_DOWN[-1].letter


_near_a_boundary = st.builds(
    lambda boundary, offset: Fraction(boundary.min_grade) + offset,
    st.sampled_from([b for b in _TOP_DOWN if b.min_grade > 0]),
    st.fractions(min_value=Fraction(-1, 5), max_value=Fraction(1, 5), max_denominator=2000),
)


_a_hair_from_an_edge = st.builds(
    lambda boundary, sign, digits: Fraction(boundary.min_grade) - _HALF_UNIT + sign * Fraction(1, 10**digits),
    st.sampled_from([b for b in _TOP_DOWN if b.min_grade > 0]),
    st.sampled_from([-1, 0, 1]),
    st.integers(3, 25),  # beyond a float's precision too
)


@given(
    grade=st.one_of(
        _near_a_boundary, _a_hair_from_an_edge, st.fractions(min_value=1, max_value=10, max_denominator=500)
    )
)
def test_letter_follows_the_rounded_boundaries_exactly(grade):
    assert letter_for_grade(grade, RULES) == _expected_letter(grade)
    flagged = any(
        abs(grade - Fraction(b.min_grade)) <= Fraction(RULES.aedes.boundary_flag_margin) for b in _TOP_DOWN[:-1]
    )
    assert near_boundary(grade, RULES) is flagged


@given(
    st.fractions(min_value=1, max_value=10, max_denominator=500),
    st.fractions(min_value=1, max_value=10, max_denominator=500),
)
def test_a_higher_grade_never_earns_a_lower_letter(low, high):
    low, high = sorted((low, high))
    rank = {b.letter: i for i, b in enumerate(_TOP_DOWN)}
    assert rank[letter_for_grade(high, RULES)] <= rank[letter_for_grade(low, RULES)]


@given(st.sampled_from([b.letter for b in _TOP_DOWN[1:]]))
def test_next_letter_grade_is_the_smallest_that_earns_it(letter):
    following, grade = next_letter(letter, RULES)
    edge = Fraction(grade) - _HALF_UNIT
    assert letter_for_grade(edge, RULES) == following
    assert letter_for_grade(edge - Fraction(1, 10**9), RULES) != following


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 10), min_size=1, max_size=40))
def test_a_corporations_letter_is_the_letter_of_its_exact_mean(grades):
    row = row_of(aedes_results(Aedes().corp("C1").add("C1", "reparaties", grades).build(), RULES, 2025), "C1")
    exact = Fraction(sum(grades), len(grades))
    assert row["reparaties_letter"] == _expected_letter(exact)
    assert row["reparaties_grade"] == float(round_grade(exact))
