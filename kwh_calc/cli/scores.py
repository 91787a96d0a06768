"""``kwh scores``: onderdeelscores and percentages per corporation × questionnaire (× group)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import JustifyMethod
from rich.table import Table

from kwh_calc.calculations.scores import (
    BREAKDOWN_COLUMNS,
    component_scores,
    research_months,
    respondent_results,
    suppress,
)
from kwh_calc.cli.common import (
    DATA_ARGUMENT,
    RULES_OPTION,
    YEAR_OPTION,
    check_outputs,
    console,
    load_or_exit,
    out,
    require_year_data,
    rules_or_exit,
    write_csv_atomic,
)
from kwh_calc.cli.typer_app import app
from kwh_calc.common.numbers import fmt_count, fmt_grade, fmt_pct


def national_summary(results: pd.DataFrame, scores: pd.DataFrame, rules) -> pd.DataFrame:
    """Per questionnaire: corporations, respondents, pooled score and % satisfied, share meeting.

    Pooled = respondent-weighted (every respondent weighs the same), as the national peer
    comparison in :func:`kwh_calc.calculations.scores.peer_scores`.
    """
    pooled = results.groupby("questionnaire", observed=True).agg(
        respondents=("mean", "size"), score=("mean", "mean"), n_satisfied=("satisfied", "sum")
    )
    pooled["pct_satisfied"] = 100.0 * pooled["n_satisfied"] / pooled["respondents"]
    per_corp = scores.groupby("questionnaire", observed=True).agg(corporations=("corporation_id", "nunique"))
    per_corp["meets_both"] = (scores["meets_score"] & scores["meets_pct"]).groupby(
        scores["questionnaire"]
    ).mean() * 100.0
    summary = per_corp.join(pooled[["respondents", "score", "pct_satisfied"]])
    order = [q for q in rules.questionnaires if q in summary.index]
    return summary.reindex(order).reset_index()


@app.command("scores")
def scores_command(
    data: Path = DATA_ARGUMENT,
    year: int = YEAR_OPTION,
    out_file: Path = typer.Option(
        ..., "--out", help="CSV to write (one row per corporation × questionnaire (× group))."
    ),
    by: str | None = typer.Option(None, "--by", help=f"Breakdown column: {', '.join(BREAKDOWN_COLUMNS)}."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Compute onderdeelscore, percentage tevreden and n for research year Y (service months Jan–Dec Y).

    Columns: corporation_id, questionnaire, [group], n, score (unrounded), pct_satisfied
    (unrounded, 0–100), display columns and threshold/borderline flags. With --by, groups
    smaller than the minimum cell size are suppressed (score and percentage empty).
    """
    if by is not None and by not in BREAKDOWN_COLUMNS:
        console.print(f"--by {by}: not a breakdown column; choose one of {', '.join(BREAKDOWN_COLUMNS)}")
        raise typer.Exit(2)
    check_outputs(data, rules_path, **{"--out": out_file})
    dataset = load_or_exit(data)
    require_year_data(dataset, year)
    rules = rules_or_exit(rules_path, year)
    first, last = research_months(year)
    results = respondent_results(dataset, rules, first_month=first, last_month=last)
    table = component_scores(results, rules, by=by)
    if by is not None:
        table = suppress(table, rules, totals=component_scores(results, rules))
    write_csv_atomic(table, out_file)

    summary = national_summary(results, component_scores(results, rules), rules)
    view = Table(title=f"Landelijk overzicht onderzoeksjaar {year} (servicemaanden jan–dec {year})")
    justify: JustifyMethod
    for column, justify in (
        ("Onderdeel", "left"),
        ("Corporaties", "right"),
        ("Respondenten", "right"),
        ("Score", "right"),
        ("% tevreden", "right"),
        ("% corporaties ≥ 7,0 en ≥ 85%", "right"),
    ):
        view.add_column(column, justify=justify)
    for row in summary.itertuples():
        view.add_row(
            rules.questionnaire_name(row.questionnaire),
            fmt_count(row.corporations),
            fmt_count(row.respondents),
            fmt_grade(row.score),
            fmt_pct(row.pct_satisfied),
            fmt_pct(row.meets_both),
        )
    out.print(view)
    console.print(f"{fmt_count(len(table))} rows written to {out_file}")
