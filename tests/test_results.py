import json

import pandas as pd
import pytest
from builders import DatasetBuilder

from kwh_calc.intake.rules import load_rules
from kwh_calc.results.year import (
    DERIVED_TABLES,
    RESULT_TABLES,
    YearResults,
    compute_results,
    load_results,
    per_document,
    write_results,
)

RULES = load_rules()


def dataset():
    builder = DatasetBuilder().corporation("C1", region="Utrecht").corporation("C2", region="Drenthe")
    builder.respondents("C1", "reparaties", [[8]] * 6, aannemer="Aannemer A", month="2025-03")
    builder.respondents("C1", "reparaties", [[5]] * 2, aannemer="Aannemer B", month="2025-03")
    builder.respondents("C1", "reparaties", [[6]] * 3, month="2025-03")  # no contractor: rest 2 + 3 = 5
    builder.respondents("C1", "reparaties", [[7]] * 4, month="2024-05")
    builder.respondents("C2", "reparaties", [[9]] * 10, month="2025-04")
    return builder.build()


@pytest.fixture
def results_dir(tmp_path):
    tables = compute_results(dataset(), RULES, 2025)
    return write_results(tables, tmp_path / "results", {"year": 2025, "rules_path": ""})


def test_every_registered_table_is_written(results_dir):
    assert set(load_results(results_dir)) == set(RESULT_TABLES) | set(DERIVED_TABLES)
    assert json.loads((results_dir / "meta.json").read_text())["year"] == 2025


def test_scores_hold_this_and_last_year(results_dir):
    scores = load_results(results_dir)["scores"].set_index(["corporation_id", "year"])
    assert scores.loc[("C1", 2025), "n"] == 11
    assert scores.loc[("C1", 2024), "score"] == 7.0


def test_breakdowns_are_suppressed_below_the_minimum(results_dir):
    breakdowns = load_results(results_dir)["breakdowns"].set_index("group")
    assert not breakdowns.loc["Aannemer A", "suppressed"]
    assert breakdowns.loc["Aannemer A", "score"] == 8.0
    assert breakdowns.loc["Aannemer B", "suppressed"]
    assert breakdowns.loc["Aannemer B", "score"] != breakdowns.loc["Aannemer B", "score"]


def test_year_results_slice_one_corporation(results_dir):
    view = YearResults(results_dir, "C2")
    assert view.year == 2025
    assert set(view.of("scores")["corporation_id"]) == {"C2"}
    assert view.corporation["region"] == "Drenthe"
    assert len(view.table("scores")["corporation_id"].unique()) == 2
    with pytest.raises(KeyError):
        _ = YearResults(results_dir, "C9").corporation


def test_rewrite_replaces_the_folder_atomically(results_dir):
    write_results({"scores": load_results(results_dir)["scores"]}, results_dir, {"year": 2025})
    assert set(load_results(results_dir)) == {"scores"}
    assert not list(results_dir.parent.glob(".results*"))


def test_scores_keep_three_research_years_for_the_trend():
    builder = DatasetBuilder().corporation("C1")
    for year, grade in ((2023, 6), (2024, 7), (2025, 8)):
        builder.respondents("C1", "reparaties", [[grade]] * 5, month=f"{year}-05", completed_on=f"{year}-06-20")
    builder.respondents("C1", "reparaties", [[1]] * 5, month="2022-05", completed_on="2022-06-20")
    scores = compute_results(builder.build(), RULES, 2025)["scores"].set_index("year")["score"]
    assert scores.to_dict() == {2025: 8.0, 2024: 7.0, 2023: 6.0}


def test_year_results_slice_equals_a_scan_of_the_table(results_dir):
    for name, table in load_results(results_dir).items():
        if "corporation_id" not in table:
            continue
        for corporation_id in ("C1", "C2", "C9", "", None):
            expected = table.loc[table["corporation_id"] == corporation_id].reset_index(drop=True)
            pd.testing.assert_frame_equal(YearResults(results_dir, corporation_id).of(name), expected)


def test_tables_are_read_once_per_process(results_dir, monkeypatch):
    import kwh_calc.results.year as year

    year.clear_cache()
    reads = []
    real = pd.read_parquet
    monkeypatch.setattr(year.pd, "read_parquet", lambda path, *a, **k: reads.append(path) or real(path, *a, **k))
    YearResults(results_dir, "C1").of("scores")
    YearResults(results_dir, "C2").of("scores")
    assert len(reads) == 1


def test_derived_frames_are_computed_once_per_folder_and_anew_after_a_recompute(results_dir):
    import kwh_calc.results.year as year

    year.clear_cache()
    calls = []

    def national():
        calls.append(1)
        return YearResults(results_dir).table("scores").groupby("questionnaire")[["n"]].sum()

    first = YearResults(results_dir, "C1").derived("n", national)
    first["n"] = 0  # a caller's change stays its own
    second = YearResults(results_dir, "C2").derived("n", national)
    assert len(calls) == 1
    assert (second["n"] > 0).all()
    write_results(compute_results(dataset(), RULES, 2025), results_dir, {"year": 2025, "rules_path": ""})
    YearResults(results_dir, "C1").derived("n", national)
    assert len(calls) == 2


def test_recomputed_results_are_read_anew(results_dir):
    before = YearResults(results_dir, "C1").of("corporations")
    tables = compute_results(dataset(), RULES, 2025)
    tables["corporations"] = tables["corporations"].assign(name="Nieuwe naam")
    write_results(tables, results_dir, {"year": 2025, "rules_path": ""})
    after = YearResults(results_dir, "C1").of("corporations")
    assert before.loc[0, "name"] != "Nieuwe naam"
    assert after.loc[0, "name"] == "Nieuwe naam"


def test_a_table_rewritten_in_place_is_read_anew(results_dir):
    assert YearResults(results_dir, "C1").corporation["region"] == "Utrecht"
    corporations = pd.read_parquet(results_dir / "corporations.parquet")
    corporations.assign(region="Zeeland, langer").to_parquet(results_dir / "corporations.parquet", index=False)
    assert YearResults(results_dir, "C1").corporation["region"] == "Zeeland, langer"


def test_a_document_changing_a_table_does_not_change_the_next_documents(results_dir):
    first = YearResults(results_dir, "C1")
    table = first.table("corporations")
    table["name"] = "gewijzigd"
    table.loc[0, "units"] = -1
    own = first.of("corporations")
    own["region"] = "gewijzigd"
    again = YearResults(results_dir, "C1").table("corporations")
    assert "gewijzigd" not in set(again["name"])
    assert (again["units"] >= 0).all()


def test_a_slice_is_taken_once_per_document_and_a_change_to_it_stays_the_callers(results_dir):
    results = YearResults(results_dir, "C1")
    first = results.of("scores")
    first["n"] = -1
    first.loc[0, "questionnaire"] = "gewijzigd"
    again = results.of("scores")
    assert (again["n"] >= 0).all()
    assert "gewijzigd" not in set(again["questionnaire"])
    assert results.corporation["corporation_id"] == "C1"


def test_per_document_computes_once_per_instance_and_arguments(results_dir):
    calls = []

    @per_document
    def respondents(results, questionnaire):
        calls.append(questionnaire)
        scores = results.of("scores")
        return scores.loc[scores["questionnaire"] == questionnaire, ["year", "n"]]

    c1 = YearResults(results_dir, "C1")
    first = respondents(c1, "reparaties")
    first["n"] = -1  # a caller's change stays its own
    assert (respondents(c1, "reparaties")["n"] >= 0).all()
    respondents(c1, "nieuwe_huurders")
    respondents(YearResults(results_dir, "C1"), "reparaties")  # a new document computes anew
    assert calls == ["reparaties", "nieuwe_huurders", "reparaties"]


def test_derived_keeps_a_value_that_is_no_frame(results_dir):
    calls = []
    results = YearResults(results_dir, "C1")
    assert results.derived(("pair", 1), lambda: calls.append(1) or (1.0, 2.0)) == (1.0, 2.0)
    assert YearResults(results_dir, "C2").derived(("pair", 1), lambda: calls.append(1) or (3.0, 4.0)) == (1.0, 2.0)
    assert calls == [1]


def test_label_components_carry_their_intervals(results_dir):
    """The documents only format: the close stores the label components' intervals and
    margins and the response-spread verdicts (docs/methodology.md §5.5, §5.7)."""
    tables = load_results(results_dir)
    components = tables["label_components"].set_index(["corporation_id", "component"])
    c2 = components.loc[("C2", "reparaties")]
    assert (c2["score_low"], c2["score_high"]) == pytest.approx((9.0, 9.0))  # no spread
    assert c2["pct_low"] < c2["pct_satisfied"] == 100.0 == pytest.approx(c2["pct_high"])
    assert set(tables["response_spread"]["corporation_id"]) == {"C1", "C2"}
