"""Dutch presentation tables of the results overview (``notebooks/resultaten.ipynb``).

Each function turns a corporation's slice of the year's results (:class:`YearResults`) into
a small DataFrame with Dutch headers and Dutch-formatted cells, ready for
:func:`kwh_calc.presentation.present.table`. They compute nothing new: every figure comes from the
results tables (scores, peers, response, breakdowns); these functions select, order and
format. Suppressed cells (fewer respondents than the minimum) show ``< 5 resp.``: breakdown
groups, peer groups and also the corporation's own totals (no result of fewer than
``suppression.min_cell_size`` respondents is shown in this report, docs/methodology.md §6.4; the CKV
dossier shows label components regardless, because the CKV decides on them).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kwh_calc.common.numbers import (
    fmt_count,
    fmt_date,
    fmt_difference,
    fmt_grade,
    fmt_pct,
    join_nl,
)
from kwh_calc.presentation.present import marked_lines
from kwh_calc.results.year import YearResults, per_document

__all__ = [
    "BREAKDOWN_LABELS",
    "PEER_LABELS",
    "available_breakdowns",
    "breakdown_label",
    "breakdown_note",
    "breakdown_table",
    "funnel_notes",
    "overview_questionnaires",
    "peer_groups",
    "peer_notes",
    "peer_table",
    "period_notes",
    "response_notes",
    "response_table_nl",
    "score_chart",
    "score_chart_alt",
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
    """The difference of the two grades as printed (:func:`kwh_calc.common.numbers.fmt_difference`)."""
    return fmt_difference(now, before, 1)


@per_document
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

    Scores that print as the label threshold but fail it carry "(g)", grensgeval (docs/methodology.md §2.4;
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
            assert row is not None, "n > 0: the questionnaire has a row"
            entry.update(
                {
                    "Score": row["score_display"] + (GRENSGEVAL if row["borderline_score"] else ""),
                    "% tevreden": row["pct_display"] + (GRENSGEVAL if row["borderline_pct"] else ""),
                }
            )
        entry[f"Score {results.year - 1}"] = hidden if 0 < before_n < minimum else fmt_grade(before)
        entry["Verschil"] = _difference(row["score"], before) if row is not None and n >= minimum else "–"
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
    least = {q: results.rules.questionnaires[q].min_respondents for q in questionnaires}
    thin = [q for q in questionnaires if least[q] and minimum <= current.get(q, 0) < least[q]]
    if thin:
        parts = join_nl(
            [f"{names(q)} ({fmt_count(current[q])} respondenten, minimum {fmt_count(least[q])})" for q in thin]
        )
        notes.append(
            f"Let op: {parts} {'rust' if len(thin) == 1 else 'rusten'} op minder respondenten dan het minimum "
            "voor het KWH-Kwaliteitslabel; zo'n uitkomst is onzeker, ook een hoge. De foutmarges staan in "
            "het rapport over de representativiteit."
        )
    if not (previous > 0).any():
        notes.append(f"Er zijn geen resultaten over {year - 1} om mee te vergelijken.")
    else:
        notes.append(
            f"Verschil is de score {year} min de score {year - 1} zoals ze hier staan (afgerond op één decimaal)."
        )
    return notes


@per_document
def peer_table(results: YearResults) -> pd.DataFrame:
    """Onderdeelscore of the corporation beside its four peer groups, per questionnaire.

    Peer cells read ``7,6 (212)``: the pooled score and the number of corporations behind it.
    A group of fewer respondents than the minimum cell shows ``< 5 resp.``; a group that holds
    only the corporation itself shows ``–`` (no comparison, see :func:`peer_notes`). Only
    questionnaires with respondents this year.
    """
    scores = results.of("scores")
    current = _ordered(scores.loc[(scores["year"] == results.year) & (scores["n"] > 0)], results)
    # Read once as plain rows: a lookup per cell in the frame was most of the table's time (issue 13).
    peers = {(p.questionnaire, p.peer_kind): p for p in results.of("peers").itertuples(index=False)}
    minimum, hidden = _minimum(results), _hidden(results)
    rows = []
    for row in current.itertuples():
        entry = {
            "Onderdeel": results.rules.questionnaire_name(row.questionnaire),
            "Eigen score": hidden
            if row.n < minimum
            else row.score_display + (GRENSGEVAL if row.borderline_score else ""),
        }
        for kind, label in PEER_LABELS.items():
            peer = peers.get((row.questionnaire, kind))
            if peer is None or int(peer.n_corporations) <= 1:
                entry[label] = "–"
            elif int(peer.n) < minimum or pd.isna(peer.score):
                entry[label] = f"{hidden} ({fmt_count(peer.n_corporations)})"
            else:
                entry[label] = f"{fmt_grade(peer.score)} ({fmt_count(peer.n_corporations)})"
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
    if len(table) and table["Eigen score"].astype(str).str.endswith(GRENSGEVAL).any():
        label = results.rules.label
        notes.append(
            f"Met (g) gemarkeerd: een grensgeval, afgerond {fmt_grade(label.min_score)} maar onafgerond net "
            "eronder; voor het KWH-Kwaliteitslabel telt dat als niet gehaald."
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


@per_document
def response_table_nl(results: YearResults) -> pd.DataFrame:
    """From delivered to completed, per questionnaire: deliveries, delivered, approached,
    completed online / by telephone, total and response %.

    ``Aangeleverd`` is the population N of the representativeness analysis (the same figure
    in both documents); ``Benaderd`` the tenants invited after de-duplication and blocking
    (:func:`response_notes` says why the two differ); the response is completed / approached.
    """
    response = _ordered(results.of("response").query("year == @results.year"), results)
    rows = []
    for row in response.itertuples():
        rows.append(
            {
                "Onderdeel": results.rules.questionnaire_name(row.questionnaire),
                "Leveringen": fmt_count(row.deliveries),
                "Aangeleverd": fmt_count(getattr(row, "delivered", float("nan"))),
                "Benaderd": fmt_count(row.approached),
                "Online": fmt_count(row.completed_online),
                "Telefonisch": fmt_count(row.completed_telefonisch),
                "Ingevuld": fmt_count(row.completed),
                "Respons": fmt_pct(row.response_pct),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["Onderdeel", "Leveringen", "Aangeleverd", "Benaderd", "Online", "Telefonisch", "Ingevuld", "Respons"],
    )


def response_notes(results: YearResults) -> list[str]:
    """Why the counts of :func:`response_table_nl` drop from delivered to completed, and how they
    relate to the respondents of the scores (the same sentences in the representativeness
    analysis, so that every document says the same)."""
    return funnel_notes(results.year)


def funnel_notes(year: int) -> list[str]:
    """The steps from delivered tenants to net response, with the reason for each drop
    (docs/methodology.md §5, §8): one text for the results overview and the representativeness
    analysis."""
    return [
        "Aangeleverd: de huurders in de leveringen met een dataperiode die in "
        f"{year} begint; dat is ook de populatie in de analyse van de representativiteit, behalve bij Algemene "
        "waardering: die gaat over alle huurders (de verhuureenheden), van wie een steekproef is aangeleverd.",
        "Benaderd: de aangeleverde huurders die een uitnodiging kregen. Niet uitgenodigd wordt wie binnen twee "
        "maanden al een uitnodiging voor dezelfde vragenlijst kreeg, wie in dezelfde ronde al een andere vragenlijst "
        "krijgt, en wie geblokkeerd is (wil niet meedoen, overleden, foutief in het bestand).",
        "Ingevuld: de benaderde huurders die de vragenlijst invulden, online of telefonisch; de respons is "
        "ingevuld als deel van benaderd.",
        f"Respondenten (netto respons): ingevulde vragenlijsten met minstens één cijfer op een labelvraag en een "
        f"servicemaand in {year}; zij tellen mee voor de onderdeelscore. Dat aantal kan iets afwijken van ingevuld, "
        "omdat een levering ook servicemaanden buiten het jaar kan bevatten.",
    ]


@per_document
def breakdown_label(results: YearResults, breakdown: str) -> str:
    """The name of a breakdown as the corporation delivered it.

    The data holds the groups, not the name of the breakdown column (docs/data-contract.md
    ``uitsplitsing_1`` … ``uitsplitsing_4``). **Decision:** when every group of the
    corporation's breakdown has at least two words and they all start with the same word
    (``Wijk Centrum``, ``Wijk Noord`` -> ``Wijk``; ``Complex 100`` -> ``Complex``), that word names
    the breakdown; otherwise the generic name (``Uitsplitsing 4``). ``aannemer`` is ``Aannemer``.
    """
    generic = BREAKDOWN_LABELS.get(breakdown, breakdown)
    if breakdown == "aannemer":
        return generic
    table = results.of("breakdowns")
    groups = table.loc[table["breakdown"] == breakdown, "group"].dropna().astype(str).unique()
    words = [g.split() for g in groups]
    if len(words) and all(len(w) >= 2 for w in words) and len({w[0].lower() for w in words}) == 1:
        return words[0][0][:1].upper() + words[0][0][1:]
    return generic


@per_document
def _breakdown_groups(results: YearResults) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The corporation's breakdown rows as records per (breakdown, questionnaire), in table
    order: one pass instead of a boolean mask per table (issue 13)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in results.of("breakdowns").to_dict("records"):
        groups.setdefault((row["breakdown"], row["questionnaire"]), []).append(row)
    return groups


@per_document
def breakdown_table(results: YearResults, breakdown: str, questionnaire: str) -> pd.DataFrame:
    """Score and % tevreden per group of one breakdown (e.g. per contractor on Reparaties).

    Groups hidden because their result could otherwise be worked out from the total
    (complementary suppression) show ``verborgen``. Groups below the minimum cell size are
    not listed one by one (pages of ``< 5 resp.`` tell a reader nothing): they are collapsed
    into one last line, ``32 groepen met minder dan 5 respondenten`` with their respondents
    together and no figures. The first column is headed by :func:`breakdown_label`.
    """
    groups = _breakdown_groups(results).get((breakdown, questionnaire), [])
    minimum = results.rules.suppression.min_cell_size
    header = breakdown_label(results, breakdown)

    def is_small(group: dict[str, Any]) -> bool:
        secondary = group.get("suppressed_secondary")
        return bool(group["suppressed"]) and not (secondary is not None and not pd.isna(secondary) and bool(secondary))

    small = [g for g in groups if is_small(g)]
    shown = sorted(
        (g for g in groups if not is_small(g)),
        # As sort_values(["suppressed", "group"]): shown groups first, by name, a missing name last.
        key=lambda g: (bool(g["suppressed"]), pd.isna(g["group"]), "" if pd.isna(g["group"]) else str(g["group"])),
    )
    rows = []
    for row in shown:
        rows.append(
            {
                header: row["group"],
                "Respondenten": fmt_count(row["n"]),
                "Score": "verborgen" if row["suppressed"] else row["score_display"],
                "% tevreden": "verborgen" if row["suppressed"] else row["pct_display"],
            }
        )
    if small:
        count = len(small)
        rows.append(
            {
                header: f"{fmt_count(count)} {'groep' if count == 1 else 'groepen'} "
                f"met minder dan {minimum} respondenten",
                "Respondenten": f"samen {fmt_count(int(sum(g['n'] for g in small)))}",
                "Score": "–",
                "% tevreden": "–",
            }
        )
    return pd.DataFrame(rows, columns=[header, "Respondenten", "Score", "% tevreden"])


def breakdown_note(results: YearResults) -> str:
    """The Dutch explanation above the breakdown tables: what is hidden and why, and why the
    groups need not add up to the total."""
    minimum = _minimum(results)
    return (
        "Resultaten per aannemer en per uitsplitsing die de corporatie aanlevert (bijvoorbeeld wijk, vestiging of "
        f"woningtype), met de namen van de groepen zoals de corporatie ze aanlevert. Van groepen met minder dan "
        f"{minimum} respondenten tonen we geen uitkomst, zodat geen resultaat van een enkele huurder herkenbaar is; ze "
        "staan samen op de laatste regel van de tabel. Een groep is *verborgen* als anders de uitkomst van "
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
    return pd.DataFrame(_score_rows(results), columns=["onderdeel", "reeks", "score"])


@per_document
def _score_rows(results: YearResults) -> list[dict[str, Any]]:
    """The rows of :func:`score_chart_data` as records: looked up in dicts, not by a boolean
    mask per questionnaire and year (issue 13)."""
    scores = results.of("scores")
    own: dict[tuple[int, str], tuple[Any, Any]] = {}
    for year, questionnaire, n, score in zip(
        scores["year"], scores["questionnaire"], scores["n"], scores["score"], strict=True
    ):
        own.setdefault((int(year), questionnaire), (n, score))  # the first row, as .iloc[0]
    peers = results.of("peers")
    national: dict[str, Any] = {}
    for kind, questionnaire, score in zip(peers["peer_kind"], peers["questionnaire"], peers["score"], strict=True):
        if kind == "landelijk":
            national.setdefault(questionnaire, score)
    minimum = _minimum(results)
    series = list(score_chart_series(results))
    by_series: dict[str, list[dict[str, Any]]] = {name: [] for name in series}
    for questionnaire in overview_questionnaires(results):
        name = results.rules.questionnaire_name(questionnaire)
        for year in (results.year, results.year - 1):
            found = own.get((year, questionnaire))
            if found is not None and int(found[0]) >= minimum:
                reeks = f"Eigen score {year}"
                by_series[reeks].append({"onderdeel": name, "reeks": reeks, "score": float(found[1])})
        value = national.get(questionnaire)
        if value is not None and not pd.isna(value):
            reeks = f"Landelijk {results.year}"
            by_series[reeks].append({"onderdeel": name, "reeks": reeks, "score": float(value)})
    # In legend order, questionnaires in rule order within a series (a stable sort on the series).
    return [row for name in series for row in by_series[name]]


def score_chart_series(results: YearResults) -> dict[str, str]:
    """The chart's series and their colours, in legend order: this year's own score in KWH dark
    blue, last year's in light blue, the national average in ochre (the same in every report)."""
    from kwh_calc.presentation.present import PALETTE

    return {
        f"Eigen score {results.year}": PALETTE[0],
        f"Eigen score {results.year - 1}": PALETTE[2],
        f"Landelijk {results.year}": PALETTE[1],
    }


def score_chart(results: YearResults) -> dict[str, Any] | None:
    """Vega-Lite spec (a dict) of a bar chart of :func:`score_chart_data`: per questionnaire (rule
    order, long names on two lines) a bar per series, on a 0–10 axis. None when there is nothing
    to show. A plain dict, not an Altair chart: building and serialising the Altair objects cost
    more than the chart's data (issue 13)."""
    rows = _score_rows(results)
    if not rows:
        return None
    present = {row["reeks"] for row in rows}
    colours = {k: v for k, v in score_chart_series(results).items() if k in present}
    shown = {row["onderdeel"] for row in rows}
    names = [n for n in (results.rules.questionnaire_name(q) for q in overview_questionnaires(results)) if n in shown]
    # "Grootschalig renovatie-/verduurzamingsonderhoud" on two lines, after the slash.
    label = "split(replace(datum.label, '/', '/\\n'), '\\n')"
    bars = {
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "color": {
                "field": "reeks",
                "legend": {"orient": "bottom"},
                "scale": {"domain": list(colours), "range": list(colours.values())},
                "sort": list(colours),
                "title": None,
                "type": "nominal",
            },
            "x": {
                "field": "score",
                "scale": {"domain": [0, 10]},
                "title": "Onderdeelscore",
                "type": "quantitative",
            },
            "y": {
                "axis": {"labelExpr": label, "labelLimit": 0},
                "field": "onderdeel",
                "sort": names,
                "title": None,
                "type": "nominal",
            },
            "yOffset": {"field": "reeks", "sort": list(colours), "type": "nominal"},
        },
    }
    # The label threshold as a dashed line, named at the top.
    threshold = [
        {
            "score": float(results.rules.label.min_score),
            "tekst": f"grens label {fmt_grade(results.rules.label.min_score)}",
        }
    ]
    layers = [bars, *marked_lines(threshold, "score", {"value": 0}, dy=-12)]
    return {"layer": layers, "description": _score_chart_alt(results, rows), "height": {"step": 9}}


def score_chart_alt(results: YearResults) -> str:
    """Alternative text of :func:`score_chart` (PDF/UA): the figures the bars show, in words."""
    return _score_chart_alt(results, _score_rows(results))


def _score_chart_alt(results: YearResults, rows: list[dict[str, Any]]) -> str:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:  # questionnaires in order of first appearance, as groupby(sort=False)
        groups.setdefault(row["onderdeel"], []).append(row)
    parts = [
        f"{name}: " + ", ".join(f"{r['reeks'].lower()} {fmt_grade(r['score'])}" for r in group)
        for name, group in groups.items()
    ]
    return (
        f"Staafdiagram van de onderdeelscores op een schaal van 0 tot 10, met een stippellijn bij de grens van het "
        f"label ({fmt_grade(results.rules.label.min_score)}). " + "; ".join(parts) + "."
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
    # Say why an own bar is missing, instead of leaving a gap unexplained.
    scores = results.of("scores")
    current = scores.loc[scores["year"] == results.year].set_index("questionnaire")["n"]
    minimum = _minimum(results)
    names = results.rules.questionnaire_name
    hidden = [names(q) for q in overview_questionnaires(results) if 0 < current.get(q, 0) < minimum]
    empty = [names(q) for q in overview_questionnaires(results) if not _shown(current.get(q))]
    missing = []
    if hidden:
        missing.append(f"{join_nl(hidden)} (minder dan {minimum} respondenten)")
    if empty:
        missing.append(f"{join_nl(empty)} (geen respondenten)")
    if missing:
        text += f". Geen eigen staaf {results.year} bij " + " en ".join(missing)
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
                f"({successor.corporation_id}). Dit rapport bevat de reacties op de dienstverlening tot de fusie; "
                f"voor het KWH-Kwaliteitslabel tellen die mee bij {successor.name}."
            )
    since = corporation.get("member_since")
    if not notes and since is not None and not pd.isna(since) and pd.Timestamp(since).year == year:
        notes.append(
            f"{corporation['name']} is sinds {fmt_date(since)} lid van het KWH-Huurdersonderzoek; dit rapport "
            "bevat de reacties vanaf de start van het onderzoek."
        )
    return notes


# --------------------------------------------------------------------------- checkvraag (docs/methodology.md §7)

__all__ += ["checkvraag_contractor_table", "checkvraag_notes", "checkvraag_table_nl", "has_checkvraag"]


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
    ``< 5 antw.`` instead of percentages (docs/methodology.md §6.4).
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


def checkvraag_notes(results: YearResults) -> list[str]:
    """A note when the rounded percentages of :func:`checkvraag_table_nl` do not add up to 100%
    (each is rounded half up on its own: 73 + 6 + 18 + 4 = 101)."""
    table = checkvraag_table_nl(results)
    if table.empty:
        return []
    options = table.loc[table["Nr."] != ""]
    sums = []
    for column, label in (("Eigen corporatie", "eigen corporatie"), ("Landelijk", "landelijk")):
        values = options[column]
        if not values.str.endswith("%").all():
            continue
        total = sum(int(v.rstrip("%")) for v in values)
        if total != 100:
            sums.append(f"{label} {total}%")
    if not sums:
        return []
    return [
        f"De percentages zijn ieder afgerond op hele procenten; opgeteld geven ze daardoor niet precies 100% "
        f"({', '.join(sums)}). Dat geldt ook voor de percentages per aannemer."
    ]


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
