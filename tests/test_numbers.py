from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kwh_calc.common.numbers import (
    fmt_count,
    fmt_date,
    fmt_decimal,
    fmt_grade,
    fmt_month,
    fmt_pct,
    fraction_at_least,
    join_nl,
    round_half_up,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (6.85, "6,9"),
        (6.849, "6,8"),
        (7.45, "7,5"),
        (7.449, "7,4"),
        (0.05, "0,1"),
        (10, "10,0"),
        (Fraction(48, 7), "6,9"),
        (Decimal("6.95"), "7,0"),
        (-0.04, "0,0"),
    ],
)
def test_grades_round_half_up_with_decimal_comma(value, shown):
    assert fmt_grade(value) == shown


def test_python_round_would_be_wrong_here():
    # The reason the module exists: half-to-even and binary floats both mis-round these.
    assert round(6.85, 1) == 6.8
    assert fmt_grade(6.85) == "6,9"
    assert round(84.5) == 84
    assert fmt_pct(84.5) == "85%"


@pytest.mark.parametrize(("value", "shown"), [(84.5, "85%"), (84.49, "84%"), (100, "100%"), (Fraction(800, 10), "80%")])
def test_percentages_whole_and_half_up(value, shown):
    assert fmt_pct(value) == shown


def test_thousands_and_missing_values():
    assert fmt_count(12345) == "12.345"
    assert fmt_decimal(12345.67, 1) == "12.345,7"
    assert fmt_grade(None) == "–"
    assert fmt_grade(float("nan")) == "–"
    assert fmt_pct(None) == "–"


def test_fraction_at_least_is_exact_at_the_threshold():
    sums = np.array([11, 54, 10, 38])
    counts = np.array([2, 10, 2, 7])  # 5,5 exactly; 5,4; 5,0; 5,43
    assert fraction_at_least(sums, counts, Decimal("5.5")).tolist() == [True, False, False, False]


@given(st.integers(1, 200), st.integers(1, 20))
def test_fraction_at_least_agrees_with_fractions(total, count):
    expected = Fraction(total, count) >= Fraction(11, 2)
    assert bool(fraction_at_least([total], [count], "5.5")[0]) == expected


@given(st.decimals(min_value=0, max_value=10, places=3))
def test_round_half_up_never_moves_more_than_half_a_unit(value):
    rounded = round_half_up(value, 1)
    assert abs(rounded - value) <= Decimal("0.05")


def test_dutch_dates_months_and_enumerations():
    import datetime

    import pandas as pd

    assert fmt_date(datetime.date(2025, 8, 31)) == "31 augustus 2025"
    assert fmt_date(pd.Timestamp("2028-03-31")) == "31 maart 2028"
    assert fmt_date("2026-02-01") == "1 februari 2026"
    assert fmt_date(None) == "–"
    assert fmt_date(pd.NaT) == "–"
    assert fmt_month("2024-09") == "september 2024"
    assert fmt_month(datetime.date(2025, 7, 1)) == "juli 2025"
    # Text and datetimes without pandas; other kinds (numpy) through pandas.Timestamp.
    assert fmt_date("2025-08-31T23:30:00") == "31 augustus 2025"
    assert fmt_date(datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)) == "1 februari 2026"
    assert fmt_date(np.datetime64("2025-03-04")) == "4 maart 2025"
    assert fmt_month("2025-07-31") == "juli 2025"
    assert fmt_month(" 2024-09 ") == "september 2024"
    assert join_nl([]) == ""
    assert join_nl(["a"]) == "a"
    assert join_nl(["a", "b", "c"]) == "a, b en c"


def test_fmt_difference_subtracts_the_printed_figures():
    from kwh_calc.common.numbers import fmt_difference

    assert fmt_difference(6.9505, 7.74) == "-0,7"  # 7,0 − 7,7, not −0,79 → "−0,8"
    assert fmt_difference(7.66, 7.75) == "-0,1"  # 7,7 − 7,8
    assert fmt_difference(7.74, 7.66) == "0,0"  # 7,7 − 7,7
    assert fmt_difference(5.94, 7.05) == "-1,2"  # 5,9 − 7,1
    assert fmt_difference(7.85, 7.0) == "+0,9"
    assert fmt_difference(float("nan"), 7.0) == "–"


def test_fmt_unrounded_shows_how_far_below_a_borderline_value_is():
    from kwh_calc.common.numbers import fmt_unrounded

    assert fmt_unrounded(6.950549) == "6,9505"  # cut, not rounded; "6,95" alone looks rounded
    assert fmt_unrounded(6.99999) == "6,9999"  # never prints as 7,0
    assert fmt_unrounded(6.96) == "6,96"
    assert fmt_unrounded(84.966, 2, 1, "%") == "84,96%"
    assert fmt_unrounded(84.5, 2, 1, "%") == "84,5%"
