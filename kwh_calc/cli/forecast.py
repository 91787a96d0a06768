"""``kwh forecast``: the label forecast during the year; ``kwh forecast-backtest``: its check."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kwh_calc.calculations.forecast import backtest, brier_score, calibration_table, forecast_label, month_window
from kwh_calc.cli.common import DATA_ARGUMENT, RULES_OPTION, console, load_or_exit, out, rules_or_exit, write_csv_atomic
from kwh_calc.cli.typer_app import app
from kwh_calc.common.numbers import fmt_count, fmt_decimal, fmt_pct


def as_of_or_exit(as_of: str) -> int:
    """The research year of an ``--as-of`` month; a malformed month exits with status 2."""
    try:
        return month_window(as_of)[0]
    except ValueError as error:
        console.print(f"--as-of: {error}")
        raise typer.Exit(2) from None


@app.command("forecast")
def forecast_command(
    data: Path = DATA_ARGUMENT,
    as_of: str = typer.Option(..., "--as-of", help="Last service month counted, YYYY-MM (year to date: Jan..as-of)."),
    out_file: Path = typer.Option(..., "--out", help="CSV to write (one row per corporation × label questionnaire)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Label forecast: the probability that the full year meets 7,0 and 85% with the minimum respondents.

    One row per corporation × label questionnaire with at least one respondent to date:
    n_to_date, score_to_date, pct_satisfied_to_date (unrounded, 0–100), p_meets_label (0–1),
    respondents_expected (still to come), grade_needed (mean grade the expected respondents
    need for 7,0) and the separate probabilities. Method: kwh_calc.calculations.forecast.
    """
    year = as_of_or_exit(as_of)
    dataset = load_or_exit(data)
    rules = rules_or_exit(rules_path, year)
    table = forecast_label(dataset, rules, as_of)
    write_csv_atomic(table, out_file)
    view = Table(title=f"Labelprognose t/m {as_of}")
    for column in ("Onderdeel", "Componenten", "Kans ≥ 90%", "Kans 10–90%", "Kans ≤ 10%"):
        view.add_column(column, justify="left" if column == "Onderdeel" else "right")
    for questionnaire, group in table.groupby("questionnaire", sort=False):
        p = group["p_meets_label"]
        view.add_row(
            rules.questionnaire_name(questionnaire),
            fmt_count(len(group)),
            fmt_count((p >= 0.9).sum()),
            fmt_count(((p > 0.1) & (p < 0.9)).sum()),
            fmt_count((p <= 0.1).sum()),
        )
    out.print(view)
    console.print(f"{fmt_count(len(table))} rows written to {out_file}")


@app.command("forecast-backtest")
def forecast_backtest_command(
    data: Path = DATA_ARGUMENT,
    year: int = typer.Option(..., "--year", help="A completed research year to check the forecast on."),
    months: list[int] = typer.Option([3, 6, 9], "--month", help="As-of months (repeatable; default 3, 6, 9)."),
    out_file: Path | None = typer.Option(None, "--out", help="CSV of every forecast with the actual outcome."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Check the label forecast on a past year: Brier score and calibration table per as-of month."""
    dataset = load_or_exit(data)
    rules = rules_or_exit(rules_path, year)
    joined = backtest(dataset, rules, year, tuple(months))
    if out_file is not None:
        write_csv_atomic(joined, out_file)
    for as_of, group in joined.groupby("as_of"):
        base = [group["met"].mean()] * len(group)
        out.print(
            f"t/m {as_of}: {fmt_count(len(group))} prognoses, "
            f"Brier {fmt_decimal(brier_score(group['p_meets_label'], group['met']), 3)} "
            f"(naïef: {fmt_decimal(brier_score(group['met_to_date'].astype(float), group['met']), 3)}, "
            f"basisfrequentie: {fmt_decimal(brier_score(base, group['met']), 3)})"
        )
        view = Table(title=f"Kalibratie t/m {as_of}")
        for column in ("Kansband", "n", "Gem. kans", "Gehaald", "90%-interval"):
            view.add_column(column, justify="right")
        for row in calibration_table(group["p_meets_label"], group["met"]).itertuples():
            view.add_row(
                row.band.replace(".", ","),
                fmt_count(row.n),
                fmt_pct(100 * row.mean_p, 1),
                fmt_pct(100 * row.observed, 1),
                f"{fmt_pct(100 * row.observed_low, 0)}–{fmt_pct(100 * row.observed_high, 0)}",
            )
        out.print(view)
