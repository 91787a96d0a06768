"""``kwh removals template|report``: the removals register (docs/data-contract.md ``removals``, docs/methodology.md §6).

``kwh removals template --corporation ID --year Y [--out FILE]`` writes an empty register
(the docs/data-contract.md columns, header only) and explains the columns and the one allowed reason.
``kwh removals report DATA --year Y [--out FILE]`` prints, per corporation with removals in
Y, how many questionnaires were removed per component, the figures with and without them and
whether the removals change the label advice (:mod:`kwh_calc.calculations.removal_effect`); ``--out``
also writes the per-component table as CSV.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.table import Table

from kwh_calc.calculations.removal_effect import removal_advice, removal_components
from kwh_calc.cli.common import (
    DATA_ARGUMENT,
    RULES_OPTION,
    YEAR_OPTION,
    console,
    load_or_exit,
    out,
    rules_or_exit,
    write_csv_atomic,
)
from kwh_calc.cli.typer_app import app
from kwh_calc.common.numbers import fmt_count
from kwh_calc.intake.dataset import SAFE_ID_PATTERN
from kwh_calc.intake.removals import TEMPLATE_EXPLANATION, template_frame

removals_app = typer.Typer(
    help="The removals register (docs/data-contract.md removals): template and report.", no_args_is_help=True
)
app.add_typer(removals_app, name="removals")


@removals_app.command("template")
def template(
    corporation: str = typer.Option(..., "--corporation", help="Corporation id the removals are for."),
    year: int = YEAR_OPTION,
    out_file: Path | None = typer.Option(None, "--out", help="CSV to write (default removals-<ID>-<Y>.csv)."),
) -> None:
    """Write an empty removals register and explain its columns and the allowed reason."""
    if not re.fullmatch(SAFE_ID_PATTERN, corporation):
        console.print(f"Corporation id {corporation!r} is not a valid id (letters, digits, _ . -).", markup=False)
        raise typer.Exit(1)
    target = out_file or Path(f"removals-{corporation}-{year}.csv")
    write_csv_atomic(template_frame(), target)
    out.print(TEMPLATE_EXPLANATION.format(corporation_id=corporation, year=year), markup=False, soft_wrap=True)
    console.print(f"Empty register written to {target}", markup=False)


@removals_app.command("report")
def report(
    data: Path = DATA_ARGUMENT,
    year: int = YEAR_OPTION,
    rules_path: Path | None = RULES_OPTION,
    out_file: Path | None = typer.Option(None, "--out", help="Also write the per-component table as CSV."),
) -> None:
    """Print the register's effect in research year Y per corporation: counts, figures, advice."""
    dataset = load_or_exit(data)
    rules = rules_or_exit(rules_path, year)
    components = removal_components(dataset, rules, year)
    advice = removal_advice(dataset, rules, year)
    if out_file is not None:
        write_csv_atomic(components, out_file)
    if components.empty:
        out.print(f"No removals in {year} (register: {fmt_count(len(dataset.removals))} rows in all years).")
        return
    table = Table(title=f"Removals {year}: figures without / with the removed questionnaires")
    for column in ("corporation", "component", "removed", "respondents", "score", "% satisfied", "criterion 1"):
        table.add_column(
            column, justify="right" if column in ("removed", "respondents", "score", "% satisfied") else "left"
        )
    for row in components.itertuples():
        table.add_row(
            row.corporation_id,
            row.questionnaire_name,
            fmt_count(row.n_removed),
            f"{fmt_count(row.n_official)} / {fmt_count(row.n_including)}",
            f"{row.score_display_official} / {row.score_display_including}",
            f"{row.pct_display_official} / {row.pct_display_including}",
            f"{row.status_official} / {row.status_including}",
        )
    out.print(table)
    for row in advice.itertuples():
        if row.advice_changed:
            out.print(
                f"{row.corporation_id}: the removals CHANGE the advice: {row.advice_name_including} without the "
                f"register, {row.advice_name_official} with it ({row.components_changed}).",
                markup=False,
                soft_wrap=True,
            )
        else:
            out.print(
                f"{row.corporation_id}: advice {row.advice_name_official}, unchanged by "
                f"{fmt_count(row.n_removed)} removal(s).",
                markup=False,
                soft_wrap=True,
            )
    hidden = int((~components["show_including"].astype(bool)).sum())
    if hidden:
        out.print(
            f"'niet getoond': fewer than {rules.suppression.min_cell_size} counted respondents removed; the figures "
            "including them would reveal their grades (docs/methodology.md §6).",
            markup=False,
            soft_wrap=True,
        )
