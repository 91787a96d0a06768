import pandas as pd

from kwh_calc.common.memo import FrameMemo, frame_key


def test_frame_key_follows_the_content():
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert frame_key(frame) == frame_key(frame.copy())
    assert frame_key(frame) != frame_key(frame.assign(b=["x", "z"]))
    assert frame_key(frame) != frame_key(frame.rename(columns={"b": "c"}))
    assert frame_key(frame) != frame_key(frame.astype({"a": "float64"}))
    assert frame_key(frame) != frame_key(frame.iloc[::-1])


def test_memo_computes_once_per_content_and_extra():
    calls = []

    def double(frame, factor):
        calls.append(factor)
        return frame * factor

    memo = FrameMemo(double, size=2)
    frame = pd.DataFrame({"a": [1, 2]})
    assert memo(frame, 2, compute_args=(2,))["a"].tolist() == [2, 4]
    assert memo(frame.copy(), 2, compute_args=(2,))["a"].tolist() == [2, 4]
    assert memo(frame, 3, compute_args=(3,))["a"].tolist() == [3, 6]
    assert memo(frame.assign(a=[5, 6]), 2, compute_args=(2,))["a"].tolist() == [10, 12]
    assert calls == [2, 3, 2]


def test_a_caller_changing_its_result_does_not_change_the_next():
    memo = FrameMemo(lambda frame: frame.assign(b=1))
    frame = pd.DataFrame({"a": [1, 2]})
    first = memo(frame)
    first.loc[0, "b"] = 99
    first["c"] = 0
    again = memo(frame)
    assert again["b"].tolist() == [1, 1]
    assert "c" not in again


def test_national_distribution_is_the_same_remembered_or_not():

    from kwh_calc.calculations import aedes
    from kwh_calc.intake.rules import load_rules

    rules = load_rules(year=2025)
    keys = aedes.subscore_keys(rules)
    rows = []
    for i, score in enumerate([7.1, 7.4, 7.4, 8.0]):
        row = {"corporation_id": f"C{i}", "name": f"Corporatie {i}"}
        for key in keys:
            row |= {f"{key}_n": 10 + i, f"{key}_score": score, f"{key}_grade": round(score, 1), f"{key}_letter": "B"}
        rows.append(row)
    table = pd.DataFrame(rows)
    remembered = aedes.national_distribution(table, rules)
    pd.testing.assert_frame_equal(remembered, aedes._national_distribution(table, keys))
    changed = table.assign(**{f"{keys[0]}_score": [9.0, 7.4, 7.4, 8.0]})
    pd.testing.assert_frame_equal(
        aedes.national_distribution(changed, rules), aedes._national_distribution(changed, keys)
    )
    assert not remembered.equals(aedes.national_distribution(changed, rules))
