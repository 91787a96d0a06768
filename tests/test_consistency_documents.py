"""End-to-end: the documents of one corporation agree with each other (issue 16).

For each corporation the same figure (respondents, score, % tevreden, population, response) is
the same in every document that shows it, or the document says why it differs (a merger: the
label pools the predecessors; the Aedes grade: another question and period). Difference
columns equal the difference of what is printed, or say they are computed otherwise. No
decision form offers an outcome the label status excludes.

The close renders every per-corporation document for three demo corporations of contrasting
scenarios (a merger, a CKV decision on low response, a borderline score) with the built-in
engine; the figures are read from the same view functions the notebooks call and found in the
PDF text.
"""

from __future__ import annotations

import pandas as pd
import pytest
from pdfs import pdf_text, squeezed

from kwh_calc.calculations.label import ADVICE_NAMES, label_components
from kwh_calc.close.run import load_documents, run_close
from kwh_calc.common.numbers import fmt_count, round_half_up
from kwh_calc.intake.demo import demo_scenarios
from kwh_calc.presentation import aedes_views, ckv_views, representativeness_views
from kwh_calc.presentation import results_views as views
from kwh_calc.results.year import YearResults

pytestmark = pytest.mark.e2e
YEAR = 2025
KEYS = ("resultaten", "ckv-dossier", "representativiteit", "aedes-huurdersoordeel")
DOCUMENTS = [d for d in load_documents() if d.key in KEYS]


@pytest.fixture(scope="module")
def picked(demo_dir):
    """A merger, a CKV decision on low response and a borderline score (the conftest demo: 20
    corporations, seed 11, every scenario present)."""
    scenarios = demo_scenarios(corporations=20, year=YEAR, seed=11).set_index("scenario")["corporation_id"]
    return {
        key: str(scenarios[key] if isinstance(scenarios[key], str) else scenarios[key].iloc[0])
        for key in ("fusie", "lage_respons", "grensgeval")
    }


@pytest.fixture(scope="module")
def close(demo_dir, picked, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    summary = run_close(
        demo_dir, YEAR, out, corporations=sorted(picked.values()), documents=DOCUMENTS, outputs=[], engine="builtin"
    )
    assert not summary.failed, [r.error for r in summary.failed]
    return out / str(YEAR)


def texts(close, corporation_id) -> dict[str, str]:
    return {key: squeezed(pdf_text(close / corporation_id / f"{key}.pdf")) for key in KEYS}


def _number(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".").replace("%", "").replace("+", "").replace("−", "-"))


@pytest.mark.parametrize("scenario", ["fusie", "lage_respons", "grensgeval"])
def test_respondents_score_and_pct_agree_or_the_document_says_why(close, picked, scenario):
    corporation_id = picked[scenario]
    r = YearResults(close / "results", corporation_id)
    pdfs = texts(close, corporation_id)
    rules = r.rules
    overview = views.scores_table(r).set_index("Onderdeel")
    dossier = ckv_views.component_figures(r).set_index("component")
    precision = representativeness_views.precision_table(r).set_index("Onderdeel")
    minimum = rules.suppression.min_cell_size
    merger = ckv_views.advice_row(r)["special_case"] == "merger"
    for component in label_components(rules):
        name = rules.questionnaire_name(component)
        own = overview.loc[name]
        judged = dossier.loc[component]
        # The representativeness analysis counts the same respondents as the results overview.
        if int(judged["n"]) and name in precision.index:
            assert precision.at[name, "Respondenten"] == own["Respondenten"], (scenario, name)
            if int(own["Respondenten"].replace(".", "")) >= minimum:
                assert precision.iloc[:, 1][name].startswith(own["Score"].replace(" (g)", "")), (scenario, name)
                assert precision.iloc[:, 2][name].startswith(own["% tevreden"].replace(" (g)", "")), (scenario, name)
        same = own["Respondenten"] == fmt_count(judged["n"])
        if merger:
            # The dossier pools the predecessors; every document says whose respondents it counts.
            assert not same or int(judged["n"]) == 0
            assert "rechtsvoorgangers" in pdfs["resultaten"]
            assert "vóórdefusie" in pdfs["resultaten"]
            assert "Samen(beoordeeld)" in pdfs["ckv-dossier"]
            assert squeezed(representativeness_views.scope_text(r)) in pdfs["representativiteit"]
            assert (
                "hetdossiervoordeckvteltvoorhetkwh-kwaliteitslabelookderespondenten"
                in pdfs["representativiteit"].lower()
            )
        else:
            assert same, (scenario, name, own["Respondenten"], judged["n"])
            if int(judged["n"]) >= minimum:
                mark = " (g)" if judged["borderline_score"] else ""
                assert own["Score"] == judged["score_display"] + mark, (scenario, name)
                assert own["% tevreden"].replace(" (g)", "") == judged["pct_display"], (scenario, name)


@pytest.mark.parametrize("scenario", ["fusie", "lage_respons", "grensgeval"])
def test_population_and_response_are_the_same_in_every_document(close, picked, scenario):
    corporation_id = picked[scenario]
    r = YearResults(close / "results", corporation_id)
    pdfs = texts(close, corporation_id)
    response = views.response_table_nl(r).set_index("Onderdeel")
    components = representativeness_views.components_table(r).set_index("Onderdeel")
    for name, row in response.iterrows():
        # Delivered → approached → completed: the same row in the results overview and the analysis.
        cells = squeezed("".join(row[["Aangeleverd", "Benaderd", "Online", "Telefonisch", "Ingevuld", "Respons"]]))
        assert cells in pdfs["resultaten"], (scenario, name)
        assert cells in pdfs["representativiteit"], (scenario, name)
        if name != r.rules.questionnaire_name(r.rules.label.required_held) and name in components.index:
            assert components.at[name, "Populatie"] == row["Aangeleverd"], (scenario, name)
    for line in views.response_notes(r):
        assert squeezed(line) in pdfs["resultaten"]
    # The reason for each drop is given in both documents, in the same words.
    assert squeezed(views.funnel_notes(YEAR)[1]) in pdfs["representativiteit"]
    # The CKV's facts name the same population as the analysis.
    for fact in ckv_views.discretion_facts(r):
        assert squeezed(fact) in pdfs["ckv-dossier"]


@pytest.mark.parametrize("scenario", ["fusie", "lage_respons", "grensgeval"])
def test_difference_columns_equal_the_difference_of_what_is_printed(close, picked, scenario):
    corporation_id = picked[scenario]
    r = YearResults(close / "results", corporation_id)
    pdfs = texts(close, corporation_id)
    table = views.scores_table(r)
    before = f"Score {YEAR - 1}"
    for row in table.itertuples(index=False):
        row = dict(zip(table.columns, row, strict=True))
        if row["Verschil"] == "–":
            continue
        now, then = _number(row["Score"].replace(" (g)", "")), _number(row[before])
        assert round_half_up(_number(row["Verschil"]), 1) == round_half_up(now - then, 1), row
    if (table["Verschil"] != "–").any():
        assert "zoalszehierstaan(afgerondopééndecimaal)" in pdfs["resultaten"]
    if aedes_views.is_member(r):
        trend = aedes_views.trend_table(r)
        for row in trend.loc[trend["Deelscore"] != "Totaal"].itertuples(index=False):
            row = dict(zip(trend.columns, row, strict=True))
            if row["Verschil cijfer"] == "–":
                continue
            now = _number(row[str(YEAR)].split(", ", 1)[1].split(" (")[0])
            then = _number(row[str(YEAR - 1)].split(", ", 1)[1].split(" (")[0])
            assert round_half_up(_number(row["Verschil cijfer"]), 1) == round_half_up(now - then, 1), row
        if not aedes_views.next_letter_table(r).empty:
            # Not a difference of printed grades: the header and the text say how it is computed.
            assert squeezed(aedes_views.GAP_COLUMN) in pdfs["aedes-huurdersoordeel"]
            assert "hetisdusniethetverschilvandeafgerondecijfers" in pdfs["aedes-huurdersoordeel"]


@pytest.mark.parametrize("scenario", ["fusie", "lage_respons", "grensgeval"])
def test_aedes_grades_that_differ_from_the_label_figures_are_explained(close, picked, scenario):
    corporation_id = picked[scenario]
    r = YearResults(close / "results", corporation_id)
    if not aedes_views.has_respondents(r):
        pytest.skip("no Aedes figures")
    pdfs = texts(close, corporation_id)
    for note in aedes_views.label_comparison_notes(r):
        assert squeezed(note.replace("**", "")) in pdfs["aedes-huurdersoordeel"]


@pytest.mark.parametrize("scenario", ["fusie", "lage_respons", "grensgeval"])
def test_no_decision_form_offers_an_outcome_the_label_status_excludes(close, picked, scenario):
    corporation_id = picked[scenario]
    r = YearResults(close / "results", corporation_id)
    text = texts(close, corporation_id)["ckv-dossier"]
    row = ckv_views.advice_row(r)
    allowed = set(ckv_views.decision_options(r))
    assert len(allowed) == 2
    if row["advice"] not in ("ckv_beslist", "nog_niet_beoordeelbaar"):
        assert row["advice"] in allowed
    else:
        assert {row["advice_if_counted"], row["advice_if_not_counted"]} <= allowed
    for decision in ("toekennen", "verlengen", "niet_toekennen", "niet_verlengen", "verloopt"):
        box = "□" + squeezed(ADVICE_NAMES[decision])
        assert (box in text) == (decision in allowed), (scenario, decision)


@pytest.mark.parametrize("scenario", ["grensgeval"])
def test_a_borderline_figure_is_marked_wherever_it_is_printed(close, picked, scenario):
    corporation_id = picked[scenario]
    r = YearResults(close / "results", corporation_id)
    pdfs = texts(close, corporation_id)
    figures = ckv_views.component_figures(r)
    borderline = figures.loc[figures["borderline_score"].astype(bool)]
    assert len(borderline)
    for row in borderline.itertuples():
        assert views.scores_table(r).set_index("Onderdeel").at[row.name, "Score"].endswith("(g)")
        assert views.peer_table(r).set_index("Onderdeel").at[row.name, "Eigen score"].endswith("(g)")
        # The unrounded value with four decimals, cut: visibly below the threshold.
        assert f"onafgerond{squeezed(str(ckv_views.fmt_unrounded(row.score)))}" in pdfs["ckv-dossier"]
    assert pd.notna(borderline["score"]).all()
