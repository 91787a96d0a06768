"""End-to-end: the close makes the CKV dossiers and the national CKV overview, and their text
carries the advice and the figures kwh_calc computed."""

import re

import pandas as pd
import pytest
from pdfs import pdf_text

from kwh_calc.calculations.label import ADVICE_NAMES, ADVICES
from kwh_calc.close.run import load_documents, run_close
from kwh_calc.common.numbers import fmt_grade
from kwh_calc.presentation import ckv_views as ckv
from kwh_calc.results.year import YearResults

pytestmark = pytest.mark.e2e
YEAR = 2025
DOCUMENTS = [d for d in load_documents() if d.key in ("ckv-dossier", "ckv-overzicht")]


def squeeze(text: str) -> str:
    """Without white space: table cells wrap over lines in the PDF."""
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def picked(demo_results_dir):
    """Two demo corporations with contrasting advice: one verlengen, one CKV beslist."""
    advice = pd.read_parquet(demo_results_dir / "label_advice.parquet")
    extend = advice.loc[advice["advice"] == "verlengen", "corporation_id"].iloc[0]
    decides = advice.loc[advice["advice"] == "ckv_beslist", "corporation_id"].iloc[0]
    return {"verlengen": extend, "ckv_beslist": decides}


@pytest.fixture(scope="module")
def close(demo_dir, picked, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    summary = run_close(
        demo_dir, YEAR, out, corporations=sorted(picked.values()), documents=DOCUMENTS, outputs=[], engine="builtin"
    )
    assert not summary.failed, [r.error for r in summary.failed]
    return out / str(YEAR)


def test_close_makes_a_dossier_per_corporation_and_one_overview(close, picked):
    for corporation_id in picked.values():
        assert (close / corporation_id / "ckv-dossier.pdf").stat().st_size > 10_000
    assert (close / "ckv-overzicht.pdf").stat().st_size > 10_000
    assert not (close / "None").exists()


@pytest.mark.parametrize("advice", ["verlengen", "ckv_beslist"])
def test_dossier_text_carries_the_advice_figures_and_decision_block(close, picked, advice):
    corporation_id = picked[advice]
    text = pdf_text(close / corporation_id / "ckv-dossier.pdf")
    flat = squeeze(text)
    view = YearResults(close / "results", corporation_id)
    assert view.corporation["name"] in text
    assert squeeze(ckv.advice_heading(view)) in flat
    for reason in ckv.reasons(view):
        assert squeeze(reason) in flat, reason
    for line in ckv.validity_lines(view):
        assert squeeze(line) in flat, line
    if advice == "verlengen":
        assert "geldigtot31maart2028" in flat
    else:
        row = ckv.advice_row(view)
        assert f"telthetresultaatmee:{squeeze(ADVICE_NAMES[row['advice_if_counted']])}" in flat
        for component in ckv.discretion_table(view).itertuples():
            assert squeeze(f"{component.Onderdeel}{component.Cijfers}") in flat
    # Each label component: onderdeelscore with its interval, percentage with its interval, respondents.
    for figure in ckv.component_figures(view).itertuples():
        if figure.n:
            interval = f"{figure.score_display}({fmt_grade(figure.score_low)}–{fmt_grade(figure.score_high)})"
            assert interval in flat, (figure.name, interval)
    for line in ckv.certainty_lines(view):
        assert squeeze(line) in flat, line
    # Coverage matrix, Algemene waardering, history, trend, decision block.
    assert "K1(jan–mrt)" in flat
    assert "K4(okt–dec)" in flat
    assert squeeze(ckv.aw_text(view)) in flat
    for row in ckv.history_table(view).itertuples():
        assert squeeze(f"{row.Onderzoeksjaar}{row._2}{row._3}{row._4}") in flat
    assert "Ontwikkelingoverdejaren" in flat
    assert "nietbeschikbaar" not in flat
    assert squeeze(ckv.trend_notes(view)[0]) in flat
    assert "BesluitCKVover2025" in flat
    assert "Handtekeningvoorzitter" in flat
    assert "Motivering" in flat
    assert "Aanwezigeleden" in flat
    assert "Stemming" in flat
    offered = "".join(f"□{squeeze(ADVICE_NAMES[o])}" for o in ckv.decision_options(view))
    assert offered in flat
    for excluded in set(ADVICE_NAMES) - set(ckv.decision_options(view)) - {"ckv_beslist", "nog_niet_beoordeelbaar"}:
        assert f"□{squeeze(ADVICE_NAMES[excluded])}" not in flat, excluded
    assert "Onderzoeksjaar 2025" in text
    assert "Pagina 1 van" in text


def test_overview_groups_every_corporation_by_advice_with_the_flags_first(close):
    text = pdf_text(close / "ckv-overzicht.pdf")
    flat = squeeze(text)
    view = YearResults(close / "results", None)
    advice = view.table("label_advice")
    counts = advice["advice"].value_counts()
    # Counts per group first, then the flags, then the groups in the order of the CKV.
    positions = [flat.index("Corporatiesperadvies"), flat.index("Aandachtspuntenvoordecommissie")]
    for key in ADVICES:
        heading = f"{ckv.advice_title(key)}({int(counts.get(key, 0))})"
        positions.append(flat.index(squeeze(heading), positions[-1]))
    assert positions == sorted(positions)
    for line in ckv.attention_summary(view):
        assert squeeze(line) in flat
    for row in advice.itertuples():
        assert row.corporation_id in text
    for row in ckv.discretion_overview(view).itertuples():
        assert squeeze(f"{row.Onderdeel}{row.Waarom}") in flat
    merged = ckv.merged_away_overview(view)
    assert len(merged) >= 1
    for row in merged.itertuples():
        assert squeeze(f"{row.Rechtsvoorganger}{row._2}{row.Per}") in flat
    for key in ADVICES:
        for row in ckv.group_table(view, key).itertuples():
            assert squeeze(f"{row.NH}{row.VH}{row.Rep}{row.PO}") in flat, row.Corporatie
