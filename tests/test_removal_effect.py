"""What the removals register changes (kwh_calc.calculations.removal_effect): a removal changes the advice
exactly as recomputing without the respondent does, and the figures with and without it are
shown only when they cannot reveal one tenant's result."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder
from label_helpers import YEAR, label_corporation, same_grades

from kwh_calc.calculations.label import label_advice
from kwh_calc.calculations.removal_effect import (
    ADVICE_COLUMNS,
    COMPONENT_COLUMNS,
    corporations_subset,
    removal_advice,
    removal_components,
)
from kwh_calc.intake.rules import load_rules

RULES = load_rules()

#: name -> (component, the corporation's other respondents, the one questionnaire removed,
#: advice without the register, advice with it)
CASES = {
    # 50 failing respondents: a hard fail; without one, 49 < 50: low response, the CKV decides.
    "below_minimum": ("reparaties", same_grades(49, 6), [6] * 7, "niet_toekennen", "ckv_beslist"),
    # 59 × 7 and one 6: 6,98 prints as 7,0 but fails (grensgeval); without the 6 exactly 7,0.
    "across_7": ("reparaties", same_grades(59, 7), [6] * 7, "niet_toekennen", "toekennen"),
    # 51 satisfied, 9 + 1 dissatisfied: 51/61 = 83,6%; without one dissatisfied 51/60 = 85%.
    "across_85": ("nieuwe_huurders", same_grades(51, 9) + same_grades(9, 5), [5] * 7, "niet_toekennen", "toekennen"),
}


def build(case: str, *, extra: bool, register: bool):
    """Corporation X per the case plus an untouched corporation Y; ``extra`` adds the one
    questionnaire, ``register`` puts it in the removals register."""
    component, grades, removed, _, _ = CASES[case]
    b = DatasetBuilder(YEAR)
    label_corporation(b, "X", grades={component: grades})
    label_corporation(b, "Y")
    if extra:
        (response_id,) = b.respondents("X", component, [removed], month=f"{YEAR}-05")
        if register:
            b.removal(response_id)
    return b.build()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_removal_changes_the_advice_exactly_as_recomputing_without_the_respondent(case):
    removed = label_advice(build(case, extra=True, register=True), RULES, YEAR)
    never_there = label_advice(build(case, extra=False, register=False), RULES, YEAR)
    pd.testing.assert_frame_equal(removed.advice, never_there.advice)
    pd.testing.assert_frame_equal(removed.components, never_there.components)
    _, _, _, before, after = CASES[case]
    unregistered = label_advice(build(case, extra=True, register=False), RULES, YEAR).advice.set_index("corporation_id")
    assert unregistered.loc["X", "advice"] == before
    assert removed.advice.set_index("corporation_id").loc["X", "advice"] == after


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_effect_names_both_advices_and_the_component(case):
    component, _, _, before, after = CASES[case]
    dataset = build(case, extra=True, register=True)
    advice = removal_advice(dataset, RULES, YEAR)
    assert list(advice.columns) == ADVICE_COLUMNS
    row = advice.set_index("corporation_id").loc["X"]
    assert (row["advice_including"], row["advice_official"], bool(row["advice_changed"])) == (before, after, True)
    assert row["components_changed"] == RULES.questionnaire_name(component)
    assert "Y" not in set(advice["corporation_id"])
    components = removal_components(dataset, RULES, YEAR)
    assert list(components.columns) == COMPONENT_COLUMNS
    (line,) = components.itertuples()
    assert (line.corporation_id, line.questionnaire, line.n_removed) == ("X", component, 1)
    assert line.n_including == line.n_official + 1
    assert line.status_changed


def test_one_removed_respondent_hides_the_figures_including_it():
    components = removal_components(build("across_7", extra=True, register=True), RULES, YEAR)
    row = components.iloc[0]
    assert not row["show_including"]
    assert pd.isna(row["score_including"])
    assert pd.isna(row["pct_including"])
    assert row["score_display_including"] == "niet getoond"
    assert row["pct_display_including"] == "niet getoond"
    # The official figures and both statuses stay: the CKV sees the criterion flip, not a grade.
    assert row["score_display_official"] == "7,0"
    assert row["status_official"] == "gehaald"
    assert row["status_including"] == "niet gehaald"


def test_five_removed_respondents_show_the_figures_with_and_without():
    b = DatasetBuilder(YEAR)
    label_corporation(b, "X", grades={"reparaties": same_grades(60, 8)})
    for response_id in b.respondents("X", "reparaties", same_grades(5, 4), month=f"{YEAR}-05"):
        b.removal(response_id)
    (removed_aw,) = b.respondents("X", "algemene_waardering", [[7] * 7], month=f"{YEAR}-03")
    b.removal(removed_aw)
    dataset = b.build()
    components = removal_components(dataset, RULES, YEAR).set_index("questionnaire")
    repairs = components.loc["reparaties"]
    assert repairs["show_including"]
    assert repairs["n_removed"] == 5
    assert (repairs["n_official"], repairs["n_including"]) == (60, 65)
    assert repairs["score_display_official"] == "8,0"
    assert repairs["score_display_including"] == "7,7"
    assert repairs["pct_display_official"] == "100%"
    assert repairs["pct_display_including"] == "92%"
    assert not repairs["status_changed"]
    general = components.loc["algemene_waardering"]
    assert not general["label_component"]
    assert general["status_official"] == "telt niet voor het label"
    advice = removal_advice(dataset, RULES, YEAR).iloc[0]
    assert advice["n_removed"] == 6
    assert not advice["advice_changed"]
    assert advice["components_changed"] == ""


def test_no_removals_in_the_year_give_empty_tables_with_the_columns():
    b = DatasetBuilder(YEAR)
    label_corporation(b, "X")
    (previous,) = b.respondents("X", "reparaties", [[8] * 7], month=f"{YEAR - 1}-05")
    b.removal(previous)
    dataset = b.build()
    assert removal_components(dataset, RULES, YEAR).empty
    assert removal_advice(dataset, RULES, YEAR).empty
    assert list(removal_components(dataset, RULES, YEAR).columns) == COMPONENT_COLUMNS
    assert len(removal_components(dataset, RULES.for_year(YEAR - 1), YEAR - 1)) == 1


def merger_dataset():
    """PA and PB merge into MS on 1 July (each researched January–June, MS July–December), an
    unrelated corporation X; one of PA's February Reparaties questionnaires is removed."""
    b = DatasetBuilder(YEAR)
    for predecessor in ("PA", "PB"):
        label_corporation(b, predecessor)
    b.corporation("MS", member_since=f"{YEAR}-07-01", merged_from="PA;PB", merged_on=f"{YEAR}-07-01")
    for component in ("nieuwe_huurders", "vertrokken_huurders", "reparaties", "planmatig_onderhoud"):
        b.delivery("MS", component, f"{YEAR}-07-01", f"{YEAR}-09-30")
        b.delivery("MS", component, f"{YEAR}-10-01", f"{YEAR}-12-31")
        for month in (f"{YEAR}-08", f"{YEAR}-11"):
            b.respondents("MS", component, same_grades(10, 8), month=month)
    label_corporation(b, "X")
    (removed,) = b.respondents("PA", "reparaties", [[3] * 7], month=f"{YEAR}-02")
    b.removal(removed)
    return b.build()


def test_the_advice_before_removal_is_computed_on_the_corporations_concerned_only():
    dataset = merger_dataset()
    subset = corporations_subset(dataset, ["PA"])
    assert sorted(subset.corporations["corporation_id"]) == ["MS", "PA", "PB"]
    full = label_advice(dataset, RULES, YEAR).advice.set_index("corporation_id")
    part = label_advice(subset, RULES, YEAR).advice.set_index("corporation_id")
    pd.testing.assert_frame_equal(part.loc[["MS"]], full.loc[["MS"]])
    advice = removal_advice(dataset, RULES, YEAR)
    assert advice["corporation_id"].tolist() == ["MS"]
    assert advice["n_removed"].tolist() == [1]
    components = removal_components(dataset, RULES, YEAR)
    assert components[["corporation_id", "questionnaire", "n_removed"]].values.tolist() == [["MS", "reparaties", 1]]
    assert components["n_including"].iloc[0] == components["n_official"].iloc[0] + 1
