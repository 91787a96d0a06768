import math

import numpy as np
import pandas as pd
import pytest
from builders import DatasetBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW
from typer.testing import CliRunner

from kwh_calc.calculations.representativeness import (
    extra_approached,
    label_component_intervals,
    margin_curve,
    margin_of_error,
    monthly_response,
    representativeness_table,
    required_sample_size,
    response_follows_deliveries,
    response_spread,
    sample_size_examples,
    score_interval,
    score_interval_from_summary,
    t_half_width,
    telephone_quota,
    wilson_interval,
    z_value,
)
from kwh_calc.common.numbers import fmt_decimal
from kwh_calc.intake.dataset import write_dataset
from kwh_calc.intake.rules import load_rules

RULES = load_rules()
Z90 = 1.6448536269514722


# --------------------------------------------------------------------------- building blocks


def test_z_value_for_90_and_95_percent():
    assert z_value(0.90) == pytest.approx(Z90, abs=1e-12)
    assert round(z_value(0.90), 4) == 1.6449
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError, match="confidence must be a fraction strictly between 0 and 1"):
        z_value(1.0)


def test_faq_227_for_the_average_dutch_person():
    # FAQ: 5% margin, 90% confidence -> 227. Reproduced with z = 1.645, p = 70/30, rounded to
    # the nearest whole (n0 = 1.645² * 0.21 / 0.0025 = 227.3061); no FPC (17.9 million people
    # change nothing). Rounded up it would be 228.
    n0 = 1.645**2 * 0.7 * 0.3 / 0.05**2
    assert n0 == pytest.approx(227.3061)
    assert required_sample_size(0.05, 0.90, p=0.7, rounding="nearest") == 227
    assert required_sample_size(0.05, 0.90, p=0.3, rounding="nearest") == 227
    assert required_sample_size(0.05, 0.90, p=0.7, population=17_900_000, rounding="nearest") == 227
    assert required_sample_size(0.05, 0.90, p=0.7, rounding="ceil") == 228


def test_271_is_the_worst_case():
    # p = 50%: n0 = 1.645² * 0.25 / 0.0025 = 270.6025 (exact z: 270.554) -> rounded up 271.
    assert pytest.approx(270.6025) == 1.645**2 * 0.25 / 0.05**2
    assert required_sample_size(0.05, 0.90) == 271
    assert required_sample_size(0.05, 0.90, rounding="nearest") == 271
    assert margin_of_error(271) <= 0.05 < margin_of_error(270)


def test_sample_size_examples_document_both_numbers():
    examples = sample_size_examples().set_index("example")
    assert examples.loc["FAQ: gemiddelde Nederlander", "n"] == 227
    assert examples.loc["FAQ: gemiddelde Nederlander", "p"] == 0.7
    assert examples.loc["FAQ, naar boven afgerond", "n"] == 228
    assert examples.loc["Slechtste geval p = 50%", "n"] == 271


def test_finite_population_correction_on_a_small_population():
    # N = 40, n = 25, p = 0.5: e = z * sqrt(0.25 / 25) * sqrt((40 - 25) / (40 - 1))
    #                           = 1.64485 * 0.1 * sqrt(15 / 39) = 1.64485 * 0.1 * 0.620174
    expected = Z90 * 0.1 * math.sqrt(15 / 39)
    assert expected == pytest.approx(0.102009, abs=1e-6)
    assert margin_of_error(25, population=40) == pytest.approx(expected, rel=1e-12)
    assert margin_of_error(25) == pytest.approx(Z90 * 0.1, rel=1e-12)  # without FPC: 16.4%


def test_census_has_no_margin_and_no_respondents_no_margin():
    assert margin_of_error(40, population=40) == 0.0
    assert margin_of_error(1, population=1) == 0.0
    assert math.isnan(margin_of_error(0))
    assert math.isnan(margin_of_error(0, population=40))
    values = margin_of_error(np.array([0, 10, 40]), population=np.array([40, 40, 40]))
    assert np.isnan(values[0])
    assert values[1] > 0
    assert values[2] == 0.0


def test_margin_is_vectorised_and_keeps_the_index():
    n = pd.Series([10, 100, 0], index=["a", "b", "c"])
    result = margin_of_error(n, population=pd.Series([np.nan, 200, 50], index=n.index))
    assert list(result.index) == ["a", "b", "c"]
    assert result["a"] == pytest.approx(margin_of_error(10))
    assert result["b"] == pytest.approx(margin_of_error(100, 200))
    assert np.isnan(result["c"])
    assert margin_of_error(100, p=0.0) == 0.0


def test_margin_refuses_impossible_inputs():
    with pytest.raises(ValueError, match="n must not exceed the population"):
        margin_of_error(41, population=40)
    with pytest.raises(ValueError, match="n must be a number of respondents >= 0"):
        margin_of_error(-1)
    with pytest.raises(ValueError, match="p must be a fraction between 0 and 1"):
        margin_of_error(10, p=1.5)
    with pytest.raises(ValueError, match="population must be at least 1"):
        margin_of_error(0, population=0)


def test_required_sample_size_with_finite_population():
    # N = 100: n0 = 270.554; n = 270.554 / (1 + 269.554 / 100) = 270.554 / 3.69554 = 73.21 -> 74.
    n0 = Z90**2 * 0.25 / 0.05**2
    expected = n0 / (1 + (n0 - 1) / 100)
    assert expected == pytest.approx(73.21, abs=0.01)
    assert required_sample_size(0.05, 0.90, population=100) == 74
    assert margin_of_error(74, 100) <= 0.05 < margin_of_error(73, 100)
    # N = 40 at 5%: 34.96 -> 35; 10%: n0 = 67.64 -> 67.64 / (1 + 66.64/40) = 25.4 -> 26.
    assert required_sample_size(0.05, population=40) == 35
    assert required_sample_size(0.10, population=40) == 26
    assert required_sample_size(0.05, population=1) == 1
    sizes = required_sample_size(0.05, population=np.array([100, np.nan, 40]))
    assert sizes.tolist() == [74, 271, 35]


@given(n=st.integers(1, 5000), extra=st.integers(1, 5000), population=st.integers(2, 100_000), p=st.floats(0.01, 0.99))
@settings(max_examples=200, deadline=None)
def test_margin_decreases_with_n_and_fpc_never_increases_it(n, extra, population, p):
    assert margin_of_error(n + extra, p=p) < margin_of_error(n, p=p)
    if n + extra <= population:
        assert margin_of_error(n + extra, population, p=p) < margin_of_error(n, population, p=p)
    if n <= population:
        assert margin_of_error(n, population, p=p) <= margin_of_error(n, p=p)


@given(margin=st.floats(0.01, 0.2), population=st.integers(1, 1_000_000))
@settings(max_examples=200, deadline=None)
def test_required_size_meets_the_margin_and_is_minimal(margin, population):
    size = required_sample_size(margin, population=population)
    assert 1 <= size <= population
    assert margin_of_error(size, population) <= margin * (1 + 1e-9)
    if size > 1:
        assert margin_of_error(size - 1, population) > margin


def test_wilson_matches_statsmodels():
    low, high = wilson_interval(8, 10)
    ref_low, ref_high = proportion_confint(8, 10, alpha=0.10, method="wilson")
    assert low == pytest.approx(100 * ref_low)
    assert high == pytest.approx(100 * ref_high)
    lows, highs = wilson_interval(np.array([0, 45, 50, 0]), np.array([50, 50, 50, 0]), confidence=0.95)
    ref = proportion_confint(np.array([0, 45, 50]), np.array([50, 50, 50]), alpha=0.05, method="wilson")
    np.testing.assert_allclose(lows[:3], 100 * ref[0], atol=1e-12)
    np.testing.assert_allclose(highs[:3], 100 * ref[1], atol=1e-12)
    assert np.isnan(lows[3])
    assert np.isnan(highs[3])
    assert lows[0] >= 0.0
    assert highs[2] == pytest.approx(100.0)


def test_score_interval_matches_descrstats_and_the_summary_version():
    means = [7.0, 8.5, 6.2, 9.0, 5.5, 7.7]
    result = score_interval(means)
    ref_low, ref_high = DescrStatsW(np.array(means)).tconfint_mean(alpha=0.10)
    assert result.n == 6
    assert result.mean == pytest.approx(np.mean(means))
    assert result.low == pytest.approx(ref_low)
    assert result.high == pytest.approx(ref_high)
    low, high = score_interval_from_summary(6, np.mean(means), np.std(means, ddof=1))
    assert low == pytest.approx(ref_low)
    assert high == pytest.approx(ref_high)
    single = score_interval([7.0])
    assert single.mean == 7.0
    assert math.isnan(single.low)
    assert math.isnan(score_interval([]).mean)
    lows, _ = score_interval_from_summary(np.array([1, 0]), np.array([7.0, np.nan]), np.array([np.nan, np.nan]))
    assert np.isnan(lows).all()


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (1, ("all", 24, 24)),
        (2500, ("all", 24, 24)),
        (2501, (12, 24, 24)),
        (5000, (12, 24, 24)),
        (5001, (24, 36, 36)),
        (10000, (24, 36, 36)),
        (10001, (24, 36, 36)),
        (20000, (24, 36, 36)),
        (20001, (48, 60, 48)),
    ],
)
def test_telephone_quota_at_every_size_class_edge(units, expected):
    got = tuple(telephone_quota(units, q, RULES) for q in ("nieuwe_huurders", "reparaties", "algemene_waardering"))
    assert got == expected
    assert telephone_quota(units, "vertrokken_huurders", RULES) == expected[0]


def test_telephone_quota_onderhoud_column():
    assert [telephone_quota(u, "planmatig_onderhoud", RULES) for u in (2500, 2501, 20000, 20001)] == [12, 24, 24, 48]
    with pytest.raises(KeyError):
        telephone_quota(3000, "onbekend", RULES)


# --------------------------------------------------------------------------- the table

GOOD = [8, 7, 9]
POOR = [4, 5, 5]


def synthetic():
    b = DatasetBuilder(year=2025)
    b.corporation("C1", units=3000)
    b.corporation("C2", units=25_000)
    b.corporation("C3", units=1200)
    b.corporation("LATE", units=800, member_since="2026-03-01")
    # C1 reparaties: N = 4 x 10 = 40, n = 25 (20 satisfied; 5 by telephone), plus one respondent
    # without any label grade (not counted).
    b.quarterly_deliveries("C1", "reparaties", n_delivered=10, n_approached=10)
    b.respondents("C1", "reparaties", [GOOD] * 10, month="2025-02")
    b.respondents("C1", "reparaties", [GOOD] * 5 + [POOR] * 5, month="2025-05")
    b.respondents("C1", "reparaties", [GOOD] * 5, month="2025-11", mode="telefonisch")
    b.respondents("C1", "reparaties", [[None, None]], month="2025-11")
    # A delivery that started in 2024 does not count for the 2025 population.
    b.delivery("C1", "reparaties", "2024-10-01", "2024-12-31", n_delivered=500, n_approached=500)
    # C1 nieuwe huurders: delivered, nobody responded.
    b.delivery("C1", "nieuwe_huurders", "2025-01-01", "2025-06-30", n_delivered=50, n_approached=50)
    # C2 reparaties: a census, n = N = 60.
    b.delivery("C2", "reparaties", "2025-03-01", "2025-03-31", n_delivered=60, n_approached=60)
    b.respondents("C2", "reparaties", [GOOD] * 60, month="2025-03")
    # C3 vertrokken huurders: respondents from a delivery that started in 2024 -> N = 0 < n.
    b.delivery("C3", "vertrokken_huurders", "2024-12-01", "2025-01-31", n_delivered=8, n_approached=8)
    b.respondents("C3", "vertrokken_huurders", [GOOD] * 3, month="2025-01")
    # C3 groot onderhoud answered only in 2024: no 2025 row.
    b.respondents("C3", "groot_onderhoud", [GOOD] * 4, month="2024-06")
    return b.build()


@pytest.fixture(scope="module")
def dataset():
    return synthetic()


@pytest.fixture(scope="module")
def table(dataset):
    return representativeness_table(dataset, RULES, 2025).set_index(["corporation_id", "questionnaire"])


def test_table_rows(table):
    assert sorted(table.index) == sorted(
        [
            ("C1", "reparaties"),
            ("C1", "nieuwe_huurders"),
            ("C1", "algemene_waardering"),
            ("C2", "reparaties"),
            ("C2", "algemene_waardering"),
            ("C3", "vertrokken_huurders"),
            ("C3", "algemene_waardering"),
        ]
    )  # LATE joined after 2025; C3's groot onderhoud was 2024


def test_table_small_population_with_fpc(table):
    row = table.loc[("C1", "reparaties")]
    assert row["population"] == 40
    assert row["n"] == 25
    assert row["response_rate"] == pytest.approx(62.5)
    expected = 100 * Z90 * 0.1 * math.sqrt(15 / 39)  # 10.20 percentage points
    assert row["margin_of_error"] == pytest.approx(expected, rel=1e-12)
    assert not row["meets_5pct"]
    assert not row["meets_10pct"]
    assert row["required_n_5pct"] == 35
    assert row["extra_n_5pct"] == 10
    assert row["required_n_10pct"] == 26
    assert row["required_rate_5pct"] == pytest.approx(87.5)
    assert row["n_satisfied"] == 20
    assert row["pct_satisfied"] == pytest.approx(80.0)
    observed = 100 * Z90 * math.sqrt(0.8 * 0.2 / 25) * math.sqrt(15 / 39)
    assert row["margin_observed"] == pytest.approx(observed)
    low, high = proportion_confint(20, 25, alpha=0.10, method="wilson")
    assert row["pct_low"] == pytest.approx(100 * low)
    assert row["pct_high"] == pytest.approx(100 * high)
    means = [8.0] * 20 + [14 / 3] * 5
    ref = DescrStatsW(np.array(means)).tconfint_mean(alpha=0.10)
    assert row["score"] == pytest.approx(np.mean(means))
    assert (row["score_low"], row["score_high"]) == pytest.approx(ref)
    assert (row["n_online"], row["n_telefonisch"]) == (20, 5)
    assert row["size_class"] == RULES.size_class(3000)
    assert row["telephone_quota"] == 24
    assert not row["telephone_quota_met"]
    assert not row["population_mismatch"]


def test_table_no_response_row(table):
    row = table.loc[("C1", "nieuwe_huurders")]
    assert row["population"] == 50
    assert row["n"] == 0
    assert np.isnan(row["margin_of_error"])
    assert np.isnan(row["pct_satisfied"])
    assert np.isnan(row["pct_low"])
    assert not row["meets_5pct"]
    assert not row["meets_10pct"]
    assert row["required_n_5pct"] == required_sample_size(0.05, population=50)
    assert row["extra_n_5pct"] == row["required_n_5pct"]
    assert row["telephone_quota"] == 12


def test_table_census_and_general_population(table):
    row = table.loc[("C2", "reparaties")]
    assert row["margin_of_error"] == 0.0
    assert row["meets_5pct"]
    assert row["extra_n_5pct"] == 0
    assert row["telephone_quota"] == 60
    general = table.loc[("C2", "algemene_waardering")]
    assert general["population"] == 25_000
    assert general["n"] == 0
    assert general["required_n_5pct"] == required_sample_size(0.05, population=25_000)


def test_table_more_respondents_than_population(table):
    row = table.loc[("C3", "vertrokken_huurders")]
    assert row["population"] == 0
    assert row["n"] == 3
    assert row["population_mismatch"]
    assert np.isnan(row["response_rate"])
    assert row["margin_of_error"] == pytest.approx(100 * margin_of_error(3))  # no FPC
    assert row["required_n_5pct"] == 271
    assert row["telephone_quota"] == "all"
    assert pd.isna(row["telephone_quota_met"])


def test_general_population_row_for_every_member_also_a_merged_corporation_keeping_its_id():
    """Every member (not merged away before Y) gets an Algemene waardering row, N = units; a
    merged corporation that lists its own id among its predecessors (it absorbed the others) is
    not merged away (docs/methodology.md §3 mergers, :func:`kwh_calc.calculations.coverage.mergers`)."""
    b = DatasetBuilder(year=2025)
    b.corporation("ABSORBS", units=4000, merged_from="ABSORBS;GONE", merged_on="2024-07-01")
    b.corporation("GONE", units=900)
    b.corporation("NEW", units=5000, member_since="2024-07-01", merged_from="GONE2", merged_on="2024-07-01")
    b.corporation("GONE2", units=700)
    table = representativeness_table(b.build(), RULES, 2025).set_index(["corporation_id", "questionnaire"])
    assert sorted(table.index) == [("ABSORBS", "algemene_waardering"), ("NEW", "algemene_waardering")]
    assert table.loc[("ABSORBS", "algemene_waardering"), "population"] == 4000


def test_table_on_an_empty_year(dataset):
    table = representativeness_table(dataset, RULES, 2030)
    assert set(table["questionnaire"]) == {"algemene_waardering"}
    assert (table["n"] == 0).all()
    assert table["margin_of_error"].isna().all()


def test_monthly_response_spreads_deliveries_evenly(dataset):
    months = monthly_response(dataset, RULES, "C1", "reparaties", 2025).set_index("service_month")
    assert len(months) == 12
    assert months["delivered"].tolist() == pytest.approx([10 / 3] * 12)
    assert months.loc["2025-02", "respondents"] == 10
    assert months.loc["2025-11", "n_telefonisch"] == 5
    assert months["respondents"].sum() == 25
    assert months.loc["2025-02", "response_rate"] == pytest.approx(300.0)
    assert months["delivered_share"].sum() == pytest.approx(100.0)
    straddling = monthly_response(dataset, RULES, "C3", "vertrokken_huurders", 2025).set_index("service_month")
    assert straddling.loc["2025-01", "delivered"] == pytest.approx(4.0)  # half of 8 (Dec 2024 - Jan 2025)
    assert straddling["delivered"].sum() == pytest.approx(4.0)
    everything = monthly_response(dataset, RULES, None, None, 2025)
    assert len(everything) == 12 * everything.groupby(["corporation_id", "questionnaire"]).ngroups


# --------------------------------------------------------------------------- CLI


def test_cli_writes_the_contract_columns(tmp_path, dataset):
    from kwh_calc.cli import app

    folder = write_dataset(dataset, tmp_path / "data", fmt="csv")
    target = tmp_path / "out" / "representativeness.csv"
    result = CliRunner().invoke(app, ["representativeness", str(folder), "--year", "2025", "--out", str(target)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(target)
    for column in ("corporation_id", "questionnaire", "population", "n", "margin_of_error", "required_n_5pct"):
        assert column in written.columns
    row = written.set_index(["corporation_id", "questionnaire"]).loc[("C1", "reparaties")]
    computed = representativeness_table(dataset, RULES, 2025).set_index(["corporation_id", "questionnaire"])
    assert row["margin_of_error"] == computed.loc[("C1", "reparaties"), "margin_of_error"]  # full precision
    assert row["margin_of_error"] == pytest.approx(100 * Z90 * 0.1 * math.sqrt(15 / 39))  # percentage points
    assert row["required_n_5pct"] == 35
    assert np.isnan(
        written.set_index(["corporation_id", "questionnaire"]).loc[("C1", "nieuwe_huurders"), "margin_of_error"]
    )
    assert "Representativeness 2025" in result.output


def test_a_corporation_that_started_in_the_year_is_held_to_its_share_of_the_telephone_quota():
    from kwh_calc.calculations.representativeness import (
        pro_rata_quota,
        representativeness_table,
        research_months_active,
    )

    assert pro_rata_quota(24, 12) == 24
    assert pro_rata_quota(24, 5) == 10
    assert pro_rata_quota(12, 6) == 6
    assert pro_rata_quota(36, 1) == 3  # rounded up
    b = DatasetBuilder(year=2025)
    b.corporation("OLD").corporation("NEW", member_since="2025-08-01")
    b.corporation("M", member_since="2025-07-01", merged_from="OLD", merged_on="2025-07-01")
    b.respondents("NEW", "reparaties", [[8]] * 10, month="2025-09", mode="telefonisch")
    b.respondents("OLD", "reparaties", [[8]] * 10, month="2025-03", mode="telefonisch")
    dataset = b.build()
    months = research_months_active(dataset.corporations, 2025)
    # OLD merged into M on 1 July: its own months are January to June.
    assert months.to_dict() == {"OLD": 6, "NEW": 5, "M": 6}
    table = representativeness_table(dataset, RULES, 2025).set_index(["corporation_id", "questionnaire"])
    new = table.loc[("NEW", "reparaties")]
    # 3.000 units: 24 per year; 5 months: 10, and 10 telephone interviews meet it.
    assert (new["telephone_quota"], new["quota_months"], new["telephone_quota_period"]) == (24, 5, 10)
    assert bool(new["telephone_quota_met"])
    old = table.loc[("OLD", "reparaties")]
    assert (old["quota_months"], old["telephone_quota_period"]) == (6, 12)
    assert not bool(old["telephone_quota_met"])  # 10 of 12


@pytest.mark.parametrize(
    ("member_since", "merged_on", "months"),
    [
        ("2015-01-01", "2025-07-01", 6),  # January to June
        ("2015-01-01", "2025-07-15", 7),  # July's first day lies before the merger: July is its own
        ("2025-03-01", "2025-07-15", 5),  # a new member in March that merged away in July
        ("2015-01-01", "2025-01-01", 0),
        ("2015-01-01", "2025-12-31", 12),
        ("2015-01-01", "2024-10-01", 0),  # merged away before the year
        ("2015-01-01", "2026-03-01", 12),  # merges after the year
    ],
)
def test_a_predecessor_takes_part_until_its_merger(member_since, merged_on, months):
    from kwh_calc.calculations.representativeness import research_months_active

    b = DatasetBuilder(year=2025)
    b.corporation("OLD", member_since=member_since).corporation("M", merged_from="OLD", merged_on=merged_on)
    corporations = pd.DataFrame(b.corporations)
    assert research_months_active(corporations, 2025)["OLD"] == months


# --------------------------------------------------------------------------- chart and text figures


def test_margin_curve_follows_margin_of_error():
    curve = margin_curve(40, 0.90, 0.5, n_max=100)
    assert curve["n"].iloc[-1] == 40
    assert curve["margin"].iloc[-1] == 0.0
    assert np.all(np.diff(curve["margin"]) < 0)
    row = curve.loc[curve["n"] == 25].iloc[0]
    assert row["margin"] == pytest.approx(100 * margin_of_error(25, 40, 0.90, 0.5))
    infinite = margin_curve(None, 0.90, 0.5, n_max=271)
    assert fmt_decimal(infinite["margin"].iloc[-1], 1) == "5,0"
    assert len(margin_curve(3099, 0.90, 0.5, n_max=2000, points=50)) <= 50


def test_extra_approached():
    assert extra_approached(37, 31) == 120  # the example: 37 / 0,31 = 119,4 -> about 120
    assert extra_approached(1, 100 / 3) == 3  # 2,9999999999999996 is 3, not 4
    assert extra_approached(0, 31) == 0
    assert extra_approached(10, 0) is None
    assert extra_approached(10, math.nan) is None


def test_response_follows_deliveries():
    even = [10] * 12
    assert response_follows_deliveries(even, [30] * 12, 0.90) == ("ja", 1.0, "maand")
    skewed = [50] + [5] * 11
    verdict, p, period = response_follows_deliveries(skewed, [30] * 12, 0.90)
    assert (verdict, period) == ("nee", "maand")
    assert p == pytest.approx(stats.chisquare(skewed).pvalue)
    assert response_follows_deliveries([0] * 12, [30] * 12, 0.90)[0] == "geen respons"
    assert response_follows_deliveries([1] + [0] * 11, [0] * 12, 0.90)[0] == "geen levering"
    assert response_follows_deliveries([6, 6] + [0] * 10, [0, 30] + [0] * 10, 0.90)[:2] == ("nee", 0.0)
    single = response_follows_deliveries([0, 0, 12] + [0] * 9, [0, 0, 40] + [0] * 9, 0.90)
    assert single[0] == "één leverperiode"
    assert single[1] != single[1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=2, max_size=12),
    st.lists(st.floats(0.5, 500, allow_nan=False), min_size=12, max_size=12),
)
def test_the_chi_square_p_value_is_scipys_to_the_bit(counts, mass):
    from kwh_calc.calculations.representativeness import _chisquare_p

    observed = np.asarray(counts, dtype="float64")
    weights = np.asarray(mass[: len(counts)])
    expected = observed.sum() * weights / weights.sum()
    if observed.sum() == 0:
        return
    assert _chisquare_p(observed, expected) == float(stats.chisquare(observed, expected).pvalue)


def test_small_monthly_counts_are_pooled_into_quarters():
    respondents = [2, 2, 2] * 4  # 2 expected per month: too few for a monthly test
    verdict, p, period = response_follows_deliveries(respondents, [10] * 12, 0.90)
    assert (verdict, p, period) == ("ja", 1.0, "kwartaal")
    assert response_follows_deliveries([1] * 3 + [0] * 9, [10] * 12, 0.90)[0] == "te weinig respons"


# --------------------------------------------------------------------------- the one t-interval


def test_t_half_width_is_the_t_interval_of_the_mean():
    means = np.array([6.0, 7.5, 8.0, 9.0, 7.0, 6.5])
    low, high = DescrStatsW(means).tconfint_mean(alpha=0.10)
    half = t_half_width(len(means), means.std(ddof=1), 0.90)
    assert half == pytest.approx((high - low) / 2, rel=1e-12)
    assert half == pytest.approx(stats.t.ppf(0.95, 5) * means.std(ddof=1) / math.sqrt(6), rel=1e-12)
    assert math.isnan(t_half_width(1, 0.5, 0.90))  # no spread from one respondent
    assert t_half_width(np.array([2, 40]), np.array([1.0, 1.0]), 0.90)[1] < t_half_width(2, 1.0, 0.90)
    assert t_half_width(10, 1.0, 0.95) > t_half_width(10, 1.0, 0.90)


# --------------------------------------------------------------------------- label components' intervals


def test_label_component_intervals_pool_the_predecessors_population():
    components = pd.DataFrame(
        {
            "corporation_id": ["S", "A", "B"],
            "component": ["reparaties", "reparaties", "nieuwe_huurders"],
            "n": [10, 3, 1],
            "score": [7.5, 6.0, 8.0],
            "sd": [1.0, 0.5, np.nan],
            "pct_satisfied": [80.0, 100.0, 100.0],
        }
    )
    representativeness = pd.DataFrame(
        {
            "corporation_id": ["S", "P", "A", "S"],
            "questionnaire": ["reparaties", "reparaties", "reparaties", "nieuwe_huurders"],
            "population": [100, 50, 2, 30],
        }
    )
    merged_away = pd.DataFrame({"corporation_id": ["P"], "successor_id": ["S"]})
    before = components.copy()
    out = label_component_intervals(components, representativeness, merged_away, RULES).set_index("corporation_id")
    pd.testing.assert_frame_equal(components, before)  # the input is not changed
    s = out.loc["S"]
    assert s["population"] == 150  # own 100 + the predecessor's 50
    assert s["margin"] == pytest.approx(100 * margin_of_error(10, 150, 0.90, 0.5))
    assert (s["score_low"], s["score_high"]) == pytest.approx(
        (7.5 - t_half_width(10, 1.0), 7.5 + t_half_width(10, 1.0))
    )
    assert (s["pct_low"], s["pct_high"]) == pytest.approx(wilson_interval(8, 10, 0.90))
    a = out.loc["A"]
    assert a["population"] == 2
    assert a["margin"] == pytest.approx(100 * margin_of_error(3, None, 0.90, 0.5))  # N < n: no correction
    b = out.loc["B"]
    assert math.isnan(b["population"])  # no representativeness row of B
    assert math.isnan(b["score_low"])  # no t-interval of one respondent


def test_response_spread_tests_each_corporation_and_questionnaire():
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    uneven = [6, 6, 6, 0, 0, 0, 6, 6, 6, 0, 0, 0]  # 3 expected a month: pooled into quarters 18, 0, 18, 0
    monthly = pd.DataFrame(
        {
            "corporation_id": ["C2"] * 12 + ["C1"] * 12,
            "questionnaire": ["reparaties"] * 24,
            # C2's rows start in February: the quarters are pooled in service-month order all the same
            "service_month": months[1:] + months[:1] + months,
            "respondents": uneven[1:] + uneven[:1] + [10] * 12,
            "delivered": [10] * 12 + [30] * 12,
        }
    )
    spread = response_spread(monthly, RULES).set_index("corporation_id")
    assert list(spread.index) == ["C1", "C2"]
    assert tuple(spread.loc["C1", ["follows", "p", "period"]]) == ("ja", 1.0, "maand")
    c2 = spread.loc["C2"]
    assert (c2["follows"], c2["period"]) == ("nee", "kwartaal")
    assert c2["p"] == pytest.approx(stats.chisquare([18, 0, 18, 0]).pvalue)


def test_quantiles_are_scipy_stats_own_to_the_last_bit():
    """z_value and t_half_width call scipy.special (what norm.ppf and t.ppf call themselves, so
    that kernels need not import scipy.stats): the floats are exactly scipy.stats'."""
    from kwh_calc.calculations.representativeness import t_half_width, z_value

    for confidence in (0.80, 0.90, 0.95, 0.99, 0.999):
        assert z_value(confidence) == float(stats.norm.ppf(1 - (1 - confidence) / 2))
        n = np.arange(2, 3000, dtype=float)
        expected = stats.t.ppf(1 - (1 - confidence) / 2, n - 1) * 1.3 / np.sqrt(n)
        assert np.array_equal(t_half_width(n, 1.3, confidence), expected)
