"""Tests of the synthetic national demo dataset (kwh_calc.intake.demo)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kwh_calc.intake.dataset import TABLES, from_tables, load_dataset
from kwh_calc.intake.demo import (
    SCENARIOS,
    demo_scenarios,
    generate_demo,
    generate_demo_with_scenarios,
)

YEAR = 2025
N = 30
MIN_RESPONDENTS = {"nieuwe_huurders": 20, "vertrokken_huurders": 20, "reparaties": 50, "planmatig_onderhoud": 50}
QUARTERLY = ("nieuwe_huurders", "vertrokken_huurders", "reparaties")


@pytest.fixture(scope="module")
def demo():
    tables, scenarios = generate_demo_with_scenarios(corporations=N, year=YEAR, seed=2025)
    return tables, scenarios, from_tables(tables)


@pytest.fixture(scope="module")
def components(demo):
    """Exact label results per corporation × label component × service year."""
    _, _, ds = demo
    label = ds.questions.loc[ds.questions["label_question"], ["questionnaire", "question_id"]]
    answers = ds.answers.dropna(subset=["grade"]).merge(
        ds.respondents[["response_id", "corporation_id", "questionnaire", "service_month"]], on="response_id"
    )
    answers = answers.merge(label, on=["questionnaire", "question_id"])
    answers["year"] = answers["service_month"].str.slice(0, 4).astype(int)
    per = (
        answers.groupby(["corporation_id", "questionnaire", "year", "response_id"])["grade"]
        .agg(["sum", "count"])
        .reset_index()
    )
    assert per["count"].max() <= 6  # so 60 * respondent mean is a whole number
    per["mean60"] = (60 * per["sum"].astype("int64")) // per["count"]
    per["satisfied"] = 2 * per["sum"] >= 11 * per["count"]
    out = (
        per.groupby(["corporation_id", "questionnaire", "year"])
        .agg(n=("mean60", "size"), total60=("mean60", "sum"), n_satisfied=("satisfied", "sum"))
        .reset_index()
    )
    out["score"] = [Fraction(int(t), 60 * int(n)) for t, n in zip(out["total60"], out["n"], strict=True)]
    out["pct"] = [Fraction(100 * int(s), int(n)) for s, n in zip(out["n_satisfied"], out["n"], strict=True)]
    return out


def ids_of(scenarios: pd.DataFrame, scenario: str) -> list[str]:
    return scenarios.loc[scenarios["scenario"] == scenario, "corporation_id"].tolist()


def result(components, corp, questionnaire, year=YEAR):
    row = components[
        (components.corporation_id == corp) & (components.questionnaire == questionnaire) & (components.year == year)
    ]
    assert len(row) == 1, (corp, questionnaire, year)
    return row.iloc[0]


def deliveries_in(ds, corp, questionnaire, year=YEAR):
    d = ds.deliveries
    return d[
        (d.corporation_id == corp)
        & (d.questionnaire == questionnaire)
        & (d.period_start <= f"{year}-12-31")
        & (d.period_end >= f"{year}-01-01")
    ]


# --------------------------------------------------------------------------- contract and shape


def test_passes_the_dataset_contract_and_has_all_tables(demo):
    tables, _, ds = demo
    assert set(tables) == set(TABLES)
    assert len(ds.corporations) == N
    assert ds.corporations["corporation_id"].str.fullmatch(r"C\d{3}").all()
    assert ds.corporations["name"].str.contains(" Demo ").all()


def test_small_and_odd_sizes_pass_the_contract():
    for n, year in ((5, 2025), (18, 2024)):
        tables = generate_demo(corporations=n, year=year, seed=3)
        ds = from_tables(tables)
        assert len(ds.corporations) == n
    assert set(demo_scenarios(18, 2024, 3)["scenario"]) == set(SCENARIOS)


def test_returned_dtypes_are_the_contract_types(demo):
    tables, _, _ = demo
    assert str(tables["answers"]["grade"].dtype) == "Int64"
    assert str(tables["respondents"]["completed_on"].dtype) == "datetime64[ns]"
    assert tables["respondents"]["response_id"].dtype == pd.StringDtype()
    assert tables["respondents"]["anonymity_lifted"].dtype == bool
    assert tables["deliveries"]["n_delivered"].dtype == np.int64


def test_deterministic_for_a_seed_and_seed_changes_data(demo):
    tables, scenarios, _ = demo
    again, again_scenarios = generate_demo_with_scenarios(corporations=N, year=YEAR, seed=2025)
    for name in TABLES:
        pd.testing.assert_frame_equal(tables[name], again[name], check_exact=True)
    pd.testing.assert_frame_equal(scenarios, again_scenarios)
    pd.testing.assert_frame_equal(scenarios, demo_scenarios(N, YEAR, 2025))
    other = generate_demo(corporations=N, year=YEAR, seed=2026)
    assert not other["corporations"]["units"].equals(tables["corporations"]["units"])
    assert len(other["answers"]) != len(tables["answers"]) or not other["answers"]["grade"].equals(
        tables["answers"]["grade"]
    )


def test_respondents_scale_with_corporations(demo):
    _, _, ds = demo
    per_year = ds.respondents["service_month"].str.slice(0, 4).value_counts()
    assert set(per_year.index) == {str(YEAR - 1), str(YEAR)}
    for year in (YEAR - 1, YEAR):
        assert 800 * N <= per_year[str(year)] <= 1200 * N
    assert set(ds.respondents["questionnaire"]) == set(ds.questions["questionnaire"])
    assert 6 <= len(ds.answers) / len(ds.respondents) <= 9


def test_corporations_look_national(demo):
    _, _, ds = demo
    corps = ds.corporations
    assert corps["units"].between(200, 90000).all()
    assert corps["urbanisation"].between(1, 5).all()
    assert corps["region"].nunique() >= 6
    many = demo_scenarios(250)  # plan only: cheap
    assert len(many) == 250


# --------------------------------------------------------------------------- grades, modes, checkvraag


def test_national_label_mean_and_missing_share(demo, components):
    _, _, ds = demo
    label = ds.questions.loc[ds.questions["label_question"], "question_id"]
    grades = ds.answers.loc[ds.answers["question_id"].isin(label), "grade"]
    assert 7.4 <= grades.mean() <= 8.0
    assert 0.03 <= ds.answers["grade"].isna().mean() <= 0.07
    assert grades.dropna().between(1, 10).all()


def test_questions(demo):
    _, _, ds = demo
    q = ds.questions
    per = q.groupby("questionnaire")
    assert per["label_question"].sum().between(5, 8).all()
    assert (per["aedes_question"].sum().reindex(["nieuwe_huurders", "reparaties", "vertrokken_huurders"]) == 1).all()
    assert (~q["label_question"] & ~q["aedes_question"]).groupby(q["questionnaire"]).sum().ge(1).all()
    assert not (q["label_question"] & q["aedes_question"]).any()


def test_modes_anonymity_and_breakdowns(demo):
    _, _, ds = demo
    r = ds.respondents
    assert 0.15 <= (r["mode"] == "telefonisch").mean() <= 0.30
    assert 0.65 <= r["anonymity_lifted"].mean() <= 0.75
    assert r["aannemer"].notna().groupby(r["questionnaire"]).mean()["algemene_waardering"] == 0
    assert r.loc[r["questionnaire"] == "reparaties", "aannemer"].notna().mean() > 0.5
    assert r["aannemer"].dropna().str.fullmatch(r"Aannemer [A-Z]+").all()
    assert r["uitsplitsing_1"].notna().mean() > 0.5
    assert r["uitsplitsing_4"].notna().mean() < 0.3


def test_checkvraag_shares(demo):
    _, _, ds = demo
    c = ds.checkvraag
    shares = c["answer"].value_counts(normalize=True)
    assert 0.16 <= shares[3] <= 0.25
    assert 0.015 <= shares[4] <= 0.05
    kinds = ds.deliveries.set_index("delivery_id").loc[c["delivery_id"], ["corporation_id", "questionnaire"]]
    assert (kinds["questionnaire"] == "reparaties").all()
    assert (kinds["corporation_id"].to_numpy() == c["corporation_id"].to_numpy()).all()


# --------------------------------------------------------------------------- deliveries and timing


def test_delivery_periods_contain_service_months(demo):
    _, _, ds = demo
    r = ds.respondents.merge(ds.deliveries, on="delivery_id", suffixes=("", "_d"))
    assert (r["corporation_id"] == r["corporation_id_d"]).all()
    assert (r["questionnaire"] == r["questionnaire_d"]).all()
    month_start = pd.to_datetime(r["service_month"] + "-01")
    month_end = month_start + pd.offsets.MonthEnd(0)
    assert ((r["period_start"] <= month_start) & (r["period_end"] >= month_end)).all()
    assert (r["completed_on"] > r["delivered_on"]).all()


def test_delivery_counts_and_dates(demo):
    _, _, ds = demo
    d = ds.deliveries
    responded = ds.respondents.groupby("delivery_id").size().reindex(d["delivery_id"], fill_value=0).to_numpy()
    assert (d["n_delivered"] >= d["n_approached"]).all()
    assert (d["n_approached"].to_numpy() >= responded).all()
    rate = responded.sum() / d["n_approached"].sum()
    assert 0.25 <= rate <= 0.45
    lag = (d["delivered_on"] - d["period_end"]).dt.days
    assert lag.between(1, 14).all()
    assert set(d["channel"]) == {"mijn_kwh", "api"}


def test_july_services_partly_completed_after_the_aedes_freeze(demo):
    _, _, ds = demo
    july = ds.respondents[ds.respondents["service_month"] == f"{YEAR}-07"]
    late = (july["completed_on"] > pd.Timestamp(f"{YEAR}-08-31")).mean()
    assert 0.05 <= late <= 0.8


# --------------------------------------------------------------------------- scenarios


def test_every_scenario_present(demo):
    _, scenarios, _ = demo
    assert set(scenarios["scenario"]) == set(SCENARIOS)
    assert scenarios["corporation_id"].is_unique
    assert len(scenarios) == N
    assert (scenarios["scenario"] == "normaal").mean() > 0.4


def test_normal_corporations_pass_every_component(demo, components):
    _, scenarios, _ = demo
    normal = components[
        components.corporation_id.isin(ids_of(scenarios, "normaal"))
        & components.questionnaire.isin(MIN_RESPONDENTS)
        & (components.year == YEAR)
    ]
    assert len(normal) == 4 * len(ids_of(scenarios, "normaal"))
    assert (normal["score"] >= 7).all()
    assert (normal["pct"] >= 85).all()


@pytest.mark.parametrize(
    ("scenario", "check"),
    [
        ("onvoldoende_score", lambda r: r.score < 7 and r.n >= MIN_RESPONDENTS[r.questionnaire]),
        ("verloopt", lambda r: r.score < 7 and r.n >= MIN_RESPONDENTS[r.questionnaire]),
        ("zonder_label", lambda r: r.score < 7 and r.n >= MIN_RESPONDENTS[r.questionnaire]),
        ("zwak", lambda r: r.score < 7 and r.n >= MIN_RESPONDENTS[r.questionnaire]),
        ("onvoldoende_tevreden", lambda r: r.score >= 7 and r.pct < 85 and r.n >= MIN_RESPONDENTS[r.questionnaire]),
        (
            "grensgeval",
            lambda r: Fraction(695, 100) <= r.score < 7 and r.pct >= 85 and r.n >= MIN_RESPONDENTS[r.questionnaire],
        ),
        ("lage_respons", lambda r: (r.score < 7 or r.pct < 85) and r.n < MIN_RESPONDENTS[r.questionnaire]),
    ],
)
def test_failing_component_scenarios(demo, components, scenario, check):
    _, scenarios, _ = demo
    for corp in ids_of(scenarios, scenario):
        component = scenarios.set_index("corporation_id").loc[corp, "component"]
        row = result(components, corp, component)
        assert check(row), (scenario, corp, row.to_dict())


def test_coverage_scenarios(demo):
    _, scenarios, ds = demo
    (half,) = ids_of(scenarios, "halfjaarlijks")
    for q in QUARTERLY:
        spans = deliveries_in(ds, half, q).eval("period_end - period_start").dt.days
        assert (spans > 92).all()
        assert len(spans) == 2
    (gap,) = ids_of(scenarios, "kwartaal_ontbreekt")
    vh = deliveries_in(ds, gap, "vertrokken_huurders")
    assert not ((vh.period_start <= f"{YEAR}-09-30") & (vh.period_end >= f"{YEAR}-07-01")).any()
    assert len(vh) == 3
    (no_aw,) = ids_of(scenarios, "geen_algemene_waardering")
    assert deliveries_in(ds, no_aw, "algemene_waardering").empty
    assert not deliveries_in(ds, no_aw, "algemene_waardering", YEAR - 1).empty
    (no_po,) = ids_of(scenarios, "geen_onderhoud")
    assert deliveries_in(ds, no_po, "planmatig_onderhoud").empty
    for corp in ids_of(scenarios, "normaal"):
        assert not deliveries_in(ds, corp, "algemene_waardering").empty
        assert not deliveries_in(ds, corp, "planmatig_onderhoud").empty


def test_merger_and_new_members(demo):
    _, scenarios, ds = demo
    corps = ds.corporations.set_index("corporation_id")
    (successor,) = ids_of(scenarios, "fusie")
    predecessors = corps.loc[successor, "merged_from"].split(";")
    assert sorted(predecessors) == sorted(ids_of(scenarios, "fusie_voorganger"))
    merged_on = corps.loc[successor, "merged_on"]
    assert merged_on.year == YEAR
    assert corps.loc[successor, "member_since"] == merged_on
    r = ds.respondents
    first_month = f"{merged_on:%Y-%m}"
    assert (r.loc[r.corporation_id == successor, "service_month"] >= first_month).all()
    for corp in predecessors:
        months = r.loc[r.corporation_id == corp, "service_month"]
        assert (months < first_month).all()
        assert (months >= f"{YEAR}-01").any()
    (route_b,) = ids_of(scenarios, "nieuw_lid_route_b")
    assert corps.loc[route_b, "member_since"].year == YEAR
    for q in QUARTERLY:
        first = deliveries_in(ds, route_b, q).sort_values("period_start").iloc[0]
        assert first.period_start == pd.Timestamp(f"{YEAR}-01-01")
        assert first.period_end == pd.Timestamp(f"{YEAR}-06-30")
    (new,) = ids_of(scenarios, "nieuw_lid")
    since = corps.loc[new, "member_since"]
    assert since.year == YEAR
    assert since.month > 1
    assert (r.loc[r.corporation_id == new, "service_month"] >= f"{since:%Y-%m}").all()


def _replay(history: pd.DataFrame) -> list[str]:
    """Check the rows of one corporation against the docs/methodology.md §3.7 state machine."""
    problems = []
    rows = history.sort_values("research_year").to_dict("records")
    for previous, row in itertools.pairwise(rows):
        year = row["research_year"]
        valid = pd.notna(previous["valid_until"]) and previous["valid_until"] >= pd.Timestamp(f"{year + 1}-03-01")
        if row["passed"]:
            expected = "verlengen" if valid else "toekennen"
        elif not valid:
            expected = "niet_toekennen"
        else:
            expected = "niet_verlengen" if previous["passed"] else "verloopt"
        if row["decision"] != expected:
            problems.append(f"{row['corporation_id']} {year}: {row['decision']} != {expected}")
        if expected in ("toekennen", "verlengen") and row["valid_until"] != pd.Timestamp(f"{year + 3}-03-31"):
            problems.append(f"{row['corporation_id']} {year}: valid_until {row['valid_until']}")
        if expected == "niet_verlengen" and row["valid_until"] != previous["valid_until"]:
            problems.append(f"{row['corporation_id']} {year}: niet_verlengen changed valid_until")
    return problems


def test_label_history_follows_the_state_machine(demo, components):
    _, scenarios, ds = demo
    h = ds.label_history
    assert set(h["research_year"]) == {YEAR - 3, YEAR - 2, YEAR - 1}
    problems = [p for _, group in h.groupby("corporation_id") for p in _replay(group)]
    assert problems == []
    latest = h[h.research_year == YEAR - 1].set_index("corporation_id")
    # an expired label and a corporation whose Y-1 failed while its label is still valid
    (expired,) = ids_of(scenarios, "label_verlopen")
    assert latest.loc[expired, "valid_until"] < pd.Timestamp(f"{YEAR + 1}-03-01")
    (expiring,) = ids_of(scenarios, "verloopt")
    assert not latest.loc[expiring, "passed"]
    assert latest.loc[expiring, "valid_until"] >= pd.Timestamp(f"{YEAR + 1}-03-01")
    # new members and the merged corporation start without history
    fresh = ids_of(scenarios, "nieuw_lid") + ids_of(scenarios, "nieuw_lid_route_b") + ids_of(scenarios, "fusie")
    assert not h["corporation_id"].isin(fresh).any()
    # a failed Y-1 in the history is a failing Reparaties score in the Y-1 data
    for corp in latest.index[~latest["passed"]]:
        assert result(components, corp, "reparaties", YEAR - 1).score < 7


def test_expected_advice_matches_scenarios(demo):
    _, scenarios, _ = demo
    expected = scenarios.drop_duplicates("scenario").set_index("scenario")["expected_advice"]
    assert expected["onvoldoende_score"] == "niet_verlengen"
    assert expected["verloopt"] == "verloopt"
    assert expected["label_verlopen"] == "toekennen"
    assert expected["zonder_label"] == "niet_toekennen"
    assert expected["lage_respons"] == "ckv_beslist"
    assert expected["geen_onderhoud"] == "ckv_beslist"
    assert expected["nieuw_lid"] == "nog_niet_beoordeelbaar"
    assert expected["fusie_voorganger"] == "geen_advies"


@pytest.mark.parametrize("corporations", [N, 60])
def test_every_scenario_gets_the_advice_it_was_built_for(corporations):
    """The demo is the product's showcase: each scenario's promised advice is what the label gives."""
    from kwh_calc.calculations.label import label_advice
    from kwh_calc.intake.rules import load_rules

    tables, scenarios = generate_demo_with_scenarios(corporations=corporations, year=YEAR, seed=2025)
    advice = label_advice(from_tables(tables), load_rules(year=YEAR), YEAR)
    given = advice.advice.set_index("corporation_id")["advice"].astype(str)
    given = pd.concat([given, pd.Series("geen_advies", index=advice.merged_away["corporation_id"].astype(str))])
    expected = scenarios.set_index("corporation_id")["expected_advice"]
    mismatches = expected[expected != given.reindex(expected.index)]
    assert mismatches.empty, (
        f"{len(mismatches)} corporations: {mismatches.to_dict()} vs {given.reindex(mismatches.index).to_dict()}"
    )


# --------------------------------------------------------------------------- CLI and default size


def test_cli_demo_data_writes_a_valid_dataset(tmp_path):
    from kwh_calc.cli import app  # the package registers every command, demo-data among them

    out = tmp_path / "demo"
    run = CliRunner().invoke(app, ["demo-data", str(out), "--corporations", "6", "--seed", "5", "--format", "csv"])
    assert run.exit_code == 0, run.output
    ds = load_dataset(out)
    assert len(ds.corporations) == 6
    assert ds.answers["grade"].notna().any()


def test_default_size_is_national():
    # Its speed is measured by `kwh bench scores` (demo_generation_s), never asserted here.
    tables = generate_demo()
    assert len(tables["corporations"]) == 250
    per_year = tables["respondents"]["service_month"].str.slice(0, 4).value_counts()
    assert per_year.between(225_000, 275_000).all()
    assert 3_000_000 <= len(tables["answers"]) <= 4_500_000
    # Aedes sub-scores near the published national averages (7,7 / 7,7 / 7,5) in the Aedes period
    q, a, r = tables["questions"], tables["answers"], tables["respondents"]
    aedes = q.loc[q["aedes_question"], ["questionnaire", "question_id"]].set_index("question_id")["questionnaire"]
    in_period = r.loc[r["service_month"].between("2024-09", "2025-07"), "response_id"]
    picked = a[a["question_id"].isin(aedes.index) & a["response_id"].isin(in_period)]
    means = picked.groupby(picked["question_id"].map(aedes))["grade"].mean()
    assert 7.5 <= means["nieuwe_huurders"] <= 7.9
    assert 7.5 <= means["reparaties"] <= 7.9
    assert 7.3 <= means["vertrokken_huurders"] <= 7.7
    assert means["vertrokken_huurders"] < min(means["nieuwe_huurders"], means["reparaties"])


# --------------------------------------------------------------------------- removals register


def test_removals_register_is_valid_and_changes_nothing_for_normal_corporations(demo):
    from kwh_calc.calculations.removal_effect import removal_advice
    from kwh_calc.intake.rules import load_rules

    _, scenarios, ds = demo
    assert len(ds.removals) >= 4
    assert (ds.removals["reason"] == "geen_dienst_geleverd").all()
    removed = ds.removals.merge(ds.respondents, on="response_id")
    assert set(removed["service_month"].str.slice(0, 4).astype(int)) == {YEAR - 1, YEAR}
    normal = set(ids_of(scenarios, "normaal"))
    advice = removal_advice(ds, load_rules(year=YEAR), YEAR)
    assert len(advice) >= 2
    assert not advice.loc[advice["corporation_id"].isin(normal), "advice_changed"].any()


def test_demo_removals_turn_a_failing_component_with_the_fewest_lowest_grades():
    from kwh_calc.intake.demo import _removals_to_pass
    from kwh_calc.intake.rules import load_rules

    rules = load_rules(year=YEAR)
    # ten respondents with mean 7 and two with mean 1 (sum/count): 7,0 and 85% only without both 1s.
    sums, counts = [7] * 10 + [1, 1], [1] * 12
    assert sorted(_removals_to_pass(sums, counts, minimum=5, rules=rules)) == [10, 11]
    assert _removals_to_pass(sums, counts, minimum=11, rules=rules) is None  # would leave fewer than 11
    assert _removals_to_pass([1] * 40, [1] * 40, minimum=5, rules=rules) is None  # more than 15 needed
