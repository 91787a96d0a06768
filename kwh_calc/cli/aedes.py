"""``kwh aedes``: the Aedes-benchmark Huurdersoordeel per member (final or running figures)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from kwh_calc.calculations.aedes import (
    aedes_results,
    benchmark_year_at,
    national_summary,
    to_csv_frame,
)
from kwh_calc.cli.common import (
    DATA_ARGUMENT,
    RULES_OPTION,
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
from kwh_calc.exports.aedes_submission import submission_metadata, write_submission_xlsx


@app.command("aedes")
def aedes_command(
    data: Path = DATA_ARGUMENT,
    year: int | None = typer.Option(
        None,
        "--year",
        help="Benchmark year Y (service months Sep Y-1 – Jul Y, responses completed up to the freeze, 31 Aug Y). "
        "Optional with --as-of: then the benchmark year in progress at that date.",
    ),
    out_file: Path = typer.Option(..., "--out", help="CSV to write: one row per Aedes member."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Monitoring date YYYY-MM-DD (Klantvizier tile): running figures of service months up to this month, "
        "responses completed up to this date; frozen from the freeze date on.",
    ),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the national submission workbook (.xlsx)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Aedes-benchmark Huurdersoordeel: per member the sub-scores Nieuwe huurders, Reparatieverzoeken and
    Vertrokken huurders (n, unrounded score, grade, letter, % dissatisfied, margin, boundary flag) and the
    overall letter.
    """
    as_of_date: date | None = None
    if as_of is not None:
        try:
            as_of_date = date.fromisoformat(as_of)
        except ValueError:
            console.print(f"--as-of {as_of}: not a date YYYY-MM-DD")
            raise typer.Exit(2) from None
    if year is None:
        if as_of_date is None:
            console.print("Give --year Y, or --as-of DATE for the benchmark year in progress at that date.")
            raise typer.Exit(2)
        year = benchmark_year_at(as_of_date, rules_or_exit(rules_path, as_of_date.year))
    check_outputs(data, rules_path, **{"--out": out_file, "--xlsx": xlsx})
    dataset = load_or_exit(data)
    # The benchmark year counts service months Sep Y-1 – Jul Y: some data in Y-1 or Y is required.
    require_year_data(dataset, year, f"{year - 1:04d}-01", f"{year:04d}-12")
    rules = rules_or_exit(rules_path, year)
    results = aedes_results(dataset, rules, year, as_of=as_of_date)
    period = results.attrs["period"]
    write_csv_atomic(to_csv_frame(results), out_file)
    if xlsx is not None:
        write_submission_xlsx(results, xlsx, submission_metadata(dataset, rules, year, as_of=as_of_date, period=period))

    state = "definitief (bevroren)" if period.frozen else f"tussenstand per {period.as_of:%d-%m-%Y}"
    view = Table(
        title=f"Aedes-benchmark {year}, Huurdersoordeel: {state}; maanden {period.counted_nl()}, "
        f"ingevuld t/m {period.completed_on_or_before:%d-%m-%Y}"
    )
    letters = [b.letter for b in sorted(rules.aedes.letters, key=lambda b: b.min_grade, reverse=True)]
    for column in ("Deelscore", "Corp.", "Resp.", "Gem. corp.", "Landelijk", "% ontevr.", *letters):
        view.add_column(column, justify="left" if column == "Deelscore" else "right")
    for row in national_summary(results, rules).itertuples():
        view.add_row(
            row.subscore,
            fmt_count(row.n_corporations),
            fmt_count(row.n_respondents),
            fmt_grade(row.mean_of_corporations),
            fmt_grade(row.pooled_score),
            fmt_pct(row.pct_dissatisfied),
            *(fmt_count(getattr(row, f"n_{letter}")) for letter in letters),
        )
    out.print(view)
    overall = results["overall_letter"].value_counts()
    counts = ", ".join(f"{letter} {fmt_count(overall.get(letter, 0))}" for letter in letters)
    missing = int(results["overall_letter"].isna().sum())
    out.print(f"Totaalletter: {counts}; zonder totaalletter {fmt_count(missing)}")
    console.print(
        f"{fmt_count(len(results))} Aedes members written to {out_file}" + (f"; submission to {xlsx}" if xlsx else "")
    )
