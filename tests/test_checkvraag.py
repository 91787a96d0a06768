"""Tests of kwh_calc.calculations.checkvraag (docs/methodology.md §7).

Distribution, suppression, national reference, routing.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from builders import DatasetBuilder

from kwh_calc.calculations.checkvraag import (
    DEFAULT_SETTINGS_PATH,
    checkvraag_distribution,
    checkvraag_table,
    load_checkvraag_settings,
    national_reference,
    reinvite_weeks,
    routing,
)
from kwh_calc.intake.rules import load_rules
from kwh_calc.results.year import RESULT_TABLES

RULES = load_rules()
MIN = RULES.suppression.min_cell_size


def add(
    builder: DatasetBuilder,
    corporation_id: str,
    delivery_id: str,
    answers: dict[int, int],
    *,
    month: str = "2025-03",
    aannemer: str | None = None,
    consent: bool = False,
) -> None:
    """``answers``: option -> how many tenants gave it."""
    for option, count in answers.items():
        for _ in range(count):
            builder.checkvraag(corporation_id, delivery_id, month, option, aannemer=aannemer, consent=consent)


@pytest.fixture(scope="module")
def dataset():
    b = DatasetBuilder().corporation("C1").corporation("C2").corporation("C3")
    d1 = b.delivery("C1", "reparaties", "2025-03-01", "2025-03-31")
    d1_old = b.delivery("C1", "reparaties", "2024-12-01", "2024-12-31")
    d2 = b.delivery("C2", "reparaties", "2025-03-01", "2025-03-31", channel="api")
    # C1: 10 answers in 2025 (5/2/2/1) over contractors A (6), B (6), C (2), D (3) ... see below
    add(b, "C1", d1, {1: 4, 2: 1, 3: 1}, aannemer="Aannemer A")  # 6
    add(b, "C1", d1, {1: 3, 3: 2, 4: 1}, aannemer="Aannemer B")  # 6
    add(b, "C1", d1, {3: 2}, aannemer="Aannemer C")  # 2: suppressed
    add(b, "C1", d1, {1: 2, 2: 1}, aannemer="Aannemer D")  # 3: suppressed
    add(b, "C1", d1_old, {4: 7}, month="2024-12", aannemer="Aannemer A")  # other research year
    # C2: 10 answers without contractor
    add(b, "C2", d2, {1: 5, 2: 2, 3: 2, 4: 1})
    return b.build()


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(table), bool)
    for column, value in where.items():
        mask &= (table[column] == value).fillna(False).to_numpy(dtype=bool)
    assert mask.sum() == 1, where
    return table.loc[mask].iloc[0]


def test_distribution_percentages_per_corporation(dataset):
    table = checkvraag_distribution(dataset, RULES, 2025)
    c2 = row(table, corporation_id="C2")
    assert c2["n"] == 10
    assert [c2[f"n_answer_{k}"] for k in (1, 2, 3, 4)] == [5, 2, 2, 1]
    assert [c2[f"pct_answer_{k}"] for k in (1, 2, 3, 4)] == pytest.approx([50.0, 20.0, 20.0, 10.0])
    c1 = row(table, corporation_id="C1")
    assert c1["n"] == 17
    assert not c1["suppressed"]
    assert sum(c1[f"pct_answer_{k}"] for k in (1, 2, 3, 4)) == pytest.approx(100.0)
    assert set(table["corporation_id"]) == {"C1", "C2"}  # C3 has no checkvraag rows


def test_research_year_counts_service_months(dataset):
    row_2024 = row(checkvraag_distribution(dataset, RULES, 2024), corporation_id="C1")
    assert row_2024["n"] == 7
    assert row_2024["n_answer_4"] == 7
    assert row_2024["pct_answer_4"] == 100.0


def test_small_contractor_cells_are_suppressed(dataset):
    table = checkvraag_distribution(dataset, RULES, 2025, by="aannemer")
    assert list(table["aannemer"]) == ["Aannemer A", "Aannemer B", "Aannemer C", "Aannemer D"]
    a = row(table, aannemer="Aannemer A")
    assert not a["suppressed"]
    assert a["n_answer_1"] == 4
    assert a["pct_answer_1"] == pytest.approx(400 / 6)
    for small in ("Aannemer C", "Aannemer D"):
        cell = row(table, aannemer=small)
        assert cell["suppressed"]
        assert not cell["suppressed_secondary"]
        assert cell["n"] < MIN
        assert all(pd.isna(cell[f"n_answer_{k}"]) and pd.isna(cell[f"pct_answer_{k}"]) for k in (1, 2, 3, 4))


def test_complementary_suppression_when_the_hidden_rest_is_small():
    b = DatasetBuilder().corporation("C1")
    d = b.delivery("C1", "reparaties", "2025-03-01", "2025-03-31")
    add(b, "C1", d, {1: 6}, aannemer="Aannemer A")
    add(b, "C1", d, {1: 4, 3: 3}, aannemer="Aannemer B")
    add(b, "C1", d, {3: 2}, aannemer="Aannemer C")  # hidden: total - A - B would reveal it
    table = checkvraag_distribution(b.build(), RULES, 2025, by="aannemer").set_index("aannemer")
    assert table.loc["Aannemer C", "suppressed"]
    assert not table.loc["Aannemer C", "suppressed_secondary"]
    assert table.loc["Aannemer A", "suppressed_secondary"]
    assert pd.isna(table.loc["Aannemer A", "pct_answer_1"])
    assert not table.loc["Aannemer B", "suppressed"]  # hidden rest now 8 >= minimum
    # rows without a contractor count as hidden too
    b2 = DatasetBuilder().corporation("C1")
    d2 = b2.delivery("C1", "reparaties", "2025-03-01", "2025-03-31")
    add(b2, "C1", d2, {1: 6}, aannemer="Aannemer A")
    add(b2, "C1", d2, {3: 1})
    only = checkvraag_distribution(b2.build(), RULES, 2025, by="aannemer")
    assert bool(only["suppressed_secondary"].iloc[0])


def test_national_reference_counts_every_answer(dataset):
    national = national_reference(dataset, RULES, 2025).iloc[0]
    assert national["n"] == 27
    assert national["n_answer_3"] == 1 + 2 + 2 + 2
    assert national["pct_answer_3"] == pytest.approx(700 / 27)
    assert "corporation_id" not in national.index


def test_results_table_has_corporation_contractor_and_national_levels(dataset):
    assert RESULT_TABLES["checkvraag"] is not None
    table = checkvraag_table(dataset, RULES, 2025)
    assert set(table["level"]) == {"corporation", "aannemer", "national"}
    assert (table["year"] == 2025).all()
    national = row(table, level="national")
    assert pd.isna(national["corporation_id"])
    assert national["n"] == 27
    assert row(table, level="aannemer", group="Aannemer C")["suppressed"]


def test_small_corporation_total_is_suppressed():
    b = DatasetBuilder().corporation("C1")
    d = b.delivery("C1", "reparaties", "2025-03-01", "2025-03-31")
    add(b, "C1", d, {3: MIN - 1})
    table = checkvraag_table(b.build(), RULES, 2025)
    assert row(table, level="corporation")["suppressed"]
    assert row(table, level="national")["suppressed"]
    assert pd.isna(row(table, level="corporation")["pct_answer_3"])


def test_empty_checkvraag_gives_an_empty_table():
    b = DatasetBuilder().corporation("C1")
    b.respondents("C1", "reparaties", [[7]], month="2025-03")
    assert checkvraag_table(b.build(), RULES, 2025).empty


# --------------------------------------------------------------------------- routing


@pytest.fixture(scope="module")
def routed():
    b = DatasetBuilder().corporation("C1").corporation("C2")
    # delivered 5 April 2025 (Saturday) -> round deadline Wednesday 9 April -> invitation Tuesday 15 April
    mijn = b.delivery("C1", "reparaties", "2025-03-01", "2025-03-31", delivery_id="DM")
    api = b.delivery("C2", "reparaties", "2025-03-01", "2025-03-31", channel="api", delivery_id="DA")  # invited 6 April
    for delivery, corporation in ((mijn, "C1"), (api, "C2")):
        b.checkvraag(corporation, delivery, "2025-03", 1, consent=True)
        b.checkvraag(corporation, delivery, "2025-03", 2, consent=False)
        b.checkvraag(corporation, delivery, "2025-03", 3, consent=True)
        b.checkvraag(corporation, delivery, "2025-03", 3, consent=False)
        b.checkvraag(corporation, delivery, "2025-03", 4, consent=True)
        b.checkvraag(corporation, delivery, "2025-03", 4, consent=False)
    return routing(b.build(), RULES, {"C2": 3})


def test_reinvite_date_after_six_weeks_by_default(routed):
    c1 = routed.loc[routed["corporation_id"] == "C1"]
    assert RULES.checkvraag.reinvite_weeks_default == 6
    assert set(c1["invited_on"].dt.date) == {date(2025, 4, 15)}
    threes = c1.loc[c1["answer"] == 3]
    assert set(threes["reinvite_on"].dt.date) == {date(2025, 5, 27)}
    assert set(threes["reinvite_weeks"]) == {6}
    others = c1.loc[c1["answer"] != 3]
    assert others["reinvite_on"].isna().all()
    assert others["reinvite_weeks"].isna().all()


def test_reinvite_date_after_three_weeks_as_set_per_corporation(routed):
    threes = routed.loc[(routed["corporation_id"] == "C2") & (routed["answer"] == 3)]
    assert set(threes["invited_on"].dt.date) == {date(2025, 4, 6)}  # API: the day after delivery
    assert set(threes["reinvite_on"].dt.date) == {date(2025, 4, 27)}
    assert set(threes["reinvite_weeks"]) == {3}
    assert (threes["next_step"].str.contains("na 3 weken opnieuw uitnodigen")).all()


def test_signal_only_for_answers_3_and_4_with_consent(routed):
    signalled = routed.loc[routed["signal"]]
    assert set(zip(signalled["answer"], signalled["consent"], strict=True)) == {(3, True), (4, True)}
    assert len(signalled) == 4  # two corporations × answers 3 and 4 with consent
    assert not routed.loc[~routed["consent"], "signal"].any()
    assert list(routed["send_questionnaire"]) == [a in (1, 2) for a in routed["answer"]]
    no_consent = routed.loc[(routed["answer"] == 4) & ~routed["consent"], "next_step"].iloc[0]
    assert no_consent == "Geen vragenlijst; geen signaalmail (geen toestemming)"
    assert routed.loc[routed["answer"] == 1, "next_step"].iloc[0] == "Vragenlijst sturen"


def test_settings_file_and_allowed_weeks(tmp_path):
    settings = tmp_path / "checkvraag.yml"
    settings.write_text("reinvite_weeks:\n  C1: 3\n  C2: 6\n")
    assert load_checkvraag_settings(settings, RULES) == {"C1": 3, "C2": 6}
    assert reinvite_weeks("C1", RULES, {"C1": 3}) == 3
    assert reinvite_weeks("C9", RULES, {"C1": 3}) == 6
    settings.write_text("reinvite_weeks:\n  C1: 4\n")
    with pytest.raises(ValueError, match="must be one of"):
        load_checkvraag_settings(settings, RULES)
    settings.write_text("reinvite_weeks:\n  C1: drie\n")
    with pytest.raises(ValueError, match="whole number"):
        load_checkvraag_settings(settings)
    with pytest.raises(FileNotFoundError):
        load_checkvraag_settings(tmp_path / "missing.yml")
    assert isinstance(load_checkvraag_settings(DEFAULT_SETTINGS_PATH, RULES), dict)  # the project's file is valid


def test_routing_refuses_a_setting_that_is_not_allowed(dataset):
    with pytest.raises(ValueError, match=r"reinvite_weeks must be one of .*: C1=5"):
        routing(dataset, RULES, {"C1": 5})


def test_routing_filters_corporation_and_year(dataset):
    rows = routing(dataset, RULES, {}, corporation_id="C1", year=2025)
    assert len(rows) == 17
    assert set(rows["corporation_id"]) == {"C1"}


# --------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_results_overview_shows_the_checkvraag_section(demo_dir, tmp_path):
    from pypdf import PdfReader

    from kwh_calc.close.run import load_documents, run_close
    from kwh_calc.intake.dataset import load_dataset

    data = load_dataset(demo_dir)
    rules = load_rules(year=2025)
    contractors = checkvraag_distribution(data, rules, 2025, by="aannemer")
    shown = contractors.loc[~contractors["suppressed"], "corporation_id"]
    corporation_id = sorted(set(shown))[0]
    resultaten = [d for d in load_documents() if d.key == "resultaten"]
    summary = run_close(
        demo_dir, 2025, tmp_path, corporations=[corporation_id], documents=resultaten, outputs=[], engine="builtin"
    )
    assert not summary.failed
    pdf = tmp_path / "2025" / corporation_id / "resultaten.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Checkvraag Reparaties" in text
    assert "Checkvraag per aannemer" in text
    assert "Nee, nog niet (helemaal) klaar" in text
    assert "Landelijk" in text
    national = checkvraag_table(data, rules, 2025).query("level == 'national'").iloc[0]
    from kwh_calc.common.numbers import fmt_pct

    assert fmt_pct(national["pct_answer_3"]) in text
