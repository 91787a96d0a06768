"""The label forecast: properties on small synthetic datasets, the backtest and the command."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from builders import DatasetBuilder
from typer.testing import CliRunner

from kwh_calc.calculations.forecast import (
    FORECAST_COLUMNS,
    backtest,
    brier_score,
    calibration_table,
    forecast_label,
    month_window,
)
from kwh_calc.calculations.scores import component_scores, respondent_results
from kwh_calc.cli import app
from kwh_calc.intake.rules import load_rules

RULES = load_rules(year=2025)


def _national(builder: DatasetBuilder) -> None:
    """A second corporation so the national prior is not the component itself."""
    builder.corporation("CN")
    for month in ("2025-01", "2025-02", "2025-03"):
        builder.respondents("CN", "reparaties", [[8] * 7] * 8 + [[5] * 7] * 2, month=month)


def _one_component(grades_per_month: list[list[list[int]]], *, extra: dict | None = None) -> pd.DataFrame:
    builder = DatasetBuilder(2025)
    builder.corporation("C1")
    _national(builder)
    for number, grades in enumerate(grades_per_month, start=1):
        builder.respondents("C1", "reparaties", grades, month=f"2025-{number:02d}")
    return forecast_label(builder.build(), RULES, f"2025-{len(grades_per_month):02d}", draws=2000)


def _row(forecast: pd.DataFrame) -> pd.Series:
    return forecast.set_index(["corporation_id", "questionnaire"]).loc[("C1", "reparaties")]


def test_far_above_with_many_respondents_is_near_one():
    row = _row(_one_component([[[9] * 7] * 20] * 6))
    assert row["n_to_date"] == 120
    assert row["respondents_expected"] == pytest.approx(120.0)
    assert row["p_meets_label"] > 0.98
    assert row["grade_needed"] < 7.0


def test_far_below_is_near_zero():
    row = _row(_one_component([[[5] * 7] * 20] * 6))
    assert row["p_meets_label"] < 0.02
    assert row["grade_needed"] == pytest.approx(9.0)  # (7,0 × 240 − 5 × 120) / 120


def test_monotone_in_the_data():
    """More satisfied respondents so far never lowers the probability (beyond simulation noise)."""
    probabilities = []
    for good in (0, 4, 8, 12, 16, 20):
        month = [[9] * 7] * good + [[5] * 7] * (20 - good)
        probabilities.append(_row(_one_component([month] * 3))["p_meets_label"])
    assert all(b >= a - 0.02 for a, b in pairwise(probabilities))
    assert probabilities[-1] - probabilities[0] > 0.9


def test_few_respondents_are_uncertain_and_the_minimum_counts():
    """Two months of 3 respondents each: expect 15 more by December, 21 < 50 for Reparaties."""
    row = _row(_one_component([[[9] * 7] * 3] * 2))
    assert row["respondents_expected"] == pytest.approx(30.0)
    assert row["respondents_needed_for_minimum"] == 44
    assert row["p_minimum"] < 0.1
    assert row["p_meets_label"] <= row["p_minimum"]


def test_to_date_figures_equal_scores_restricted_to_the_months(demo_dir):
    from kwh_calc.intake.dataset import load_dataset

    dataset = load_dataset(demo_dir)
    forecast = forecast_label(dataset, RULES, "2025-06", draws=50)
    assert list(forecast.columns) == FORECAST_COLUMNS
    results = respondent_results(
        dataset, RULES, first_month="2025-01", last_month="2025-06", questionnaires=RULES.label_questionnaires
    )
    expected = component_scores(results, RULES)
    joined = forecast.merge(expected, on=["corporation_id", "questionnaire"], validate="one_to_one")
    assert len(joined) == len(expected) == len(forecast)
    assert (joined["n_to_date"] == joined["n"]).all()
    np.testing.assert_allclose(joined["score_to_date"], joined["score"])
    np.testing.assert_allclose(joined["pct_satisfied_to_date"], joined["pct_satisfied"])
    assert forecast["p_meets_label"].between(0, 1).all()
    assert (forecast["p_meets_label"] <= forecast[["p_score", "p_pct", "p_minimum"]].min(axis=1) + 1e-12).all()


def test_same_figures_whatever_the_selection(demo_dir):
    from kwh_calc.intake.dataset import load_dataset

    dataset = load_dataset(demo_dir)
    everyone = forecast_label(dataset, RULES, "2025-03", draws=200)
    one = forecast_label(dataset, RULES, "2025-03", draws=200, corporations=["C001"])
    pd.testing.assert_frame_equal(
        one.reset_index(drop=True), everyone[everyone["corporation_id"] == "C001"].reset_index(drop=True)
    )


def test_month_window_refuses_malformed_months():
    assert month_window("2025-06") == (2025, "2025-01", "2025-06", 6)
    for bad in ("2025-6", "juni", "2025-13"):
        with pytest.raises(ValueError, match="as-of month must be YYYY-MM"):
            month_window(bad)


def test_brier_and_calibration():
    assert brier_score([1.0, 0.0], [1, 0]) == 0.0
    assert brier_score([0.5, 0.5], [1, 0]) == 0.25
    table = calibration_table(pd.Series([0.05, 0.05, 0.95, 0.95]), pd.Series([0, 1, 1, 1]))
    assert list(table["band"]) == ["0.0–0.1", "0.9–1.0"]
    assert list(table["n"]) == [2, 2]
    assert list(table["observed"]) == [0.5, 1.0]


def test_backtest_joins_the_actual_outcome(demo_dir):
    from kwh_calc.intake.dataset import load_dataset

    joined = backtest(load_dataset(demo_dir), load_rules(year=2024), 2024, months=(6,), draws=100)
    assert set(joined["as_of"]) == {"2024-06"}
    assert joined["met"].dtype == bool
    assert brier_score(joined["p_meets_label"], joined["met"]) < 0.25  # better than a coin


def test_forecast_command_writes_the_csv(demo_dir, tmp_path):
    target = tmp_path / "prognose.csv"
    result = CliRunner().invoke(app, ["forecast", str(demo_dir), "--as-of", "2025-03", "--out", str(target)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(target)
    for column in (
        "corporation_id",
        "questionnaire",
        "n_to_date",
        "score_to_date",
        "pct_satisfied_to_date",
        "p_meets_label",
        "respondents_expected",
        "grade_needed",
    ):
        assert column in table.columns
    assert table["pct_satisfied_to_date"].between(0, 100).all()
    bad = CliRunner().invoke(app, ["forecast", str(demo_dir), "--as-of", "maart", "--out", str(target)])
    assert bad.exit_code == 2
