"""KWH-Kwaliteitslabel: KWH's advice to the CKV per corporation (docs/methodology.md §3, FAQ section 5).

For research year Y (service months January–December Y, decided by the CKV in March Y+1)
the engine judges the four criteria and runs the state machine over years:

Criteria (all must hold for a **pass**), every number from ``params/rules.yml`` (``label:``):

1. **Scores:** on each label component (``label.quarterly_components`` +
   ``label.yearly_components``) onderdeelscore ≥ ``min_score`` (7,0) and percentage tevreden
   ≥ ``min_pct_satisfied`` (85%), compared exactly (:func:`kwh_calc.calculations.scores.component_scores`).
2. **Coverage:** see :mod:`kwh_calc.calculations.coverage` (quarterly components: every calendar quarter
   covered by a delivery of at most 92 days; Planmatig onderhoud: at least one delivery).
3. **Algemene waardering** held at least once in Y.
4. **Low response:** a component failing criterion 1 with fewer respondents than its
   ``min_respondents`` (20 / 50) is not a plain fail: the CKV decides whether it counts.

Operational definitions (**Decision**): a component's respondents have at least one valid
label-question grade and a service month in Y; 0 respondents = a criterion-1 failure with low
response (CKV decides). A **hard fail** is a criterion-1 failure with enough respondents, a
coverage failure of a quarterly component, or no Algemene waardering. No Planmatig-onderhoud
delivery ("geen onderhoud aangeleverd") is a CKV-discretion component. A year **passes** with
no hard fail and no discretion component; with no hard fail but some discretion component the
advice is ``ckv_beslist`` with the outcome if the result counts (fail) and if not (pass).

State machine (**Decision** on dates): the decision on Y is taken in March Y+1; a label is
*valid* then when ``label_history`` (rows of earlier research years) has ``valid_until`` ≥
Y+1-03-01 (``valid_at_month_day``); granting or extending sets ``valid_until`` to
Y+1+``validity_years``-03-31; "previous year failed" = a ``label_history`` row for Y−1 with
``passed`` false (no row: not failed).

============  ===============  ======================  ==================
year          no valid label   valid, Y−1 not failed   valid, Y−1 failed
============  ===============  ======================  ==================
pass          toekennen        verlengen               verlengen
fail          niet_toekennen   niet_verlengen          verloopt
============  ===============  ======================  ==================

Special cases: **new members** (``member_since`` inside Y, see
:func:`kwh_calc.calculations.coverage.new_members`) whose deliveries do not cover every quarter of Y are
``nog_niet_beoordeelbaar`` (route a: a year of research from the start month, presented when
complete); with a first delivery reaching back far enough (route b) they are assessed
normally. A **merger** inside Y pools the predecessors' respondents and deliveries before
``merged_on`` with the merged corporation's own (:func:`kwh_calc.calculations.coverage.attribute_to_successors`);
it is assessable in March only when every predecessor has respondents in January–June
(``merger_first_half_months``), else ``nog_niet_beoordeelbaar``; the predecessors' label
history does not carry over: a merged corporation's ``label_history`` rows of research years
before its merger year are ignored in every later year too (they exist when it kept the id of
a predecessor it absorbed; see :func:`label_state`). ``nog_niet_beoordeelbaar`` takes
precedence over every other outcome. Predecessors that merged away on or before 31 December Y
get no advice (:func:`merged_away` lists them for the CKV overview). A corporation that only
arises from a merger after Y (``member_since`` after Y) is ``not_yet_member``; one that is a
member in Y and absorbs others after Y is, in Y, one of that merger's predecessors and is
assessed on its own.

The Dutch reason texts are the templates in :data:`TEXTS` (code, next to the logic that
chooses them); numbers in them are formatted with :mod:`kwh_calc.common.numbers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kwh_calc.calculations.coverage import (
    QUARTERS,
    assessed_corporations,
    attribute_to_successors,
    aw_held,
    coverage_matrix,
    coverage_summary,
    in_year,
    mergers,
    new_members,
    year_bounds,
    year_deliveries,
)
from kwh_calc.calculations.scores import component_scores, research_months, respondent_results
from kwh_calc.common.numbers import (
    MONTHS_NL,
    fmt_count,
    fmt_date,
    fmt_grade,
    fmt_month,
    fmt_pct,
    fmt_unrounded,
)
from kwh_calc.intake.dataset import DECISIONS, Dataset
from kwh_calc.intake.rules import Rules

__all__ = [
    "ADVICES",
    "ADVICE_NAMES",
    "COMPONENT_FIELDS",
    "NOT_ASSESSABLE",
    "SPECIAL_CASES",
    "TEXTS",
    "LabelAdvice",
    "advice_table",
    "component_table",
    "components_table",
    "coverage_table",
    "label_advice",
    "label_components",
    "label_dates",
    "label_state",
    "merged_away",
    "merged_away_table",
    "outcome",
    "possible_decisions",
    "year_results",
]

#: Every advice value, in the order of the CKV overview; the first five are the CKV's
#: possible decisions (``label_history.decision``, docs/data-contract.md §11).
ADVICES = (*DECISIONS, "ckv_beslist", "nog_niet_beoordeelbaar")
#: Dutch display names of the advice values.
ADVICE_NAMES = {
    "toekennen": "toekennen",
    "verlengen": "verlengen",
    "niet_toekennen": "niet toekennen",
    "niet_verlengen": "niet verlengen",
    "verloopt": "verloopt",
    "ckv_beslist": "CKV beslist",
    "nog_niet_beoordeelbaar": "nog niet beoordeelbaar",
}
#: special_case values; the ones in NOT_ASSESSABLE make the advice nog_niet_beoordeelbaar.
SPECIAL_CASES = (
    "",
    "new_member_route_a",
    "new_member_route_b",
    "merger",
    "merger_first_half_missing",
    "not_yet_member",
)
NOT_ASSESSABLE = frozenset({"new_member_route_a", "merger_first_half_missing", "not_yet_member"})
#: Per-component columns of the advice table, as ``<component>_<field>``.
COMPONENT_FIELDS = ("n", "score", "pct_satisfied", "meets", "ckv_discretion", "coverage", "borderline")


#: Dutch reason templates (one reason each; reasons are joined with "; ", so none holds ";").
TEXTS = {
    "score": "onderdeelscore {value} (grens {limit}{borderline})",
    "pct": "percentage tevreden {value} (grens {limit}{borderline})",
    "borderline": ", grensgeval: onafgerond {exact}",
    "failed": "{name}: {parts} niet gehaald",
    "low_response": " bij {n} respondenten (minder dan {minimum}): de CKV beslist of dit resultaat meetelt",
    "no_respondents": (
        "{name}: geen respondenten in {year} (minimaal {minimum} nodig): de CKV beslist of dit onderdeel meetelt"
    ),
    "coverage_gap": "{name}: niet ieder kwartaal onderzocht, geen aanlevering over hooguit {days} dagen in {quarters}",
    "coverage_long": " ({quarters}alleen aanleveringen over een langere periode, zoals halfjaarlijks)",
    "no_onderhoud": (
        "{name}: geen onderhoud aangeleverd in {year}: de CKV beslist (geen onderhoud of niet aangeleverd)"
    ),
    "no_aw": "Algemene waardering niet gehouden in {year}",
    "grant": "Voldoet aan alle criteria over {year}, geen geldig label: toekennen, geldig tot {until}",
    "extend": "Voldoet aan alle criteria over {year}, label geldig tot {before}: verlengen tot {until}",
    "not_grant": "Geen geldig label: niet toekennen",
    "not_extend": "Label geldig tot {before}, {previous}: niet verlengen, het label blijft geldig tot {before}",
    "previous_passed": "{year} wel gehaald",
    "previous_unknown": "geen besluit over {year} vastgelegd",
    "expire": (
        "Label geldig tot {before}, ook {previous} niet gehaald: het label verloopt "
        "(2 opeenvolgende onderzoeksjaren niet gehaald)"
    ),
    "ckv_decides": (
        "CKV beslist over {components}: telt het resultaat mee, dan {counted}, telt het niet mee, dan {not_counted}"
    ),
    "state_valid": "label geldig tot {before}",
    "state_none": "geen geldig label",
    "route_a": (
        "Nieuw lid sinds {since}: de aanleveringen dekken niet ieder kwartaal van {year} (route a): "
        "eerst een jaar onderzoek ({start} t/m {end}), de resultaten gaan na afronding naar de CKV "
        "(verwacht {present}), daarna jaarlijks in {month}"
    ),
    "route_b": "Nieuw lid sinds {since}: {how}, dus beoordeeld als ieder lid",
    "route_b_delivery": "eerste aanlevering met gegevens over de afgelopen {months} maanden (route b)",
    "route_b_quarters": "de aanleveringen dekken ieder kwartaal van {year}",
    "merger": (
        "Fusie per {on} uit {predecessors}: alle rechtsvoorgangers hebben resultaten over {half} {year}, "
        "hun respondenten tot de fusie tellen samen met die van de fusiecorporatie erna, "
        "de fusiecorporatie begint opnieuw (het label van rechtsvoorgangers telt niet mee)"
    ),
    "merger_missing": (
        "Fusie per {on} uit {predecessors}: niet alle rechtsvoorgangers hebben resultaten over {half} {year} "
        "(geen respondenten bij {missing}): de fusiecorporatie doet eerst een jaar onderzoek "
        "({start} t/m {end}) en legt de resultaten daarna aan de CKV voor (verwacht {present}), "
        "daarna jaarlijks in {month}"
    ),
    "not_yet_member": "Nog geen lid in {year} (lid sinds {since}): nog geen resultaten over {year}",
    "merger_after_year": (
        "Ontstaat pas door de fusie per {on}, na {year}: de rechtsvoorgangers krijgen over {year} hun eigen advies"
    ),
}


# --------------------------------------------------------------------------- small helpers


def _names(rules: Rules, keys) -> str:
    return ", ".join(rules.questionnaire_name(k) for k in keys)


def label_components(rules: Rules) -> list[str]:
    """The label components judged on criterion 1: quarterly then yearly ones, from the rules."""
    return [*rules.label.quarterly_components, *rules.label.yearly_components]


def label_dates(rules: Rules, year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(valid_at, valid_until_if_granted)`` for the decision on research year ``year``.

    A label is valid at the March Y+1 decision when ``valid_until`` ≥ ``valid_at`` (Y+1-03-01);
    granting or extending makes it valid until Y+1+``validity_years``-03-31 (docs/methodology.md §3.8,
    **Decision** on dates).
    """
    label = rules.label
    valid_at = pd.Timestamp(f"{year + 1}-{label.valid_at_month_day}")
    granted = pd.Timestamp(f"{year + 1 + label.validity_years}-{label.valid_until_month_day}")
    return valid_at, granted


def outcome(passed: bool, label_valid: bool, previous_year_passed: bool | None) -> str:
    """The state machine of docs/methodology.md §3.7 for one corporation and year.

    Parameters
    ----------
    passed : the year meets every criterion (no hard fail, no discretion component counted).
    label_valid : a label is valid at the March Y+1 decision.
    previous_year_passed : ``label_history.passed`` of Y−1; ``None`` = no row (not failed).

    Returns
    -------
    str
        ``toekennen`` / ``verlengen`` (pass without / with a valid label), ``niet_toekennen``
        (fail, no valid label), ``niet_verlengen`` (fail, valid, Y−1 not failed) or
        ``verloopt`` (fail, valid, Y−1 failed too: two consecutive failing years).
    """
    if passed:
        return "verlengen" if label_valid else "toekennen"
    if not label_valid:
        return "niet_toekennen"
    failed_before = (
        previous_year_passed is not None and not pd.isna(previous_year_passed) and not bool(previous_year_passed)
    )
    return "verloopt" if failed_before else "niet_verlengen"


def possible_decisions(label_valid: bool, previous_year_passed: bool | None) -> tuple[str, ...]:
    """The CKV decisions that the label status allows: the outcome if the year passes and the
    outcome if it fails (:func:`outcome`), in that order.

    - no valid label: ``toekennen`` or ``niet_toekennen``;
    - valid label, Y−1 not failed (passed, or no decision recorded): ``verlengen`` or
      ``niet_verlengen``;
    - valid label, Y−1 failed: ``verlengen`` or ``verloopt`` (two consecutive failing years).

    **Decision**: the CKV may deviate from the advice on whether the year passes, not from the
    state machine of docs/methodology.md §3, so the decision form offers only these two outcomes (also
    for ``ckv_beslist``, whose two outcomes are exactly these).
    """
    return tuple(
        dict.fromkeys(
            (outcome(True, label_valid, previous_year_passed), outcome(False, label_valid, previous_year_passed))
        )
    )


# --------------------------------------------------------------------------- inputs


def merged_away(dataset: Dataset, year: int) -> pd.DataFrame:
    """Predecessors that merged away on or before 31 December ``year``: no advice of their own.

    Returns ``corporation_id, name, successor_id, successor_name, merged_on`` (for the CKV
    overview: "gefuseerd in …").
    """
    corps = dataset.corporations
    table = mergers(corps)
    table = table.loc[table["merged_on"] <= year_bounds(year)[1]]
    names = corps.set_index("corporation_id")["name"]
    return (
        pd.DataFrame(
            {
                "corporation_id": table["predecessor_id"].to_numpy(),
                "name": table["predecessor_id"].map(names).to_numpy(),
                "successor_id": table["successor_id"].to_numpy(),
                "successor_name": table["successor_id"].map(names).to_numpy(),
                "merged_on": table["merged_on"].to_numpy(),
            }
        )
        .sort_values("corporation_id")
        .reset_index(drop=True)
    )


def year_results(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """Respondent results of the label components for ``year``, attributed for mergers.

    :func:`kwh_calc.calculations.scores.respondent_results` over service months January–December ``year``
    and the label components, then predecessors' respondents with a service month before
    ``merged_on`` re-attributed to the merged corporation (``corporation_id``; the delivering
    corporation stays in ``source_corporation_id``), docs/methodology.md §3.10 **Decision** on mergers.
    """
    first, last = research_months(year)
    results = respondent_results(
        dataset, rules, first_month=first, last_month=last, questionnaires=label_components(rules)
    )
    return attribute_to_successors(results, dataset.corporations, year=year, month_column="service_month")


def label_state(
    label_history: pd.DataFrame,
    corporation_ids,
    rules: Rules,
    year: int,
    fresh: set[str] | frozenset[str] = frozenset(),
    merged_on: pd.Series | None = None,
) -> pd.DataFrame:
    """Label validity at the decision on ``year``, per corporation.

    Parameters
    ----------
    label_history : docs/data-contract.md §11 ``label_history``; only rows of research years before ``year``
        count (a decision already recorded for ``year`` itself is ignored, so the advice can
        be re-run).
    corporation_ids : corporations to report.
    fresh : corporations that start afresh (mergers inside the year): no valid label, no
        previous year, whatever their history says.
    merged_on : merger date per merged corporation (index ``corporation_id``; mergers on or
        before 31 December ``year``). The merged corporation starts afresh (docs/methodology.md §3.10
        **Decision** on mergers, "earlier label history of predecessors does not carry over";
        FAQ "Fusies": "ongeacht of de rechtsvoorgangers het Kwaliteitslabel hebben"), so its
        rows of research years before the merger year are ignored, in every later year too.
        Only a merged corporation that keeps the id of a predecessor (it absorbed the others)
        has such rows; its own decisions from the merger year on count.

    Returns
    -------
    DataFrame
        ``corporation_id, valid_until_before`` (latest ``valid_until``, NaT if none),
        ``label_valid`` (``valid_until_before`` ≥ Y+1-03-01), ``previous_year_passed``
        (``passed`` of the Y−1 row; ``<NA>`` without a row).
    """
    valid_at, _ = label_dates(rules, year)
    history = label_history.loc[label_history["research_year"] < year]
    if merged_on is not None and len(merged_on) and len(history):
        merger_year = history["corporation_id"].map(pd.to_datetime(merged_on).dt.year)
        history = history.loc[(merger_year.isna() | (history["research_year"] >= merger_year)).to_numpy(dtype=bool)]
    ids = pd.Index(list(corporation_ids), name="corporation_id")
    until = history.groupby("corporation_id")["valid_until"].max().reindex(ids)
    previous = history.loc[history["research_year"] == year - 1].set_index("corporation_id")["passed"]
    previous = previous.astype("boolean").reindex(ids)
    state = pd.DataFrame(
        {"valid_until_before": until.astype("datetime64[ns]"), "previous_year_passed": previous}, index=ids
    )
    is_fresh = state.index.isin(list(fresh))
    state.loc[is_fresh, "valid_until_before"] = pd.NaT
    state.loc[is_fresh, "previous_year_passed"] = pd.NA
    state["label_valid"] = (state["valid_until_before"] >= valid_at).fillna(False).astype(bool)
    return state.reset_index()[["corporation_id", "valid_until_before", "label_valid", "previous_year_passed"]]


# --------------------------------------------------------------------------- components


def component_table(
    dataset: Dataset,
    rules: Rules,
    year: int,
    *,
    results: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per corporation × label component: the figures and how they weigh in the advice.

    Parameters
    ----------
    results : :func:`year_results` (computed when not given).
    summary : :func:`kwh_calc.calculations.coverage.coverage_summary` (computed when not given).

    Returns
    -------
    DataFrame
        One row per assessed corporation × label component (``component``), with
        ``component_name``, ``n``, ``min_respondents``, ``score`` (unrounded, grade 1–10),
        ``pct_satisfied`` (unrounded percent), ``sd``, ``score_display``, ``pct_display``,
        ``min_score``, ``min_pct_satisfied`` (Decimal thresholds), ``meets_score``,
        ``meets_pct``, ``meets`` (criterion 1; False with 0 respondents), ``borderline_score``,
        ``borderline_pct``, ``borderline``, ``low_response`` (fails criterion 1 with fewer
        than ``min_respondents``), ``kind`` (``quarterly``/``yearly``), ``covered``,
        ``n_deliveries``, ``K1``–``K4`` (counting deliveries per quarter),
        ``quarters_missing``, ``quarters_long_only``, ``route_b``, ``no_delivery`` (yearly
        component without a delivery: "geen onderhoud aangeleverd"), ``ckv_discretion``
        (``low_response`` or ``no_delivery``), ``hard_fail`` (criterion-1 failure with enough
        respondents, or a quarterly coverage failure) and ``status`` (``gehaald`` /
        ``niet gehaald`` / ``CKV beslist``).
    """
    results = year_results(dataset, rules, year) if results is None else results
    summary = coverage_summary(dataset, rules, year) if summary is None else summary
    components = label_components(rules)
    ids = assessed_corporations(dataset.corporations, year)["corporation_id"].tolist()
    grid = pd.MultiIndex.from_product([ids, components], names=["corporation_id", "component"]).to_frame(index=False)
    scores = component_scores(results.loc[results["questionnaire"].isin(components)], rules)
    scores = scores.rename(columns={"questionnaire": "component"})
    table = grid.merge(scores, on=["corporation_id", "component"], how="left")
    table["n"] = table["n"].fillna(0).astype("int64")
    table["n_satisfied"] = table["n_satisfied"].fillna(0).astype("int64")
    for column in ("meets_score", "meets_pct", "borderline_score", "borderline_pct"):
        table[column] = table[column].astype("boolean").fillna(False).astype(bool)
    for column in ("score", "pct_satisfied", "sd"):
        table[column] = table[column].astype("float64")
    table["score_display"] = table["score_display"].fillna("–")
    table["pct_display"] = table["pct_display"].fillna("–")
    table.insert(2, "component_name", table["component"].map(rules.questionnaire_name))
    table["min_respondents"] = table["component"].map(lambda q: rules.questionnaires[q].min_respondents).astype("int64")
    table["min_score"] = rules.label.min_score
    table["min_pct_satisfied"] = rules.label.min_pct_satisfied
    table["meets"] = table["meets_score"] & table["meets_pct"] & (table["n"] > 0)
    table["borderline"] = table["borderline_score"] | table["borderline_pct"]
    table["low_response"] = ~table["meets"] & (table["n"] < table["min_respondents"])
    cover = summary.rename(columns={"questionnaire": "component"})
    cover = cover[
        [
            "corporation_id",
            "component",
            "kind",
            "covered",
            "n_deliveries",
            *QUARTERS,
            "quarters_missing",
            "quarters_long_only",
            "route_b",
        ]
    ]
    table = table.merge(cover, on=["corporation_id", "component"], how="left")
    table["no_delivery"] = (table["kind"] == "yearly") & ~table["covered"]
    table["ckv_discretion"] = table["low_response"] | table["no_delivery"]
    table["hard_fail"] = (~table["meets"] & ~table["low_response"]) | (
        (table["kind"] == "quarterly") & ~table["covered"]
    )
    table["status"] = np.select(
        [table["hard_fail"], table["ckv_discretion"]], ["niet gehaald", "CKV beslist"], "gehaald"
    )
    return table.drop(columns=["n_satisfied"]).reset_index(drop=True)


def _component_reasons(row, rules: Rules, year: int) -> list[str]:
    """Dutch reasons for one component row of :func:`component_table` (empty when it passes)."""
    name = row.component_name
    reasons = []
    if row.kind == "quarterly" and not row.covered:
        text = TEXTS["coverage_gap"].format(
            name=name, days=rules.label.max_delivery_period_days, quarters=row.quarters_missing
        )
        if row.quarters_long_only:
            long_only = "" if row.quarters_long_only == row.quarters_missing else f"{row.quarters_long_only}: "
            text += TEXTS["coverage_long"].format(quarters=long_only)
        reasons.append(text)
    if row.no_delivery:
        reasons.append(TEXTS["no_onderhoud"].format(name=name, year=year))
    if row.n == 0:
        if not row.no_delivery:
            reasons.append(TEXTS["no_respondents"].format(name=name, year=year, minimum=fmt_count(row.min_respondents)))
    elif not row.meets:
        parts = []
        if not row.meets_score:
            extra = TEXTS["borderline"].format(exact=fmt_unrounded(row.score)) if row.borderline_score else ""
            parts.append(
                TEXTS["score"].format(value=row.score_display, limit=fmt_grade(row.min_score), borderline=extra)
            )
        if not row.meets_pct:
            extra = (
                TEXTS["borderline"].format(exact=fmt_unrounded(row.pct_satisfied, 2, 1, "%"))
                if row.borderline_pct
                else ""
            )
            parts.append(
                TEXTS["pct"].format(value=row.pct_display, limit=fmt_pct(row.min_pct_satisfied), borderline=extra)
            )
        text = TEXTS["failed"].format(name=name, parts=" en ".join(parts))
        if row.low_response:
            text += TEXTS["low_response"].format(n=fmt_count(row.n), minimum=fmt_count(row.min_respondents))
        reasons.append(text)
    return reasons


# --------------------------------------------------------------------------- special cases


def _special_cases(
    dataset: Dataset, rules: Rules, year: int, results: pd.DataFrame, components: pd.DataFrame
) -> pd.DataFrame:
    """special_case, its Dutch reason and the expected presentation moment per corporation."""
    label = rules.label
    corps = assessed_corporations(dataset.corporations, year).set_index("corporation_id")
    _, last = year_bounds(year)
    new = pd.Series(new_members(corps.reset_index(), year).to_numpy(), index=corps.index)
    merger_in_year = corps["merged_from"].notna() & in_year(corps["merged_on"], year)
    table = mergers(dataset.corporations)
    half_last = f"{year:04d}-{label.merger_first_half_months:02d}"
    first_half = results.loc[
        (results["service_month"] <= half_last) & (results["corporation_id"] != results["source_corporation_id"])
    ]
    with_results = set(zip(first_half["corporation_id"], first_half["source_corporation_id"], strict=True))
    quarterly = components.loc[components["kind"] == "quarterly"]
    covers_all = quarterly.groupby("corporation_id")["covered"].all()
    uses_route_b = quarterly.groupby("corporation_id")["route_b"].any()
    decision_month = MONTHS_NL[label.decision_month - 1]
    span = label.first_assessment_months

    def period(start) -> dict[str, str]:
        start = pd.Timestamp(start).to_period("M").to_timestamp()
        end = start + pd.DateOffset(months=span - 1)
        return {"start": fmt_month(start), "end": fmt_month(end), "present": fmt_month(end + pd.DateOffset(months=1))}

    rows = []
    for cid, corp in corps.iterrows():
        case, reason, present = "", "", ""
        since = corp["member_since"]
        if since > last and pd.notna(corp["merged_from"]) and pd.notna(corp["merged_on"]) and corp["merged_on"] > last:
            case, reason = (
                "not_yet_member",
                TEXTS["merger_after_year"].format(on=fmt_date(corp["merged_on"]), year=year),
            )
        elif since > last:
            case, reason = "not_yet_member", TEXTS["not_yet_member"].format(year=year, since=fmt_date(since))
        elif merger_in_year[cid]:
            predecessors = table.loc[table["successor_id"] == cid, "predecessor_id"].tolist()
            missing = [p for p in predecessors if (cid, p) not in with_results]
            names = ", ".join(predecessors)
            half = f"januari t/m {MONTHS_NL[label.merger_first_half_months - 1]}"
            if missing:
                dates = period(corp["merged_on"])
                case, present = "merger_first_half_missing", dates["present"]
                reason = TEXTS["merger_missing"].format(
                    on=fmt_date(corp["merged_on"]),
                    predecessors=names,
                    half=half,
                    year=year,
                    missing=", ".join(missing),
                    month=decision_month,
                    **dates,
                )
            else:
                case = "merger"
                reason = TEXTS["merger"].format(
                    on=fmt_date(corp["merged_on"]), predecessors=names, half=half, year=year
                )
        elif new[cid]:
            if covers_all.get(cid, False):
                case = "new_member_route_b"
                how = (
                    TEXTS["route_b_delivery"].format(months=label.new_member_lookback_months)
                    if uses_route_b.get(cid, False)
                    else TEXTS["route_b_quarters"].format(year=year)
                )
                reason = TEXTS["route_b"].format(since=fmt_date(since), how=how)
            else:
                dates = period(since)
                case, present = "new_member_route_a", dates["present"]
                reason = TEXTS["route_a"].format(since=fmt_date(since), year=year, month=decision_month, **dates)
        rows.append(
            {"corporation_id": cid, "special_case": case, "special_reason": reason, "expected_presentation": present}
        )
    return pd.DataFrame(rows, columns=["corporation_id", "special_case", "special_reason", "expected_presentation"])


# --------------------------------------------------------------------------- advice


@dataclass(frozen=True)
class LabelAdvice:
    """The label advice for one research year (all corporations).

    Attributes
    ----------
    year : research year Y.
    rules_version : version of the rule set judged by (printed on every dossier).
    advice : one row per assessed corporation (the CLI contract columns, see :func:`advice_table`).
    components : :func:`component_table` (corporation × label component detail).
    coverage : :func:`kwh_calc.calculations.coverage.coverage_matrix` (corporation × component × quarter).
    deliveries : :func:`kwh_calc.calculations.coverage.year_deliveries` (the deliveries behind the matrix).
    merged_away : :func:`merged_away` (predecessors without advice of their own).
    """

    year: int
    rules_version: str
    advice: pd.DataFrame
    components: pd.DataFrame
    coverage: pd.DataFrame
    deliveries: pd.DataFrame
    merged_away: pd.DataFrame


def label_advice(dataset: Dataset, rules: Rules, year: int) -> LabelAdvice:
    """KWH's label advice to the CKV on research year ``year`` for every corporation.

    One pass over the national data: respondent results (merger-attributed), component
    scores, coverage, Algemene waardering, label state and special cases; then the per
    corporation state machine (docs/methodology.md §3.7). See the module docstring for every rule.
    """
    results = year_results(dataset, rules, year)
    deliveries = year_deliveries(dataset, rules, year)
    summary = coverage_summary(dataset, rules, year, deliveries)
    matrix = coverage_matrix(dataset, rules, year, deliveries)
    components = component_table(dataset, rules, year, results=results, summary=summary)
    held = aw_held(dataset, rules, year, summary).set_index("corporation_id")
    special = _special_cases(dataset, rules, year, results, components).set_index("corporation_id")
    corps = assessed_corporations(dataset.corporations, year).set_index("corporation_id")
    fresh = set(special.index[special["special_case"].isin(["merger", "merger_first_half_missing"])])
    merged = corps.loc[corps["merged_from"].notna() & (corps["merged_on"] <= year_bounds(year)[1]), "merged_on"]
    state = label_state(dataset.label_history, corps.index, rules, year, fresh, merged_on=merged).set_index(
        "corporation_id"
    )
    _, granted = label_dates(rules, year)
    by_corp = _rows_by_corporation(components)

    rows = []
    for cid, corp in corps.iterrows():
        comp = by_corp[cid]
        st = state.loc[cid]
        sp = special.loc[cid]
        aw = bool(held.at[cid, "aw_held"])
        valid = bool(st["label_valid"])
        previous = None if pd.isna(st["previous_year_passed"]) else bool(st["previous_year_passed"])
        hard_fail = any(c.hard_fail for c in comp) or not aw
        discretion = any(c.ckv_discretion for c in comp)
        reasons = [sp["special_reason"]] if sp["special_reason"] else []
        if sp["special_case"] not in NOT_ASSESSABLE:  # not assessed: the figures stay in the detail table
            for c in comp:
                reasons += _component_reasons(c, rules, year)
            if not aw:
                reasons.append(TEXTS["no_aw"].format(year=year))
        before = fmt_date(st["valid_until_before"])
        if sp["special_case"] in NOT_ASSESSABLE:
            advice, if_counted, if_not, criteria_met = "nog_niet_beoordeelbaar", "", "", pd.NA
        elif hard_fail:
            advice = outcome(False, valid, previous)
            if_counted = if_not = advice
            criteria_met = False
        elif discretion:
            advice, criteria_met = "ckv_beslist", pd.NA
            if_counted, if_not = outcome(False, valid, previous), outcome(True, valid, previous)
            names = _names(rules, [c.component for c in comp if c.ckv_discretion])
            state_text = TEXTS["state_valid"].format(before=before) if valid else TEXTS["state_none"]
            reasons.append(
                TEXTS["ckv_decides"].format(
                    components=names, counted=ADVICE_NAMES[if_counted], not_counted=ADVICE_NAMES[if_not]
                )
                + f" ({state_text})"
            )
        else:
            advice = outcome(True, valid, previous)
            if_counted = if_not = advice
            criteria_met = True
        if advice == "toekennen":
            reasons.append(TEXTS["grant"].format(year=year, until=fmt_date(granted)))
        elif advice == "verlengen":
            reasons.append(TEXTS["extend"].format(year=year, before=before, until=fmt_date(granted)))
        elif advice == "niet_toekennen":
            reasons.append(TEXTS["not_grant"])
        elif advice == "niet_verlengen":
            prev = (TEXTS["previous_passed"] if previous else TEXTS["previous_unknown"]).format(year=year - 1)
            reasons.append(TEXTS["not_extend"].format(before=before, previous=prev))
        elif advice == "verloopt":
            reasons.append(TEXTS["expire"].format(before=before, previous=year - 1))
        row = {
            "corporation_id": cid,
            "name": corp["name"],
            "research_year": year,
            "advice": advice,
            "advice_name": ADVICE_NAMES[advice],
            "advice_if_counted": if_counted,
            "advice_if_not_counted": if_not,
            "special_case": sp["special_case"],
            "criteria_met": criteria_met,
            "hard_fail": hard_fail,
            "ckv_discretion": discretion,
            "borderline": any(c.borderline for c in comp),
            "aw_held": aw,
            "aw_deliveries": int(held.at[cid, "aw_deliveries"]),
            "label_valid": valid,
            "valid_until_before": st["valid_until_before"],
            "valid_until_if_granted": pd.NaT if advice == "nog_niet_beoordeelbaar" else granted,
            "previous_year_passed": st["previous_year_passed"],
            "expected_presentation": sp["expected_presentation"],
        }
        for c in comp:
            row.update(
                {
                    f"{c.component}_n": c.n,
                    f"{c.component}_score": c.score,
                    f"{c.component}_pct_satisfied": c.pct_satisfied,
                    f"{c.component}_meets": c.meets,
                    f"{c.component}_ckv_discretion": c.ckv_discretion,
                    f"{c.component}_coverage": c.covered,
                    f"{c.component}_borderline": c.borderline,
                }
            )
        row["reasons"] = "; ".join(reasons)
        row["rules_version"] = rules.version
        rows.append(row)
    advice_frame = pd.DataFrame(rows)
    advice_frame["criteria_met"] = advice_frame["criteria_met"].astype("boolean")
    advice_frame["previous_year_passed"] = advice_frame["previous_year_passed"].astype("boolean")
    for column in ("valid_until_before", "valid_until_if_granted"):
        advice_frame[column] = pd.to_datetime(advice_frame[column])
    advice_frame = advice_frame.sort_values("corporation_id", kind="stable").reset_index(drop=True)
    return LabelAdvice(
        year=year,
        rules_version=rules.version,
        advice=advice_frame,
        components=components,
        coverage=matrix,
        deliveries=deliveries,
        merged_away=merged_away(dataset, year),
    )


def _rows_by_corporation(components: pd.DataFrame) -> dict[str, list]:
    """The rows of :func:`component_table` as named tuples, per corporation in table order.

    One ``itertuples`` over the whole table: per corporation it cost ≈1,5 s for 250 (a
    named-tuple class and a column scan per call; issue 13).
    """
    rows: dict[str, list] = {}
    for row in components.itertuples(index=False):
        rows.setdefault(row.corporation_id, []).append(row)
    return rows


_LAST: list = []  # [(dataset, rules, year, LabelAdvice)]: the last computation, see _cached


def _cached(dataset: Dataset, rules: Rules, year: int) -> LabelAdvice:
    """:func:`label_advice`, computed once for the same dataset, rules and year objects, so the
    results registry can ask for the advice, components and coverage tables separately."""
    if _LAST and _LAST[0][0] is dataset and _LAST[0][1] is rules and _LAST[0][2] == year:
        return _LAST[0][3]
    result = label_advice(dataset, rules, year)
    _LAST[:] = [(dataset, rules, year, result)]
    return result


def advice_table(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """The advice table alone (``(dataset, rules, year) -> DataFrame``, for the results registry).

    Columns: ``corporation_id, name, research_year, advice`` (one of :data:`ADVICES`),
    ``advice_name`` (Dutch), ``advice_if_counted``, ``advice_if_not_counted`` (for
    ``ckv_beslist`` the outcome if the CKV counts the low-response result / does not; equal to
    ``advice`` otherwise; empty for ``nog_niet_beoordeelbaar``), ``special_case`` (one of
    :data:`SPECIAL_CASES`), ``criteria_met`` (True pass / False hard fail / empty), ``hard_fail``,
    ``ckv_discretion``, ``borderline`` (computed on the figures, also for corporations not yet
    assessable), ``aw_held``, ``aw_deliveries``, ``label_valid``, ``valid_until_before``,
    ``valid_until_if_granted``, ``previous_year_passed``, ``expected_presentation`` (Dutch
    month, special cases not yet assessable), per label component ``<component>_`` + each of
    :data:`COMPONENT_FIELDS`, ``reasons`` (Dutch, "; " separated) and ``rules_version``.
    """
    return _cached(dataset, rules, year).advice


def components_table(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """:func:`component_table` of the advice (``(dataset, rules, year) -> DataFrame``)."""
    return _cached(dataset, rules, year).components


def coverage_table(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """The coverage matrix behind the advice (``(dataset, rules, year) -> DataFrame``)."""
    return _cached(dataset, rules, year).coverage


def merged_away_table(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """:func:`merged_away` with the registry signature (``rules`` unused)."""
    return merged_away(dataset, year)
