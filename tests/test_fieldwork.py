"""Tests of kwh_calc.calculations.fieldwork and `kwh calendar` (docs/methodology.md §8, §5)."""

from __future__ import annotations

import datetime as dt
import itertools
from datetime import date, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from kwh_calc.calculations.fieldwork import (
    TelephoneTarget,
    address_key,
    api_invitation_date,
    delivery_deadline,
    delivery_deadlines,
    fieldwork_calendar,
    fmt_date_nl,
    invitation_date,
    mijn_kwh_schedule,
    plan_invitations,
    round_deadline,
    select_telephone_sample,
    telephone_target,
    tenant_key,
)
from kwh_calc.cli import app
from kwh_calc.intake.rules import load_rules

RULES = load_rules()
runner = CliRunner()


# --------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("year", "month", "first_wednesday", "deadline"),
    [
        (2025, 1, 1, 8),  # first Wednesday on the 1st -> the Wednesday after
        (2025, 4, 2, 9),  # on the 2nd
        (2025, 9, 3, 10),  # on the 3rd
        (2025, 6, 4, 11),  # on the 4th
        (2025, 2, 5, 5),  # on the 5th: stays
        (2025, 8, 6, 6),  # on the 6th: stays
        (2025, 5, 7, 7),  # on the 7th: stays
        (2026, 1, 7, 7),
    ],
)
def test_delivery_deadline(year, month, first_wednesday, deadline):
    first = date(year, month, first_wednesday)
    assert first.weekday() == 2
    assert all(date(year, month, d).weekday() != 2 for d in range(1, first_wednesday))
    assert delivery_deadline(year, month) == date(year, month, deadline)


def test_deadlines_are_wednesdays_on_the_5th_to_11th():
    for year in range(2020, 2031):
        for deadline in delivery_deadlines(year):
            assert deadline.weekday() == 2
            assert 5 <= deadline.day <= 11


def test_round_deadline_takes_the_next_deadline_on_or_after_upload():
    assert round_deadline(date(2025, 1, 2)) == date(2025, 1, 8)
    assert round_deadline(date(2025, 1, 8)) == date(2025, 1, 8)
    assert round_deadline(date(2025, 1, 9)) == date(2025, 2, 5)
    assert round_deadline(pd.Timestamp("2025-12-11")) == date(2026, 1, 7)


def test_mijn_kwh_timeline():
    s = mijn_kwh_schedule(date(2025, 1, 8))  # Wednesday of week 0
    assert s.invitation == date(2025, 1, 14)  # Tuesday of week 1
    assert s.reminder == date(2025, 1, 20)  # Monday of week 2
    assert s.phone_no_email == date(2025, 1, 14)  # Tuesday of week 1
    assert s.phone_non_responders == date(2025, 1, 22)  # Wednesday of week 2
    assert s.fieldwork_end == date(2025, 2, 9)  # Sunday of week 4
    assert [d.weekday() for d in (s.invitation, s.reminder, s.phone_non_responders, s.fieldwork_end)] == [1, 0, 2, 6]


def test_api_and_channel_invitation_dates():
    assert api_invitation_date(date(2025, 3, 7)) == date(2025, 3, 8)
    assert invitation_date("api", dt.datetime(2025, 12, 31, 14, 0)) == date(2026, 1, 1)
    assert invitation_date("mijn_kwh", date(2025, 1, 3)) == date(2025, 1, 14)
    with pytest.raises(ValueError, match="unknown channel 'post'"):
        invitation_date("post", date(2025, 1, 3))


def test_fmt_date_nl():
    assert fmt_date_nl(date(2025, 1, 8)) == "wo 8 jan 2025"
    assert fmt_date_nl(pd.Timestamp("2025-03-30")) == "zo 30 mrt 2025"


def test_calendar_frame_and_cli(tmp_path):
    frame = fieldwork_calendar(2025)
    assert len(frame) == 12
    assert frame.loc[0, "deadline"] == date(2025, 1, 8)
    assert frame.loc[2, "month_name"] == "maart"
    result = runner.invoke(app, ["calendar", "2025", "--out", str(tmp_path / "kalender.csv")])
    assert result.exit_code == 0, result.output
    assert "wo 8 jan" in result.output
    assert "zo 11 jan 2026" in result.output
    assert "…" not in result.output
    csv = pd.read_csv(tmp_path / "kalender.csv")
    assert list(csv.columns)[:3] == ["maandnummer", "maand", "uiterste aanleverdatum"]
    assert csv.loc[1, "uiterste aanleverdatum"] == "2025-02-05"
    assert csv.loc[1, "einde veldwerk"] == "2025-03-09"


# --------------------------------------------------------------------------- invitation list


def delivered(*rows) -> pd.DataFrame:
    """Rows: (postcode, huisnummer, questionnaire, channel, delivered_on[, toevoeging])."""
    records = []
    for i, row in enumerate(rows):
        pc, hn, q, ch, on, *rest = row
        records.append(
            {
                "row": i,
                "postcode": pc,
                "huisnummer": hn,
                "toevoeging": rest[0] if rest else None,
                "questionnaire": q,
                "channel": ch,
                "delivered_on": pd.Timestamp(on),
            }
        )
    return pd.DataFrame(records)


def history(*rows) -> pd.DataFrame:
    """Rows: (postcode, huisnummer, questionnaire, channel, invited_on)."""
    return pd.DataFrame(
        [
            {"postcode": pc, "huisnummer": hn, "questionnaire": q, "channel": ch, "invited_on": pd.Timestamp(on)}
            for pc, hn, q, ch, on in rows
        ]
    )


def api_on(invite: date) -> date:
    """Delivery date of an API delivery whose invitation falls on ``invite``."""
    return invite - timedelta(days=1)


def outcome(plan) -> dict[int, str]:
    """row -> "uitnodigen" or the exclusion reason code."""
    result = {int(r): "uitnodigen" for r in plan.invitations["row"]}
    result.update({int(r): code for r, code in zip(plan.excluded["row"], plan.excluded["reason_code"], strict=True)})
    return result


def test_keys():
    assert tenant_key("1234 ab", 12.0, "A") == "1234AB|12|a"
    assert tenant_key("1234AB", "12", None) == "1234AB|12|"
    assert address_key("1234 AB", 12) == "1234AB|12"


def test_same_questionnaire_two_months_boundary():
    hist = history(("1234 AB", 1, "reparaties", "mijn_kwh", "2025-01-15"))
    cands = delivered(
        ("1234 AB", 1, "reparaties", "api", api_on(date(2025, 3, 14))),  # 2 months minus a day
    )
    assert outcome(plan_invitations(cands, hist, rules=RULES)) == {0: "zelfde_vragenlijst"}
    cands = delivered(("1234 AB", 1, "reparaties", "api", api_on(date(2025, 3, 15))))  # exactly 2 months
    assert outcome(plan_invitations(cands, hist, rules=RULES)) == {0: "uitnodigen"}
    other = delivered(("1234 AB", 1, "nieuwe_huurders", "api", api_on(date(2025, 2, 1))))
    assert outcome(plan_invitations(other, hist, rules=RULES)) == {0: "uitnodigen"}  # other questionnaire
    elsewhere = delivered(("1234 AB", 1, "reparaties", "api", api_on(date(2025, 2, 1)), "A"))
    assert outcome(plan_invitations(elsewhere, hist, rules=RULES)) == {0: "uitnodigen"}  # other addition


def test_two_month_rule_applies_within_one_run():
    cands = delivered(
        ("1234 AB", 1, "reparaties", "mijn_kwh", "2025-01-03"),  # round of 8 Jan: invited 14 Jan
        ("1234 AB", 1, "reparaties", "mijn_kwh", "2025-02-01"),  # round of 5 Feb: invited 11 Feb
        ("1234 AB", 1, "reparaties", "mijn_kwh", "2025-03-01"),  # round of 5 Mar: invited 11 Mar
        ("1234 AB", 1, "reparaties", "mijn_kwh", "2025-01-05"),  # same round, same questionnaire
    )
    plan = plan_invitations(cands, rules=RULES)
    assert outcome(plan) == {0: "uitnodigen", 1: "zelfde_vragenlijst", 2: "zelfde_vragenlijst", 3: "dubbel_aangeleverd"}
    assert plan.invitations["invite_on"].tolist() == [date(2025, 1, 14)]


def test_algemene_waardering_at_most_twice_a_calendar_year():
    hist = history(
        ("1234 AB", 1, "algemene_waardering", "mijn_kwh", "2025-01-14"),
        ("1234 AB", 1, "algemene_waardering", "mijn_kwh", "2025-06-17"),
    )
    third = delivered(("1234 AB", 1, "algemene_waardering", "api", api_on(date(2025, 12, 31))))
    assert outcome(plan_invitations(third, hist, rules=RULES)) == {0: "algemene_waardering_max"}
    next_year = delivered(("1234 AB", 1, "algemene_waardering", "api", api_on(date(2026, 1, 1))))
    assert outcome(plan_invitations(next_year, hist, rules=RULES)) == {0: "uitnodigen"}
    once = history(("1234 AB", 1, "algemene_waardering", "mijn_kwh", "2025-06-17"))
    assert outcome(plan_invitations(third, once, rules=RULES)) == {0: "uitnodigen"}


def test_api_quiet_period_fourteen_days():
    hist = history(("1234 AB", 1, "reparaties", "api", "2025-03-01"))
    day13 = delivered(("1234 AB", 1, "nieuwe_huurders", "api", api_on(date(2025, 3, 14))))
    day14 = delivered(("1234 AB", 1, "nieuwe_huurders", "api", api_on(date(2025, 3, 15))))
    assert outcome(plan_invitations(day13, hist, rules=RULES)) == {0: "api_rustperiode"}
    assert outcome(plan_invitations(day14, hist, rules=RULES)) == {0: "uitnodigen"}
    # a Mijn KWH invitation after an automatic one: round of 8 Jan 2025 invites on 14 Jan
    mijn = delivered(("1234 AB", 1, "nieuwe_huurders", "mijn_kwh", "2025-01-06"))
    inside = history(("1234 AB", 1, "reparaties", "api", "2025-01-01"))
    at_end = history(("1234 AB", 1, "reparaties", "api", "2024-12-31"))
    assert outcome(plan_invitations(mijn, inside, rules=RULES)) == {0: "api_rustperiode"}
    assert outcome(plan_invitations(mijn, at_end, rules=RULES)) == {0: "uitnodigen"}
    # an automatic invitation after a Mijn KWH one
    after_mijn = history(("1234 AB", 1, "reparaties", "mijn_kwh", "2025-03-01"))
    assert outcome(plan_invitations(day13, after_mijn, rules=RULES)) == {0: "api_rustperiode"}
    # two Mijn KWH invitations of different questionnaires in different rounds: no quiet period
    mijn_hist = history(("1234 AB", 1, "reparaties", "mijn_kwh", "2025-01-10"))
    assert outcome(plan_invitations(mijn, mijn_hist, rules=RULES)) == {0: "uitnodigen"}


def test_one_questionnaire_per_round_except_nieuwe_and_vertrokken():
    cands = delivered(
        ("1234 AB", 1, "reparaties", "mijn_kwh", "2025-01-02"),
        ("1234 AB", 1, "nieuwe_huurders", "mijn_kwh", "2025-01-03"),
        ("1234 AB", 1, "planmatig_onderhoud", "mijn_kwh", "2025-01-06"),
        ("1234 AB", 1, "vertrokken_huurders", "mijn_kwh", "2025-01-08"),
        ("1234 AB", 1, "algemene_waardering", "mijn_kwh", "2025-01-07"),
        ("1234 AB", 1, "groot_onderhoud", "mijn_kwh", "2025-01-09"),  # next round (5 Feb)
        ("5678 CD", 2, "planmatig_onderhoud", "mijn_kwh", "2025-01-02"),
        ("5678 CD", 2, "reparaties", "mijn_kwh", "2025-01-02"),
    )
    assert outcome(plan_invitations(cands, rules=RULES)) == {
        0: "een_per_ronde",
        1: "uitnodigen",
        2: "een_per_ronde",
        3: "uitnodigen",
        4: "een_per_ronde",
        5: "uitnodigen",
        6: "uitnodigen",
        7: "een_per_ronde",
    }


@pytest.mark.parametrize("pair", list(itertools.pairwise(RULES.fieldwork.collision_order[1:])))
def test_collision_order_keeps_the_earlier_questionnaire(pair):
    first, second = pair
    cands = delivered(("1234 AB", 1, second, "mijn_kwh", "2025-01-02"), ("1234 AB", 1, first, "mijn_kwh", "2025-01-03"))
    assert outcome(plan_invitations(cands, rules=RULES)) == {0: "een_per_ronde", 1: "uitnodigen"}


def test_collision_order_is_read_from_the_rules():
    cands = delivered(
        ("1234 AB", 1, "reparaties", "mijn_kwh", "2025-01-02"),
        ("1234 AB", 1, "planmatig_onderhoud", "mijn_kwh", "2025-01-02"),
    )
    assert outcome(plan_invitations(cands, rules=RULES)) == {0: "een_per_ronde", 1: "uitnodigen"}
    order = ["reparaties", *[q for q in RULES.fieldwork.collision_order if q != "reparaties"]]
    rules = RULES.model_copy(update={"fieldwork": RULES.fieldwork.model_copy(update={"collision_order": order})})
    assert outcome(plan_invitations(cands, rules=rules)) == {0: "uitnodigen", 1: "een_per_ronde"}


@pytest.mark.parametrize(
    ("reason", "blocked_on", "last_blocked", "first_free"),
    [
        ("wil_niet_meedoen", date(2022, 3, 15), date(2025, 3, 14), date(2025, 3, 15)),
        ("overleden", date(2024, 3, 15), date(2025, 3, 14), date(2025, 3, 15)),
        ("foutief_in_bestand", date(2025, 2, 15), date(2025, 3, 14), date(2025, 3, 15)),
    ],
)
def test_blocking_boundaries(reason, blocked_on, last_blocked, first_free):
    blocks = pd.DataFrame([{"postcode": "1234AB", "huisnummer": 1, "reason": reason, "blocked_on": blocked_on}])
    cands = delivered(
        ("1234 AB", 1, "reparaties", "api", api_on(blocked_on - timedelta(days=1))),  # before the block
        ("1234 AB", 1, "nieuwe_huurders", "api", api_on(blocked_on)),
        ("1234 AB", 1, "vertrokken_huurders", "api", api_on(last_blocked), "B"),  # any addition: same address
        ("1234 AB", 1, "groot_onderhoud", "api", api_on(first_free)),
        ("1234 AB", 3, "planmatig_onderhoud", "api", api_on(last_blocked)),  # other house number
    )
    plan = plan_invitations(cands, blocks=blocks, rules=RULES)
    code = f"blokkade_{reason}"
    assert outcome(plan) == {0: "uitnodigen", 1: code, 2: code, 3: "uitnodigen", 4: "uitnodigen"}
    assert plan.excluded["reason"].str.startswith("geblokkeerd: ").all()


def test_blocking_is_per_corporation_when_given():
    cands = delivered(
        ("1234 AB", 1, "reparaties", "api", "2025-03-01"), ("1234 AB", 1, "reparaties", "api", "2025-03-01")
    )
    cands["corporation_id"] = ["C1", "C2"]
    blocks = pd.DataFrame(
        [
            {
                "corporation_id": "C1",
                "postcode": "1234 AB",
                "huisnummer": 1,
                "reason": "overleden",
                "blocked_on": date(2025, 1, 1),
            }
        ]
    )
    assert outcome(plan_invitations(cands, blocks=blocks, rules=RULES)) == {0: "blokkade_overleden", 1: "uitnodigen"}
    with pytest.raises(ValueError, match="corporation_id"):
        plan_invitations(cands, blocks=blocks.drop(columns="corporation_id"), rules=RULES)


def test_unknown_block_reason_and_questionnaire_are_refused():
    cands = delivered(("1234 AB", 1, "reparaties", "api", "2025-03-01"))
    blocks = pd.DataFrame(
        [{"postcode": "1234 AB", "huisnummer": 1, "reason": "verhuisd", "blocked_on": date(2025, 1, 1)}]
    )
    with pytest.raises(ValueError, match="verhuisd"):
        plan_invitations(cands, blocks=blocks, rules=RULES)
    with pytest.raises(ValueError, match="onderhoud"):
        plan_invitations(delivered(("1234 AB", 1, "onderhoud", "api", "2025-03-01")), rules=RULES)


def test_every_delivered_row_is_invited_or_excluded_with_a_reason():
    rows = []
    questionnaires = RULES.fieldwork.collision_order
    for i in range(300):
        rows.append(
            (
                f"{1000 + i % 7} AB",
                i % 5,
                questionnaires[i % 6],
                "mijn_kwh" if i % 3 else "api",
                date(2025, 1, 1) + timedelta(days=i % 90),
            )
        )
    cands = delivered(*rows)
    hist = history(("1000 AB", 0, "reparaties", "api", "2024-12-30"))
    plan = plan_invitations(cands, hist, rules=RULES)
    assert sorted([*plan.invitations["row"], *plan.excluded["row"]]) == list(range(300))
    assert plan.excluded["reason"].notna().all()
    assert plan.excluded["reason_code"].notna().all()
    assert len(plan.invitations) > 0
    assert len(plan.excluded) > 0
    assert {"tenant_key", "invite_on"} <= set(plan.invitations.columns)


# --------------------------------------------------------------------------- telephone sample


@pytest.mark.parametrize(
    ("units", "questionnaire", "per_year", "yearly", "per_delivery"),
    [
        (2_500, "nieuwe_huurders", 12, None, None),  # "100%": every non-responder
        (2_501, "nieuwe_huurders", 12, 12, 1),
        (2_501, "nieuwe_huurders", 4, 12, 3),
        (10_000, "reparaties", 4, 36, 9),
        (10_001, "reparaties", 12, 36, 3),
        (20_001, "reparaties", 12, 60, 5),
        (20_001, "groot_onderhoud", 5, 48, 10),  # 9,6 rounded up
        (800, "algemene_waardering", 2, 24, 12),
    ],
)
def test_telephone_target(units, questionnaire, per_year, yearly, per_delivery):
    target = telephone_target(units, questionnaire, per_year, rules=RULES)
    assert (target.yearly, target.per_delivery) == (yearly, per_delivery)
    assert target.all_non_responders is (yearly is None)


def test_telephone_target_refuses_nonsense():
    with pytest.raises(ValueError, match="unknown questionnaire 'onderhoud'"):
        telephone_target(1000, "onderhoud", rules=RULES)
    with pytest.raises(ValueError, match="deliveries_per_year must be at least 1"):
        telephone_target(1000, "reparaties", 0, rules=RULES)


def test_telephone_sample_is_deterministic_and_sized():
    frame = pd.DataFrame({"tenant": [f"T{i}" for i in range(100)]})
    target = TelephoneTarget("reparaties", 10_000, 36, 9, 4)
    a = select_telephone_sample(frame, target, seed=7)
    b = select_telephone_sample(frame, target, seed=7)
    c = select_telephone_sample(frame, target, seed=8)
    assert len(a) == 9
    assert a.equals(b)
    assert not a.equals(c)
    assert a.index.is_monotonic_increasing  # original order kept
    assert len(select_telephone_sample(frame, None, seed=1)) == 100
    assert len(select_telephone_sample(frame.head(5), 9, seed=1)) == 5
    assert (
        len(select_telephone_sample(frame, telephone_target(2000, "vertrokken_huurders", rules=RULES), seed=1)) == 100
    )
