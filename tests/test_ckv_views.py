"""The Dutch tables and sentences of the CKV dossier and the national CKV overview."""

import re

import numpy as np
import pandas as pd
import pytest
from builders import DatasetBuilder
from label_helpers import label_corporation, same_grades
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from kwh_calc.calculations.label import ADVICES
from kwh_calc.intake.rules import load_rules
from kwh_calc.presentation import ckv_views as ckv
from kwh_calc.results.year import YearResults, compute_results, write_results

YEAR = 2025
RULES = load_rules(year=YEAR)
QUARTERLY = ("nieuwe_huurders", "vertrokken_huurders", "reparaties")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    """Seven corporations, one per situation the CKV meets (every other figure passes)."""
    b = DatasetBuilder(year=YEAR)
    # C1: passes, label valid until 31 March 2027: verlengen. Reparaties: 30 × 7 and 30 × 9.
    label_corporation(b, "C1", grades={"reparaties": same_grades(30, 7) + same_grades(30, 9)})
    b.label_history("C1", 2023, "toekennen", True, "2026-03-31").label_history(
        "C1", 2024, "verlengen", True, "2027-03-31"
    )
    # C2: Vertrokken huurders 6,0 with 19 respondents (minimum 20), no label: CKV beslist.
    label_corporation(b, "C2", grades={"vertrokken_huurders": same_grades(19, 6)})
    # C3: Reparaties 6,96 (49 × 7, 1 × 5) with 50 respondents: borderline fail, niet verlengen.
    label_corporation(b, "C3", grades={"reparaties": same_grades(49, 7) + same_grades(1, 5)})
    b.label_history("C3", 2024, "verlengen", True, "2027-03-31")
    # C4: Reparaties without Q3, Nieuwe huurders twice a year, no Algemene waardering; 2024 failed: verloopt.
    label_corporation(
        b, "C4", quarters={"reparaties": [1, 2, 4]}, half_yearly=["nieuwe_huurders"], algemene_waardering=False
    )
    b.label_history("C4", 2023, "verlengen", True, "2026-03-31").label_history(
        "C4", 2024, "niet_verlengen", False, "2026-03-31"
    )
    # C5: new member since 1 August, data from Q3 only: route a, nog niet beoordeelbaar.
    label_corporation(b, "C5", member_since="2025-08-01", n=6, quarters={q: [3, 4] for q in QUARTERLY})
    # M1: merger of P1 and P2 on 1 July; P2 has 3 Reparaties respondents (all grade 3) only.
    label_corporation(b, "P1", quarters={q: [1, 2] for q in QUARTERLY}, onderhoud=False)
    b.label_history("P1", 2024, "verlengen", True, "2027-03-31")
    label_corporation(
        b,
        "P2",
        components=["reparaties"],
        quarters={"reparaties": [1, 2]},
        grades={"reparaties": same_grades(3, 3)},
        algemene_waardering=False,
    )
    label_corporation(
        b,
        "M1",
        quarters={q: [3, 4] for q in QUARTERLY},
        member_since="2025-07-01",
        merged_from="P1;P2",
        merged_on="2025-07-01",
        algemene_waardering=False,
    )
    directory = tmp_path_factory.mktemp("ckv") / "results"
    write_results(compute_results(b.build(), RULES, YEAR), directory, {"year": YEAR, "rules_path": ""})
    return directory


def view(results_dir, corporation_id=None) -> YearResults:
    return YearResults(results_dir, corporation_id)


# --------------------------------------------------------------------------- advice and validity


def test_advice_heading_reasons_and_validity_of_an_extension(results_dir):
    r = view(results_dir, "C1")
    assert ckv.advice_heading(r) == "Advies KWH over 2025: verlengen"
    assert ckv.reasons(r) == [
        "Voldoet aan alle criteria over 2025, label geldig tot 31 maart 2027: verlengen tot 31 maart 2028"
    ]
    assert ckv.validity_lines(r) == [
        "Bij het besluit in maart 2026 is het label geldig tot 31 maart 2027.",
        "Verlengen: het label is geldig tot 31 maart 2028 (nu tot 31 maart 2027).",
    ]


def test_ckv_beslist_names_both_outcomes_and_their_validity(results_dir):
    r = view(results_dir, "C2")
    assert ckv.advice_heading(r) == (
        "Advies KWH over 2025: CKV beslist (telt het resultaat mee: niet toekennen; telt het niet mee: toekennen)"
    )
    assert ckv.validity_lines(r) == [
        "Bij het besluit in maart 2026 is er geen geldig label.",
        "Telt het resultaat mee: niet toekennen (geen label). "
        "Telt het niet mee: toekennen (label geldig tot 31 maart 2028).",
    ]
    table = ckv.discretion_table(r)
    assert table.to_dict("records") == [
        {
            "Onderdeel": "Vertrokken huurders",
            "Cijfers": "6,0 / 100% bij 19 respondenten (minimum 20)",
            "Waarom de CKV beslist": "grens niet gehaald met te weinig respondenten",
            "Telt mee": "niet toekennen",
            "Telt niet mee": "toekennen",
        }
    ]
    assert ckv.discretion_table(view(results_dir, "C1")).empty


def test_expiring_label_and_not_extended_label(results_dir):
    assert ckv.validity_lines(view(results_dir, "C4"))[1] == (
        "Verloopt: 2024 en 2025 zijn niet gehaald; het label blijft geldig tot uiterlijk 31 maart 2026 en wordt niet "
        "verlengd. Voor een nieuw label moet een onderzoeksjaar aan alle criteria voldoen (toekennen)."
    )
    assert ckv.validity_lines(view(results_dir, "C3"))[1].startswith(
        "Niet verlengen: het label blijft geldig tot 31 maart 2027 en wordt niet verlengd."
    )


def test_not_yet_assessable_new_member(results_dir):
    r = view(results_dir, "C5")
    assert ckv.advice_heading(r) == "Advies KWH over 2025: nog niet beoordeelbaar"
    assert ckv.validity_lines(r)[1] == (
        "Nog niet beoordeelbaar: de CKV besluit nu niet over 2025; de resultaten gaan naar "
        "verwachting in augustus 2026 naar de CKV."
    )
    table = ckv.components_table_nl(r).set_index("Cijfer")
    assert set(table.loc["Oordeel"]) == {"nog niet beoordeeld"}  # the figures are for information only
    lines = ckv.special_case_lines(r)
    assert lines[0].startswith(
        "Nieuw lid sinds 1 augustus 2025: de aanleveringen dekken niet ieder kwartaal van 2025 (route a)"
    )
    assert "route a" in lines[1]


# --------------------------------------------------------------------------- the four components


def test_components_table_has_figures_thresholds_and_intervals(results_dir):
    table = ckv.components_table_nl(view(results_dir, "C1")).set_index("Cijfer")
    assert list(table.columns) == ["Nieuwe huurders", "Vertrokken huurders", "Reparaties", "Planmatig onderhoud"]
    repairs = table["Reparaties"]
    assert repairs["Respondenten"] == "60"
    assert repairs["Minimum respondenten"] == "50"
    assert repairs["Onderdeelscore (90%-interval)"] == "8,0 (7,8–8,2)"
    assert repairs["Onderdeelscore ≥ 7,0"] == "ja"
    assert repairs["% tevreden (90%-interval)"] == "100% (96%–100%)"
    assert repairs["% tevreden ≥ 85%"] == "ja"
    # N = 4 quarterly deliveries of 100 tenants: 1,6449 · √(0,25/60) · √(340/399) = 9,8 points.
    assert repairs["Foutmarge (procentpunt)"] == "± 9,8"
    assert repairs["Dekking"] == "ieder kwartaal"
    assert repairs["Oordeel"] == "gehaald"
    assert table.loc["Foutmarge (procentpunt)", "Planmatig onderhoud"] == "± 6,7"  # N = 100
    assert table.loc["Dekking", "Planmatig onderhoud"] == "aangeleverd"


def test_intervals_are_the_t_and_wilson_intervals_at_the_rules_confidence(results_dir):
    figures = ckv.component_figures(view(results_dir, "C1")).set_index("component")
    means = np.array([7.0] * 30 + [9.0] * 30)
    low, high = DescrStatsW(means).tconfint_mean(alpha=0.10)
    assert figures.loc["reparaties", "score_low"] == pytest.approx(low)
    assert figures.loc["reparaties", "score_high"] == pytest.approx(high)
    wilson = proportion_confint(60, 60, alpha=0.10, method="wilson")
    assert figures.loc["reparaties", "pct_low"] == pytest.approx(100 * wilson[0])
    assert ckv.interval_label(view(results_dir, "C1")) == "90%-interval"


def test_certainty_line_reads_how_sure_a_figure_is(results_dir):
    lines = ckv.certainty_lines(view(results_dir, "C1"))
    assert lines[2] == (
        "Reparaties: onderdeelscore 8,0 (90%-interval 7,8–8,2), 100% tevreden (90%-interval 96%–100%), "
        "60 respondenten, foutmarge ± 9,8 procentpunt."
    )
    borderline = ckv.certainty_lines(view(results_dir, "C3"))[2]
    assert borderline == (
        "Reparaties: onderdeelscore 7,0 (90%-interval 6,9–7,0), 98% tevreden (90%-interval 92%–100%), "
        "50 respondenten, foutmarge ± 10,9 procentpunt. Let op: de grens 7,0 ligt binnen het interval "
        "van de onderdeelscore."
    )


def test_borderline_score_is_flagged_with_its_unrounded_value(results_dir):
    table = ckv.components_table_nl(view(results_dir, "C3")).set_index("Cijfer")
    assert table.loc["Onderdeelscore (90%-interval)", "Reparaties"] == "7,0 (6,9–7,0)"
    assert table.loc["Onderdeelscore ≥ 7,0", "Reparaties"] == "nee, grensgeval (onafgerond 6,96)"
    assert table.loc["Oordeel", "Reparaties"] == "niet gehaald"


def test_low_response_component_is_ckv_beslist(results_dir):
    table = ckv.components_table_nl(view(results_dir, "C2")).set_index("Cijfer")
    assert table.loc["Respondenten", "Vertrokken huurders"] == "19"
    assert table.loc["Onderdeelscore ≥ 7,0", "Vertrokken huurders"] == "nee"
    assert table.loc["Oordeel", "Vertrokken huurders"] == "CKV beslist"


# --------------------------------------------------------------------------- coverage and Algemene waardering


def test_coverage_matrix_marks_missing_quarters_and_long_deliveries(results_dir):
    table = ckv.coverage_table_nl(view(results_dir, "C4")).set_index("Onderdeel")
    assert list(table.columns) == ["K1 (jan–mrt)", "K2 (apr–jun)", "K3 (jul–sep)", "K4 (okt–dec)", "Oordeel"]
    assert table.loc["Reparaties"].tolist() == ["1", "1", "0 ✗", "1", "niet gedekt: K3"]
    assert table.loc["Nieuwe huurders"].tolist() == ["1 (telt niet) ✗"] * 4 + [
        "niet gedekt: K1, K2, K3, K4 (alleen langere perioden)"
    ]
    assert table.loc["Vertrokken huurders", "Oordeel"] == "ieder kwartaal"
    assert table.loc["Algemene waardering"].tolist() == ["0", "0", "0", "0", "niet gehouden ✗"]
    assert ckv.aw_text(view(results_dir, "C4")) == (
        "Algemene waardering is in 2025 niet gehouden: er is geen aanlevering met een dataperiode in 2025. "
        "Dat is een voorwaarde voor het label (criterium 3)."
    )
    assert ckv.aw_text(view(results_dir, "C1")) == (
        "Algemene waardering is in 2025 gehouden (1 aanlevering met een dataperiode in 2025). "
        "Het resultaat ervan telt niet mee voor het label."
    )


# --------------------------------------------------------------------------- mergers


def test_merger_is_explained_and_its_results_composition_shown(results_dir):
    r = view(results_dir, "M1")
    lines = ckv.special_case_lines(r)
    assert lines[1] == (
        "Rechtsvoorgangers: Testcorporatie P1 (P1), Testcorporatie P2 (P2). De resultaten over 2025 zijn "
        "samengesteld uit de respondenten van de rechtsvoorgangers met een servicemaand vóór 1 juli 2025 en "
        "die van Testcorporatie M1 zelf; de kwartaaldekking telt de aanleveringen van de rechtsvoorgangers "
        "vóór de fusie mee."
    )
    # The dossier says that the other documents count only the merged corporation's own respondents.
    assert lines[2] == (
        "De resultaten en de analyse van de representativiteit van Testcorporatie M1 tellen alleen de "
        "respondenten van Testcorporatie M1 zelf, vanaf de fusie (de kolom 'zelf' in de tabel hieronder); "
        "daar staan daarom minder respondenten, andere scores en grotere foutmarges dan in dit dossier."
    )
    assert (
        "Ter informatie: Testcorporatie P1 had als laatste besluit verlengen over 2024, geldig tot 31 maart 2027; "
        "dat telt voor de fusiecorporatie niet mee."
    ) in lines
    composition = ckv.merger_composition_table(r).set_index("Onderdeel")
    assert composition.loc["Reparaties"].tolist() == ["60", "3", "60", "123"]
    assert list(composition.columns) == [
        "Testcorporatie P1 (vóór 1 juli 2025)",
        "Testcorporatie P2 (vóór 1 juli 2025)",
        "Testcorporatie M1 zelf",
        "Samen (beoordeeld)",
    ]
    assert (
        ckv.validity_lines(r)[0]
        == "De fusiecorporatie begint opnieuw: een label van de rechtsvoorgangers telt niet mee."
    )
    assert ckv.merger_composition_table(view(results_dir, "C1")).empty


def test_a_predecessor_has_no_advice_and_points_to_its_successor(results_dir):
    r = view(results_dir, "P2")
    assert ckv.advice_row(r) is None
    assert ckv.advice_heading(r) == "Geen advies over 2025"
    assert ckv.merged_away_text(r) == (
        "Testcorporatie P2 is per 1 juli 2025 gefuseerd in Testcorporatie M1 (M1) "
        "en krijgt over 2025 geen eigen advies. Respondenten met een servicemaand vóór de fusie tellen mee "
        "in de resultaten van Testcorporatie M1; zie het dossier van M1."
    )


# --------------------------------------------------------------------------- history, trend, decision


def test_history_and_trend_say_what_exists_and_what_is_missing(results_dir):
    r = view(results_dir, "C4")
    assert ckv.history_table(r).to_dict("records") == [
        {"Onderzoeksjaar": "2023", "Besluit CKV": "verlengen", "Criteria gehaald": "ja", "Geldig tot": "31 maart 2026"},
        {
            "Onderzoeksjaar": "2024",
            "Besluit CKV": "niet verlengen",
            "Criteria gehaald": "nee",
            "Geldig tot": "31 maart 2026",
        },
    ]
    trend = ckv.trend_table(r).set_index("Jaar")
    assert trend.loc["2025", "Reparaties"] == "8,0 / 100% (60)"
    assert trend.loc["2025", "Label"] == "advies: verloopt"
    # The builder dataset has no 2023 or 2024 respondents: no rows of "niet beschikbaar", a note instead.
    assert list(trend.index) == ["2025"]
    assert ckv.trend_years(r) == "2025"
    assert not ckv.trend_table(r).isin(["niet beschikbaar"]).any().any()
    assert ckv.trend_notes(r)[0] == (
        "Over 2023 en 2024 bevat het onderzoeksbestand geen cijfers (de resultaten van deze "
        "afsluiting bevatten 2025); het besluit van de CKV over 2023 en 2024 staat in de "
        "labelhistorie."
    )
    # Without decisions on those years, the note does not point to the label history.
    assert "labelhistorie" not in ckv.trend_notes(view(results_dir, "C2"))[0]
    assert (
        ckv.trend_table(view(results_dir, "C2")).set_index("Jaar").loc["2025", "Vertrokken huurders"]
        == "6,0 ✗ / 100% (19)"
    )
    assert "Geen besluit van de CKV vastgelegd over 2023 en 2024." in ckv.trend_notes(view(results_dir, "C2"))


def test_trend_uses_last_years_scores_when_the_results_hold_them(tmp_path):
    b = DatasetBuilder(year=YEAR)
    label_corporation(b, "C1")
    b.respondents("C1", "reparaties", same_grades(10, 6), month="2024-05")
    b.label_history("C1", 2024, "niet_toekennen", False)
    write_results(compute_results(b.build(), RULES, YEAR), tmp_path / "r", {"year": YEAR, "rules_path": ""})
    r = view(tmp_path / "r", "C1")
    trend = ckv.trend_table(r).set_index("Jaar")
    assert trend.loc["2024", "Reparaties"] == "6,0 ✗ / 100% (10)"
    assert trend.loc["2024", "Nieuwe huurders"] == "geen respondenten"
    assert trend.loc["2024", "Label"] == "niet toekennen (niet gehaald)"
    assert list(trend.index) == ["2024", "2025"]
    assert ckv.trend_years(r) == "2024–2025"
    assert ckv.trend_notes(r)[0].startswith("Over 2023 bevat het onderzoeksbestand geen cijfers")


def test_decision_block_offers_only_the_decisions_the_label_status_allows(results_dir):
    block = ckv.decision_block(view(results_dir, "C2"))
    rows = dict(zip(block["Onderwerp"], block["In te vullen"], strict=True))
    assert rows["Advies KWH"] == "CKV beslist (telt mee: niet toekennen; telt niet mee: toekennen)"
    assert rows["Labelstatus"] == "geen geldig label"
    assert rows["Telt het resultaat van Vertrokken huurders mee?"] == "□ ja   □ nee"
    assert rows["Besluit CKV"] == "□ toekennen   □ niet toekennen"
    assert rows["Afwijking van het advies"] == "□ ja   □ nee"
    for label in (
        "Motivering (verplicht bij afwijking)",
        "Datum vergadering",
        "Handtekening voorzitter",
        "Secretaris (niet stemgerechtigd)",
    ):
        assert rows[label] == ""
    assert rows["Aanwezige leden (stemgerechtigd)"] == "1."
    assert "voor:" in rows["Stemming"]
    assert "tegen:" in rows["Stemming"]
    assert "onthouding:" in rows["Stemming"]
    assert (block["Onderwerp"] == "").sum() >= 6  # blank lines for the motivation and the members
    # A valid label whose previous year passed: verlengen or niet verlengen, never verloopt.
    valid = ckv.decision_block(view(results_dir, "C1")).set_index("Onderwerp")["In te vullen"]
    assert valid["Besluit CKV"] == "□ verlengen   □ niet verlengen"
    assert valid["Labelstatus"] == "label geldig tot 31 maart 2027, 2024 gehaald"
    # A valid label whose previous year failed: verlengen or verloopt, never niet verlengen.
    failed = ckv.decision_block(view(results_dir, "C4")).set_index("Onderwerp")["In te vullen"]
    assert failed["Besluit CKV"] == "□ verlengen   □ verloopt"
    assert failed["Labelstatus"] == "label geldig tot 31 maart 2026, 2024 niet gehaald"


@pytest.mark.parametrize(
    ("valid", "previous", "allowed"),
    [
        (False, None, ("toekennen", "niet_toekennen")),
        (False, False, ("toekennen", "niet_toekennen")),
        (True, True, ("verlengen", "niet_verlengen")),
        (True, None, ("verlengen", "niet_verlengen")),
        (True, False, ("verlengen", "verloopt")),
    ],
)
def test_possible_decisions_follow_the_state_machine(valid, previous, allowed):
    from kwh_calc.calculations.label import outcome, possible_decisions

    assert possible_decisions(valid, previous) == allowed
    assert {outcome(p, valid, previous) for p in (True, False)} == set(allowed)


def test_no_decision_form_offers_an_outcome_the_advice_excludes(results_dir):
    for corporation_id in ("C1", "C2", "C3", "C4", "M1"):
        r = view(results_dir, corporation_id)
        row = ckv.advice_row(r)
        offered = set(ckv.decision_options(r))
        advised = {row["advice"]} if row["advice"] not in ("ckv_beslist", "nog_niet_beoordeelbaar") else set()
        advised |= {row["advice_if_counted"], row["advice_if_not_counted"]} - {""}
        assert advised <= offered, corporation_id
        assert len(offered) == 2


# --------------------------------------------------------------------------- the national overview


def test_overview_counts_every_advice_in_order_and_the_merged_away(results_dir):
    counts = ckv.advice_counts(view(results_dir))
    assert counts["Advies"].tolist() == [
        "toekennen",
        "verlengen",
        "niet toekennen",
        "niet verlengen",
        "verloopt",
        "CKV beslist",
        "nog niet beoordeelbaar",
        "Totaal met advies",
        "Gefuseerd, geen eigen advies",
    ]
    assert counts["Corporaties"].tolist() == ["1", "1", "0", "1", "1", "1", "1", "6", "2"]


def test_overview_flags_come_with_the_corporations_they_concern(results_dir):
    r = view(results_dir)
    assert ckv.attention_summary(r) == [
        "CKV beslist over een onderdeel: 1 corporatie",
        "Grensgevallen: 1 corporatie",
        "Labels die aflopen of kunnen aflopen: 2 corporaties",
        "Bijzondere gevallen (nieuw lid, fusie): 2 corporaties",
        "Gefuseerd, zonder eigen advies: 2 corporaties",
    ]
    assert ckv.discretion_overview(r).to_dict("records") == [
        {
            "Corporatie": "Testcorporatie C2 (C2)",
            "Onderdeel": "Vertrokken huurders",
            "Waarom": "19 respondenten (minimum 20)",
            "Score / % tevreden": "6,0 / 100%",
            "Telt mee": "niet toekennen",
            "Telt niet mee": "toekennen",
        }
    ]
    assert ckv.borderline_overview(r).to_dict("records") == [
        {
            "Corporatie": "Testcorporatie C3 (C3)",
            "Onderdeel": "Reparaties",
            "Cijfer": "onderdeelscore 7,0 (grens 7,0)",
            "Onafgerond": "6,96",
            "Advies": "niet verlengen",
        }
    ]
    expiring = ckv.expiring_overview(r).set_index("Corporatie")
    assert expiring.loc["Testcorporatie C4 (C4)"].tolist() == [
        "verloopt",
        "31 maart 2026",
        "ook 2024 niet gehaald: het label verloopt",
    ]
    assert expiring.loc["Testcorporatie C3 (C3)", "Label geldig tot"] == "31 maart 2027"
    special = ckv.special_overview(r).set_index("Corporatie")
    assert special.loc["Testcorporatie M1 (M1)", "Toelichting"] == (
        "fusie per 1 juli 2025 uit P1, P2: resultaten van rechtsvoorgangers tot de fusie tellen mee, "
        "het label begint opnieuw"
    )
    assert special.loc["Testcorporatie C5 (C5)", "Bijzonderheid"] == "nieuw lid, route a"
    assert ckv.merged_away_overview(r).to_dict("records") == [
        {"Rechtsvoorganger": "Testcorporatie P1 (P1)", "Gefuseerd in": "Testcorporatie M1 (M1)", "Per": "1 juli 2025"},
        {"Rechtsvoorganger": "Testcorporatie P2 (P2)", "Gefuseerd in": "Testcorporatie M1 (M1)", "Per": "1 juli 2025"},
    ]


def test_group_tables_are_compact_with_marks_and_short_reasons(results_dir):
    r = view(results_dir)
    assert (
        ckv.component_legend(r)
        == "NH = Nieuwe huurders, VH = Vertrokken huurders, Rep = Reparaties, PO = Planmatig onderhoud"
    )
    beslist = ckv.group_table(r, "ckv_beslist")
    assert beslist.to_dict("records") == [
        {
            "Corporatie": "Testcorporatie C2 (C2)",
            "NH": "8,0 / 100%",
            "VH": "6,0 ✗ / 100% (19)",
            "Rep": "8,0 / 100%",
            "PO": "8,0 / 100%",
            "Redenen": "VH: score, 19 resp. (min. 20); telt mee: niet toekennen, telt niet mee: toekennen",
        }
    ]
    assert ckv.group_table(r, "niet_verlengen").iloc[0]["Rep"] == "7,0 (g) ✗ / 98%"
    assert ckv.group_table(r, "verloopt").iloc[0]["Redenen"] == (
        "NH: geen dekking K1–K4 (alleen langere perioden); Rep: geen dekking K3; geen Algemene waardering; "
        "ook 2024 niet gehaald"
    )
    assert ckv.group_table(r, "verlengen").iloc[0]["Redenen"] == "voldoet aan alle criteria"
    assert (
        ckv.group_table(r, "nog_niet_beoordeelbaar").iloc[0]["Redenen"] == "nieuw lid, route a, verwacht augustus 2026"
    )
    assert ckv.group_table(r, "niet_toekennen").empty
    listed = [cid for advice in ADVICES for cid in ckv.group_table(r, advice)["Corporatie"]]
    assert sorted(listed) == sorted(f"Testcorporatie {c} ({c})" for c in ("C1", "C2", "C3", "C4", "C5", "M1"))


# --------------------------------------------------------------------------- no small cell shows a result


def _all_texts(r: YearResults) -> list[str]:
    texts = [
        ckv.advice_heading(r),
        *ckv.reasons(r),
        *ckv.validity_lines(r),
        *ckv.certainty_lines(r),
        ckv.aw_text(r),
        *ckv.special_case_lines(r),
        *ckv.trend_notes(r),
    ]
    for frame in (
        ckv.components_table_nl(r),
        ckv.coverage_table_nl(r),
        ckv.discretion_table(r),
        ckv.merger_composition_table(r),
        ckv.history_table(r),
        ckv.trend_table(r),
        ckv.decision_block(r),
    ):
        texts += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
    return texts


def test_no_breakdown_shows_a_result_of_fewer_respondents_than_the_minimum(results_dir):
    r = view(results_dir, "M1")
    # The only breakdown the dossier adds (results per predecessor) holds counts, never a score.
    composition = ckv.merger_composition_table(r)
    assert all(re.fullmatch(r"\d[\d.]*", v) for v in composition.drop(columns="Onderdeel").to_numpy().ravel())
    # P2's 3 respondents (all grade 3: score 3,0, 0% satisfied) show nowhere in the successor's dossier.
    assert RULES.suppression.min_cell_size > 3
    texts = " | ".join(_all_texts(r))
    assert "3,0" not in texts
    assert " 0%" not in texts
    # Every score cell of the dossier belongs to a whole corporation (one row per label component).
    figures = ckv.component_figures(r)
    assert figures["component"].tolist() == [
        "nieuwe_huurders",
        "vertrokken_huurders",
        "reparaties",
        "planmatig_onderhoud",
    ]
    assert pd.Series(figures["corporation_id"]).eq("M1").all()


def test_no_respondents_and_a_single_respondent(tmp_path):
    b = DatasetBuilder(year=YEAR)
    label_corporation(b, "C1", grades={"nieuwe_huurders": [], "planmatig_onderhoud": same_grades(1, 6)})
    write_results(compute_results(b.build(), RULES, YEAR), tmp_path / "r", {"year": YEAR, "rules_path": ""})
    r = view(tmp_path / "r", "C1")
    table = ckv.components_table_nl(r).set_index("Cijfer")
    assert table["Nieuwe huurders"].tolist() == [
        "0",
        "20",
        "–",
        "nee (geen respondenten)",
        "–",
        "nee (geen respondenten)",
        "–",
        "ieder kwartaal",
        "CKV beslist",
    ]
    assert table.loc["Onderdeelscore (90%-interval)", "Planmatig onderhoud"] == "6,0 (geen interval bij 1 respondent)"
    lines = ckv.certainty_lines(r)
    assert lines[0] == "Nieuwe huurders: geen respondenten in 2025."
    # One respondent: no margin of ±82,2 presented as a figure, and a plain caution.
    assert lines[3] == (
        "Planmatig onderhoud: onderdeelscore 6,0 (90%-interval niet te bepalen bij 1 respondent), "
        "100% tevreden (90%-interval 27%–100%), 1 respondent. "
        "Let op: de grens 85% ligt binnen het interval van het percentage tevreden. Dit rust op zeer "
        "weinig respondenten (minder dan 5): interval en foutmarge zijn dan nauwelijks te gebruiken."
    )
    assert table.loc["Foutmarge (procentpunt)", "Planmatig onderhoud"] == "–"
    reasons = ckv.discretion_table(r).set_index("Onderdeel")
    assert reasons.loc["Nieuwe huurders", "Cijfers"] == "0 respondenten (minimum 20)"
    assert reasons.loc["Nieuwe huurders", "Waarom de CKV beslist"] == "geen respondenten"
    assert reasons.loc["Planmatig onderhoud", "Cijfers"] == "6,0 / 100% bij 1 respondent (minimum 50)"


def test_advice_titles_and_a_shared_reason_said_once():
    assert ckv.advice_title("ckv_beslist") == "CKV beslist"
    assert ckv.advice_title("nog_niet_beoordeelbaar") == "Nog niet beoordeelbaar"
    same = pd.DataFrame({"Corporatie": ["A (A)", "B (B)"], "Redenen": ["voldoet aan alle criteria"] * 2})
    assert ckv.common_reason(same) == "voldoet aan alle criteria"
    assert ckv.common_reason(same.assign(Redenen=["voldoet aan alle criteria", "fusie"])) is None
    assert ckv.common_reason(same.iloc[:1]) is None


def test_overview_lists_only_the_mergers_of_the_year(tmp_path):
    b = DatasetBuilder(year=YEAR)
    label_corporation(b, "OLD", quarters={q: [] for q in QUARTERLY}, components=[], algemene_waardering=False)
    label_corporation(b, "NEW", quarters={q: [1, 2] for q in QUARTERLY}, onderhoud=False)
    label_corporation(b, "S1", member_since="2023-01-01", merged_from="OLD", merged_on="2023-01-01")
    label_corporation(
        b,
        "S2",
        quarters={q: [3, 4] for q in QUARTERLY},
        member_since="2025-07-01",
        merged_from="NEW",
        merged_on="2025-07-01",
        algemene_waardering=False,
    )
    write_results(compute_results(b.build(), RULES, YEAR), tmp_path / "r", {"year": YEAR, "rules_path": ""})
    r = view(tmp_path / "r")
    advice = set(r.table("label_advice")["corporation_id"])
    assert "OLD" not in advice
    assert "NEW" not in advice
    listed = ckv.merged_away_overview(r)
    assert [row.startswith("Testcorporatie NEW") for row in listed["Rechtsvoorganger"]] == [True]
    assert "Gefuseerd, zonder eigen advies: 1 corporatie" in ckv.attention_summary(r)


def test_discretion_facts_give_the_ckv_what_it_decides_on(results_dir):
    facts = ckv.discretion_facts(view(results_dir, "C2"))
    assert len(facts) == 1
    text = facts[0]
    # Vertrokken huurders 6,0 from 19 respondents (minimum 20): counts, intervals against the thresholds, last year.
    assert text.startswith("Vertrokken huurders: 19 respondenten van ")
    assert "aangeleverde huurders (minimum 20)" in text
    assert "het hele interval van de score ligt onder de grens 7,0" in text
    assert "In 2024: geen respondenten." in text
    assert ckv.discretion_facts(view(results_dir, "C1")) == []


def test_certainty_intro_says_the_interval_holds_the_value_for_all_tenants(results_dir):
    text = ckv.certainty_intro(view(results_dir, "C1"))
    assert text.startswith("Met 90% zekerheid ligt de uitkomst voor alle huurders van het onderdeel")
    assert "procentpunt" in text
    assert "ongunstigste geval" in text
    assert "slechtste" not in text


def test_overview_flags_passes_that_rest_on_few_respondents(tmp_path):
    b = DatasetBuilder(year=YEAR)
    # T1: passes with 6 Vertrokken huurders respondents (minimum 20), all grading 8: 100% (90%-interval 69%–100%).
    label_corporation(b, "T1", grades={"vertrokken_huurders": same_grades(6, 8)})
    # T2: passes with 60 respondents everywhere: nothing to flag.
    label_corporation(b, "T2")
    write_results(compute_results(b.build(), RULES, YEAR), tmp_path / "r", {"year": YEAR, "rules_path": ""})
    r = view(tmp_path / "r")
    thin = ckv.thin_passes(r)
    assert thin["corporation_id"].tolist() == ["T1"]
    assert thin["components"].tolist() == ["VH 6"]
    assert ckv.attention_summary(r)[-1] == (
        "Gehaald met minder respondenten dan het minimum, met een grens binnen het 90%-interval (de uitkomst is "
        "onzeker): 1 corporatie: T1 (VH 6 resp.)"
    )


def test_trend_marks_a_borderline_figure_as_every_table_does(results_dir):
    trend = ckv.trend_table(view(results_dir, "C3")).set_index("Jaar")
    assert trend.loc["2025", "Reparaties"] == "7,0 (g) ✗ / 98% (50)"  # 49 × 7 and 1 × 5
    assert ckv.trend_notes(view(results_dir, "C3"))[-1].endswith(
        "(g) = grensgeval (afgerond op de grens, onafgerond eronder)."
    )
