"""Dutch presentation of the removals register (kwh_calc.presentation.removal_views) and, end to end, the CKV
dossier and the national CKV overview showing a removal that changed the advice (PDF text)."""

from __future__ import annotations

import re

import pytest
from builders import DatasetBuilder
from label_helpers import YEAR, label_corporation, same_grades
from pdfs import pdf_text

from kwh_calc.close.run import ensure_results, load_documents, run_close
from kwh_calc.intake.dataset import load_dataset, write_dataset
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, load_rules
from kwh_calc.presentation import removal_views as views
from kwh_calc.results.year import YearResults


def squeeze(text: str) -> str:
    return re.sub(r"\s", "", text)


def register() -> DatasetBuilder:
    """X: one Reparaties removal takes 6,98 (grensgeval) to 7,0, so the advice changes;
    Y: five Reparaties removals and one Algemene waardering removal that change nothing;
    Z: no removals."""
    b = DatasetBuilder(YEAR)
    label_corporation(b, "X", grades={"reparaties": same_grades(59, 7)})
    label_corporation(b, "Y", grades={"reparaties": same_grades(60, 8)})
    label_corporation(b, "Z")
    b.removal(b.respondents("X", "reparaties", [[6] * 7], month=f"{YEAR}-05")[0], reference="VZ-X-1")
    for number, response_id in enumerate(
        b.respondents("Y", "reparaties", same_grades(5, 4), month=f"{YEAR}-05"), start=1
    ):
        b.removal(response_id, reference=f"VZ-Y-{number}")
    b.removal(b.respondents("Y", "algemene_waardering", [[7] * 7], month=f"{YEAR}-03")[0], reference="VZ-Y-6")
    return b


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_dataset(register().tables(), tmp_path_factory.mktemp("removals") / "data")


@pytest.fixture(scope="module")
def results_dir(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / str(YEAR)
    return ensure_results(load_dataset(data_dir), load_rules(year=YEAR), YEAR, out, DEFAULT_RULES_PATH)


def test_dossier_of_a_changed_advice_flags_it(results_dir):
    view = YearResults(results_dir, "X")
    assert views.has_removals(view)
    assert "1 ingevulde vragenlijst van Testcorporatie X" in views.dossier_intro(view)
    assert views.dossier_flag(view) == (
        "**Let op: de verwijderingen veranderen het advies.** Vóór verwijdering zou het "
        "advies *niet toekennen* zijn; na verwijdering is het *toekennen* (Reparaties)."
    )
    assert views.advice_flag(view).startswith(
        "**Let op: het verwijderen van 1 ingevulde vragenlijst verandert dit advies**"
    )
    table = views.dossier_table(view)
    assert table.iloc[0].to_dict() == {
        "Onderdeel": "Reparaties",
        "Verwijderd": "1",
        "Respondenten na / vóór": "59 / 60",
        "Onderdeelscore na / vóór": "7,0 / niet getoond",
        "% tevreden na / vóór": "100% / niet getoond",
        "Labelcriterium na / vóór": "gehaald / niet gehaald",
    }
    assert any("tonen we de cijfers vóór verwijdering niet" in note for note in views.dossier_notes(view))


def test_dossier_of_an_unchanged_advice_shows_both_figures(results_dir):
    view = YearResults(results_dir, "Y")
    assert (
        views.dossier_flag(view)
        == "De verwijderingen veranderen het advies niet: ook vóór verwijdering is het advies *toekennen*."
    )
    assert views.advice_flag(view) is None
    rows = views.dossier_table(view).set_index("Onderdeel")
    assert rows.loc["Reparaties", "Onderdeelscore na / vóór"] == "8,0 / 7,7"
    assert rows.loc["Reparaties", "% tevreden na / vóór"] == "100% / 92%"
    assert rows.loc["Algemene waardering", "Labelcriterium na / vóór"] == "n.v.t. / n.v.t."
    assert "n.v.t. = het onderdeel telt niet mee voor het label." in views.dossier_notes(view)


def test_corporation_without_removals_gets_no_section(results_dir):
    view = YearResults(results_dir, "Z")
    assert not views.has_removals(view)
    assert views.dossier_intro(view) is None
    assert views.dossier_flag(view) is None
    assert views.results_note(view) is None
    assert views.dossier_table(view).empty
    assert views.dossier_notes(view) == []


def test_overview_lists_every_corporation_and_names_the_changed_advice(results_dir):
    view = YearResults(results_dir)
    table = views.overview_table(view)
    assert table["Corporatie"].tolist() == ["Testcorporatie X (X)", "Testcorporatie Y (Y)"]
    assert table["Verwijderd"].tolist() == ["1 (Reparaties 1)", "6 (Reparaties 5, Algemene waardering 1)"]
    assert table["Verandert het advies"].tolist() == ["ja", "nee"]
    assert views.overview_changed_text(view) == (
        "De verwijderingen veranderen het advies van 1 corporatie: "
        "Testcorporatie X (X): niet toekennen wordt toekennen."
    )


def test_results_note_counts_the_removed_questionnaires(results_dir):
    note = views.results_note(YearResults(results_dir, "Y"))
    assert note.startswith("Over 2025 zijn 6 ingevulde vragenlijsten uit het onderzoek verwijderd")
    assert "Reparaties 5, Algemene waardering 1" in note


@pytest.mark.e2e
def test_dossier_and_overview_pdfs_show_the_removal(data_dir, tmp_path):
    documents = [d for d in load_documents() if d.key in ("ckv-dossier", "ckv-overzicht")]
    summary = run_close(data_dir, YEAR, tmp_path, corporations=["X"], documents=documents, outputs=[], engine="builtin")
    assert not summary.failed, [r.error for r in summary.failed]
    dossier = squeeze(pdf_text(tmp_path / str(YEAR) / "X" / "ckv-dossier.pdf"))
    assert (
        "VerwijderdevragenlijstenOver2025zijn1ingevuldevragenlijstvanTestcorporatieXuithetonderzoekverwijderd"
        in dossier
    )
    assert "Letop:deverwijderingenveranderenhetadvies." in dossier
    assert "Letop:hetverwijderenvan1ingevuldevragenlijstverandertditadvies" in dossier
    assert "Reparaties159/607,0/niet" in dossier  # the table row: removed, respondents, score after / before
    overview = squeeze(pdf_text(tmp_path / str(YEAR) / "ckv-overzicht.pdf"))
    assert "Verwijderdevragenlijsten" in overview
    assert (
        squeeze(
            "De verwijderingen veranderen het advies van 1 corporatie: Testcorporatie X (X): niet toekennen "
            "wordt toekennen."
        )
        in overview
    )
    assert squeeze("Testcorporatie Y (Y)") in overview
