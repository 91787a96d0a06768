"""The removals register (docs/data-contract.md ``removals``, docs/methodology.md §6): validation, application by every
calculation, the inventory, the fingerprint, raw tables untouched, and the CLI."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from builders import DatasetBuilder
from label_helpers import YEAR, label_corporation, same_grades
from typer.testing import CliRunner

from kwh_calc.calculations.aedes import subscore_table
from kwh_calc.calculations.representativeness import representativeness_table
from kwh_calc.calculations.response import response_table
from kwh_calc.calculations.scores import component_scores, peer_scores, research_months, respondent_results
from kwh_calc.cli import app
from kwh_calc.exports.databank import databank_sheets
from kwh_calc.exports.signals import signals
from kwh_calc.intake.dataset import DatasetError, from_tables, load_dataset, write_dataset
from kwh_calc.intake.removals import (
    REGISTER_COLUMNS,
    including_removed,
    register_rows,
    removal_counts,
    removed_mask,
)
from kwh_calc.intake.rules import load_rules
from kwh_calc.results.year import compute_results

RULES = load_rules()
runner = CliRunner()


def two_corporations() -> tuple[DatasetBuilder, dict[str, list[str]]]:
    """C1 and C2 meeting every criterion; one low-graded Reparaties respondent each in Y (with
    an Aedes grade and a signal-triggering grade) and one for C1 in Y−1."""
    b = DatasetBuilder(YEAR)
    label_corporation(b, "C1")
    label_corporation(b, "C2")
    ids = {
        "C1": b.respondents("C1", "reparaties", [[2] * 7], month=f"{YEAR}-05", aedes_grades=[2], other_grades=[1]),
        "C2": b.respondents("C2", "reparaties", [[2] * 7], month=f"{YEAR}-05", aedes_grades=[2], other_grades=[1]),
        "C1_previous": b.respondents("C1", "reparaties", [[3] * 7], month=f"{YEAR - 1}-05"),
    }
    return b, {k: v[0] for k, v in ids.items()}


def refused(tables) -> str:
    with pytest.raises(DatasetError) as error:
        from_tables(tables)
    return str(error.value)


def sha(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- the register as a table


def test_register_is_optional_and_empty_without_the_table(tmp_path):
    b, _ = two_corporations()
    tables = b.tables()
    del tables["removals"]
    dataset = from_tables(tables)
    assert list(dataset.removals.columns) == list(REGISTER_COLUMNS)
    assert dataset.removals.empty
    folder = write_dataset(tables, tmp_path / "data", fmt="csv")
    assert not (folder / "removals.csv").exists()
    assert load_dataset(folder).removals.empty
    assert not removed_mask(dataset).any()


def test_a_valid_register_loads_with_contract_types():
    b, ids = two_corporations()
    b.removal(ids["C1"], decided_on="2026-01-20", reference="VZ-1")
    dataset = b.build()
    assert dataset.removals["decided_on"].dtype == "datetime64[ns]"
    assert dataset.removals["response_id"].tolist() == [ids["C1"]]
    assert removed_mask(dataset).sum() == 1


@pytest.mark.parametrize(
    "reason", ["andere_reparatie", "cijfer_bedoeld_als_voldoende", "geen dienst geleverd", "GEEN_DIENST_GELEVERD"]
)
def test_any_other_reason_is_refused_with_table_column_rule_and_key(reason):
    b, ids = two_corporations()
    b.removal(ids["C1"], reason=reason)
    message = refused(b.tables())
    assert (
        f"removals.reason: reason not allowed: only geen_dienst_geleverd (invited although no service was "
        f"delivered); a grade is never changed — 1 row: response_id={ids['C1']}"
    ) in message


def test_a_duplicate_removal_is_refused():
    b, ids = two_corporations()
    b.removal(ids["C1"], reference="VZ-1").removal(ids["C1"], reference="VZ-2")
    message = refused(b.tables())
    assert f"removals.response_id: must be unique (duplicate values) — 2 rows: response_id={ids['C1']}" in message


def test_an_unknown_response_is_refused():
    b, _ = two_corporations()
    b.removal("R9999999")
    assert "removals.response_id: response_id not in respondents — 1 row: response_id=R9999999" in refused(b.tables())


def test_missing_register_values_are_refused():
    b, ids = two_corporations()
    b.removal(ids["C1"], decided_on="20-01-2026")
    tables = b.tables()
    tables["removals"].loc[0, "reference"] = None
    message = refused(tables)
    assert "removals.decided_on: not an ISO date (YYYY-MM-DD)" in message
    assert "removals.reference: required value missing" in message


def test_check_data_refuses_a_bad_register_and_inventories_a_good_one(tmp_path):
    b, ids = two_corporations()
    b.removal(ids["C1"]).removal(ids["C1_previous"]).removal(ids["C2"])
    good = write_dataset(b.tables(), tmp_path / "good", fmt="csv")
    result = runner.invoke(app, ["check-data", str(good)])
    assert result.exit_code == 0, result.output
    assert "Removals per corporation and service year (3 questionnaires)" in " ".join(result.output.split())
    counts = removal_counts(load_dataset(good))
    assert counts.loc["C1"].to_dict() == {YEAR - 1: 1, YEAR: 1}
    assert counts.loc["C2"].to_dict() == {YEAR - 1: 0, YEAR: 1}
    b.removal(ids["C2"], reason="cijfer_aangepast")
    bad = write_dataset(b.tables(), tmp_path / "bad", fmt="csv")
    result = runner.invoke(app, ["check-data", str(bad)])
    assert result.exit_code == 1
    assert "removals.reason: reason not allowed" in result.output


# --------------------------------------------------------------------------- applied by every calculation


@pytest.fixture(scope="module")
def applied():
    b, ids = two_corporations()
    b.removal(ids["C1"])
    return b.build(), ids


def test_respondent_results_leave_removed_questionnaires_out(applied):
    dataset, ids = applied
    first, last = research_months(YEAR)
    kept = respondent_results(dataset, RULES, first_month=first, last_month=last)
    everything = respondent_results(including_removed(dataset), RULES, first_month=first, last_month=last)
    assert ids["C1"] not in set(kept["response_id"])
    assert ids["C1"] in set(everything["response_id"])
    assert len(everything) - len(kept) == 1
    assert ids["C1"] in set(dataset.respondents["response_id"])  # the table itself is not edited


def test_response_counts_drop_the_questionnaire_but_not_the_approached_tenant(applied):
    dataset, _ = applied
    kept = response_table(dataset, year=YEAR).set_index(["corporation_id", "questionnaire"])
    everything = response_table(including_removed(dataset), year=YEAR).set_index(["corporation_id", "questionnaire"])
    key = ("C1", "reparaties")
    assert kept.loc[key, "completed"] == everything.loc[key, "completed"] - 1
    assert kept.loc[key, "approached"] == everything.loc[key, "approached"]
    assert kept.loc[("C2", "reparaties"), "completed"] == everything.loc[("C2", "reparaties"), "completed"]


def test_representativeness_aedes_peers_databank_and_signals_apply_the_register(applied):
    dataset, ids = applied
    everything = including_removed(dataset)

    def n_of(frame, corporation="C1", questionnaire="reparaties"):
        return int(
            frame.loc[(frame["corporation_id"] == corporation) & (frame["questionnaire"] == questionnaire), "n"].iloc[0]
        )

    kept, full = representativeness_table(dataset, RULES, YEAR), representativeness_table(everything, RULES, YEAR)
    assert n_of(kept) == n_of(full) - 1
    assert (
        kept.loc[kept["corporation_id"] == "C1", "population"].tolist()
        == full.loc[full["corporation_id"] == "C1", "population"].tolist()
    )
    aedes_year = YEAR  # benchmark year Y: service months September Y-1 to July Y, so May Y counts
    kept_aedes, full_aedes = subscore_table(dataset, RULES, aedes_year), subscore_table(everything, RULES, aedes_year)
    assert n_of(kept_aedes) == n_of(full_aedes) - 1
    assert n_of(kept_aedes, "C2") == n_of(full_aedes, "C2")
    first, last = research_months(YEAR)
    peers = peer_scores(
        respondent_results(dataset, RULES, first_month=first, last_month=last), dataset.corporations, RULES
    )
    full_peers = peer_scores(
        respondent_results(everything, RULES, first_month=first, last_month=last), dataset.corporations, RULES
    )
    national = (
        (peers["peer_kind"] == "landelijk")
        & (peers["questionnaire"] == "reparaties")
        & (peers["corporation_id"] == "C2")
    )
    assert peers.loc[national, "n"].iloc[0] == full_peers.loc[national, "n"].iloc[0] - 1
    sheet = databank_sheets(dataset, RULES, "C1", YEAR)["reparaties"]
    assert len(sheet) == len(databank_sheets(everything, RULES, "C1", YEAR)["reparaties"]) - 1
    found = signals(dataset, RULES, f"{YEAR}-01", f"{YEAR}-12")
    assert ids["C1"] not in set(found["response_id"])
    assert ids["C2"] in set(found["response_id"])


def test_removals_of_another_year_or_corporation_change_nothing_else():
    b, ids = two_corporations()
    b.removal(ids["C1_previous"]).removal(ids["C2"])
    dataset = b.build()
    first, last = research_months(YEAR)
    kept = component_scores(respondent_results(dataset, RULES, first_month=first, last_month=last), RULES)
    full = component_scores(
        respondent_results(including_removed(dataset), RULES, first_month=first, last_month=last), RULES
    )
    pd.testing.assert_frame_equal(
        kept.loc[kept["corporation_id"] == "C1"].reset_index(drop=True),
        full.loc[full["corporation_id"] == "C1"].reset_index(drop=True),
    )
    c2 = (kept["corporation_id"] == "C2") & (kept["questionnaire"] == "reparaties")
    assert kept.loc[c2, "n"].iloc[0] == full.loc[c2, "n"].iloc[0] - 1
    previous = research_months(YEAR - 1)
    old = respondent_results(dataset, RULES, first_month=previous[0], last_month=previous[1])
    assert ids["C1_previous"] not in set(old["response_id"])
    assert register_rows(dataset, YEAR)["response_id"].tolist() == [ids["C2"]]
    assert register_rows(dataset, YEAR - 1)["response_id"].tolist() == [ids["C1_previous"]]


# --------------------------------------------------------------------------- files on disk


def test_raw_tables_are_byte_unchanged_and_the_fingerprint_covers_the_register(tmp_path):
    b, ids = two_corporations()
    b.removal(ids["C1"])
    folder = write_dataset(b.tables(), tmp_path / "data", fmt="csv")
    before = sha(folder)
    dataset = load_dataset(folder)
    compute_results(dataset, RULES, YEAR)
    for command in (
        ["check-data", str(folder)],
        ["removals", "report", str(folder), "--year", str(YEAR)],
        ["label", str(folder), "--year", str(YEAR), "--out", str(tmp_path / "advice.csv")],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    assert sha(folder) == before
    assert ids["C1"] in set(load_dataset(folder).respondents["response_id"])
    fingerprint = dataset.fingerprint
    (folder / "removals.csv").unlink()
    assert load_dataset(folder).fingerprint != fingerprint
    b.removal(ids["C2"])
    write_dataset(b.tables(), folder, fmt="csv")
    assert load_dataset(folder).fingerprint not in (fingerprint, "")


# --------------------------------------------------------------------------- CLI


def test_template_writes_an_empty_register_and_explains_the_reason(tmp_path):
    target = tmp_path / "register.csv"
    result = runner.invoke(
        app, ["removals", "template", "--corporation", "C1", "--year", str(YEAR), "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text().strip() == ",".join(REGISTER_COLUMNS)
    text = " ".join(result.output.split())
    assert "geen_dienst_geleverd: the only allowed reason" in text
    assert "corporation C1, research year 2025" in text
    assert "another repair in mind" in text
    bad = runner.invoke(
        app, ["removals", "template", "--corporation", "../x", "--year", str(YEAR), "--out", str(target)]
    )
    assert bad.exit_code == 1


def test_report_prints_the_effect_per_corporation(tmp_path):
    b = DatasetBuilder(YEAR)
    label_corporation(b, "C1", grades={"reparaties": same_grades(59, 7)})
    (extra,) = b.respondents("C1", "reparaties", [[6] * 7], month=f"{YEAR}-05")
    b.removal(extra)
    folder = write_dataset(b.tables(), tmp_path / "data", fmt="csv")
    result = runner.invoke(
        app, ["removals", "report", str(folder), "--year", str(YEAR), "--out", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        "C1: the removals CHANGE the advice: niet toekennen without the register, toekennen with it (Reparaties)."
        in text
    )
    written = pd.read_csv(tmp_path / "r.csv")
    assert written[["corporation_id", "questionnaire", "n_removed"]].values.tolist() == [["C1", "reparaties", 1]]
    none = runner.invoke(app, ["removals", "report", str(folder), "--year", str(YEAR - 1)])
    assert none.exit_code == 0
    assert f"No removals in {YEAR - 1}" in none.output
