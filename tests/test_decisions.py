"""The CKV decisions register (params/ckv_decisions/<Y>.csv|.yml) and its export as label_history."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder
from label_helpers import label_corporation, same_grades
from typer.testing import CliRunner

from kwh_calc.calculations.decisions import (
    RegisterError,
    check_register,
    label_history_csv,
    load_register,
    merge_label_history,
    read_register,
    register_path,
    register_template,
    register_to_label_history,
    write_register,
)
from kwh_calc.calculations.label import label_advice
from kwh_calc.cli import app
from kwh_calc.intake.dataset import from_tables, write_dataset
from kwh_calc.intake.rules import load_rules

RULES = load_rules()
Y = 2025


def year_builder(year: int) -> DatasetBuilder:
    """Four corporations; in ``Y`` one fails with a valid label, one has low response, one fails
    without a label; in Y+1 all pass except ``fail_valid``, which fails again."""
    b = DatasetBuilder(year)
    label_corporation(b, "pass", year=year)
    failing = same_grades(60, 6)
    label_corporation(b, "fail_valid", year=year, grades={"reparaties": failing})
    label_corporation(b, "low", year=year, grades={"nieuwe_huurders": same_grades(19, 5)} if year == Y else None)
    label_corporation(b, "fail_new", year=year, grades={"reparaties": failing} if year == Y else None)
    return b


def dataset_with_history(year: int, history_csv: pd.DataFrame | None):
    b = year_builder(year)
    if year == Y:
        b.label_history("fail_valid", Y - 1, "toekennen", True, "2027-03-31")
    tables = b.tables()
    if history_csv is not None:
        tables["label_history"] = history_csv
    return b, from_tables(tables)


@pytest.fixture(scope="module")
def advice_y() -> pd.DataFrame:
    _, dataset = dataset_with_history(Y, None)
    return label_advice(dataset, RULES, Y).advice


def write(tmp_path, text: str, name: str = f"{Y}.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- reading


def test_read_csv_register_derives_passed(tmp_path):
    path = write(tmp_path, "corporation_id,decision,reason\npass,toekennen,\nfail_new,niet_toekennen,\n")
    register = read_register(path, Y)
    assert register["passed"].tolist() == [True, False]
    assert (register["research_year"] == Y).all()
    assert register_path(Y, tmp_path) == path
    assert len(load_register(Y, tmp_path)) == 2


def test_read_yaml_register(tmp_path):
    write(
        tmp_path,
        (
            "research_year: 2025\ndecided_on: 2026-03-12\ndecisions:\n"
            "  - {corporation_id: pass, decision: toekennen}\n"
            '  - {corporation_id: fail_new, decision: toekennen, passed: true, reason: "CKV: herstelplan"}\n'
        ),
        f"{Y}.yml",
    )
    register = load_register(Y, tmp_path)
    assert register["decided_on"].tolist() == [pd.Timestamp("2026-03-12")] * 2
    assert register.loc[1, "reason"] == "CKV: herstelplan"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("corporation_id,besluit\npass,toekennen\n", "unknown column"),
        ("corporation_id\npass\n", "required column(s) missing: decision"),
        ("corporation_id,decision\npass,intrekken\n", "decision: not one of"),
        ("corporation_id,decision\npass,toekennen\npass,verlengen\n", "one decision per corporation"),
        ("corporation_id,decision,passed\npass,toekennen,false\n", "contradicts the decision"),
        ("corporation_id,decision,passed\npass,toekennen,misschien\n", "not a boolean"),
        ("corporation_id,decision,valid_until\npass,toekennen,31-03-2028\n", "not an ISO date"),
        (
            "corporation_id,decision,valid_until\npass,niet_toekennen,2028-03-31\n",
            "niet_toekennen leaves no valid label",
        ),
        ("corporation_id,decision,research_year\npass,toekennen,2024\n", "research_year: must be 2025"),
        ("corporation_id,decision\n,toekennen\n", "required value missing"),
    ],
)
def test_register_format_errors(tmp_path, text, message):
    with pytest.raises(RegisterError) as error:
        read_register(write(tmp_path, text), Y)
    assert message in str(error.value)


def test_missing_register(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_register(Y, tmp_path)


# --------------------------------------------------------------------------- checks


def test_check_against_advice(tmp_path, advice_y):
    advice = advice_y.set_index("corporation_id")
    assert advice.loc[["pass", "fail_valid", "low", "fail_new"], "advice"].tolist() == [
        "toekennen",
        "niet_verlengen",
        "ckv_beslist",
        "niet_toekennen",
    ]
    good = read_register(
        write(
            tmp_path,
            (
                "corporation_id,decision,reason\npass,toekennen,\nfail_valid,niet_verlengen,\n"
                "low,toekennen,\nfail_new,toekennen,CKV: eenmalige afwijking\n"
            ),
        ),
        Y,
    )
    assert check_register(good, advice_y) == ([], [])
    bad = read_register(
        write(
            tmp_path,
            ("corporation_id,decision\npass,verlengen\nfail_valid,niet_toekennen\nfail_new,toekennen\nP9,toekennen\n"),
        ),
        Y,
    )
    errors, warnings = check_register(bad, advice_y)
    text = "\n".join(errors)
    assert "pass: decision verlengen but there is no valid label" in text
    assert "fail_valid: decision niet_toekennen but the label is valid until 2027-03-31" in text
    assert "fail_new: decision toekennen deviates from the advice (niet toekennen): a reason is required" in text
    assert "P9: no advice" in text
    assert warnings == ["1 assessable corporation(s) without a recorded decision: low"]


# --------------------------------------------------------------------------- export


def test_export_derives_validity(tmp_path, advice_y):
    register = read_register(
        write(
            tmp_path,
            ("corporation_id,decision,reason\npass,toekennen,\nfail_valid,niet_verlengen,\nfail_new,niet_toekennen,\n"),
        ),
        Y,
    )
    history = register_to_label_history(register, RULES, Y, advice_y).set_index("corporation_id")
    assert history.at["pass", "valid_until"] == pd.Timestamp("2028-03-31")
    assert history.at["pass", "passed"]
    assert history.at["fail_valid", "valid_until"] == pd.Timestamp("2027-03-31")
    assert not history.at["fail_valid", "passed"]
    assert pd.isna(history.at["fail_new", "valid_until"])
    with pytest.raises(RegisterError, match="need the advice"):
        register_to_label_history(register, RULES, Y)


def test_merge_replaces_same_year():
    existing = pd.DataFrame(
        {
            "corporation_id": ["a", "a"],
            "research_year": [2024, 2025],
            "decision": ["toekennen", "toekennen"],
            "passed": [True, True],
            "valid_until": pd.to_datetime(["2027-03-31", "2028-03-31"]),
        }
    )
    new = pd.DataFrame(
        {
            "corporation_id": ["a"],
            "research_year": [2025],
            "decision": ["niet_verlengen"],
            "passed": [False],
            "valid_until": pd.to_datetime(["2027-03-31"]),
        }
    )
    merged = merge_label_history(existing, new)
    assert merged["decision"].tolist() == ["toekennen", "niet_verlengen"]


def test_round_trip_decisions_become_next_years_input(tmp_path, advice_y):
    """Record decisions on Y -> export label_history -> the advice on Y+1 uses it."""
    template = register_template(advice_y)
    assert template.set_index("corporation_id").at["low", "decision"] == ""
    template.loc[template["corporation_id"] == "low", "decision"] = "toekennen"  # CKV: the 19 do not count
    deviating = template["corporation_id"] == "fail_new"
    template.loc[deviating, ["decision", "reason"]] = ["toekennen", "CKV: verbeterplan aangetoond"]
    path = write_register(template, tmp_path / f"{Y}.csv")
    register = read_register(path, Y)
    assert check_register(register, advice_y)[0] == []
    _, dataset_y = dataset_with_history(Y, None)
    history = merge_label_history(dataset_y.label_history, register_to_label_history(register, RULES, Y, advice_y))
    csv = tmp_path / "label_history.csv"
    label_history_csv(history).to_csv(csv, index=False)
    _, next_year = dataset_with_history(Y + 1, pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""]))
    advice = label_advice(next_year, RULES, Y + 1).advice.set_index("corporation_id")["advice"]
    assert advice.to_dict() == {
        "pass": "verlengen",
        "fail_valid": "verloopt",
        "low": "verlengen",
        "fail_new": "verlengen",
    }


# --------------------------------------------------------------------------- CLI


def test_cli_template_check_export(tmp_path):
    b, _ = dataset_with_history(Y, None)
    data = write_dataset(b.tables(), tmp_path / "data", fmt="csv")
    registers = tmp_path / "ckv_decisions"
    runner = CliRunner()
    target = registers / f"{Y}.csv"
    result = runner.invoke(
        app, ["ckv-decisions", "template", "--year", str(Y), "--data", str(data), "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        app, ["ckv-decisions", "template", "--year", str(Y), "--data", str(data), "--out", str(target)]
    )
    assert again.exit_code == 1  # never overwrite recorded decisions

    result = runner.invoke(
        app, ["ckv-decisions", "check", "--year", str(Y), "--data", str(data), "--register", str(registers)]
    )
    assert result.exit_code == 1  # "low" has no decision yet: an empty decision is not one of the five
    template = pd.read_csv(target, dtype=str, keep_default_na=False)
    template.loc[template["corporation_id"] == "low", "decision"] = "niet_toekennen"
    template.to_csv(target, index=False)
    result = runner.invoke(
        app, ["ckv-decisions", "check", "--year", str(Y), "--data", str(data), "--register", str(registers)]
    )
    assert result.exit_code == 0, result.output

    exported = tmp_path / "label_history.csv"
    result = runner.invoke(
        app,
        [
            "ckv-decisions",
            "export",
            "--year",
            str(Y),
            "--data",
            str(data),
            "--register",
            str(target),
            "--out",
            str(exported),
        ],
    )
    assert result.exit_code == 0, result.output
    history = pd.read_csv(exported, dtype=str, keep_default_na=False)
    assert list(history.columns) == ["corporation_id", "research_year", "decision", "passed", "valid_until"]
    assert len(history) == 5  # the 2024 row kept, four decisions on 2025 added
    assert set(history["passed"]) == {"true", "false"}

    next_b = year_builder(Y + 1)
    next_data = write_dataset(next_b.tables(), tmp_path / "next", fmt="csv")
    history.to_csv(next_data / "label_history.csv", index=False)
    out = tmp_path / "advies.csv"
    result = runner.invoke(app, ["label", str(next_data), "--year", str(Y + 1), "--out", str(out)])
    assert result.exit_code == 0, result.output
    advice = pd.read_csv(out).set_index("corporation_id")["advice"].to_dict()
    assert advice == {"pass": "verlengen", "fail_valid": "verloopt", "low": "toekennen", "fail_new": "toekennen"}

    alone = runner.invoke(
        app, ["ckv-decisions", "export", "--year", str(Y), "--register", str(target), "--out", str(tmp_path / "x.csv")]
    )
    assert alone.exit_code == 1
    assert "need the advice" in alone.output


def test_a_decision_left_empty_is_named_as_missing(tmp_path):
    write(tmp_path, "corporation_id,decision\npass,\nfail_new,toekennen\n")
    with pytest.raises(RegisterError, match=r"decision: missing, fill in what the CKV decided .* 1 row\(s\): pass"):
        load_register(Y, tmp_path)
