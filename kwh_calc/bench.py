"""Benchmarks run by hand (``kwh bench scores``): figures to quote in notes, never timed tests.

``bench_scores`` generates the default national demo dataset, times the full national scores
computation (all corporations × questionnaires plus one breakdown) and the same aggregation
as a DuckDB SQL query on the same data in the same run, checks that both agree, and reports
both times, their ratio, the demo generation time and the process's peak memory.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from kwh_calc.calculations.scores import component_scores, research_months, respondent_results
from kwh_calc.intake.dataset import load_dataset, write_dataset
from kwh_calc.intake.rules import load_rules

__all__ = ["bench_scores"]

T = TypeVar("T")

DUCKDB_SCORES = """
WITH r AS (
    SELECT response_id, corporation_id, questionnaire, aannemer FROM respondents
    WHERE service_month BETWEEN $first AND $last),
m AS (
    SELECT r.response_id, r.corporation_id, r.questionnaire, r.aannemer,
           sum(a.grade) AS s, count(a.grade) AS c
    FROM answers a
    JOIN r USING (response_id)
    JOIN questions q ON q.questionnaire = r.questionnaire AND q.question_id = a.question_id
    WHERE q.label_question AND a.grade IS NOT NULL
    GROUP BY ALL)
SELECT corporation_id, questionnaire, {group} count(*) AS n, avg(s / c) AS score,
       100.0 * avg(CASE WHEN 2 * s >= 11 * c THEN 1 ELSE 0 END) AS pct_satisfied
FROM m GROUP BY ALL
"""


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best_of(function: Callable[[], T], repeat: int) -> tuple[float, T]:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    if value is None:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    return best, value


def bench_scores(corporations: int = 250, year: int = 2025, seed: int = 2025, repeat: int = 3) -> dict[str, float]:
    """Run the scores benchmark; returns the figures (seconds, MB, counts)."""
    import duckdb

    from kwh_calc.intake.demo import generate_demo

    figures: dict[str, float] = {}
    started = time.perf_counter()
    tables = generate_demo(corporations=corporations, year=year, seed=seed)
    figures["demo_generation_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(tables, Path(folder))
        del tables
        started = time.perf_counter()
        dataset = load_dataset(folder)
        figures["load_and_validate_s"] = time.perf_counter() - started
    rules = load_rules(year=year)
    first, last = research_months(year)
    figures["respondents"] = float(len(dataset.respondents))
    figures["answers"] = float(len(dataset.answers))

    def ours():
        results = respondent_results(dataset, rules, first_month=first, last_month=last)
        return component_scores(results, rules), component_scores(
            results.loc[results["aannemer"].notna()], rules, by="aannemer"
        )

    connection = duckdb.connect(config={"threads": 2})
    for name in ("respondents", "answers", "questions"):
        connection.register(name, getattr(dataset, name))

    def theirs():
        params = {"first": first, "last": last}
        plain = connection.execute(DUCKDB_SCORES.format(group=""), params).df()
        grouped = connection.execute(
            DUCKDB_SCORES.format(group="aannemer,").replace(
                "FROM m GROUP BY ALL", "FROM m WHERE aannemer IS NOT NULL GROUP BY ALL"
            ),
            params,
        ).df()
        return plain, grouped

    figures["kwh_calc_s"], (plain, grouped) = _best_of(ours, repeat)
    # High-water mark of generation, load + validation and our scoring, before DuckDB runs.
    figures["peak_memory_kwh_calc_mb"] = _peak_memory_mb()
    figures["duckdb_s"], (sql_plain, sql_grouped) = _best_of(theirs, repeat)
    figures["ratio"] = figures["kwh_calc_s"] / figures["duckdb_s"]
    check = plain.merge(sql_plain, on=["corporation_id", "questionnaire"], suffixes=("", "_sql"))
    if (
        len(check) != len(plain)
        or len(sql_grouped) != len(grouped)
        or not (
            np.allclose(check["score"], check["score_sql"])
            and np.allclose(check["pct_satisfied"], check["pct_satisfied_sql"])
            and (check["n"] == check["n_sql"]).all()
        )
    ):
        raise AssertionError("kwh_calc and DuckDB disagree on the national scores")
    figures["rows_scores"] = float(len(plain))
    figures["rows_breakdown"] = float(len(grouped))
    figures["peak_memory_mb"] = _peak_memory_mb()
    return figures


FLOOR_IMPORTS = """import altair as alt
from kwh_calc.common.numbers import fmt_count, fmt_grade
from kwh_calc.presentation.present import chart, markdown, table
from kwh_calc.results.year import YearResults
"""


def _children_peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _close_figures(summary, wall_s: float, jobs: int, prefix: str = "") -> dict[str, float]:
    """Seconds per document of one close; ``documents_s`` leaves out the results pass."""
    import statistics

    made = [r for r in summary.records if r.status == "ok" and r.timings]
    log_text = (summary.out_dir / "close.log").read_text()
    results_s = next(
        (float(line.split(" in ")[1].split(" s")[0]) for line in log_text.splitlines() if "results computed" in line),
        0.0,
    )
    count = max(len(made), 1)
    return {
        f"{prefix}close_wall_s": wall_s,
        f"{prefix}documents": float(len(made)),
        f"{prefix}failed": float(len(summary.failed)),
        f"{prefix}documents_per_s": len(made) / wall_s,
        f"{prefix}per_document_worker_s": wall_s * jobs / count,
        f"{prefix}per_document_s": (wall_s - results_s) / count,
        f"{prefix}notebook_median_s": statistics.median(r.timings["notebook"] for r in made) if made else 0.0,
        f"{prefix}render_median_s": statistics.median(r.timings["render"] for r in made) if made else 0.0,
        f"{prefix}results_s": results_s,
    }


def bench_close(
    corporations: int = 250,
    sample: int | None = None,
    jobs: int = 2,
    year: int = 2025,
    seed: int = 2025,
    floor_runs: int = 3,
    engine: str = "builtin",
) -> dict[str, float]:
    """Time the close of the national demo dataset and the papermill + Typst floor in one run.

    ``sample`` renders documents for that many corporations only (the national results stay
    whole); ``None`` is the full close. The floor is papermill on a notebook holding only the
    documents' imports, plus one Typst compile of a document of the same size. With
    ``engine="quarto"`` the same sample is closed a second time with the Quarto engine (figures
    prefixed ``quarto_``; ``quarto_ratio`` is Quarto's seconds per document over the built-in
    engine's, results pass left out of both).
    """
    import json
    import statistics

    import nbformat
    import papermill
    import typst

    from kwh_calc.close.run import run_close
    from kwh_calc.common.paths import fonts_dir
    from kwh_calc.intake.demo import generate_demo
    from kwh_calc.rendering.render import render_notebook

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        write_dataset(generate_demo(corporations=corporations, year=year, seed=seed), folder / "data")
        started = time.perf_counter()
        summary = run_close(folder / "data", year, folder / "reports", jobs=jobs, sample=sample, engine="builtin")
        figures.update(_close_figures(summary, time.perf_counter() - started, jobs))
        made = [r for r in summary.records if r.status == "ok" and r.timings]
        if engine == "quarto":
            started = time.perf_counter()
            quarto = run_close(
                folder / "data", year, folder / "reports-quarto", jobs=jobs, sample=sample, engine="quarto"
            )
            figures.update(_close_figures(quarto, time.perf_counter() - started, jobs, prefix="quarto_"))
            figures["quarto_ratio"] = figures["quarto_per_document_s"] / figures["per_document_s"]
        figures["peak_memory_main_mb"] = _peak_memory_mb()
        figures["peak_memory_child_mb"] = _children_peak_memory_mb()

        # The floor, measured in the same run.
        empty = nbformat.v4.new_notebook()
        empty.cells = [nbformat.v4.new_code_cell(FLOOR_IMPORTS)]
        empty.cells[0].metadata["tags"] = []
        empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(empty, folder / "floor.ipynb")
        papermill_times = []
        for _ in range(floor_runs):
            started = time.perf_counter()
            papermill.execute_notebook(
                str(folder / "floor.ipynb"),
                str(folder / "floor-out.ipynb"),
                progress_bar=False,
                kernel_name="python3",
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
            papermill_times.append(time.perf_counter() - started)
        typical = made[len(made) // 2]
        assert typical.executed_notebook is not None, "a document made has its executed notebook"
        workdir = folder / "render-floor"
        render_notebook(Path(typical.executed_notebook), folder / "floor.pdf", title="Vloer", workdir=workdir)
        source = next(workdir.rglob("*.typ"), None)
        typst_times = []
        for _ in range(floor_runs):
            started = time.perf_counter()
            typst.compile(str(source), font_paths=[str(fonts_dir())], ignore_system_fonts=True, root=str(workdir))
            typst_times.append(time.perf_counter() - started)
        figures["floor_papermill_s"] = statistics.median(papermill_times)
        figures["floor_typst_s"] = statistics.median(typst_times)
        figures["floor_s"] = figures["floor_papermill_s"] + figures["floor_typst_s"]
        figures["ratio"] = figures["per_document_worker_s"] / figures["floor_s"]
        figures["manifest_entries"] = float(
            len(json.loads((summary.out_dir / "manifest.json").read_text())["documents"])
        )
    return figures
