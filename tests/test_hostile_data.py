"""Hostile datasets: whatever the folder holds, one message, a documented exit code, no traceback.

Exit codes: 1 = input refused (README, kwh_calc/cli/guard.py). Every case also proves the
dataset is byte-unchanged afterwards.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile import assert_refused, invoke, snapshot, tiny_tables

from kwh_calc.intake.dataset import DatasetError, load_dataset, write_dataset

ANALYSES = ("scores", "label", "representativeness", "aedes")


def write(tmp_path, tables=None, fmt="csv", name="data"):
    folder = tmp_path / name
    write_dataset(tables if tables is not None else tiny_tables(), folder, fmt=fmt)
    return folder


def refused_by_check_data(folder, *words):
    before = snapshot(folder)
    assert_refused(invoke("check-data", folder), 1, *words)
    assert snapshot(folder) == before


# ---------------------------------------------------------------- empty tables, years without data


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_header_only_respondents_is_a_clear_refusal_not_an_index_error(tmp_path, fmt):
    tables = tiny_tables()
    tables["respondents"] = tables["respondents"].iloc[0:0]
    folder = write(tmp_path, tables, fmt)
    refused_by_check_data(folder, "answers.response_id", "response_id not in respondents")
    for command in ANALYSES:
        assert_refused(invoke(command, folder, "--year", 2025, "--out", tmp_path / "out.csv"), 1, "refused")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_all_tables_empty_passes_check_data_but_no_analysis_runs(tmp_path, fmt):
    tables = {name: frame.iloc[0:0] for name, frame in tiny_tables().items()}
    folder = write(tmp_path, tables, fmt)
    result = invoke("check-data", folder)
    assert result.exit_code == 0, result.output  # an empty dataset keeps the contract
    before = snapshot(folder)
    for command in ANALYSES:
        result = invoke(command, folder, "--year", 2025, "--out", tmp_path / "out.csv")
        assert_refused(result, 1, "no respondents")
        assert not (tmp_path / "out.csv").exists()
    assert snapshot(folder) == before


@pytest.mark.parametrize("year", [1900, 2099, -5])
@pytest.mark.parametrize("command", [*ANALYSES, "close"])
def test_a_year_without_data_is_refused(tmp_path, year, command):
    folder = write(tmp_path)
    out = tmp_path / ("reports" if command == "close" else "out.csv")
    result = invoke(command, folder, "--year", year, "--out", out)
    assert_refused(result, 1, f"--year {year}", "no respondents", "2025")
    assert not out.exists()


# ---------------------------------------------------------------- the folder itself


def test_both_formats_of_a_table_is_ambiguous(tmp_path):
    folder = write(tmp_path, fmt="parquet")
    tiny_tables()["answers"].to_csv(folder / "answers.csv", index=False)
    refused_by_check_data(folder, "answers", "ambiguous", "answers.parquet and answers.csv")


@pytest.mark.parametrize(
    "make",
    [
        lambda p: None,
        lambda p: p.write_text("not a folder"),
    ],
)
def test_missing_folder_or_a_file(tmp_path, make):
    target = tmp_path / "data"
    make(target)
    assert_refused(invoke("check-data", target), 1, str(target))


def test_truncated_and_garbage_files(tmp_path):
    folder = write(tmp_path, fmt="parquet")
    data = (folder / "answers.parquet").read_bytes()
    (folder / "answers.parquet").write_bytes(data[: len(data) // 2])
    (folder / "checkvraag.parquet").unlink()
    (folder / "checkvraag.csv").write_bytes(b"\x00\xff\xfe garbage \x00")
    refused_by_check_data(folder, "answers", "unreadable", "checkvraag")


def test_latin1_csv(tmp_path):
    folder = write(tmp_path)
    text = (folder / "corporations.csv").read_text().replace("Testcorporatie C1", "Testcorporatie Één")
    (folder / "corporations.csv").write_bytes(text.encode("latin-1"))
    refused_by_check_data(folder, "corporations", "unreadable")


def test_duplicated_csv_header_is_refused_not_dropped(tmp_path):
    folder = write(tmp_path)
    lines = (folder / "answers.csv").read_text().splitlines()
    lines[0] += ",grade"
    lines[1:] = [line + ",1" for line in lines[1:]]
    (folder / "answers.csv").write_text("\n".join(lines) + "\n")
    refused_by_check_data(folder, "answers", "more than once", "grade")


# ---------------------------------------------------------------- numbers


def test_integers_beyond_64_bits_are_refused(tmp_path):
    tables = tiny_tables()
    tables["corporations"]["units"] = tables["corporations"]["units"].astype(object)
    tables["corporations"].loc[0, "units"] = "9223372036854775808"
    folder = write(tmp_path, tables)
    refused_by_check_data(folder, "corporations.units", "64-bit", "corporation_id=C1")


def test_large_integers_in_text_stay_exact(tmp_path):
    tables = tiny_tables()
    tables["corporations"]["units"] = tables["corporations"]["units"].astype(object)
    tables["corporations"].loc[0, "units"] = "9007199254740993"  # 2^53 + 1: a float would make it …992
    tables["corporations"].loc[1, "units"] = "9223372036854775807"
    folder = write(tmp_path, tables)
    units = load_dataset(folder).corporations.set_index("corporation_id")["units"]
    assert units["C1"] == 9007199254740993
    assert units["C2"] == 2**63 - 1


def test_parquet_unsigned_and_inexact_floats_are_refused(tmp_path):
    folder = write(tmp_path, fmt="parquet")
    frame = pd.read_parquet(folder / "corporations.parquet")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(table.schema.get_field_index("units"), "units", pa.array([2**64 - 1, 5], type=pa.uint64()))
    table = table.set_column(
        table.schema.get_field_index("urbanisation"),
        "urbanisation",
        pa.array([float(2**53 + 2), 3.0], type=pa.float64()),
    )
    pq.write_table(table, folder / "corporations.parquet")
    refused_by_check_data(folder, "corporations.units", "corporations.urbanisation", "64-bit")


# ---------------------------------------------------------------- cross-table rules (item 7)


def test_checkvraag_of_another_corporations_delivery(tmp_path):
    tables = tiny_tables()
    delivery = (
        tables["deliveries"].query("corporation_id == 'C1' and questionnaire == 'reparaties'")["delivery_id"].iloc[0]
    )
    tables["checkvraag"] = pd.DataFrame(
        [
            dict(
                corporation_id="C2",
                delivery_id=delivery,
                service_month="2025-06",
                answer=1,
                aannemer=None,
                consent=False,
            )
        ]
    )
    with pytest.raises(DatasetError, match="delivery belongs to another corporation"):
        load_dataset(write(tmp_path, tables))
    refused_by_check_data(tmp_path / "data", "checkvraag.delivery_id", "another corporation", "row 2")


def test_completed_before_the_service_month(tmp_path):
    tables = tiny_tables()
    tables["respondents"].loc[0, "completed_on"] = "2025-05-31"  # service month 2025-06
    folder = write(tmp_path, tables)
    refused_by_check_data(
        folder,
        "respondents.completed_on",
        "before the first day of service_month",
        tables["respondents"].loc[0, "response_id"],
    )


def test_completed_within_the_service_month_is_fine(tmp_path):
    tables = tiny_tables()
    tables["respondents"].loc[0, "completed_on"] = "2025-06-01"
    load_dataset(write(tmp_path, tables))


# ---------------------------------------------------------------- the other inputs: rule set, CKV register

BROKEN_FILES = {
    "binary.csv": b"\x00\xffgarbage",
    "quote.csv": b'corporation_id,decision\n"unclosed\n',
    "flow.yml": b"- a\n- b: [\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_a_broken_ckv_register(tmp_path, name):
    folder = write(tmp_path)
    register = tmp_path / name
    register.write_bytes(BROKEN_FILES[name])
    for args in (("check", "--data", folder), ("export", "--out", tmp_path / "history.csv")):
        result = invoke("ckv-decisions", args[0], "--year", 2025, "--register", register, *args[1:])
        assert_refused(result, 1, str(register))
    assert register.read_bytes() == BROKEN_FILES[name]
    assert not (tmp_path / "history.csv").exists()


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_a_broken_rule_set(tmp_path, name):
    folder = write(tmp_path)
    rules = tmp_path / name
    rules.write_bytes(BROKEN_FILES[name])
    assert_refused(
        invoke("scores", folder, "--year", 2025, "--out", tmp_path / "out.csv", "--rules", rules), 1, str(rules)
    )
    assert_refused(invoke("scores", folder, "--year", 2025, "--out", rules, "--rules", rules), 3, "input")
    assert rules.read_bytes() == BROKEN_FILES[name]


ODD_PARQUET = {
    "list": ("corporation_id", lambda: pa.array([["a"], ["b"]])),
    "struct": ("name", lambda: pa.array([{"x": 1}, {"x": 2}])),
    "binary": ("region", lambda: pa.array([b"\xff", b"ok"], type=pa.binary())),
    "tz_timestamp": (
        "member_since",
        lambda: pa.array([pd.Timestamp("2015-01-01", tz="UTC")] * 2, type=pa.timestamp("us", tz="Europe/Amsterdam")),
    ),
    "decimal": ("units", lambda: pa.array([__import__("decimal").Decimal("12.5")] * 2, type=pa.decimal128(10, 1))),
    "infinity": ("units", lambda: pa.array([float("inf"), 5.0])),
    "null_type": ("urbanisation", lambda: pa.nulls(2)),
}


@pytest.mark.parametrize("case", sorted(ODD_PARQUET))
def test_odd_parquet_types_are_refused_by_rule(tmp_path, case):
    folder = write(tmp_path, fmt="parquet")
    column, array = ODD_PARQUET[case]
    table = pq.read_table(folder / "corporations.parquet")
    table = table.set_column(table.schema.get_field_index(column), column, array())
    pq.write_table(table, folder / "corporations.parquet")
    refused_by_check_data(folder, "corporations")


def test_a_device_as_rule_set_or_register_is_never_read(tmp_path):
    folder = write(tmp_path)
    assert_refused(
        invoke("scores", folder, "--year", 2025, "--out", tmp_path / "o.csv", "--rules", "/dev/zero"),
        1,
        "not a regular file",
    )
    assert_refused(
        invoke("ckv-decisions", "check", "--year", 2025, "--data", folder, "--register", "/dev/zero"),
        1,
        "No CKV decisions register",
    )
