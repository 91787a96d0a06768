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
    out.print(f"load + validate          {figures['load_and_validate_s']:8.2f} s   ({figures['respondents']:,.0f} respondents, {figures['answers']:,.0f} answers)")
    out.print(f"kwh_calc scores          {figures['kwh_calc_s']:8.2f} s   ({figures['rows_scores']:,.0f} + {figures['rows_breakdown']:,.0f} rows)")
    out.print(f"DuckDB SQL, same result  {figures['duckdb_s']:8.2f} s")
    out.print(f"ratio kwh_calc / DuckDB  {figures['ratio']:8.2f}     (goal ≤ 1,5)")
    out.print(f"peak memory kwh_calc     {figures['peak_memory_kwh_calc_mb']:8.0f} MB  (generation, load, scores; goal < 1024 MB)")
    out.print(f"peak memory with DuckDB  {figures['peak_memory_mb']:8.0f} MB")
