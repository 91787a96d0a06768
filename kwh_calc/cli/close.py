"""``kwh close``: the annual close (papermill per corporation and document, PDFs, manifest)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from kwh_calc.cli.common import (
    DATA_ARGUMENT,
    RULES_OPTION,
    YEAR_OPTION,
    console,
    protect_dataset,
)
from kwh_calc.cli.typer_app import app
from kwh_calc.close.run import InputRefused, load_documents, load_outputs, run_close
from kwh_calc.common.atomic import OutputRefused


@app.command("close")
def close_command(
    data: Path = DATA_ARGUMENT,
    year: int = YEAR_OPTION,
    out: Path = typer.Option(
        Path("reports"), "--out", help="Reports root; documents go to <out>/<Y>/<corporation_id>/."
    ),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Parallel worker processes."),
    corporation: list[str] | None = typer.Option(None, "--corporation", help="Only these corporations (repeatable)."),
    sample: int | None = typer.Option(
        None, "--sample", min=1, help="Only N corporations spread over the dataset (demo)."
    ),
    document: list[str] | None = typer.Option(
        None, "--document", help="Only these documents (keys of params/documents.yml; repeatable)."
    ),
    engine: str = typer.Option("auto", "--engine", help="auto | quarto | builtin"),
    force: bool = typer.Option(False, "--force", help="Redo documents whose inputs did not change."),
    fresh_kernels: bool = typer.Option(
        False,
        "--fresh-kernels",
        help="A new kernel per document (slower; default keeps one per worker, cleared between documents).",
    ),
    rules_path: Path | None = RULES_OPTION,
) -> None:
    """Run the February close: results once, then every document per corporation as PDF.

    Exit status 0 when every document succeeded, 1 when any failed (they are listed).
    """
    if engine not in ("auto", "quarto", "builtin"):
        console.print("--engine must be auto, quarto or builtin")
        raise typer.Exit(2)
    if out.exists() and not out.is_dir():
        raise OutputRefused(out, "is not a folder (--out is the reports root)")
    # The dataset is checked where the close loads it (close.run.InputRefused): no copy here.
    protect_dataset(data)
    documents, outputs = load_documents(), load_outputs()
    if document:
        known = {d.key for d in documents} | {o.key for o in outputs}
        unknown = sorted(set(document) - known)
        if unknown:
            console.print(f"--document {', '.join(unknown)}: unknown; choose from {', '.join(sorted(known))}")
            raise typer.Exit(2)
        documents = [d for d in documents if d.key in document]
        outputs = [o for o in outputs if o.key in document]
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} mislukt"),
        TimeElapsedColumn(),
        TextColumn("nog"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(f"Jaarafsluiting {year}", total=None, failed=0)
        failed = 0

        def on_progress(record, done, total):
            nonlocal failed
            failed += record.status == "failed"
            progress.update(bar, completed=done, total=total, failed=failed)

        try:
            summary = run_close(
                data,
                year,
                out,
                jobs=jobs,
                corporations=corporation or None,
                sample=sample,
                engine=engine,
                force=force,
                rules_path=rules_path,
                documents=documents,
                outputs=outputs,
                kernels="fresh" if fresh_kernels else "kept",
                on_progress=on_progress,
            )
        except InputRefused as error:
            console.print(str(error), markup=False)
            raise typer.Exit(1) from None
        except ValueError as error:
            console.print(str(error))
            raise typer.Exit(2) from None
    console.print(
        f"Close {year}: {summary.count('ok')} made, {summary.count('skipped')} unchanged (skipped), "
        f"{summary.count('failed')} failed in {summary.duration_s:.1f} s. "
        f"Documents in {summary.out_dir}/, manifest {summary.out_dir / 'manifest.json'}, "
        f"log {summary.out_dir / 'close.log'}."
    )
    if summary.failed:
        table = Table(title="Mislukte documenten")
        for column in ("corporatie", "document", "fout", "uitgevoerd notebook"):
            table.add_column(column, overflow="fold")
        for record in summary.failed:
            table.add_row(
                record.corporation_id or "landelijk",
                record.document,
                (record.error or "")[:300],
                record.executed_notebook or "–",
            )
        console.print(table)
        raise typer.Exit(1)
