"""Dutch presentation of the representativeness analysis (kwh_calc.presentation.representativeness_views)."""

import math

import numpy as np
import pytest
from builders import DatasetBuilder
from vega_lite import validated

from kwh_calc.calculations.representativeness import (
    margin_of_error,
    required_sample_size,
    telephone_quota,
)
from kwh_calc.common.numbers import fmt_decimal
from kwh_calc.intake.rules import load_rules
from kwh_calc.presentation import representativeness_views as rv
from kwh_calc.presentation.present import chart_svg, escape_markdown
from kwh_calc.results.year import YearResults, compute_results, write_results

RULES = load_rules()
STANDARD = float(RULES.representativeness.margin_standard)
CONFIDENCE = float(RULES.representativeness.confidence)
MIN_CELL = RULES.suppression.min_cell_size
#: Reparaties respondents per month January–December (120 in all), one dissatisfied each month.
REPAIRS = [9, 11, 10, 9, 11, 10, 10, 10, 13, 9, 9, 9]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """C1 (1.800 units, class ≤ 2.500): Reparaties N = 400 (4 × 100 delivered, 4 × 90 approached),
    n = 120; Algemene waardering N = 1.800 (units), 400 approached, n = 100; Groot onderhoud
    N = 8, n = 6; Nieuwe huurders n = 3 (below the minimum cell size)."""
    b = DatasetBuilder().corporation("C1", units=1800).corporation("C2", units=30000)
    b.quarterly_deliveries("C1", "reparaties", n_delivered=100, n_approached=90)
    for month, count in enumerate(REPAIRS, start=1):
        b.respondents(
            "C1",
            "reparaties",
            [[8]] * (count - 1) + [[4]],
            month=f"2025-{month:02d}",
            mode="telefonisch" if month % 4 == 0 else "online",
        )
    b.delivery("C1", "algemene_waardering", "2025-03-01", "2025-03-31", n_delivered=500, n_approached=400)
    b.respondents("C1", "algemene_waardering", [[7]] * 100, month="2025-03")
    b.delivery("C1", "groot_onderhoud", "2025-05-01", "2025-05-31", n_delivered=8, n_approached=8)
    b.respondents("C1", "groot_onderhoud", [[6]] * 6, month="2025-05")
    b.respondents("C1", "nieuwe_huurders", [[9]] * 3, month="2025-02", mode="telefonisch")
    b.respondents("C2", "reparaties", [[9]] * 10, month="2025-04")
    directory = tmp_path_factory.mktemp("r") / "results"
    write_results(compute_results(b.build(), RULES, 2025), directory, {"year": 2025, "rules_path": ""})
    return YearResults(directory, "C1")


# --------------------------------------------------------------------------- verdicts and table


def test_verdicts():
    assert rv.verdict(0, math.nan, False, False, RULES) == "geen respons"
    assert rv.verdict(300, 4.8, True, True, RULES) == "binnen 5 procentpunt"
    assert rv.verdict(100, 7.9, False, True, RULES) == "binnen 10 procentpunt"
    assert rv.verdict(100, 5.04, False, True, RULES) == "binnen 10 procentpunt (net niet binnen 5)"  # prints as 5,0
    assert rv.verdict(10, 26.0, False, False, RULES) == "groter dan 10 procentpunt"


def test_components_table_carries_the_margins_kwh_calc_computes(results):
    table = rv.components_table(results).set_index("Onderdeel")
    assert list(table.index) == [
        "Nieuwe huurders",
        "Reparaties",
        RULES.questionnaire_name("groot_onderhoud"),
        "Algemene waardering",
    ]  # rules order
    repairs = table.loc["Reparaties"]
    expected = 100 * margin_of_error(120, 400, CONFIDENCE, 0.5)  # 6,29: z·√(¼/120)·√(280/399)
    assert repairs["Foutmarge (procentpunt)"] == fmt_decimal(expected, 1) == "6,3"
    assert (repairs["Populatie"], repairs["Netto respons"], repairs["Deel van de populatie"], repairs["Oordeel"]) == (
        "400",
        "120",
        "30%",
        "binnen 10 procentpunt",
    )
    general = table.loc["Algemene waardering"]
    assert general["Populatie"] == "1.800"
    assert general["Foutmarge (procentpunt)"] == "8,0"
    assert table.loc["Nieuwe huurders", "Oordeel"] == "groter dan 10 procentpunt"


def test_summary_text_counts_the_verdicts(results):
    text = rv.summary_text(results)
    assert (
        "Foutmarge van de 4 onderdelen met respons: binnen de standaard van 5 procentpunt geen enkel onderdeel, "
        "tussen 5 en 10 procentpunt 2 onderdelen, groter dan 10 procentpunt 2 onderdelen."
    ) in text


def test_precision_table_shows_intervals_and_suppresses_small_components(results):
    table = rv.precision_table(results).set_index("Onderdeel")
    stored = results.of("representativeness").set_index("questionnaire").loc["reparaties"]
    assert table.loc["Reparaties", "Score (90%-interval)"] == (
        f"7,6 ({fmt_decimal(stored['score_low'], 1)}–{fmt_decimal(stored['score_high'], 1)})"
    )
    assert table.loc["Reparaties", "% tevreden (90%-interval)"] == "90% (85%–94%)"  # Wilson, 108 of 120
    assert table.loc["Nieuwe huurders", "Respondenten"] == "3"
    assert set(table.loc["Nieuwe huurders"].iloc[1:]) == {f"< {MIN_CELL} resp."}


def test_precision_caution_names_label_components_below_their_minimum(results):
    # C1: Reparaties 120 (minimum 50), Nieuwe huurders 3 (below the minimum cell: no figures,
    # so no caution), Groot onderhoud 6 (no label minimum).
    assert rv.precision_caution(results) is None
    # C2: Reparaties 10 of at least 50.
    caution = rv.precision_caution(YearResults(results.directory, "C2"))
    assert caution is not None
    assert "Reparaties (10 van minimaal 50) rust op minder respondenten dan het minimum" in caution
    assert "beslist de CKV" in caution


def test_texts_about_a_merger_show_special_names_literally(tmp_path):
    # A predecessor merging away in July: the successor's scope text and the predecessor's
    # part-year norm text name corporations whose names hold Markdown characters.
    b = DatasetBuilder().corporation("OLD").corporation("M", merged_from="OLD", merged_on="2025-07-01")
    names = {"OLD": "Oud *Plus* [x] #1", "M": "Nieuw <Zuid> _a_ $5"}
    for row in b.corporations:
        row["name"] = names[row["corporation_id"]]
    b.respondents("OLD", "reparaties", [[8]] * 10, month="2025-03")
    b.respondents("M", "reparaties", [[8]] * 10, month="2025-09")
    directory = tmp_path / "results"
    write_results(compute_results(b.build(), RULES, 2025), directory, {"year": 2025, "rules_path": ""})
    merged = rv.scope_text(YearResults(directory, "M"))
    predecessor = rv.mode_text(YearResults(directory, "OLD"))
    assert "6 maanden mee" in predecessor
    # The predecessor's own analysis says whom it merged into and that it covers 6 months.
    scope = rv.scope_text(YearResults(directory, "OLD"))
    assert "gefuseerd in" in scope
    assert "over de 6 maanden tot de fusie" in scope
    for text, name in ((merged, "M"), (merged, "OLD"), (predecessor, "OLD"), (scope, "OLD"), (scope, "M")):
        assert escape_markdown(names[name]) in text
        assert names[name] not in text.replace(escape_markdown(names[name]), "")


# --------------------------------------------------------------------------- explanation


def test_examples_text_reproduces_227_and_271():
    text = rv.examples_text(RULES)
    assert "**227**" in text
    assert "**271**" in text
    assert "70%/30%" in text
    assert "1,645" in text
    assert "227,3" in text
    assert "228" in text


def test_population_examples_need_a_smaller_share_of_large_populations():
    table = rv.population_examples_table(RULES).set_index("Populatie")
    assert table.loc["100", "Nodig voor 5 procentpunt"] == "74"
    assert table.loc["100", "Deel van de populatie"] == "74%"
    assert table.loc["10.000", "Nodig voor 5 procentpunt"] == str(
        required_sample_size(STANDARD, CONFIDENCE, 0.5, 10_000)
    )
    shares = [int(v.rstrip("%")) for v in table["Deel van de populatie"]]
    assert shares == sorted(shares, reverse=True)


def test_terms_and_intro_use_the_rules(results):
    terms = rv.terms_text(results)
    assert "90%" in terms
    assert "5 tot 10 procentpunt" in terms
    assert "hoogstens" not in terms
    assert terms.count("etrouwbaarheid") == 1
    assert "tussen 75% en 85%" in terms
    assert "Testcorporatie C1" in rv.intro_text(results)
    assert "1.800 woningen" in rv.intro_text(results)


# --------------------------------------------------------------------------- margin chart


def test_margin_chart_data_has_the_own_point_and_a_cut_curve(results):
    curve, points = rv.margin_chart_data(results)
    point = points.set_index("onderdeel").loc["Reparaties (N = 400)"]
    assert point["n"] == 120
    assert point["label"] == "6,3 bij n = 120"
    repairs = curve.loc[curve["onderdeel"] == "Reparaties (N = 400)"]
    assert repairs["n"].max() == math.ceil(1.3 * 162)  # 1,3 × the net response needed for 5%
    assert (repairs["foutmarge"].iloc[1:] <= 2 * 100 * float(RULES.representativeness.margin_acceptable)).all()
    assert set(points["onderdeel"]) == set(curve["onderdeel"])


def test_margin_chart_renders_with_the_standard_lines(results):
    chart = validated(rv.margin_chart(results))
    values = chart["data"]["values"]
    norms = {(v["foutmarge"], v["label"]) for v in values if v.get("laag") == "norm"}
    assert norms == {(5.0, "5 procentpunt"), (10.0, "10 procentpunt")}
    svg = chart_svg(chart)
    assert "<svg" in svg
    assert "Reparaties (N = 400)" in svg


# --------------------------------------------------------------------------- reaching 5%


def test_reach_standard(results):
    reach = rv.reach_standard(results).set_index("questionnaire")
    general = reach.loc["algemene_waardering"]
    needed = required_sample_size(STANDARD, CONFIDENCE, 0.5, 1800)  # 236
    assert (general["required_n"], general["extra_n"]) == (needed, needed - 100)
    assert general["extra_approached"] == math.ceil((needed - 100) / 0.25)  # response 100 of 400 = 25%
    assert general["not_approached"] == 1400
    assert general["approach_enough"]
    repairs = reach.loc["reparaties"]
    assert (repairs["extra_n"], repairs["extra_approached"], repairs["not_approached"]) == (42, 126, 40)
    assert not repairs["approach_enough"]
    assert reach.loc["groot_onderhoud", "everyone"]  # N = 8 needs all 8


def test_reach_standard_lines(results):
    lines = {line.split("**")[1]: line for line in rv.reach_standard_lines(results)}
    assert lines["Algemene waardering"].endswith(
        "nog 136 respondenten nodig (236 in totaal, nu 100); bij de huidige respons van 25% betekent dat ongeveer "
        "544 extra benaderde huurders."
    )
    assert "nog 42 respondenten nodig" in lines["Reparaties"]
    assert (
        "er zijn er nog maar 40 niet benaderd; een foutmarge van 5 procentpunt vraagt dus een respons van 41% "
        "van de 400 huurders" in lines["Reparaties"]
    )
    assert "alleen als alle 8 huurders meedoen" in lines[RULES.questionnaire_name("groot_onderhoud")]


# --------------------------------------------------------------------------- telephone


@pytest.mark.parametrize("units", [1, 2500, 2501, 5000, 5001, 10000, 10001, 20000, 20001, 250000])
def test_quota_table_matches_the_lookup_at_every_edge(units):
    table = rv.quota_table(RULES).set_index("Onderdeel")
    label = rv.quota_class_label(RULES, rv.quota_index(RULES, units))
    for key in RULES.questionnaires:
        quota = telephone_quota(units, key, RULES)
        assert table.loc[RULES.questionnaire_name(key), label] == ("100%" if quota == "all" else str(quota))


def test_quota_class_labels():
    labels = [rv.quota_class_label(RULES, i) for i in range(len(RULES.representativeness.telephone_quota))]
    assert labels == ["≤ 2.500", "2.501–5.000", "5.001–10.000", "10.001–20.000", "> 20.000"]


def test_mode_table(results):
    table = rv.mode_table(results).set_index("Onderdeel")
    repairs = table.loc["Reparaties"]
    assert (repairs["Online"], repairs["Telefonisch"], repairs["Aandeel telefonisch"]) == ("92", "28", "23%")
    assert (repairs["Norm telefonisch"], repairs["Norm gehaald"]) == ("24", "ja")
    new = table.loc["Nieuwe huurders"]  # ≤ 2.500 units: 100% of the non-responders; 3 respondents
    assert (new["Norm telefonisch"], new["Norm gehaald"], new["Aandeel telefonisch"]) == (
        "100%",
        "–",
        f"< {MIN_CELL} resp.",
    )
    assert table.loc["Algemene waardering", "Norm gehaald"] == "nee"
    assert "klasse ≤ 2.500 verhuureenheden" in rv.mode_text(results)


# --------------------------------------------------------------------------- months


def test_monthly_views(results):
    data = rv.monthly_chart_data(results)
    assert "Nieuwe huurders" not in set(data["onderdeel"])  # 3 respondents: suppressed
    sums = data.groupby(["onderdeel", "reeks"])["aandeel"].sum()
    assert np.allclose(sums, 100.0)
    repairs = data.loc[(data["onderdeel"] == "Reparaties") & (data["reeks"] == "Respondenten")].sort_values(
        "maandnummer"
    )
    assert np.allclose(repairs["aandeel"], [100 * c / 120 for c in REPAIRS])
    table = rv.monthly_table(results).set_index("Onderdeel")
    # Largest difference: September, 13/120 = 10,83% against 100/3/400 = 8,33%: 2,5 percentage points.
    assert tuple(
        table.loc["Reparaties", ["Grootste verschil (procentpunt)", "In maand", "Respons volgt levering"]]
    ) == ("2,5", "sep", "ja")
    assert table.loc["Nieuwe huurders", "Respons volgt levering"] == f"< {MIN_CELL} resp."
    assert table.loc["Algemene waardering", "In maand"] == "–"  # one month, no difference
    chart = validated(rv.monthly_chart(results))
    assert {row["onderdeel"] for row in chart["data"]["values"]} == set(data["onderdeel"])


def test_respondents_without_population_in_the_year(tmp_path):
    """A delivery that started in 2024 brings 2025 respondents but no 2025 population (n > N):
    no response rate, the margin without finite population correction, marked with *."""
    b = DatasetBuilder().corporation("C1", units=1800)
    b.delivery("C1", "reparaties", "2024-12-01", "2025-02-28", n_delivered=20, n_approached=20)
    b.respondents("C1", "reparaties", [[8]] * 6, month="2025-01")
    write_results(compute_results(b.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    view = YearResults(tmp_path / "r", "C1")
    row = rv.components_table(view).set_index("Onderdeel").loc["Reparaties"]
    assert row["Deel van de populatie"] == "–"
    assert row["Foutmarge (procentpunt)"] == fmt_decimal(100 * margin_of_error(6, None, CONFIDENCE, 0.5), 1) + "*"
    assert "zonder correctie voor de populatieomvang" in rv.summary_text(view)
    assert "(populatie onbekend)" in set(rv.margin_chart_data(view)[0]["onderdeel"].str.slice(11))
    line = rv.reach_standard_lines(view)[0]
    assert line.startswith("**Reparaties**: nog ")
    assert line.endswith("nu 6).")


def test_charts_have_alt_text(results):
    from kwh_calc.presentation.present import chart_alt_text

    margin = chart_alt_text(rv.margin_chart(results))
    assert margin.startswith("Lijndiagrammen per onderdeel")
    assert "procentpunt bij" in margin
    monthly = rv.monthly_chart(results)
    if monthly is not None:
        assert chart_alt_text(monthly).startswith("Staafdiagrammen per onderdeel")
