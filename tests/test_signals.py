"""Tests of kwh_calc.exports.signals and `kwh signals` (docs/methodology.md §8: signal e-mails, only with consent)."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder
from pydantic import ValidationError
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.exports.signals import SIGNAL_COLUMNS, signals, trigger_table
from kwh_calc.intake.dataset import write_dataset
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, SignalRules, load_rules

RULES = load_rules()


def with_signals(default=None, per_question=None):
    config = SignalRules(
        default_trigger_grades=default if default is not None else RULES.signals.default_trigger_grades,
        rules=per_question or {},
    )
    return RULES.model_copy(update={"signals": config})


@pytest.fixture(scope="module")
def built():
    b = DatasetBuilder().corporation("C1").corporation("C2")
    ids = {}
    # consenting respondents: grades on L1..L3 (label), X1 (non-label)
    ids["low"] = b.respondents("C1", "reparaties", [[5, 6, 1]], month="2025-02", other_grades=[1])[0]
    ids["high"] = b.respondents("C1", "nieuwe_huurders", [[9, 2, 10]], month="2025-03")[0]
    ids["none"] = b.respondents("C1", "reparaties", [[6, 7, None]], month="2025-02")[0]
    # anonymous respondent with the lowest grades: never a signal
    ids["anonymous"] = b.respondents(
        "C1", "reparaties", [[1, 1, 1]], month="2025-02", other_grades=[1], anonymity_lifted=False
    )[0]
    ids["other_corp"] = b.respondents("C2", "reparaties", [[2]], month="2025-02")[0]
    ids["outside"] = b.respondents("C1", "reparaties", [[2]], month="2025-06")[0]
    return b.build(), ids


def test_default_triggers_label_questions_of_consenting_respondents(built):
    dataset, ids = built
    found = signals(dataset, RULES, "2025-01", "2025-03")
    assert list(found.columns) == SIGNAL_COLUMNS
    assert set(zip(found["response_id"], found["question_id"], found["grade"], strict=True)) == {
        (ids["low"], "L1", 5),
        (ids["low"], "L3", 1),
        (ids["high"], "L2", 2),
        (ids["other_corp"], "L1", 2),
    }
    assert ids["anonymous"] not in set(found["response_id"])
    first = found.loc[found["response_id"] == ids["low"]].iloc[0]
    assert (first["corporation_id"], first["questionnaire"], first["question"], first["service_month"]) == (
        "C1",
        "reparaties",
        "Labelvraag 1",
        "2025-02",
    )


def test_anonymous_respondents_never_appear(built):
    dataset, ids = built
    everything = with_signals(default=list(range(1, 11)), per_question={"reparaties": {"X1": list(range(1, 11))}})
    found = signals(dataset, everything, "2000-01", "2100-12")
    assert ids["anonymous"] not in set(found["response_id"])
    consenting = set(dataset.respondents.loc[dataset.respondents["anonymity_lifted"], "response_id"])
    assert set(found["response_id"]) == consenting  # every consenting respondent, nobody else


def test_per_question_override_and_star(built):
    dataset, ids = built
    rules = with_signals(per_question={"nieuwe_huurders": {"L1": [9, 10]}, "reparaties": {"*": [1, 2], "X1": [1]}})
    found = signals(dataset, rules, "2025-01", "2025-03")
    got = set(zip(found["response_id"], found["question_id"], found["grade"], strict=True))
    assert (ids["high"], "L1", 9) in got  # own entry: 9 triggers
    assert (ids["high"], "L2", 2) in got  # other label questions keep the default
    assert (ids["high"], "L3", 10) not in got  # 10 only triggers where configured
    assert (ids["low"], "L1", 5) not in got  # reparaties "*" = [1, 2]: 5 no longer
    assert (ids["low"], "L3", 1) in got
    assert (ids["low"], "X1", 1) in got


def test_empty_list_switches_signals_off(built):
    dataset, _ = built
    found = signals(dataset, with_signals(per_question={"reparaties": {"*": []}}), "2025-01", "2025-03")
    assert set(found["questionnaire"]) == {"nieuwe_huurders"}


def test_period_and_corporation(built):
    dataset, ids = built
    assert set(signals(dataset, RULES, "2025-01", "2025-03", corporation_id="C2")["response_id"]) == {ids["other_corp"]}
    assert set(signals(dataset, RULES, "2025-06", "2025-06")["response_id"]) == {ids["outside"]}
    assert signals(dataset, RULES, "2025-04", "2025-05").empty
    with pytest.raises(ValueError, match="YYYY-MM"):
        signals(dataset, RULES, "2025-1", "2025-03")


def test_bad_signal_rules_are_refused(built):
    dataset, _ = built
    with pytest.raises(ValueError, match="not in the questions table"):
        trigger_table(dataset.questions, with_signals(per_question={"reparaties": {"Q99": [1]}}))
    with pytest.raises(ValueError, match="unknown questionnaire"):
        trigger_table(dataset.questions, with_signals(per_question={"reparatie": {"*": [1]}}))
    with pytest.raises(ValueError, match="1-10"):
        trigger_table(dataset.questions, with_signals(default=[0, 1]))
    with pytest.raises(ValidationError):
        SignalRules(default_trigger_grades=[1], rules={"reparaties": {"*": [11]}})


def test_rules_file_carries_the_signal_configuration(tmp_path):
    assert RULES.signals.rules == {}
    assert RULES.signals.default_trigger_grades == [1, 2, 3, 4, 5]
    text = DEFAULT_RULES_PATH.read_text().replace("  rules: {}", '  rules: {nieuwe_huurders: {"L3": [9, 10]}}')
    assert text != DEFAULT_RULES_PATH.read_text()
    (tmp_path / "rules.yml").write_text(text)
    assert load_rules(tmp_path / "rules.yml").signals.rules == {"nieuwe_huurders": {"L3": [9, 10]}}


def test_cli_writes_the_signals_csv(built, tmp_path):
    dataset, ids = built
    data = write_dataset(dataset, tmp_path / "data")
    out = tmp_path / "signalen.csv"
    run = CliRunner().invoke(
        app, ["signals", str(data), "--from", "2025-01", "--to", "2025-03", "--corporation", "C1", "--out", str(out)]
    )
    assert run.exit_code == 0, run.output
    csv = pd.read_csv(out, dtype=str)
    assert list(csv.columns) == [
        "respondent",
        "corporatie",
        "vragenlijst",
        "vraagnummer",
        "vraag",
        "cijfer",
        "servicemaand",
    ]
    assert set(csv["respondent"]) == {ids["low"], ids["high"]}
    assert set(csv["vragenlijst"]) == {
        "Reparaties",
        "Nieuwe huurders",
    }
    assert ids["low"] not in run.output  # counts only on the terminal
    bad = CliRunner().invoke(app, ["signals", str(data), "--from", "2025-03", "--to", "2025-01", "--out", str(out)])
    assert bad.exit_code == 2
    unknown = CliRunner().invoke(
        app, ["signals", str(data), "--from", "2025-01", "--to", "2025-03", "--corporation", "CX", "--out", str(out)]
    )
    assert unknown.exit_code == 1
