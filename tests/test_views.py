import pytest
from builders import DatasetBuilder
from vega_lite import data_rows, validated

from kwh_calc.common.numbers import fmt_count
from kwh_calc.intake.rules import load_rules
from kwh_calc.presentation.results_views import (
    available_breakdowns,
    breakdown_label,
    breakdown_note,
    breakdown_table,
    peer_groups,
    peer_notes,
    peer_table,
    period_notes,
    response_notes,
    response_table_nl,
    score_chart,
    score_chart_caption,
    score_chart_data,
    scores_notes,
    scores_table,
)
from kwh_calc.results.year import YearResults, compute_results, write_results

RULES = load_rules()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    builder = (
        DatasetBuilder().corporation("C1", region="Utrecht", units=1800).corporation("C2", region="Utrecht", units=3000)
    )
    builder.respondents("C1", "reparaties", [[7]] * 24 + [[6]], aannemer="Aannemer A", month="2025-03")  # 6,96
    builder.respondents("C1", "reparaties", [[3]] * 2, aannemer="Aannemer B", month="2025-03")
    builder.respondents("C1", "reparaties", [[7]] * 5, month="2025-03")  # no contractor delivered
    builder.respondents("C1", "reparaties", [[7, 8]] * 5, month="2024-05")
    builder.respondents("C1", "nieuwe_huurders", [[8]] * 5, month="2025-02", mode="telefonisch")
    builder.respondents("C2", "reparaties", [[9]] * 10, month="2025-04")
    directory = tmp_path_factory.mktemp("r") / "results"
    write_results(compute_results(builder.build(), RULES, 2025), directory, {"year": 2025, "rules_path": ""})
    return YearResults(directory, "C1")


def test_scores_table_is_dutch_and_flags_borderline(results):
    table = scores_table(results).set_index("Onderdeel")
    # Rule order; the label components and Algemene waardering also without respondents.
    assert list(table.index) == [
        "Nieuwe huurders",
        "Vertrokken huurders",
        "Reparaties",
        "Planmatig onderhoud",
        "Algemene waardering",
    ]
    assert tuple(table.loc["Planmatig onderhoud", ["Respondenten", "Score", "% tevreden", "Verschil"]]) == (
        "0",
        "–",
        "–",
        "–",
    )
    assert (
        "Geen respondenten in 2025: Vertrokken huurders, Planmatig onderhoud en Algemene waardering."
        in scores_notes(results)
    )
    repairs = table.loc["Reparaties"]
    # 24×7 + 6 + 2×3 + 5×7 = 215 / 32 = 6,72
    assert repairs["Score"] == "6,7"
    assert repairs["Respondenten"] == "32"
    assert repairs["Score 2024"] == "7,5"
    assert repairs["Verschil"] == "-0,8"
    assert repairs["Landelijk"] == "7,3"  # (215 + 90) / 42
    assert repairs["% tevreden"] == "94%"  # 30 / 32
    # 32 respondents on Reparaties, fewer than the label's minimum of 50: said plainly.
    assert any(
        note.startswith("Let op: ")
        and "Reparaties (32 respondenten, minimum 50)" in note
        and "minder respondenten dan het minimum voor het KWH-Kwaliteitslabel; zo'n uitkomst is onzeker" in note
        for note in scores_notes(results)
    )


def test_borderline_is_marked(tmp_path):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[7]] * 24 + [[6]], month="2025-03")
    write_results(compute_results(builder.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    row = scores_table(YearResults(tmp_path / "r", "C1")).set_index("Onderdeel").loc["Reparaties"]
    assert row["Score"] == "7,0 (g)"
    assert row[f"Score {2024}"] == "–"
    assert scores_notes(YearResults(tmp_path / "r", "C1"))[0] == (
        "Met (g) gemarkeerd: een grensgeval, afgerond 7,0 of 85% maar onafgerond net eronder; voor het "
        "KWH-Kwaliteitslabel telt dat als niet gehaald."
    )
    # The same figure carries the same mark in the peer table, with the note.
    peers = peer_table(YearResults(tmp_path / "r", "C1")).set_index("Onderdeel")
    assert peers.loc["Reparaties", "Eigen score"] == "7,0 (g)"
    assert any(note.startswith("Met (g) gemarkeerd") for note in peer_notes(YearResults(tmp_path / "r", "C1")))


def test_difference_is_the_difference_of_the_printed_scores(tmp_path):
    """6,96 (prints 7,0) against 7,74 (prints 7,7): the reader subtracts 7,0 − 7,7 = −0,7,
    not the unrounded −0,78 (which would print −0,8)."""
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[7]] * 24 + [[6]], month="2025-03")  # 6,96
    builder.respondents("C1", "reparaties", [[8]] * 37 + [[7]] * 13, month="2024-03")  # 7,74
    write_results(compute_results(builder.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    r = YearResults(tmp_path / "r", "C1")
    for row in scores_table(r).itertuples():
        shown = [row.Score.replace(" (g)", ""), row._5]
        if row.Verschil in ("–", "") or "–" in shown:
            continue
        now, before = (float(v.replace(",", ".")) for v in shown)
        assert float(row.Verschil.replace(",", ".")) == pytest.approx(now - before), row
    assert scores_table(r).set_index("Onderdeel").loc["Reparaties", "Verschil"] == "-0,7"
    assert (
        "Verschil is de score 2025 min de score 2024 zoals ze hier staan (afgerond op één decimaal)." in scores_notes(r)
    )


def test_peer_table_names_groups_and_counts(results):
    row = peer_table(results).set_index("Onderdeel").loc["Reparaties"]
    # C1 is alone in its size class: that is no comparison.
    assert row["Landelijk"] == "7,3 (2)"
    assert row["Grootteklasse"] == "–"
    assert peer_groups(results)["Regio"] == "Utrecht"
    assert peer_notes(results) == [
        "Een – betekent dat de corporatie de enige in die groep is met respondenten op dat "
        "onderdeel; er is dan geen vergelijking."
    ]


def test_response_table(results):
    row = response_table_nl(results).set_index("Onderdeel").loc["Nieuwe huurders"]
    assert (row["Benaderd"], row["Telefonisch"], row["Ingevuld"], row["Respons"]) == ("90", "5", "5", "6%")
    # Delivered is the population of the representativeness analysis: the same figure in both documents.
    population = results.of("representativeness").set_index("questionnaire").loc["nieuwe_huurders", "population"]
    assert row["Aangeleverd"] == fmt_count(population)
    assert [note.split(":")[0] for note in response_notes(results)] == [
        "Aangeleverd",
        "Benaderd",
        "Ingevuld",
        "Respondenten (netto respons)",
    ]


def test_breakdown_table_suppresses_small_groups(results):
    table = breakdown_table(results, "aannemer", "reparaties").set_index("Aannemer")
    assert table.loc["Aannemer A", "Score"] == "7,0"
    # Small groups are not listed one by one but collapsed into one last line, with their respondents together.
    assert "Aannemer B" not in table.index
    assert table.index[-1] == "1 groep met minder dan 5 respondenten"
    assert tuple(table.iloc[-1]) == ("samen 2", "–", "–")
    assert available_breakdowns(results) == [("aannemer", "reparaties")]


def test_breakdowns_are_named_as_delivered_and_small_groups_collapse(tmp_path):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 6, uitsplitsing_1="Complex 100", month="2025-03")
    builder.respondents("C1", "reparaties", [[7]] * 6, uitsplitsing_1="Complex 101", month="2025-03")
    for number in range(102, 106):
        builder.respondents("C1", "reparaties", [[6]] * 2, uitsplitsing_1=f"Complex {number}", month="2025-03")
    write_results(compute_results(builder.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    r = YearResults(tmp_path / "r", "C1")
    assert breakdown_label(r, "uitsplitsing_1") == "Complex"
    assert breakdown_label(r, "aannemer") == "Aannemer"
    table = breakdown_table(r, "uitsplitsing_1", "reparaties")
    assert table.columns[0] == "Complex"
    assert table["Complex"].tolist() == ["Complex 100", "Complex 101", "4 groepen met minder dan 5 respondenten"]
    assert table.iloc[-1]["Respondenten"] == "samen 8"
    assert not table.isin(["< 5 resp."]).any().any()


def test_a_breakdown_of_mixed_names_keeps_its_generic_name(tmp_path):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 6, uitsplitsing_1="Wijk Noord", month="2025-03")
    builder.respondents("C1", "reparaties", [[8]] * 6, uitsplitsing_1="Buitengebied", month="2025-03")
    write_results(compute_results(builder.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    assert breakdown_label(YearResults(tmp_path / "r", "C1"), "uitsplitsing_1") == "Uitsplitsing 1"


# --------------------------------------------------------------------------- checkvraag section


@pytest.fixture(scope="module")
def checkvraag_results(tmp_path_factory):
    builder = DatasetBuilder().corporation("C1").corporation("C2").corporation("C3")
    builder.respondents("C3", "reparaties", [[7]] * 5, month="2025-03")  # no checkvraag rows
    d1 = builder.delivery("C1", "reparaties", "2025-03-01", "2025-03-31")
    d2 = builder.delivery("C2", "reparaties", "2025-03-01", "2025-03-31")
    for answer, count, contractor in (
        (1, 6, "Aannemer A"),
        (3, 2, "Aannemer A"),
        (1, 3, "Aannemer B"),
        (2, 1, "Aannemer B"),
        (3, 6, "Aannemer C"),
        (4, 2, "Aannemer C"),
        (1, 1, "Aannemer D"),
    ):
        for _ in range(count):
            builder.checkvraag("C1", d1, "2025-03", answer, aannemer=contractor)
    for answer, count in ((1, 8), (3, 2)):
        for _ in range(count):
            builder.checkvraag("C2", d2, "2025-03", answer)
    directory = tmp_path_factory.mktemp("cv") / "results"
    write_results(compute_results(builder.build(), RULES, 2025), directory, {"year": 2025, "rules_path": ""})
    return directory


def test_checkvraag_table_shows_the_four_options_against_national(checkvraag_results):
    from kwh_calc.presentation.results_views import checkvraag_table_nl, has_checkvraag

    results = YearResults(checkvraag_results, "C1")
    assert has_checkvraag(results)
    table = checkvraag_table_nl(results)
    assert list(table.columns) == ["Nr.", "Antwoord", "Eigen corporatie", "Landelijk"]
    assert list(table["Antwoord"][:4]) == [RULES.checkvraag.answers[k] for k in (1, 2, 3, 4)]
    # C1: 21 answers 10/1/8/2; national 31 answers 18/1/10/2
    assert list(table["Eigen corporatie"]) == ["48%", "5%", "38%", "10%", "21"]
    assert list(table["Landelijk"]) == ["58%", "3%", "32%", "6%", "31"]
    # 48 + 5 + 38 + 10 = 101 and 58 + 3 + 32 + 6 = 99: said, not left for the reader to wonder about.
    from kwh_calc.presentation.results_views import checkvraag_notes

    assert checkvraag_notes(results) == [
        "De percentages zijn ieder afgerond op hele procenten; opgeteld geven ze daardoor niet precies 100% "
        "(eigen corporatie 101%, landelijk 99%). Dat geldt ook voor de percentages per aannemer."
    ]
    assert checkvraag_notes(YearResults(checkvraag_results, "C2")) in (
        [],
        [
            "De percentages zijn ieder afgerond op hele procenten; opgeteld geven ze daardoor niet precies 100% "
            "(landelijk 99%). Dat geldt ook voor de percentages per aannemer."
        ],
    )


def test_checkvraag_contractors_are_suppressed_below_the_minimum(checkvraag_results):
    from kwh_calc.presentation.results_views import checkvraag_contractor_table

    table = checkvraag_contractor_table(YearResults(checkvraag_results, "C1")).set_index("Aannemer")
    assert list(table.columns) == ["Antwoorden", "Antwoord 1", "Antwoord 2", "Antwoord 3", "Antwoord 4"]
    assert table.loc["Aannemer A", "Antwoord 1"] == "75%"
    assert table.loc["Aannemer C", "Antwoord 4"] == "25%"
    assert table.loc["Aannemer B", "Antwoorden"] == "4"
    assert set(table.loc["Aannemer B", ["Antwoord 1", "Antwoord 2", "Antwoord 3", "Antwoord 4"]]) == {"< 5 antw."}
    assert table.loc["Aannemer D", "Antwoord 1"] == "< 5 antw."  # B and D hide 5 answers: no complementary suppression
    assert list(table.index) == ["Aannemer A", "Aannemer C", "Aannemer B", "Aannemer D"]  # shown first, suppressed last


def test_checkvraag_section_only_for_corporations_with_answers(checkvraag_results):
    from kwh_calc.presentation.results_views import (
        checkvraag_contractor_table,
        checkvraag_table_nl,
        has_checkvraag,
    )

    results = YearResults(checkvraag_results, "C3")
    assert not has_checkvraag(results)
    assert checkvraag_table_nl(results).empty
    assert checkvraag_contractor_table(results).empty
    assert checkvraag_contractor_table(YearResults(checkvraag_results, "C2")).empty  # no contractors delivered


def test_breakdown_table_marks_complementary_suppression(tmp_path):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8]] * 9, aannemer="Aannemer A", month="2025-03")
    builder.respondents("C1", "reparaties", [[7]] * 6, aannemer="Aannemer B", month="2025-03")
    builder.respondents("C1", "reparaties", [[2]] * 2, aannemer="Aannemer C", month="2025-03")
    write_results(compute_results(builder.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    table = breakdown_table(YearResults(tmp_path / "r", "C1"), "aannemer", "reparaties").set_index("Aannemer")
    assert table.loc["Aannemer A", "Score"] == "8,0"
    assert table.loc["Aannemer B", "Score"] == "verborgen"
    assert table.index[-1] == "1 groep met minder dan 5 respondenten"


# --------------------------------------------------------------------------- small totals, chart, periods


@pytest.fixture(scope="module")
def small_results(tmp_path_factory):
    """C1: Grootschalig onderhoud with 2 respondents (2025) and 3 (2024), Reparaties 6 and 5;
    C2 and C3 in the same region; M1 merged on 1 July 2025 from C2 and C3; N1 a new member."""
    b = DatasetBuilder()
    b.corporation("C1", region="Utrecht").corporation("C2", region="Utrecht").corporation("C3", region="Utrecht")
    b.corporation("M1", region="Utrecht", member_since="2025-07-01", merged_from="C2;C3", merged_on="2025-07-01")
    b.corporation("N1", region="Drenthe", member_since="2025-08-01")
    b.respondents("C1", "groot_onderhoud", [[9]] * 2, month="2025-03")
    b.respondents("C1", "groot_onderhoud", [[8]] * 3, month="2024-05")
    b.respondents("C1", "reparaties", [[7]] * 6, month="2025-03")
    b.respondents("C1", "reparaties", [[8]] * 5, month="2024-05")
    b.respondents("C2", "reparaties", [[8]] * 6, month="2025-02")
    b.respondents("C3", "reparaties", [[8]] * 6, month="2025-02")
    b.respondents("M1", "reparaties", [[6]] * 6, month="2025-09")
    b.respondents("N1", "reparaties", [[7]] * 6, month="2025-09")
    directory = tmp_path_factory.mktemp("small") / "results"
    write_results(compute_results(b.build(), RULES, 2025), directory, {"year": 2025, "rules_path": ""})
    return directory


def test_own_totals_below_the_minimum_cell_are_not_shown(small_results):
    r = YearResults(small_results, "C1")
    table = scores_table(r).set_index("Onderdeel")
    groot = table.loc["Grootschalig renovatie-/verduurzamingsonderhoud"]
    assert (groot["Respondenten"], groot["Score"], groot["% tevreden"], groot["Score 2024"], groot["Verschil"]) == (
        "2",
        "< 5 resp.",
        "< 5 resp.",
        "< 5 resp.",
        "–",
    )
    assert tuple(table.loc["Reparaties", ["Score", "Score 2024", "Verschil"]]) == ("7,0", "8,0", "-1,0")
    assert any(note.startswith("Bij < 5 resp. zijn er minder dan 5 respondenten") for note in scores_notes(r))
    assert (
        peer_table(r).set_index("Onderdeel").loc["Grootschalig renovatie-/verduurzamingsonderhoud", "Eigen score"]
        == "< 5 resp."
    )
    data = score_chart_data(r)
    assert "Grootschalig renovatie-/verduurzamingsonderhoud" not in set(
        data.loc[data["reeks"].str.startswith("Eigen"), "onderdeel"]
    )


def test_score_chart_has_fixed_series_order_and_colours(small_results):
    r = YearResults(small_results, "C1")
    data = score_chart_data(r)
    assert list(dict.fromkeys(data["reeks"])) == ["Eigen score 2025", "Eigen score 2024", "Landelijk 2025"]
    spec = validated(score_chart(r))
    assert spec["layer"][0]["encoding"]["color"]["scale"] == {
        "domain": ["Eigen score 2025", "Eigen score 2024", "Landelijk 2025"],
        "range": ["#1d4f73", "#6f9cc4", "#c8862a"],
    }
    assert score_chart_caption(r) == (
        "Onderdeelscores: eigen score 2025 en 2024, en het landelijk gemiddelde 2025. Geen eigen staaf 2025 bij "
        "Grootschalig renovatie-/verduurzamingsonderhoud (minder dan 5 respondenten) en Nieuwe huurders, Vertrokken "
        "huurders, Planmatig onderhoud en Algemene waardering (geen respondenten)"
    )
    assert score_chart_caption(YearResults(small_results, "M1")) == (
        "Onderdeelscores: eigen score 2025, en het landelijk gemiddelde 2025. Geen eigen staaf 2025 bij Nieuwe "
        "huurders, Vertrokken huurders, Planmatig onderhoud en Algemene waardering (geen respondenten)"
    )


def test_period_notes_explain_mergers_and_new_members(small_results):
    assert period_notes(YearResults(small_results, "C1")) == []
    merged = period_notes(YearResults(small_results, "M1"))
    assert merged
    assert merged[0].startswith(
        "Testcorporatie M1 is per 1 juli 2025 ontstaan uit de fusie van "
        "Testcorporatie C2 (C2) en Testcorporatie C3 (C3)."
    )
    assert "geen cijfers over 2024" in merged[0]
    assert period_notes(YearResults(small_results, "C2")) == [
        "Testcorporatie C2 is per 1 juli 2025 gefuseerd in Testcorporatie M1 (M1). Dit rapport bevat de reacties op de "
        "dienstverlening tot de fusie; voor het KWH-Kwaliteitslabel tellen die mee bij Testcorporatie M1."
    ]
    assert period_notes(YearResults(small_results, "N1")) == [
        "Testcorporatie N1 is sinds 1 augustus 2025 lid van het KWH-Huurdersonderzoek; dit rapport bevat de reacties "
        "vanaf de start van het onderzoek."
    ]


def test_breakdown_note_explains_hidden_groups_and_totals(results):
    note = breakdown_note(results)
    assert "minder dan 5 respondenten" in note
    assert "samen op de laatste regel" in note
    assert "*verborgen*" in note
    assert "tellen daarom niet altijd op tot het totaal" in note


def test_score_chart_has_the_label_line_and_alt_text(results):
    from kwh_calc.presentation.present import chart_alt_text

    spec = validated(score_chart(results))
    rules = [
        layer
        for layer in spec["layer"]
        if layer["mark"] == "rule" or (isinstance(layer["mark"], dict) and layer["mark"].get("type") == "rule")
    ]
    assert len(rules) == 1
    texts = [row.get("tekst") for row in data_rows(spec)]
    assert "grens label 7,0" in texts
    alt_text = chart_alt_text(score_chart(results))
    assert alt_text.startswith("Staafdiagram van de onderdeelscores")
    assert "Reparaties: eigen score 2025 6,7, eigen score 2024 7,5, landelijk 2025 7,3" in alt_text


def test_a_malformed_chart_spec_fails_validation(results):
    import jsonschema

    spec = score_chart(results)
    spec["layer"][0]["mark"] = {"type": "bar", "colour": "red"}  # no such mark property
    with pytest.raises(jsonschema.ValidationError):
        validated(spec)
