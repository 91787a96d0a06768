"""Monitor views: Dutch formatting, accessible tables, no other contractor in a contractor's outputs."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from kwh_calc.intake.rules import load_rules
from kwh_calc.presentation import monitor_views as views

RULES = load_rules(year=2025)


def test_period_labels_are_dutch():
    assert views.period_label("2025-03") == "mrt 2025"
    assert views.period_label("2025-10") == "okt 2025"
    assert views.period_label("2025-K2") == "K2 2025"


@pytest.mark.parametrize(("p", "text"), [(0.0, "< 1%"), (0.999, "> 99%"), (0.474, "47%"), (0.5, "50%")])
def test_probabilities_are_never_certain(p, text):
    assert views._probability(p) == text


@pytest.mark.parametrize(("value", "text"), [(6.63, "6,6"), (11.2, "niet haalbaar (> 10)"), (0.4, "al zeker (< 1)")])
def test_grade_needed(value, text):
    assert views._grade_needed(value) == text


def test_html_table_is_accessible_and_escaped():
    frame = pd.DataFrame({"Groep": ["<b>Oost</b>"], "Score": ["7,4"]})
    table = views.html_table(frame, "Uitsplitsing & meer", numeric=["Score"])
    assert "<caption>Uitsplitsing &amp; meer</caption>" in table
    assert '<th scope="col" role="columnheader" class="num">Score</th>' in table
    assert '<th scope="row" role="rowheader" data-label="Groep">&lt;b&gt;Oost&lt;/b&gt;</th>' in table
    assert '<td role="cell" class="num" data-label="Score">7,4</td>' in table
    assert 'class="stack"' not in table  # two columns fit a phone as they are


def test_wide_tables_become_cards_on_a_phone_with_every_cell_labelled():
    columns = ["Onderdeel", "Respondenten", "Onderdeelscore", "% tevreden & meer"]
    frame = pd.DataFrame([["Reparaties", "12", "7,4", "88%"]], columns=columns)
    table = views.html_table(frame, "Tot nu toe", numeric=columns[1:])
    assert '<table role="table" class="stack">' in table
    for column in columns:
        assert f'data-label="{views.esc(column)}"' in table


def _capture(monkeypatch) -> list:
    shown = []
    monkeypatch.setattr(views, "_display", lambda payload, metadata=None: shown.append(payload))
    return shown


def test_dashboard_sections_and_charts(monkeypatch, monitor_run):
    shown = _capture(monkeypatch)
    views.show_dashboard(str(monitor_run.out_dir / "results"), "C001")
    html = " ".join(p.get("text/html", "") for p in shown)
    for heading in (
        "Kwaliteitslabel: stand tot nu toe",
        "Prognose kwaliteitslabel",
        "Ontwikkeling: laatste 24 maanden",
        "Vergelijking tot nu toe",
        "Respons",
        "Uitsplitsingen",
        "Aedes-benchmark",
        "Open antwoorden",
    ):
        assert heading in html
    assert views.forecast_method_nl(RULES) in html
    charts = [p[views.VEGALITE_MIME] for p in shown if views.VEGALITE_MIME in p]
    assert len(charts) >= 4
    assert all(c["description"] and c["spec"]["description"] for c in charts)
    for chart in charts:  # tooltips in Dutch words
        text = str(chart["spec"])
        assert ("tooltip" in text and "Onderdeel" in text) or "Groep" in text


def test_contractor_dashboard_shows_no_other_contractor(monkeypatch, monitor_run):
    results = monitor_run.out_dir / "results"
    contractors = pd.read_parquet(results / "contractor_scores.parquet")
    mine = contractors[contractors["corporation_id"] == "C001"]
    names = sorted(mine["aannemer"].unique())
    assert len(names) >= 2
    shown = _capture(monkeypatch)
    views.show_contractor_dashboard(str(results), "C001", names[0])
    everything = str(shown)
    assert names[0] in everything
    for other in names[1:]:
        assert other not in everything.replace(names[0], "")
    assert "Andere aannemers samen" in everything


class _FakeResults:
    """A MonitorResults stand-in: one corporation with a component of 2 respondents."""

    def __init__(self, rules):
        self.rules, self.corporation_id, self.as_of, self.year = rules, "C1", "2025-03", 2025

    def of(self, name):
        base = dict(corporation_id="C1", meets_score=True, meets_pct=True, borderline_score=False, borderline_pct=False)
        if name == "scores":
            return pd.DataFrame(
                [
                    dict(base, questionnaire="reparaties", n=60, score=7.8, score_display="7,8", pct_display="95%"),
                    dict(
                        base, questionnaire="nieuwe_huurders", n=2, score=9.15, score_display="9,2", pct_display="100%"
                    ),
                ]
            )
        if name == "forecast":
            return pd.DataFrame(
                [
                    dict(
                        corporation_id="C1",
                        questionnaire=q,
                        n_to_date=n,
                        p_meets_label=0.9,
                        p_score=0.9,
                        p_pct=0.9,
                        respondents_expected=10.0,
                        respondents_needed_for_minimum=0,
                        grade_needed=6.12,
                    )
                    for q, n in (("reparaties", 60), ("nieuwe_huurders", 2))
                ]
            )
        raise KeyError(name)


def test_own_totals_and_forecast_of_fewer_than_the_minimum_are_hidden(monkeypatch):
    from kwh_calc.intake.rules import load_rules

    fake = _FakeResults(load_rules(year=2025))
    overview = views._label_overview(fake)
    assert "9,2" not in overview
    assert "&lt; 5 resp." in overview
    assert "te weinig respondenten" in overview
    assert 'data-kwh="score-reparaties">7,8<' in overview
    shown = _capture(monkeypatch)
    views._forecast_section(fake)
    text = str(shown)
    assert "Te weinig respondenten voor een prognose: Nieuwe huurders" in text
    assert text.count("Nieuwe huurders") == 1  # only in the note: no row, no chart bar


def test_a_corporation_without_respondents_gets_no_empty_table():
    from kwh_calc.intake.rules import load_rules

    class Empty(_FakeResults):
        def of(self, name):
            return super().of(name).iloc[0:0]

    overview = views._label_overview(Empty(load_rules(year=2025)))
    assert "<table" not in overview
    assert "Nog geen respondenten dit jaar" in overview


def test_the_forecast_method_names_the_thresholds_of_the_rules():
    assert "minstens 7,0" in views.forecast_method_nl(RULES)
    assert "minstens 85% tevreden" in views.forecast_method_nl(RULES)
    label = RULES.label.model_copy(update={"min_score": Decimal("7.5"), "min_pct_satisfied": Decimal("80")})
    text = views.forecast_method_nl(RULES.model_copy(update={"label": label}))
    assert "minstens 7,5" in text
    assert "minstens 80% tevreden" in text
    assert "precies 7,5" in text
