"""Dutch presentation of the Aedes-benchmark Huurdersoordeel (kwh_calc.presentation.aedes_views)."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder
from scipy import stats
from vega_lite import data_rows, validated

from kwh_calc.intake.rules import DEFAULT_RULES_PATH, load_rules
from kwh_calc.presentation import aedes_views as views
from kwh_calc.presentation.present import chart_svg
from kwh_calc.results.year import RESULT_TABLES, YearResults, write_results

RULES = load_rules()
TABLES = ("corporations", "aedes", "aedes_months")


def respondents(builder, corporation_id, questionnaire, grades, month, **kwargs):
    builder.respondents(corporation_id, questionnaire, [[7]] * len(grades), month=month, aedes_grades=grades, **kwargs)


def dataset():
    """C1: full year 2025 with a small sub-score and a grade near a letter boundary, partial 2024; C2: no
    Vertrokken huurders, data from March 2025 only; C3: not a member."""
    b = DatasetBuilder().corporation("C1").corporation("C2").corporation("C3", aedes_member=False)
    respondents(b, "C1", "nieuwe_huurders", [8, 8, 7, 7], "2024-09")  # 7,5 B, n 4, near a boundary
    respondents(b, "C1", "reparaties", [7] * 14 + [8] * 6, "2025-07")  # 146/20 = 7,3 C
    respondents(b, "C1", "vertrokken_huurders", [9, 8, 8, 8, 8, 8], "2025-01")  # 49/6 = 8,17 A
    respondents(b, "C1", "nieuwe_huurders", [8] * 5, "2024-03")  # 2024: A
    respondents(b, "C1", "reparaties", [7] * 5, "2024-03")  # 2024: C
    respondents(b, "C2", "nieuwe_huurders", [8] * 5, "2025-03")  # 8,0 A
    respondents(b, "C2", "reparaties", [8] * 9 + [4], "2025-03")  # 7,6 B, 10% ontevreden
    respondents(b, "C2", "reparaties", [1], "2025-07", completed_on="2025-09-05")  # after the freeze: not counted
    respondents(b, "C3", "reparaties", [2] * 10, "2025-03")
    return b.build()


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    data = dataset()
    folder = tmp_path_factory.mktemp("aedes") / "results"
    write_results(
        {name: RESULT_TABLES[name](data, RULES, 2025) for name in TABLES}, folder, {"year": 2025, "rules_path": ""}
    )
    return folder


@pytest.fixture
def c1(directory):
    return YearResults(directory, "C1")


@pytest.fixture
def c2(directory):
    return YearResults(directory, "C2")


def test_period_and_dates_in_dutch():
    assert views.period_nl(RULES, 2025) == "servicemaanden september 2024 t/m juli 2025, reacties t/m 31 augustus 2025"
    assert views.subscore_name("reparaties") == "Reparatieverzoeken"


def test_membership(directory, c1):
    assert views.is_member(c1)
    assert not views.is_member(YearResults(directory, "C3"))
    assert views.member_row(c1, 2024)["reparaties_n"] == 5
    with pytest.raises(KeyError, match="no Aedes member"):
        views.subscores_table(YearResults(directory, "C3"))
    assert set(views.national_results(c1)["corporation_id"]) == {"C1", "C2"}  # the non-member is left out


def test_subscores_table_letters_grades_margin_and_remarks(c1):
    table = views.subscores_table(c1).set_index("Deelscore")
    assert list(table.index) == ["Nieuwe huurders", "Reparatieverzoeken", "Vertrokken huurders"]
    new = table.loc["Nieuwe huurders"]
    margin = stats.t.ppf(0.95, 3) * stats.tstd([8, 8, 7, 7]) / 2  # 90% t-interval, n 4: 0,68
    assert (new["Respondenten"], new["Cijfer"], new["Letter"], new["% ontevreden"]) == (
        "4",
        "7,5 (rond lettergrens)",
        "B",
        "0%",
    )
    assert new["Foutmarge"] == "± 0,7"
    assert round(margin, 1) == 0.7
    assert new["Opmerking"] == "zeer weinig respondenten"  # 4 < suppression.min_cell_size
    assert tuple(table.loc["Reparatieverzoeken", ["Respondenten", "Cijfer", "Letter"]]) == ("20", "7,3", "C")
    assert tuple(table.loc["Vertrokken huurders", ["Cijfer", "Letter", "Opmerking"]]) == ("8,2", "A", "")
    notes = " ".join(views.subscore_notes(c1))
    assert "zeer weinig respondenten (4, minder dan 5)" in notes
    assert "**Nieuwe huurders** ligt rond een lettergrens" in notes
    assert "(7,5 en 8,0)" in notes


def test_sub_score_without_respondents_has_no_letter_and_no_overall_letter(c2):
    table = views.subscores_table(c2).set_index("Deelscore")
    row = table.loc["Vertrokken huurders"]
    assert (row["Respondenten"], row["Cijfer"], row["Letter"], row["Opmerking"]) == (
        "0",
        "–",
        "geen",
        "geen respondenten",
    )
    reparaties = table.loc["Reparatieverzoeken"]
    assert (reparaties["Respondenten"], reparaties["Cijfer"], reparaties["% ontevreden"]) == (
        "10",
        "7,6",
        "10%",
    )  # freeze
    assert views.subscore_notes(c2)[:2] == [
        "**Vertrokken huurders**: geen respondenten in de benchmarkperiode: geen letter; daardoor geen totaalletter.",
        "**Nieuwe huurders** ligt rond een lettergrens: het onafgeronde cijfer ligt binnen 0,05 van een lettergrens "
        "(7,5 en 8,0); een kleine verandering kan de letter veranderen.",  # exactly 8,0
    ]
    text = views.overall_text(c2)
    assert text.startswith(
        "**Geen totaalletter.** Vertrokken huurders heeft geen respondenten: geen letter; daardoor geen totaalletter."
    )
    overall = views.overall_table(c2).set_index("Deelscore")
    assert overall.loc["Totaal", "Letter"] == "geen"
    assert overall.loc["Vertrokken huurders", "Bijdrage"] == "–"
    assert views.overall_changes_table(c2).empty
    assert views.overall_changes_text(c2).startswith("Zonder totaalletter")


def test_remark_column_is_left_out_when_empty(c2, directory):
    assert "Opmerking" in views.subscores_table(c2).columns
    b = DatasetBuilder().corporation("C9")
    for questionnaire in ("nieuwe_huurders", "reparaties", "vertrokken_huurders"):
        respondents(b, "C9", questionnaire, [8] * 6, "2025-02")
    data = b.build()
    folder = directory.parent / "full"
    write_results(
        {name: RESULT_TABLES[name](data, RULES, 2025) for name in TABLES}, folder, {"year": 2025, "rules_path": ""}
    )
    assert "Opmerking" not in views.subscores_table(YearResults(folder, "C9")).columns


def test_overall_table_explains_the_weighted_points(c1):
    table = views.overall_table(c1).set_index("Deelscore")
    # B 0 × 25% + C −1 × 55% + A +1 × 20% = −0,35 → B
    assert list(table["Punten"]) == ["0", "-1", "+1", ""]
    assert list(table["Weging"]) == ["25%", "55%", "20%", "100%"]
    assert list(table["Bijdrage"]) == ["0,00", "-0,55", "+0,20", "-0,35"]
    assert table.loc["Totaal", "Letter"] == "B"
    text = views.overall_text(c1)
    assert text.startswith("**Totaalletter B** (gewogen punten -0,35).")
    assert "A +1, B 0, C -1" in text
    assert "Reparatieverzoeken 55%" in text
    assert "0,50 of meer geeft A, -0,50 of minder geeft C, daartussen B" in text


def test_boundaries_come_from_the_rules(tmp_path):
    table = views.boundaries_table(RULES)
    assert table.values.tolist() == [
        ["A", "8,0 of hoger", "+1", "0,50 of meer"],
        ["B", "7,5 t/m 7,9", "0", "tussen -0,50 en 0,50"],
        ["C", "lager dan 7,5", "-1", "-0,50 of minder"],
    ]
    text = views.boundaries_text(RULES)
    assert "7,45 wordt 7,5 en geeft B, 7,44 wordt 7,4 en geeft C" in text
    assert "(7,45 t/m 7,55 en 7,95 t/m 8,05)" in text
    changed = tmp_path / "rules.yml"
    changed.write_text(
        DEFAULT_RULES_PATH.read_text().replace('{letter: B, min_grade: "7.5"}', '{letter: B, min_grade: "7.6"}')
    )
    other = load_rules(changed)
    assert views.boundaries_table(other)["Cijfer deelscore"].tolist() == [
        "8,0 of hoger",
        "7,6 t/m 7,9",
        "lager dan 7,6",
    ]
    assert "7,55 wordt 7,6 en geeft B" in views.boundaries_text(other)


def test_position_table_ranks_among_members(c1):
    table = views.position_table(c1).set_index("Deelscore")
    new = table.loc["Nieuwe huurders"]  # C1 7,5 and C2 8,0
    assert (new["Cijfer"], new["Plaats"], new["Percentiel"], new["Landelijk"]) == ("7,5", "2 van 2", "25", "7,8")
    assert new["Letters landelijk"] == "A 1 · B 1 · C 0"
    assert table.loc["Vertrokken huurders", "Plaats"] == "1 van 1"  # C2 has no respondents there
    assert (
        views.position_table(YearResults(c1.directory, "C2"))
        .set_index("Deelscore")
        .loc["Vertrokken huurders", "Plaats"]
        == "geen respondenten"
    )


def test_distribution_chart_highlights_the_corporation(c1):
    data = views.distribution_chart_data(c1, "reparaties")
    assert data[["cijfer", "reeks", "aantal", "basis"]].values.tolist() == [
        [7.3, views.OWN_SERIES, 1, 0],
        [7.6, views.OTHER_SERIES, 1, 0],
    ]
    assert data["van"].tolist() == pytest.approx([7.25, 7.55])
    assert data["tot"].tolist() == pytest.approx([7.35, 7.65])
    low, high = views.distribution_domain(c1)
    assert low <= 7.3
    assert high >= 8.2 + 0.1
    spec = validated(views.distribution_chart(c1, "reparaties"))
    rules_layer = next(layer for layer in spec["layer"] if layer["mark"].get("type") == "rule")
    boundaries = [row["grens"] for row in rules_layer["data"]["values"]]
    assert boundaries == pytest.approx([7.95, 7.45])  # between the bars of 7,4|7,5 and 7,9|8,0
    texts = [row.get("tekst") for row in data_rows(spec)]
    assert "B vanaf 7,5" in texts
    assert "A vanaf 8,0" in texts
    assert "eigen cijfer 7,3" in texts
    # The whole bar of the own grade is marked, also when other members share the grade.
    assert views.OWN_SERIES == "Cijfer van de eigen corporatie"
    assert "<svg" in chart_svg(views.distribution_chart(c1, "reparaties"))


def test_trend_table_and_partial_last_year(c1):
    table = views.trend_table(c1).set_index("Deelscore")
    assert list(table.columns) == ["2024", "2025", "Verschil cijfer", "Letter"]
    assert tuple(table.loc["Nieuwe huurders"]) == ("A, 8,0 (5)", "B, 7,5 (4)", "-0,5", "lager")
    assert tuple(table.loc["Reparatieverzoeken"]) == ("C, 7,0 (5)", "C, 7,3 (20)", "+0,3", "gelijk")
    assert tuple(table.loc["Vertrokken huurders"]) == ("geen respondenten", "A, 8,2 (6)", "–", "–")
    assert tuple(table.loc["Totaal"]) == ("–", "B, -0,35 punten", "", "–")
    assert views.trend_notes(c1) == [
        "Benchmarkjaar 2024 (september 2023 t/m juli 2024): de cijfers beslaan niet de hele periode. Er zijn alleen "
        "reacties over servicemaand maart 2024 (1 van de 11 maanden); het onderzoeksbestand begint bij servicemaand "
        "maart 2024."
    ]


def test_trend_notes_missing_last_year_and_late_start(c2, directory):
    assert views.trend_notes(c2) == [
        "Benchmarkjaar 2024 (september 2023 t/m juli 2024): geen respondenten op de drie deelscores; "
        "er zijn geen cijfers.",
    ]
    # This year's short period is said right under the sub-score table, where the letters are.
    assert (
        "**Let op:** Benchmarkjaar 2025 (september 2024 t/m juli 2025): de cijfers beslaan niet de hele periode. "
        "Er zijn alleen reacties over servicemaand maart 2025 (1 van de 11 maanden)."
    ) in views.subscore_notes(c2)
    row = views.trend_table(c2).set_index("Deelscore").loc["Reparatieverzoeken"]
    assert (row["2024"], row["Verschil cijfer"], row["Letter"]) == ("geen respondenten", "–", "–")


def test_aedes_months_counts_as_the_sub_scores(c1):
    months = c1.table("aedes_months").set_index(["corporation_id", "year"])
    assert set(months.index.get_level_values(0)) == {"C1", "C2"}
    c1_2025 = months.loc[("C1", 2025)]
    assert (c1_2025["first_month"], c1_2025["last_month"], c1_2025["n_months"]) == ("2024-09", "2025-07", 3)
    assert (c1_2025["period_first_month"], c1_2025["period_end_month"]) == ("2024-09", "2025-07")
    assert months.loc[("C2", 2025), "last_month"] == "2025-03"  # July completed after the freeze
    assert months.loc[("C2", 2024), "n_months"] == 0
    assert months.loc[("C1", 2024), "data_first_month"] == "2024-03"


def test_next_letter_table_needed_grades(c1, c2):
    table = views.next_letter_table(c1).set_index("Deelscore")
    assert tuple(table.loc["Nieuwe huurders"]) == ("7,5", "B", "A vanaf 8,0", "7,95", "+0,45")
    assert tuple(table.loc["Reparatieverzoeken"]) == ("7,3", "C", "B vanaf 7,5", "7,45", "+0,15")
    assert tuple(table.loc["Vertrokken huurders"]) == ("8,2", "A", "hoogste letter", "–", "–")
    assert (
        views.next_letter_table(c2).set_index("Deelscore").loc["Vertrokken huurders", "Volgende letter"]
        == "geen respondenten"
    )
    # The distance is no difference of printed grades: its header says it is unrounded and rounded up.
    assert table.columns[-1] == views.GAP_COLUMN == "Erbij (naar boven afgerond)"


def test_gap_is_rounded_up_and_never_zero():
    assert views._gap_text(0.001) == "+0,01"
    assert views._gap_text(0.15) == "+0,15"
    assert views._gap_text(0.151) == "+0,16"


def test_overall_changes_table(c1):
    table = views.overall_changes_table(c1)
    # -0,35 now. One step: NH B→C −0,60 → C; VH A→B −0,55 → C; two steps: REP C→A +0,75 → A; VH A→C −0,75 → C.
    assert table.values.tolist() == [
        ["Nieuwe huurders", "B → C", "-0,60", "B → C", "lager"],
        ["Vertrokken huurders", "A → B", "-0,55", "B → C", "lager"],
        ["Reparatieverzoeken", "C → A", "+0,75", "B → A", "hoger"],
        ["Vertrokken huurders", "A → C", "-0,75", "B → C", "lager"],
    ]
    assert views.overall_changes_text(c1).startswith("De totaalletter is nu B (gewogen punten -0,35).")


def test_what_changes_the_letter_is_worked_out_once_per_document(directory, monkeypatch):
    """The next-letter table, the overall-changes table and its text read one computation per
    document (it ran three times per Aedes document; issue 13), and each document its own."""
    calls = []
    compute = views.what_changes_letter
    monkeypatch.setattr(views, "what_changes_letter", lambda *args: calls.append(args[1]) or compute(*args))
    for corporation_id in ("C1", "C2"):
        results = YearResults(directory, corporation_id)
        views.next_letter_table(results)
        views.overall_changes_table(results)
        views.overall_changes_text(results)
    assert calls == ["C1", "C2"]
    again = YearResults(directory, "C1")
    assert views.overall_changes_table(again).equals(views.overall_changes_table(YearResults(directory, "C1")))
    assert calls == ["C1", "C2", "C1", "C1"]


def test_corporation_without_any_respondents(tmp_path):
    b = DatasetBuilder().corporation("C1").corporation("C2")
    respondents(b, "C2", "reparaties", [8] * 5, "2025-02")
    data = b.build()
    write_results(
        {name: RESULT_TABLES[name](data, RULES, 2025) for name in TABLES},
        tmp_path / "r",
        {"year": 2025, "rules_path": ""},
    )
    empty = YearResults(tmp_path / "r", "C1")
    assert views.next_letter_table(empty).empty
    assert views.trend_table(empty).empty
    assert len(views.trend_notes(empty)) == 2
    assert views.subscore_notes(empty) == [
        "**Nieuwe huurders, Reparatieverzoeken en Vertrokken huurders**: geen respondenten in de benchmarkperiode: "
        "geen letter; daardoor geen totaalletter."
    ]
    assert "Nieuwe huurders, Reparatieverzoeken en Vertrokken huurders hebben geen respondenten" in views.overall_text(
        empty
    )
    assert views.distribution_chart_data(empty, "reparaties")["reeks"].tolist() == [views.OTHER_SERIES]
    spec = validated(views.distribution_chart(empty, "reparaties"))
    assert "eigen cijfer" not in str(spec)
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [
        views.OTHER_SERIES
    ]  # no legend entry for itself
    assert views.distribution_caption(empty, "reparaties") == (
        "Reparatieverzoeken: aantal Aedes-leden per cijfer, Testcorporatie C1 heeft op deze deelscore geen "
        "respondenten; de stippellijnen zijn de lettergrenzen"
    )


def test_distribution_caption(c1):
    assert views.distribution_caption(c1, "reparaties") == (
        "Reparatieverzoeken: aantal Aedes-leden per cijfer, Testcorporatie C1 gemarkeerd; "
        "de stippellijnen zijn de lettergrenzen"
    )


def test_member_without_respondents_is_told_why(tmp_path):
    b = DatasetBuilder().corporation("C1").corporation("N1", member_since="2025-08-01")
    respondents(b, "C1", "reparaties", [8] * 6, "2025-03")
    folder = tmp_path / "results"
    write_results(
        {name: RESULT_TABLES[name](b.build(), RULES, 2025) for name in TABLES}, folder, {"year": 2025, "rules_path": ""}
    )
    assert views.has_respondents(YearResults(folder, "C1"))
    new = YearResults(folder, "N1")
    assert views.is_member(new)
    assert not views.has_respondents(new)
    assert views.no_respondents_text(new) == (
        "Testcorporatie N1 heeft in benchmarkjaar 2025 (servicemaanden september 2024 t/m juli 2025, reacties t/m "
        "31 augustus 2025) geen respondenten op de drie deelscores. Er is daarom geen letter en geen totaalletter, en "
        "geen plaats in de landelijke verdeling. Testcorporatie N1 doet sinds 1 augustus 2025 mee aan het "
        "KWH-Huurdersonderzoek; reacties over dienstverlening vanaf dan tellen mee zodra ze in een "
        "benchmarkperiode vallen."
    )


def test_own_label_in_the_distribution_clears_the_neighbouring_bars(c1):
    """The label "eigen cijfer 7,3" is lifted above the bars it spans (7,6 of another member is
    outside its span here) and tied to the own bar by a thin line when lifted."""
    spec = validated(views.distribution_chart(c1, "nieuwe_huurders"))
    markers = [row for row in data_rows(spec) if str(row.get("tekst", "")).startswith("eigen")]
    assert len(markers) == 1
    assert markers[0]["hoogte"] >= markers[0]["voet"]


def test_merger_says_whose_reactions_the_figures_hold(tmp_path):
    b = DatasetBuilder().corporation("P1").corporation("P2").corporation("C1")
    b.corporation("M1", member_since="2025-03-01", merged_from="P1;P2", merged_on="2025-03-01")
    for corporation in ("P1", "P2", "C1"):
        respondents(b, corporation, "reparaties", [8] * 6, "2024-10")
    respondents(b, "M1", "reparaties", [7] * 6, "2025-04")
    folder = tmp_path / "results"
    write_results(
        {name: RESULT_TABLES[name](b.build(), RULES, 2025) for name in TABLES}, folder, {"year": 2025, "rules_path": ""}
    )
    assert views.merger_text(YearResults(folder, "M1")) == (
        "Testcorporatie M1 is per 1 maart 2025 ontstaan uit de fusie van Testcorporatie P1 (P1) en "
        "Testcorporatie P2 (P2). Deze cijfers bevatten alleen de reacties over dienstverlening van "
        "Testcorporatie M1 zelf, vanaf de fusie; de reacties van vóór de fusie tellen mee in de benchmarkcijfers "
        "van de rechtsvoorgangers."
    )
    assert views.merger_text(YearResults(folder, "P2")) == (
        "Testcorporatie P2 is per 1 maart 2025 gefuseerd in Testcorporatie M1 (M1). "
        "Deze cijfers bevatten de reacties over dienstverlening tot de fusie."
    )
    assert views.merger_text(YearResults(folder, "C1")) is None


def test_aedes_figures_are_reconciled_with_the_label_figures(demo_results_dir):
    """Where an Aedes grade and the onderdeelscore of the same questionnaire differ, the report
    puts both side by side and says why (another question, another period)."""
    table = pd.read_parquet(demo_results_dir / "aedes.parquet")
    scores = pd.read_parquet(demo_results_dir / "scores.parquet")
    checked = 0
    for corporation_id in table.loc[table["year"] == 2025, "corporation_id"]:
        r = YearResults(demo_results_dir, corporation_id)
        notes = views.label_comparison_notes(r)
        if not notes:
            continue
        checked += 1
        assert "de Aedes-vraag" in notes[0]
        assert "labelvragen" in notes[0]
        own = scores.loc[(scores["corporation_id"] == corporation_id) & (scores["year"] == 2025)].set_index(
            "questionnaire"
        )
        for key in ("nieuwe_huurders", "reparaties", "vertrokken_huurders"):
            name = views.subscore_name(key)
            if f"{name}: Aedes-cijfer" in notes[0]:
                assert (
                    f"onderdeelscore 2025 {own.at[key, 'score_display']} en {own.at[key, 'pct_display']} tevreden"
                    in notes[0]
                )
    assert checked > 0


def test_distribution_chart_has_alt_text(c1):
    from kwh_calc.presentation.present import chart_alt_text

    text = chart_alt_text(views.distribution_chart(c1, "reparaties"))
    assert text.startswith("Staafdiagram: aantal Aedes-leden per cijfer op Reparatieverzoeken")
    assert "B vanaf 7,5 en A vanaf 8,0" in text
    assert f"Het cijfer van {c1.corporation['name']} is 7,3." in text
