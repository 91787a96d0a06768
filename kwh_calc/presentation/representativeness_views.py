"""Dutch presentation of the representativeness analysis (``notebooks/representativiteit.ipynb``).

Every function turns a corporation's slice of the year's results (:class:`YearResults`:
the tables ``representativeness``, ``monthly_response`` and ``response`` written by the
close) into Dutch text, a Dutch display table or chart data. The figures come from
:mod:`kwh_calc.calculations.representativeness` (docs/methodology.md §5): margins of error, required sample sizes,
Wilson and t-intervals, the telephone quota, the tenants still to approach
(:func:`~kwh_calc.calculations.representativeness.extra_approached`), the margin-of-error curve
of the chart (:func:`~kwh_calc.calculations.representativeness.margin_curve`) and whether the
respondents are spread over the year as the delivered tenants are (result table
``response_spread``, a chi-square goodness-of-fit test). The functions here select, order and
format; :func:`reach_standard` gathers per component what a margin of ``margin_standard`` takes.

Units: margins in **percentage points**, rates and shares in **percent** (0–100), as in
:func:`kwh_calc.calculations.representativeness.representativeness_table`. Rule values (confidence,
standards, worst-case p, suppression, quota) come from the rules of the results.
Results (score, % tevreden, their intervals, the margin at the observed percentage) of a
component with fewer respondents than ``suppression.min_cell_size`` are not shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kwh_calc.calculations.coverage import mergers
from kwh_calc.calculations.representativeness import (
    extra_approached,
    margin_curve,
    required_sample_size,
    sample_size_examples,
)
from kwh_calc.common.numbers import MONTHS_NL_SHORT, fmt_count, fmt_date, fmt_decimal, fmt_grade, fmt_pct, join_nl
from kwh_calc.intake.rules import Rules
from kwh_calc.presentation.present import escape_markdown, facet_by_component
from kwh_calc.results.year import YearResults, per_document

__all__ = [
    "EXAMPLE_POPULATIONS",
    "Standards",
    "components_table",
    "examples_text",
    "intro_text",
    "margin_chart",
    "margin_chart_alt",
    "margin_chart_data",
    "mode_table",
    "mode_text",
    "monthly_chart",
    "monthly_chart_alt",
    "monthly_chart_data",
    "monthly_table",
    "population_examples_table",
    "precision_caution",
    "precision_table",
    "quota_class_label",
    "quota_index",
    "quota_table",
    "reach_standard",
    "reach_standard_lines",
    "scope_text",
    "standards",
    "summary_text",
    "terms_text",
    "verdict",
]

#: Dutch month abbreviations, January first (chart axis labels).

#: Illustrative population sizes for "large populations need a smaller share".
EXAMPLE_POPULATIONS = (50, 100, 250, 500, 1_000, 2_500, 10_000)

_SERIES_RESPONDENTS = "Respondenten"
_SERIES_DELIVERED = "Geleverde huurders"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Standards:
    """The representativeness settings of a rule set as floats.

    ``confidence``, ``standard``, ``acceptable`` and ``worst_p`` are fractions (0.90, 0.05,
    0.10, 0.5); the ``*_text`` attributes their Dutch display (``"90%"``, ``"5 procentpunt"``,
    ``"10 procentpunt"``: a margin of a percentage is always said in percentage points, in text
    and tables alike); ``min_cell`` is ``suppression.min_cell_size`` (respondents).
    """

    confidence: float
    standard: float
    acceptable: float
    worst_p: float
    min_cell: int

    @property
    def confidence_text(self) -> str:
        return fmt_pct(100 * self.confidence)

    @property
    def standard_text(self) -> str:
        """The standard margin in the reports' one unit for margins: ``5 procentpunt``."""
        return f"{fmt_decimal(100 * self.standard, 0)} procentpunt"

    @property
    def acceptable_text(self) -> str:
        """``10 procentpunt``."""
        return f"{fmt_decimal(100 * self.acceptable, 0)} procentpunt"


def standards(rules: Rules) -> Standards:
    """:class:`Standards` from ``rules.representativeness`` and ``rules.suppression``."""
    settings = rules.representativeness
    return Standards(
        float(settings.confidence),
        float(settings.margin_standard),
        float(settings.margin_acceptable),
        float(settings.worst_case_p),
        int(rules.suppression.min_cell_size),
    )


def _ordered(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    order = {q: i for i, q in enumerate(rules.questionnaires)}
    return (
        frame.assign(_order=frame["questionnaire"].map(order))
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


@per_document
def _components(results: YearResults) -> pd.DataFrame:
    return _ordered(results.of("representativeness"), results.rules)


def _quota_value(value) -> int | str:
    """A stored quota (``12``, ``"12"`` or ``"all"``) as int or ``"all"``."""
    text = str(value).strip().lower()
    return "all" if text == "all" else int(float(text))


# --------------------------------------------------------------------------- verdicts


def verdict(n: int, margin: float, meets_standard: bool, meets_acceptable: bool, rules: Rules) -> str:
    """Dutch verdict on a component's margin of error.

    Parameters
    ----------
    n : net response.
    margin : margin of error in percentage points (NaN when ``n == 0``).
    meets_standard, meets_acceptable : the table's ``meets_5pct`` / ``meets_10pct``.
    rules : rule set (``margin_standard``, ``margin_acceptable``).

    Returns
    -------
    str
        ``"binnen 5 procentpunt"``, ``"binnen 10 procentpunt"``, ``"groter dan 10 procentpunt"``
        or ``"geen respons"`` (n = 0). A margin that *prints* as the standard (``5,0``) but does
        not meet it adds ``" (net niet binnen 5)"``.
    """
    s = standards(rules)
    if n == 0:
        return "geen respons"
    if meets_standard:
        return f"binnen {s.standard_text}"
    if meets_acceptable:
        text = f"binnen {s.acceptable_text}"
        if fmt_decimal(margin, 1) == fmt_decimal(100 * s.standard, 1):
            text += f" (net niet binnen {fmt_decimal(100 * s.standard, 0)})"
        return text
    return f"groter dan {s.acceptable_text}"


def components_table(results: YearResults) -> pd.DataFrame:
    """Per component: population, net response, response, margin of error and verdict.

    Columns ``Onderdeel, Populatie, Netto respons, Deel van de populatie, Foutmarge (procentpunt),
    Oordeel``. Deel van de populatie is n / N (percent; not called "respons", which in the
    reports is completed questionnaires / approached tenants); the margin is at the rules' confidence
    for the worst case p (docs/methodology.md §5.2). Where n > N (population not fully in the
    deliveries) the response shows ``–`` and the margin carries ``*`` (no finite population
    correction).
    """
    rules = results.rules
    rows = []
    for row in _components(results).itertuples():
        margin = fmt_decimal(row.margin_of_error, 1) if row.n != 1 else "–"  # no margin of one respondent
        if bool(row.population_mismatch) and row.n > 1:
            margin += "*"
        rows.append(
            {
                "Onderdeel": rules.questionnaire_name(row.questionnaire),
                "Populatie": fmt_count(row.population),
                "Netto respons": fmt_count(row.n),
                "Deel van de populatie": "–" if bool(row.population_mismatch) else fmt_pct(row.response_rate),
                "Foutmarge (procentpunt)": margin,
                "Oordeel": verdict(int(row.n), row.margin_of_error, bool(row.meets_5pct), bool(row.meets_10pct), rules),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "Onderdeel",
            "Populatie",
            "Netto respons",
            "Deel van de populatie",
            "Foutmarge (procentpunt)",
            "Oordeel",
        ],
    )


def summary_text(results: YearResults) -> str:
    """One Dutch paragraph: how many components meet the standard and the acceptable margin,
    and notes on components without response or with n > N."""
    rules = results.rules
    s = standards(rules)
    table = _components(results)
    held = table.loc[table["n"] > 0]
    if held.empty:
        return f"In {results.year} zijn er geen respondenten; er is dus geen foutmarge te berekenen."
    standard = int(held["meets_5pct"].sum())
    acceptable = int((held["meets_10pct"] & ~held["meets_5pct"]).sum())
    wider = len(held) - standard - acceptable
    parts = [
        f"Foutmarge van de {len(held)} onderdelen met respons: binnen de standaard van {s.standard_text} "
        f"{_count_components(standard)}, tussen {fmt_decimal(100 * s.standard, 0)} en {s.acceptable_text} "
        f"{_count_components(acceptable)}, groter dan {s.acceptable_text} {_count_components(wider)}."
    ]
    empty = table.loc[table["n"] == 0, "questionnaire"]
    if len(empty):
        names = _join([rules.questionnaire_name(q) for q in empty])
        parts.append(
            f"{names} {'heeft' if len(empty) == 1 else 'hebben'} in {results.year} geen respondenten "
            f"(niet gehouden of geen reacties)."
        )
    if bool(table.loc[table["n"] > 0, "population_mismatch"].any()):
        parts.append(
            "\\* Meer respondenten dan huurders in de leveringen van dit jaar (een deel van de respons hoort "
            "bij een levering uit een ander jaar): de foutmarge is daarom zonder correctie voor de "
            "populatieomvang berekend, wat voorzichtig is."
        )
    return " ".join(parts)


def _count_components(count: int) -> str:
    """``geen enkel onderdeel`` / ``1 onderdeel`` / ``3 onderdelen`` (never ``er 0``)."""
    return "geen enkel onderdeel" if count == 0 else "1 onderdeel" if count == 1 else f"{count} onderdelen"


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " en " + names[-1]


# --------------------------------------------------------------------------- explanation


def intro_text(results: YearResults) -> str:
    """Dutch opening paragraph: whose results, which year, what the report shows."""
    corporation = results.corporation
    name = escape_markdown(corporation["name"])  # Markdown text: the name shows literally
    return (
        f"Dit rapport laat zien hoe representatief de uitkomsten van het KWH-Huurdersonderzoek van "
        f"**{name}** over onderzoeksjaar {results.year} zijn: per onderdeel hoeveel huurders de "
        f"vragenlijst hebben ingevuld, hoe groot de foutmarge is, en wat er nodig is om de standaard te halen waar "
        f"dat nog niet lukt. Ook laten we zien of de respons een goede afspiegeling is van de huurders: online en "
        f"telefonisch, en verdeeld over het jaar. {name} verhuurt {fmt_count(corporation['units'])} "
        f"woningen."
    ) + ("\n\n" + scope_text(results) if scope_text(results) else "")


def scope_text(results: YearResults) -> str:
    """Whose respondents this analysis counts, when that differs from the CKV dossier (Dutch).

    A corporation that merged inside Y: the analysis (populations, respondents, margins,
    intervals) is about its own tenants from the merger on, the months it existed; the CKV
    dossier pools the predecessors' respondents of before the merger for the label
    (docs/methodology.md §3), so its counts and margins are larger. A predecessor that merged
    away inside Y: the months until the merger, and where its later respondents count. A new
    member: the months since the start.
    Empty for a corporation that took part all year.
    """
    corporation = results.corporation
    name = escape_markdown(corporation["name"])  # Markdown text: the name shows literally
    table = results.of("representativeness")
    months = int(table["quota_months"].min()) if "quota_months" in table.columns and len(table) else 12
    merged_on = corporation.get("merged_on")
    if merged_on is not None and not pd.isna(merged_on) and pd.Timestamp(merged_on).year == results.year:
        corporations = results.table("corporations").set_index("corporation_id")["name"]
        ids = [i for i in str(corporation.get("merged_from") or "").split(";") if i]
        parts = " en ".join(f"{escape_markdown(corporations.get(i, i))} ({i})" for i in ids) or "rechtsvoorgangers"
        return (
            f"{name} is per {fmt_date(merged_on)} ontstaan uit de fusie van {parts}. Deze analyse gaat over de "
            f"huurders en respondenten van {name} zelf vanaf de fusie: {months} maanden. Populatie, netto respons, "
            f"foutmarges en intervallen zijn die van deze {months} maanden. Het dossier voor de CKV telt voor het "
            "KWH-Kwaliteitslabel ook de respondenten van de rechtsvoorgangers van vóór de fusie mee; daar staan "
            "daarom meer respondenten, andere scores en kleinere foutmarges. De resultaten tellen, net als deze "
            f"analyse, alleen de respondenten van {name} zelf."
        )
    successor = _successor_in_year(results)
    if successor is not None:
        successor_id, successor_name, when = successor
        return (
            f"{name} is per {fmt_date(when)} gefuseerd in {escape_markdown(successor_name)} ({successor_id}). Deze "
            f"analyse gaat over de {months} maanden tot de fusie; met minder maanden zijn er minder respondenten en "
            "grotere foutmarges dan over een heel jaar. De respondenten van daarna tellen mee bij "
            f"{escape_markdown(successor_name)}."
        )
    since = corporation.get("member_since")
    if months < 12 and since is not None and not pd.isna(since) and pd.Timestamp(since).year == results.year:
        return (
            f"{name} is sinds {fmt_date(since)} lid van het KWH-Huurdersonderzoek. Deze analyse gaat over de "
            f"{months} maanden sinds de start; met minder maanden zijn er minder respondenten en grotere "
            "foutmarges dan over een heel jaar."
        )
    return ""


def _successor_in_year(results: YearResults) -> tuple[str, str, pd.Timestamp] | None:
    """``(id, name, merged_on)`` of the corporation this one merged into during the research year."""
    corporations = results.table("corporations")
    if "merged_from" not in corporations.columns:
        return None
    for row in mergers(corporations).itertuples(index=False):
        if row.predecessor_id == results.corporation_id and row.merged_on.year == results.year:
            name = corporations.set_index("corporation_id").at[row.successor_id, "name"]
            return str(row.successor_id), str(name), row.merged_on
    return None


def terms_text(results: YearResults) -> str:
    """Dutch explanation of representativeness, population, 90%-interval and margin (FAQ).

    One vocabulary, used in every document (results overview, CKV dossier, Aedes report):

    - **zekerheid** (the FAQ's *betrouwbaarheid*, the confidence level, 90%): how sure we are
      that the value for *all* tenants lies in the interval; the word is used in that one sense;
    - **90%-interval**: the range that holds the value for all tenants with 90% zekerheid (not
      the measured value: that always lies inside it);
    - **foutmarge**: half the width of that interval, for a percentage always in
      **procentpunt** (text and tables alike), for a grade in cijferpunten; a measured value
      can lie further from the value for all tenants than the margin (in 10 of 100 samples).
    """
    s = standards(results.rules)
    measured = 80  # percent satisfied in the worked example
    margin = round(100 * s.standard)
    confidence = round(100 * s.confidence)
    return (
        "**Representativiteit** gaat erover of de resultaten van het onderzoek iets zeggen over alle huurders "
        "waarover het gaat. Stel dat we alle huurders hadden bevraagd: hadden we dan dezelfde resultaten gevonden? "
        "Dat hangt af van drie dingen.\n\n"
        "- **Populatie**: het aantal huurders waarover het onderzoek iets zegt. Bij de onderdelen over een proces, "
        "zoals Reparaties, zijn dat alle huurders die voor het onderdeel zijn aangeleverd met een dataperiode die in "
        f"{results.year} begint. Bij Algemene waardering zijn dat alle huurders: het aantal verhuureenheden.\n"
        f"- **Zekerheid** (in de FAQ: betrouwbaarheid): hoe zeker we zijn dat de uitkomst voor alle huurders binnen "
        f"de foutmarge ligt. Wij werken met {s.confidence_text}: zouden we het onderzoek heel vaak herhalen, dan ligt "
        f"de uitkomst voor alle huurders {confidence} van de 100 keer binnen de foutmarge rond de gemeten uitkomst.\n"
        f"- **Foutmarge** (steekproeffout): de afstand tussen de gemeten uitkomst en de grenzen van het "
        f"{s.confidence_text}-interval. De foutmarge van een percentage geven we in procentpunt. De standaard in "
        f"marktonderzoek is een foutmarge van {fmt_decimal(100 * s.standard, 0)} tot {s.acceptable_text}. Bij een "
        f"foutmarge van {margin} procentpunt en {fmt_pct(measured)} gemeten tevreden huurders ligt het percentage "
        f"voor alle huurders met {s.confidence_text} zekerheid tussen {fmt_pct(measured - margin)} en "
        f"{fmt_pct(measured + margin)}.\n\n"
        "De populatie ligt vast; zekerheid en foutmarge zijn keuzes van de onderzoeker. Dit rapport geeft de "
        "foutmarge van een percentage, zoals het percentage tevreden huurders, voor het ongunstigste geval: een "
        f"uitkomst van {fmt_pct(100 * s.worst_p)}. Bij andere uitkomsten is de foutmarge kleiner. De **netto respons** "
        "is het aantal huurders dat de vragenlijst heeft ingevuld en minstens één labelvraag met een cijfer heeft "
        "beantwoord, met een servicemaand in het onderzoeksjaar, zoals ze ook meetellen voor de onderdeelscore."
    )


def population_examples_table(rules: Rules, populations=EXAMPLE_POPULATIONS) -> pd.DataFrame:
    """Net response needed for the standard and the acceptable margin at several populations.

    Columns ``Populatie, Nodig voor 5%, Deel van de populatie, Nodig voor 10%`` (the
    percentages from the rules); sizes by :func:`required_sample_size` (worst case p,
    rounded up).
    """
    s = standards(rules)
    sizes = np.asarray(populations, dtype="int64")
    needed = required_sample_size(s.standard, s.confidence, s.worst_p, sizes)
    needed_10 = required_sample_size(s.acceptable, s.confidence, s.worst_p, sizes)
    rows = [
        {
            "Populatie": fmt_count(N),
            f"Nodig voor {s.standard_text}": fmt_count(a),
            "Deel van de populatie": fmt_pct(100 * a / N),
            f"Nodig voor {s.acceptable_text}": fmt_count(b),
        }
        for N, a, b in zip(sizes, needed, needed_10, strict=True)
    ]
    return pd.DataFrame(rows)


def examples_text(rules: Rules) -> str:
    """The FAQ's 227 and the worst case 271 with their assumptions (:func:`sample_size_examples`)."""
    s = standards(rules)
    examples = sample_size_examples().set_index("example")
    faq = examples.loc["FAQ: gemiddelde Nederlander"]
    worst = examples.loc["Slechtste geval p = 50%"]
    up = examples.loc["FAQ, naar boven afgerond"]
    split = f"{fmt_pct(100 * faq['p'])}/{fmt_pct(100 * (1 - faq['p']))}"
    return (
        f"De FAQ noemt een voorbeeld: voor uitspraken over de gemiddelde Nederlander volstaat bij een foutmarge van "
        f"{fmt_decimal(100 * faq['margin'], 0)} procentpunt en {s.confidence_text} zekerheid een netto respons van "
        f"**{fmt_count(faq['n'])}**. Dat getal gaat uit van een verwachte verdeling van {split} (bijvoorbeeld "
        f"{fmt_pct(100 * faq['p'])} tevreden), de factor {fmt_decimal(faq['z'], 3)} die bij {s.confidence_text} "
        f"zekerheid hoort, en afronden op het dichtstbijzijnde hele getal ({fmt_decimal(faq['n0'], 1)}; "
        f"naar boven afgerond is het {fmt_count(up['n'])}). De omvang van de Nederlandse bevolking verandert daar "
        f"niets aan. Wie vooraf niet weet wat de uitkomst wordt, rekent met het ongunstigste geval, een verdeling van "
        f"{fmt_pct(100 * worst['p'])}/{fmt_pct(100 * (1 - worst['p']))}: dan zijn **{fmt_count(worst['n'])}** "
        f"respondenten nodig. Dit rapport rekent steeds met dat ongunstigste geval en rondt naar boven af."
    )


# --------------------------------------------------------------------------- margin chart


def _facet_label(rules: Rules, row) -> str:
    name = rules.questionnaire_name(row.questionnaire)
    if bool(row.population_mismatch):
        return f"{name} (populatie onbekend)"
    if row.n == 0:
        return f"{name} (N = {fmt_count(row.population)}, geen respons)"
    return f"{name} (N = {fmt_count(row.population)})"


def margin_chart_data(results: YearResults, points: int = 120) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curve and point per component for the chart "foutmarge tegen netto respons".

    Returns
    -------
    (curve, points)
        ``curve``: ``onderdeel, n, foutmarge`` — the margin (percentage points) for net
        responses from 1 up to about 1,3 × the larger of the current and the required
        response for the standard (capped at N), cut off above the chart's top (twice the
        acceptable margin, or above the corporation's own point). ``points``: ``onderdeel,
        n, foutmarge, label, rechts`` — the corporation's own net response and margin
        (components with n ≤ 1 have no point; ``rechts``: the point lies in the right part of
        the curve, so its label goes to its left). ``onderdeel`` names the component and its population.
    """
    rules = results.rules
    s = standards(rules)
    curves, dots = [], []
    for row in _components(results).itertuples():
        label = _facet_label(rules, row)
        population = None if bool(row.population_mismatch) else row.population
        n_max = math.ceil(1.3 * max(int(row.n), int(row.required_n_5pct)))
        curve = margin_curve(population, s.confidence, s.worst_p, n_max, points)
        top = max(2 * 100 * s.acceptable, 1.15 * (row.margin_of_error if row.n > 0 else 0))
        first = int(np.argmax(curve["margin"].to_numpy() <= top))  # keep one point above the top
        curve = curve.iloc[max(first - 1, 0) :]
        curves.append(curve.assign(onderdeel=label))
        if row.n > 1:  # no margin shown for one respondent (as in the table)
            dots.append(
                {
                    "onderdeel": label,
                    "n": int(row.n),
                    "foutmarge": float(row.margin_of_error),
                    "label": f"{fmt_decimal(row.margin_of_error, 1)} bij n = {fmt_count(row.n)}",
                    "rechts": bool(row.n > 0.55 * int(curve["n"].max())),
                }
            )
    curve = (
        pd.concat(curves, ignore_index=True).rename(columns={"margin": "foutmarge"})[["onderdeel", "n", "foutmarge"]]
        if curves
        else pd.DataFrame(columns=["onderdeel", "n", "foutmarge"])
    )
    return curve, pd.DataFrame(dots, columns=["onderdeel", "n", "foutmarge", "label", "rechts"])


def margin_chart(results: YearResults, columns: int = 2) -> dict[str, Any] | None:
    """Vega-Lite spec (a dict): per component the curve e(n), the own point, lines at 5% and 10%.

    A facet per component (independent axes), two columns; sized for the text width of
    the report (:data:`kwh_calc.presentation.present.TEXT_WIDTH_PT`). None when there are no
    components. A plain dict, not an Altair chart: building and serialising the Altair objects
    cost more than the chart's data (issue 13).
    """
    from kwh_calc.presentation.present import PALETTE, TEXT_WIDTH_PT

    s = standards(results.rules)
    curve, dots = margin_chart_data(results)
    if curve.empty:
        return None
    order = list(dict.fromkeys(curve["onderdeel"]))
    width = round((TEXT_WIDTH_PT / 0.75 - 60 * columns - 20 * (columns - 1)) / columns)
    lines = [(100 * s.standard, s.standard_text), (100 * s.acceptable, s.acceptable_text)]
    values: list[dict[str, Any]] = [
        {"onderdeel": o, "n": n, "foutmarge": m, "laag": "curve"}
        for o, n, m in zip(curve["onderdeel"].tolist(), curve["n"].tolist(), curve["foutmarge"].tolist(), strict=True)
    ]
    values += [{**dot, "laag": "punt"} for dot in dots.to_dict("records")]
    values += [{"onderdeel": o, "laag": "norm", "foutmarge": m, "label": text} for o in order for m, text in lines]
    x = {"field": "n", "scale": {"nice": True, "zero": True}, "title": "Netto respons", "type": "quantitative"}
    y = {"field": "foutmarge", "scale": {"zero": True}, "title": "Foutmarge (%-punt)", "type": "quantitative"}
    y_plain = {"field": "foutmarge", "type": "quantitative"}
    label = {"field": "label", "type": "nominal"}
    standard = repr(100 * s.standard)
    text_style = {"baseline": "bottom", "color": PALETTE[0], "dy": -4, "fontSize": 10, "fontWeight": 600}
    layers = [
        {
            "mark": {"type": "line", "clip": True, "color": PALETTE[2]},
            "encoding": {"x": x, "y": y},
            "transform": [{"filter": "(datum.laag === 'curve')"}],
        },
        {
            "mark": {"type": "rule", "color": PALETTE[1], "strokeDash": [4, 3], "strokeWidth": 1.2},
            "encoding": {"y": y_plain},
            "transform": [{"filter": "(datum.laag === 'norm')"}],
        },
        # The acceptable margin's label above its line, the standard's below its own: on a tall y
        # axis (a component with very few respondents) the two lines lie close and the labels overlapped.
        {
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "bottom",
                "color": PALETTE[1],
                "dx": 3,
                "dy": -2,
                "fontSize": 10,
            },
            "encoding": {"text": label, "x": {"value": 0}, "y": y_plain},
            "transform": [{"filter": f"((datum.laag === 'norm') && (datum.foutmarge > {standard}))"}],
        },
        {
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "top",
                "color": PALETTE[1],
                "dx": 3,
                "dy": 2,
                "fontSize": 10,
            },
            "encoding": {"text": label, "x": {"value": 0}, "y": y_plain},
            "transform": [{"filter": f"((datum.laag === 'norm') && (datum.foutmarge <= {standard}))"}],
        },
        {
            "mark": {"type": "point", "color": PALETTE[0], "filled": True, "opacity": 1, "size": 70},
            "encoding": {"x": x, "y": y},
            "transform": [{"filter": "(datum.laag === 'punt')"}],
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 5, **text_style},
            "encoding": {"text": label, "x": x, "y": y},
            "transform": [{"filter": "(datum.laag === 'punt')"}, {"filter": {"equal": False, "field": "rechts"}}],
        },
        {
            "mark": {"type": "text", "align": "right", "dx": -5, **text_style},
            "encoding": {"text": label, "x": x, "y": y},
            "transform": [{"filter": "(datum.laag === 'punt')"}, {"filter": {"equal": True, "field": "rechts"}}],
        },
    ]
    return {
        "config": {"facet": {"spacing": 22}},
        "data": {"values": values},
        "facet": facet_by_component(order),
        "spec": {"layer": layers, "height": 130, "width": width},
        "columns": columns,
        "description": _margin_chart_alt(results, dots),
        "resolve": {"scale": {"x": "independent", "y": "independent"}},
    }


def margin_chart_alt(results: YearResults) -> str:
    """Alternative text of :func:`margin_chart` (PDF/UA): per component the own net response and margin."""
    return _margin_chart_alt(results, margin_chart_data(results)[1])


def _margin_chart_alt(results: YearResults, dots: pd.DataFrame) -> str:
    s = standards(results.rules)
    parts = [
        f"{row.onderdeel}: {fmt_decimal(row.foutmarge, 1)} procentpunt bij {fmt_count(row.n)} respondenten"
        for row in dots.itertuples()
    ]
    return (
        f"Lijndiagrammen per onderdeel: de foutmarge daalt naarmate de netto respons groeit; stippellijnen bij "
        f"{s.standard_text} en {s.acceptable_text}. Eigen foutmarge: " + ("; ".join(parts) or "geen") + "."
    )


def monthly_chart_alt(results: YearResults) -> str:
    """Alternative text of :func:`monthly_chart` (PDF/UA): what is compared, and the verdicts."""
    table = monthly_table(results)
    parts = [f"{row.Onderdeel}: respons volgt levering {row._5}" for row in table.itertuples()]
    return (
        "Staafdiagrammen per onderdeel: per maand het aandeel van de respondenten naast het aandeel van de "
        "geleverde huurders (procent van het jaar). " + "; ".join(parts) + "."
    )


# --------------------------------------------------------------------------- precision


def precision_table(results: YearResults) -> pd.DataFrame:
    """Score and % tevreden with their intervals at the rules' confidence.

    Columns ``Onderdeel, Respondenten, Score (90%-interval), % tevreden (90%-interval)``
    with cells such as ``7,5 (7,2–7,8)`` and ``95% (91%–97%)`` (as in the CKV dossier): the t-interval of the score
    and the Wilson interval of the percentage as stored by the close (docs/methodology.md §5.5).
    Components with n = 0 are left out; components with fewer respondents than
    ``suppression.min_cell_size`` show ``< 5 resp.`` (n only). A score without spread
    (n < 2) shows no interval.
    """
    rules = results.rules
    s = standards(rules)
    score_column = f"Score ({s.confidence_text}-interval)"
    pct_column = f"% tevreden ({s.confidence_text}-interval)"
    rows = []
    for row in _components(results).itertuples():
        if row.n == 0:
            continue
        entry = {"Onderdeel": rules.questionnaire_name(row.questionnaire), "Respondenten": fmt_count(row.n)}
        if row.n < s.min_cell:
            entry[score_column] = entry[pct_column] = f"< {s.min_cell} resp."
        else:
            score = fmt_grade(row.score)
            if not pd.isna(row.score_low):
                score += f" ({fmt_grade(row.score_low)}–{fmt_grade(row.score_high)})"
            entry[score_column] = score
            entry[pct_column] = f"{fmt_pct(row.pct_satisfied)} ({fmt_pct(row.pct_low)}–{fmt_pct(row.pct_high)})"
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Onderdeel", "Respondenten", score_column, pct_column])


def precision_caution(results: YearResults) -> str | None:
    """A caution under the precision table for label components shown with fewer respondents
    than the label's minimum (docs/methodology.md §3.5): their intervals are wide and the CKV
    judges them. ``None`` when there are none. Components below the minimum cell show no
    figures at all, so they need no caution."""
    rules = results.rules
    s = standards(rules)
    thin = []
    for row in _components(results).itertuples():
        minimum = rules.questionnaires[row.questionnaire].min_respondents
        if minimum is not None and s.min_cell <= row.n < minimum:
            thin.append(f"{rules.questionnaire_name(row.questionnaire)} ({fmt_count(row.n)} van minimaal {minimum})")
    if not thin:
        return None
    return (
        f"Let op: {join_nl(thin)} {'rust' if len(thin) == 1 else 'rusten'} op minder respondenten dan het minimum "
        "voor het kwaliteitslabel. Het interval is daardoor breed en de uitkomst onzeker; haalt zo'n onderdeel "
        "de labelgrens niet, dan beslist de CKV."
    )


# --------------------------------------------------------------------------- reaching 5%


def reach_standard(results: YearResults) -> pd.DataFrame:
    """Per component that does not meet the standard margin: what meeting it takes.

    Returns
    -------
    DataFrame
        ``questionnaire, population, n, required_n, required_rate`` (percent of N),
        ``extra_n`` (respondents still needed at the current population),
        ``approached`` and ``response_pct`` (the year's response table: tenants approached
        and completed questionnaires as percent of them; NaN without deliveries),
        ``extra_approached`` (:func:`extra_approached`), ``not_approached`` (N minus the
        approached tenants, at least 0), ``approach_enough`` (the extra tenants exist in
        the population), ``everyone`` (required_n = N: only a full census meets it),
        ``mismatch`` (n > N, see :func:`components_table`).
    """
    table = _components(results)
    table = table.loc[~table["meets_5pct"].astype(bool)]
    response = results.of("response")
    if "year" in response.columns:
        response = response.loc[response["year"] == results.year]
    response = response.set_index("questionnaire")
    rows = []
    for row in table.itertuples():
        approached = response["approached"].get(row.questionnaire, np.nan)
        pct = response["response_pct"].get(row.questionnaire, np.nan)
        extra = extra_approached(int(row.extra_n_5pct), pct if row.n > 0 else np.nan)
        not_approached = np.nan if pd.isna(approached) else max(int(row.population) - int(approached), 0)
        rows.append(
            {
                "questionnaire": row.questionnaire,
                "population": int(row.population),
                "n": int(row.n),
                "required_n": int(row.required_n_5pct),
                "required_rate": float(row.required_rate_5pct),
                "extra_n": int(row.extra_n_5pct),
                "approached": approached,
                "response_pct": pct,
                "extra_approached": extra,
                "not_approached": not_approached,
                "approach_enough": bool(extra is not None and not pd.isna(not_approached) and extra <= not_approached),
                "everyone": int(row.required_n_5pct) >= int(row.population) > 0,
                "mismatch": bool(row.population_mismatch),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "questionnaire",
            "population",
            "n",
            "required_n",
            "required_rate",
            "extra_n",
            "approached",
            "response_pct",
            "extra_approached",
            "not_approached",
            "approach_enough",
            "everyone",
            "mismatch",
        ],
    )


def reach_standard_lines(results: YearResults) -> list[str]:
    """Dutch Markdown bullet texts for :func:`reach_standard`, one per component.

    E.g. "**Reparaties**: nog 37 respondenten nodig (180 in totaal, nu 143); bij de huidige
    respons van 31% betekent dat ongeveer 120 extra benaderde huurders." When the extra
    tenants are not in the population (all or nearly all delivered tenants were already
    approached) the text says which response the standard needs instead.
    """
    rules = results.rules
    s = standards(rules)
    lines = []
    for row in reach_standard(results).itertuples():
        name = f"**{rules.questionnaire_name(row.questionnaire)}**"
        share = f"{fmt_pct(row.required_rate)} van de {fmt_count(row.population)} huurders"
        if row.n == 0:
            text = (
                f"{name}: geen respons in {results.year}. Voor een foutmarge van {s.standard_text} zijn "
                f"{fmt_count(row.required_n)} respondenten nodig"
            )
            text += "." if row.mismatch else f" ({share})."
            lines.append(text)
            continue
        text = (
            f"{name}: nog {fmt_count(row.extra_n)} respondenten nodig "
            f"({fmt_count(row.required_n)} in totaal, nu {fmt_count(row.n)})"
        )
        if row.mismatch:
            text += "."
        elif row.everyone:
            text += (
                f". Bij zo'n kleine populatie haal je een foutmarge van {s.standard_text} alleen als alle "
                f"{fmt_count(row.population)} huurders meedoen."
            )
        elif row.extra_approached is None or pd.isna(row.extra_approached):
            text += f"; dat is een respons van {share}."
        elif row.approach_enough:
            text += (
                f"; bij de huidige respons van {fmt_pct(row.response_pct)} betekent dat ongeveer "
                f"{fmt_count(row.extra_approached)} extra benaderde huurders."
            )
        else:
            left = int(row.not_approached)
            rest = (
                "alle huurders zijn al benaderd"
                if left == 0
                else f"er {'is' if left == 1 else 'zijn'} er nog maar {fmt_count(left)} niet benaderd"
            )
            text += (
                f". Bij de huidige respons van {fmt_pct(row.response_pct)} zijn dat ongeveer "
                f"{fmt_count(row.extra_approached)} extra benaderde huurders, maar {rest}; een foutmarge van "
                f"{s.standard_text} vraagt dus een respons van {share}."
            )
        lines.append(text)
    return lines


# --------------------------------------------------------------------------- telephone


def quota_class_label(rules: Rules, index: int) -> str:
    """Dutch label of row ``index`` of the telephone quota table: ``≤ 2.500``, ``2.501–5.000``,
    ``> 20.000`` (rental units, inclusive upper bounds from the rules)."""
    rows = rules.representativeness.telephone_quota
    upper = rows[index].max_units
    lower = None if index == 0 else rows[index - 1].max_units
    if lower is None:
        return f"≤ {fmt_count(upper)}"
    if upper is None:
        return f"> {fmt_count(lower)}"
    return f"{fmt_count(lower + 1)}–{fmt_count(upper)}"


def quota_index(rules: Rules, units: int) -> int:
    """Row of ``representativeness.telephone_quota`` for a corporation of ``units`` rental units."""
    for index, row in enumerate(rules.representativeness.telephone_quota):
        if row.max_units is None or units <= row.max_units:
            return index
    raise ValueError(f"no telephone quota row for {units} units")


def _quota_text(value) -> str:
    quota = _quota_value(value)
    return fmt_pct(100) if quota == "all" else fmt_count(quota)


def quota_table(rules: Rules) -> pd.DataFrame:
    """The FAQ's table of telephone interviews per year, from the rules: one row per
    questionnaire (rules order, Dutch names), one column per size class (``≤ 2.500``,
    ``2.501–5.000`` … rental units). ``"all"`` shows as ``100%`` (all tenants without
    online response are called)."""
    quota_rows = rules.representativeness.telephone_quota
    labels = [quota_class_label(rules, index) for index in range(len(quota_rows))]
    rows = []
    for key in rules.questionnaires:
        extras = [quota.model_extra or {} for quota in quota_rows]
        if not all(key in extra for extra in extras):
            continue
        entry = {"Onderdeel": rules.questionnaire_name(key)}
        entry.update({label: _quota_text(extra[key]) for label, extra in zip(labels, extras, strict=True)})
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Onderdeel", *labels])


def mode_table(results: YearResults) -> pd.DataFrame:
    """Online and telephone respondents per component against the telephone quota.

    Columns ``Onderdeel, Online, Telefonisch, Aandeel telefonisch, Norm telefonisch,
    Norm gehaald``. The norm is the quota of the corporation's size class
    (:func:`kwh_calc.calculations.representativeness.telephone_quota`, stored by the close); for a
    corporation that took part only part of the year the share of those months
    (``10 (24 per jaar, 5 mnd.)``, :func:`kwh_calc.calculations.representativeness.pro_rata_quota`); ``100%``
    (all tenants without online response) cannot be checked against a count: ``–``.
    The share by telephone of a component with fewer respondents than
    ``suppression.min_cell_size`` shows ``< 5 resp.``.
    """
    rules = results.rules
    minimum = standards(rules).min_cell
    rows = []
    for row in _components(results).itertuples():
        quota = _quota_value(row.telephone_quota)
        met = row.telephone_quota_met
        if row.n == 0:
            share = "–"
        elif row.n < minimum:
            share = f"< {minimum} resp."
        else:
            share = fmt_pct(100 * row.n_telefonisch / row.n)
        months = int(getattr(row, "quota_months", 12) or 12)
        norm = _quota_text(quota)
        if quota != "all" and months < 12:
            norm = f"{fmt_count(row.telephone_quota_period)} ({norm} per jaar, {months} mnd.)"
        rows.append(
            {
                "Onderdeel": rules.questionnaire_name(row.questionnaire),
                "Online": fmt_count(row.n_online),
                "Telefonisch": fmt_count(row.n_telefonisch),
                "Aandeel telefonisch": share,
                "Norm telefonisch": norm,
                "Norm gehaald": "–" if quota == "all" or pd.isna(met) or row.n == 0 else ("ja" if bool(met) else "nee"),
            }
        )
    return pd.DataFrame(
        rows, columns=["Onderdeel", "Online", "Telefonisch", "Aandeel telefonisch", "Norm telefonisch", "Norm gehaald"]
    )


def _months_text(results: YearResults) -> str:
    table = results.of("representativeness")
    if "quota_months" not in table.columns or table.empty:
        return ""
    months = int(table["quota_months"].min())
    if months >= 12:
        return ""
    name = escape_markdown(results.corporation["name"])  # Markdown text: the name shows literally
    return (
        f" {name} doet in {results.year} {months} maanden mee; de norm is daarom het deel "
        f"van de jaarnorm voor die {months} maanden (naar boven afgerond)."
    )


def mode_text(results: YearResults) -> str:
    """Dutch paragraph introducing the mode mix: the corporation's size class and its norm row."""
    corporation = results.corporation
    units = int(corporation["units"])
    label = quota_class_label(results.rules, quota_index(results.rules, units))
    return (
        (
            "Huurders vullen de vragenlijst online of telefonisch in, samen met een enquêteur. Door beide methoden "
            "in te zetten sluiten we geen groepen huurders uit, zoals huurders zonder e-mailadres of digitaal "
            "minder vaardige huurders. Per corporatie voeren we per jaar een vast aantal telefonische enquêtes uit; "
            "dat aantal hangt af van de grootte van de corporatie. "
            f"{escape_markdown(corporation['name'])} verhuurt {fmt_count(units)} woningen "
            f"en valt in de klasse {label} verhuureenheden."
        )
        + _months_text(results)
        + (
            " Bij 100% worden alle huurders gebeld die niet online reageren; dat is niet als aantal te toetsen."
            if any(_quota_value(q) == "all" for q in results.of("representativeness")["telephone_quota"])
            else ""
        )
    )


# --------------------------------------------------------------------------- months


def monthly_chart_data(results: YearResults) -> pd.DataFrame:
    """Long table for the monthly chart: per component and month the share of the year's
    respondents and of the year's delivered tenants (percent).

    Columns ``onderdeel, maand`` (``jan`` … ``dec``), ``maandnummer`` (1–12), ``reeks``
    (``Respondenten`` / ``Geleverde huurders``), ``aandeel`` (percent; 0 where the
    component has no respondents or deliveries at all). Components without respondents
    and without deliveries in the year, and components with fewer respondents than
    ``suppression.min_cell_size``, are left out.
    """
    return pd.DataFrame(_monthly_rows(results), columns=["onderdeel", "maand", "maandnummer", "reeks", "aandeel"])


@per_document
def _monthly_groups(results: YearResults) -> dict[str, list[dict[str, Any]]]:
    """The corporation's ``monthly_response`` rows as records per questionnaire, in rule order
    (rows in table order): one pass instead of a sort and a groupby per use (issue 13)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in _ordered(results.of("monthly_response"), results.rules).to_dict("records"):
        groups.setdefault(row["questionnaire"], []).append(row)
    return groups


def _sum(values: Iterable[Any]) -> Any:
    """The sum of the values that are not missing, as pandas' ``sum``."""
    return sum(v for v in values if not pd.isna(v))


@per_document
def _monthly_rows(results: YearResults) -> list[dict[str, Any]]:
    """The rows of :func:`monthly_chart_data` as records."""
    rules = results.rules
    minimum = standards(rules).min_cell
    rows = []
    for questionnaire, months in _monthly_groups(results).items():
        total = _sum(m["respondents"] for m in months)
        if (total == 0 and _sum(m["delivered"] for m in months) == 0) or 0 < total < minimum:
            continue
        name = rules.questionnaire_name(questionnaire)
        for month in months:
            number = int(str(month["service_month"])[5:7])
            for series, value in (
                (_SERIES_RESPONDENTS, month["respondents_share"]),
                (_SERIES_DELIVERED, month["delivered_share"]),
            ):
                rows.append(
                    {
                        "onderdeel": name,
                        "maand": MONTHS_NL_SHORT[number - 1],
                        "maandnummer": number,
                        "reeks": series,
                        "aandeel": 0.0 if pd.isna(value) else float(value),
                    }
                )
    return rows


def monthly_chart(results: YearResults, columns: int = 2) -> dict[str, Any] | None:
    """Vega-Lite spec (a dict): per component the monthly shares of respondents and delivered
    tenants (grouped bars, one facet per component). None when there is nothing to show. A plain
    dict, not an Altair chart: building and serialising the Altair objects cost more than the
    chart's data (issue 13)."""
    from kwh_calc.presentation.present import PALETTE, TEXT_WIDTH_PT

    rows = _monthly_rows(results)
    if not rows:
        return None
    order = list(dict.fromkeys(row["onderdeel"] for row in rows))
    width = round((TEXT_WIDTH_PT / 0.75 - 50 * columns - 20 * (columns - 1)) / columns)
    series = [_SERIES_DELIVERED, _SERIES_RESPONDENTS]
    return {
        "config": {"facet": {"spacing": 20}, "scale": {"bandPaddingInner": 0.15}},
        "data": {"values": rows},
        "facet": facet_by_component(order),
        "spec": {
            "mark": {"type": "bar"},
            "encoding": {
                "color": {
                    "field": "reeks",
                    "legend": {"orient": "bottom"},
                    "scale": {"domain": series, "range": [PALETTE[2], PALETTE[0]]},
                    "sort": series,
                    "title": None,
                    "type": "nominal",
                },
                "x": {
                    "axis": {"labelFontSize": 9},
                    "field": "maand",
                    "sort": list(MONTHS_NL_SHORT),
                    "title": None,
                    "type": "nominal",
                },
                "xOffset": {"field": "reeks", "sort": series, "type": "nominal"},
                "y": {"axis": {"tickCount": 4}, "field": "aandeel", "title": "% van het jaar", "type": "quantitative"},
            },
            "height": 85,
            "width": width,
        },
        "columns": columns,
        "description": monthly_chart_alt(results),
        "resolve": {"axis": {"x": "independent"}, "scale": {"y": "independent"}},
    }


@per_document
def monthly_table(results: YearResults) -> pd.DataFrame:
    """Per component: months with deliveries, the largest monthly difference and the verdict.

    Columns ``Onderdeel, Maanden met levering, Grootste verschil (procentpunt), In maand,
    Respons volgt levering``: the largest absolute difference between a month's share of
    the respondents and its share of the delivered tenants, and
    whether the response follows the deliveries (result table ``response_spread``,
    :func:`kwh_calc.calculations.representativeness.response_follows_deliveries` at the rules'
    confidence). A component with fewer
    respondents than ``suppression.min_cell_size`` shows ``< 5 resp.`` instead.
    """
    rules = results.rules
    s = standards(rules)
    monthly = _ordered(results.of("monthly_response"), rules)
    spread = results.of("response_spread").set_index("questionnaire")
    rows = []
    for questionnaire, months in monthly.groupby("questionnaire", sort=False):
        if months["respondents"].sum() == 0 and months["delivered"].sum() == 0:
            continue
        months = months.sort_values("service_month")
        entry = {
            "Onderdeel": rules.questionnaire_name(questionnaire),
            "Maanden met levering": fmt_count(int((months["delivered"] > 0).sum())),
        }
        total = months["respondents"].sum()
        if 0 < total < s.min_cell:
            hidden = f"< {s.min_cell} resp."
            entry.update(
                {"Grootste verschil (procentpunt)": hidden, "In maand": hidden, "Respons volgt levering": hidden}
            )
            rows.append(entry)
            continue
        follows = spread.at[questionnaire, "follows"]
        difference = (months["respondents_share"].fillna(0) - months["delivered_share"].fillna(0)).abs()
        has_both = total > 0 and months["delivered"].sum() > 0
        largest = difference.idxmax() if has_both else None
        month = "–"
        if has_both and fmt_decimal(difference.max(), 1) != fmt_decimal(0, 1):
            month = MONTHS_NL_SHORT[int(str(months.loc[largest, "service_month"])[5:7]) - 1]
        entry.update(
            {
                "Grootste verschil (procentpunt)": fmt_decimal(difference.max(), 1) if has_both else "–",
                "In maand": month,
                "Respons volgt levering": follows,
            }
        )
        rows.append(entry)
    return pd.DataFrame(
        rows,
        columns=[
            "Onderdeel",
            "Maanden met levering",
            "Grootste verschil (procentpunt)",
            "In maand",
            "Respons volgt levering",
        ],
    )
