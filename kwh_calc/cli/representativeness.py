"""``kwh representativeness``: population, response and margin of error per component."""

from __future__ import annotations

from pathlib import Path

import typer

from kwh_calc.calculations.representativeness import representativeness_table
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
from kwh_calc.common.numbers import fmt_count, fmt_pct


@app.command("representativeness")
def representativeness_command(
    data: Path = DATA_ARGUMENT,
    year: int = YEAR_OPTION,
    out_file: Path = typer.Option(..., "--out", help="CSV to write (one row per corporation × questionnaire)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Margin of error per corporation × questionnaire for research year Y (docs/methodology.md §5.2).

    Columns include corporation_id, questionnaire, population (N), n (net response),
    response_rate (percent), margin_of_error (percentage points at 90% confidence, worst
    case 50%, finite population correction; full precision, empty when n = 0), meets_5pct,
    meets_10pct, required_n_5pct (net response needed for 5%, rounded up) and extra_n_5pct.
    """
    check_outputs(data, rules_path, **{"--out": out_file})
    dataset = load_or_exit(data)
    require_year_data(dataset, year)
    rules = rules_or_exit(rules_path, year)
    table = representativeness_table(dataset, rules, year)
    write_csv_atomic(table, out_file)

    components = len(table)
    meets_5 = int(table["meets_5pct"].sum())
    meets_10 = int(table["meets_10pct"].sum())

    def share(count: int) -> str:
        return fmt_pct(100.0 * count / components) if components else "–"

    out.print(
        f"Representativeness {year}: {fmt_count(components)} components of "
        f"{fmt_count(table['corporation_id'].nunique())} corporations; margin ≤ 5%: "
        f"{fmt_count(meets_5)} ({share(meets_5)}), ≤ 10%: {fmt_count(meets_10)} ({share(meets_10)})."
    )
    mismatched = int(table["population_mismatch"].sum())
    if mismatched:
        console.print(
            f"Note: {fmt_count(mismatched)} component(s) have more respondents than their population "
            "(deliveries starting before the year?); no finite population correction applied there."
        )
    console.print(f"Written to {out_file}")
