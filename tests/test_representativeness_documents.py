"""End-to-end: the close makes ``representativiteit.pdf`` per corporation, and its text carries
the margins of error, verdicts and required responses kwh_calc computed (Dutch-formatted)."""

from __future__ import annotations

import json

import pytest
from pdfs import pdf_text as raw_pdf_text
from pdfs import squeezed

from kwh_calc.calculations.representativeness import representativeness_table
from kwh_calc.close.run import load_documents, run_close
from kwh_calc.common.numbers import fmt_count, fmt_decimal, fmt_pct
from kwh_calc.intake.dataset import load_dataset
from kwh_calc.intake.rules import load_rules
from kwh_calc.results.year import YearResults

pytestmark = pytest.mark.e2e
YEAR = 2025
KEY = "representativiteit"
DOCUMENT = [d for d in load_documents() if d.key == KEY]


def pdf_text(path) -> str:
    return squeezed(raw_pdf_text(path))


@pytest.fixture(scope="module")
def picked(demo_dir):
    """Two small demo corporations: one with a component that meets the 5% standard, and one
    with a component below the minimum cell size (its results must not be shown)."""
    rules = load_rules(year=YEAR)
    table = representativeness_table(load_dataset(demo_dir), rules, YEAR)
    totals = table.groupby("corporation_id")["n"].sum().sort_values()
    meets = set(table.loc[table["meets_5pct"], "corporation_id"])
    small = set(table.loc[(table["n"] > 0) & (table["n"] < rules.suppression.min_cell_size), "corporation_id"])
    assert meets, "the demo has both cases"
    assert small, "the demo has both cases"
    standard = next(c for c in totals.index if c in meets)
    suppressed = next(c for c in totals.index if c in small and c != standard)
    return {"standard": str(standard), "suppressed": str(suppressed)}


@pytest.fixture(scope="module")
def close(demo_dir, picked, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    summary = run_close(
        demo_dir, YEAR, out, corporations=sorted(picked.values()), documents=DOCUMENT, outputs=[], engine="builtin"
    )
    return out / str(YEAR), summary


def test_document_is_registered_for_every_corporation():
    (document,) = DOCUMENT
    assert (document.title, document.scope, document.applies_to) == (
        "Representativiteit van de resultaten",
        "corporation",
        "all",
    )
    notebook = json.loads(document.notebook.read_text())
    assert all(not cell.get("outputs") for cell in notebook["cells"]), "commit the notebook without outputs"
    assert notebook["cells"][0]["metadata"]["tags"] == ["parameters"]


def _verdict(row) -> str:
    if row.n == 0:
        return "geen respons"
    if row.meets_5pct:
        return "binnen 5 procentpunt"
    return "binnen 10 procentpunt" if row.meets_10pct else "groter dan 10 procentpunt"


def test_pdf_text_carries_the_margins_kwh_calc_computed(close, picked):
    out, summary = close
    assert not summary.failed, [r.error for r in summary.failed]
    for corporation_id in picked.values():
        text = pdf_text(out / corporation_id / f"{KEY}.pdf")
        view = YearResults(out / "results", corporation_id)
        rules = view.rules
        assert squeezed(view.corporation["name"]) in text
        assert "**" not in text
        assert "Figuur2." in text
        assert "227" in text
        assert "271" in text
        for row in view.of("representativeness").itertuples():
            name = rules.questionnaire_name(row.questionnaire)
            rate = "–" if row.population_mismatch else fmt_pct(row.response_rate)
            # The table row: population, net response, response, margin (percentage points), verdict.
            cells = f"{name}{fmt_count(row.population)}{fmt_count(row.n)}{rate}{fmt_decimal(row.margin_of_error, 1)}"
            assert squeezed(cells) in text, f"{corporation_id}: {cells} not in the PDF"
            assert squeezed(cells + _verdict(row)) in text or row.n == 0 or row.population_mismatch
            if row.n > 0 and not row.meets_5pct:
                needed = (
                    f"{name}:nog{fmt_count(row.extra_n_5pct)}respondentennodig({fmt_count(row.required_n_5pct)}intotaal"
                )
                assert squeezed(needed) in text, f"{corporation_id}: {needed} not in the PDF"


def test_small_components_show_no_results(close, picked):
    out, _ = close
    corporation_id = picked["suppressed"]
    text = pdf_text(out / corporation_id / f"{KEY}.pdf")
    view = YearResults(out / "results", corporation_id)
    minimum = view.rules.suppression.min_cell_size
    small = view.of("representativeness").query("n > 0 and n < @minimum")
    for row in small.itertuples():
        name = view.rules.questionnaire_name(row.questionnaire)
        hidden = f"<{minimum}resp."
        assert squeezed(f"{name}{fmt_count(row.n)}{hidden}{hidden}") in text  # n only, no score or % tevreden


def test_pdf_explains_the_terms_and_the_telephone_quota(close, picked):
    out, _ = close
    text = pdf_text(out / picked["standard"] / f"{KEY}.pdf")
    for phrase in (
        "Wat betekenen de begrippen?",
        "Populatie",
        "Zekerheid",
        "(in de FAQ: betrouwbaarheid)",
        "Foutmarge",
        "90%",
        "procentpunt",
        "Online en telefonisch",
        "Respons door het jaar",
        "Aantal telefonische enquêtes per jaar",
        "2.501–5.000",
        "> 20.000",
    ):
        assert squeezed(phrase) in text, phrase
