"""``kwh bench``: benchmarks that print figures (run by hand; quoted in issue notes)."""

from __future__ import annotations

from pathlib import Path

import typer

from kwh_calc.cli.common import out
from kwh_calc.cli.typer_app import app

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
    data: Path | None = typer.Option(
        None, "--data", help="Close this dataset folder instead of a freshly generated demo."
    ),
) -> None:
    """The close of the national demo dataset: wall time, stages, memory of every process, floor."""
    from kwh_calc.bench import bench_close

    if engine not in ("builtin", "quarto"):
        out.print("--engine must be builtin or quarto")
        raise typer.Exit(2)
    f = bench_close(corporations=corporations, sample=sample, jobs=jobs, data=data, engine=engine)
    n = max(f["documents"], 1)
    out.print(
        f"documents made           {f['documents']:8.0f}     (failed {f['failed']:.0f}; jobs {jobs}; "
        f"load average {f['load_before']:.1f} before, {f['load_after']:.1f} after)"
    )
    out.print(
        f"close wall time          {f['close_wall_s']:8.1f} s   (goal < 180 s; results pass {f['results_s']:.1f} s)"
    )
    out.print(
        f"per document, wall       {f['per_document_s']:8.3f} s   "
        f"(goal ≤ 0,18 s; {f['documents_per_s']:.2f} documents/s)"
    )
    out.print(
        f"per document, worker     {f['per_document_worker_s']:8.3f} s   "
        f"(median notebook {f['notebook_median_s']:.2f} s, render {f['render_median_s']:.2f} s)"
    )
    out.print(f"CPU of all processes     {f['cpu_s']:8.1f} s   ({f['cpu_per_document_s']:.3f} s per document)")
    out.print("stages, summed over documents (worker-seconds):")
    for stage in ("execute", "charts", "export", "pandoc", "typst", "write"):
        seconds = f[f"stage_{stage}_s"]
        out.print(f"  {stage:<22} {seconds:8.1f} s   ({seconds / n:.3f} s per document)")
    out.print(
        f"floor: papermill imports {f['floor_papermill_s']:8.2f} s   "
        f"+ Typst compile {f['floor_typst_s']:.3f} s = {f['floor_s']:.2f} s"
    )
    out.print(f"ratio per document/floor {f['ratio']:8.2f}")
    out.print("peak memory per process: resident (RSS) / proportional (PSS, shared pages split):")
    for role in ("main", "worker", "renderer", "kernel", "pandoc", "other"):
        if f.get(f"{role}_processes"):
            out.print(
                f"  {role:<8} ×{f[role + '_processes']:<4.0f} largest {f[role + '_peak_mb_max']:5.0f} / "
                f"{f[role + '_pss_mb_max']:5.0f} MB, together at most {f[role + '_peak_mb_at_once']:5.0f} / "
                f"{f[role + '_pss_mb_at_once']:5.0f} MB, CPU {f[role + '_cpu_s']:.1f} s"
            )
    out.print(
        f"peak memory, all (RSS)   {f['peak_memory_at_once_mb']:8.0f} MB  "
        "summed over the processes alive at one moment (goal < 1536 MB)"
    )
    out.print(f"peak memory, all (PSS)   {f['peak_pss_at_once_mb']:8.0f} MB  the same, each shared page counted once")
    mix = ", ".join(
        f"{role} {f[f'peak_pss_{role}_mb']:.0f}"
        for role in ("main", "worker", "renderer", "kernel", "pandoc", "other")
        if f.get(f"peak_pss_{role}_mb")
    )
    out.print(f"  made up of (PSS, MB)   {mix}; at {f['peak_pss_at_s']:.0f} s into the close")
    if engine == "quarto":
        out.print(
            f"quarto: documents made   {f['quarto_documents']:8.0f}     (failed {f['quarto_failed']:.0f}; same sample)"
        )
        out.print(
            f"quarto: close wall time  {f['quarto_close_wall_s']:8.1f} s   (results pass {f['quarto_results_s']:.1f} s)"
        )
        out.print(
            f"per document, builtin    {f['per_document_without_results_s']:8.2f} s   (wall, results pass left out)"
        )
        out.print(
            f"per document, quarto     {f['quarto_per_document_s']:8.2f} s   "
            f"(median notebook {f['quarto_notebook_median_s']:.2f} s, render {f['quarto_render_median_s']:.2f} s)"
        )
        out.print(f"ratio quarto / builtin   {f['quarto_ratio']:8.2f}     (goal ≤ 1,5)")


@bench_app.command("monitor")
def bench_monitor_command(
    data: Path | None = typer.Option(None, "--data", help="Dataset folder (default: a freshly generated demo)."),
    as_of: str = typer.Option("2025-06", "--as-of", help="As-of month YYYY-MM."),
    jobs: int = typer.Option(2, "--jobs", min=1),
    sample: int | None = typer.Option(None, "--sample", help="Dashboards for N corporations only (default: all)."),
    contractors: bool = typer.Option(False, "--contractors", help="Also the contractor dashboards."),
    engine: str = typer.Option("builtin", "--engine", help="builtin | quarto"),
) -> None:
    """``kwh monitor`` on the national demo: wall time, seconds and MB per dashboard, peak memory."""
    from kwh_calc.bench import bench_monitor

    if engine not in ("builtin", "quarto"):
        out.print("--engine must be builtin or quarto")
        raise typer.Exit(2)
    f = bench_monitor(data=data, as_of=as_of, jobs=jobs, sample=sample, contractors=contractors, engine=engine)
    out.print(
        f"dashboards made          {f['dashboards']:8.0f}     (failed {f['failed']:.0f}; jobs {jobs}; engine {engine}; "
        f"load average {f['load_before']:.1f} before, {f['load_after']:.1f} after)"
    )
    out.print(f"wall time                {f['wall_s']:8.1f} s   (goal < 180 s; results pass {f['results_s']:.1f} s)")
    out.print(
        f"per dashboard, wall      {f['per_dashboard_s']:8.3f} s   "
        f"({f['per_dashboard_without_results_s']:.3f} s without the results pass)"
    )
    out.print(
        f"per dashboard, worker    {f['per_dashboard_worker_s']:8.3f} s   "
        f"(median notebook {f['notebook_median_s']:.2f} s, render {f['render_median_s']:.2f} s)"
    )
    out.print(f"size per file            {f['size_mean_mb']:8.2f} MB  (largest {f['size_max_mb']:.2f} MB; goal < 2 MB)")
    out.print(f"CPU of all processes     {f['cpu_s']:8.1f} s")
    for role in ("main", "worker", "kernel", "other"):
        if f.get(f"{role}_processes"):
            out.print(
                f"  {role:<8} ×{f[role + '_processes']:<4.0f} largest {f[role + '_peak_mb_max']:6.0f} MB, "
                f"together at most {f[role + '_peak_mb_at_once']:6.0f} MB"
            )
    out.print(
        f"peak memory, all         {f['peak_memory_at_once_mb']:8.0f} MB  (summed over the processes at one moment)"
    )
