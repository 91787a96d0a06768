"""The monitor dashboards (``kwh monitor``): Dutch HTML sections and interactive charts.

A dashboard notebook calls the ``show_*`` functions of this module; each displays one
section as ``text/html`` (headings, real tables with captions) and charts as Vega-Lite
specifications under :data:`VEGALITE_MIME`, which :mod:`kwh_calc.rendering.html` embeds in
one self-contained HTML file. Everything shown comes from :class:`MonitorResults` tables
(computed and suppressed in :mod:`kwh_calc.results.monitor`); this module only formats.

Numbers are Dutch (``7,4``, ``85%``, ``1.234``) and are formatted here, in Python, also for
chart tooltips: the reader sees the same figure in the table and in the tooltip.

Contractor dashboards (:func:`show_contractor_dashboard`) read only their own contractor's
rows and the pooled, unnamed columns of the other contractors; they never show a
corporation total (total minus own would reveal the others when only one other exists).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kwh_calc.calculations.open_answers import shown_open_answers
from kwh_calc.common.numbers import MONTHS_NL_SHORT, fmt_count, fmt_decimal, fmt_grade, fmt_month, fmt_pct
from kwh_calc.intake.rules import Rules
from kwh_calc.presentation.present import FONT_FAMILY, PALETTE, THEME
from kwh_calc.results.monitor import MonitorResults

__all__ = [
    "VEGALITE_MIME",
    "forecast_method_nl",
    "html_table",
    "period_label",
    "show_contractor_dashboard",
    "show_dashboard",
]

#: Output type of a chart cell: a Vega-Lite spec plus a ``description`` (accessibility).
VEGALITE_MIME = "application/vnd.kwh.vegalite+json"


def forecast_method_nl(rules: Rules) -> str:
    """The forecast method in plain Dutch, shown in every dashboard; thresholds from ``rules``."""
    score, pct = _threshold_texts(rules)
    return (
        "De prognose gaat uit van de respondenten tot nu toe en van het aantal respondenten dat we de rest "
        "van het jaar nog verwachten: evenveel per maand als tot nu toe. Voor die nog verwachte respondenten "
        "trekt de computer duizenden keren een mogelijk verloop van het jaar: hun oordelen lijken op die van "
        "uw eigen huurders tot nu toe, en bij weinig respondenten ook op die van huurders in heel Nederland. "
        f"De kans is het deel van die trekkingen waarin het hele jaar een onderdeelscore van minstens {score} "
        f"én minstens {pct} tevreden huurders oplevert, met minstens het minimumaantal respondenten. "
        "Het benodigde cijfer is het gemiddelde cijfer dat de nog verwachte respondenten samen moeten geven "
        f"voor een jaarscore van precies {score}. De methode is getoetst op het vorige onderzoeksjaar. Het is "
        "een verwachting, geen uitslag: het CKV beoordeelt na afloop van het jaar."
    )


def _threshold_texts(rules: Rules) -> tuple[str, str]:
    """The label's score and % tevreden thresholds as printed: ``("7,0", "85%")``."""
    return fmt_grade(rules.label.min_score), fmt_pct(rules.label.min_pct_satisfied)


_QUESTIONNAIRE_ORDER = (
    "nieuwe_huurders",
    "vertrokken_huurders",
    "reparaties",
    "planmatig_onderhoud",
    "groot_onderhoud",
    "algemene_waardering",
)
_BREAKDOWN_NAMES = {
    "aannemer": "Aannemer",
    "uitsplitsing_1": "Uitsplitsing 1",
    "uitsplitsing_2": "Uitsplitsing 2",
    "uitsplitsing_3": "Uitsplitsing 3",
    "uitsplitsing_4": "Uitsplitsing 4",
}
_PEER_NAMES = {
    "landelijk": "Landelijk",
    "regio": "Regio",
    "grootteklasse": "Grootteklasse",
    "stedelijkheid": "Stedelijkheid",
}
_COVERAGE_NAMES = {"gedekt": "gedekt", "ontbreekt": "ontbreekt", "nog te leveren": "nog te leveren"}


# --------------------------------------------------------------------------- display helpers


def _display(payload: dict, metadata: dict | None = None) -> None:
    from IPython.display import display

    display(payload, raw=True, metadata=metadata)


def show_html(text: str) -> None:
    """Display an HTML fragment (already escaped where it holds data)."""
    _display({"text/html": text, "text/plain": ""})


def show_chart(chart: Any, description: str, title: str) -> None:
    """Display an Altair chart (or Vega-Lite dict) for the HTML renderer, with its description.

    Parameters
    ----------
    chart : altair chart or Vega-Lite spec; its data is inlined.
    description : one or two Dutch sentences saying what the chart shows (screen readers and
        the caption under the chart).
    title : the chart's heading.
    """
    # Specs are built by this module's tested functions: skipping Altair's schema validation
    # saves a quarter of a second per dashboard.
    spec = dict(chart) if isinstance(chart, dict) else chart.to_dict(validate=False)
    spec["description"] = description
    # The KWH theme (font, sizes, palette) as in the PDFs; width follows the page (phone).
    spec["config"] = {**THEME, **spec.get("config", {}), "font": f"{FONT_FAMILY}, system-ui, sans-serif"}
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    _display({VEGALITE_MIME: {"spec": spec, "title": title, "description": description}, "text/plain": title})


def esc(value: Any) -> str:
    """HTML-escaped text of a value (missing -> ``–``)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "–"
    return html.escape(str(value))


STACK_FROM_COLUMNS = 3  # tables with more columns than this are shown as cards on a phone


def html_table(frame: pd.DataFrame, caption: str, numeric: Iterable[str] = (), row_header: str | None = None) -> str:
    """A real, accessible HTML table: caption, column headers with scope, row headers.

    Parameters
    ----------
    frame : cells already formatted as Dutch text.
    caption : what the table shows (``<caption>``).
    numeric : columns aligned right.
    row_header : the column whose cells are row headers (``<th scope="row">``); default the first.
    """
    numeric = set(numeric)
    row_header = row_header or (frame.columns[0] if len(frame.columns) else None)
    # Explicit roles keep the table a table for screen readers when a phone shows its rows as cards.
    head = "".join(
        f'<th scope="col" role="columnheader"{_num_class(c in numeric)}>{esc(c)}</th>' for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            attrs = f'{_num_class(column in numeric)} data-label="{esc(column)}"'
            if column == row_header:
                cells.append(f'<th scope="row" role="rowheader"{attrs}>{esc(value)}</th>')
            else:
                cells.append(f'<td role="cell"{attrs}>{esc(value)}</td>')
        rows.append(f'<tr role="row">{"".join(cells)}</tr>')
    # Wider tables become one card per row on a phone (CSS in rendering.html) instead of a
    # sideways scroll that hides most columns.
    stack = ' class="stack"' if len(frame.columns) > STACK_FROM_COLUMNS else ""
    return (
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{esc(caption)}">'
        f'<table role="table"{stack}><caption>{esc(caption)}</caption>'
        f'<thead role="rowgroup"><tr role="row">{head}</tr></thead>'
        f'<tbody role="rowgroup">{"".join(rows)}</tbody></table></div>'
    )


def _num_class(numeric: bool) -> str:
    return ' class="num"' if numeric else ""


def period_label(period: str) -> str:
    """``2025-03`` -> ``mrt 2025``; ``2025-K2`` -> ``K2 2025``."""
    year, part = period.split("-")
    if part.startswith("K"):
        return f"{part} {year}"
    return f"{MONTHS_NL_SHORT[int(part) - 1]} {year}"


_RANK = {q: i for i, q in enumerate(_QUESTIONNAIRE_ORDER)}


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in the questionnaires' reading order (stable; unknown questionnaires last).

    One ``take`` of the rows: a dashboard orders a dozen tables, and assigning, sorting and
    dropping a helper column copied each of them three times.
    """
    ranks = np.array([_RANK.get(q, len(_RANK)) for q in frame["questionnaire"]], dtype=np.int64)
    return frame.take(np.argsort(ranks, kind="stable"))


def _probability(p: float) -> str:
    """A probability as a Dutch percentage, never 0% or 100% (a forecast is never certain)."""
    if p != p:
        return "–"
    if p >= 0.995:
        return "> 99%"
    if p <= 0.005:
        return "< 1%"
    return fmt_pct(100 * p)


def _grade_needed(value: float) -> str:
    if value != value:
        return "–"
    if value > 10:
        return "niet haalbaar (> 10)"
    if value < 1:
        return "al zeker (< 1)"
    return fmt_grade(value)


def _status(row: pd.Series, rules) -> str:
    if row["meets_score"] and row["meets_pct"]:
        return "boven de grens"
    if row.get("borderline_score") or row.get("borderline_pct"):
        return "grensgeval"
    return "onder de grens"


def _section(heading: str, ident: str, body: str, intro: str = "") -> str:
    intro_html = f"<p>{intro}</p>" if intro else ""
    return f'<section aria-labelledby="{ident}"><h2 id="{ident}">{esc(heading)}</h2>{intro_html}{body}</section>'


def _line_chart(
    data: pd.DataFrame,
    value: str,
    value_title: str,
    tooltip_value: str,
    threshold: float | None,
    threshold_text: str,
    color: str = "onderdeel",
    domain: Sequence[float] | None = None,
    color_domain: Sequence[str] | None = None,
) -> Any:
    """A line chart over ``periode`` with a threshold rule and Dutch tooltips."""
    import altair as alt

    base = alt.Chart(data)
    scale = alt.Scale(domain=list(domain), clamp=True) if domain else alt.Scale(zero=False)
    lines = base.mark_line(point=True).encode(
        x=alt.X("periode:N", sort=None, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
        y=alt.Y(f"{value}:Q", title=value_title, scale=scale),
        # A fixed domain gives every onderdeel the same colour in every chart.
        color=alt.Color(
            f"{color}:N",
            title=None,
            legend=alt.Legend(orient="bottom", columns=1 if color == "groep" else 2, labelLimit=0),
            scale=alt.Scale(domain=list(color_domain), range=PALETTE) if color_domain else alt.Scale(range=PALETTE),
        ),
        tooltip=[
            alt.Tooltip(f"{color}:N", title="Onderdeel" if color == "onderdeel" else "Groep"),
            alt.Tooltip("periode:N", title="Periode"),
            alt.Tooltip(f"{tooltip_value}:N", title=value_title),
            alt.Tooltip("respondenten:N", title="Respondenten"),
        ],
    )
    layers = [lines]
    if threshold is not None:
        rule = (
            alt.Chart(pd.DataFrame({"grens": [threshold], "tekst": [threshold_text]}))
            .mark_rule(strokeDash=[4, 4], color="#b0413e")
            .encode(y="grens:Q", tooltip=[alt.Tooltip("tekst:N", title="Labelgrens")])
        )
        layers.append(rule)
    return alt.layer(*layers).properties(width="container", height=220)


# --------------------------------------------------------------------------- corporation dashboard


def _header(m: MonitorResults, subtitle: str) -> str:
    corporation = m.corporation
    return (
        f'<header class="doc-header"><p class="kicker">KWH-Huurdersonderzoek · monitor</p>'
        f"<h1>{esc(corporation['name'])}</h1>"
        f'<p class="subtitle">{esc(subtitle)}: servicemaanden januari t/m {esc(fmt_month(m.as_of))} '
        f"(onderzoeksjaar {m.year})</p></header>"
    )


def _own_scores(m: MonitorResults) -> pd.DataFrame:
    """The corporation's own year-to-date scores, hidden below the minimum cell as in the
    results PDF (``< 5 resp.``): early in the year a component may have one respondent."""
    scores = _order(m.of("scores"))
    minimum = m.rules.suppression.min_cell_size
    small = (scores["n"] < minimum).to_numpy()
    scores["small"] = small
    scores["score_display"] = scores["score_display"].astype(object).where(~small, f"< {minimum} resp.")
    scores["pct_display"] = scores["pct_display"].astype(object).where(~small, "–")
    return scores


def _label_overview(m: MonitorResults) -> str:
    rules = m.rules
    scores = _own_scores(m)
    label = scores[scores["questionnaire"].isin(rules.label_questionnaires)]
    forecast = m.of("forecast").set_index("questionnaire")
    tiles = []
    for _, row in label.iterrows():
        q = row["questionnaire"]
        status = "te weinig respondenten" if row["small"] else _status(row, rules)
        f = forecast.loc[q] if q in forecast.index and not row["small"] else None
        chance = _probability(float(f["p_meets_label"])) if f is not None else "–"
        minimum = rules.questionnaires[q].min_respondents
        tiles.append(
            f'<article class="tile status-{status.replace(" ", "-")}" aria-label="{esc(rules.questionnaire_name(q))}">'
            f"<h3>{esc(rules.questionnaire_name(q))}</h3>"
            f'<p class="big"><span class="value" data-kwh="score-{q}">{esc(row["score_display"])}</span>'
            '<span class="unit"> score</span></p>'
            f'<p><span class="value" data-kwh="pct-{q}">{esc(row["pct_display"])}</span> tevreden · '
            f"{esc(fmt_count(row['n']))} respondenten (minimum {esc(fmt_count(minimum))})</p>"
            f'<p class="status">{esc(status)}</p>'
            f'<p>Kans op het label: <strong data-kwh="kans-{q}">{esc(chance)}</strong></p></article>'
        )
    missing = [q for q in rules.label_questionnaires if q not in set(label["questionnaire"])]
    note = ""
    if missing:
        names = ", ".join(rules.questionnaire_name(q) for q in missing)
        note = f"<p>Nog geen respondenten dit jaar voor: {esc(names)}.</p>"
    table = (
        ""
        if scores.empty
        else html_table(
            pd.DataFrame(
                {
                    "Onderdeel": [rules.questionnaire_name(q) for q in scores["questionnaire"]],
                    "Respondenten": [fmt_count(n) for n in scores["n"]],
                    "Onderdeelscore": list(scores["score_display"]),
                    "% tevreden": list(scores["pct_display"]),
                    "Telt voor label": [
                        "ja" if q in rules.label_questionnaires else "nee" for q in scores["questionnaire"]
                    ],
                    "Stand": [
                        "–"
                        if r["questionnaire"] not in rules.label_questionnaires
                        else "te weinig respondenten"
                        if r["small"]
                        else _status(r, rules)
                        for _, r in scores.iterrows()
                    ],
                }
            ),
            "Alle onderdelen tot nu toe",
            numeric=("Respondenten", "Onderdeelscore", "% tevreden"),
        )
    )
    intro = (
        f"Labelgrenzen: onderdeelscore minimaal {fmt_grade(rules.label.min_score)} én minimaal "
        f"{fmt_pct(rules.label.min_pct_satisfied)} tevreden huurders. Een <em>grensgeval</em> toont als de grens "
        "maar haalt hem net niet (exact vergeleken)."
    )
    return _section(
        "Kwaliteitslabel: stand tot nu toe", "label", f'<div class="tiles">{"".join(tiles)}</div>{note}{table}', intro
    )


def _forecast_section(m: MonitorResults) -> None:
    rules = m.rules
    forecast = _order(m.of("forecast"))
    # Below the minimum cell the figures to date are hidden, and so is the forecast: the grade
    # needed and the probabilities would let a reader work back to those few respondents.
    small = forecast["n_to_date"] < rules.suppression.min_cell_size
    too_few = ", ".join(rules.questionnaire_name(q) for q in forecast.loc[small, "questionnaire"])
    forecast = forecast.loc[~small]
    note = f"<p>Te weinig respondenten voor een prognose: {esc(too_few)}.</p>" if too_few else ""
    if forecast.empty:
        show_html(
            _section(
                "Prognose kwaliteitslabel", "prognose", note or "<p>Nog geen respondenten dit jaar: geen prognose.</p>"
            )
        )
        return
    score, pct = _threshold_texts(rules)
    table = html_table(
        pd.DataFrame(
            {
                "Onderdeel": [rules.questionnaire_name(q) for q in forecast["questionnaire"]],
                "Kans op label": [_probability(p) for p in forecast["p_meets_label"]],
                f"Kans score ≥ {score}": [_probability(p) for p in forecast["p_score"]],
                f"Kans ≥ {pct} tevreden": [_probability(p) for p in forecast["p_pct"]],
                "Nog verwacht": [fmt_decimal(v, 0) for v in forecast["respondents_expected"]],
                "Nodig voor minimum": [fmt_count(v) for v in forecast["respondents_needed_for_minimum"]],
                "Benodigd gemiddeld cijfer": [_grade_needed(v) for v in forecast["grade_needed"]],
            }
        ),
        f"Prognose voor heel {m.year}",
        numeric=(
            "Kans op label",
            f"Kans score ≥ {score}",
            f"Kans ≥ {pct} tevreden",
            "Nog verwacht",
            "Nodig voor minimum",
            "Benodigd gemiddeld cijfer",
        ),
    )
    method = (
        "<details open><summary>Hoe is de prognose berekend?</summary>"
        f"<p>{esc(forecast_method_nl(rules))}</p></details>"
    )
    show_html(_section("Prognose kwaliteitslabel", "prognose", table + note + method))
    import altair as alt

    data = pd.DataFrame(
        {
            "onderdeel": [rules.questionnaire_name(q) for q in forecast["questionnaire"]],
            "kans": [100 * p for p in forecast["p_meets_label"]],
            "kans_tekst": [_probability(p) for p in forecast["p_meets_label"]],
            "benodigd": [_grade_needed(v) for v in forecast["grade_needed"]],
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("onderdeel:N", sort=None, title=None),
            x=alt.X("kans:Q", title="Kans op het label (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.condition("datum.kans >= 50", alt.value(PALETTE[0]), alt.value(PALETTE[1])),
            tooltip=[
                alt.Tooltip("onderdeel:N", title="Onderdeel"),
                alt.Tooltip("kans_tekst:N", title="Kans op het label"),
                alt.Tooltip("benodigd:N", title="Benodigd gemiddeld cijfer"),
            ],
        )
        .properties(width="container", height=alt.Step(34))
    )
    summary = "; ".join(f"{o}: {k}" for o, k in zip(data["onderdeel"], data["kans_tekst"], strict=True))
    show_chart(
        chart,
        f"Staafdiagram van de kans op het kwaliteitslabel per onderdeel. {summary}.",
        "Kans op het label per onderdeel",
    )


def _series_section(m: MonitorResults) -> None:
    rules = m.rules
    series = m.of("series")
    series = series[series["questionnaire"].isin(rules.label_questionnaires)]
    show_html(
        _section(
            "Ontwikkeling: laatste 24 maanden",
            "ontwikkeling",
            "",
            f"Per kwartaal en per maand; perioden met minder dan {rules.suppression.min_cell_size} respondenten "
            "worden niet getoond (anonimiteit).",
        )
    )
    score_line, pct_line = _threshold_texts(rules)
    for kind, heading in (("kwartaal", "per kwartaal"), ("maand", "per maand")):
        part = series[(series["kind"] == kind) & ~series["suppressed"].astype(bool)].sort_values("period")
        if part.empty:
            show_html("<p>Nog te weinig respondenten voor een grafiek.</p>")
            continue
        data = pd.DataFrame(
            {
                "periode": [period_label(p) for p in part["period"]],
                "onderdeel": [rules.questionnaire_name(q) for q in part["questionnaire"]],
                "score": part["score"].astype(float).to_numpy(),
                "score_tekst": list(part["score_display"]),
                "pct": part["pct_satisfied"].astype(float).to_numpy(),
                "pct_tekst": list(part["pct_display"]),
                "respondenten": [fmt_count(n) for n in part["n"]],
            }
        )
        # Sort the periods in time: the labels are text.
        order = [period_label(p) for p in sorted(part["period"].unique())]
        chart = _line_chart(
            data,
            "score",
            "Onderdeelscore",
            "score_tekst",
            float(rules.label.min_score),
            score_line,
            domain=(5, 10),
            color_domain=[rules.questionnaire_name(q) for q in rules.label_questionnaires],
        )
        spec = chart.to_dict(validate=False)
        _sort_periods(spec, order)
        show_chart(
            spec,
            f"Lijndiagram van de onderdeelscore {heading} per labelonderdeel, met de labelgrens {score_line} als "
            "stippellijn.",
            f"Onderdeelscore {heading}",
        )
        if kind == "kwartaal":
            chart = _line_chart(
                data,
                "pct",
                "% tevreden",
                "pct_tekst",
                float(rules.label.min_pct_satisfied),
                pct_line,
                domain=(50, 100),
                color_domain=[rules.questionnaire_name(q) for q in rules.label_questionnaires],
            )
            spec = chart.to_dict(validate=False)
            _sort_periods(spec, order)
            show_chart(
                spec,
                f"Lijndiagram van het percentage tevreden huurders {heading} per labelonderdeel, "
                f"met de grens {pct_line} als stippellijn.",
                f"Percentage tevreden {heading}",
            )


def _sort_periods(spec: dict, order: list[str]) -> None:
    for layer in spec.get("layer", [spec]):
        x = layer.get("encoding", {}).get("x")
        if x and x.get("field") == "periode":
            x["sort"] = order


def _peer_section(m: MonitorResults) -> None:
    rules = m.rules
    peers = m.of("peers")
    scores = _own_scores(m).set_index("questionnaire")
    peers = _order(peers[peers["questionnaire"].isin(rules.label_questionnaires)])
    if peers.empty:
        return
    rows = []
    for q, group in peers.groupby("questionnaire", sort=False):
        own = scores.loc[q]
        row = {
            "Onderdeel": rules.questionnaire_name(q),
            "Eigen score": own["score_display"],
            "Eigen % tevreden": own["pct_display"],
        }
        for kind in ("landelijk", "regio", "grootteklasse", "stedelijkheid"):
            match = group[group["peer_kind"] == kind]
            if match.empty:
                row[_PEER_NAMES[kind]] = "–"
                continue
            p = match.iloc[0]
            row[_PEER_NAMES[kind]] = f"{fmt_grade(p['score'])} · {fmt_pct(p['pct_satisfied'])}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    show_html(
        _section(
            "Vergelijking tot nu toe",
            "vergelijking",
            html_table(
                frame,
                "Onderdeelscore · % tevreden van vergelijkbare corporaties (zelfde periode)",
                numeric=[c for c in frame.columns if c != "Onderdeel"],
            ),
            "Landelijk, in dezelfde regio, dezelfde grootteklasse en dezelfde stedelijkheid; "
            "uw eigen respondenten tellen mee.",
        )
    )
    import altair as alt

    data = []
    for q, group in peers.groupby("questionnaire", sort=False):
        own = scores.loc[q]
        if not own["small"]:
            data.append(
                {
                    "onderdeel": rules.questionnaire_name(q),
                    "groep": "Eigen corporatie",
                    "score": float(own["score"]),
                    "tekst": own["score_display"],
                }
            )
        for _, p in group.iterrows():
            if p["score"] == p["score"]:
                data.append(
                    {
                        "onderdeel": rules.questionnaire_name(q),
                        "groep": _PEER_NAMES[p["peer_kind"]],
                        "score": float(p["score"]),
                        "tekst": fmt_grade(p["score"]),
                    }
                )
    frame = pd.DataFrame(data)
    chart = (
        alt.Chart(frame)
        .mark_point(filled=True, size=90)
        .encode(
            y=alt.Y("onderdeel:N", sort=None, title=None),
            x=alt.X("score:Q", title="Onderdeelscore", scale=alt.Scale(domain=[5, 10])),
            color=alt.Color(
                "groep:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom", columns=3)
            ),
            shape=alt.Shape("groep:N", title=None),
            tooltip=[
                alt.Tooltip("onderdeel:N", title="Onderdeel"),
                alt.Tooltip("groep:N", title="Groep"),
                alt.Tooltip("tekst:N", title="Onderdeelscore"),
            ],
        )
        .properties(width="container", height=alt.Step(36))
    )
    show_chart(
        chart,
        "Puntdiagram: de onderdeelscore van de eigen corporatie naast landelijk, regio, grootteklasse "
        "en stedelijkheid.",
        "Eigen score naast vergelijkbare corporaties",
    )


def _breakdown_section(m: MonitorResults) -> None:
    rules = m.rules
    breakdowns = m.of("breakdowns")
    body = []
    for column, name in _BREAKDOWN_NAMES.items():
        part = _order(breakdowns[breakdowns["breakdown"] == column])
        if part.empty:
            continue
        suppressed = part["suppressed"].astype(bool)
        frame = pd.DataFrame(
            {
                "Groep": list(part["group"]),
                "Onderdeel": [rules.questionnaire_name(q) for q in part["questionnaire"]],
                "Respondenten": [fmt_count(n) for n in part["n"]],
                "Onderdeelscore": [
                    "verborgen" if s else v for s, v in zip(suppressed, part["score_display"], strict=True)
                ],
                "% tevreden": ["verborgen" if s else v for s, v in zip(suppressed, part["pct_display"], strict=True)],
            }
        )
        body.append(html_table(frame, f"{name} (tot nu toe)", numeric=("Respondenten", "Onderdeelscore", "% tevreden")))
    if not body:
        body.append("<p>Er zijn (nog) geen uitsplitsingen aangeleverd.</p>")
    show_html(
        _section(
            "Uitsplitsingen",
            "uitsplitsingen",
            "".join(body),
            f"Groepen met minder dan {rules.suppression.min_cell_size} respondenten zijn verborgen, net als in de "
            "rapportages; soms wordt ook een tweede groep verborgen, zodat een verborgen resultaat niet terug "
            "te rekenen is.",
        )
    )


def _response_section(m: MonitorResults) -> None:
    rules = m.rules
    response = _order(m.of("response"))
    if response.empty:
        show_html(_section("Respons", "respons", "<p>Nog geen leveringen dit jaar.</p>"))
        return
    frame = pd.DataFrame(
        {
            "Onderdeel": [rules.questionnaire_name(q) for q in response["questionnaire"]],
            "Leveringen": [fmt_count(v) for v in response["deliveries"]],
            "Benaderd": [fmt_count(v) for v in response["approached"]],
            "Online": [fmt_count(v) for v in response["completed_online"]],
            "Telefonisch": [fmt_count(v) for v in response["completed_telefonisch"]],
            "Respons": [fmt_pct(v) for v in response["response_pct"]],
        }
    )
    show_html(
        _section(
            "Respons",
            "respons",
            html_table(frame, "Respons op de leveringen van dit jaar tot nu toe", numeric=list(frame.columns[1:])),
        )
    )


def _coverage_section(m: MonitorResults) -> None:
    rules = m.rules
    coverage = m.of("coverage")
    coverage = coverage[coverage["questionnaire"].isin(rules.label.quarterly_components)]
    if coverage.empty:
        return
    table = coverage.pivot_table(
        index="questionnaire", columns="quarter", values="status", aggfunc="first"
    ).reset_index()
    table = _order(table)
    frame = pd.DataFrame({"Onderdeel": [rules.questionnaire_name(q) for q in table["questionnaire"]]})
    for quarter in ("K1", "K2", "K3", "K4"):
        frame[quarter] = list(table[quarter]) if quarter in table.columns else "–"
    due = [
        (rules.questionnaire_name(r["questionnaire"]), q)
        for _, r in table.iterrows()
        for q in ("K1", "K2", "K3", "K4")
        if q in table.columns and r[q] != "gedekt"
    ]
    intro = (
        "Voor het label moet elk kwartaal gedekt zijn door een levering van hoogstens drie maanden. "
        f"Nog te leveren of ontbrekend: {esc(', '.join(f'{o} {q}' for o, q in due)) or 'niets'}."
    )
    show_html(
        _section(
            "Dekking tot nu toe", "dekking", html_table(frame, "Dekking per kwartaal (leveringen tot nu toe)"), intro
        )
    )


def _checkvraag_section(m: MonitorResults, aannemer: str | None = None) -> None:
    rules = m.rules
    table = m.of("checkvraag")
    if aannemer is None:
        rows = table[table["level"] == "totaal"]
    else:
        rows = table[(table["level"] == "aannemer") & (table["aannemer"] == aannemer)]
    if rows.empty:
        return
    row = rows.iloc[0]
    answers = rules.checkvraag.answers
    if bool(row["suppressed"]):
        body = f"<p>Minder dan {rules.suppression.min_cell_size} antwoorden: niet getoond.</p>"
    else:
        frame = pd.DataFrame(
            {
                "Antwoord": [answers[i] for i in sorted(answers)],
                "Aantal": [fmt_count(row[f"n_answer_{i}"]) for i in sorted(answers)],
                "Percentage": [fmt_pct(row[f"pct_answer_{i}"]) for i in sorted(answers)],
            }
        )
        body = html_table(
            frame,
            f"Checkvraag ‘Is de reparatie klaar?’ ({fmt_count(row['n'])} antwoorden)",
            numeric=("Aantal", "Percentage"),
        )
    show_html(_section("Checkvraag Reparaties", "checkvraag", body))


def _aedes_section(m: MonitorResults) -> None:
    aedes = m.of("aedes")
    if aedes.empty:
        show_html(_section("Aedes-benchmark", "aedes", "<p>Geen deelnemer aan de Aedes-benchmark.</p>"))
        return
    row = aedes.iloc[0]
    names = {
        "nieuwe_huurders": "Nieuwe huurders",
        "reparaties": "Reparatieverzoeken",
        "vertrokken_huurders": "Vertrokken huurders",
    }
    minimum = m.rules.suppression.min_cell_size
    small = {k: not (row[f"{k}_n"] >= minimum) for k in names}  # missing n counts as small
    frame = pd.DataFrame(
        {
            "Deelscore": list(names.values()),
            "Respondenten": [fmt_count(row[f"{k}_n"]) for k in names],
            "Cijfer": [f"< {minimum} resp." if small[k] else fmt_grade(row[f"{k}_score"]) for k in names],
            "Letter": ["–" if small[k] or row[f"{k}_letter"] is pd.NA else row[f"{k}_letter"] for k in names],
        }
    )
    intro = (
        f"Benchmarkjaar {int(row['benchmark_year'])}: servicemaanden {esc(fmt_month(row['period_first']))} t/m "
        f"{esc(fmt_month(row['period_last']))}. "
        f"Letter totaal: <strong>{esc(row['overall_letter'])}</strong> (lopende stand)."
    )
    show_html(
        _section(
            "Aedes-benchmark: lopende deelscores",
            "aedes",
            html_table(frame, "Deelscores en letters tot nu toe", numeric=("Respondenten", "Cijfer")),
            intro,
        )
    )


def _open_answer_section(m: MonitorResults, aannemer: str | None = None) -> None:
    rules = m.rules
    minimum = rules.suppression.min_cell_size
    answers = shown_open_answers(m.of("open_answers"), m.corporation_id, min_cell=minimum, aannemer=aannemer)
    intro = (
        "Antwoorden in de eigen woorden van huurders. Namen, telefoonnummers, e-mailadressen, postcodes, adressen en "
        "huisnummers zijn automatisch vervangen door [naam], [telefoonnummer] enzovoort. "
        f"Een vraag wordt alleen getoond als minstens {minimum} huurders hem beantwoordden."
    )
    if answers.empty:
        show_html(
            _section(
                "Open antwoorden", "open-antwoorden", "<p>Geen open antwoorden (of te weinig om te tonen).</p>", intro
            )
        )
        return
    parts = []
    for (q, _), group in _order(answers).groupby(["questionnaire", "question_id"], sort=False):
        items = "".join(
            f'<li><span class="month">{esc(fmt_month(r.service_month))}</span> {esc(r.text)}</li>'
            for r in group.itertuples()
        )
        parts.append(
            f"<h3>{esc(rules.questionnaire_name(q))}: {esc(group['question'].iloc[0])}</h3>"
            f"<details><summary>{esc(fmt_count(len(group)))} antwoorden tonen</summary>"
            f'<ul class="answers">{items}</ul></details>'
        )
    show_html(_section("Open antwoorden", "open-antwoorden", "".join(parts), intro))


def show_dashboard(results_dir: str, corporation_id: str) -> None:
    """Every section of a corporation's monitor dashboard, in reading order."""
    m = MonitorResults(results_dir, corporation_id)
    show_html(_header(m, "Monitor tot en met " + fmt_month(m.as_of)))
    show_html(_label_overview(m))
    _forecast_section(m)
    _series_section(m)
    _peer_section(m)
    _coverage_section(m)
    _response_section(m)
    _breakdown_section(m)
    _checkvraag_section(m)
    _aedes_section(m)
    _open_answer_section(m)


# --------------------------------------------------------------------------- contractor dashboard


def show_contractor_dashboard(results_dir: str, corporation_id: str, aannemer: str) -> None:
    """A contractor's dashboard: its own results and the other contractors pooled, unnamed.

    Reads only rows of ``aannemer`` and the pooled ``others_*`` columns; never a corporation
    total, never another contractor's name.
    """
    m = MonitorResults(results_dir, corporation_id)
    rules = m.rules
    own = _order(m.of("contractor_scores"))
    own = own[own["aannemer"] == aannemer]
    show_html(_header(m, f"{aannemer} (aannemer) · monitor tot en met {fmt_month(m.as_of)}"))
    minimum = rules.suppression.min_cell_size
    rows = []
    for _, r in own.iterrows():
        rows.append(
            {
                "Onderdeel": rules.questionnaire_name(r["questionnaire"]),
                "Respondenten": fmt_count(r["n"]),
                "Onderdeelscore": "verborgen" if r["suppressed"] else r["score_display"],
                "% tevreden": "verborgen" if r["suppressed"] else r["pct_display"],
                "Andere aannemers samen: score": fmt_grade(r["others_score"]),
                "Andere aannemers samen: % tevreden": fmt_pct(r["others_pct_satisfied"]),
                "Plaats": f"{int(r['rank'])} van {int(r['ranked'])}"
                if r["rank"] is not pd.NA and r["rank"] == r["rank"]
                else "–",
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "Onderdeel",
            "Respondenten",
            "Onderdeelscore",
            "% tevreden",
            "Andere aannemers samen: score",
            "Andere aannemers samen: % tevreden",
            "Plaats",
        ],
    )
    intro = (
        "Alleen uw eigen resultaten. ‘Andere aannemers samen’ toont de overige aannemers van deze corporatie "
        f"als één groep, zonder namen, en alleen als het er minstens twee zijn met samen minstens {minimum} "
        "respondenten. De plaats (1 = hoogste score) staat er alleen bij minstens drie aannemers met genoeg "
        f"respondenten. Resultaten van minder dan {minimum} respondenten zijn verborgen."
    )
    show_html(
        _section(
            "Uw resultaten tot nu toe",
            "resultaten",
            html_table(frame, "Onderdeelscore en % tevreden, tot nu toe", numeric=list(frame.columns[1:])),
            intro,
        )
    )
    series = m.of("contractor_series")
    series = series[series["aannemer"] == aannemer].sort_values("period")

    data = []
    for _, r in series.iterrows():
        name = rules.questionnaire_name(r["questionnaire"])
        if r["score"] == r["score"]:
            data.append(
                {
                    "periode": period_label(r["period"]),
                    "groep": f"{name}: uw resultaat",
                    "score": float(r["score"]),
                    "score_tekst": fmt_grade(r["score"]),
                    "respondenten": fmt_count(r["n"]),
                    "sort": r["period"],
                }
            )
        if r["others_score"] == r["others_score"]:
            data.append(
                {
                    "periode": period_label(r["period"]),
                    "groep": f"{name}: andere aannemers samen",
                    "score": float(r["others_score"]),
                    "score_tekst": fmt_grade(r["others_score"]),
                    "respondenten": fmt_count(r["others_n"]),
                    "sort": r["period"],
                }
            )
    if data:
        frame = pd.DataFrame(data)
        order = [period_label(p) for p in sorted(frame["sort"].unique())]
        score_line, _ = _threshold_texts(rules)
        spec = _line_chart(
            frame.drop(columns="sort"),
            "score",
            "Onderdeelscore",
            "score_tekst",
            float(rules.label.min_score),
            score_line,
            color="groep",
            domain=(5, 10),
        ).to_dict(validate=False)
        _sort_periods(spec, order)
        show_chart(
            spec,
            "Lijndiagram van de onderdeelscore per kwartaal: uw eigen resultaat naast de andere aannemers samen, "
            f"met de grens {score_line} als stippellijn.",
            "Onderdeelscore per kwartaal",
        )
    _checkvraag_section(m, aannemer)
    _open_answer_section(m, aannemer)
