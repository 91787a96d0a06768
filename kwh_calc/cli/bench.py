"""``kwh bench``: benchmarks that print figures (run by hand; quoted in issue notes)."""

from __future__ import annotations

import typer

from kwh_calc.cli.app import app
from kwh_calc.cli.common import out

bench_app = typer.Typer(help="Benchmarks (figures to quote; not tests).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("scores")
def bench_scores_command(
    corporations: int = typer.Option(250, "--corporations"),
    repeat: int = typer.Option(3, "--repeat", min=1, help="Best of N timings."),
) -> None:
    """National scores (all corporations × questionnaires + a contractor breakdown) vs DuckDB SQL."""
    from kwh_calc.bench import bench_scores

    figures = bench_scores(corporations=corporations, repeat=repeat)
    out.print(f"demo generation          {figures['demo_generation_s']:8.2f} s   (goal < 30 s)")
    out.print(
        f"load + validate          {figures['load_and_validate_s']:8.2f} s   "
        f"({figures['respondents']:,.0f} respondents, {figures['answers']:,.0f} answers)"
    )
    out.print(
        f"kwh_calc scores          {figures['kwh_calc_s']:8.2f} s   "
        f"({figures['rows_scores']:,.0f} + {figures['rows_breakdown']:,.0f} rows)"
    )
    out.print(f"DuckDB SQL, same result  {figures['duckdb_s']:8.2f} s")
    out.print(f"ratio kwh_calc / DuckDB  {figures['ratio']:8.2f}     (goal ≤ 1,5)")
    out.print(
        f"peak memory kwh_calc     {figures['peak_memory_kwh_calc_mb']:8.0f} MB  "
        "(generation, load, scores; goal < 1024 MB)"
    )
    out.print(f"peak memory with DuckDB  {figures['peak_memory_mb']:8.0f} MB")


@bench_app.command("close")
def bench_close_command(
    corporations: int = typer.Option(250, "--corporations", help="Corporations in the demo dataset."),
    sample: int | None = typer.Option(
        None, "--sample", help="Render documents for N corporations only (default: all)."
    ),
    jobs: int = typer.Option(2, "--jobs", min=1),
    engine: str = typer.Option(
        "builtin", "--engine", help="builtin | quarto (the Quarto close beside the built-in one, same sample)."
    ),
) -> None:
    """The close of the national demo dataset against the floor (papermill + one Typst compile)."""
    from kwh_calc.bench import bench_close

    if engine not in ("builtin", "quarto"):
        out.print("--engine must be builtin or quarto")
        raise typer.Exit(2)
    f = bench_close(corporations=corporations, sample=sample, jobs=jobs, engine=engine)
    out.print(f"documents made           {f['documents']:8.0f}     (failed {f['failed']:.0f}; jobs {jobs})")
    out.print(f"close wall time          {f['close_wall_s']:8.1f} s   (results pass {f['results_s']:.1f} s)")
    out.print(f"documents per second     {f['documents_per_s']:8.2f}")
    out.print(
        f"per document (worker)    {f['per_document_worker_s']:8.2f} s   "
        f"(median notebook {f['notebook_median_s']:.2f} s, render {f['render_median_s']:.2f} s)"
    )
    out.print(
        f"floor: papermill imports {f['floor_papermill_s']:8.2f} s   "
        f"+ Typst compile {f['floor_typst_s']:.3f} s = {f['floor_s']:.2f} s"
    )
    out.print(f"ratio per document/floor {f['ratio']:8.2f}     (goal ≤ 1,3)")
    out.print(
        f"peak memory              {f['peak_memory_main_mb']:8.0f} MB main, "
        f"{f['peak_memory_child_mb']:.0f} MB largest worker/kernel"
    )
    if engine == "quarto":
        out.print(
            f"quarto: documents made   {f['quarto_documents']:8.0f}     (failed {f['quarto_failed']:.0f}; same sample)"
        )
        out.print(
            f"quarto: close wall time  {f['quarto_close_wall_s']:8.1f} s   (results pass {f['quarto_results_s']:.1f} s)"
        )
        out.print(f"per document, builtin    {f['per_document_s']:8.2f} s   (wall, results pass left out)")
        out.print(
            f"per document, quarto     {f['quarto_per_document_s']:8.2f} s   (median notebook {f['quarto_notebook_median_s']:.2f} s, render {f['quarto_render_median_s']:.2f} s)"
        )
        out.print(f"ratio quarto / builtin   {f['quarto_ratio']:8.2f}     (goal ≤ 1,5)")
