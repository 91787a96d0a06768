import pytest
from builders import DatasetBuilder

from kwh_calc.calculations.response import response_table


def dataset():
    builder = DatasetBuilder().corporation("C1")
    first = builder.delivery("C1", "reparaties", "2025-01-01", "2025-03-31", n_delivered=120, n_approached=100)
    builder.delivery("C1", "reparaties", "2025-04-01", "2025-06-30", n_delivered=60, n_approached=50)
    builder.delivery("C1", "reparaties", "2024-10-01", "2024-12-31", n_delivered=60, n_approached=40)
    builder.respondents("C1", "reparaties", [[8]] * 30, month="2025-02")
    builder.respondents("C1", "reparaties", [[7]] * 10, month="2025-03", mode="telefonisch")
    builder.respondents("C1", "reparaties", [[None]] * 2, month="2025-03")  # completed, no label grade
    builder.respondents("C1", "reparaties", [[6]] * 20, month="2025-05")
    builder.respondents("C1", "reparaties", [[6]] * 9, month="2024-11", completed_on="2025-01-05")
    assert first == "D00001"
    return builder.build()


def test_yearly_response_counts_and_percentages():
    row = response_table(dataset(), year=2025).iloc[0]
    assert (row["deliveries"], row["delivered"], row["approached"]) == (2, 180, 150)
    assert (row["completed_online"], row["completed_telefonisch"], row["completed"]) == (52, 10, 62)
    assert row["response_pct"] == pytest.approx(100 * 62 / 150)
    assert row["telefonisch_pct"] == pytest.approx(100 * 10 / 150)


def test_quarterly_periods_follow_the_delivery_period_start():
    table = response_table(dataset(), period="quarter").set_index("period")
    assert table.loc["2025-K1", "completed"] == 42
    assert table.loc["2025-K2", "completed"] == 20
    assert table.loc["2024-K4", "completed"] == 9  # completed in 2025, but delivered for 2024


def test_nobody_approached_gives_an_empty_percentage():
    builder = DatasetBuilder().corporation("C1")
    builder.delivery("C1", "reparaties", "2025-01-01", "2025-01-31", n_delivered=0, n_approached=0)
    row = response_table(builder.build(), year=2025).iloc[0]
    assert row["approached"] == 0
    assert row["completed"] == 0
    assert row["response_pct"] != row["response_pct"]  # NaN


def test_unknown_period_is_refused():
    with pytest.raises(ValueError, match="period must be one of"):
        response_table(dataset(), period="week")
