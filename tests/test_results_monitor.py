"""Monitor tables: year-to-date figures, suppression, contractor pooling without identification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import DatasetBuilder

from kwh_calc.calculations.scores import component_scores, respondent_results
from kwh_calc.intake.dataset import load_dataset
from kwh_calc.intake.rules import load_rules
from kwh_calc.results.monitor import compute_monitor_results, months_back

RULES = load_rules(year=2025)


@pytest.fixture(scope="module")
def tables(demo_dir):
    return compute_monitor_results(load_dataset(demo_dir), RULES, "2025-06")


def test_year_to_date_scores_equal_scores_restricted_to_the_months(demo_dir, tables):
    results = respondent_results(load_dataset(demo_dir), RULES, first_month="2025-01", last_month="2025-06")
    expected = component_scores(results, RULES)
    pd.testing.assert_frame_equal(tables["scores"].reset_index(drop=True), expected.reset_index(drop=True))


def test_series_cover_24_months_and_hide_small_cells(tables):
    series = tables["series"]
    months = series.loc[series["kind"] == "maand", "period"]
    assert months.min() >= months_back("2025-06", 24) == "2023-07"
    assert months.max() == "2025-06"
    small = series["n"] < RULES.suppression.min_cell_size
    assert series.loc[small, "suppressed"].all()
    assert series.loc[small, "score"].isna().all()
    assert series.loc[small, "score_display"].isna().all()


def test_breakdowns_are_suppressed_as_in_the_pdfs(tables):
    breakdowns = tables["breakdowns"]
    assert breakdowns.loc[breakdowns["n"] < RULES.suppression.min_cell_size, "score"].isna().all()


def test_coverage_status_per_quarter(tables):
    coverage = tables["coverage"]
    assert set(coverage["status"]) <= {"gedekt", "ontbreekt", "nog te leveren"}
    # As of June, K2's data is due in July: K2–K4 can be 'still due', never 'missing'.
    later = coverage["quarter"].isin(["K2", "K3", "K4"])
    assert not (coverage.loc[later, "status"] == "ontbreekt").any()


def _contractors(n_contractors: int) -> pd.DataFrame:
    builder = DatasetBuilder(2025)
    builder.corporation("C1")
    for index in range(n_contractors):
        grades = [[6 + index] * 7] * 6
        builder.respondents("C1", "reparaties", grades, month="2025-03", aannemer=f"Bouw {index}")
    return compute_monitor_results(builder.build(), RULES, "2025-06")


def test_one_other_contractor_is_never_shown_as_the_others():
    two = _contractors(2)["contractor_scores"]
    assert two["others_score"].isna().all()
    assert two["others_n"].isna().all()
    assert two["rank"].isna().all()  # a rank of 2 contractors reveals the other's side
    series = _contractors(2)["contractor_series"]
    assert series["others_score"].isna().all()


def test_others_are_pooled_from_two_contractors_on():
    three = _contractors(3)["contractor_scores"].set_index("aannemer")
    # Bouw 0 grades 6, the others 7 and 8: pooled 7,5 over 12 respondents.
    assert three.loc["Bouw 0", "others_score"] == pytest.approx(7.5)
    assert three.loc["Bouw 0", "others_n"] == 12
    assert three.loc["Bouw 2", "rank"] == 1
    assert three.loc["Bouw 0", "rank"] == 3


def test_open_answers_are_masked_in_the_results(tables):
    texts = " ".join(tables["open_answers"]["text"])
    assert texts  # the demo has open answers
    for personal in ("06-12345678", "j.devries@example.nl", "Kerkstraat 12a", "1234 AB", "Ahmed", "Klaas Hoekstra"):
        assert personal not in texts
    assert "[telefoonnummer]" in texts
    assert "[naam]" in texts


def test_forecast_rows_are_the_label_components(tables):
    forecast = tables["forecast"]
    assert set(forecast["questionnaire"]) <= set(RULES.label_questionnaires)
    assert np.all((forecast["p_meets_label"] >= 0) & (forecast["p_meets_label"] <= 1))
