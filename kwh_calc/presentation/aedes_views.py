"""Dutch presentation of the Aedes-benchmark Huurdersoordeel (``notebooks/aedes-huurdersoordeel.ipynb``).

Each function turns the year's results (:class:`~kwh_calc.results.year.YearResults`, table
``aedes``: one row per member for benchmark years Y and Y−1, as :func:`kwh_calc.calculations.aedes.aedes_results`
computed it) into a small DataFrame with Dutch headers and Dutch-formatted cells, into a
Dutch sentence, or into an Altair chart, ready for :mod:`kwh_calc.presentation.present`. Letters, grades,
ranks and the letter changes come from :mod:`kwh_calc.calculations.aedes`; these functions select, order and
format. Every rule value (letter boundaries, points, weights, overall thresholds, the
boundary-flag margin, the dissatisfied grade, the confidence level, the minimum cell size) is
read from the rule set.

The results table ``aedes_months`` (:func:`kwh_calc.calculations.aedes.aedes_months`) says
which service months of each benchmark period hold respondents, so that the report can say
when last year's (or this year's) figures cover only part of the period.

Decisions (docs/methodology.md §4.6, §6)
----------------------------
- **Few respondents.** The sub-score is the corporation's own benchmark result, submitted to
  Aedes as it is, and decides the overall letter; it is no breakdown cell, so it is not
  suppressed. When a sub-score has respondents but fewer than ``suppression.min_cell_size``
  the report shows n, grade and letter and says plainly that the grade rests on very few
  respondents (``zeer weinig respondenten``). Other corporations appear in the report only as
  anonymous dots/counts in the national distribution and in aggregates; never by name.
- **Rond de lettergrens.** A grade within ``aedes.boundary_flag_margin`` (0,05) of a letter
  boundary (the unrounded grade, as :func:`kwh_calc.calculations.aedes.near_boundary`) is shown as
  ``7,5 (rond lettergrens)``. The reports deliberately do not call this a *grensgeval*: in the
  other documents that word means a label result that prints as the threshold but fails it
  (docs/methodology.md §2.4), a different thing.
- **Needed grade.** The grade needed for the next letter is the smallest unrounded grade that
  earns it (``7,45`` for B, since letters go on the grade rounded half up); the distance to
  it is shown in grade points rounded **up** to two decimals, so that a shown distance always
  suffices and a tiny distance never prints as ``0,00``.
- **Partial year.** A benchmark year's figures are said not to cover the whole period when
  the corporation's respondents on the three sub-scores start after the period's first service
  month, or the research data as a whole ends before its last (:func:`aedes_months`, see
  :func:`coverage_notes`); months without respondents in between or at the end of one
  corporation (small corporations; July responses completed after the freeze) are not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from kwh_calc.calculations.aedes import (
    GRADE_DECIMALS,
    SUBSCORE_NAMES,
    LetterChanges,
    benchmark_period,
    letter_for_grade,
    national_distribution,
    national_summary,
    round_grade,
    subscore_keys,
    what_changes_letter,
)
from kwh_calc.common.numbers import (
    fmt_count,
    fmt_date,
    fmt_decimal,
    fmt_grade,
    fmt_month,
    fmt_pct,
    is_missing,
    join_nl,
)
from kwh_calc.intake.rules import Rules
from kwh_calc.presentation.present import escape_markdown, marked_lines
from kwh_calc.results.year import YearResults, per_document

__all__ = [
    "NEAR_BOUNDARY",
    "boundaries_table",
    "boundaries_text",
    "coverage_notes",
    "distribution_alt",
    "distribution_caption",
    "distribution_chart",
    "distribution_chart_data",
    "distribution_domain",
    "has_respondents",
    "is_member",
    "label_comparison_notes",
    "member_row",
    "merger_text",
    "national_results",
    "next_letter_table",
    "no_respondents_text",
    "overall_changes_table",
    "overall_changes_text",
    "overall_table",
    "overall_text",
    "period_nl",
    "position_table",
    "subscore_name",
    "subscore_notes",
    "subscores_table",
    "trend_notes",
    "trend_table",
]

#: Marks a grade within ``aedes.boundary_flag_margin`` of a letter boundary.
NEAR_BOUNDARY = " (rond lettergrens)"
#: Header of the distance to the next letter: computed on the unrounded grade and rounded up,
#: so it is no difference of the printed (rounded) grades and says so.
GAP_COLUMN = "Erbij (naar boven afgerond)"
#: Colours of the distribution chart: the corporation (KWH dark blue) and the other members.
OWN_COLOUR = "#1d4f73"
OTHER_COLOUR = "#b9cadb"
OWN_SERIES = "Cijfer van de eigen corporatie"
OTHER_SERIES = "Andere leden"


# --------------------------------------------------------------------------- helpers


def subscore_name(key: str) -> str:
    """Aedes' Dutch name of a sub-score: ``reparaties`` -> ``Reparatieverzoeken``."""
    return SUBSCORE_NAMES.get(key, key)


def period_nl(rules: Rules, year: int) -> str:
    """The benchmark period of year ``year`` in words (``aedes.start_month``, ``end_month``,
    ``freeze_month_day``): ``servicemaanden september 2024 t/m juli 2025, reacties t/m
    31 augustus 2025``."""
    period = benchmark_period(year, rules)
    return f"servicemaanden {period.describe_nl()}, reacties t/m {fmt_date(period.freeze)}"


def _signed(value: float | Decimal, decimals: int) -> str:
    """``+0,12`` / ``-0,25`` / ``0,00``."""
    text = fmt_decimal(value, decimals)
    return text if text.startswith("-") or set(text) <= set("0,") else f"+{text}"


def _points(value) -> str:
    """Weighted points with two decimals and a sign: ``-0,25``, ``+0,30``, ``0,00``."""
    return _signed(value, 2)


def _letters_top_down(rules: Rules):
    return sorted(rules.aedes.letters, key=lambda b: b.min_grade, reverse=True)


def _pct_weight(weight: Decimal) -> str:
    return fmt_pct(weight * 100)


# --------------------------------------------------------------------------- slices


def national_results(results: YearResults, year: int | None = None) -> pd.DataFrame:
    """All members' stored Aedes results of benchmark year ``year`` (default Y), one row per member.

    The ``aedes`` results table in the layout of :func:`kwh_calc.calculations.aedes.aedes_results` (the
    ``year`` column dropped); Decimal cells come back as floats.
    """
    year = results.year if year is None else year

    def compute() -> pd.DataFrame:
        table = results.table("aedes")
        return table.loc[table["year"] == year].drop(columns="year").reset_index(drop=True)

    return results.derived(("aedes_national_results", year), compute)  # ~30 calls per document


def _national_distribution(results: YearResults) -> pd.DataFrame:
    """:func:`national_distribution` of benchmark year Y, once per process and results folder."""
    return results.derived(
        ("aedes_national_distribution", results.year),
        lambda: national_distribution(national_results(results), results.rules),
    )


@per_document
def member_row(results: YearResults, year: int | None = None) -> pd.Series | None:
    """The corporation's row of :func:`national_results`, or None (not a member that year)."""
    table = national_results(results, year)
    rows = table.loc[table["corporation_id"] == results.corporation_id]
    return None if rows.empty else rows.iloc[0]


def is_member(results: YearResults) -> bool:
    """Whether the corporation takes part in benchmark year Y (it has a row in ``aedes``)."""
    return member_row(results) is not None


def has_respondents(results: YearResults) -> bool:
    """Whether the member has respondents on at least one sub-score in the benchmark year."""
    row = member_row(results)
    return row is not None and any(int(row[f"{k}_n"]) > 0 for k in subscore_keys(results.rules))


def no_respondents_text(results: YearResults) -> str:
    """Why a member has no letters at all: no respondents on the three sub-scores in the
    benchmark period, and, for a member that joined the survey after the period began, when
    it joined."""
    rules = results.rules
    corporation = results.corporation
    period = benchmark_period(results.year, rules)
    text = (
        f"{escape_markdown(corporation['name'])} heeft in benchmarkjaar {results.year} "
        f"({period_nl(rules, results.year)}) geen respondenten op de drie deelscores. Er is daarom geen letter en "
        "geen totaalletter, en geen plaats in de landelijke verdeling."
    )
    since = corporation.get("member_since")
    if since is not None and not pd.isna(since) and pd.Timestamp(since).strftime("%Y-%m") > period.first_month:
        text += (
            f" {escape_markdown(corporation['name'])} doet sinds {fmt_date(pd.Timestamp(since).date())} mee aan het "
            "KWH-Huurdersonderzoek; reacties over dienstverlening vanaf dan tellen mee zodra ze in een "
            "benchmarkperiode vallen."
        )
    return text


def merger_text(results: YearResults) -> str | None:
    """For a merger inside the benchmark period: whose reactions the figures hold. The merged
    corporation's figures hold its own reactions from the merger on, each predecessor's its
    reactions until the merger (``corporations``: ``merged_from``, ``merged_on``). None
    otherwise."""
    rules = results.rules
    period = benchmark_period(results.year, rules)
    corporations = results.table("corporations")
    names = corporations.set_index("corporation_id")["name"]

    def inside(value) -> bool:
        return (
            value is not None
            and not pd.isna(value)
            and period.first_month <= pd.Timestamp(value).strftime("%Y-%m") <= period.end_month
        )

    corporation = results.corporation
    if inside(corporation.get("merged_on")):
        ids = [i for i in str(corporation.get("merged_from") or "").split(";") if i]
        parts = join_nl([f"{names.get(i, i)} ({i})" for i in ids])
        when = fmt_date(pd.Timestamp(corporation["merged_on"]).date())
        return (
            f"{corporation['name']} is per {when} ontstaan uit de fusie van {parts}. Deze cijfers bevatten alleen de "
            f"reacties over dienstverlening van {corporation['name']} zelf, vanaf de fusie; de reacties van vóór de "
            "fusie tellen mee in de benchmarkcijfers van de rechtsvoorgangers."
        )
    merged_from = corporations["merged_from"].fillna("").astype(str).str.split(";")
    for successor in corporations.loc[merged_from.apply(lambda ids: results.corporation_id in ids)].itertuples():
        if inside(successor.merged_on):
            when = fmt_date(pd.Timestamp(successor.merged_on).date())
            return (
                f"{corporation['name']} is per {when} gefuseerd in {successor.name} ({successor.corporation_id}). Deze "
                "cijfers bevatten de reacties over dienstverlening tot de fusie."
            )
    return None


def _require(results: YearResults) -> pd.Series:
    row = member_row(results)
    if row is None:
        raise KeyError(f"{results.corporation_id} is no Aedes member in benchmark year {results.year}")
    return row


# --------------------------------------------------------------------------- letters and grades


def _grade_text(row: pd.Series, key: str) -> str:
    if row[f"{key}_n"] == 0:
        return "–"
    flagged = row[f"{key}_near_boundary"]
    return fmt_grade(row[f"{key}_grade"]) + (NEAR_BOUNDARY if not is_missing(flagged) and bool(flagged) else "")


def subscores_table(results: YearResults) -> pd.DataFrame:
    """The three sub-scores: respondents, grade, letter, % dissatisfied, margin of error, remark.

    Columns ``Deelscore, Respondenten, Cijfer`` (rounded half up, ``(rond lettergrens)`` when within
    ``aedes.boundary_flag_margin`` of a boundary), ``Letter``, ``% ontevreden`` (grade ≤
    ``aedes.dissatisfied_max_grade``, whole percent), ``Foutmarge`` (``± 0,2``: half-width of
    the 90% t-interval in grade points; ``–`` below 2 respondents) and ``Opmerking``
    (``geen respondenten``, ``zeer weinig respondenten``; left out when no row has a remark).
    """
    row = _require(results)
    minimum = results.rules.suppression.min_cell_size
    rows = []
    for key in subscore_keys(results.rules):
        n = int(row[f"{key}_n"])
        remark = ""
        if n == 0:
            remark = "geen respondenten"
        elif n < minimum:
            remark = "zeer weinig respondenten"
        margin = row[f"{key}_margin"]
        rows.append(
            {
                "Deelscore": subscore_name(key),
                "Respondenten": fmt_count(n),
                "Cijfer": _grade_text(row, key),
                "Letter": "geen" if n == 0 else str(row[f"{key}_letter"]),
                "% ontevreden": fmt_pct(row[f"{key}_pct_dissatisfied"]) if n else "–",
                "Foutmarge": "–" if n == 0 or is_missing(margin) else f"± {fmt_grade(margin)}",
                "Opmerking": remark,
            }
        )
    table = pd.DataFrame(
        rows, columns=["Deelscore", "Respondenten", "Cijfer", "Letter", "% ontevreden", "Foutmarge", "Opmerking"]
    )
    return table if table["Opmerking"].ne("").any() else table.drop(columns="Opmerking")


def subscore_notes(results: YearResults) -> list[str]:
    """Dutch sentences for sub-scores without or with very few respondents and for grades near a
    letter boundary."""
    row = _require(results)
    rules = results.rules
    minimum = rules.suppression.min_cell_size
    boundaries = " en ".join(fmt_grade(b.min_grade) for b in _letters_top_down(rules)[:-1][::-1])
    empty = [subscore_name(k) for k in subscore_keys(rules) if int(row[f"{k}_n"]) == 0]
    notes = []
    if empty:
        notes.append(
            f"**{join_nl(empty)}**: geen respondenten in de benchmarkperiode: geen letter; daardoor geen totaalletter."
        )
    for key in subscore_keys(rules):
        n = int(row[f"{key}_n"])
        name = subscore_name(key)
        if n == 0:
            continue
        if n < minimum:
            notes.append(
                f"**{name}**: het cijfer is gebaseerd op zeer weinig respondenten ({fmt_count(n)}, minder dan "
                f"{fmt_count(minimum)}) en is daardoor onzeker."
            )
        flagged = row[f"{key}_near_boundary"]
        if n and not is_missing(flagged) and bool(flagged):
            notes.append(
                f"**{name}** ligt rond een lettergrens: het onafgeronde cijfer ligt binnen "
                f"{fmt_decimal(rules.aedes.boundary_flag_margin, 2)} van een lettergrens ({boundaries}); "
                "een kleine verandering kan de letter veranderen."
            )
    notes += [
        f"**Let op:** {note}"
        for note in coverage_notes(results, results.year)
        if not note.endswith("er zijn geen cijfers.")
    ]
    notes += label_comparison_notes(results)
    return notes


def label_comparison_notes(results: YearResults) -> list[str]:
    """Why the Aedes figures differ from the label figures of the other documents.

    The Aedes sub-score is the mean grade on **one** question (the Aedes question) over the
    benchmark period (September Y−1 to July Y); the onderdeelscore of the results overview and
    the CKV dossier is the mean of the respondent means on the **label** questions over
    January–December Y; *ontevreden* (grade ≤ 5 on the Aedes question) is not the complement of
    *tevreden* (respondent mean ≥ 5,5 on the label questions). One sentence with the general
    difference, and per sub-score whose rounded grade differs from the onderdeelscore both
    figures side by side (the corporation's own ``scores`` of Y; none for a score below the
    minimum cell, as in the results overview).
    """
    rules = results.rules
    row = _require(results)
    try:
        scores = results.of("scores")
    except KeyError:  # results with the Aedes tables only
        return []
    current = scores.loc[scores["year"] == results.year].set_index("questionnaire")
    minimum = rules.suppression.min_cell_size
    pairs = []
    for key in subscore_keys(rules):
        n = int(row[f"{key}_n"])
        if n == 0 or key not in current.index or int(current.at[key, "n"]) < minimum:
            continue
        own = current.loc[key]
        if fmt_grade(row[f"{key}_grade"]) == own["score_display"]:
            continue
        pairs.append(
            f"{subscore_name(key)}: Aedes-cijfer {fmt_grade(row[f'{key}_grade'])} ({fmt_count(n)} respondenten), "
            f"onderdeelscore {results.year} {own['score_display']} en {own['pct_display']} tevreden "
            f"({fmt_count(int(own['n']))} respondenten)"
        )
    if not pairs:
        return []
    period = benchmark_period(results.year, rules)
    return [
        (
            "**Andere cijfers dan in de resultaten en het dossier voor de CKV.** Het Aedes-cijfer is het gemiddelde "
            f"rapportcijfer op één vraag, de Aedes-vraag, over servicemaanden {period.describe_nl()}; "
            "de onderdeelscore voor het KWH-Kwaliteitslabel is het gemiddelde over de labelvragen over januari t/m "
            f"december {results.year}. Ontevreden (een {rules.aedes.dissatisfied_max_grade} of lager op de "
            "Aedes-vraag) is niet het omgekeerde van tevreden "
            f"(gemiddeld een {fmt_grade(rules.scores.satisfied_grade)} of hoger op de labelvragen). "
            "Per deelscore, met de onderdeelscore uit de resultaten: " + "; ".join(pairs) + "."
        )
    ]


def overall_table(results: YearResults) -> pd.DataFrame:
    """How the overall letter is made: per sub-score letter, points, weight and contribution.

    Columns ``Deelscore, Letter, Punten`` (``aedes.letter_points``: A +1, B 0, C −1),
    ``Weging`` (``aedes.weights``: 25% / 55% / 20%) and ``Bijdrage`` (points × weight, two
    decimals); a last row ``Totaal`` with the overall letter and the weighted points (as
    :func:`kwh_calc.calculations.aedes.overall_points` computed them). Without a letter: ``–``.
    """
    row = _require(results)
    rules = results.rules
    rows = []
    for key, weight in rules.aedes.weights.items():
        letter = row[f"{key}_letter"]
        if is_missing(letter):
            rows.append(
                {
                    "Deelscore": subscore_name(key),
                    "Letter": "geen",
                    "Punten": "–",
                    "Weging": _pct_weight(weight),
                    "Bijdrage": "–",
                }
            )
            continue
        points = rules.aedes.letter_points[str(letter)]
        rows.append(
            {
                "Deelscore": subscore_name(key),
                "Letter": str(letter),
                "Punten": _signed(points, 0),
                "Weging": _pct_weight(weight),
                "Bijdrage": _points(Decimal(points) * weight),
            }
        )
    total = row["overall_points"]
    rows.append(
        {
            "Deelscore": "Totaal",
            "Letter": "geen" if is_missing(row["overall_letter"]) else str(row["overall_letter"]),
            "Punten": "",
            "Weging": _pct_weight(sum(rules.aedes.weights.values(), Decimal(0))),
            "Bijdrage": "–" if is_missing(total) else _points(total),
        }
    )
    return pd.DataFrame(rows, columns=["Deelscore", "Letter", "Punten", "Weging", "Bijdrage"])


def _overall_rule_text(rules: Rules) -> str:
    top, middle, bottom = (b.letter for b in _letters_top_down(rules))
    return (
        f"gewogen punten {fmt_decimal(rules.aedes.overall_a_min, 2)} of meer geeft {top}, "
        f"{fmt_decimal(rules.aedes.overall_c_max, 2)} of minder geeft {bottom}, daartussen {middle}"
    )


def overall_text(results: YearResults) -> str:
    """The overall letter in one Dutch paragraph, with how the weighted points make it."""
    row = _require(results)
    rules = results.rules
    points = ", ".join(f"{letter} {_signed(value, 0)}" for letter, value in rules.aedes.letter_points.items())
    weights = ", ".join(f"{subscore_name(k)} {_pct_weight(w)}" for k, w in rules.aedes.weights.items())
    method = (
        f"Elke letter geeft punten ({points}); de punten worden gewogen ({weights}). "
        f"De totaalletter volgt uit de gewogen punten: {_overall_rule_text(rules)}."
    )
    if is_missing(row["overall_letter"]):
        missing = [subscore_name(k) for k in subscore_keys(rules) if int(row[f"{k}_n"]) == 0]
        return (
            f"**Geen totaalletter.** {join_nl(missing) if missing else 'Een deelscore'} "
            f"{'heeft' if len(missing) <= 1 else 'hebben'} geen respondenten: geen letter; daardoor geen totaalletter. "
            + method
        )
    return f"**Totaalletter {row['overall_letter']}** (gewogen punten {_points(row['overall_points'])}). " + method


def boundaries_table(rules: Rules) -> pd.DataFrame:
    """The letter boundaries (``aedes.letters``, ``aedes.letter_points``, ``overall_a_min``,
    ``overall_c_max``): per letter the grade range (on the grade rounded to one decimal), the
    points and the weighted points that give it as overall letter."""
    letters = _letters_top_down(rules)
    unit = Decimal(1).scaleb(-GRADE_DECIMALS)
    a_min, c_max = rules.aedes.overall_a_min, rules.aedes.overall_c_max
    overall = [
        f"{fmt_decimal(a_min, 2)} of meer",
        f"tussen {fmt_decimal(c_max, 2)} en {fmt_decimal(a_min, 2)}",
        f"{fmt_decimal(c_max, 2)} of minder",
    ]
    rows = []
    for index, boundary in enumerate(letters):
        if index == 0:
            grades = f"{fmt_grade(boundary.min_grade)} of hoger"
        elif index == len(letters) - 1:
            grades = f"lager dan {fmt_grade(letters[index - 1].min_grade)}"
        else:
            grades = f"{fmt_grade(boundary.min_grade)} t/m {fmt_grade(letters[index - 1].min_grade - unit)}"
        rows.append(
            {
                "Letter": boundary.letter,
                "Cijfer deelscore": grades,
                "Punten": _signed(rules.aedes.letter_points[boundary.letter], 0),
                "Totaalletter bij gewogen punten": overall[index],
            }
        )
    return pd.DataFrame(rows, columns=["Letter", "Cijfer deelscore", "Punten", "Totaalletter bij gewogen punten"])


def boundaries_text(rules: Rules) -> str:
    """How letters follow from the rounded grade, with the rounding worked on the lowest
    boundary (``aedes.letters``, ``aedes.boundary_flag_margin``): ``7,45 wordt 7,5 en geeft B``."""
    letters = _letters_top_down(rules)
    boundary = letters[-2]  # the lowest boundary that separates two letters
    half = Decimal(5).scaleb(-(GRADE_DECIMALS + 1))
    unit = Decimal(1).scaleb(-(GRADE_DECIMALS + 1))
    up, down = boundary.min_grade - half, boundary.min_grade - half - unit
    margin = rules.aedes.boundary_flag_margin
    ranges = " en ".join(
        f"{fmt_decimal(b.min_grade - margin, 2)} t/m {fmt_decimal(b.min_grade + margin, 2)}" for b in letters[:-1][::-1]
    )
    return (
        f"De letter van een deelscore hangt af van het cijfer afgerond op één decimaal (half naar boven): "
        f"een onafgerond cijfer van {fmt_decimal(up, 2)} wordt {fmt_grade(round_grade(up))} en geeft "
        f"{letter_for_grade(up, rules)}, {fmt_decimal(down, 2)} wordt {fmt_grade(round_grade(down))} en geeft "
        f"{letter_for_grade(down, rules)}. Een onafgerond cijfer binnen {fmt_decimal(margin, 2)} van een grens "
        f"({ranges}) ligt *rond de lettergrens*: een kleine verandering kan de letter veranderen. Dat is iets "
        f"anders dan een grensgeval bij het KWH-Kwaliteitslabel (een uitkomst die afgerond op de grens uitkomt "
        f"maar er onafgerond net onder ligt)."
    )


# --------------------------------------------------------------------------- national position


def position_table(results: YearResults) -> pd.DataFrame:
    """Where the corporation stands among all members, per sub-score.

    Columns ``Deelscore, Cijfer`` (rounded), ``Plaats`` (``35 van 227``: rank on the unrounded
    grade among the members with respondents, 1 = highest; on a tie ``(met 2 andere leden gelijk)``), ``Percentiel``
    (percentile rank 0–100 of :func:`kwh_calc.calculations.aedes.national_distribution`), ``Landelijk``
    (unweighted mean of the members' grades) and ``Letters landelijk`` (members per letter,
    ``A 3 · B 5 · C 8``).
    """
    row = _require(results)
    rules = results.rules
    table = national_results(results)
    distribution = _national_distribution(results)
    summary = results.derived(
        ("aedes_national_summary", results.year), lambda: national_summary(table, rules).set_index("questionnaire")
    )
    letters = [b.letter for b in _letters_top_down(rules)]
    rows = []
    for key in subscore_keys(rules):
        mine = distribution.loc[
            (distribution["questionnaire"] == key) & (distribution["corporation_id"] == results.corporation_id)
        ]
        national = summary.loc[key]
        if mine.empty:
            place, percentile = "geen respondenten", "–"
        else:
            entry = mine.iloc[0]
            same = distribution.loc[(distribution["questionnaire"] == key) & (distribution["rank"] == entry["rank"])]
            place = f"{fmt_count(entry['rank'])} van {fmt_count(entry['n_ranked'])}"
            if len(same) > 1:
                others = len(same) - 1
                place += f" (met {fmt_count(others)} {'ander lid' if others == 1 else 'andere leden'} gelijk)"
            percentile = fmt_decimal(entry["percentile"], 0)
        rows.append(
            {
                "Deelscore": subscore_name(key),
                "Cijfer": fmt_grade(row[f"{key}_grade"]) if int(row[f"{key}_n"]) else "–",
                "Plaats": place,
                "Percentiel": percentile,
                "Landelijk": fmt_grade(national["mean_of_corporations"]),
                "Letters landelijk": " · ".join(f"{letter} {fmt_count(national[f'n_{letter}'])}" for letter in letters),
            }
        )
    return pd.DataFrame(rows, columns=["Deelscore", "Cijfer", "Plaats", "Percentiel", "Landelijk", "Letters landelijk"])


def distribution_domain(results: YearResults) -> tuple[float, float]:
    """The grade axis of the distribution charts (the same for the three sub-scores): every
    member's rounded grade and every letter boundary inside, with a margin of 0,2."""
    return results.derived(("aedes_distribution_domain", results.year), lambda: _distribution_domain(results))


def _distribution_domain(results: YearResults) -> tuple[float, float]:
    table = national_results(results)
    grades = [table[f"{key}_grade"].to_numpy(dtype=float) for key in subscore_keys(results.rules)]
    values = np.concatenate([*grades, np.array([float(b.min_grade) for b in _letters_top_down(results.rules)[:-1]])])
    values = values[~np.isnan(values)]
    low = math.floor(values.min() * 10 - 2) / 10
    high = math.ceil(values.max() * 10 + 2) / 10
    return low, high


_DISTRIBUTION_COLUMNS = ["cijfer", "cijfer_tekst", "van", "tot", "reeks", "aantal", "basis"]


@dataclass(frozen=True)
class _Distribution:
    """The national part of one sub-score's distribution chart: the bars (members per rounded
    grade, every corporation's chart the same) and each member's grade, to mark its own bar."""

    grades: list[Any]
    bars: list[dict[str, Any]]
    member_grade: dict[str, Any]


def _distribution(results: YearResults, key: str) -> _Distribution:
    def compute() -> _Distribution:
        distribution = _national_distribution(results)
        part = distribution.loc[distribution["questionnaire"] == key]
        half = 0.5 * 10**-GRADE_DECIMALS
        grades, bars = [], []
        for grade, count in part.groupby("grade", sort=True).size().items():
            grades.append(grade)
            bars.append(
                {
                    "cijfer": float(grade),
                    "cijfer_tekst": fmt_grade(grade),
                    "van": float(grade) - half,
                    "tot": float(grade) + half,
                    "aantal": int(count),
                    "basis": 0,
                }
            )
        return _Distribution(grades, bars, dict(zip(part["corporation_id"], part["grade"], strict=True)))

    return results.derived(("aedes_distribution", results.year, key), compute)


@per_document
def _distribution_rows(results: YearResults, key: str) -> list[dict[str, Any]]:
    """The rows of :func:`distribution_chart_data` as records (in its column order)."""
    national = _distribution(results, key)
    own = national.member_grade.get(results.corporation_id) if results.corporation_id is not None else None
    return [
        {
            **{c: bar[c] for c in ("cijfer", "cijfer_tekst", "van", "tot")},
            # The whole bar of the own grade is marked (a strip one member high at the base of a
            # bar of thirty was invisible); the label says how many other members share it.
            "reeks": OWN_SERIES if own is not None and grade == own else OTHER_SERIES,
            "aantal": bar["aantal"],
            "basis": bar["basis"],
        }
        for grade, bar in zip(national.grades, national.bars, strict=True)
    ]


def distribution_chart_data(results: YearResults, key: str) -> pd.DataFrame:
    """Members per rounded grade of one sub-score, the bar of the corporation's own grade marked.

    Columns ``cijfer`` (rounded half up, one decimal; float), ``cijfer_tekst`` (``7,5``),
    ``van``/``tot`` (the bar: half a unit either side, so that a letter boundary falls between
    two bars), ``reeks`` (:data:`OWN_SERIES` for the whole bar that holds the corporation's
    grade, :data:`OTHER_SERIES` otherwise), ``aantal`` (members with that grade, the
    corporation included) and ``basis`` (0; kept for the chart's stacking encoding). Members without
    respondents on the sub-score are left out.
    """
    return pd.DataFrame(_distribution_rows(results, key), columns=_DISTRIBUTION_COLUMNS)


def distribution_chart(results: YearResults, key: str, domain: tuple[float, float] | None = None) -> dict[str, Any]:
    """Vega-Lite spec (a dict) of the national distribution of one sub-score, the corporation highlighted.

    Bars: members per rounded grade (own bar dark blue, stacked on the others); dashed rules
    at the letter boundaries (``aedes.letters``), between the last bar below and the first
    bar of the higher letter, labelled ``B vanaf 7,5``; above the own grade's bar ``eigen cijfer 7,5``.
    A plain dict, not an Altair chart: building and serialising the Altair objects cost more
    than the chart's data (issue 13).
    """
    rows = _distribution_rows(results, key)
    low, high = domain or distribution_domain(results)
    half = 0.5 * 10**-GRADE_DECIMALS
    letters = _letters_top_down(results.rules)
    # One row per grade, so the stack of a grade is its row's count.
    stack = {row["cijfer"]: row["aantal"] for row in rows}
    peak = max(stack.values()) if rows else 1
    top = peak + max(1, math.ceil(peak * 0.35))
    present = {row["reeks"] for row in rows}
    series = [(s, c) for s, c in ((OWN_SERIES, OWN_COLOUR), (OTHER_SERIES, OTHER_COLOUR)) if s in present]
    y_scale = {"domain": [0, top], "nice": False}
    bars = {
        "data": {"values": rows},
        "mark": {"type": "bar", "stroke": "white", "strokeWidth": 0.5},
        "encoding": {
            "color": {
                "field": "reeks",
                "legend": {"orient": "bottom"},
                "scale": {"domain": [s for s, _ in series], "range": [c for _, c in series]},
                "title": None,
                "type": "nominal",
            },
            "x": {
                "axis": {"format": ".1f", "grid": False, "tickMinStep": 0.1},
                "field": "van",
                "scale": {"domain": [low, high], "nice": False, "zero": False},
                "title": "Cijfer (afgerond op één decimaal)",
                "type": "quantitative",
            },
            "x2": {"field": "tot"},
            "y": {
                "axis": {"format": "d", "tickMinStep": 1, "values": _count_ticks(top)},
                "field": "basis",
                "scale": y_scale,
                "title": "Aantal leden",
                "type": "quantitative",
            },
            "y2": {"field": "top"},
        },
        "transform": [{"calculate": "datum.basis + datum.aantal", "as": "top"}],
    }
    rule_rows = [
        {"grens": float(b.min_grade) - half, "tekst": f"{b.letter} vanaf {fmt_grade(b.min_grade)}", "hoogte": top}
        for b in letters[:-1]
    ]
    label_y = {"field": "hoogte", "scale": y_scale, "type": "quantitative"}
    layers = [bars, *marked_lines(rule_rows, "grens", label_y, dy=2)]
    own = next((row for row in rows if row["reeks"] == OWN_SERIES), None)
    if own is not None:
        # Keep the label clear of a boundary rule at either edge of the own bar.
        edges = {round(float(b.min_grade) - half, 6) for b in letters[:-1]}
        start, end = round(own["van"], 6), round(own["tot"], 6)
        align: Literal["left", "center", "right"]
        align, field, dx = (
            ("left", "van", 3) if start in edges else ("right", "tot", -3) if end in edges else ("center", "cijfer", 0)
        )
        # The label ("eigen cijfer 7,8") is about 5 bars wide: lift it above every bar it spans,
        # so that it never runs over a neighbouring bar, and draw a thin line down to the own bar.
        shared = own["aantal"] - 1
        also = "" if shared == 0 else f" (met {shared} {'ander lid' if shared == 1 else 'andere leden'})"
        grade, span = own["cijfer"], (9 if also else 5) * half * 2
        lo, hi = {"left": (start, start + span), "right": (end - span, end)}.get(
            align, (grade - span / 2, grade + span / 2)
        )
        covered = [count for at, count in stack.items() if at + half > lo and at - half < hi]
        own_top = stack.get(grade, own["aantal"])
        label_at: float = max(max(covered) if covered else own_top, own_top)
        label_at = min(label_at + max(0.5, 0.08 * top), top)
        marker = [{**own, "hoogte": label_at, "voet": own_top, "tekst": "eigen cijfer " + own["cijfer_tekst"] + also}]
        if label_at - own_top > 0.6:
            layers.append(
                {
                    "data": {"values": marker},
                    "mark": {"type": "rule", "color": OWN_COLOUR, "strokeWidth": 0.8},
                    "encoding": {
                        "x": {"field": "cijfer", "type": "quantitative"},
                        "y": {"field": "voet", "scale": y_scale, "type": "quantitative"},
                        "y2": {"field": "hoogte"},
                    },
                }
            )
        layers.append(
            {
                "data": {"values": marker},
                "mark": {
                    "type": "text",
                    "align": align,
                    "baseline": "bottom",
                    "color": OWN_COLOUR,
                    "dx": dx,
                    "dy": -1,
                    "fontSize": 10,
                    "fontWeight": 600,
                },
                "encoding": {
                    "text": {"field": "tekst", "type": "nominal"},
                    "x": {"field": field, "type": "quantitative"},
                    "y": {"field": "hoogte", "scale": y_scale, "type": "quantitative"},
                },
            }
        )
    return {
        "layer": layers,
        "description": _distribution_alt(results, key, rows),
        "height": 150,
    }


def distribution_alt(results: YearResults, key: str) -> str:
    """Alternative text of :func:`distribution_chart` (PDF/UA): what the histogram shows, the
    letter boundaries and where the corporation's grade lies, in words."""
    return _distribution_alt(results, key, _distribution_rows(results, key))


def _distribution_alt(results: YearResults, key: str, rows: list[dict[str, Any]]) -> str:
    letters = _letters_top_down(results.rules)[:-1][::-1]
    bounds = " en ".join(f"{b.letter} vanaf {fmt_grade(b.min_grade)}" for b in letters)
    if rows:
        grades = [row["cijfer"] for row in rows]
        most = max(rows, key=lambda row: row["aantal"])  # the first of equal counts, as idxmax
        text = (
            f"Staafdiagram: aantal Aedes-leden per cijfer op {subscore_name(key)}, van {fmt_grade(min(grades))} "
            f"tot {fmt_grade(max(grades))}; meeste leden bij "
            f"{fmt_grade(most['cijfer'])}. Lettergrenzen: {bounds}."
        )
    else:
        text = f"Geen leden met respondenten op {subscore_name(key)}."
    own = next((row for row in rows if row["reeks"] == OWN_SERIES), None)
    if own is not None:
        shared = own["aantal"] - 1
        # Plain text (not Markdown): the name as it is, for a screen reader.
        text += f" Het cijfer van {results.corporation['name']} is {own['cijfer_tekst']}" + (
            "." if shared == 0 else f", samen met {shared} {'ander lid' if shared == 1 else 'andere leden'}."
        )
    return text


def distribution_caption(results: YearResults, key: str) -> str:
    """The caption of :func:`distribution_chart`: what is shown, and whether the corporation is in it."""
    name = escape_markdown(results.corporation["name"])  # the caption is Markdown
    row = _require(results)
    own = f"{name} gemarkeerd" if int(row[f"{key}_n"]) > 0 else f"{name} heeft op deze deelscore geen respondenten"
    return f"{subscore_name(key)}: aantal Aedes-leden per cijfer, {own}; de stippellijnen zijn de lettergrenzen"


def _count_ticks(top: int) -> list[int]:
    step = max(1, math.ceil(top / 5))
    return list(range(0, top + 1, step))


# --------------------------------------------------------------------------- trend


def trend_table(results: YearResults) -> pd.DataFrame:
    """Letters and grades of last benchmark year beside this year's, per sub-score and overall.

    Columns ``Deelscore``, ``<Y−1>`` and ``<Y>`` (letter, grade and respondents in one cell:
    ``B, 7,4 (157)``; ``geen respondenten``), ``Verschil cijfer`` (difference of the rounded
    grades as printed, grade points) and ``Letter`` (``hoger``/``lager``/``gelijk``; ``–`` when a
    letter is missing). Letter and grade share a cell so that the table fits the page (with
    six columns "Reparatieverzoeken" ran into the next column). The ``Totaal`` row carries the
    overall letters and the weighted points. Empty when neither year has respondents
    (:func:`trend_notes` says so).
    """
    row = _require(results)
    before = member_row(results, results.year - 1)
    rules = results.rules
    year, previous_year = results.year, results.year - 1
    columns = ["Deelscore", str(previous_year), str(year), "Verschil cijfer", "Letter"]
    if all(source is None or int(source[f"{k}_n"]) == 0 for source in (row, before) for k in subscore_keys(rules)):
        return pd.DataFrame(columns=columns)
    order = {b.letter: i for i, b in enumerate(_letters_top_down(rules))}

    def letter_of(source, column):
        if source is None or is_missing(source[column]):
            return None
        return str(source[column])

    def change(now, then):
        if now is None or then is None:
            return "–"
        difference = order[then] - order[now]
        return "hoger" if difference > 0 else "lager" if difference < 0 else "gelijk"

    def cell(source, key):
        if source is None or int(source[f"{key}_n"]) == 0:
            return "geen respondenten"
        return f"{source[f'{key}_letter']}, {fmt_grade(source[f'{key}_grade'])} ({fmt_count(source[f'{key}_n'])})"

    rows = []
    for key in subscore_keys(rules):
        now, then = letter_of(row, f"{key}_letter"), letter_of(before, f"{key}_letter")
        has_both = int(row[f"{key}_n"]) > 0 and before is not None and int(before[f"{key}_n"]) > 0
        difference = (
            _signed(round_grade(row[f"{key}_grade"]) - round_grade(before[f"{key}_grade"]), GRADE_DECIMALS)
            if has_both and before is not None
            else "–"
        )
        rows.append(
            {
                "Deelscore": subscore_name(key),
                str(previous_year): cell(before, key),
                str(year): cell(row, key),
                "Verschil cijfer": difference,
                "Letter": change(now, then),
            }
        )
    now, then = letter_of(row, "overall_letter"), letter_of(before, "overall_letter")

    def overall(source, letter):
        if source is None or letter is None or is_missing(source["overall_points"]):
            return "–"
        return f"{letter}, {_points(source['overall_points'])} punten"

    rows.append(
        {
            "Deelscore": "Totaal",
            str(previous_year): overall(before, then),
            str(year): overall(row, now),
            "Verschil cijfer": "",
            "Letter": change(now, then),
        }
    )
    return pd.DataFrame(rows, columns=columns)


def _coverage_row(results: YearResults, year: int) -> pd.Series | None:
    try:
        table = results.table("aedes_months")
    except KeyError:
        return None
    rows = table.loc[(table["corporation_id"] == results.corporation_id) & (table["year"] == year)]
    return None if rows.empty else rows.iloc[0]


def coverage_notes(results: YearResults, year: int) -> list[str]:
    """Dutch sentences when benchmark year ``year``'s figures are missing or cover only part
    of the period.

    Missing: the corporation was no member, or had no respondents on any sub-score.
    Part of the period (table ``aedes_months``): the corporation's first service month with
    respondents lies after the period's first month (data or membership start later), or the
    research data as a whole ends before the period's last month. A corporation without
    respondents in the last month(s) while others have them is not flagged: responses about
    July are often completed after the freeze (quarterly deliveries) and do not count, by rule.
    """
    rules = results.rules
    period = benchmark_period(year, rules)
    label = f"Benchmarkjaar {year} ({period.describe_nl()})"
    row = member_row(results, year)
    if row is None:
        return [
            f"{label}: {escape_markdown(results.corporation['name'])} was toen geen lid van Aedes; "
            "er zijn geen cijfers."
        ]
    if all(int(row[f"{k}_n"]) == 0 for k in subscore_keys(rules)):
        return [f"{label}: geen respondenten op de drie deelscores; er zijn geen cijfers."]
    coverage = _coverage_row(results, year)
    if coverage is None or is_missing(coverage["first_month"]):
        return []
    first, last = str(coverage["first_month"]), str(coverage["last_month"])
    data_first, data_last = coverage["data_first_month"], coverage["data_last_month"]
    late_start = first > period.first_month
    early_end = not is_missing(data_last) and str(data_last) < period.end_month
    if not (late_start or early_end):
        return []
    months = (
        f"servicemaand {fmt_month(first)}"
        if first == last
        else f"servicemaanden {fmt_month(first)} t/m {fmt_month(last)}"
    )
    count = int(coverage["n_months"]) if "n_months" in coverage.index and not is_missing(coverage["n_months"]) else None
    total = len(pd.period_range(period.first_month, period.end_month, freq="M"))
    share = "" if count is None else f" ({count} van de {total} maanden)"
    text = f"{label}: de cijfers beslaan niet de hele periode. Er zijn alleen reacties over {months}{share}"
    if not is_missing(data_first) and str(data_first) > period.first_month:
        text += f"; het onderzoeksbestand begint bij servicemaand {fmt_month(str(data_first))}"
    elif early_end:
        text += f"; het onderzoeksbestand loopt tot en met servicemaand {fmt_month(str(data_last))}"
    return [text + "."]


def trend_notes(results: YearResults) -> list[str]:
    """What the reader must know about the comparison with last benchmark year: missing or
    incomplete figures of last year, missing figures of this year (this year's incomplete
    period is said under the sub-score table, :func:`subscore_notes`); empty otherwise."""
    notes = coverage_notes(results, results.year - 1)
    notes += [note for note in coverage_notes(results, results.year) if note.endswith("er zijn geen cijfers.")]
    return notes


# --------------------------------------------------------------------------- what changes the letter


def _gap_text(gap: float) -> str:
    """Distance to the needed grade, rounded up to 0,01 (a shown distance always suffices)."""
    rounded = Decimal(repr(float(gap))).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return f"+{fmt_decimal(max(rounded, Decimal('0.01')), 2)}"


@per_document
def _letter_changes(results: YearResults) -> LetterChanges:
    """:func:`kwh_calc.calculations.aedes.what_changes_letter` for this corporation, once per
    document (three tables and texts read it; issue 13). Callers must not change its frames."""
    return what_changes_letter(national_results(results), str(results.corporation_id), results.rules)


def next_letter_table(results: YearResults) -> pd.DataFrame:
    """Per sub-score the grade needed for the next letter (:func:`kwh_calc.calculations.aedes.what_changes_letter`).

    Columns ``Deelscore, Cijfer`` (rounded; the mark *rond lettergrens* is in the sub-score table,
    it would crowd this one), ``Letter``, ``Volgende letter`` (``B vanaf 7,5``; ``hoogste
    letter``; ``geen respondenten``), ``Nodig (onafgerond)`` (the smallest unrounded grade that
    earns it, ``7,45``) and :data:`GAP_COLUMN` (needed − own unrounded grade, rounded up to 0,01; its header says
    so, since it is not the difference of the printed grades).
    Empty when no sub-score has respondents.
    """
    row = _require(results)
    changes = _letter_changes(results)
    columns = ["Deelscore", "Cijfer", "Letter", "Volgende letter", "Nodig (onafgerond)", GAP_COLUMN]
    if changes.subscores["letter"].map(is_missing).all():
        return pd.DataFrame(columns=columns)
    rows = []
    for entry in changes.subscores.itertuples():
        if is_missing(entry.letter):
            following, needed, gap = "geen respondenten", "–", "–"
        elif is_missing(entry.next_letter):
            following, needed, gap = "hoogste letter", "–", "–"
        else:
            following = f"{entry.next_letter} vanaf {fmt_grade(entry.next_letter_grade)}"
            needed = fmt_decimal(entry.needed_score, GRADE_DECIMALS + 1)
            gap = _gap_text(entry.gap)
        rows.append(
            {
                "Deelscore": entry.subscore,
                "Cijfer": fmt_grade(row[f"{entry.questionnaire}_grade"])
                if int(row[f"{entry.questionnaire}_n"])
                else "–",
                "Letter": "geen" if is_missing(entry.letter) else entry.letter,
                "Volgende letter": following,
                "Nodig (onafgerond)": needed,
                GAP_COLUMN: gap,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def overall_changes_table(results: YearResults) -> pd.DataFrame:
    """Every change of one sub-score's letter that changes the overall letter.

    Columns ``Deelscore``, ``Letter`` (``B → A``), ``Gewogen punten`` (after the change),
    ``Totaalletter`` (``B → A``) and ``Richting`` (``hoger``/``lager``). One-step changes
    first, improvements before deteriorations. Empty without an overall letter.
    """
    _require(results)
    changes = _letter_changes(results)
    overall = changes.overall.assign(
        _step=~changes.overall["adjacent"].astype(bool), _down=changes.overall["direction"] != "hoger"
    )
    overall = overall.sort_values(["_step", "_down"], kind="stable")
    rows = [
        {
            "Deelscore": r.subscore,
            "Letter": f"{r.from_letter} → {r.to_letter}",
            "Gewogen punten": _points(r.overall_points),
            "Totaalletter": f"{changes.current_overall_letter} → {r.overall_letter}",
            "Richting": r.direction,
        }
        for r in overall.itertuples()
    ]
    return pd.DataFrame(rows, columns=["Deelscore", "Letter", "Gewogen punten", "Totaalletter", "Richting"])


def overall_changes_text(results: YearResults) -> str:
    """One Dutch paragraph introducing :func:`overall_changes_table`."""
    row = _require(results)
    if is_missing(row["overall_letter"]):
        return (
            "Zonder totaalletter is er niets te veranderen aan de totaalletter: die ontstaat pas als alle drie "
            "deelscores respondenten hebben."
        )
    changes = overall_changes_table(results)
    now = f"De totaalletter is nu {row['overall_letter']} (gewogen punten {_points(row['overall_points'])})."
    if changes.empty:
        return now + " Geen verandering van de letter van één deelscore verandert de totaalletter."
    up = changes.loc[changes["Richting"] == "hoger"]
    text = (
        now
        + " De tabel hieronder geeft elke verandering van de letter van één deelscore die de totaalletter verandert."
    )
    if up.empty:
        text += (
            " Geen enkele verbetering van één deelscore verhoogt de totaalletter; "
            "een verslechtering kan die wel verlagen."
        )
    return text


# --------------------------------------------------------------------------- results table
