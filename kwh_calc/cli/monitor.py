"""``kwh monitor``: self-contained HTML dashboards of the year to date, per corporation and contractor."""

from __future__ import annotations

from pathlib import Path

import typer

from kwh_calc.cli.common import DATA_ARGUMENT, RULES_OPTION, console
from kwh_calc.cli.forecast import as_of_or_exit
from kwh_calc.cli.typer_app import app
from kwh_calc.common.numbers import fmt_count, fmt_decimal


@app.command("monitor")
def monitor_command(
    data: Path = DATA_ARGUMENT,
    as_of: str = typer.Option(..., "--as-of", help="Last service month counted, YYYY-MM (year to date: Jan..as-of)."),
    out: Path = typer.Option(
        Path("reports"), "--out", help="Reports root; dashboards go to <out>/monitor/<YYYY-MM>/<corporation_id>/."
    ),
    corporation: list[str] = typer.Option(None, "--corporation", help="Only these corporations (repeatable)."),
    sample: int | None = typer.Option(None, "--sample", help="Only this many corporations, spread over the ids."),
    contractors: bool = typer.Option(False, "--contractors", help="Also one dashboard per contractor (aannemer)."),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Parallel worker processes."),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="builtin (built-in HTML engine; what auto takes) or quarto (Quarto's html format, quarto on PATH).",
    ),
    force: bool = typer.Option(False, "--force", help="Redo dashboards whose inputs did not change."),
    fresh_kernels: bool = typer.Option(False, "--fresh-kernels", help="A new kernel per dashboard (slower)."),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Make one self-contained HTML dashboard per corporation (and contractor) for the year to date.

    A dashboard opens from disk with no network: scores, % tevreden against the label
    thresholds, the label forecast, 24-month series, peers, coverage, response, breakdowns,
    checkvraag, running Aedes sub-scores and masked open answers. Exit status 1 when any
    dashboard failed.
    """
    from kwh_calc.close.monitor import run_monitor
    from kwh_calc.intake.dataset import DatasetError

    as_of_or_exit(as_of)

    def progress(record, done, total):
        mark = {"ok": "ok", "skipped": "overgeslagen", "failed": "MISLUKT"}[record.status]
        console.print(
            f"[{done}/{total}] {record.corporation_id}/{record.document}: {mark}"
            + (f" ({record.error})" if record.error else ""),
            markup=False,
        )

    try:
        summary = run_monitor(
            data,
            as_of,
            out,
            jobs=jobs,
            corporations=corporation or None,
            sample=sample,
            contractors=contractors,
            engine=engine,
            force=force,
            rules_path=rules_path,
            kernels="fresh" if fresh_kernels else "kept",
            on_progress=progress,
        )
    except (ValueError, DatasetError, FileNotFoundError) as error:
        console.print(str(error), markup=False)
        raise typer.Exit(1) from None
    made = [r for r in summary.records if r.status == "ok"]
    console.print(
        f"Monitor t/m {as_of}: {fmt_count(len(made))} gemaakt, {fmt_count(summary.count('skipped'))} "
        f"overgeslagen, {fmt_count(summary.count('failed'))} mislukt in {fmt_decimal(summary.duration_s, 1)} s. "
        f"Dashboards: {summary.out_dir}/<corporation_id>/monitor.html"
    )
    if summary.failed:
        raise typer.Exit(1)
