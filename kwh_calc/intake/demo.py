"""The synthetic national demo dataset: a research dataset (docs/data-contract.md) that looks like the real one.

:func:`generate_demo` builds the docs/data-contract.md tables (``removals`` and ``open_answers``
included) for ``corporations`` synthetic housing corporations over two research years, Y−1 and
Y (service months January Y−1 … December Y, so that the Aedes period September Y−1 – July Y
and trends work), plus three earlier years of CKV
decisions in ``label_history``. Everything is synthetic: corporations are called
"Woonstichting Demo 001" and the like (ids ``C001`` …), contractors "Aannemer A" …, districts
"Wijk Noord" …; no real corporation or person appears.

Shape (default 250 corporations)
--------------------------------
- rental units log-normal (median ≈ 3.500, a few hundred to ≈ 90.000), the 12 provinces as
  region, urbanisation 1–5 (larger corporations are more urban), ≈ 90% Aedes members;
- ≈ 1.000 respondents per corporation per year (≈ 250.000 a year nationally, linear in the
  number of corporations), spread over the six questionnaires by corporation size;
  ≈ 8 answers per respondent (≈ 4 million answer rows for two years), ≈ 5% unanswered;
- grades 1–10 around the published national averages (≈ 7,7; Vertrokken huurders ≈ 7,5) with
  corporation and component effects;
- delivery schedules per corporation and questionnaire: monthly (Mijn KWH), quarterly,
  twice a year, or automatic (API, monthly batches); Algemene waardering once or twice a
  year as a one-month sample; Groot onderhoud for ≈ 60% of corporations;
- telephone interviews 15–30% (more for small corporations), anonymity lifted ≈ 70%;
- checkvraag (Reparaties) for ≈ 60% of corporations, ≈ 20% answer 3, ≈ 3% answer 4.

Scenarios: which corporation exercises which outcome
----------------------------------------------------
Every corporation has a *scenario*; the generator enforces it (label-question grades of the
components concerned are steered until the exact score and percentage satisfied meet the
scenario's target), so the expected advice for year Y is known for any seed. Use
:func:`demo_scenarios` (cheap: no respondents are generated) or
:func:`generate_demo_with_scenarios` to find e.g. "a corporation that fails on percentage
satisfied". Expected advice follows docs/methodology.md §3.

=========================  ======================  =========================================
scenario                   expected advice (Y)     what is built
=========================  ======================  =========================================
normaal                    verlengen / toekennen   all components pass (score ≥ 7,1 and
                                                   ≥ 86% satisfied), full coverage
zwak                       niet_verlengen, …       one random label component scores ≤ 6,8
                                                   (≈ 7% of the remaining corporations;
                                                   a third also failed Y−1 → verloopt)
onvoldoende_score          niet_verlengen          Reparaties score ≤ 6,8, ≥ 110 respondents
onvoldoende_tevreden       niet_verlengen          Nieuwe huurders score ≥ 7,1 but ≤ 83%
                                                   satisfied (bimodal grades)
grensgeval                 niet_verlengen          Reparaties 6,95 ≤ score < 7,0 (prints as
                                                   7,0: borderline)
lage_respons               ckv_beslist             Vertrokken huurders: 12 respondents,
                                                   score ≤ 6,8 (below the minimum of 20)
halfjaarlijks              niet_verlengen          quarterly components delivered twice a
                                                   year in Y (6-month periods): coverage fail
kwartaal_ontbreekt         niet_verlengen          quarterly schedule; Vertrokken huurders
                                                   has no delivery for Q3 of Y
geen_algemene_waardering   niet_verlengen          no Algemene waardering delivery in Y
geen_onderhoud             ckv_beslist             no Planmatig onderhoud delivery in Y
verloopt                   verloopt                valid label, Y−1 failed (Reparaties), Y
                                                   fails again on Reparaties score
label_verlopen             toekennen               label expired (valid_until Y-03-31 after
                                                   "verloopt" on Y−1); passes Y
zonder_label               niet_toekennen          never held the label; Nieuwe huurders
                                                   score ≤ 6,8 in Y
nieuw_lid_route_b          toekennen               member_since 1 July Y; first delivery per
                                                   quarterly component covers Jan–Jun Y
                                                   (route b), then monthly; passes
nieuw_lid                  nog_niet_beoordeelbaar  member_since 1 August Y, data from August
fusie                      toekennen               merged corporation (merged_from "Cx;Cy",
                                                   merged_on 1 July Y = member_since), own
                                                   data from July Y; passes (predecessors'
                                                   first half year included)
fusie_voorganger           geen_advies             predecessor: data until June Y
=========================  ======================  =========================================

The special scenarios are given out in the order of the table above (after ``normaal`` and
``zwak``) until the corporations run out; from 18 corporations on every scenario is present.
``zwak`` goes to ≈ 7% (at least one) of the corporations left after the special scenarios.

Removals
--------
The ``removals`` register (docs/data-contract.md) comes on top of the delivered data and the scenarios,
which describe the delivered grades: one ``zwak`` corporation has its failing component's
lowest-graded respondents removed until it passes (so the register changes its advice; the
scenario table of :func:`generate_demo_with_scenarios` gives the advice after removal; C043 in
the default demo, none at 30 corporations), two ``normaal`` corporations have
removals that change nothing (C001: 2 Reparaties and 1 Algemene waardering in Y, 1 in Y−1).
See :func:`_removals`.

Label history
-------------
Three years Y−3, Y−2, Y−1 per corporation with a membership before Y (not for new members and
the merged corporation), following the docs/methodology.md §3.7 state machine: a corporation either held
a label before Y−3 (≈ 85%) or not; ``toekennen``/``verlengen`` set ``valid_until`` to
R+3-03-31 for research year R, ``niet_verlengen`` keeps the current end, ``verloopt`` ends
the label at R+1-03-31, ``niet_toekennen`` has no ``valid_until``. A Y−1 failure in the
history is matched by a failing Reparaties score in the Y−1 data.

Determinism: the same (corporations, year, seed) always gives identical tables; the plan
(corporations, schedules, scenarios) and each data stage draw from their own random stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl.utils import get_column_letter

from kwh_calc.intake.rules import QUESTIONNAIRES, Rules, load_rules

__all__ = [
    "QUESTION_BANK",
    "SCENARIOS",
    "demo_scenarios",
    "generate_demo",
    "generate_demo_with_scenarios",
]

# --------------------------------------------------------------------------- constants

Q_NH, Q_VH, Q_RE, Q_PO, Q_GO, Q_AW = range(6)  # indices into QUESTIONNAIRES
LABEL_COMPONENTS = (Q_NH, Q_VH, Q_RE, Q_PO)
QUARTERLY_COMPONENTS = (Q_NH, Q_VH, Q_RE)
MIN_RESPONDENTS = {Q_NH: 20, Q_VH: 20, Q_RE: 50, Q_PO: 50}
ABBREVIATION = ("NH", "VH", "RE", "PO", "GO", "AW")

# (question_id, Dutch text, label_question, aedes_question, effect on the grade)
QUESTION_BANK: dict[str, list[tuple[str, str, bool, bool, float]]] = {
    "nieuwe_huurders": [
        ("NH01", "Wat vindt u van de informatie over het zoeken naar een woning?", True, False, -0.10),
        ("NH02", "Wat vindt u van de bezichtiging van de woning?", True, False, 0.15),
        ("NH03", "Wat vindt u van het tekenen van het huurcontract?", True, False, 0.35),
        ("NH04", "Wat vindt u van de staat van de woning bij oplevering?", True, False, -0.45),
        ("NH05", "Wat vindt u van de sleuteloverdracht?", True, False, 0.30),
        ("NH06", "Wat vindt u van de bereikbaarheid van de corporatie in deze periode?", True, False, -0.20),
        (
            "NH07",
            "Welk rapportcijfer geeft u de corporatie voor de hele periode van zoeken tot het krijgen van de sleutel?",
            False,
            True,
            0.00,
        ),
        ("NH08", "Wat vindt u van de afhandeling van opleverpunten na de verhuizing?", False, False, -0.60),
        ("NH09", "Wat vindt u van de woonomgeving van uw nieuwe woning?", False, False, 0.10),
    ],
    "vertrokken_huurders": [
        ("VH01", "Wat vindt u van de manier waarop u de huur kon opzeggen?", True, False, 0.30),
        ("VH02", "Wat vindt u van de informatie over de voorinspectie?", True, False, -0.05),
        ("VH03", "Wat vindt u van de voorinspectie van de woning?", True, False, -0.10),
        ("VH04", "Wat vindt u van de eindinspectie van de woning?", True, False, -0.15),
        ("VH05", "Wat vindt u van de eindafrekening en de terugbetaling van de borg?", True, False, -0.25),
        ("VH06", "Wat vindt u van de bejegening door de medewerkers?", True, False, 0.25),
        ("VH07", "Welk rapportcijfer geeft u de corporatie voor het hele proces rond uw vertrek?", False, True, 0.00),
        ("VH08", "Wat vond u van uw woning in de tijd dat u er woonde?", False, False, -0.10),
    ],
    "reparaties": [
        ("RE01", "Wat vindt u van het melden van de reparatie?", True, False, 0.10),
        ("RE02", "Wat vindt u van het maken van de afspraak?", True, False, 0.05),
        ("RE03", "Wat vindt u van de tijd tussen het melden en het uitvoeren van de reparatie?", True, False, -0.55),
        ("RE04", "Wat vindt u van de vakkundigheid van de reparateur?", True, False, 0.30),
        ("RE05", "Wat vindt u van de bejegening door de reparateur?", True, False, 0.45),
        ("RE06", "Wat vindt u van het resultaat van de reparatie?", True, False, -0.10),
        (
            "RE07",
            (
                "Wat vindt u van wat ze voor u hebben gedaan vanaf het moment dat u de reparatie heeft gemeld? "
                "Geef een rapportcijfer."
            ),
            False,
            True,
            0.00,
        ),
        ("RE08", "Wat vindt u van het opruimen na afloop van de werkzaamheden?", False, False, 0.05),
    ],
    "planmatig_onderhoud": [
        ("PO01", "Wat vindt u van de informatie vooraf over de werkzaamheden?", True, False, -0.10),
        ("PO02", "Wat vindt u van de planning en het nakomen van afspraken?", True, False, -0.30),
        ("PO03", "Wat vindt u van de bejegening door de uitvoerders?", True, False, 0.35),
        ("PO04", "Wat vindt u van de kwaliteit van het uitgevoerde werk?", True, False, 0.05),
        ("PO05", "Wat vindt u van de oplevering en het opruimen na afloop?", True, False, -0.05),
        ("PO06", "Welk rapportcijfer geeft u uw woning na het onderhoud?", False, True, -0.10),
        ("PO07", "Wat vindt u van de bereikbaarheid van de aannemer tijdens de werkzaamheden?", False, False, -0.35),
    ],
    "groot_onderhoud": [
        ("GO01", "Wat vindt u van de informatie vooraf over de renovatie?", True, False, -0.05),
        ("GO02", "Wat vindt u van de inspraak bij de plannen?", True, False, -0.40),
        ("GO03", "Wat vindt u van de begeleiding tijdens de werkzaamheden?", True, False, 0.10),
        ("GO04", "Wat vindt u van de overlast tijdens de werkzaamheden?", True, False, -0.60),
        ("GO05", "Wat vindt u van de kwaliteit van het uitgevoerde werk?", True, False, 0.15),
        ("GO06", "Wat vindt u van het wooncomfort na de werkzaamheden?", True, False, 0.40),
        ("GO07", "Wat vindt u van de energiebesparende maatregelen?", False, False, 0.20),
        ("GO08", "Welk rapportcijfer geeft u uw woning na de renovatie?", False, False, 0.25),
    ],
    "algemene_waardering": [
        ("AW01", "Wat vindt u van de prijs-kwaliteitverhouding van uw woning?", True, False, -0.20),
        ("AW02", "Wat vindt u van de kwaliteit van uw woning?", True, False, -0.05),
        ("AW03", "Wat vindt u van de dienstverlening van de corporatie?", True, False, 0.10),
        ("AW04", "Wat vindt u van de bereikbaarheid van de corporatie?", True, False, 0.00),
        ("AW05", "Wat vindt u van de informatie die u van de corporatie krijgt?", True, False, 0.05),
        ("AW06", "Wat vindt u van uw woonomgeving?", False, False, 0.10),
        ("AW07", "Hoe veilig voelt u zich in uw buurt? Geef een rapportcijfer.", False, False, 0.00),
        ("AW08", "Welk rapportcijfer geeft u de corporatie als geheel?", False, False, 0.00),
    ],
}

# Mean latent grade per questionnaire (before corporation effects, rounding and clipping).
BASE_GRADE = (7.85, 7.65, 7.85, 7.7, 7.65, 7.6)
UNHAPPY_SHARE, UNHAPPY_GRADE = 0.05, 4.2  # a small group of very dissatisfied tenants
# Respondents per rental unit per year (relative; scaled to ≈ 1.000 per corporation per year).
RATE_PER_UNIT = (0.013, 0.010, 0.050, 0.013, 0.006, 0.0)
AW_BASE, AW_PER_UNIT, AW_MAX = 45.0, 0.012, 400.0
RESPONDENTS_PER_CORPORATION_YEAR = 1000

PROVINCES = (
    ("Groningen", 0.04),
    ("Fryslân", 0.04),
    ("Drenthe", 0.03),
    ("Overijssel", 0.07),
    ("Flevoland", 0.03),
    ("Gelderland", 0.12),
    ("Utrecht", 0.07),
    ("Noord-Holland", 0.16),
    ("Zuid-Holland", 0.20),
    ("Zeeland", 0.03),
    ("Noord-Brabant", 0.14),
    ("Limburg", 0.07),
)
NAME_PREFIXES = ("Woonstichting", "Woningcorporatie", "Wooncorporatie", "Stichting Wonen", "Woonpartners")
DISTRICTS = ("Wijk Noord", "Wijk Oost", "Wijk Zuid", "Wijk West", "Wijk Centrum", "Buitengebied")
OFFICES = ("Kantoor Centrum", "Kantoor Noord", "Kantoor Zuid")
BUILDING_TYPES = ("Eengezinswoning", "Appartement", "Seniorenwoning", "Studentenwoning")
CONTRACTORS_PER_REGION = 4

# scenario -> (component or None, description)
SCENARIOS: dict[str, tuple[str | None, str]] = {
    "normaal": (None, "all components pass, full coverage"),
    "zwak": (None, "one label component fails on score (natural weak result)"),
    "onvoldoende_score": ("reparaties", "Reparaties score below 7,0 with enough respondents"),
    "onvoldoende_tevreden": ("nieuwe_huurders", "Nieuwe huurders score >= 7,0 but fewer than 85% satisfied"),
    "geen_algemene_waardering": ("algemene_waardering", "no Algemene waardering delivery in Y"),
    "halfjaarlijks": (None, "quarterly components delivered twice a year in Y: coverage fail"),
    "lage_respons": ("vertrokken_huurders", "Vertrokken huurders fails with 12 respondents (< 20): CKV decides"),
    "nieuw_lid_route_b": (None, "new member 1 July Y, first delivery reaching back 6 months (route b)"),
    "nieuw_lid": (None, "new member 1 August Y without a delivery reaching back: not yet assessable"),
    "fusie": (None, "merged corporation (merger 1 July Y), predecessors' first half year counts"),
    "fusie_voorganger": (None, "predecessor of a merger on 1 July Y: no advice of its own"),
    "verloopt": ("reparaties", "valid label, Y-1 failed, Y fails again: label expires"),
    "kwartaal_ontbreekt": ("vertrokken_huurders", "quarterly deliveries, Q3 of Y missing: coverage fail"),
    "geen_onderhoud": ("planmatig_onderhoud", "no Planmatig onderhoud delivery in Y: CKV decides"),
    "grensgeval": ("reparaties", "Reparaties score 6,95 <= score < 7,0 (borderline, prints as 7,0)"),
    "label_verlopen": (None, "label expired after Y-1 (valid_until Y-03-31); passes Y: granted again"),
    "zonder_label": ("nieuwe_huurders", "never held the label; Nieuwe huurders score below 7,0"),
}
# Order in which the special scenarios are given out, with the size of corporation they need.
_SPECIAL_ORDER = (
    ("onvoldoende_score", "large"),
    ("onvoldoende_tevreden", "large"),
    ("geen_algemene_waardering", "any"),
    ("halfjaarlijks", "any"),
    ("lage_respons", "small"),
    ("nieuw_lid_route_b", "small"),
    ("nieuw_lid", "small"),
    ("fusie", "mid"),
    ("verloopt", "large"),
    ("kwartaal_ontbreekt", "any"),
    ("geen_onderhoud", "any"),
    ("grensgeval", "large"),
    ("label_verlopen", "any"),
    ("zonder_label", "mid"),
)
_HARD_FAIL = {
    "zwak",
    "onvoldoende_score",
    "onvoldoende_tevreden",
    "grensgeval",
    "halfjaarlijks",
    "kwartaal_ontbreekt",
    "geen_algemene_waardering",
    "verloopt",
    "zonder_label",
}
_CKV = {"lage_respons", "geen_onderhoud"}

# Targets for a component's label-question results: (score_min, score_max, pct_min, pct_max);
# bounds are inclusive and chosen with a margin so that the exact value is on the right side.
TARGETS = {
    "pass": (7.1, None, 86.0, None),
    "fail_score": (None, 6.8, None, None),
    "fail_pct": (7.1, None, None, 83.0),
    "borderline": (6.9505, 6.9995, 86.0, None),
}
_FAIL_MU = {"fail_score": 6.45, "borderline": 6.98}


# --------------------------------------------------------------------------- the plan


@dataclass
class _Plan:
    """Everything decided before respondents are drawn (cheap; also the scenario table)."""

    year: int
    ids: list[str]
    units: np.ndarray
    region: np.ndarray
    urbanisation: np.ndarray
    aedes: np.ndarray
    member_since: list[str]
    names: list[str]
    merged_from: list[str | None]
    merged_on: list[str | None]
    scenario: list[str]
    component: list[str | None]
    # schedule per (corporation, questionnaire, year index 0 = Y-1 / 1 = Y); None = no deliveries
    schedule: dict[tuple[int, int, int], str | None] = field(default_factory=dict)
    aw_months: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    first_month: np.ndarray | None = None  # first service month index (0 = January Y-1)
    last_month: np.ndarray | None = None  # last service month index (23 = December Y)
    skip_periods: set = field(default_factory=set)  # (corporation, questionnaire, first month)
    targets: dict[tuple[int, int, int], str] = field(default_factory=dict)
    fixed_count: dict[tuple[int, int, int], int] = field(default_factory=dict)
    mu: np.ndarray | None = None  # (corporations, 6, 2) latent mean grade
    history: list[dict] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    #: corporation index -> description added when the removals register changes its advice
    removal_notes: dict[int, str] = field(default_factory=dict)
    attrs: dict[str, np.ndarray] = field(default_factory=dict)


def _month_index(year: int, date: str) -> int:
    """Service-month index of an ISO date: 0 = January of Y-1."""
    return (int(date[:4]) - (year - 1)) * 12 + int(date[5:7]) - 1


def _decide(passed: bool, valid: bool, previous_failed: bool) -> str:
    """The docs/methodology.md §3.7 state machine for one research year."""
    if passed:
        return "verlengen" if valid else "toekennen"
    if not valid:
        return "niet_toekennen"
    return "verloopt" if previous_failed else "niet_verlengen"


def _history_rows(
    corporation_id: str, year: int, held_before: bool, passed: list[bool]
) -> tuple[list[dict], bool, bool]:
    """label_history rows for Y-3..Y-1; returns (rows, valid at the decision on Y, Y-1 failed)."""
    rows = []
    # A label held before the window: as if extended on research year Y-4 (valid until Y-1-03-31).
    valid_until = pd.Timestamp(f"{year - 1}-03-31") if held_before else None
    previous_failed = False
    for offset, ok in zip((3, 2, 1), passed, strict=True):
        research_year = year - offset
        decided_at = pd.Timestamp(f"{research_year + 1}-03-01")
        valid = valid_until is not None and valid_until >= decided_at
        decision = _decide(ok, valid, previous_failed)
        if decision in ("toekennen", "verlengen"):
            valid_until = pd.Timestamp(f"{research_year + 3}-03-31")
        elif decision == "verloopt":
            valid_until = pd.Timestamp(f"{research_year + 1}-03-31")
        elif decision == "niet_toekennen":
            valid_until = None
        rows.append(
            dict(
                corporation_id=corporation_id,
                research_year=research_year,
                decision=decision,
                passed=bool(ok),
                valid_until=valid_until,
            )
        )
        previous_failed = not ok
    valid_at_y = valid_until is not None and valid_until >= pd.Timestamp(f"{year + 1}-03-01")
    return rows, valid_at_y, previous_failed


def _spawn(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]


def _plan(n: int, year: int, seed: int) -> _Plan:
    """Everything decided before respondents are drawn, in named steps that draw from one
    random stream in a fixed order (the demo dataset of a seed never changes)."""
    if n < 1:
        raise ValueError("corporations must be at least 1")
    rng = _spawn(seed)[0]
    plan = _plan_corporations(n, year, rng)
    _plan_scenarios(plan, rng)
    _plan_active_months(plan)
    _plan_schedules(plan, rng)
    _plan_label_history(plan, rng)
    _plan_targets(plan, rng)
    _plan_respondent_attributes(plan, rng)
    return plan


def _plan_corporations(n: int, year: int, rng: np.random.Generator) -> _Plan:
    """Ids, size, region, urbanisation, Aedes membership, member since and name; every
    corporation ``normaal`` until :func:`_plan_scenarios`."""
    width = max(3, len(str(n)))
    units = np.clip(np.round(rng.lognormal(math.log(3500), 1.15, n)), 200, 90000).astype(np.int64)
    weights = np.array([w for _, w in PROVINCES])
    region = rng.choice(len(PROVINCES), size=n, p=weights / weights.sum())
    z = (np.log(units) - math.log(3500)) / 1.15
    urbanisation = np.clip(np.round(3.2 - 0.8 * z + rng.normal(0, 0.8, n)), 1, 5).astype(np.int64)
    aedes = rng.random(n) < 0.9
    first_member = np.datetime64("2004-01", "M")
    span = (np.datetime64(f"{year - 4}-12", "M") - first_member).astype(int)
    member_since = [str((first_member + int(k)).astype("datetime64[D]")) for k in rng.integers(0, span + 1, n)]
    prefix = rng.integers(0, len(NAME_PREFIXES), n)
    return _Plan(
        year=year,
        ids=[f"C{i + 1:0{width}d}" for i in range(n)],
        units=units,
        region=region,
        urbanisation=urbanisation,
        aedes=aedes,
        member_since=member_since,
        names=[f"{NAME_PREFIXES[p]} Demo {i + 1:0{width}d}" for i, p in enumerate(prefix)],
        merged_from=[None] * n,
        merged_on=[None] * n,
        scenario=["normaal"] * n,
        component=[None] * n,
    )


def _merged_date(year: int) -> str:
    return f"{year}-07-01"


def _plan_scenarios(plan: _Plan, rng: np.random.Generator) -> None:
    """The special scenarios (:data:`_SPECIAL_ORDER`), each on a corporation of a fitting size,
    a merger of two into a third, then about 7% ``zwak`` among the rest; new members' start."""
    n, year, units = len(plan.ids), plan.year, plan.units
    width = max(3, len(str(n)))
    free = np.ones(n, bool)
    small_cut, median = np.quantile(units, [0.3, 0.5])
    size_ok = {
        "large": units >= median,
        "small": units <= small_cut,
        "mid": (units >= small_cut) & (units <= np.quantile(units, 0.9)),
        "any": np.ones(n, bool),
    }

    def take(size: str) -> int | None:
        pool = np.flatnonzero(free & size_ok[size])
        if len(pool) == 0:
            pool = np.flatnonzero(free)
        if len(pool) == 0:
            return None
        chosen = int(rng.choice(pool))
        free[chosen] = False
        return chosen

    merged_date = _merged_date(year)
    for key, size in _SPECIAL_ORDER:
        if key == "fusie":
            if free.sum() < 3:
                continue
            first, second, successor = take("mid"), take("mid"), take("any")
            # At least three were free: take() found one each time.
            assert first is not None
            assert second is not None
            assert successor is not None
            _merge(plan, first, second, successor, merged_date, width)
            continue
        chosen = take(size)
        if chosen is None:
            break
        plan.scenario[chosen] = key
        plan.component[chosen] = SCENARIOS[key][0]
    rest = np.flatnonzero(free)
    n_weak = max(1, round(0.07 * len(rest))) if len(rest) >= 2 else 0
    weak = rng.choice(rest, size=n_weak, replace=False) if n_weak else np.array([], int)
    for c in weak:
        plan.scenario[c] = "zwak"
        plan.component[c] = QUESTIONNAIRES[int(rng.choice(LABEL_COMPONENTS))]
    for c, key in enumerate(plan.scenario):
        if key == "nieuw_lid_route_b":
            plan.member_since[c] = f"{year}-07-01"
        elif key == "nieuw_lid":
            plan.member_since[c] = f"{year}-08-01"


def _merge(plan: _Plan, first: int, second: int, successor: int, merged_date: str, width: int) -> None:
    """``first`` and ``second`` merge into ``successor`` on ``merged_date`` (scenario ``fusie``)."""
    plan.region[second] = plan.region[successor] = plan.region[first]
    plan.urbanisation[successor] = plan.urbanisation[first]
    plan.aedes[successor] = plan.aedes[first] or plan.aedes[second]
    plan.units[successor] = plan.units[first] + plan.units[second]
    plan.scenario[first] = plan.scenario[second] = "fusie_voorganger"
    plan.scenario[successor] = "fusie"
    plan.merged_from[successor] = f"{plan.ids[first]};{plan.ids[second]}"
    plan.merged_on[successor] = merged_date
    plan.member_since[successor] = merged_date
    plan.names[successor] = f"Woonalliantie Demo {successor + 1:0{width}d}"


def _plan_active_months(plan: _Plan) -> None:
    """First and last service month (0 = January Y-1 … 23 = December Y) of each corporation."""
    n, year = len(plan.ids), plan.year
    first_month = np.zeros(n, np.int64)
    last_month = np.full(n, 23, np.int64)
    for c, key in enumerate(plan.scenario):
        if key == "fusie_voorganger":
            last_month[c] = _month_index(year, _merged_date(year)) - 1
        elif key in ("fusie", "nieuw_lid"):
            first_month[c] = _month_index(year, plan.member_since[c])
        elif key == "nieuw_lid_route_b":
            first_month[c] = 12  # the first delivery reaches back to January Y
    plan.first_month, plan.last_month = first_month, last_month


def _plan_schedules(plan: _Plan, rng: np.random.Generator) -> None:
    """Delivery schedule per corporation, questionnaire and year; Algemene waardering months."""
    n, scenario = len(plan.ids), plan.scenario
    base = rng.choice(["maand", "kwartaal", "api"], size=n, p=[0.5, 0.25, 0.25])
    has_go = rng.random(n) < 0.6
    for c in range(n):
        key = scenario[c]
        if key == "kwartaal_ontbreekt":
            base[c] = "kwartaal"
        for q in QUARTERLY_COMPONENTS:
            own = base[c] if rng.random() < 0.85 else rng.choice(["maand", "kwartaal", "api"])
            if key == "kwartaal_ontbreekt":
                own = "kwartaal"
            for yi in (0, 1):
                plan.schedule[c, q, yi] = own
            if key == "halfjaarlijks":
                plan.schedule[c, q, 1] = "halfjaar"
            if key == "nieuw_lid_route_b":
                plan.schedule[c, q, 1] = "route_b"
        po = str(rng.choice(["maand", "kwartaal", "halfjaar", "api"], p=[0.25, 0.4, 0.25, 0.1]))
        go = str(rng.choice(["kwartaal", "halfjaar"], p=[0.4, 0.6])) if has_go[c] else None
        for yi in (0, 1):
            plan.schedule[c, Q_PO, yi] = po
            plan.schedule[c, Q_GO, yi] = go
        if key == "geen_onderhoud":
            plan.schedule[c, Q_PO, 1] = None
        if key == "kwartaal_ontbreekt":
            plan.skip_periods.add((c, Q_VH, 18))  # Q3 of Y
        for yi in (0, 1):
            spring, autumn = int(rng.integers(1, 5)), int(rng.integers(8, 11))
            r = rng.random()
            months = [spring, autumn] if r < 0.4 else ([spring] if r < 0.7 else [autumn])
            plan.aw_months[c, yi] = [12 * yi + m for m in months]
        if key == "geen_algemene_waardering":
            plan.aw_months[c, 1] = []
        if key in ("fusie", "nieuw_lid", "nieuw_lid_route_b"):
            plan.aw_months[c, 1] = [21]  # October Y
        # (months outside the active window are dropped when deliveries are built)


def _plan_label_history(plan: _Plan, rng: np.random.Generator) -> None:
    """The label history up to Y-1, the targets of Y-1 it implies and each corporation's
    expected advice on Y (the scenario table)."""
    n, year, ids = len(plan.ids), plan.year, plan.ids
    expected = []
    held_before = rng.random(n) < 0.85
    early_fail = rng.random((n, 2)) < 0.08
    for c, key in enumerate(plan.scenario):
        if key in ("nieuw_lid", "nieuw_lid_route_b", "fusie"):
            valid, previous_failed = False, False
        else:
            held = bool(held_before[c])
            passed = [not early_fail[c, 0], not early_fail[c, 1], True]
            if key == "verloopt":
                held, passed = True, [True, True, False]
            elif key == "label_verlopen":
                held, passed = True, [True, False, False]
            elif key == "zonder_label":
                held, passed = False, [False, False, False]
            elif key == "zwak" and rng.random() < 1 / 3:
                passed = [True, True, False]
            rows, valid, previous_failed = _history_rows(ids[c], year, held, passed)
            plan.history += rows
            if not passed[2]:
                plan.targets[c, Q_RE, 0] = "fail_score"
        if key == "fusie_voorganger":
            expected.append("geen_advies")
        elif key == "nieuw_lid":
            expected.append("nog_niet_beoordeelbaar")
        elif key in _CKV:
            expected.append("ckv_beslist")
        else:
            expected.append(_decide(key not in _HARD_FAIL, valid, previous_failed))
    plan.expected = expected


def _plan_targets(plan: _Plan, rng: np.random.Generator) -> None:
    """The target of every label component in Y-1 and Y (pass, fail, borderline, low
    response) and the latent mean grade that reaches it."""
    n = len(plan.ids)
    component_effect = rng.normal(0, 0.15, (n, 6))
    corporation_effect = rng.normal(0, 0.22, n)
    drift = rng.normal(-0.03, 0.08, (n, 6))
    mu = np.empty((n, 6, 2))
    mu[:, :, 1] = np.array(BASE_GRADE)[None, :] + corporation_effect[:, None] + component_effect
    mu[:, :, 0] = mu[:, :, 1] + drift
    for c in range(n):
        for q in LABEL_COMPONENTS:
            for yi in (0, 1):
                plan.targets.setdefault((c, q, yi), "pass")
        key, comp = plan.scenario[c], plan.component[c]
        if not comp:
            continue
        q = QUESTIONNAIRES.index(comp)
        if key in ("zwak", "onvoldoende_score", "verloopt", "zonder_label"):
            plan.targets[c, q, 1] = "fail_score"
        elif key == "onvoldoende_tevreden":
            plan.targets[c, q, 1] = "fail_pct"
        elif key == "grensgeval":
            plan.targets[c, q, 1] = "borderline"
        elif key == "lage_respons":
            plan.targets[c, q, 1] = "fail_score"
            plan.fixed_count[c, q, 1] = 12
    for (c, q, yi), target in plan.targets.items():
        if target == "pass":
            mu[c, q, yi] = max(mu[c, q, yi], 7.3)
        elif target in _FAIL_MU:
            mu[c, q, yi] = _FAIL_MU[target]
    plan.mu = mu


def _plan_respondent_attributes(plan: _Plan, rng: np.random.Generator) -> None:
    """Per corporation what its respondents look like: telephone share, response, consent,
    breakdowns (districts, offices, building type, complex), contractors."""
    n, units = len(plan.ids), plan.units
    log_units = np.log(units)
    tel = np.interp(log_units, [math.log(2500), math.log(20000)], [0.30, 0.15])
    contractor_pool = rng.permutation(CONTRACTORS_PER_REGION * len(PROVINCES)).reshape(len(PROVINCES), -1)
    plan.attrs = dict(
        tel_share=np.clip(tel + rng.normal(0, 0.03, n), 0.08, 0.4),
        response_rate=rng.uniform(0.25, 0.45, n),
        anonymity=np.clip(rng.normal(0.70, 0.05, n), 0.5, 0.9),
        uses_checkvraag=rng.random(n) < 0.6,
        p_not_ready=rng.uniform(0.13, 0.28, n),
        p_unknown=rng.uniform(0.02, 0.04, n),
        consent=rng.uniform(0.5, 0.8, n),
        n_districts=np.clip(np.round(1 + 1.2 * (log_units - math.log(400))), 2, len(DISTRICTS)).astype(int),
        has_districts=rng.random(n) < 0.85,
        n_offices=np.where(units > 20000, 3, np.where(units > 5000, 2, 0)),
        has_building_type=rng.random(n) < 0.3,
        has_complex=rng.random(n) < 0.1,
        has_contractor=rng.random(n) < 0.8,
        contractors=np.stack([rng.permutation(contractor_pool[r])[:CONTRACTORS_PER_REGION] for r in plan.region]),
        n_contractors=rng.integers(2, CONTRACTORS_PER_REGION + 1, n),
    )


def _scenario_table(plan: _Plan) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "corporation_id": plan.ids,
            "scenario": plan.scenario,
            "component": pd.array(plan.component, dtype="string"),
            "expected_advice": plan.expected,
            "description": [SCENARIOS[s][1] + plan.removal_notes.get(i, "") for i, s in enumerate(plan.scenario)],
        }
    )


# --------------------------------------------------------------------------- data stages


def _text(categories, codes: np.ndarray) -> pd.Series:
    """A pandas ``string`` column from category texts and int codes (-1 = missing)."""
    values = categories if isinstance(categories, pa.Array) else pa.array(list(categories), type=pa.string())
    codes = np.asarray(codes, dtype=np.int32)
    taken = values.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.arrays.ArrowStringArray(taken))


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 for datetime64[D] values."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def _periods(schedule: str, months: list[int]) -> list[tuple[int, int]]:
    """Delivery data periods (first, last month index) of a schedule over active months."""
    if not months:
        return []
    if schedule == "route_b":
        head = [m for m in months if m < 18]
        tail = [m for m in months if m >= 18]
        return ([(head[0], head[-1])] if head else []) + [(m, m) for m in tail]
    size = {"maand": 1, "api": 1, "kwartaal": 3, "halfjaar": 6}[schedule]
    groups: dict[int, list[int]] = {}
    for m in months:
        groups.setdefault(m // size, []).append(m)
    return [(g[0], g[-1]) for g in groups.values()]


def _deliveries(plan: _Plan, rng: np.random.Generator) -> pd.DataFrame:
    """Delivery skeleton: one row per delivery, in (corporation, questionnaire, period) order."""
    rows_c, rows_q, rows_a, rows_b, rows_api = [], [], [], [], []
    assert plan.first_month is not None, "_plan sets the service months"
    assert plan.last_month is not None, "_plan sets the service months"
    for c in range(len(plan.ids)):
        lo, hi = int(plan.first_month[c]), int(plan.last_month[c])
        for q in range(6):
            for yi in (0, 1):
                months = [m for m in range(12 * yi, 12 * yi + 12) if lo <= m <= hi]
                if q == Q_AW:
                    periods = [(m, m) for m in plan.aw_months[c, yi] if lo <= m <= hi]
                    api = False
                else:
                    schedule = plan.schedule[c, q, yi]
                    if schedule is None:
                        continue
                    if plan.scenario[c] == "nieuw_lid_route_b" and q not in QUARTERLY_COMPONENTS:
                        months = [m for m in months if m >= 18]
                    periods = _periods(schedule, months)
                    api = schedule == "api"
                for a, b in periods:
                    if (c, q, a) in plan.skip_periods:
                        continue
                    rows_c.append(c)
                    rows_q.append(q)
                    rows_a.append(a)
                    rows_b.append(b)
                    rows_api.append(api)
    d = pd.DataFrame({"c": rows_c, "q": rows_q, "first": rows_a, "last": rows_b, "api": rows_api})
    starts = (np.datetime64(f"{plan.year - 1}-01", "M") + np.arange(26)).astype("datetime64[D]")
    d["period_start"] = starts[d["first"].to_numpy()]
    d["period_end"] = starts[d["last"].to_numpy() + 1] - np.timedelta64(1, "D")
    following = starts[d["last"].to_numpy() + 1]
    # Mijn KWH deadline: first Wednesday of the next month, unless that is the 1st-4th.
    offset = (2 - _weekday(following)) % 7
    offset = np.where(offset <= 3, offset + 7, offset)
    deadline = following + offset.astype("timedelta64[D]")
    early = rng.integers(0, 5, len(d)).astype("timedelta64[D]")
    api_lag = rng.integers(1, 4, len(d)).astype("timedelta64[D]")
    api = d["api"].to_numpy()
    delivered = np.where(api, d["period_end"].to_numpy().astype("datetime64[D]") + api_lag, deadline - early)
    d["delivered_on"] = delivered.astype("datetime64[D]")
    # Invitations: Tuesday after the deadline (Mijn KWH), the day after delivery (API).
    d["invited_on"] = np.where(api, delivered + np.timedelta64(1, "D"), deadline + np.timedelta64(6, "D")).astype(
        "datetime64[D]"
    )
    return d


def _counts(plan: _Plan, deliveries: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Respondents per (corporation, questionnaire, month) cell; returns cell c, q, month, delivery, count."""
    n = len(plan.ids)
    units = plan.units.astype(float)
    expected = np.asarray(RATE_PER_UNIT)[None, :] * units[:, None]
    expected[:, Q_AW] = np.minimum(AW_BASE + AW_PER_UNIT * units, AW_MAX)
    has_go = np.array([plan.schedule[c, Q_GO, 1] is not None for c in range(n)])
    scale = RESPONDENTS_PER_CORPORATION_YEAR * n / (expected.sum() - expected[~has_go, Q_GO].sum())
    expected *= scale
    season = 1 + 0.15 * np.cos(2 * np.pi * (np.arange(24) % 12) / 12)

    list_c, list_q, list_m, list_d = [], [], [], []
    for index, (c, q, a, b) in enumerate(deliveries[["c", "q", "first", "last"]].itertuples(index=False)):
        for m in range(a, b + 1):
            list_c.append(c)
            list_q.append(q)
            list_m.append(m)
            list_d.append(index)
    cell_c = np.array(list_c, np.int64)
    cell_q = np.array(list_q, np.int64)
    cell_m = np.array(list_m, np.int64)
    cell_d = np.array(list_d, np.int64)
    count = np.zeros(len(cell_c), np.int64)
    group = (cell_c * 6 + cell_q) * 2 + cell_m // 12
    boundaries = np.flatnonzero(np.diff(group)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(group)]])
    for s, e in zip(starts, ends, strict=True):
        c, q, yi = int(cell_c[s]), int(cell_q[s]), int(cell_m[s] // 12)
        months = cell_m[s:e]
        share = 1.0 if q == Q_AW else len(months) / 12
        target = plan.targets.get((c, q, yi))
        if (c, q, yi) in plan.fixed_count:
            total = plan.fixed_count[c, q, yi]
        else:
            total = int(rng.poisson(expected[c, q] * share))
            if q in LABEL_COMPONENTS:
                total = max(total, 6)
                if target in ("fail_score", "fail_pct", "borderline"):
                    total = max(total, 2 * MIN_RESPONDENTS[q] + int(rng.integers(5, 40)))
        weights = season[months]
        count[s:e] = rng.multinomial(total, weights / weights.sum())
    return cell_c, cell_q, cell_m, cell_d, count


def _steer(sub: np.ndarray, target: tuple, rng: np.random.Generator, max_iter: int = 2000) -> None:
    """Change label grades (0 = unanswered) in place until the group meets ``target``.

    Grades are moved one step at a time (or a respondent's grades raised to 6 / lowered to
    2-4 for the percentage satisfied), so the result stays a plausible set of integer grades.
    """
    score_min, score_max, pct_min, pct_max = target
    for _ in range(max_iter):
        answered = sub > 0
        k = answered.sum(1)
        s = sub.sum(1, dtype=np.int64)
        valid = k > 0
        n = int(valid.sum())
        if n == 0:
            return
        means = np.where(valid, s / np.maximum(k, 1), 0.0)
        score = means[valid].mean()
        satisfied = valid & (2 * s >= 11 * k)
        pct = 100.0 * satisfied.sum() / n
        if pct_min is not None and pct < pct_min:
            need = math.ceil(pct_min * n / 100) - int(satisfied.sum())
            pool = np.flatnonzero(valid & ~satisfied)
            pick = rng.choice(pool, size=min(max(need, 1), len(pool)), replace=False)
            sub[pick] = np.where(answered[pick], np.maximum(sub[pick], 6), 0)
        elif pct_max is not None and pct > pct_max:
            need = int(satisfied.sum()) - math.floor(pct_max * n / 100)
            pool = np.flatnonzero(satisfied)
            pick = rng.choice(pool, size=min(max(need, 1), len(pool)), replace=False)
            low = rng.integers(2, 5, size=(len(pick), sub.shape[1]))
            sub[pick] = np.where(answered[pick], np.minimum(sub[pick], low), 0)
        elif score_min is not None and score < score_min:
            rows_ok = satisfied if pct_max is not None else valid
            rows, cols = np.nonzero(answered & (sub < 10) & rows_ok[:, None])
            order = rng.permutation(len(rows))
            gain = np.cumsum(1.0 / k[rows[order]]) / n
            take = int(np.searchsorted(gain, 0.6 * (score_min - score))) + 1
            pick = order[:take]
            sub[rows[pick], cols[pick]] += 1
        elif score_max is not None and score > score_max:
            # at most one step per respondent, never making a satisfied respondent unsatisfied
            keep = satisfied & ~(2 * (s - 1) >= 11 * k) if pct_min is not None else np.zeros(n, bool)
            rows, cols = np.nonzero(answered & (sub > 1) & (valid & ~keep)[:, None])
            order = rng.permutation(len(rows))
            rows, cols = rows[order], cols[order]
            first = np.unique(rows, return_index=True)[1]
            rows, cols = rows[np.sort(first)], cols[np.sort(first)]
            gain = np.cumsum(1.0 / k[rows]) / n
            take = int(np.searchsorted(gain, 0.6 * (score - score_max))) + 1
            sub[rows[:take], cols[:take]] -= 1
        else:
            return
    raise RuntimeError("demo data: could not steer a component to its target")


def _grades(
    plan: _Plan, q: int, corp: np.ndarray, month: np.ndarray, telephone: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Grade matrix (respondents × questions of questionnaire ``q``), 0 = unanswered."""
    bank = QUESTION_BANK[QUESTIONNAIRES[q]]
    effects = np.array([b[4] for b in bank], np.float32)
    label = np.array([b[2] for b in bank])
    aedes = np.array([b[3] for b in bank])
    yi = month // 12
    n = len(corp)
    assert plan.mu is not None, "_plan sets the latent means"
    latent = plan.mu[corp, q, yi] + rng.normal(0, 0.95, n) + 0.2 * telephone
    unhappy = rng.random(n) < UNHAPPY_SHARE
    latent[unhappy] = rng.normal(UNHAPPY_GRADE, 1.2, int(unhappy.sum()))
    bimodal_groups = [c * 2 + y for (c, qq, y), t in plan.targets.items() if qq == q and t == "fail_pct"]
    bimodal = np.isin(corp * 2 + yi, bimodal_groups)
    if bimodal.any():
        m = int(bimodal.sum())
        unhappy = rng.random(m) < 0.2
        latent[bimodal] = np.where(unhappy, rng.normal(3.6, 0.7, m), rng.normal(8.5, 0.6, m))
    noise = rng.normal(0, 0.85, (n, len(bank))).astype(np.float32)
    grades = np.clip(np.rint(latent[:, None].astype(np.float32) + effects[None, :] + noise), 1, 10).astype(np.int8)
    p_missing = np.where(label, 0.045, np.where(aedes, 0.02, 0.07))
    grades[rng.random((n, len(bank))) < p_missing[None, :]] = 0
    if q in LABEL_COMPONENTS:
        cols = np.flatnonzero(label)
        group = corp * 2 + yi
        bounds = np.flatnonzero(np.diff(group)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [n]])
        sub = grades[:, cols]
        answered = sub > 0
        k = answered.sum(1)
        s = sub.sum(1, dtype=np.int64)
        valid = k > 0
        g_of = np.repeat(np.arange(len(starts)), ends - starts)
        n_valid = np.bincount(g_of, valid, len(starts))
        score = np.bincount(g_of, np.where(valid, s / np.maximum(k, 1), 0), len(starts)) / np.maximum(n_valid, 1)
        pct = 100 * np.bincount(g_of, valid & (2 * s >= 11 * k), len(starts)) / np.maximum(n_valid, 1)
        for g, (st, en) in enumerate(zip(starts, ends, strict=True)):
            target = TARGETS[plan.targets.get((int(corp[st]), q, int(yi[st])), "pass")]
            lo, hi, pmin, pmax = target
            if n_valid[g] == 0 or (
                (lo is None or score[g] >= lo)
                and (hi is None or score[g] <= hi)
                and (pmin is None or pct[g] >= pmin)
                and (pmax is None or pct[g] <= pmax)
            ):
                continue
            block = sub[st:en].copy()
            _steer(block, target, rng)
            sub[st:en] = block
        grades[:, cols] = sub
    return grades


def _respondent_options(plan: _Plan, corp: np.ndarray, q: np.ndarray, rng: np.random.Generator) -> dict[str, pd.Series]:
    """aannemer and uitsplitsing_1..4 as string columns (vectorised per corporation options)."""
    a = plan.attrs
    n = len(corp)
    u = rng.random((5, n))
    # contractor: from the corporation's regional contractors; for Reparaties/onderhoud only
    pick = (u[0] * a["n_contractors"][corp]).astype(int)
    contractor = a["contractors"][corp, pick]
    with_contractor = np.isin(q, (Q_RE, Q_PO, Q_GO)) & (a["has_contractor"][corp] | (q != Q_RE))
    contractor = np.where(with_contractor & (u[1] > 0.03), contractor, -1)
    contractors = [f"Aannemer {get_column_letter(k + 1)}" for k in range(CONTRACTORS_PER_REGION * len(PROVINCES))]
    district = np.where(a["has_districts"][corp], (u[2] * a["n_districts"][corp]).astype(int), -1)
    offices = a["n_offices"][corp]
    office = np.where(offices > 0, (u[3] * np.maximum(offices, 1)).astype(int), -1)
    building = np.where(a["has_building_type"][corp], (u[4] * len(BUILDING_TYPES)).astype(int), -1)
    complex_no = np.where(a["has_complex"][corp] & (rng.random(n) < 0.8), rng.integers(0, 40, n), -1)
    complexes = [f"Complex {100 + k}" for k in range(40)]
    return {
        "aannemer": _text(contractors, contractor),
        "uitsplitsing_1": _text(DISTRICTS, district),
        "uitsplitsing_2": _text(OFFICES, office),
        "uitsplitsing_3": _text(BUILDING_TYPES, building),
        "uitsplitsing_4": _text(complexes, complex_no),
    }


def _build(plan: _Plan, seed: int) -> dict[str, pd.DataFrame]:
    _, rng_del, rng_count, rng_grade, rng_resp, rng_check = _spawn(seed)
    year, ids = plan.year, plan.ids
    attrs = plan.attrs
    month_names = [f"{year - 1 + m // 12}-{m % 12 + 1:02d}" for m in range(24)]

    d = _deliveries(plan, rng_del)
    cell_c, cell_q, cell_m, cell_d, count = _counts(plan, d, rng_count)

    # ---- respondents (sorted by corporation, questionnaire, service month)
    corp = np.repeat(cell_c, count)
    quest = np.repeat(cell_q, count)
    month = np.repeat(cell_m, count)
    delivery = np.repeat(cell_d, count)
    n = len(corp)
    small_bonus = np.where(np.isin(quest, (Q_NH, Q_VH)), 0.05, 0.0)
    telephone = rng_resp.random(n) < attrs["tel_share"][corp] + small_bonus
    # completion: online mostly in the first days after the invitation, telephone in weeks 1-4
    invited = d["invited_on"].to_numpy().astype("datetime64[D]")[delivery]
    lag = np.where(
        telephone, rng_resp.integers(1, 28, n), np.minimum(rng_resp.exponential(4.0, n).astype(np.int64), 27)
    )
    completed = invited + lag.astype("timedelta64[D]")
    completed = completed + ((_weekday(completed) == 6) & telephone).astype("timedelta64[D]")  # no calls on Sunday
    anonymity = rng_resp.random(n) < attrs["anonymity"][corp]
    width = max(7, len(str(n)))
    response_ids = pa.array([f"R{i:0{width}d}" for i in range(1, n + 1)], type=pa.string())
    options = _respondent_options(plan, corp, quest, rng_resp)
    delivery_ids = [
        f"{ids[c]}-{ABBREVIATION[q]}-{month_names[a].replace('-', '')}"
        for c, q, a in d[["c", "q", "first"]].itertuples(index=False)
    ]
    respondents = pd.DataFrame(
        {
            "response_id": _text(response_ids, np.arange(n)),
            "corporation_id": _text(ids, corp),
            "questionnaire": _text(QUESTIONNAIRES, quest),
            "service_month": _text(month_names, month),
            "completed_on": completed.astype("datetime64[ns]"),
            "mode": _text(("online", "telefonisch"), telephone.astype(np.int64)),
            "delivery_id": _text(delivery_ids, delivery),
            **options,
            "anonymity_lifted": anonymity,
        }
    )

    # ---- answers (long), scattered into respondent order without a sort
    questions_per = np.array([len(QUESTION_BANK[name]) for name in QUESTIONNAIRES])
    first_code = np.concatenate([[0], np.cumsum(questions_per)[:-1]])
    k_of = questions_per[quest]
    offsets = np.concatenate([[0], np.cumsum(k_of)[:-1]])
    total = int(k_of.sum())
    grade = np.zeros(total, np.int8)
    qcode = np.zeros(total, np.int32)
    for q in range(6):
        rows = np.flatnonzero(quest == q)
        if len(rows) == 0:
            continue
        matrix = _grades(plan, q, corp[rows], month[rows], telephone[rows], rng_grade)
        k = questions_per[q]
        target = (offsets[rows][:, None] + np.arange(k)[None, :]).ravel()
        grade[target] = matrix.ravel()
        qcode[target] = np.tile(first_code[q] + np.arange(k), len(rows))
    all_question_ids = [b[0] for name in QUESTIONNAIRES for b in QUESTION_BANK[name]]
    answers = pd.DataFrame(
        {
            "response_id": _text(response_ids, np.repeat(np.arange(n, dtype=np.int32), k_of)),
            "question_id": _text(all_question_ids, qcode),
            "grade": pd.arrays.IntegerArray(grade.astype(np.int64), grade == 0),
        }
    )

    # ---- deliveries: tenants delivered and approached from the respondents and response rates
    responded = np.bincount(delivery, minlength=len(d))
    rate = np.clip(attrs["response_rate"][d["c"].to_numpy()] + rng_del.normal(0, 0.03, len(d)), 0.2, 0.5)
    approached = np.where(responded > 0, np.ceil(responded / rate), rng_del.poisson(2.0, len(d))).astype(np.int64)
    approached = np.maximum(approached, responded)
    delivered = approached + rng_del.binomial(approached, rng_del.uniform(0.03, 0.15, len(d)))
    deliveries = pd.DataFrame(
        {
            "delivery_id": _text(delivery_ids, np.arange(len(d))),
            "corporation_id": _text(ids, d["c"].to_numpy()),
            "questionnaire": _text(QUESTIONNAIRES, d["q"].to_numpy()),
            "channel": _text(("mijn_kwh", "api"), d["api"].to_numpy().astype(np.int64)),
            "delivered_on": d["delivered_on"].to_numpy().astype("datetime64[ns]"),
            "period_start": d["period_start"].to_numpy().astype("datetime64[ns]"),
            "period_end": d["period_end"].to_numpy().astype("datetime64[ns]"),
            "n_delivered": delivered.astype(np.int64),
            "n_approached": approached.astype(np.int64),
        }
    )

    # ---- checkvraag: Reparaties cells of corporations that use it
    rep = (cell_q == Q_RE) & attrs["uses_checkvraag"][cell_c]
    n_check = rng_check.poisson(1.25 * count[rep])
    cc = np.repeat(cell_c[rep], n_check)
    cm = np.repeat(cell_m[rep], n_check)
    cd = np.repeat(cell_d[rep], n_check)
    u = rng_check.random(len(cc))
    p3, p4 = attrs["p_not_ready"][cc], attrs["p_unknown"][cc]
    answer = np.where(u < p3, 3, np.where(u < p3 + p4, 4, np.where(u < p3 + p4 + 0.07, 2, 1)))
    check_contractor = _respondent_options(plan, cc, np.full(len(cc), Q_RE), rng_check)["aannemer"]
    checkvraag = pd.DataFrame(
        {
            "corporation_id": _text(ids, cc),
            "delivery_id": _text(delivery_ids, cd),
            "service_month": _text(month_names, cm),
            "answer": answer.astype(np.int64),
            "aannemer": check_contractor,
            "consent": rng_check.random(len(cc)) < attrs["consent"][cc],
        }
    )

    questions = pd.DataFrame(
        [
            (name, qid, text, label, aedes)
            for name in QUESTIONNAIRES
            for qid, text, label, aedes, _ in QUESTION_BANK[name]
        ],
        columns=["questionnaire", "question_id", "text", "label_question", "aedes_question"],
    )
    for column in ("questionnaire", "question_id", "text"):
        questions[column] = questions[column].astype("string")

    corporations = pd.DataFrame(
        {
            "corporation_id": pd.array(ids, dtype="string"),
            "name": pd.array(plan.names, dtype="string"),
            "units": plan.units.astype(np.int64),
            "region": pd.array([PROVINCES[r][0] for r in plan.region], dtype="string"),
            "urbanisation": plan.urbanisation.astype(np.int64),
            "aedes_member": plan.aedes.astype(bool),
            "member_since": pd.to_datetime(plan.member_since).astype("datetime64[ns]"),
            "merged_from": pd.array(plan.merged_from, dtype="string"),
            "merged_on": pd.to_datetime(pd.Series(plan.merged_on, dtype=object)).astype("datetime64[ns]"),
        }
    )
    history = pd.DataFrame(
        plan.history, columns=["corporation_id", "research_year", "decision", "passed", "valid_until"]
    )
    history = history.astype(
        {"corporation_id": "string", "research_year": np.int64, "decision": "string", "passed": bool}
    )
    history["valid_until"] = pd.to_datetime(history["valid_until"]).astype("datetime64[ns]")

    is_label = np.array([b[2] for name in QUESTIONNAIRES for b in QUESTION_BANK[name]])
    removals = _removals(plan, seed, corp, quest, month, completed, grade, qcode, k_of, is_label, response_ids)

    questions, open_answers = _open_answers(questions, respondents, seed)
    return {
        "corporations": corporations,
        "questions": questions,
        "respondents": respondents,
        "answers": answers,
        "deliveries": deliveries,
        "checkvraag": checkvraag,
        "label_history": history,
        "removals": removals,
        "open_answers": open_answers,
    }


#: Advice of a failing ``zwak`` corporation once its one failing component passes (docs/methodology.md §3).
_PASSED_AFTER_REMOVALS = {"niet_toekennen": "toekennen", "niet_verlengen": "verlengen", "verloopt": "verlengen"}
#: At most this many removals to turn a failing component into a passing one (demo realism).
_MAX_TURNING_REMOVALS = 15


def _removals_to_pass(sums: np.ndarray, counts: np.ndarray, minimum: int, rules: Rules) -> list[int] | None:
    """Positions (into ``sums``) of the fewest lowest-mean respondents whose removal lets the
    component meet both label thresholds of ``rules`` exactly, keeping at least ``minimum``
    respondents; None when more than :data:`_MAX_TURNING_REMOVALS` would be needed."""
    min_score, min_pct = Fraction(rules.label.min_score), Fraction(rules.label.min_pct_satisfied)
    satisfied_grade = Fraction(rules.scores.satisfied_grade)
    order = sorted(range(len(sums)), key=lambda i: (Fraction(int(sums[i]), int(counts[i])), i))
    means = [Fraction(int(sums[i]), int(counts[i])) for i in order]
    satisfied = [mean >= satisfied_grade for mean in means]
    total, n_satisfied = sum(means, Fraction(0)), sum(satisfied)
    for k in range(min(_MAX_TURNING_REMOVALS, len(order) - minimum) + 1):
        n = len(order) - k
        if k and total >= min_score * n and 100 * n_satisfied >= min_pct * n:
            return order[:k]
        if k < len(order):
            total -= means[k]
            n_satisfied -= satisfied[k]
    return None


def _removals(
    plan: _Plan,
    seed: int,
    corp: np.ndarray,
    quest: np.ndarray,
    month: np.ndarray,
    completed: np.ndarray,
    grade: np.ndarray,
    qcode: np.ndarray,
    k_of: np.ndarray,
    is_label: np.ndarray,
    response_ids: pa.Array,
) -> pd.DataFrame:
    """The demo's removals register (docs/data-contract.md ``removals``), on top of the delivered data.

    - Advice changed: of the ``zwak`` corporations, the one whose failing component passes
      after the fewest removals of its lowest-graded respondents in Y (at most 15) gets exactly
      those removed, so the CKV documents show a register that changes the advice
      (``niet_verlengen`` → ``verlengen`` for the default demo: C043).
    - Advice unchanged: the first ``normaal`` corporation with ≥ 60 Reparaties respondents
      in Y gets 2 Reparaties removals in Y (fewer than the minimum cell: the figures including
      them are not shown), 1 Algemene waardering removal in Y and 1 Reparaties removal in Y−1;
      the next one with ≥ 200 gets 6 (the figures with and without are shown).

    Drawn from a stream of its own, so the delivered tables do not depend on it.
    """
    rng = np.random.default_rng([seed, 15])
    rules = load_rules(year=plan.year)
    n = len(corp)
    respondent = np.repeat(np.arange(n), k_of)
    valid = (grade > 0) & is_label[qcode]
    sums = np.bincount(respondent[valid], weights=grade[valid].astype(np.int64), minlength=n).astype(np.int64)
    counts = np.bincount(respondent[valid], minlength=n)
    in_y = month >= 12
    chosen: list[int] = []

    best: list[int] | None = None
    for c in (i for i, key in enumerate(plan.scenario) if key == "zwak"):
        q = QUESTIONNAIRES.index(plan.component[c])
        rows = np.flatnonzero((corp == c) & (quest == q) & in_y & (counts > 0))
        picked = _removals_to_pass(sums[rows], counts[rows], MIN_RESPONDENTS[q], rules)
        if picked is not None and (best is None or len(picked) < len(best)):
            best, target = [int(rows[i]) for i in picked], c
    if best:
        chosen += best
        # The scenario's promise follows the register: its only failing component now passes.
        plan.expected[target] = _PASSED_AFTER_REMOVALS[plan.expected[target]]
        plan.removal_notes[target] = f"; {len(best)} removals (removals register) make it pass"

    normal = [i for i, key in enumerate(plan.scenario) if key == "normaal"]
    sizes = {c: int(((corp == c) & (quest == Q_RE) & in_y & (counts > 0)).sum()) for c in normal}
    # 2 removals of >= 60 respondents can move neither 7,1 below 7,0 nor 86% below 85%; 6 of >= 200 neither.
    small = next((c for c in normal if sizes[c] >= 60), None)
    large = next((c for c in normal if sizes[c] >= 200 and c != small), None)
    for corporation, size, questionnaire, this_year in (
        (small, 2, Q_RE, True),
        (small, 1, Q_AW, True),
        (small, 1, Q_RE, False),
        (large, 6, Q_RE, True),
    ):
        if corporation is None:
            continue
        rows = np.flatnonzero((corp == corporation) & (quest == questionnaire) & (in_y == this_year))
        chosen += sorted(int(r) for r in rng.choice(rows, size=min(size, len(rows)), replace=False))

    rows = np.array(chosen, dtype=np.int64)
    decided = completed[rows].astype("datetime64[D]") + np.timedelta64(21, "D")
    return pd.DataFrame(
        {
            "response_id": _text(response_ids, rows),
            "reason": pd.array(["geen_dienst_geleverd"] * len(rows), dtype="string"),
            "decided_on": decided.astype("datetime64[ns]"),
            "reference": pd.array([f"VZ-{plan.ids[corp[r]]}-{i + 1:03d}" for i, r in enumerate(rows)], dtype="string"),
        }
    )


# --------------------------------------------------------------------------- open answers (issue 14)

#: One open question per questionnaire (not graded: no rows in ``answers``).
OPEN_QUESTION_TEXT = "Heeft u nog tips of opmerkingen voor de corporatie?"
#: Share of respondents who write something.
OPEN_ANSWER_SHARE = 0.15
#: Synthetic answers: ordinary remarks and, on purpose, remarks full of personal data that
#: every output must mask (names, phone numbers, e-mail addresses, postcodes, house numbers).
OPEN_ANSWER_TEXTS = (
    "Prima geholpen, snel en vriendelijk.",
    "De monteur kwam op tijd en ruimde alles netjes op.",
    "Het duurde drie weken voordat er iemand kwam.",
    "Ik moest twee keer bellen voor een afspraak.",
    "Goede communicatie, ik wist steeds waar ik aan toe was.",
    "De website was onduidelijk, ik kon het formulier niet vinden.",
    "Graag eerder laten weten hoe laat de monteur komt.",
    "Niets aan toe te voegen, alles ging goed.",
    "Bel me gerust op 06-12345678 als er vragen zijn.",
    "Monteur Ahmed was erg behulpzaam, geef hem een compliment!",
    "Mevrouw van der Berg van het klantcontactcentrum belde niet terug.",
    "Mijn adres is Kerkstraat 12a, 1234 AB, daar lekt het nog steeds.",
    "Mail me op j.devries@example.nl voor een nieuwe afspraak.",
    "Ik ben Fatima El Amrani en woon op huisnummer 14, de deur klemt nog.",
    "Mijn buurman Klaas Hoekstra heeft dezelfde klacht, tel 020-123 45 67.",
    "Met vriendelijke groet, Annie de Boer",
)


def _open_answers(questions: pd.DataFrame, respondents: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add an open question to every questionnaire and synthetic answers to it.

    A generator of its own (``seed`` + 14) keeps every other table exactly as before.
    """
    rng = np.random.default_rng(seed + 14)
    extra = pd.DataFrame(
        {
            "questionnaire": list(QUESTIONNAIRES),
            "question_id": [f"{_open_prefix(q)}99" for q in QUESTIONNAIRES],
            "text": OPEN_QUESTION_TEXT,
            "label_question": False,
            "aedes_question": False,
        }
    )
    questions = pd.concat([questions, extra], ignore_index=True)
    for column in ("questionnaire", "question_id", "text"):
        questions[column] = questions[column].astype("string")
    chosen = respondents.loc[rng.random(len(respondents)) < OPEN_ANSWER_SHARE, ["response_id", "questionnaire"]]
    # Ordinary remarks are common, those with personal data rarer (one in five).
    weights = np.array([4.0] * 8 + [1.0] * 8)
    texts = np.asarray(OPEN_ANSWER_TEXTS, dtype=object)[
        rng.choice(len(OPEN_ANSWER_TEXTS), size=len(chosen), p=weights / weights.sum())
    ]
    open_answers = pd.DataFrame(
        {
            "response_id": pd.array(chosen["response_id"].to_numpy(), dtype="string"),
            "question_id": pd.array([f"{_open_prefix(q)}99" for q in chosen["questionnaire"]], dtype="string"),
            "text": pd.array(texts, dtype="string"),
        }
    )
    return questions, open_answers


def _open_prefix(questionnaire: str) -> str:
    """The two-letter prefix of a questionnaire's question ids (``NH``, ``RE`` …)."""
    return str(QUESTION_BANK[questionnaire][0][0])[:2]


# --------------------------------------------------------------------------- public API


def demo_scenarios(corporations: int = 250, year: int = 2025, seed: int = 2025) -> pd.DataFrame:
    """The scenario of every corporation of the demo dataset with these parameters.

    Cheap: only the plan is drawn (no respondents). The result equals the scenario table of
    :func:`generate_demo_with_scenarios` for the same arguments, except for the one ``zwak``
    corporation whose advice the removals register changes (chosen from the grades, so only
    the full generation knows it: there its ``expected_advice`` is the advice after removal).

    Returns
    -------
    pandas.DataFrame
        ``corporation_id``, ``scenario`` (a key of :data:`SCENARIOS`), ``component`` (the
        questionnaire the scenario acts on, or missing), ``expected_advice`` for research year
        ``year`` (``toekennen``, ``verlengen``, ``niet_toekennen``, ``niet_verlengen``,
        ``verloopt``, ``ckv_beslist``, ``nog_niet_beoordeelbaar`` or ``geen_advies`` for a
        predecessor that merged away in ``year``) and ``description``.
    """
    return _scenario_table(_plan(corporations, year, seed))


def generate_demo_with_scenarios(
    corporations: int = 250, year: int = 2025, seed: int = 2025
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The demo dataset (see :func:`generate_demo`) and its scenario table (see :func:`demo_scenarios`)."""
    plan = _plan(corporations, year, seed)
    return _build(plan, seed), _scenario_table(plan)


def generate_demo(corporations: int = 250, year: int = 2025, seed: int = 2025) -> dict[str, pd.DataFrame]:
    """Generate the synthetic national demo dataset (docs/data-contract.md tables) for research year ``year``.

    Parameters
    ----------
    corporations : number of corporations (rows of ``corporations``), at least 1; the special
        scenarios need 16 (see the module docstring).
    year : research year Y; service months run January Y−1 … December Y, ``label_history``
        holds research years Y−3 … Y−1.
    seed : random seed; the same arguments always give identical tables.

    Returns
    -------
    dict[str, pandas.DataFrame]
        The nine tables by docs/data-contract.md name (``removals`` and ``open_answers`` included), typed as
        :mod:`kwh_calc.intake.dataset` documents (text as pandas ``string``, dates ``datetime64[ns]``,
        grades nullable ``Int64``); they pass
        :func:`kwh_calc.intake.dataset.from_tables`.
    """
    return generate_demo_with_scenarios(corporations, year, seed)[0]
