"""Dutch presentation of the removals register for the documents (docs/methodology.md §6).

Reads the close's ``removals`` and ``removal_advice`` tables (:mod:`kwh_calc.calculations.removal_effect`)
and formats them for the CKV dossier (a section per corporation with removals), the national
CKV overview (removals per corporation; every corporation whose advice they changed) and the
results overview (a note with the count). Computes nothing: the figures, the statuses and the
anonymity decision (``show_including``) come from the package.

Wording: *na verwijdering* is how the figure counts (the advice); *vóór verwijdering* is the
same figure with the removed questionnaires counted, as if nothing had been removed.
"""

from __future__ import annotations

import pandas as pd

from kwh_calc.calculations.removal_effect import ADVICE_COLUMNS, COMPONENT_COLUMNS, NOT_LABEL
from kwh_calc.common.numbers import fmt_count
from kwh_calc.results.year import YearResults

__all__ = [
    "advice_flag",
    "dossier_flag",
    "dossier_intro",
    "dossier_notes",
    "dossier_table",
    "has_removals",
    "overview_changed_text",
    "overview_intro",
    "overview_table",
    "results_note",
]

#: Shown instead of a status for a questionnaire that does not count for the label.
NOT_APPLICABLE = "n.v.t."
HIDDEN = "niet getoond"


def _table(results: YearResults, name: str, columns: list[str]) -> pd.DataFrame:
    # Results folders written before the register existed have no such table: no removals.
    try:
        return results.table(name)
    except KeyError:
        return pd.DataFrame(columns=columns)


def _mine(results: YearResults, name: str, columns: list[str]) -> pd.DataFrame:
    table = _table(results, name, columns)
    return table.loc[table["corporation_id"] == results.corporation_id].reset_index(drop=True)


def _components(results: YearResults) -> pd.DataFrame:
    return _mine(results, "removals", COMPONENT_COLUMNS)


def _advice(results: YearResults) -> pd.Series | None:
    rows = _mine(results, "removal_advice", ADVICE_COLUMNS)
    return None if rows.empty else rows.iloc[0]


def _count_text(n: int) -> str:
    return "1 ingevulde vragenlijst" if n == 1 else f"{fmt_count(n)} ingevulde vragenlijsten"


def _per_component(rows: pd.DataFrame) -> str:
    return ", ".join(f"{r.questionnaire_name} {fmt_count(r.n_removed)}" for r in rows.itertuples())


def has_removals(results: YearResults) -> bool:
    """Whether the corporation has questionnaires removed in the research year."""
    return not _components(results).empty


# --------------------------------------------------------------------------- CKV dossier


def dossier_intro(results: YearResults) -> str | None:
    """The section's opening paragraph (plain text), or None without removals in Y."""
    rows = _components(results)
    if rows.empty:
        return None
    n = int(rows["n_removed"].sum())
    name = results.corporation["name"]
    return (
        f"Over {results.year} zijn {_count_text(n)} van {name} uit het onderzoek verwijderd, omdat de huurder ten "
        "onrechte een vragenlijst kreeg: er was geen dienst geleverd. Dat is de enige reden waarom KWH een vragenlijst "
        "verwijdert; een cijfer wordt nooit aangepast. De verwijderingen staan in het register van het onderzoek, de "
        "antwoorden zelf blijven bewaard. Verwijderde vragenlijsten tellen nergens mee (onderdeelscores, label, "
        "Aedes-benchmark, representativiteit, uitsplitsingen); de huurders blijven wel meetellen als benaderd. "
        "Per onderdeel het aantal verwijderde vragenlijsten en de cijfers na en vóór verwijdering."
    )


def dossier_flag(results: YearResults) -> str | None:
    """Markdown: whether the removals changed the advice (bold flag when they did)."""
    advice = _advice(results)
    if advice is None:
        return None
    if bool(advice["advice_changed"]):
        because = f" ({advice['components_changed']})" if advice["components_changed"] else ""
        return (
            f"**Let op: de verwijderingen veranderen het advies.** Vóór verwijdering zou het advies "
            f"*{advice['advice_name_including']}* zijn; "
            f"na verwijdering is het *{advice['advice_name_official']}*{because}."
        )
    text = (
        f"De verwijderingen veranderen het advies niet: ook vóór verwijdering is het advies "
        f"*{advice['advice_name_official']}*."
    )
    if advice["components_changed"]:
        text += f" Wel verandert het oordeel over {advice['components_changed']}."
    return text


def advice_flag(results: YearResults) -> str | None:
    """Markdown for the advice section: a flag when the removals changed the advice, else None."""
    advice = _advice(results)
    if advice is None or not bool(advice["advice_changed"]):
        return None
    return (
        f"**Let op: het verwijderen van {_count_text(int(advice['n_removed']))} verandert dit advies** "
        f"(vóór verwijdering: *{advice['advice_name_including']}*); zie *Verwijderde vragenlijsten*."
    )


def _pair(official: str, including: str) -> str:
    return f"{official} / {including}"


def _status(status: str) -> str:
    return NOT_APPLICABLE if status == NOT_LABEL else status


def dossier_table(results: YearResults) -> pd.DataFrame:
    """Per component with removals: count removed and the figures after / before removal."""
    rows = []
    for r in _components(results).itertuples():
        rows.append(
            {
                "Onderdeel": r.questionnaire_name,
                "Verwijderd": fmt_count(r.n_removed),
                "Respondenten na / vóór": _pair(fmt_count(r.n_official), fmt_count(r.n_including)),
                "Onderdeelscore na / vóór": _pair(r.score_display_official, r.score_display_including),
                "% tevreden na / vóór": _pair(r.pct_display_official, r.pct_display_including),
                "Labelcriterium na / vóór": _pair(_status(r.status_official), _status(r.status_including)),
            }
        )
    columns = [
        "Onderdeel",
        "Verwijderd",
        "Respondenten na / vóór",
        "Onderdeelscore na / vóór",
        "% tevreden na / vóór",
        "Labelcriterium na / vóór",
    ]
    return pd.DataFrame(rows, columns=columns)


def dossier_notes(results: YearResults) -> list[str]:
    """Plain-text notes under the table: the wording and, if any, why figures are hidden."""
    rows = _components(results)
    if rows.empty:
        return []
    notes = [
        "Na = na verwijdering, zoals het in dit advies telt; vóór = met de verwijderde vragenlijsten meegeteld. "
        "Respondenten zijn huurders met ten minste één geldig cijfer op de labelvragen."
    ]
    if (~rows["show_including"].astype(bool)).any():
        notes.append(
            f"{HIDDEN.capitalize()}: bij minder dan {fmt_count(results.rules.suppression.min_cell_size)} "
            "verwijderde respondenten tonen we de cijfers vóór verwijdering niet, omdat het verschil het oordeel "
            "van die enkele huurders zou prijsgeven; wel of het labelcriterium vóór verwijdering gehaald was."
        )
    if (rows["status_official"] == NOT_LABEL).any():
        notes.append(f"{NOT_APPLICABLE} = het onderdeel telt niet mee voor het label.")
    return notes


# --------------------------------------------------------------------------- national CKV overview


def overview_intro(results: YearResults) -> str:
    """The overview section's opening sentence (plain text)."""
    return (
        f"Ingevulde vragenlijsten over {results.year} die uit het onderzoek zijn verwijderd omdat de huurder ten "
        "onrechte was uitgenodigd (geen dienst geleverd), per corporatie, met het advies na en vóór verwijdering. "
        "Het dossier van de corporatie geeft de cijfers per onderdeel."
    )


def overview_table(results: YearResults) -> pd.DataFrame:
    """One row per corporation with removals in Y: counts per component and both advices."""
    advice = _table(results, "removal_advice", ADVICE_COLUMNS)
    components = _table(results, "removals", COMPONENT_COLUMNS)
    rows = []
    for a in advice.sort_values("corporation_id").itertuples():
        mine = components.loc[components["corporation_id"] == a.corporation_id]
        rows.append(
            {
                "Corporatie": f"{a.name} ({a.corporation_id})",
                "Verwijderd": f"{fmt_count(a.n_removed)} ({_per_component(mine)})",
                "Advies": a.advice_name_official,
                "Vóór verwijdering": a.advice_name_including,
                "Verandert het advies": "ja" if bool(a.advice_changed) else "nee",
            }
        )
    return pd.DataFrame(
        rows, columns=["Corporatie", "Verwijderd", "Advies", "Vóór verwijdering", "Verandert het advies"]
    )


def overview_changed_text(results: YearResults) -> str:
    """Names every corporation whose advice the removals changed (plain text)."""
    advice = _table(results, "removal_advice", ADVICE_COLUMNS)
    changed = advice.loc[advice["advice_changed"].astype(bool)].sort_values("corporation_id")
    if changed.empty:
        return "De verwijderingen veranderen bij geen enkele corporatie het advies."
    names = "; ".join(
        f"{a.name} ({a.corporation_id}): {a.advice_name_including} wordt {a.advice_name_official}"
        for a in changed.itertuples()
    )
    return (
        f"De verwijderingen veranderen het advies van {fmt_count(len(changed))} "
        f"{'corporatie' if len(changed) == 1 else 'corporaties'}: {names}."
    )


# --------------------------------------------------------------------------- results overview


def results_note(results: YearResults) -> str | None:
    """The results overview's note on removed questionnaires (plain text), or None."""
    rows = _components(results)
    if rows.empty:
        return None
    n = int(rows["n_removed"].sum())
    return (
        f"Over {results.year} zijn {_count_text(n)} uit het onderzoek verwijderd omdat de huurder ten onrechte "
        f"was uitgenodigd (geen dienst geleverd): {_per_component(rows)}. Deze vragenlijsten tellen in dit rapport "
        "nergens mee; de huurders tellen wel mee als benaderd."
    )
