"""Dutch presentation tables of the results overview (``notebooks/resultaten.ipynb``).

Each function turns a corporation's slice of the year's results (:class:`YearResults`) into
a small DataFrame with Dutch headers and Dutch-formatted cells, ready for
:func:`kwh_calc.presentation.present.table`. They compute nothing new: every figure comes from the
results tables (scores, peers, response, breakdowns); these functions select, order and
format. Suppressed cells (fewer respondents than the minimum) show ``< 5 resp.``: breakdown
groups, peer groups and also the corporation's own totals (no result of fewer than
``suppression.min_cell_size`` respondents is shown in this report, DOMAIN.md §6; the CKV
dossier shows label components regardless, because the CKV decides on them).
"""

from __future__ import annotations

import pandas as pd

from kwh_calc.common.numbers import (
    fmt_count,
    fmt_date,
    fmt_decimal,
    fmt_grade,
    fmt_pct,
    join_nl,
)
from kwh_calc.results.year import YearResults

__all__ = [
    "BREAKDOWN_LABELS",
    "PEER_LABELS",
    "available_breakdowns",
    "breakdown_note",
    "breakdown_table",
    "overview_questionnaires",
    "peer_groups",
    "peer_notes",
    "peer_table",
    "period_notes",
    "response_table_nl",
    "score_chart",
    "score_chart_caption",
    "score_chart_data",
    "score_chart_series",
    "scores_notes",
    "scores_table",
]

PEER_LABELS = {
    "landelijk": "Landelijk",
    "regio": "Regio",
    "grootteklasse": "Grootteklasse",
    "stedelijkheid": "Stedelijkheid",
}
BREAKDOWN_LABELS = {
    "aannemer": "Aannemer",
    "uitsplitsing_1": "Uitsplitsing 1",
    "uitsplitsing_2": "Uitsplitsing 2",
    "uitsplitsing_3": "Uitsplitsing 3",
    "uitsplitsing_4": "Uitsplitsing 4",
}
#: Marks a grensgeval in the overview table (explained under it, as in the CKV overview).
GRENSGEVAL = " (g)"


def _ordered(frame: pd.DataFrame, results: YearResults) -> pd.DataFrame:
    order = {q: i for i, q in enumerate(results.rules.questionnaires)}
    return frame.assign(_order=frame["questionnaire"].map(order)).sort_values("_order").drop(columns="_order")


def _minimum(results: YearResults) -> int:
    return int(results.rules.suppression.min_cell_size)


def _hidden(results: YearResults) -> str:
    return f"< {_minimum(results)} resp."


def _shown(n) -> bool:
    return not pd.isna(n) and int(n) > 0


def _difference(now: float, before: float) -> str:
    if pd.isna(now) or pd.isna(before):
        return "–"
    text = fmt_decimal(now - before, 1)
    return text if text.startswith("-") or text == "0,0" else f"+{text}"


def overview_questionnaires(results: YearResults) -> list[str]:
    """The questionnaires of the results overview, in rule order: the label components and
    Algemene waardering always (they matter for the label, also when absent), the others
    when the corporation has respondents on them this year or last year."""
    rules = results.rules
    scores = results.of("scores")
    always = {*rules.label.quarterly_components, *rules.label.yearly_components, rules.label.required_held}
    present = set(scores.loc[scores["n"] > 0, "questionnaire"].astype(str))
    return [q for q in rules.questionnaires if q in always or q in present]


def scores_table(results: YearResults) -> pd.DataFrame:
    """Per questionnaire: respondents, onderdeelscore, % tevreden, last year and national.

    Scores that print as the label threshold but fail it carry "(g)", grensgeval (DOMAIN.md §2;
    :func:`scores_notes` explains the mark).
    Rows: :func:`overview_questionnaires`; a questionnaire without respondents this year shows
    0 respondents and ``–`` (:func:`scores_notes` says why). A score or percentage of fewer
    respondents than the minimum cell (this year or last) shows ``< 5 resp.``.
    """
    scores = results.of("scores")
    current = scores.loc[scores["year"] == results.year].set_index("questionnaire")
    previous = scores.loc[scores["year"] == results.year - 1].set_index("questionnaire")
    peers = results.of("peers")
    national = peers.loc[peers["peer_kind"] == "landelijk"].set_index("questionnaire")
    minimum, hidden = _minimum(results), _hidden(results)
    rows = []
    for questionnaire in overview_questionnaires(results):
        row = current.loc[questionnaire] if questionnaire in current.index else None
        n = int(row["n"]) if row is not None else 0
        before_n = previous["n"].get(questionnaire, 0)
        before = previous["score"].get(questionnaire, float("nan")) if before_n >= minimum else float("nan")
        entry = {"Onderdeel": results.rules.questionnaire_name(questionnaire), "Respondenten": fmt_count(n)}
        if n == 0:
            entry.update({"Score": "–", "% tevreden": "–"})
        elif n < minimum:
            entry.update({"Score": hidden, "% tevreden": hidden})
        else:
            entry.update(
                {
                    "Score": row["score_display"] + (GRENSGEVAL if row["borderline_score"] else ""),
                    "% tevreden": row["pct_display"] + (GRENSGEVAL if row["borderline_pct"] else ""),
                }
            )
        entry[f"Score {results.year - 1}"] = hidden if 0 < before_n < minimum else fmt_grade(before)
        entry["Verschil"] = _difference(row["score"], before) if n >= minimum else "–"
        entry["Landelijk"] = fmt_grade(national["score"].get(questionnaire, float("nan")))
        rows.append(entry)
    return pd.DataFrame(
        rows,
        columns=[
            "Onderdeel",
            "Respondenten",
            "Score",
            "% tevreden",
            f"Score {results.year - 1}",
            "Verschil",
            "Landelijk",
        ],
    )


def scores_notes(results: YearResults) -> list[str]:
    """Dutch sentences under the overview table: questionnaires without respondents this year,
    scores hidden below the minimum cell, and why there is no previous year to compare."""
    scores = results.of("scores")
    year, minimum = results.year, _minimum(results)
    current = scores.loc[scores["year"] == year].set_index("questionnaire")["n"]
    previous = scores.loc[scores["year"] == year - 1].set_index("questionnaire")["n"]
    names = results.rules.questionnaire_name
    questionnaires = overview_questionnaires(results)
    notes = []
    borderline = scores.loc[
        (scores["year"] == year) & (scores["borderline_score"] | scores["borderline_pct"]) & (scores["n"] >= minimum)
    ]
    if len(borderline):
        label = results.rules.label
        notes.append(
            f"Met (g) gemarkeerd: een grensgeval, afgerond {fmt_grade(label.min_score)} of "
            f"{fmt_pct(label.min_pct_satisfied)} maar onafgerond net eronder; voor het KWH-Kwaliteitslabel telt "
            "dat als niet gehaald."
        )
    empty = [names(q) for q in questionnaires if not _shown(current.get(q))]
    if empty:
        notes.append(f"Geen respondenten in {year}: {join_nl(empty)}.")
    small = [q for q in questionnaires if 0 < current.get(q, 0) < minimum or 0 < previous.get(q, 0) < minimum]
    if small:
        notes.append(
            f"Bij {_hidden(results)} zijn er minder dan {minimum} respondenten; dan tonen we geen score, zodat "
            "geen resultaat van een enkele huurder herkenbaar is."
        )
    if not (previous > 0).any():
        notes.append(f"Er zijn geen resultaten over {year - 1} om mee te vergelijken.")
    return notes


def peer_table(results: YearResults) -> pd.DataFrame:
    """Onderdeelscore of the corporation beside its four peer groups, per questionnaire.

    Peer cells read ``7,6 (212)``: the pooled score and the number of corporations behind it.
    A group of fewer respondents than the minimum cell shows ``< 5 resp.``; a group that holds
    only the corporation itself shows ``–`` (no comparison, see :func:`peer_notes`). Only
    questionnaires with respondents this year.
    """
    scores = results.of("scores")
    current = _ordered(scores.loc[(scores["year"] == results.year) & (scores["n"] > 0)], results)
    peers = results.of("peers")
    minimum, hidden = _minimum(results), _hidden(results)
    rows = []
    for row in current.itertuples():
        mine = peers.loc[peers["questionnaire"] == row.questionnaire].set_index("peer_kind")
        entry = {
            "Onderdeel": results.rules.questionnaire_name(row.questionnaire),
            "Eigen score": hidden if row.n < minimum else row.score_display,
        }
        for kind, label in PEER_LABELS.items():
            if kind not in mine.index:
                entry[label] = "–"
                continue
            peer = mine.loc[kind]
            if int(peer["n_corporations"]) <= 1:
                entry[label] = "–"
            elif int(peer["n"]) < minimum or pd.isna(peer["score"]):
                entry[label] = f"{hidden} ({fmt_count(peer['n_corporations'])})"
            else:
                entry[label] = f"{fmt_grade(peer['score'])} ({fmt_count(peer['n_corporations'])})"
        rows.append(entry)
    return pd.DataFrame(rows, columns=["Onderdeel", "Eigen score", *PEER_LABELS.values()])


def peer_notes(results: YearResults) -> list[str]:
    """Sentences under the peer table: what ``–`` and ``< 5 resp.`` mean, when they occur."""
    table = peer_table(results)
    cells = table[list(PEER_LABELS.values())].to_numpy().ravel().tolist() if len(table) else []
    notes = []
    if "–" in cells:
        notes.append(
            "Een – betekent dat de corporatie de enige in die groep is met respondenten op dat onderdeel; "
            "er is dan geen vergelijking."
        )
    hidden = _hidden(results)
    if any(str(c).startswith(hidden) for c in cells):
        notes.append(
            f"Bij {hidden} zijn er minder dan {_minimum(results)} respondenten in de groep; dan tonen we geen score."
        )
    return notes


def peer_groups(results: YearResults) -> dict[str, str]:
    """The corporation's own peer groups by Dutch label (e.g. ``{"Regio": "Utrecht"}``)."""
    peers = results.of("peers").drop_duplicates("peer_kind").set_index("peer_kind")["peer_group"]
    return {label: str(peers.get(kind, "–")) for kind, label in PEER_LABELS.items()}


def response_table_nl(results: YearResults) -> pd.DataFrame:
    """Approached, completed online / by telephone, total and response % per questionnaire."""
    response = _ordered(results.of("response").query("year == @results.year"), results)
    rows = []
    for row in response.itertuples():
        rows.append(
            {
                "Onderdeel": results.rules.questionnaire_name(row.questionnaire),
                "Leveringen": fmt_count(row.deliveries),
                "Benaderd": fmt_count(row.approached),
                "Online": fmt_count(row.completed_online),
                "Telefonisch": fmt_count(row.completed_telefonisch),
                "Totaal": fmt_count(row.completed),
                "Respons": fmt_pct(row.response_pct),
            }
        )
    return pd.DataFrame(
        rows, columns=["Onderdeel", "Leveringen", "Benaderd", "Online", "Telefonisch", "Totaal", "Respons"]
    )


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
        rows.append(
            {
                BREAKDOWN_LABELS.get(breakdown, breakdown): row.group,
                "Respondenten": fmt_count(row.n),
                "Score": hidden if row.suppressed else row.score_display,
                "% tevreden": hidden if row.suppressed else row.pct_display,
            }
        )
    return pd.DataFrame(
        rows, columns=[BREAKDOWN_LABELS.get(breakdown, breakdown), "Respondenten", "Score", "% tevreden"]
    )


def breakdown_note(results: YearResults) -> str:
    """The Dutch explanation above the breakdown tables: what is hidden and why, and why the
    groups need not add up to the total."""
    minimum = _minimum(results)
    return (
        "Resultaten per aannemer en per uitsplitsing die de corporatie aanlevert (bijvoorbeeld wijk, vestiging of "
        f"woningtype). Van groepen met minder dan {minimum} respondenten tonen we geen uitkomst ({_hidden(results)}), "
        "zodat geen resultaat van een enkele huurder herkenbaar is. Een groep is *verborgen* als anders de uitkomst van "
        "een kleine groep uit het totaal af te leiden is. Respondenten zonder aannemer of uitsplitsing staan niet in "
        "deze tabellen; de groepen tellen daarom niet altijd op tot het totaal."
    )


def available_breakdowns(results: YearResults) -> list[tuple[str, str]]:
    """(breakdown, questionnaire) pairs with at least one group shown, in display order."""
    table = results.of("breakdowns")
    pairs = table.loc[~table["suppressed"].astype(bool), ["breakdown", "questionnaire"]].drop_duplicates()
    order = {q: i for i, q in enumerate(results.rules.questionnaires)}
    return sorted(
        ((b, q) for b, q in pairs.itertuples(index=False)),
        key=lambda p: (list(BREAKDOWN_LABELS).index(p[0]), order[p[1]]),
    )


def score_chart_data(results: YearResults) -> pd.DataFrame:
    """Long table for the chart: per questionnaire the own score (this and last year) and national.

    Columns ``onderdeel``, ``reeks`` (``Eigen score 2025``, ``Eigen score 2024``,
    ``Landelijk 2025``), ``score``, in the order of :func:`overview_questionnaires` and
    :func:`score_chart_series`. Own scores of fewer respondents than the minimum cell are left
    out (as in the table).
    """
    scores = results.of("scores")
    peers = results.of("peers")
    national = (
        peers.loc[peers["peer_kind"] == "landelijk"]
        .drop_duplicates("questionnaire")
        .set_index("questionnaire")["score"]
    )
    minimum = _minimum(results)
    series = score_chart_series(results)
    rows = []
    for questionnaire in overview_questionnaires(results):
        name = results.rules.questionnaire_name(questionnaire)
        for year in (results.year, results.year - 1):
            own = scores.loc[(scores["year"] == year) & (scores["questionnaire"] == questionnaire)]
            if len(own) and int(own["n"].iloc[0]) >= minimum:
                rows.append({"onderdeel": name, "reeks": f"Eigen score {year}", "score": float(own["score"].iloc[0])})
        if questionnaire in national.index and not pd.isna(national[questionnaire]):
            rows.append(
                {"onderdeel": name, "reeks": f"Landelijk {results.year}", "score": float(national[questionnaire])}
            )
    data = pd.DataFrame(rows, columns=["onderdeel", "reeks", "score"])
    order = {name: i for i, name in enumerate(series)}
    return (
        data.assign(_o=data["reeks"].map(order))
        .sort_values("_o", kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def score_chart_series(results: YearResults) -> dict[str, str]:
    """The chart's series and their colours, in legend order: this year's own score in KWH dark
    blue, last year's in light blue, the national average in ochre (the same in every report)."""
    from kwh_calc.presentation.present import PALETTE

    return {
        f"Eigen score {results.year}": PALETTE[0],
        f"Eigen score {results.year - 1}": PALETTE[2],
        f"Landelijk {results.year}": PALETTE[1],
    }


def score_chart(results: YearResults):
    """Altair bar chart of :func:`score_chart_data`: per questionnaire (rule order, long names
    on two lines) a bar per series, on a 0–10 axis. None when there is nothing to show."""
    import altair as alt

    data = score_chart_data(results)
    if data.empty:
        return None
    colours = {k: v for k, v in score_chart_series(results).items() if k in set(data["reeks"])}
    shown = set(data["onderdeel"])
    names = [n for n in (results.rules.questionnaire_name(q) for q in overview_questionnaires(results)) if n in shown]
    # "Grootschalig renovatie-/verduurzamingsonderhoud" on two lines, after the slash.
    label = "split(replace(datum.label, '/', '/\\n'), '\\n')"
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("score:Q", title="Onderdeelscore", scale=alt.Scale(domain=[0, 10])),
            y=alt.Y("onderdeel:N", title=None, sort=names, axis=alt.Axis(labelExpr=label, labelLimit=0)),
            yOffset=alt.YOffset("reeks:N", sort=list(colours)),
            color=alt.Color(
                "reeks:N",
                title=None,
                sort=list(colours),
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(orient="bottom"),
            ),
        )
        .properties(height=alt.Step(9))
    )


def score_chart_caption(results: YearResults) -> str:
    """What the chart shows, naming only the series that are in it."""
    series = set(score_chart_data(results)["reeks"])
    parts = [f"eigen score {results.year}"]
    if f"Eigen score {results.year - 1}" in series:
        parts.append(f"en {results.year - 1}")
    text = "Onderdeelscores: " + " ".join(parts)
    if f"Landelijk {results.year}" in series:
        text += f", en het landelijk gemiddelde {results.year}"
    return text


def period_notes(results: YearResults) -> list[str]:
    """Sentences for "Over dit rapport" when the corporation's year is not a plain whole year:
    a merger in the year (the merged corporation, or a predecessor that merged away) or a new
    member. Taken from the ``corporations`` table (``member_since``, ``merged_from``,
    ``merged_on``); empty otherwise."""
    corporation = results.corporation
    year = results.year
    corporations = results.table("corporations")
    names = corporations.set_index("corporation_id")["name"]
    notes = []
    merged_on = corporation.get("merged_on")
    if merged_on is not None and not pd.isna(merged_on) and pd.Timestamp(merged_on).year == year:
        ids = [i for i in str(corporation.get("merged_from") or "").split(";") if i]
        parts = [f"{names.get(i, i)} ({i})" for i in ids]
        origin = f" uit de fusie van {join_nl(parts)}" if parts else " uit een fusie"
        notes.append(
            f"{corporation['name']} is per {fmt_date(merged_on)} ontstaan{origin}. Dit rapport bevat de reacties op de "
            f"dienstverlening van {corporation['name']} zelf, vanaf de fusie; daarom zijn er geen cijfers over "
            f"{year - 1}. Voor het KWH-Kwaliteitslabel tellen ook de respondenten van de rechtsvoorgangers van vóór de "
            "fusie mee (zie het dossier voor de CKV)."
        )
    else:
        merged_from = corporations.get("merged_from", pd.Series(dtype=object)).fillna("").astype(str)
        for successor in corporations.loc[
            merged_from.str.split(";").apply(lambda ids: results.corporation_id in ids)
        ].itertuples():
            if pd.isna(successor.merged_on) or pd.Timestamp(successor.merged_on).year != year:
                continue
            notes.append(
                f"{corporation['name']} is per {fmt_date(successor.merged_on)} gefuseerd in {successor.name} "
                f"({successor.corporation_id}). Dit rapport bevat de reacties op de dienstverlening tot de fusie; voor het "
                f"KWH-Kwaliteitslabel tellen die mee bij {successor.name}."
            )
    since = corporation.get("member_since")
    if not notes and since is not None and not pd.isna(since) and pd.Timestamp(since).year == year:
        notes.append(
            f"{corporation['name']} is sinds {fmt_date(since)} lid van het KWH-Huurdersonderzoek; dit rapport "
            "bevat de reacties vanaf de start van het onderzoek."
        )
    return notes


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
    rows.append(
        {
            "Nr.": "",
            "Antwoord": "Aantal antwoorden",
            "Eigen corporatie": fmt_count(own["n"]),
            "Landelijk": fmt_count(national.iloc[0]["n"]) if not national.empty else "–",
        }
    )
    return pd.DataFrame(rows, columns=columns)


def checkvraag_contractor_table(results: YearResults) -> pd.DataFrame:
    """Per contractor the number of checkvraag answers and the share (%) of each option.

    Contractors with fewer answers than the minimum show ``< 5 antw.``; a contractor hidden
    so that a small group cannot be derived from the total (complementary suppression,
    :mod:`kwh_calc.calculations.checkvraag`) shows ``verborgen``.
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
