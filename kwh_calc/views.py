"""Dutch presentation tables of the results overview (``notebooks/resultaten.ipynb``).

Each function turns a corporation's slice of the year's results (:class:`YearResults`) into
a small DataFrame with Dutch headers and Dutch-formatted cells, ready for
:func:`kwh_calc.present.table`. They compute nothing new: every figure comes from the
results tables (scores, peers, response, breakdowns); these functions select, order and
format. Suppressed cells (fewer respondents than the minimum) show ``< 5 resp.``.
"""

from __future__ import annotations

import pandas as pd

from kwh_calc.numbers import fmt_count, fmt_decimal, fmt_grade, fmt_pct
from kwh_calc.results import YearResults

__all__ = [
    "BREAKDOWN_LABELS",
    "PEER_LABELS",
    "breakdown_table",
    "peer_table",
    "response_table_nl",
    "score_chart_data",
    "scores_table",
]

PEER_LABELS = {"landelijk": "Landelijk", "regio": "Regio", "grootteklasse": "Grootteklasse", "stedelijkheid": "Stedelijkheid"}
BREAKDOWN_LABELS = {"aannemer": "Aannemer", "uitsplitsing_1": "Uitsplitsing 1", "uitsplitsing_2": "Uitsplitsing 2",
                    "uitsplitsing_3": "Uitsplitsing 3", "uitsplitsing_4": "Uitsplitsing 4"}
GRENSGEVAL = " (grensgeval)"


def _ordered(frame: pd.DataFrame, results: YearResults) -> pd.DataFrame:
    order = {q: i for i, q in enumerate(results.rules.questionnaires)}
    return frame.assign(_order=frame["questionnaire"].map(order)).sort_values("_order").drop(columns="_order")


def _difference(now: float, before: float) -> str:
    if pd.isna(now) or pd.isna(before):
        return "–"
    text = fmt_decimal(now - before, 1)
    return text if text.startswith("-") or text == "0,0" else f"+{text}"


def scores_table(results: YearResults) -> pd.DataFrame:
    """Per questionnaire: respondents, onderdeelscore, % tevreden, last year and national.

    Scores that print as the label threshold but fail it carry "(grensgeval)" (DOMAIN.md §2).
    """
    scores = results.of("scores")
    current = _ordered(scores.loc[scores["year"] == results.year], results)
    previous = scores.loc[scores["year"] == results.year - 1].set_index("questionnaire")
    peers = results.of("peers")
    national = peers.loc[peers["peer_kind"] == "landelijk"].set_index("questionnaire")
    rows = []
    for row in current.itertuples():
        before = previous["score"].get(row.questionnaire, float("nan"))
        rows.append({
            "Onderdeel": results.rules.questionnaire_name(row.questionnaire),
            "Respondenten": fmt_count(row.n),
            "Score": row.score_display + (GRENSGEVAL if row.borderline_score else ""),
            "% tevreden": row.pct_display + (GRENSGEVAL if row.borderline_pct else ""),
            f"Score {results.year - 1}": fmt_grade(before),
            "Verschil": _difference(row.score, before),
            "Landelijk": fmt_grade(national["score"].get(row.questionnaire, float("nan"))),
        })
    return pd.DataFrame(rows, columns=["Onderdeel", "Respondenten", "Score", "% tevreden", f"Score {results.year - 1}", "Verschil", "Landelijk"])


def peer_table(results: YearResults) -> pd.DataFrame:
    """Onderdeelscore of the corporation beside its four peer groups, per questionnaire.

    Peer cells read ``7,6 (212)``: the pooled score and the number of corporations behind it.
    """
    scores = results.of("scores")
    current = _ordered(scores.loc[scores["year"] == results.year], results)
    peers = results.of("peers")
    rows = []
    for row in current.itertuples():
        mine = peers.loc[peers["questionnaire"] == row.questionnaire].set_index("peer_kind")
        entry = {"Onderdeel": results.rules.questionnaire_name(row.questionnaire), "Eigen score": row.score_display}
        for kind, label in PEER_LABELS.items():
            if kind in mine.index:
                peer = mine.loc[kind]
                entry[label] = f"{fmt_grade(peer['score'])} ({fmt_count(peer['n_corporations'])})"
            else:
                entry[label] = "–"
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Onderdeel", "Eigen score", *PEER_LABELS.values()])


def peer_groups(results: YearResults) -> dict[str, str]:
    """The corporation's own peer groups by Dutch label (e.g. ``{"Regio": "Utrecht"}``)."""
    peers = results.of("peers").drop_duplicates("peer_kind").set_index("peer_kind")["peer_group"]
    return {label: str(peers.get(kind, "–")) for kind, label in PEER_LABELS.items()}


def response_table_nl(results: YearResults) -> pd.DataFrame:
    """Approached, completed online / by telephone, total and response % per questionnaire."""
    response = _ordered(results.of("response").query("year == @results.year"), results)
    rows = []
    for row in response.itertuples():
        rows.append({
            "Onderdeel": results.rules.questionnaire_name(row.questionnaire),
            "Leveringen": fmt_count(row.deliveries),
            "Benaderd": fmt_count(row.approached),
            "Online": fmt_count(row.completed_online),
            "Telefonisch": fmt_count(row.completed_telefonisch),
            "Totaal": fmt_count(row.completed),
            "Respons": fmt_pct(row.response_pct),
        })
    return pd.DataFrame(rows, columns=["Onderdeel", "Leveringen", "Benaderd", "Online", "Telefonisch", "Totaal", "Respons"])


def breakdown_table(results: YearResults, breakdown: str, questionnaire: str) -> pd.DataFrame:
    """Score and % tevreden per group of one breakdown (e.g. per contractor on Reparaties).

    Groups below the minimum cell size show ``< N resp.`` instead of figures; groups hidden
    because their result could otherwise be worked out from the total (complementary
    suppression) show ``verborgen``.
    """
    table = results.of("breakdowns")
    table = table.loc[(table["breakdown"] == breakdown) & (table["questionnaire"] == questionnaire)]
    minimum = results.rules.suppression.min_cell_size
    rows = []
    for row in table.sort_values(["suppressed", "group"]).itertuples():
        hidden = "verborgen" if getattr(row, "suppressed_secondary", False) else f"< {minimum} resp."
        rows.append({
            BREAKDOWN_LABELS.get(breakdown, breakdown): row.group,
            "Respondenten": fmt_count(row.n),
            "Score": hidden if row.suppressed else row.score_display,
            "% tevreden": hidden if row.suppressed else row.pct_display,
        })
    return pd.DataFrame(rows, columns=[BREAKDOWN_LABELS.get(breakdown, breakdown), "Respondenten", "Score", "% tevreden"])


def available_breakdowns(results: YearResults) -> list[tuple[str, str]]:
    """(breakdown, questionnaire) pairs with at least one group shown, in display order."""
    table = results.of("breakdowns")
    pairs = table.loc[~table["suppressed"].astype(bool), ["breakdown", "questionnaire"]].drop_duplicates()
    order = {q: i for i, q in enumerate(results.rules.questionnaires)}
    return sorted(((b, q) for b, q in pairs.itertuples(index=False)),
                  key=lambda p: (list(BREAKDOWN_LABELS).index(p[0]), order[p[1]]))


def score_chart_data(results: YearResults) -> pd.DataFrame:
    """Long table for the chart: per questionnaire the own score (this and last year) and national."""
    scores = results.of("scores")
    peers = results.of("peers")
    national = peers.loc[peers["peer_kind"] == "landelijk"].set_index("questionnaire")["score"]
    rows = []
    for row in _ordered(scores, results).itertuples():
        name = results.rules.questionnaire_name(row.questionnaire)
        rows.append({"onderdeel": name, "reeks": f"Eigen score {row.year}", "score": row.score})
    for questionnaire, value in national.items():
        rows.append({"onderdeel": results.rules.questionnaire_name(questionnaire), "reeks": f"Landelijk {results.year}", "score": value})
    return pd.DataFrame(rows, columns=["onderdeel", "reeks", "score"])


# --------------------------------------------------------------------------- checkvraag (DOMAIN.md §7)

__all__ += ["checkvraag_contractor_table", "checkvraag_table_nl", "has_checkvraag"]


def _checkvraag(results: YearResults) -> pd.DataFrame:
    try:
        table = results.table("checkvraag")
    except KeyError:  # results of a close before the checkvraag table existed
        return pd.DataFrame(columns=["level", "corporation_id", "group", "n", "suppressed", "suppressed_secondary"])
    return table.loc[table["year"] == results.year] if "year" in table.columns else table


def _checkvraag_hidden(row, minimum: int) -> str | None:
    if not row["suppressed"]:
        return None
    return "verborgen" if row["suppressed_secondary"] else f"< {minimum} antw."


def has_checkvraag(results: YearResults) -> bool:
    """Whether the corporation has checkvraag answers in the research year (section shown)."""
    table = _checkvraag(results)
    own = table.loc[(table["level"] == "corporation") & (table["corporation_id"] == results.corporation_id)]
    return bool(len(own)) and int(own["n"].sum()) > 0


def checkvraag_table_nl(results: YearResults) -> pd.DataFrame:
    """Per checkvraag option (number and text) the share of answers (%) of the corporation and nationally.

    The last row gives the number of answers. A corporation below the minimum cell size shows
    ``< 5 antw.`` instead of percentages (DOMAIN.md §6).
    """
    table = _checkvraag(results)
    own = table.loc[(table["level"] == "corporation") & (table["corporation_id"] == results.corporation_id)]
    national = table.loc[table["level"] == "national"]
    minimum = results.rules.suppression.min_cell_size
    columns = ["Nr.", "Antwoord", "Eigen corporatie", "Landelijk"]
    if own.empty:
        return pd.DataFrame(columns=columns)
    own = own.iloc[0]
    rows = []
    for option, text in sorted(results.rules.checkvraag.answers.items()):
        cells = []
        for source in (own, national.iloc[0] if not national.empty else None):
            if source is None:
                cells.append("–")
            else:
                cells.append(_checkvraag_hidden(source, minimum) or fmt_pct(source[f"pct_answer_{option}"]))
        rows.append({"Nr.": str(option), "Antwoord": text, "Eigen corporatie": cells[0], "Landelijk": cells[1]})
    rows.append({"Nr.": "", "Antwoord": "Aantal antwoorden", "Eigen corporatie": fmt_count(own["n"]),
                 "Landelijk": fmt_count(national.iloc[0]["n"]) if not national.empty else "–"})
    return pd.DataFrame(rows, columns=columns)


def checkvraag_contractor_table(results: YearResults) -> pd.DataFrame:
    """Per contractor the number of checkvraag answers and the share (%) of each option.

    Contractors with fewer answers than the minimum show ``< 5 antw.``; a contractor hidden
    so that a small group cannot be derived from the total (complementary suppression,
    :mod:`kwh_calc.checkvraag`) shows ``verborgen``.
    """
    table = _checkvraag(results)
    groups = table.loc[(table["level"] == "aannemer") & (table["corporation_id"] == results.corporation_id)]
    options = sorted(results.rules.checkvraag.answers)
    minimum = results.rules.suppression.min_cell_size
    columns = [BREAKDOWN_LABELS["aannemer"], "Antwoorden", *(f"Antwoord {k}" for k in options)]
    rows = []
    for _, row in groups.sort_values(["suppressed", "group"]).iterrows():
        hidden = _checkvraag_hidden(row, minimum)
        entry = {BREAKDOWN_LABELS["aannemer"]: row["group"], "Antwoorden": fmt_count(row["n"])}
        for option in options:
            entry[f"Antwoord {option}"] = hidden or fmt_pct(row[f"pct_answer_{option}"])
        rows.append(entry)
    return pd.DataFrame(rows, columns=columns)
