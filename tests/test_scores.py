from fractions import Fraction

import pandas as pd
import pytest
from builders import DatasetBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kwh_calc.calculations.scores import (
    component_scores,
    peer_scores,
    research_months,
    respondent_results,
    suppress,
)
from kwh_calc.intake.rules import load_rules

RULES = load_rules()

# The FAQ's worked example: ten tenants, seven label questions (FAQ "Hoe worden de
# onderdeelscores en het percentage tevreden huurders berekend?").
FAQ_GRADES = [
    [7, 6, 8, 5, 9, 7, 6],
    [5, 5, 5, 4, 6, 6, 4],
    [8, 8, 8, 6, 7, 7, 8],
    [7, 7, 7, 5, 6, 7, 6],
    [1, 2, 4, 4, 2, 1, 6],
    [5, 6, 5, 5, 7, 5, 6],
    [7, 7, 7, 5, 7, 5, 8],
    [7, 5, 5, 5, 7, 5, 5],
    [8, 8, 8, 7, 9, 8, 7],
    [7, 6, 5, 7, 7, 6, 7],
]
FAQ_MEANS = ["6,9", "5,0", "7,4", "6,4", "2,9", "5,6", "6,6", "5,6", "7,9", "6,4"]


def year_scores(dataset, by=None, year=2025):
    first, last = research_months(year)
    results = respondent_results(dataset, RULES, first_month=first, last_month=last)
    return results, component_scores(results, RULES, by=by)


def single(grades, **kwargs):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", grades, **kwargs)
    return builder.build()


def test_faq_worked_example():
    from kwh_calc.common.numbers import fmt_grade

    results, table = year_scores(single(FAQ_GRADES))
    assert [fmt_grade(m) for m in results["mean"]] == FAQ_MEANS
    row = table.iloc[0]
    assert row["n"] == 10
    assert row["n_satisfied"] == 8
    assert row["pct_satisfied"] == 80.0
    assert row["pct_display"] == "80%"
    assert row["score"] == pytest.approx(424 / 70)
    assert row["score_display"] == "6,1"


def test_a_respondent_mean_of_exactly_5_5_is_satisfied():
    results, table = year_scores(single([[5, 6], [5, 5, 6, 6], [5, 5, 5, 6]]))
    assert results["satisfied"].tolist() == [True, True, False]
    assert table.iloc[0]["n_satisfied"] == 2


def test_unanswered_grades_are_left_out_of_the_mean():
    results, _ = year_scores(single([[8, None, None, 6], [None, None]]))
    assert results["mean"].tolist() == [7.0]  # the second respondent has no valid grade at all
    assert results["grade_count"].tolist() == [2]


def test_non_label_questions_do_not_count():
    results, _ = year_scores(single([[6, 6]], other_grades=[1], aedes_grades=[10]))
    assert results["mean"].tolist() == [6.0]


def test_aedes_kind_counts_only_the_aedes_question():
    dataset = single([[6, 6]], aedes_grades=[9])
    results = respondent_results(dataset, RULES, first_month="2025-01", last_month="2025-12", question_kind="aedes")
    assert results["mean"].tolist() == [9.0]


def test_responses_outside_the_year_do_not_count():
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[9]], month="2024-12", completed_on="2025-01-10")
    builder.respondents("C1", "reparaties", [[5]], month="2025-01")
    builder.respondents("C1", "reparaties", [[7]], month="2025-12")
    builder.respondents("C1", "reparaties", [[10]], month="2026-01", completed_on="2026-01-20")
    _, table = year_scores(builder.build())
    assert table.iloc[0]["n"] == 2
    assert table.iloc[0]["score"] == 6.0


def test_exactly_7_0_and_85_percent_meet():
    grades = [[8]] * 17 + [[1, 3]] * 3  # 17×8 + 3×2 = 142 / 20 = 7,1; 17/20 = 85%
    _, table = year_scores(single(grades))
    row = table.iloc[0]
    assert row["pct_satisfied"] == 85.0
    assert row["meets_pct"]
    _, table = year_scores(single([[7, 7, 7]] * 3 + [[6, 8]] * 2))
    assert table.iloc[0]["score"] == 7.0
    assert table.iloc[0]["meets_score"]
    assert not table.iloc[0]["borderline_score"]


def test_6_96_fails_7_0_and_is_flagged_borderline():
    # 24 respondents at 7 and one at 6: mean 174/25 = 6,96, prints as "7,0"
    _, table = year_scores(single([[7]] * 24 + [[6]]))
    row = table.iloc[0]
    assert row["score"] == pytest.approx(6.96)
    assert row["score_display"] == "7,0"
    assert not row["meets_score"]
    assert row["borderline_score"]


def test_84_6_percent_fails_85_and_is_flagged():
    # 11 of 13 satisfied = 84,6%: prints as 85% but fails
    _, table = year_scores(single([[8]] * 11 + [[3]] * 2))
    row = table.iloc[0]
    assert row["pct_display"] == "85%"
    assert not row["meets_pct"]
    assert row["borderline_pct"]


def test_score_threshold_is_exact_where_floats_are_not():
    # Means 20/3 and 22/3 average to exactly 7; float arithmetic gives 6.999999999999999.
    _, table = year_scores(single([[7, 7, 6], [7, 7, 8]] * 3))
    assert table.iloc[0]["meets_score"]


def test_breakdown_with_suppression_of_small_cells():
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 6, aannemer="Aannemer A")
    builder.respondents("C1", "reparaties", [[4]] * 2, aannemer="Aannemer B")
    builder.respondents("C1", "reparaties", [[6]] * 5)
    _, table = year_scores(builder.build(), by="aannemer")
    shown = suppress(table, RULES).set_index("aannemer")
    assert shown.loc["Aannemer A", "score"] == 8.0
    assert not shown.loc["Aannemer A", "suppressed"]
    assert shown.loc["Aannemer B", "suppressed"]
    assert pd.isna(shown.loc["Aannemer B", "score"])
    assert pd.isna(shown.loc["Aannemer B", "pct_display"])
    assert shown.loc["Aannemer B", "n"] == 2
    assert shown.loc["(leeg)", "n"] == 5


def test_quarter_and_mode_breakdowns():
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 5, month="2025-02", mode="telefonisch")
    builder.respondents("C1", "reparaties", [[6]] * 5, month="2025-11")
    _, by_quarter = year_scores(builder.build(), by="quarter")
    assert dict(zip(by_quarter["quarter"], by_quarter["score"], strict=True)) == {"K1": 8.0, "K4": 6.0}
    _, by_mode = year_scores(builder.build(), by="mode")
    assert dict(zip(by_mode["mode"], by_mode["n"], strict=True)) == {"online": 5, "telefonisch": 5}


def test_unknown_breakdown_is_refused():
    results, _ = year_scores(single([[8]]))
    with pytest.raises(ValueError, match="unknown breakdown"):
        component_scores(results, RULES, by="postcode")


def test_peers_are_respondent_weighted_with_corporation_counts():
    builder = DatasetBuilder()
    builder.corporation("C1", region="Utrecht", units=1000).corporation("C2", region="Utrecht", units=30000)
    builder.corporation("C3", region="Drenthe", units=1200)
    builder.respondents("C1", "reparaties", [[6]] * 10)
    builder.respondents("C2", "reparaties", [[9]] * 30)
    builder.respondents("C3", "reparaties", [[5]] * 10)
    results, _ = year_scores(builder.build())
    peers = peer_scores(results, builder.build().corporations, RULES).set_index(["corporation_id", "peer_kind"])
    national = peers.loc[("C1", "landelijk")]
    assert national["n_corporations"] == 3
    assert national["n"] == 50
    assert national["score"] == pytest.approx((60 + 270 + 50) / 50)
    region = peers.loc[("C1", "regio")]
    assert region["peer_group"] == "Utrecht"
    assert region["score"] == pytest.approx(330 / 40)
    size = peers.loc[("C1", "grootteklasse")]
    assert size["n_corporations"] == 2
    assert size["score"] == pytest.approx(110 / 20)


grades_strategy = st.lists(
    st.lists(st.one_of(st.none(), st.integers(1, 10)), min_size=1, max_size=7), min_size=1, max_size=30
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grades_strategy, st.randoms(use_true_random=False))
def test_invariants_row_order_weighting_bounds(grades, random):
    dataset = single(grades)
    _, table = year_scores(dataset)
    valid = [[g for g in r if g is not None] for r in grades]
    valid = [r for r in valid if r]
    if not valid:
        assert table.empty
        return
    row = table.iloc[0]
    expected = sum(Fraction(sum(r), len(r)) for r in valid) / len(valid)
    assert row["n"] == len(valid)
    assert row["score"] == pytest.approx(float(expected))
    assert row["meets_score"] == (expected >= 7)
    # threshold arithmetic (docs/methodology.md §2.4): exact, from the rule set, borderline just below
    label, margins = RULES.label, RULES.scores
    satisfied = sum(Fraction(sum(r), len(r)) >= Fraction(margins.satisfied_grade) for r in valid)
    pct = Fraction(100 * satisfied, len(valid))
    assert row["n_satisfied"] == satisfied
    assert row["meets_pct"] == (pct >= Fraction(label.min_pct_satisfied))
    score_edge, pct_edge = Fraction(label.min_score), Fraction(label.min_pct_satisfied)
    assert row["borderline_score"] == (score_edge - Fraction(margins.borderline_margin_grade) <= expected < score_edge)
    assert row["borderline_pct"] == (pct_edge - Fraction(margins.borderline_margin_pct) <= pct < pct_edge)
    assert 1 <= row["score"] <= 10
    assert 0 <= row["pct_satisfied"] <= 100
    # Row order of the answers does not matter.
    answers = dataset.answers.sample(frac=1, random_state=random.randint(0, 10_000)).reset_index(drop=True)
    shuffled = dataset.replace(answers=answers)
    _, again = year_scores(shuffled)
    assert again.iloc[0]["score"] == pytest.approx(row["score"])
    assert again.iloc[0]["n_satisfied"] == row["n_satisfied"]


def test_complementary_suppression_hides_a_group_that_could_be_worked_out():
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 9, aannemer="Aannemer A")
    builder.respondents("C1", "reparaties", [[7]] * 6, aannemer="Aannemer B")
    builder.respondents("C1", "reparaties", [[2]] * 2, aannemer="Aannemer C")  # hidden: 2 < 5
    results, totals = year_scores(builder.build())
    table = component_scores(results, RULES, by="aannemer")
    # Without the totals only C is hidden, and total − A − B would reveal C's two tenants.
    assert suppress(table, RULES)["suppressed"].tolist() == [False, False, True]
    shown = suppress(table, RULES, totals=totals).set_index("aannemer")
    assert shown["suppressed"].tolist() == [False, True, True]
    assert shown.loc["Aannemer B", "suppressed_secondary"]
    assert pd.isna(shown.loc["Aannemer B", "score"])
    assert not shown.loc["Aannemer C", "suppressed_secondary"]


def test_no_complementary_suppression_when_the_rest_is_large_enough():
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 9, aannemer="Aannemer A")
    builder.respondents("C1", "reparaties", [[2]] * 2, aannemer="Aannemer C")
    builder.respondents("C1", "reparaties", [[6]] * 4)  # no contractor: rest = 2 + 4 = 6 ≥ 5
    results, totals = year_scores(builder.build())
    shown = suppress(
        component_scores(results.loc[results["aannemer"].notna()], RULES, by="aannemer"), RULES, totals=totals
    )
    assert shown["suppressed"].tolist() == [False, True]


# --------------------------------------------------------------------------- suppression, as a property

_group_sizes = st.lists(st.integers(1, 20), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(corporations=st.lists(st.tuples(_group_sizes, st.integers(0, 12)), min_size=1, max_size=3))
def test_no_hidden_cell_can_be_worked_out_from_the_totals(corporations):
    """docs/methodology.md §6.4: every group below the minimum is hidden, and what the shown groups
    leave of the component's total (hidden groups plus respondents without a value) is 0 or
    at least the minimum, so total minus shown groups never reveals fewer than the minimum.
    Only a total below the minimum itself remains (the overview suppresses that total)."""
    minimum = RULES.suppression.min_cell_size
    rows, totals = [], []
    for index, (sizes, without_value) in enumerate(corporations):
        cid = f"C{index}"
        for number, n in enumerate(sizes):
            rows.append(
                {
                    "corporation_id": cid,
                    "questionnaire": "reparaties",
                    "aannemer": f"Aannemer {number}",
                    "n": n,
                    "score": 7.0 + number / 10,
                    "pct_satisfied": 50.0 + number,
                    "n_satisfied": n // 2,
                }
            )
        totals.append({"corporation_id": cid, "questionnaire": "reparaties", "n": sum(sizes) + without_value})
    table = pd.DataFrame(rows)
    out = suppress(table, RULES, totals=pd.DataFrame(totals))
    assert (out["n"] == table["n"]).all()  # n stays visible
    assert out.loc[out["n"] < minimum, "suppressed"].all()
    hidden = out["suppressed"]
    assert out.loc[hidden, ["score", "pct_satisfied", "n_satisfied"]].isna().all().all()
    assert (out.loc[~hidden, "score"] == table.loc[~hidden, "score"]).all()
    for total in totals:
        mine = out["corporation_id"] == total["corporation_id"]
        rest = total["n"] - out.loc[mine & ~hidden, "n"].sum()
        assert rest == 0 or rest >= minimum or total["n"] < minimum, (total, out.loc[mine, ["n", "suppressed"]])
        # no more is hidden than needed: a group hidden for the totals is never larger than a shown one
        secondary = out.loc[mine & out["suppressed_secondary"], "n"]
        shown = out.loc[mine & ~hidden, "n"]
        assert secondary.empty or shown.empty or secondary.max() <= shown.min()


def test_thresholds_are_exact_around_7_0_and_85_percent():
    """docs/methodology.md §2.4: every mix of grades 5–8 of 20 respondents around the thresholds
    (score 7,0 and its borderline from 6,95; 85% satisfied and its borderline from 84,5%) is
    judged exactly, from the rule set, as fractions would judge it."""
    label, margins = RULES.label, RULES.scores
    builder = DatasetBuilder()
    mixes = {}
    for fives in range(7):
        for sixes in range(5):
            for eights in range(9):
                sevens = 20 - fives - sixes - eights
                if sevens < 0:
                    continue
                cid = f"C{fives}{sixes}{eights}"
                grades = [5] * fives + [6] * sixes + [7] * sevens + [8] * eights
                builder.corporation(cid).respondents(cid, "reparaties", [[g] for g in grades])
                mixes[cid] = grades
    _, table = year_scores(builder.build())
    table = table.set_index("corporation_id")
    for cid, grades in mixes.items():
        row = table.loc[cid]
        score = Fraction(sum(grades), len(grades))
        pct = Fraction(100 * sum(Fraction(g) >= Fraction(margins.satisfied_grade) for g in grades), len(grades))
        score_edge, pct_edge = Fraction(label.min_score), Fraction(label.min_pct_satisfied)
        assert row["meets_score"] == (score >= score_edge), cid
        assert row["meets_pct"] == (pct >= pct_edge), cid
        assert row["borderline_score"] == (score_edge - Fraction(margins.borderline_margin_grade) <= score < score_edge)
        assert row["borderline_pct"] == (pct_edge - Fraction(margins.borderline_margin_pct) <= pct < pct_edge)
    assert table[["meets_score", "meets_pct", "borderline_score"]].any().all()  # every edge is met by some mix
    assert not table[["meets_score", "meets_pct"]].all().any()  # and missed by another
