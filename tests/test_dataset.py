import re

import numpy as np
import pandas as pd
import pytest
from builders import DatasetBuilder

from kwh_calc.intake.dataset import (
    TABLE_COLUMNS,
    DatasetError,
    from_tables,
    load_dataset,
    respondent_counts,
    write_dataset,
)


def valid_builder() -> DatasetBuilder:
    builder = DatasetBuilder().corporation("C1").corporation("C2", region="Drenthe")
    builder.respondents("C1", "reparaties", [[8, 7], [6, None]], month="2025-03")
    builder.respondents("C2", "nieuwe_huurders", [[9]], month="2025-04")
    builder.label_history("C1", 2024, "toekennen", True, "2027-03-31")
    return builder


def refused(tables) -> str:
    with pytest.raises(DatasetError) as caught:
        from_tables(tables)
    return str(caught.value)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_in_both_formats(tmp_path, fmt):
    dataset = valid_builder().build()
    write_dataset(dataset, tmp_path / "ds", fmt=fmt)
    again = load_dataset(tmp_path / "ds")
    assert len(again.respondents) == 3
    assert len(again.answers) == 5
    assert again.answers["grade"].isna().sum() == 1
    assert again.corporations["aedes_member"].dtype == bool
    assert str(again.deliveries["period_start"].dtype) == "datetime64[ns]"
    assert len(again.fingerprint) == 64
    assert respondent_counts(again).loc["reparaties", 2025] == 2


def test_fingerprint_changes_with_the_data(tmp_path):
    write_dataset(valid_builder().build(), tmp_path / "a", fmt="csv")
    builder = valid_builder()
    builder.respondents("C1", "reparaties", [[5]], month="2025-03")
    write_dataset(builder.build(), tmp_path / "b", fmt="csv")
    assert load_dataset(tmp_path / "a").fingerprint != load_dataset(tmp_path / "b").fingerprint


def test_missing_table_and_folder(tmp_path):
    write_dataset(valid_builder().build(), tmp_path / "ds", fmt="csv")
    (tmp_path / "ds" / "answers.csv").unlink()
    with pytest.raises(DatasetError, match=r"answers.*table missing"):
        load_dataset(tmp_path / "ds")
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "nowhere")


def break_table(table: str, column: str, row: int, value):
    tables = valid_builder().tables()
    frame = tables[table].astype(object)
    frame.loc[row, column] = value
    tables[table] = frame
    return tables


@pytest.mark.parametrize(
    ("table", "column", "row", "value", "expected"),
    [
        ("answers", "grade", 0, 11, r"answers\.grade: grade must be 1-10 .* response_id=R0000001 question_id=L1"),
        ("answers", "grade", 0, 0, r"answers\.grade: grade must be 1-10"),
        ("answers", "grade", 0, "7.5", r"answers\.grade: not a whole number"),
        (
            "answers",
            "question_id",
            0,
            "Q99",
            r"answers\.question_id: question_id not in questions for the respondent's questionnaire",
        ),
        ("answers", "response_id", 0, "R9999999", r"answers\.response_id: response_id not in respondents"),
        (
            "respondents",
            "mode",
            0,
            "post",
            r"respondents\.mode: value not one of online, telefonisch .* response_id=R0000001",
        ),
        ("respondents", "service_month", 0, "2025-13", r"respondents\.service_month: not a month YYYY-MM"),
        ("respondents", "completed_on", 0, "31-12-2025", r"respondents\.completed_on: not an ISO date"),
        ("respondents", "corporation_id", 0, "C9", r"respondents\.corporation_id: corporation_id not in corporations"),
        ("respondents", "response_id", 1, "R0000001", r"respondents\.response_id: must be unique"),
        ("respondents", "anonymity_lifted", 0, "misschien", r"respondents\.anonymity_lifted: not a boolean"),
        ("respondents", "delivery_id", 0, "D99999", r"respondents\.delivery_id: delivery_id not in deliveries"),
        ("respondents", "questionnaire", 0, "klachten", r"respondents\.questionnaire: value not one of"),
        ("corporations", "urbanisation", 0, 6, r"corporations\.urbanisation: must be 1-5 .* corporation_id=C1"),
        ("corporations", "units", 0, -5, r"corporations\.units: must be more than 0"),
        ("corporations", "corporation_id", 1, "../C2", r"corporations\.corporation_id: not safe as a file name"),
        ("corporations", "name", 0, None, r"corporations\.name: required value missing"),
        (
            "corporations",
            "merged_from",
            0,
            "C7",
            r"corporations\.merged_from: predecessor corporation_id not in corporations",
        ),
        ("deliveries", "period_end", 0, "2024-01-01", r"deliveries\.period_end: period_end before period_start"),
        ("deliveries", "n_approached", 0, 1000, r"deliveries\.n_approached: more tenants approached than delivered"),
        ("deliveries", "channel", 0, "fax", r"deliveries\.channel: value not one of mijn_kwh, api"),
        ("label_history", "decision", 0, "misschien", r"label_history\.decision: value not one of"),
        ("questions", "questionnaire", 0, "klachten", r"questions\.questionnaire: value not one of"),
    ],
)
def test_each_violation_is_refused_with_table_column_rule_and_key(table, column, row, value, expected):
    assert re.search(expected, refused(break_table(table, column, row, value)))


def test_all_violations_are_reported_at_once_with_at_most_ten_keys():
    tables = valid_builder().tables()
    many = pd.DataFrame(
        {"response_id": ["R0000001"] * 15, "question_id": [f"Z{i}" for i in range(15)], "grade": [12] * 15}
    )
    tables["answers"] = many
    tables["respondents"] = tables["respondents"].assign(mode="post")
    message = refused(tables)
    assert "answers.grade: grade must be 1-10 — 15 rows" in message
    assert "(and 5 more)" in message
    assert "respondents.mode" in message


def test_missing_required_column_is_named():
    tables = valid_builder().tables()
    tables["respondents"] = tables["respondents"].drop(columns=["mode"])
    assert "respondents.mode: required column missing" in refused(tables)


def test_duplicate_keys_are_one_violation_naming_every_row():
    """pandera checks the keys (DataFrameSchema(unique=...)); the message stays one line per
    rule with table, column, rule and the keys of every duplicated row."""
    tables = valid_builder().tables()
    tables["questions"] = pd.concat([tables["questions"], tables["questions"].iloc[[0]]], ignore_index=True)
    tables["label_history"] = pd.concat([tables["label_history"]] * 3, ignore_index=True)
    lines = refused(tables).splitlines()
    assert lines[0].endswith("refused: 2 rule(s) broken")
    question = tables["questions"].iloc[0]
    key = f"questionnaire={question['questionnaire']} question_id={question['question_id']}"
    assert lines[1] == f"  - questions.question_id: must be unique within its questionnaire — 2 rows: {key}, {key}"
    assert lines[2] == (
        "  - label_history.research_year: one decision per corporation and research year — 3 rows: "
        + ", ".join(["corporation_id=C1 research_year=2024"] * 3)
    )


def test_required_integers_and_booleans_are_plain_types():
    dataset = valid_builder().build()
    checked = []
    for name in TABLE_COLUMNS:
        for column, (kind, required) in TABLE_COLUMNS[name].items():
            if required and kind in ("int", "bool"):
                assert str(getattr(dataset, name)[column].dtype) == ("int64" if kind == "int" else "bool"), column
                checked.append(column)
    assert {"units", "aedes_member", "research_year", "passed"} <= set(checked)


def test_duplicate_question_and_double_answer():
    tables = valid_builder().tables()
    tables["questions"] = pd.concat([tables["questions"], tables["questions"].iloc[[0]]], ignore_index=True)
    assert "must be unique within its questionnaire" in refused(tables)
    tables = valid_builder().tables()
    tables["answers"] = pd.concat([tables["answers"], tables["answers"].iloc[[0]]], ignore_index=True)
    assert "question answered twice by one respondent" in refused(tables)


@pytest.mark.parametrize(
    ("keys", "repeated"),
    [
        ([1, 2, 5, 9], [False] * 4),  # rising keys (answers in delivery order): the fast path
        ([1, 2, 2, 3], [False, False, True, False]),
        ([3, 1, 3, -4], [False, False, True, False]),
        ([], []),
    ],
)
def test_repeated_marks_every_later_copy_of_a_key(keys, repeated):
    from kwh_calc.intake.dataset import _repeated

    assert _repeated(np.array(keys, dtype=np.int64)).tolist() == repeated


def test_respondent_delivery_of_another_corporation_is_refused():
    tables = valid_builder().tables()
    other = tables["respondents"].loc[tables["respondents"]["corporation_id"] == "C2", "delivery_id"].iloc[0]
    tables["respondents"].loc[0, "delivery_id"] = other
    assert "delivery belongs to another corporation or questionnaire" in refused(tables)


def test_checkvraag_must_point_to_a_reparaties_delivery():
    builder = valid_builder()
    delivery = builder.deliveries[-1]["delivery_id"]  # C2 nieuwe_huurders
    builder.checkvraag("C2", delivery, "2025-04", 3)
    assert "checkvraag.delivery_id: not a Reparaties delivery" in refused(builder.tables())
    builder = valid_builder()
    builder.checkvraag("C1", builder.deliveries[0]["delivery_id"], "2025-03", 5)
    assert "checkvraag.answer: answer must be 1-4 — 1 row: row 2" in refused(builder.tables())


def test_inputs_are_not_modified(tmp_path):
    write_dataset(valid_builder().build(), tmp_path / "ds", fmt="csv")
    before = {p.name: p.read_bytes() for p in (tmp_path / "ds").iterdir()}
    load_dataset(tmp_path / "ds")
    assert before == {p.name: p.read_bytes() for p in (tmp_path / "ds").iterdir()}


_UNKNOWN_CORPORATION = "corporation_id: corporation_id not in corporations"


def _break(change):
    tables = valid_builder().tables()
    change(tables)
    return refused(tables)


def _set(table, column, value, row=0):
    def change(tables):
        tables[table][column] = tables[table][column].astype(object)
        tables[table].loc[row, column] = value

    return change


def _drop_questions_of(questionnaire):
    def change(tables):
        tables["questions"] = tables["questions"].loc[tables["questions"]["questionnaire"] != questionnaire]

    return change


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            _set("label_history", "corporation_id", "C9"),
            f"label_history.{_UNKNOWN_CORPORATION}",
        ),
        (_set("respondents", "corporation_id", "C9"), f"respondents.{_UNKNOWN_CORPORATION}"),
        (_set("deliveries", "corporation_id", "C9"), f"deliveries.{_UNKNOWN_CORPORATION}"),
        (_set("corporations", "merged_on", "2025-07-01"), "corporations.merged_on: merged_on and merged_from must be"),
        (
            _set("respondents", "completed_on", "2025-02-27"),
            "respondents.completed_on: completed_on before the first day of service_month — 1 row: response_id=",
        ),
        (
            _drop_questions_of("nieuwe_huurders"),
            "respondents.questionnaire: questionnaire has no questions in questions — 1 row: response_id=",
        ),
    ],
)
def test_every_relation_between_tables_is_checked(change, line):
    """Each rule across tables (dataset._relations, one function per table) names its table, column and rows."""
    assert f"  - {line}" in _break(change)


@pytest.mark.parametrize("dtype", ["object", "string[pyarrow]", "string[python]"])
def test_reference_membership_agrees_with_pandas_isin(dtype):
    from kwh_calc.intake.dataset import _known

    ids = pd.Series(["C1", "C2", None, "C9", "", "c1", "C1 "], dtype=dtype, index=range(10, 17))
    known = {"C1", "C2", ""}
    result = _known(ids, known)
    assert result.index.equals(ids.index)
    assert result.tolist() == [True, True, False, False, True, False, False]
    assert result.tolist() == ids.isin(known).fillna(False).astype(bool).tolist()
    # Ids that are not strings fall back to pandas.
    assert _known(pd.Series([1, 2, 3]), {1, 3}).tolist() == [True, False, True]
