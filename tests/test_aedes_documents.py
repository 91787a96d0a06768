"""End-to-end: the close makes ``aedes-huurdersoordeel.pdf`` for Aedes members only, and its text
carries the letters and grades kwh_calc computed (Dutch-formatted)."""

from __future__ import annotations

import json

import pytest
from pdfs import pdf_text as raw_pdf_text
from pdfs import squeezed

from kwh_calc.calculations.aedes import (
    aedes_results,
    benchmark_period,
    corporation_position,
    subscore_keys,
)
from kwh_calc.close.run import load_documents, run_close
from kwh_calc.common.numbers import fmt_count, fmt_date, fmt_decimal, fmt_grade, fmt_pct
from kwh_calc.intake.dataset import load_dataset
from kwh_calc.intake.rules import load_rules
from kwh_calc.presentation.aedes_views import subscore_name

pytestmark = pytest.mark.e2e
YEAR = 2025
KEY = "aedes-huurdersoordeel"
DOCUMENT = [d for d in load_documents() if d.key == KEY]


def pdf_text(path) -> str:
    return squeezed(raw_pdf_text(path))


@pytest.fixture(scope="module")
def picked(demo_dir):
    """The member with the most respondents (three letters), a member without respondents
    (no overall letter) and a non-member."""
    dataset = load_dataset(demo_dir)
    results = aedes_results(dataset, load_rules(year=YEAR), YEAR)
    keys = subscore_keys(load_rules(year=YEAR))
    total = results[[f"{k}_n" for k in keys]].sum(axis=1)
    full = results.loc[results["overall_letter"].notna()].assign(total=total).sort_values("total", ascending=False)
    empty = results.loc[results["overall_letter"].isna()]
    corps = dataset.corporations
    non_member = corps.loc[~corps["aedes_member"].astype(bool), "corporation_id"]
    assert len(full), "the demo has every case"
    assert len(empty), "the demo has every case"
    assert len(non_member), "the demo has every case"
    return {
        "full": str(full["corporation_id"].iloc[0]),
        "empty": str(empty["corporation_id"].iloc[0]),
        "non_member": str(non_member.iloc[0]),
        "results": results,
    }


@pytest.fixture(scope="module")
def close(demo_dir, picked, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    corporations = [picked["full"], picked["empty"], picked["non_member"]]
    summary = run_close(
        demo_dir, YEAR, out, corporations=corporations, documents=DOCUMENT, outputs=[], engine="builtin"
    )
    return out / str(YEAR), summary


def test_document_is_registered_for_aedes_members():
    (document,) = DOCUMENT
    assert (document.title, document.scope, document.applies_to) == (
        "Aedes-benchmark: Huurdersoordeel",
        "corporation",
        "aedes_member",
    )
    notebook = json.loads(document.notebook.read_text())
    assert all(not cell.get("outputs") for cell in notebook["cells"]), "commit the notebook without outputs"
    assert notebook["cells"][0]["metadata"]["tags"] == ["parameters"]


def test_only_members_get_the_document(close, picked):
    out, summary = close
    assert not summary.failed, [r.error for r in summary.failed]
    assert sorted(r.corporation_id for r in summary.records if r.status == "ok") == sorted(
        [picked["full"], picked["empty"]]
    )
    assert not (out / picked["non_member"] / f"{KEY}.pdf").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert f"{picked['non_member']}/{KEY}" not in manifest["documents"]


def test_pdf_carries_letters_grades_and_position(close, picked):
    out, _ = close
    rules = load_rules(year=YEAR)
    corporation_id = picked["full"]
    results = picked["results"]
    row = results.set_index("corporation_id").loc[corporation_id]
    text = pdf_text(out / corporation_id / f"{KEY}.pdf")
    period = benchmark_period(YEAR, rules)
    assert squeezed(f"servicemaanden {period.describe_nl()}, reacties t/m {fmt_date(period.freeze)}") in text
    assert squeezed(str(row["name"])) in text
    assert "Benchmarkjaar2025" in text
    assert "Onderzoeksjaar" not in text
    for key in subscore_keys(rules):
        grade = fmt_grade(row[f"{key}_grade"]) + ("(rondlettergrens)" if row[f"{key}_near_boundary"] else "")
        margin = f"±{fmt_grade(row[f'{key}_margin'])}"
        line = (
            f"{subscore_name(key)}{fmt_count(row[f'{key}_n'])}{grade}{row[f'{key}_letter']}"
            f"{fmt_pct(row[f'{key}_pct_dissatisfied'])}{margin}"
        )
        assert squeezed(line) in text, f"{line} not in the PDF"
    points = fmt_decimal(row["overall_points"], 2)
    points = points if points.startswith("-") or points == "0,00" else f"+{points}"
    assert squeezed(f"Totaalletter {row['overall_letter']} (gewogen punten {points})") in text
    for position in corporation_position(results, corporation_id, rules).itertuples():
        assert squeezed(f"{fmt_count(position.rank)} van {fmt_count(position.n_ranked)}") in text
    for heading in (
        "Plaats in de landelijke verdeling",
        "Lettergrenzen",
        f"Ontwikkeling ten opzichte van benchmarkjaar {YEAR - 1}",
        "Wat verandert de letter",
        "Figuur 3",
    ):
        assert squeezed(heading) in text


def test_pdf_without_respondents_says_so(close, picked):
    out, _ = close
    text = pdf_text(out / picked["empty"] / f"{KEY}.pdf")
    row = picked["results"].set_index("corporation_id").loc[picked["empty"]]
    if any(int(row[f"{key}_n"]) > 0 for key in subscore_keys(load_rules(year=YEAR))):
        assert squeezed("geen respondenten in de benchmarkperiode: geen letter; daardoor geen totaalletter") in text
        assert squeezed("Geen totaalletter.") in text
    else:  # no empty tables or charts: one sentence says why there are no letters
        assert (
            squeezed("geen respondenten op de drie deelscores. Er is daarom geen letter en geen totaalletter") in text
        )
        assert squeezed("Tabel 1. Deelscores") not in text
        assert squeezed("Figuur 1") not in text
