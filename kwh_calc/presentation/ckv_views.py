"""Dutch presentation tables of the CKV dossier and the national CKV overview.

The KWH-Kwaliteitslabel advice is computed by :mod:`kwh_calc.calculations.label` during the close and kept
in the year's results (``label_advice``, ``label_components``, ``label_coverage``,
``label_merged_away``, ``label_history``; see :mod:`kwh_calc.results.year`). The functions here
turn a corporation's slice of those tables (:class:`~kwh_calc.results.year.YearResults`) into the
tables and sentences a CKV member reads in ``notebooks/ckv-dossier.ipynb`` and, over all
corporations, in ``notebooks/ckv-overzicht.ipynb`` (docs/methodology.md §3).

They select, order and format. The **intervals and margins of error** of the label
components (docs/methodology.md §5.2, §5.5: t-interval of the onderdeelscore, Wilson interval of
the percentage tevreden, worst-case margin of error with the finite population correction over
the component's population, a merged corporation's predecessors included) are computed by
:func:`kwh_calc.calculations.representativeness.label_component_intervals` during the close and
stored in ``label_components`` (``score_low``, ``score_high``, ``pct_low``, ``pct_high``,
``population``, ``margin``), all at the confidence level of the rule set
(``representativeness.confidence``, 90%). The label itself is judged on the measured values,
never on the intervals; the intervals show how sure a figure is ("hoe zeker is 7,1?").

Suppression (docs/methodology.md §6.4): these views show a corporation's component totals, which the CKV
needs to decide (also with few respondents: that is exactly when it decides); they add no
breakdown with scores. The one breakdown they add, the composition of a merged
corporation's results (:func:`merger_composition_table`), shows respondent counts only.

Every text is Dutch with Dutch number formats (:mod:`kwh_calc.common.numbers`); the functions return
plain text and DataFrames of strings: escape text before inserting it as Markdown
(:func:`kwh_calc.presentation.present.escape_markdown`, or :func:`bullets`).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from kwh_calc.calculations.label import ADVICE_NAMES, ADVICES, label_components, label_dates, possible_decisions
from kwh_calc.common.numbers import (
    MONTHS_NL,
    fmt_count,
    fmt_date,
    fmt_decimal,
    fmt_grade,
    fmt_pct,
    fmt_unrounded,
    is_missing,
)
from kwh_calc.presentation.present import escape_markdown
from kwh_calc.results.year import YearResults, per_document

__all__ = [
    "CHECKBOX",
    "COMPONENT_ABBREVIATIONS",
    "DECISION_OPTIONS",
    "NOT_MET",
    "QUARTER_LABELS",
    "SPECIAL_CASE_NAMES",
    "advice_counts",
    "advice_heading",
    "advice_row",
    "advice_title",
    "attention_summary",
    "aw_text",
    "borderline_overview",
    "bullets",
    "certainty_intro",
    "certainty_lines",
    "common_reason",
    "component_abbreviations",
    "component_figures",
    "component_legend",
    "components_table_nl",
    "corporation_label",
    "coverage_table_nl",
    "decision_block",
    "decision_options",
    "discretion_facts",
    "discretion_overview",
    "discretion_table",
    "expiring_overview",
    "group_table",
    "history_table",
    "interval_label",
    "merged_away_overview",
    "merged_away_text",
    "merger_composition_table",
    "reasons",
    "short_reasons",
    "special_case_lines",
    "special_overview",
    "thin_passes",
    "thin_passes_summary",
    "trend_notes",
    "trend_table",
    "trend_years",
    "validity_lines",
]

#: Column headers of the quarters in the coverage matrix.
QUARTER_LABELS = {"K1": "K1 (jan–mrt)", "K2": "K2 (apr–jun)", "K3": "K3 (jul–sep)", "K4": "K4 (okt–dec)"}
#: Mark of a figure or quarter that does not meet its criterion (a glyph of the bundled font).
NOT_MET = "✗"
#: Empty checkbox of the decision block (U+25A1, in the bundled font; U+2610 is not).
CHECKBOX = "□"
#: The CKV's possible decisions (``label_history.decision``), in the order of the block.
DECISION_OPTIONS = ("toekennen", "verlengen", "niet_toekennen", "niet_verlengen", "verloopt")
#: Dutch names of the special cases of the advice table (``special_case``).
SPECIAL_CASE_NAMES = {
    "new_member_route_a": "nieuw lid, route a",
    "new_member_route_b": "nieuw lid, route b",
    "merger": "fusie",
    "merger_first_half_missing": "fusie, eerste halfjaar ontbreekt",
    "not_yet_member": "nog geen lid",
}
#: Column headers of the label components in the overview's compact tables.
COMPONENT_ABBREVIATIONS = {
    "nieuwe_huurders": "NH",
    "vertrokken_huurders": "VH",
    "reparaties": "Rep",
    "planmatig_onderhoud": "PO",
}
_MERGERS = ("merger", "merger_first_half_missing")


# --------------------------------------------------------------------------- small helpers


def corporation_label(name, corporation_id) -> str:
    """``Woonstichting Demo 002 (C002)``."""
    return f"{name} ({corporation_id})"


def interval_label(results: YearResults) -> str:
    """``90%-interval`` at the rule set's confidence level."""
    return f"{fmt_pct(100 * float(results.rules.representativeness.confidence))}-interval"


def bullets(lines: Iterable[str]) -> str:
    """A Markdown bullet list of plain-text lines (escaped)."""
    return "\n".join(f"- {escape_markdown(line)}" for line in lines) + "\n"


def _year(results: YearResults) -> int:
    return results.year


def _component_names(results: YearResults) -> dict[str, str]:
    return {c: results.rules.questionnaire_name(c) for c in label_components(results.rules)}


def advice_row(results: YearResults) -> pd.Series | None:
    """The corporation's row of ``label_advice``, or None (merged away, or not in the results)."""
    rows = results.of("label_advice")
    return None if rows.empty else rows.iloc[0]


@per_document
def _components(results: YearResults) -> pd.DataFrame:
    """The corporation's ``label_components`` rows in rule order (sorted once per document: a
    dossier reads them in five tables; issue 13)."""
    rows = results.of("label_components")
    order = {c: i for i, c in enumerate(label_components(results.rules))}
    return rows.assign(_o=rows["component"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)


def _successors_predecessors(
    results: YearResults, corporation_id: str | None, *, in_year_only: bool = False
) -> pd.DataFrame:
    table = results.table("label_merged_away")
    rows = table.loc[table["successor_id"] == corporation_id]
    if in_year_only:
        merged_on = pd.to_datetime(rows["merged_on"])
        rows = rows.loc[merged_on.dt.year == results.year]
    return rows.sort_values("corporation_id").reset_index(drop=True)


# --------------------------------------------------------------------------- advice


def advice_heading(results: YearResults) -> str:
    """``Advies KWH over 2025: verlengen`` (``ckv_beslist`` names both outcomes)."""
    row = advice_row(results)
    year = _year(results)
    if row is None:
        return f"Geen advies over {year}"
    text = f"Advies KWH over {year}: {row['advice_name']}"
    if row["advice"] == "ckv_beslist":
        text += (
            f" (telt het resultaat mee: {ADVICE_NAMES[row['advice_if_counted']]}; "
            f"telt het niet mee: {ADVICE_NAMES[row['advice_if_not_counted']]})"
        )
    return text


def reasons(results: YearResults) -> list[str]:
    """The Dutch reasons of the advice (:mod:`kwh_calc.calculations.label` texts), one per line."""
    row = advice_row(results)
    if row is None or not row["reasons"]:
        return []
    return [r.strip() for r in str(row["reasons"]).split("; ") if r.strip()]


def merged_away_text(results: YearResults) -> str | None:
    """For a predecessor that merged away on or before 31 December Y: why there is no advice."""
    table = results.of("label_merged_away")
    if table.empty:
        return None
    row = table.iloc[0]
    year = _year(results)
    return (
        f"{row['name']} is per {fmt_date(row['merged_on'])} gefuseerd in "
        f"{corporation_label(row['successor_name'], row['successor_id'])} en krijgt over {year} geen eigen advies. "
        f"Respondenten met een servicemaand vóór de fusie tellen mee in de resultaten van "
        f"{row['successor_name']}; zie het dossier van {row['successor_id']}."
    )


def _outcome_validity(outcome: str, before: str, granted: str) -> str:
    return {
        "toekennen": f"label geldig tot {granted}",
        "verlengen": f"label geldig tot {granted}",
        "niet_toekennen": "geen label",
        "niet_verlengen": f"label blijft geldig tot {before}, daarna niet meer",
        "verloopt": f"label verloopt, geldig tot uiterlijk {before}",
    }[outcome]


def validity_lines(results: YearResults) -> list[str]:
    """The label state at the decision and what the advice means for its validity (docs/methodology.md §3.8).

    A label is valid at the decision of March Y+1 when ``valid_until`` ≥ Y+1-03-01; granting
    or extending makes it valid until Y+3-03-31; after niet verlengen and verloopt it stays
    valid until its current end (as :func:`kwh_calc.calculations.decisions.register_to_label_history`
    records it).
    """
    row = advice_row(results)
    if row is None:
        return []
    year = _year(results)
    rules = results.rules
    _, granted_at = label_dates(rules, year)
    granted = fmt_date(granted_at)
    before = fmt_date(row["valid_until_before"])
    lines = []
    if row["special_case"] in _MERGERS:
        lines.append("De fusiecorporatie begint opnieuw: een label van de rechtsvoorgangers telt niet mee.")
    if bool(row["label_valid"]):
        lines.append(
            f"Bij het besluit in {MONTHS_NL[rules.label.decision_month - 1]} {year + 1} "
            f"is het label geldig tot {before}."
        )
    elif not is_missing(row["valid_until_before"]) and row["special_case"] not in _MERGERS:
        lines.append(
            f"Bij het besluit in {MONTHS_NL[rules.label.decision_month - 1]} {year + 1} is er geen geldig label "
            f"(het laatste label was geldig tot {before})."
        )
    else:
        lines.append(
            f"Bij het besluit in {MONTHS_NL[rules.label.decision_month - 1]} {year + 1} is er geen geldig label."
        )
    advice = row["advice"]
    if advice == "toekennen":
        lines.append(f"Toekennen: het label is geldig tot {granted}.")
    elif advice == "verlengen":
        lines.append(f"Verlengen: het label is geldig tot {granted} (nu tot {before}).")
    elif advice == "niet_toekennen":
        lines.append(
            f"Niet toekennen: de corporatie heeft geen label; onderzoeksjaar {year + 1} wordt in "
            f"{MONTHS_NL[rules.label.decision_month - 1]} {year + 2} beoordeeld."
        )
    elif advice == "niet_verlengen":
        lines.append(
            f"Niet verlengen: het label blijft geldig tot {before} en wordt niet verlengd. Haalt de corporatie "
            f"over {year + 1} de criteria weer, dan kan het label worden verlengd; haalt zij ze niet, dan verloopt "
            f"het (twee onderzoeksjaren achter elkaar niet gehaald)."
        )
    elif advice == "verloopt":
        lines.append(
            f"Verloopt: {year - 1} en {year} zijn niet gehaald; het label blijft geldig tot uiterlijk {before} "
            "en wordt niet verlengd. Voor een nieuw label moet een onderzoeksjaar aan alle criteria voldoen "
            "(toekennen)."
        )
    elif advice == "ckv_beslist":
        counted, not_counted = row["advice_if_counted"], row["advice_if_not_counted"]
        lines.append(
            f"Telt het resultaat mee: {ADVICE_NAMES[counted]} ({_outcome_validity(counted, before, granted)}). "
            f"Telt het niet mee: {ADVICE_NAMES[not_counted]} ({_outcome_validity(not_counted, before, granted)})."
        )
    elif advice == "nog_niet_beoordeelbaar":
        when = row["expected_presentation"]
        lines.append(
            f"Nog niet beoordeelbaar: de CKV besluit nu niet over {year}"
            + (f"; de resultaten gaan naar verwachting in {when} naar de CKV." if when else ".")
        )
    return lines


# --------------------------------------------------------------------------- the four components


def component_figures(results: YearResults) -> pd.DataFrame:
    """Per label component the figures, thresholds, flags and intervals of the corporation.

    Returns
    -------
    DataFrame
        One row per label component (rule order) with ``component``, ``name``, ``n``,
        ``min_respondents``, ``score``, ``pct_satisfied`` (unrounded; percent),
        ``score_display``, ``pct_display``, ``score_low``, ``score_high`` (t-interval, grade),
        ``pct_low``, ``pct_high`` (Wilson, percent), ``margin`` (worst-case margin of error
        of the percentage, percentage points, with finite population correction),
        ``population`` (N, NaN when unknown), ``meets_score``, ``meets_pct``, ``meets``,
        ``borderline_score``, ``borderline_pct``, ``low_response``, ``ckv_discretion``,
        ``hard_fail``, ``status`` (``gehaald`` / ``niet gehaald`` / ``CKV beslist``) and the
        coverage columns of ``label_components``.
    """
    comp = _components(results)
    if comp.empty:
        return comp
    return comp.rename(columns={"component_name": "name"})


def _score_interval_text(row) -> str:
    if row.n == 0:
        return "–"
    if is_missing(row.score_low):
        return "geen interval bij 1 respondent"
    return f"{fmt_grade(row.score_low)}–{fmt_grade(row.score_high)}"


def _pct_interval_text(row) -> str:
    if row.n == 0:
        return "–"
    return f"{fmt_pct(row.pct_low)}–{fmt_pct(row.pct_high)}"


def _meets_text(meets: bool, borderline: bool, n: int, value: float, decimals: int, suffix: str = "") -> str:
    if n == 0:
        return "nee (geen respondenten)"
    if meets:
        return "ja"
    if borderline:
        return f"nee, grensgeval (onafgerond {fmt_unrounded(value, 4 if decimals == 2 else 2, decimals, suffix)})"
    return "nee"


def _coverage_text(row, results: YearResults) -> str:
    if row.kind == "quarterly":
        if row.covered:
            return "ieder kwartaal" + (" (route b)" if row.route_b else "")
        text = f"niet gedekt: {row.quarters_missing}"
        return text + (" (alleen langere perioden)" if row.quarters_long_only else "")
    return "aangeleverd" if row.covered else "geen onderhoud aangeleverd"


def components_table_nl(results: YearResults) -> pd.DataFrame:
    """The four label components side by side: figures, thresholds, met or not, intervals.

    Rows: respondents, the minimum below which the CKV decides (``Minimum respondenten``),
    onderdeelscore with its interval, whether it meets the threshold (``nee, grensgeval
    (onafgerond 6,98)`` for a borderline fail), the percentage satisfied with its interval,
    whether it meets, the margin of error of the percentage (``± 3,6``, percentage points),
    coverage and the verdict (``gehaald`` / ``niet gehaald`` /
    ``CKV beslist``; ``nog niet beoordeeld`` when the advice is nog_niet_beoordeelbaar).
    Columns: ``Cijfer`` (the row label) and one per component.
    """
    figures = component_figures(results)
    label = results.rules.label
    interval = interval_label(results)
    min_score, min_pct = fmt_grade(label.min_score), fmt_pct(label.min_pct_satisfied)
    row_advice = advice_row(results)
    assessed = row_advice is None or row_advice["advice"] != "nog_niet_beoordeelbaar"
    rows: dict[str, list[str]] = {
        "Respondenten": [],
        "Minimum respondenten": [],
        f"Onderdeelscore ({interval})": [],
        f"Onderdeelscore ≥ {min_score}": [],
        f"% tevreden ({interval})": [],
        f"% tevreden ≥ {min_pct}": [],
        "Foutmarge (procentpunt)": [],
        "Dekking": [],
        "Oordeel": [],
    }
    for row in figures.itertuples():
        rows["Respondenten"].append(fmt_count(row.n))
        rows["Minimum respondenten"].append(fmt_count(row.min_respondents))
        score = "–" if row.n == 0 else f"{row.score_display} ({_score_interval_text(row)})"
        pct = "–" if row.n == 0 else f"{row.pct_display} ({_pct_interval_text(row)})"
        rows[f"Onderdeelscore ({interval})"].append(score)
        rows[f"Onderdeelscore ≥ {min_score}"].append(
            _meets_text(row.meets_score, row.borderline_score, row.n, row.score, 2)
        )
        rows[f"% tevreden ({interval})"].append(pct)
        rows[f"% tevreden ≥ {min_pct}"].append(
            _meets_text(row.meets_pct, row.borderline_pct, row.n, row.pct_satisfied, 1, "%")
        )
        rows["Foutmarge (procentpunt)"].append(
            "–" if is_missing(row.margin) or row.n < 2 else f"± {fmt_decimal(row.margin, 1)}"
        )
        rows["Dekking"].append(_coverage_text(row, results))
        rows["Oordeel"].append(row.status if assessed else "nog niet beoordeeld")
    table = pd.DataFrame({"Cijfer": list(rows)})
    for position, row in enumerate(figures.itertuples()):
        table[row.name] = [values[position] for values in rows.values()]
    return table


def certainty_intro(results: YearResults) -> str:
    """How to read the intervals and margins, in the vocabulary of every document
    (:func:`kwh_calc.presentation.representativeness_views.terms_text`): the 90%-interval holds the value
    for *all* tenants with 90% zekerheid (not the measured value, which always lies in it);
    the foutmarge of a percentage is in procentpunt, for the ongunstigste geval (50%)."""
    settings = results.rules.representativeness
    confidence = fmt_pct(100 * float(settings.confidence))
    return (
        f"Met {confidence} zekerheid ligt de uitkomst voor alle huurders van het onderdeel (niet alleen de "
        f"respondenten) binnen het {interval_label(results)}: voor de onderdeelscore een t-interval over de "
        "gemiddelden per respondent, voor het percentage tevreden een Wilson-interval. De foutmarge is de helft van "
        "de breedte van zo'n interval voor een percentage, in procentpunt, in het ongunstigste geval "
        f"({fmt_pct(100 * float(settings.worst_case_p))} tevreden) en met correctie voor het aantal aangeleverde "
        "huurders. Het advies toetst de gemeten waarden; het interval laat zien hoe dicht een uitkomst bij de grens "
        "ligt."
    )


def certainty_lines(results: YearResults) -> list[str]:
    """ "Hoe zeker is 7,1?": per component the figures with their intervals, in one sentence.

    e.g. ``Reparaties: onderdeelscore 7,1 (90%-interval 6,9–7,3), 88% tevreden
    (90%-interval 84%–91%), 148 respondenten, foutmarge ± 6,5 procentpunt. De grens 7,0 ligt
    binnen het interval van de onderdeelscore.``
    """
    figures = component_figures(results)
    label = results.rules.label
    interval = interval_label(results)
    min_score, min_pct = float(label.min_score), float(label.min_pct_satisfied)
    lines = []
    for row in figures.itertuples():
        if row.n == 0:
            lines.append(f"{row.name}: geen respondenten in {results.year}.")
            continue
        score_iv = _score_interval_text(row)
        score = (
            f"onderdeelscore {row.score_display} ({interval} {score_iv})"
            if not is_missing(row.score_low)
            else f"onderdeelscore {row.score_display} ({interval} niet te bepalen bij 1 respondent)"
        )
        pct = f"{row.pct_display} tevreden ({interval} {_pct_interval_text(row)})"
        margin = (
            "" if is_missing(row.margin) or row.n < 2 else f", foutmarge ± {fmt_decimal(row.margin, 1)} procentpunt"
        )
        respondents = "1 respondent" if row.n == 1 else f"{fmt_count(row.n)} respondenten"
        text = f"{row.name}: {score}, {pct}, {respondents}{margin}."
        inside = []
        if not is_missing(row.score_low) and row.score_low <= min_score <= row.score_high:
            inside.append(f"de grens {fmt_grade(label.min_score)} ligt binnen het interval van de onderdeelscore")
        if not is_missing(row.pct_low) and row.pct_low <= min_pct <= row.pct_high:
            inside.append(
                f"de grens {fmt_pct(label.min_pct_satisfied)} ligt binnen het interval van het percentage tevreden"
            )
        if inside:
            text += " Let op: " + " en ".join(inside) + "."
        if row.n < int(results.rules.suppression.min_cell_size):
            text += (
                f" Dit rust op zeer weinig respondenten (minder dan {results.rules.suppression.min_cell_size}): "
                "interval en foutmarge zijn dan nauwelijks te gebruiken."
            )
        lines.append(text)
    return lines


# --------------------------------------------------------------------------- coverage


def coverage_table_nl(results: YearResults) -> pd.DataFrame:
    """The quarterly coverage matrix: per component the deliveries per quarter and the verdict.

    A cell is the number of deliveries whose data period overlaps the quarter; ``2 (1 telt)``
    when only some count (quarterly components: data period at most
    ``label.max_delivery_period_days`` days, or a new member's route-b first delivery) and
    ``✗`` after a quarter of a quarterly component that is not covered. Rows: the label
    components and Algemene waardering (rule order); last column ``Oordeel``.
    """
    rules = results.rules
    # The matrix and the components read once, as plain rows: a lookup per cell in the frames
    # was most of a dossier's coverage table (issue 13).
    counts = {
        (r.questionnaire, r.quarter): (int(r.n_deliveries), int(r.n_counting))
        for r in results.of("label_coverage").itertuples(index=False)
    }
    components = {r.component: r for r in _components(results).itertuples(index=False)}
    row_advice = advice_row(results)
    order = [*label_components(rules), rules.label.required_held]
    quarterly = set(rules.label.quarterly_components)
    rows = []
    for questionnaire in order:
        entry = {"Onderdeel": rules.questionnaire_name(questionnaire)}
        for quarter, header in QUARTER_LABELS.items():
            if (questionnaire, quarter) not in counts:
                entry[header] = "–"
                continue
            n_all, n_counting = counts[questionnaire, quarter]
            text = fmt_count(n_all)
            if questionnaire in quarterly:
                if 0 < n_counting < n_all:
                    text += f" ({fmt_count(n_counting)} telt)"
                elif n_counting == 0 and n_all > 0:
                    text += " (telt niet)"
                if n_counting == 0:
                    text += f" {NOT_MET}"
            entry[header] = text
        if questionnaire in components:
            entry["Oordeel"] = _coverage_text(components[questionnaire], results)
        elif row_advice is not None:
            entry["Oordeel"] = "gehouden" if bool(row_advice["aw_held"]) else f"niet gehouden {NOT_MET}"
        else:
            entry["Oordeel"] = "–"
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Onderdeel", *QUARTER_LABELS.values(), "Oordeel"])


def aw_text(results: YearResults) -> str:
    """Whether Algemene waardering was held in Y (criterion 3; its result does not count)."""
    row = advice_row(results)
    year = _year(results)
    if row is None:
        return ""
    count = int(row["aw_deliveries"])
    if bool(row["aw_held"]):
        times = "1 aanlevering" if count == 1 else f"{fmt_count(count)} aanleveringen"
        return (
            f"Algemene waardering is in {year} gehouden ({times} met een dataperiode in {year}). "
            "Het resultaat ervan telt niet mee voor het label."
        )
    return (
        f"Algemene waardering is in {year} niet gehouden: er is geen aanlevering met een dataperiode in {year}. "
        "Dat is een voorwaarde voor het label (criterium 3)."
    )


# --------------------------------------------------------------------------- CKV discretion


def discretion_table(results: YearResults) -> pd.DataFrame:
    """Components where the CKV decides, with the figures and both outcomes (``ckv_beslist``).

    Empty when the advice is not ``ckv_beslist``. Columns: ``Onderdeel``, ``Cijfers``
    (``6,4 / 75% bij 12 respondenten (minimum 20)``), ``Waarom de CKV beslist``, ``Telt mee``,
    ``Telt niet mee``; the outcome columns give the advice if the CKV counts the results /
    does not.
    """
    columns = ["Onderdeel", "Cijfers", "Waarom de CKV beslist", "Telt mee", "Telt niet mee"]
    row = advice_row(results)
    if row is None or row["advice"] != "ckv_beslist":
        return pd.DataFrame(columns=columns)
    comp = _components(results)
    rows = []
    for c in comp.loc[comp["ckv_discretion"].astype(bool)].itertuples():
        if c.no_delivery:
            why = "geen onderhoud aangeleverd (geen onderhoud of niet aangeleverd)"
        elif c.n == 0:
            why = "geen respondenten"
        else:
            why = "grens niet gehaald met te weinig respondenten"
        respondents = "1 respondent" if c.n == 1 else f"{fmt_count(c.n)} respondenten"
        figures = f"{respondents} (minimum {fmt_count(c.min_respondents)})"
        if c.n > 0:
            figures = f"{c.score_display} / {c.pct_display} bij {figures}"
        rows.append(
            {
                "Onderdeel": c.component_name,
                "Cijfers": figures,
                "Waarom de CKV beslist": why,
                "Telt mee": ADVICE_NAMES[row["advice_if_counted"]],
                "Telt niet mee": ADVICE_NAMES[row["advice_if_not_counted"]],
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _against(low: float, high: float, threshold: float, what: str, limit: str) -> str:
    """Where an interval lies against a threshold, in words."""
    if high < threshold:
        return f"het hele interval van {what} ligt onder de grens {limit}"
    if low >= threshold:
        return f"het hele interval van {what} ligt op of boven de grens {limit}"
    return f"de grens {limit} ligt binnen het interval van {what}"


def discretion_facts(results: YearResults) -> list[str]:
    """The facts the CKV decides on, per component where it decides (advice ``ckv_beslist``).

    Per component: respondents out of the delivered tenants (the population N of the
    representativeness analysis, as in :func:`component_figures`) and the minimum; the score
    and the percentage with their intervals and where each interval lies against its
    threshold; last year's figures (``scores`` of Y−1, the corporation's own respondents, not
    for a merger that starts afresh). Empty unless the advice is ``ckv_beslist``.
    """
    row = advice_row(results)
    if row is None or row["advice"] != "ckv_beslist":
        return []
    label = results.rules.label
    interval = interval_label(results)
    figures = component_figures(results)
    scores = results.of("scores")
    previous = scores.loc[scores["year"] == results.year - 1].set_index("questionnaire")
    lines = []
    for c in figures.loc[figures["ckv_discretion"].astype(bool)].itertuples():
        if c.no_delivery:
            text = f"{c.name}: geen aanlevering in {results.year}, dus geen respondenten."
        else:
            respondents = "1 respondent" if c.n == 1 else f"{fmt_count(c.n)} respondenten"
            population = (
                f" van {fmt_count(c.population)} aangeleverde huurders"
                if not is_missing(c.population) and c.population >= c.n
                else ""
            )
            text = f"{c.name}: {respondents}{population} (minimum {fmt_count(c.min_respondents)})."
            if c.n > 0:
                parts = []
                if not is_missing(c.score_low):
                    parts.append(
                        f"onderdeelscore {c.score_display} ({interval} {_score_interval_text(c)}): "
                        + _against(
                            c.score_low, c.score_high, float(label.min_score), "de score", fmt_grade(label.min_score)
                        )
                    )
                else:
                    parts.append(f"onderdeelscore {c.score_display} (geen interval bij 1 respondent)")
                parts.append(
                    f"{c.pct_display} tevreden ({interval} {_pct_interval_text(c)}): "
                    + _against(
                        c.pct_low,
                        c.pct_high,
                        float(label.min_pct_satisfied),
                        "het percentage",
                        fmt_pct(label.min_pct_satisfied),
                    )
                )
                text += " " + "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + "."
        if row["special_case"] not in _MERGERS:
            if c.component in previous.index and int(previous.at[c.component, "n"]) > 0:
                p = previous.loc[c.component]
                met = "gehaald" if bool(p["meets_score"]) and bool(p["meets_pct"]) else "niet gehaald"
                text += (
                    f" In {results.year - 1}: {p['score_display']} / {p['pct_display']} bij "
                    f"{fmt_count(int(p['n']))} respondenten ({met})."
                )
            else:
                text += f" In {results.year - 1}: geen respondenten."
        lines.append(text)
    return lines


# --------------------------------------------------------------------------- special cases


def special_case_lines(results: YearResults) -> list[str]:
    """Plain-Dutch explanation of a special case (new member route a/b, merger); empty if none."""
    row = advice_row(results)
    if row is None or not row["special_case"]:
        return []
    case = row["special_case"]
    year = _year(results)
    rules = results.rules
    corp = results.corporation
    first = reasons(results)[0]
    lines = [first + "."]
    if case == "new_member_route_a":
        lines.append(
            "Een nieuw lid heeft resultaten over een heel jaar nodig voordat de CKV oordeelt. Omdat de "
            f"aanleveringen niet ieder kwartaal van {year} dekken, doet de corporatie eerst een jaar onderzoek "
            "vanaf de startmaand (route a). Route b (een eerste aanlevering over de afgelopen "
            f"{rules.label.new_member_lookback_months} maanden) is niet gevolgd."
        )
    elif case == "new_member_route_b":
        lines.append(
            f"Lid sinds {fmt_date(corp['member_since'])}. Met route b telt een eerste aanlevering over de "
            f"afgelopen {rules.label.new_member_lookback_months} maanden mee voor de kwartaaldekking, ook al is de "
            f"dataperiode langer dan {rules.label.max_delivery_period_days} dagen; daarna levert de corporatie "
            "maandelijks, per kwartaal of automatisch aan. De corporatie wordt daarom nu al beoordeeld."
        )
    elif case in _MERGERS:
        predecessors = _successors_predecessors(results, results.corporation_id, in_year_only=True)
        names = ", ".join(corporation_label(p.name, p.corporation_id) for p in predecessors.itertuples())
        merged_on = fmt_date(corp["merged_on"])
        lines.append(
            f"Rechtsvoorgangers: {names}. De resultaten over {year} zijn samengesteld uit de respondenten van de "
            f"rechtsvoorgangers met een servicemaand vóór {merged_on} en die van {corp['name']} zelf; "
            "de kwartaaldekking telt de aanleveringen van de rechtsvoorgangers vóór de fusie mee."
        )
        lines.append(
            f"De resultaten en de analyse van de representativiteit van {corp['name']} tellen alleen de "
            f"respondenten van {corp['name']} zelf, vanaf de fusie (de kolom 'zelf' in de tabel hieronder); daar "
            "staan daarom minder respondenten, andere scores en grotere foutmarges dan in dit dossier."
        )
        if case == "merger":
            lines.append(
                f"Alle rechtsvoorgangers hebben resultaten over januari t/m "
                f"{MONTHS_NL[rules.label.merger_first_half_months - 1]} {year}, dus de fusiecorporatie wordt in "
                f"{MONTHS_NL[rules.label.decision_month - 1]} {year + 1} beoordeeld als één corporatie."
            )
        history = results.table("label_history")
        for p in predecessors.itertuples():
            own = history.loc[(history["corporation_id"] == p.corporation_id) & (history["research_year"] < year)]
            if len(own):
                last = own.sort_values("research_year").iloc[-1]
                until = f", geldig tot {fmt_date(last['valid_until'])}" if not is_missing(last["valid_until"]) else ""
                lines.append(
                    f"Ter informatie: {p.name} had als laatste besluit {ADVICE_NAMES[last['decision']]} over "
                    f"{int(last['research_year'])}{until}; dat telt voor de fusiecorporatie niet mee."
                )
    elif case == "not_yet_member":
        lines.append("Er zijn nog geen resultaten die de CKV kan beoordelen.")
    return lines


def merger_composition_table(results: YearResults) -> pd.DataFrame:
    """How a merged corporation's results were combined: respondents per source and component.

    For a merger inside Y: per label component the respondents of each predecessor with a
    service month before ``merged_on``, the merged corporation's own, and the total that was
    judged (``label_components.n``). Counts only, no scores (no small cell can show a
    result). Empty for every other corporation.
    """
    corp_id = results.corporation_id
    row = advice_row(results)
    predecessors = _successors_predecessors(results, corp_id, in_year_only=True)
    if row is None or row["special_case"] not in _MERGERS or predecessors.empty:
        return pd.DataFrame()
    corp = results.corporation
    merged_month = pd.Timestamp(corp["merged_on"]).strftime("%Y-%m")
    monthly = results.table("monthly_response")
    comp = _components(results)
    names = _component_names(results)
    columns = {}
    for p in predecessors.itertuples():
        rows = monthly.loc[(monthly["corporation_id"] == p.corporation_id) & (monthly["service_month"] < merged_month)]
        columns[f"{p.name} (vóór {fmt_date(p.merged_on)})"] = rows.groupby("questionnaire")["respondents"].sum()
    own = monthly.loc[monthly["corporation_id"] == corp_id]
    columns[f"{corp['name']} zelf"] = own.groupby("questionnaire")["respondents"].sum()
    table = pd.DataFrame({"Onderdeel": [names[c] for c in comp["component"]]})
    for header, counts in columns.items():
        table[header] = [fmt_count(int(counts.get(c, 0))) for c in comp["component"]]
    table["Samen (beoordeeld)"] = [fmt_count(n) for n in comp["n"]]
    return table


# --------------------------------------------------------------------------- history and trend


def history_table(results: YearResults) -> pd.DataFrame:
    """The corporation's earlier CKV decisions (``label_history`` rows before Y)."""
    history = results.of("label_history")
    history = history.loc[history["research_year"] < results.year].sort_values("research_year")
    rows = [
        {
            "Onderzoeksjaar": str(int(h.research_year)),
            "Besluit CKV": ADVICE_NAMES.get(h.decision, h.decision),
            "Criteria gehaald": "ja" if bool(h.passed) else "nee",
            "Geldig tot": fmt_date(h.valid_until),
        }
        for h in history.itertuples()
    ]
    return pd.DataFrame(rows, columns=["Onderzoeksjaar", "Besluit CKV", "Criteria gehaald", "Geldig tot"])


def _trend_cell_of(r: pd.Series) -> str:
    """:func:`_trend_cell` of a component-scores row (this year's or an earlier year's)."""
    return _trend_cell(
        int(r["n"]),
        r["score_display"],
        r["pct_display"],
        bool(r["meets_score"]),
        bool(r["meets_pct"]),
        bool(r.get("borderline_score", False)),
        bool(r.get("borderline_pct", False)),
    )


def _trend_cell(
    n: int,
    score_display: str,
    pct_display: str,
    meets_score: bool,
    meets_pct: bool,
    borderline_score: bool = False,
    borderline_pct: bool = False,
) -> str:
    """``7,0 (g) ✗ / 91% (637)``: a borderline figure carries (g) here too, as in every table."""
    if n == 0:
        return "geen respondenten"
    score = score_display + (" (g)" if borderline_score else "") + ("" if meets_score else f" {NOT_MET}")
    pct = pct_display + (" (g)" if borderline_pct else "") + ("" if meets_pct else f" {NOT_MET}")
    return f"{score} / {pct} ({fmt_count(n)})"


@per_document
def trend_table(results: YearResults) -> pd.DataFrame:
    """The last three research years: per component score / % tevreden (n), and the label.

    Year Y from ``label_components`` (the figures judged, merger-attributed), earlier years
    from the ``scores`` table where it holds them (the close keeps Y and Y−1); ``✗`` marks a
    figure below its threshold. The last column gives the CKV's recorded decision
    (``label_history``) for earlier years and the advice for Y. Years the results do not hold
    (the research data starts later) get no row; :func:`trend_notes` says so, and the label
    history shows their decisions.
    """
    year = results.year
    names = _component_names(results)
    scores = results.of("scores")
    available = set(results.table("scores")["year"].astype(int))
    history = results.of("label_history").set_index("research_year")
    row_advice = advice_row(results)
    rows = []
    for y in (year - 2, year - 1, year):
        if y != year and y not in available:
            continue  # no figures in the results for that year: no row of placeholders (trend_notes says why)
        entry = {"Jaar": str(y)}
        if y == year:
            comp = _components(results).set_index("component")
            for c, name in names.items():
                if c in comp.index:
                    r = comp.loc[c]
                    entry[name] = _trend_cell_of(r)
                else:
                    entry[name] = "–"
            entry["Label"] = f"advies: {row_advice['advice_name']}" if row_advice is not None else "geen advies"
        else:
            current = scores.loc[scores["year"] == y].set_index("questionnaire")
            for c, name in names.items():
                if c in current.index:
                    r = current.loc[c]
                    entry[name] = _trend_cell_of(r)
                else:
                    entry[name] = "geen respondenten"
            if y in history.index:
                h = history.loc[y]
                passed = "gehaald" if bool(h["passed"]) else "niet gehaald"
                entry["Label"] = f"{ADVICE_NAMES.get(h['decision'], h['decision'])} ({passed})"
            else:
                entry["Label"] = "geen besluit vastgelegd"
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Jaar", *names.values(), "Label"])


def trend_years(results: YearResults) -> str:
    """The years of :func:`trend_table` for its caption: ``2024–2025`` (or ``2025``)."""
    years = trend_table(results)["Jaar"].tolist()
    return years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"


def trend_notes(results: YearResults) -> list[str]:
    """What the trend table is missing, in plain Dutch (years without figures or decisions)."""
    year = results.year
    available = sorted(set(results.table("scores")["year"].astype(int)) | {year})
    history = set(results.of("label_history")["research_year"].astype(int))
    row = advice_row(results)
    notes = []
    missing = [y for y in (year - 2, year - 1) if y not in available]
    if missing:
        shown = " en ".join(str(y) for y in available if y >= year - 2)
        text = (
            f"Over {' en '.join(map(str, missing))} bevat het onderzoeksbestand geen cijfers (de resultaten "
            f"van deze afsluiting bevatten {shown})"
        )
        decided = [y for y in missing if y in history]
        if decided:
            text += f"; het besluit van de CKV over {' en '.join(map(str, decided))} staat in de labelhistorie"
        notes.append(text + ".")
    no_decision = [y for y in (year - 2, year - 1) if y not in history]
    if no_decision:
        notes.append(f"Geen besluit van de CKV vastgelegd over {' en '.join(map(str, no_decision))}.")
    if row is not None and row["special_case"] in _MERGERS:
        notes.append(
            "De fusiecorporatie begint opnieuw: eerdere cijfers en besluiten van de rechtsvoorgangers "
            "staan niet in deze reeks."
        )
    notes.append(
        f"Per onderdeel: onderdeelscore / percentage tevreden (respondenten); {NOT_MET} = grens niet gehaald; "
        "(g) = grensgeval (afgerond op de grens, onafgerond eronder)."
    )
    return notes


# --------------------------------------------------------------------------- decision block


def decision_options(results: YearResults) -> tuple[str, ...]:
    """The decisions the CKV can take on this corporation (:func:`kwh_calc.calculations.label.possible_decisions`):
    the outcome if the year passes and if it fails, given the label status at the decision
    (valid or not) and the previous year's result. All five for a corporation without advice."""
    row = advice_row(results)
    if row is None:
        return DECISION_OPTIONS
    previous = row.get("previous_year_passed")
    previous = None if is_missing(previous) else bool(previous)
    return possible_decisions(bool(row["label_valid"]), previous)


def _status_text(row, year: int) -> str:
    """``label geldig tot 31 maart 2027, 2024 gehaald`` — the label status the options follow from."""
    if not bool(row["label_valid"]):
        return "geen geldig label"
    previous = row.get("previous_year_passed")
    before = (
        "geen besluit over {y} vastgelegd"
        if is_missing(previous)
        else ("{y} gehaald" if bool(previous) else "{y} niet gehaald")
    )
    return f"label geldig tot {fmt_date(row['valid_until_before'])}, " + before.format(y=year - 1)


#: Blank lines of the decision form for the motivation.
MOTIVATION_LINES = 5


def decision_block(results: YearResults) -> pd.DataFrame:
    """The form the CKV fills in: decision, deviation, motivation, members present, vote, date, signature.

    Offers only the decisions the label status allows (:func:`decision_options`: a valid label
    whose previous year passed gives verlengen / niet verlengen; one whose previous year failed
    verlengen / verloopt; no valid label toekennen / niet toekennen), with the status they
    follow from. Empty cells to write in, checkboxes ``□`` (in the bundled font) for the
    choices. For ``ckv_beslist`` an extra row asks whether the results where the CKV decides
    count. The CKV has three voting members and a non-voting secretary (docs/methodology.md §3): rows for
    the members present and the vote (voor / tegen / onthouding).
    """
    row = advice_row(results)
    options = "   ".join(f"{CHECKBOX} {ADVICE_NAMES[o]}" for o in decision_options(results))
    rows = []
    if row is not None:
        advice = row["advice_name"]
        if row["advice"] == "ckv_beslist":
            advice += (
                f" (telt mee: {ADVICE_NAMES[row['advice_if_counted']]}; "
                f"telt niet mee: {ADVICE_NAMES[row['advice_if_not_counted']]})"
            )
        rows.append(("Advies KWH", advice))
        rows.append(("Labelstatus", _status_text(row, _year(results))))
        if row["advice"] == "ckv_beslist":
            comp = _components(results)
            names = ", ".join(comp.loc[comp["ckv_discretion"].astype(bool), "component_name"])
            rows.append((f"Telt het resultaat van {names} mee?", f"{CHECKBOX} ja   {CHECKBOX} nee"))
    rows.append(("Besluit CKV", options))
    rows += [
        ("Afwijking van het advies", f"{CHECKBOX} ja   {CHECKBOX} nee"),
        ("Motivering (verplicht bij afwijking)", ""),
        *[("", "")] * (MOTIVATION_LINES - 1),
        ("Aanwezige leden (stemgerechtigd)", "1."),
        ("", "2."),
        ("", "3."),
        ("Secretaris (niet stemgerechtigd)", ""),
        ("Stemming", "voor: ___   tegen: ___   onthouding: ___"),
        ("Datum vergadering", ""),
        ("Handtekening voorzitter", ""),
        ("", ""),
    ]
    return pd.DataFrame(rows, columns=["Onderwerp", "In te vullen"])


# --------------------------------------------------------------------------- national overview


def _advice_table(results: YearResults) -> pd.DataFrame:
    return results.table("label_advice").sort_values("corporation_id").reset_index(drop=True)


def advice_counts(results: YearResults) -> pd.DataFrame:
    """Corporations per advice, in the overview's order, with the merged-away predecessors."""
    advice = _advice_table(results)
    counts = advice["advice"].value_counts()
    rows = [{"Advies": ADVICE_NAMES[a], "Corporaties": fmt_count(int(counts.get(a, 0)))} for a in ADVICES]
    rows.append({"Advies": "Totaal met advies", "Corporaties": fmt_count(len(advice))})
    rows.append({"Advies": "Gefuseerd, geen eigen advies", "Corporaties": fmt_count(len(_merged_in_year(results)))})
    return pd.DataFrame(rows, columns=["Advies", "Corporaties"])


def _merged_in_year(results: YearResults) -> pd.DataFrame:
    """Predecessors merged away during research year Y.

    Earlier mergers also have no advice of their own (docs/methodology.md §3.10), but listing them again
    every year tells the committee nothing new; the overview names the mergers of Y.
    """
    merged = results.table("label_merged_away")
    return merged.loc[pd.to_datetime(merged["merged_on"]).dt.year == results.year]


def _all_components(results: YearResults) -> pd.DataFrame:
    return results.table("label_components")


def discretion_overview(results: YearResults) -> pd.DataFrame:
    """Every component where the CKV decides (advice ``ckv_beslist``), with both outcomes."""
    advice = _advice_table(results).set_index("corporation_id")
    comp = _all_components(results)
    chosen = comp.loc[
        comp["ckv_discretion"].astype(bool) & comp["corporation_id"].map(advice["advice"]).eq("ckv_beslist")
    ].sort_values(["corporation_id"])
    rows = []
    for c in chosen.itertuples():
        a = advice.loc[c.corporation_id]
        why = (
            "geen onderhoud aangeleverd"
            if c.no_delivery
            else "geen respondenten"
            if c.n == 0
            else f"{fmt_count(c.n)} respondenten (minimum {fmt_count(c.min_respondents)})"
        )
        figures = "–" if c.n == 0 else f"{c.score_display} / {c.pct_display}"
        rows.append(
            {
                "Corporatie": corporation_label(a["name"], c.corporation_id),
                "Onderdeel": c.component_name,
                "Waarom": why,
                "Score / % tevreden": figures,
                "Telt mee": ADVICE_NAMES[a["advice_if_counted"]],
                "Telt niet mee": ADVICE_NAMES[a["advice_if_not_counted"]],
            }
        )
    return pd.DataFrame(
        rows, columns=["Corporatie", "Onderdeel", "Waarom", "Score / % tevreden", "Telt mee", "Telt niet mee"]
    )


def borderline_overview(results: YearResults) -> pd.DataFrame:
    """Every borderline figure (prints as the threshold but fails it), with the unrounded value."""
    advice = _advice_table(results).set_index("corporation_id")
    comp = _all_components(results)
    label = results.rules.label
    rows = []
    for c in comp.loc[comp["borderline"].astype(bool)].sort_values("corporation_id").itertuples():
        a = advice.loc[c.corporation_id]
        if c.borderline_score:
            rows.append(
                {
                    "Corporatie": corporation_label(a["name"], c.corporation_id),
                    "Onderdeel": c.component_name,
                    "Cijfer": f"onderdeelscore {c.score_display} (grens {fmt_grade(label.min_score)})",
                    "Onafgerond": fmt_unrounded(c.score),
                    "Advies": a["advice_name"],
                }
            )
        if c.borderline_pct:
            rows.append(
                {
                    "Corporatie": corporation_label(a["name"], c.corporation_id),
                    "Onderdeel": c.component_name,
                    "Cijfer": f"% tevreden {c.pct_display} (grens {fmt_pct(label.min_pct_satisfied)})",
                    "Onafgerond": fmt_unrounded(c.pct_satisfied, 2, 1, "%"),
                    "Advies": a["advice_name"],
                }
            )
    return pd.DataFrame(rows, columns=["Corporatie", "Onderdeel", "Cijfer", "Onafgerond", "Advies"])


def expiring_overview(results: YearResults) -> pd.DataFrame:
    """Labels that end or may end: verloopt, niet verlengen, and CKV beslist with such an outcome.

    ``Label geldig tot`` is the label's current end: after niet verlengen and verloopt it stays
    valid until then (docs/methodology.md §3.8).
    """
    advice = _advice_table(results)
    year = results.year
    ending = ("verloopt", "niet_verlengen")
    chosen = advice.loc[
        advice["advice"].isin(ending) | ((advice["advice"] == "ckv_beslist") & advice["advice_if_counted"].isin(ending))
    ]
    rows = []
    for a in chosen.itertuples():
        until = fmt_date(a.valid_until_before)
        if a.advice == "verloopt":
            why = f"ook {year - 1} niet gehaald: het label verloopt"
        elif a.advice == "niet_verlengen":
            why = f"{year} niet gehaald: het label wordt niet verlengd"
        else:
            why = f"telt het resultaat mee, dan {ADVICE_NAMES[a.advice_if_counted]}"
        rows.append(
            {
                "Corporatie": corporation_label(a.name, a.corporation_id),
                "Advies": a.advice_name,
                "Label geldig tot": until,
                "Toelichting": why,
            }
        )
    return pd.DataFrame(rows, columns=["Corporatie", "Advies", "Label geldig tot", "Toelichting"])


def _special_short(a, results: YearResults) -> str:
    """A one-line explanation of a special case for the overview (the dossier explains in full)."""
    corps = results.table("corporations").set_index("corporation_id")
    corp = corps.loc[a.corporation_id]
    rules = results.rules
    case = a.special_case
    if case == "new_member_route_a":
        return (
            f"lid sinds {fmt_date(corp['member_since'])}, aanleveringen dekken niet ieder kwartaal: eerst een jaar "
            f"onderzoek, naar de CKV in {a.expected_presentation}"
        )
    if case == "new_member_route_b":
        return (
            f"lid sinds {fmt_date(corp['member_since'])}, eerste aanlevering over de afgelopen "
            f"{rules.label.new_member_lookback_months} maanden: beoordeeld als ieder lid"
        )
    if case in _MERGERS:
        predecessors = _successors_predecessors(results, a.corporation_id, in_year_only=True)["corporation_id"]
        text = f"fusie per {fmt_date(corp['merged_on'])} uit {', '.join(predecessors)}"
        if case == "merger":
            return text + ": resultaten van rechtsvoorgangers tot de fusie tellen mee, het label begint opnieuw"
        return text + (
            f": niet alle rechtsvoorgangers hebben resultaten over het eerste halfjaar, "
            f"naar de CKV in {a.expected_presentation}"
        )
    return str(a.reasons).split("; ")[0]


def special_overview(results: YearResults) -> pd.DataFrame:
    """Corporations with a special case (new member, merger, not yet a member) and what it means."""
    advice = _advice_table(results)
    rows = []
    for a in advice.loc[advice["special_case"].fillna("") != ""].itertuples():
        rows.append(
            {
                "Corporatie": corporation_label(a.name, a.corporation_id),
                "Bijzonderheid": SPECIAL_CASE_NAMES.get(a.special_case, a.special_case),
                "Advies": a.advice_name,
                "Toelichting": _special_short(a, results),
            }
        )
    return pd.DataFrame(rows, columns=["Corporatie", "Bijzonderheid", "Advies", "Toelichting"])


def merged_away_overview(results: YearResults) -> pd.DataFrame:
    """Predecessors merged away during Y, listed as merged into their successor (no advice)."""
    merged = _merged_in_year(results).sort_values("corporation_id")
    rows = [
        {
            "Rechtsvoorganger": corporation_label(m.name, m.corporation_id),
            "Gefuseerd in": corporation_label(m.successor_name, m.successor_id),
            "Per": fmt_date(m.merged_on),
        }
        for m in merged.itertuples()
    ]
    return pd.DataFrame(rows, columns=["Rechtsvoorganger", "Gefuseerd in", "Per"])


def attention_summary(results: YearResults) -> list[str]:
    """One line per kind of flag with how many corporations it concerns (overview, first page)."""

    def count(frame: pd.DataFrame, column: str) -> int:
        return frame[column].nunique() if len(frame) else 0

    def corporations(number: int) -> str:
        return "1 corporatie" if number == 1 else f"{fmt_count(number)} corporaties"

    return [
        f"CKV beslist over een onderdeel: {corporations(count(discretion_overview(results), 'Corporatie'))}",
        f"Grensgevallen: {corporations(count(borderline_overview(results), 'Corporatie'))}",
        f"Labels die aflopen of kunnen aflopen: {corporations(count(expiring_overview(results), 'Corporatie'))}",
        f"Bijzondere gevallen (nieuw lid, fusie): {corporations(count(special_overview(results), 'Corporatie'))}",
        f"Gefuseerd, zonder eigen advies: {corporations(len(_merged_in_year(results)))}",
        *thin_passes_summary(results),
    ]


def thin_passes(results: YearResults) -> pd.DataFrame:
    """Corporations advised toekennen / verlengen on a component with fewer respondents than its
    minimum whose pass is not sure: a threshold (7,0 or 85%) lies inside, or above the lower
    end of, the component's 90%-interval (no interval at 1 respondent counts as unsure).
    Criterion 4 only makes a *failing* thin component a CKV decision, so a passing one goes
    through (docs/methodology.md §3); the overview flags it so the CKV sees it. Returns
    ``corporation_id, name, components`` (``NH 6, VH 9``: abbreviation and respondents).
    **Decision:** "not sure" is judged with the intervals of the dossier, at the rules'
    confidence level, so the flag and the dossier's intervals agree."""
    advice = _advice_table(results)
    passing = advice.loc[advice["advice"].isin(["toekennen", "verlengen"])].set_index("corporation_id")
    comp = _all_components(results)
    comp = comp.loc[
        comp["corporation_id"].isin(passing.index) & (comp["n"] > 0) & (comp["n"] < comp["min_respondents"])
    ]
    label = results.rules.label
    unsure = (comp["pct_low"].to_numpy(dtype="float64") < float(label.min_pct_satisfied)) | ~(
        comp["score_low"].to_numpy(dtype="float64") >= float(label.min_score)
    )
    thin = comp.loc[unsure]
    abbreviations = component_abbreviations(results)
    rows = [
        {
            "corporation_id": cid,
            "name": passing.at[cid, "name"],
            "components": ", ".join(
                f"{abbreviations.get(c.component, c.component_name)} {fmt_count(c.n)}" for c in group.itertuples()
            ),
        }
        for cid, group in thin.groupby("corporation_id", sort=True)
    ]
    return pd.DataFrame(rows, columns=["corporation_id", "name", "components"])


def thin_passes_summary(results: YearResults) -> list[str]:
    """The attention line for :func:`thin_passes` (none when there are none)."""
    thin = thin_passes(results)
    if thin.empty:
        return []
    count = "1 corporatie" if len(thin) == 1 else f"{fmt_count(len(thin))} corporaties"
    text = (
        f"Gehaald met minder respondenten dan het minimum, met een grens binnen het {interval_label(results)} "
        f"(de uitkomst is onzeker): {count}"
    )
    if len(thin) <= THIN_LISTED:
        text += ": " + "; ".join(f"{r.corporation_id} ({r.components} resp.)" for r in thin.itertuples())
    else:
        text += "; in de tabellen per advies staat bij die onderdelen het aantal respondenten, zoals (12)"
    return [text]


#: Up to this many thin passes are named in the attention summary; more are only counted.
THIN_LISTED = 12


def component_abbreviations(results: YearResults) -> dict[str, str]:
    """Short column headers of the label components in the overview (``NH``, ``VH``, ``Rep``,
    ``PO``); a component without a known abbreviation keeps its Dutch name."""
    return {c: COMPONENT_ABBREVIATIONS.get(c, name) for c, name in _component_names(results).items()}


def component_legend(results: YearResults) -> str:
    """``NH = Nieuwe huurders, VH = Vertrokken huurders, Rep = Reparaties, PO = Planmatig onderhoud``."""
    names = _component_names(results)
    return ", ".join(
        f"{abbreviation} = {names[c]}"
        for c, abbreviation in component_abbreviations(results).items()
        if abbreviation != names[c]
    )


def _group_cell(c) -> str:
    """Compact figures of one component for the overview: ``6,4 ✗ / 75% ✗ (12)``; the respondents
    in brackets only below the minimum (short, so that the name of the corporation stays on one
    line in a table of four components)."""
    if c.no_delivery:
        return "geen aanlevering"
    if c.n == 0:
        return "geen resp."
    score = c.score_display + (" (g)" if c.borderline_score else "") + ("" if c.meets_score else f" {NOT_MET}")
    pct = c.pct_display + (" (g)" if c.borderline_pct else "") + ("" if c.meets_pct else f" {NOT_MET}")
    text = f"{score} / {pct}"
    if c.n < c.min_respondents:
        text += f" ({fmt_count(c.n)})"
    return text


def _quarters_short(quarters: str) -> str:
    """``K1, K2, K3, K4`` -> ``K1–K4``; other lists as they are."""
    keys = [q.strip() for q in quarters.split(",") if q.strip()]
    numbers = [int(q[1:]) for q in keys if q[1:].isdigit()]
    if len(numbers) == len(keys) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{keys[0]}–{keys[-1]}"
    return ", ".join(keys)


def short_reasons(advice_row_: pd.Series, components: pd.DataFrame | list, results: YearResults) -> str:
    """Short Dutch reasons for the overview (the dossier has the full ones).

    ``components``: the corporation's label components, as a frame or as its rows (namedtuples).

    Components are named by their abbreviation (:func:`component_abbreviations`); the same
    finding on several components is said once (``NH, VH, Rep: geen dekking K1–K4``).
    """
    year = results.year
    abbreviations = component_abbreviations(results)
    parts: list[str] = []
    case = advice_row_["special_case"]
    if case:
        text = SPECIAL_CASE_NAMES.get(case, case)
        if advice_row_["expected_presentation"]:
            text += f", verwacht {advice_row_['expected_presentation']}"
        parts.append(text)
    if advice_row_["advice"] != "nog_niet_beoordeelbaar":
        findings: dict[str, list[str]] = {}
        for c in components.itertuples() if isinstance(components, pd.DataFrame) else components:
            name = abbreviations.get(c.component, c.component_name)
            if c.kind == "quarterly" and not c.covered:
                text = f"geen dekking {_quarters_short(c.quarters_missing)}"
                findings.setdefault(text + (" (alleen langere perioden)" if c.quarters_long_only else ""), []).append(
                    name
                )
            if c.no_delivery:
                findings.setdefault("geen onderhoud aangeleverd", []).append(name)
            elif c.n == 0:
                findings.setdefault("geen respondenten", []).append(name)
            elif not c.meets:
                what = " en ".join(
                    w for w, failed in (("score", not c.meets_score), ("% tevreden", not c.meets_pct)) if failed
                )
                if c.borderline:
                    what += " (grensgeval)"
                if c.low_response:
                    what += f", {fmt_count(c.n)} resp. (min. {fmt_count(c.min_respondents)})"
                findings.setdefault(what, []).append(name)
        parts += [f"{', '.join(names)}: {finding}" for finding, names in findings.items()]
        if not bool(advice_row_["aw_held"]):
            parts.append("geen Algemene waardering")
    advice = advice_row_["advice"]
    if advice == "verloopt":
        parts.append(f"ook {year - 1} niet gehaald")
    elif advice == "ckv_beslist":
        parts.append(
            f"telt mee: {ADVICE_NAMES[advice_row_['advice_if_counted']]}, "
            f"telt niet mee: {ADVICE_NAMES[advice_row_['advice_if_not_counted']]}"
        )
    elif advice in ("toekennen", "verlengen") and not case:
        parts.append("voldoet aan alle criteria")
    return "; ".join(parts)


def advice_title(advice: str) -> str:
    """The Dutch name of an advice as a heading: first letter capital, the rest as it is
    (``CKV beslist``, ``Nog niet beoordeelbaar``; ``str.capitalize`` would give ``Ckv``)."""
    name = ADVICE_NAMES[advice]
    return name[:1].upper() + name[1:]


def common_reason(group: pd.DataFrame) -> str | None:
    """The reason all corporations of a :func:`group_table` share (``voldoet aan alle
    criteria``), or None when they differ or the group has fewer than two rows. The overview
    then says it once instead of repeating the column."""
    if len(group) < 2 or "Redenen" not in group.columns:
        return None
    reasons = group["Redenen"].unique()
    return str(reasons[0]) if len(reasons) == 1 and str(reasons[0]) else None


def group_table(results: YearResults, advice: str) -> pd.DataFrame:
    """The corporations with one advice: per component score / % tevreden, and short reasons.

    Columns: ``Corporatie``, one per label component headed by its abbreviation
    (:func:`component_legend`), ``Redenen``. ``✗`` marks a figure below its threshold, ``(g)``
    a borderline one, ``(12)`` fewer respondents than the minimum.
    """
    table = _advice_table(results)
    chosen = table.loc[table["advice"] == advice]
    comp = _all_components(results)
    abbreviations = component_abbreviations(results)
    order = {c: i for i, c in enumerate(abbreviations)}
    # The national components read once, as rows per corporation in the legend's order: the
    # overview lists all ≈250 corporations, and reading a small frame's rows per corporation
    # cost ≈1 s of the overview (issue 13).
    ordered = comp.assign(_o=comp["component"].map(order)).sort_values(["corporation_id", "_o"], kind="stable")
    by_corporation: dict[str, list] = {}
    for c in ordered.itertuples():
        by_corporation.setdefault(c.corporation_id, []).append(c)
    rows = []
    for a in chosen.itertuples(index=False):
        own = by_corporation.get(a.corporation_id, [])
        entry = {"Corporatie": corporation_label(a.name, a.corporation_id)}
        cells = {c.component: _group_cell(c) for c in own}
        for c, header in abbreviations.items():
            entry[header] = cells.get(c, "–")
        entry["Redenen"] = short_reasons(pd.Series(a._asdict()), own, results)
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Corporatie", *abbreviations.values(), "Redenen"])
