"""Fieldwork planning (docs/methodology.md §8, §5): deadlines, timeline, invitation list, telephone sample.

Delivery deadline (§8)
    The first Wednesday of the month, unless that is the 1st–4th; then the Wednesday after
    (8th–11th). A first Wednesday on the 5th–7th stays. Example: January 2025 (first Wednesday
    the 1st) -> 8 January; February 2025 (the 5th) -> 5 February.

Mijn KWH timeline (§8 and the FAQ's "Tijdslijn")
    Week 0 is the Monday–Sunday week holding the deadline; week *k* is the *k*-th week after it.
    - invitation by e-mail: Tuesday of week 1 (the Tuesday after the deadline);
    - reminder: Monday of week 2;
    - telephone for tenants without e-mail: from Tuesday of week 1;
    - telephone for non-responders: from Wednesday of week 2;
    - **Decision:** fieldwork ends at the end of week 4, i.e. on its **Sunday** (deadline + 32
      days for a Wednesday deadline); the last telephone day is that week's Saturday.
    A file uploaded on day *d* belongs to the round of the first deadline on or after *d*.
    Automatic (API) deliveries: invitation the day after delivery.

Invitation list (§8): :func:`plan_invitations`
    Every delivered tenant is a candidate with an invitation date (above). Candidates are taken
    in order of invitation date, then the collision order ``fieldwork.collision_order`` (rules),
    then delivery order; each is checked against the invitation history (``history``) and the
    invitations already planned, and excluded by the first rule that applies:

    ===============================  ===================================================
    code                             rule
    ===============================  ===================================================
    ``blokkade_<reden>``             blocked address (postcode + huisnummer, all studies of
                                     the corporation): ``wil_niet_meedoen`` 3 years,
                                     ``overleden`` 1 year, ``foutief_in_bestand`` 1 month
                                     (``fieldwork.blocking``)
    ``dubbel_aangeleverd``           the same tenant twice for the same questionnaire and
                                     invitation date
    ``zelfde_vragenlijst``           the same questionnaire within 2 months of an invitation
                                     (``same_questionnaire_months``)
    ``algemene_waardering_max``      Algemene waardering already twice this calendar year
                                     (``algemene_waardering_max_per_year``)
    ``een_per_ronde``                one questionnaire per tenant per Mijn KWH round, except that
                                     Nieuwe and Vertrokken huurders may both be sent
    ``api_rustperiode``              within 14 days of an invitation, when either that invitation
                                     or this one comes from an automatic (API) delivery
                                     (``api_quiet_days``)
    ===============================  ===================================================

    **Decisions (boundaries).** Periods are calendar periods, start day included, end day
    excluded: an invitation on day *p* blocks the same questionnaire on days *p* … *p* + 2
    months − 1 day; on *p* + 2 months it is allowed again (15 January -> allowed from 15 March).
    Likewise the API quiet period covers *p* … *p* + 13 days, and a block registered on day *b*
    covers *b* … *b* + 3 years / 1 year / 1 month − 1 day (an invitation before *b* is not
    blocked). Month arithmetic clips to the month's end (31 January + 1 month = 28/29 February).
    Only invitations on or before the candidate's date count. "Twice a year" counts
    invitations in the candidate's calendar year. A Mijn KWH round is identified by its
    invitation date.

Tenant key
    ``postcode`` (upper case, no spaces) + ``huisnummer`` + ``toevoeging`` (lower case, no
    spaces); blocking uses postcode + huisnummer only. When the delivered frame has a
    ``corporation_id`` column the keys are per corporation (history and blocks must then have
    it too); otherwise the frames are taken to hold one corporation.

Telephone sample (§5): :func:`telephone_target`, :func:`select_telephone_sample`
    The quota table ``representativeness.telephone_quota`` gives per size class (rental units,
    inclusive upper bounds) and questionnaire a yearly number of telephone interviews or
    ``all`` (every non-responder). **Decision:** the per-delivery target is the yearly number
    divided by the deliveries per year, rounded up; the sample is drawn uniformly at random
    without replacement with a seed, so the same seed gives the same tenants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

from kwh_calc.common.numbers import MONTHS_NL, MONTHS_NL_SHORT
from kwh_calc.intake.rules import QUESTIONNAIRES, Rules, load_rules

__all__ = [
    "InvitationPlan",
    "RoundSchedule",
    "TelephoneTarget",
    "address_key",
    "api_invitation_date",
    "delivery_deadline",
    "delivery_deadlines",
    "fieldwork_calendar",
    "fmt_date_nl",
    "invitation_date",
    "mijn_kwh_schedule",
    "plan_invitations",
    "round_deadline",
    "select_telephone_sample",
    "telephone_target",
    "tenant_key",
]

WEDNESDAY = 2
CHANNELS = ("mijn_kwh", "api")
WEEKDAYS_NL = ("ma", "di", "wo", "do", "vr", "za", "zo")
BLOCK_LABELS = {
    "wil_niet_meedoen": "wil niet meedoen",
    "overleden": "overleden",
    "foutief_in_bestand": "foutief in bestand",
}
PAIR_ALLOWED = frozenset({"nieuwe_huurders", "vertrokken_huurders"})


# --------------------------------------------------------------------------- dates


def _as_date(value) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def fmt_date_nl(day) -> str:
    """Dutch short date with weekday: ``wo 8 jan 2025``."""
    day = _as_date(day)
    return f"{WEEKDAYS_NL[day.weekday()]} {day.day} {MONTHS_NL_SHORT[day.month - 1]} {day.year}"


def delivery_deadline(year: int, month: int) -> date:
    """Mijn KWH delivery deadline of a month (docs/methodology.md §8.1).

    The first Wednesday of the month, unless that falls on the 1st–4th: then the Wednesday
    after it (the 8th–11th). A first Wednesday on the 5th–7th is the deadline itself.
    """
    first = date(year, month, 1)
    wednesday = first + timedelta(days=(WEDNESDAY - first.weekday()) % 7)
    return wednesday + timedelta(days=7) if wednesday.day <= 4 else wednesday


def delivery_deadlines(year: int) -> list[date]:
    """The twelve delivery deadlines of a year, January to December."""
    return [delivery_deadline(year, month) for month in range(1, 13)]


def round_deadline(delivered_on) -> date:
    """Deadline of the Mijn KWH round a file uploaded on ``delivered_on`` belongs to.

    The first deadline on or after the upload day (uploading early is allowed, FAQ).
    """
    day = _as_date(delivered_on)
    deadline = delivery_deadline(day.year, day.month)
    if day <= deadline:
        return deadline
    nxt = date(day.year, day.month, 1) + relativedelta(months=1)
    return delivery_deadline(nxt.year, nxt.month)


@dataclass(frozen=True)
class RoundSchedule:
    """Dates of one Mijn KWH round (module docstring: week 0 holds the deadline)."""

    deadline: date
    invitation: date
    reminder: date
    phone_no_email: date
    phone_non_responders: date
    fieldwork_end: date

    def as_dict(self) -> dict[str, date]:
        """The dates by field name."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def mijn_kwh_schedule(deadline) -> RoundSchedule:
    """Timeline of a Mijn KWH round with the given deadline (docs/methodology.md §8.2).

    Invitation Tuesday of week 1, reminder Monday of week 2, telephone without e-mail from
    Tuesday of week 1, telephone for non-responders from Wednesday of week 2, end of
    fieldwork Sunday of week 4 (Decision).
    """
    deadline = _as_date(deadline)
    week0 = deadline - timedelta(days=deadline.weekday())

    def day(week: int, weekday: int) -> date:
        return week0 + timedelta(days=7 * week + weekday)

    return RoundSchedule(
        deadline=deadline,
        invitation=day(1, 1),
        reminder=day(2, 0),
        phone_no_email=day(1, 1),
        phone_non_responders=day(2, 2),
        fieldwork_end=day(4, 6),
    )


def api_invitation_date(delivered_on) -> date:
    """Invitation date of an automatic (API) delivery: the day after delivery (docs/methodology.md §8.3)."""
    return _as_date(delivered_on) + timedelta(days=1)


def invitation_date(channel: str, delivered_on) -> date:
    """Invitation date of a delivery: API the next day; Mijn KWH the Tuesday after its round's deadline."""
    if channel == "api":
        return api_invitation_date(delivered_on)
    if channel == "mijn_kwh":
        return mijn_kwh_schedule(round_deadline(delivered_on)).invitation
    raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")


def fieldwork_calendar(year: int) -> pd.DataFrame:
    """The year's Mijn KWH rounds: one row per month with all timeline dates.

    Columns: ``month`` (1–12), ``month_name`` (Dutch), then the :class:`RoundSchedule` fields
    (``deadline``, ``invitation``, ``reminder``, ``phone_no_email``, ``phone_non_responders``,
    ``fieldwork_end``) as ``datetime.date``.
    """
    rows = []
    for month, deadline in enumerate(delivery_deadlines(year), start=1):
        rows.append({"month": month, "month_name": MONTHS_NL[month - 1], **mijn_kwh_schedule(deadline).as_dict()})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- keys


def _norm_number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def address_key(postcode, huisnummer) -> str:
    """Blocking key: postcode (upper case, no spaces) + huisnummer, e.g. ``1234AB|12``."""
    return f"{_norm_number(postcode).upper().replace(' ', '')}|{_norm_number(huisnummer)}"


def tenant_key(postcode, huisnummer, toevoeging=None) -> str:
    """De-duplication key: postcode + huisnummer + toevoeging, e.g. ``1234AB|12|a``."""
    addition = "".join(ch for ch in _norm_number(toevoeging) if ch not in " -")
    return f"{address_key(postcode, huisnummer)}|{addition}"


def _keys(frame: pd.DataFrame, scoped: bool, name: str, with_addition: bool = True) -> list[str]:
    missing = [c for c in ("postcode", "huisnummer") if c not in frame.columns]
    if scoped and "corporation_id" not in frame.columns:
        missing.append("corporation_id")
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
    additions = frame["toevoeging"] if with_addition and "toevoeging" in frame.columns else [None] * len(frame)
    scope = frame["corporation_id"].astype(str) if scoped else [""] * len(frame)
    if with_addition:
        return [
            f"{s}#{tenant_key(p, h, t)}"
            for s, p, h, t in zip(scope, frame["postcode"], frame["huisnummer"], additions, strict=True)
        ]
    return [f"{s}#{address_key(p, h)}" for s, p, h in zip(scope, frame["postcode"], frame["huisnummer"], strict=True)]


# --------------------------------------------------------------------------- invitation list


@dataclass
class InvitationPlan:
    """Result of :func:`plan_invitations`.

    Attributes
    ----------
    invitations : the delivered rows that are invited, with ``tenant_key`` and ``invite_on``.
    excluded : the delivered rows that are not, with ``tenant_key``, ``invite_on``,
        ``reason_code`` (module docstring) and ``reason`` (Dutch label).
    """

    invitations: pd.DataFrame
    excluded: pd.DataFrame


@dataclass
class _Invite:
    on: date
    questionnaire: str
    channel: str
    planned: bool  # True: planned in this run; False: from the history


def plan_invitations(
    delivered: pd.DataFrame,
    history: pd.DataFrame | None = None,
    blocks: pd.DataFrame | None = None,
    rules: Rules | None = None,
) -> InvitationPlan:
    """The invitation list after blocking and de-duplication (docs/methodology.md §8.5).

    Parameters
    ----------
    delivered : delivered tenants, one row per tenant per file: ``postcode``, ``huisnummer``,
        optional ``toevoeging``, ``questionnaire`` (key), ``channel`` (``mijn_kwh``/``api``),
        ``delivered_on`` (date); optional ``corporation_id``; other columns are carried along.
    history : invitations already sent: ``postcode``, ``huisnummer``, optional ``toevoeging``,
        ``questionnaire``, ``channel``, ``invited_on``.
    blocks : blocked addresses: ``postcode``, ``huisnummer``, ``reason`` (a key of
        ``fieldwork.blocking``: ``wil_niet_meedoen``, ``overleden``, ``foutief_in_bestand``),
        ``blocked_on``.
    rules : rule set (``fieldwork`` section); default ``params/rules.yml``.

    Returns
    -------
    InvitationPlan
        Invited and excluded rows (with reason), each sorted by invitation date, collision
        order and delivery order. Every delivered row is in exactly one of the two.
    """
    rules = rules if rules is not None else load_rules()
    fw = rules.fieldwork
    order = {q: i for i, q in enumerate(fw.collision_order)}
    for column in ("questionnaire", "channel", "delivered_on"):
        if column not in delivered.columns:
            raise ValueError(f"delivered: missing column {column}")
    unknown = set(delivered["questionnaire"]) - set(QUESTIONNAIRES)
    if unknown:
        raise ValueError(f"delivered: unknown questionnaire(s) {', '.join(sorted(map(str, unknown)))}")
    scoped = "corporation_id" in delivered.columns

    frame = delivered.copy()
    frame["tenant_key"] = _keys(delivered, scoped, "delivered")
    addresses = _keys(delivered, scoped, "delivered", with_addition=False)
    frame["invite_on"] = [invitation_date(c, d) for c, d in zip(frame["channel"], frame["delivered_on"], strict=True)]
    ranks = [order.get(q, len(order)) for q in frame["questionnaire"]]
    invite_days = list(frame["invite_on"])
    sequence = sorted(range(len(frame)), key=lambda i: (invite_days[i], ranks[i], i))

    invites: dict[str, list[_Invite]] = {}
    if history is not None and len(history):
        for key, q, ch, on in zip(
            _keys(history, scoped, "history"),
            history["questionnaire"],
            history["channel"],
            history["invited_on"],
            strict=True,
        ):
            invites.setdefault(key, []).append(_Invite(_as_date(on), q, ch, False))
    blocked: dict[str, list[tuple[date, date, str]]] = {}
    if blocks is not None and len(blocks):
        for key, reason, on in zip(
            _keys(blocks, scoped, "blocks", with_addition=False), blocks["reason"], blocks["blocked_on"], strict=True
        ):
            if reason not in fw.blocking:
                raise ValueError(f"blocks: unknown reason {reason!r}; expected one of {', '.join(fw.blocking)}")
            period = fw.blocking[reason]
            start = _as_date(on)
            blocked.setdefault(key, []).append(
                (start, start + relativedelta(years=period.years, months=period.months), reason)
            )

    same_q = relativedelta(months=fw.same_questionnaire_months)
    quiet = timedelta(days=fw.api_quiet_days)
    aw_max = fw.algemene_waardering_max_per_year
    codes: list[tuple[str, str] | None] = [None] * len(frame)
    keys, questionnaires = list(frame["tenant_key"]), list(frame["questionnaire"])
    channels, days = list(frame["channel"]), list(frame["invite_on"])
    for i in sequence:
        key, q, channel, day = keys[i], questionnaires[i], channels[i], days[i]
        earlier = [p for p in invites.get(key, ()) if p.on <= day]
        verdict: tuple[str, str] | None = None
        for start, end, reason in blocked.get(addresses[i], ()):
            if start <= day < end:
                verdict = (f"blokkade_{reason}", f"geblokkeerd: {BLOCK_LABELS.get(reason, reason)}")
                break
        if verdict is None and any(p.planned and p.on == day and p.questionnaire == q for p in earlier):
            verdict = ("dubbel_aangeleverd", "dubbel aangeleverd (zelfde vragenlijst, zelfde ronde)")
        if verdict is None and any(p.questionnaire == q and day < p.on + same_q for p in earlier):
            verdict = (
                "zelfde_vragenlijst",
                f"zelfde vragenlijst binnen {fw.same_questionnaire_months} maanden na een uitnodiging",
            )
        if verdict is None and q == "algemene_waardering":
            this_year = sum(1 for p in earlier if p.questionnaire == q and p.on.year == day.year)
            if this_year >= aw_max:
                verdict = ("algemene_waardering_max", f"Algemene waardering al {aw_max} keer dit jaar")
        if verdict is None and channel == "mijn_kwh":
            for p in earlier:
                if (
                    p.channel == "mijn_kwh"
                    and p.on == day
                    and p.questionnaire != q
                    and not ({p.questionnaire, q} <= PAIR_ALLOWED)
                ):
                    verdict = ("een_per_ronde", "al een andere vragenlijst in deze aanleverronde")
                    break
        if verdict is None:
            for p in earlier:
                if (p.channel == "api" or channel == "api") and day < p.on + quiet:
                    verdict = (
                        "api_rustperiode",
                        f"binnen {fw.api_quiet_days} dagen na een uitnodiging (automatische aanlevering)",
                    )
                    break
        if verdict is None:
            invites.setdefault(key, []).append(_Invite(day, q, channel, True))
        else:
            codes[i] = verdict

    ordered = frame.iloc[sequence]
    keep = [codes[i] is None for i in sequence]
    invitations = ordered[keep].copy()
    excluded = ordered[[not k for k in keep]].copy()
    excluded["reason_code"] = [code[0] for i in sequence if (code := codes[i]) is not None]
    excluded["reason"] = [code[1] for i in sequence if (code := codes[i]) is not None]
    return InvitationPlan(invitations=invitations, excluded=excluded)


# --------------------------------------------------------------------------- telephone sample


@dataclass(frozen=True)
class TelephoneTarget:
    """Telephone interviews for one corporation and questionnaire (docs/methodology.md §8.9).

    ``yearly`` and ``per_delivery`` are ``None`` when the quota is ``all`` non-responders.
    """

    questionnaire: str
    units: int
    yearly: int | None
    per_delivery: int | None
    deliveries_per_year: int

    @property
    def all_non_responders(self) -> bool:
        """True when every non-responder is to be phoned (quota ``all``, "100%")."""
        return self.yearly is None


def telephone_target(
    units: int, questionnaire: str, deliveries_per_year: int = 12, rules: Rules | None = None
) -> TelephoneTarget:
    """Yearly and per-delivery telephone target by the quota table (docs/methodology.md §5.6).

    Parameters
    ----------
    units : the corporation's rental units (verhuureenheden).
    questionnaire : questionnaire key.
    deliveries_per_year : deliveries of this questionnaire per year (12 monthly, 4 quarterly …).

    Returns
    -------
    TelephoneTarget
        ``per_delivery = ceil(yearly / deliveries_per_year)`` (Decision), or both ``None`` for
        ``all``.
    """
    if questionnaire not in QUESTIONNAIRES:
        raise ValueError(f"unknown questionnaire {questionnaire!r}")
    if deliveries_per_year < 1:
        raise ValueError("deliveries_per_year must be at least 1")
    if units < 0:
        raise ValueError("units must not be negative")
    rules = rules if rules is not None else load_rules()
    for row in rules.representativeness.telephone_quota:
        if row.max_units is None or units <= row.max_units:
            quota = (row.model_extra or {}).get(questionnaire)
            break
    else:  # pragma: no cover - the table ends with an open class
        raise ValueError(f"no telephone quota row for {units} units")
    if quota is None:
        raise ValueError(f"telephone quota table has no column {questionnaire!r}")
    if isinstance(quota, str) and quota.strip().lower() == "all":
        return TelephoneTarget(questionnaire, units, None, None, deliveries_per_year)
    yearly = int(quota)
    return TelephoneTarget(questionnaire, units, yearly, math.ceil(yearly / deliveries_per_year), deliveries_per_year)


def select_telephone_sample(
    non_responders: pd.DataFrame, target: TelephoneTarget | int | None, seed: int
) -> pd.DataFrame:
    """Draw the tenants to phone from the non-responders of one delivery, deterministically.

    Parameters
    ----------
    non_responders : the tenants eligible for a call (one row each).
    target : a :class:`TelephoneTarget` (its ``per_delivery``), a number, or ``None`` for all.
    seed : random seed; the same seed and input give the same sample.

    Returns
    -------
    pandas.DataFrame
        ``min(n, len(non_responders))`` rows drawn uniformly without replacement, in their
        original order; all rows when the target is ``all``.
    """
    n = target.per_delivery if isinstance(target, TelephoneTarget) else target
    if n is None or n >= len(non_responders):
        return non_responders.copy()
    if n < 0:
        raise ValueError("the sample size must not be negative")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(non_responders), size=int(n), replace=False))
    return non_responders.iloc[chosen].copy()
