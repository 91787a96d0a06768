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

__all__ = ["bench_close", "bench_monitor", "bench_scores"]

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

#: How often the process watcher samples the close's process tree, in seconds. Each sample lists
#: the machine's processes to find the tree and reads every process of it: at 0,1 s the watcher
#: took a tenth of a core from the close it measures. CPU times are cumulative, and the
#: processes' memory changes slowly, so four samples a second lose nothing.
SAMPLE_INTERVAL_S = 0.25
#: How often it also reads proportional set sizes. Reading a process's ``smaps_rollup`` walks
#: its page tables: ≈60 ms for a kernel (vl-convert's V8 reserves tens of GB of address
#: space), so at every sample the watcher itself took ≈15% of a core from the close it measures.
PSS_INTERVAL_S = 5.0


def _pss(pid: int) -> int | None:
    """Proportional set size of ``pid`` in bytes (Linux ``smaps_rollup``); None elsewhere."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _roles(processes) -> dict[int, str]:
    """What each process of the close is (by pid): worker, renderer, kernel, pandoc or other.

    Each command line is read once. The render process (ADR-050) is the worker whose child is
    the kept pandoc, told from the tree already listed (asking every worker for its children
    would scan all of /proc for each, at every sample); a worker that executes notebooks has a
    kernel as its child, the one that computes the results none.
    """
    commands: dict[int, str] = {}
    parents: dict[int, int] = {}
    for process in processes:
        try:
            commands[process.pid] = " ".join(process.cmdline())
            parents[process.pid] = process.ppid()
        except Exception:
            commands[process.pid] = ""  # ending: it can no longer tell
    runs_pandoc = {parents.get(pid) for pid, command in commands.items() if "pandoc" in command}
    roles = {}
    for pid, command in commands.items():
        if "ipykernel" in command:
            roles[pid] = "kernel"
        elif "pandoc" in command:
            roles[pid] = "pandoc"
        elif "multiprocessing.spawn" in command or "multiprocessing-fork" in command:
            roles[pid] = "renderer" if pid in runs_pandoc else "worker"
        else:
            roles[pid] = "other"
    return roles


class ProcessWatch:
    """Samples a process and all its descendants: per role (main, worker, renderer, kernel,
    pandoc) the largest resident memory of one process and of all of them at one moment, and
    CPU time.

    Roles are read again at every sample: a child just forked (before it runs its own
    program) still shows its parent's command line. Processes that live shorter than
    :data:`SAMPLE_INTERVAL_S` (most pandoc runs) may be missed, and their CPU time counts up
    to the last sample; the main process, workers and kernels live for the whole close.
    Resident memory counts pages shared between processes in each of them.
    """

    def __init__(self, pid: int, pss_interval: float = PSS_INTERVAL_S):
        import threading

        import psutil

        self.root = psutil.Process(pid)
        self.peak_rss: dict[tuple[int, str], int] = {}  # (pid, role) -> bytes
        self.cpu: dict[int, float] = {}  # pid -> user + system seconds, last seen
        self.roles: dict[int, str] = {}
        self.peak_at_once: dict[str, int] = {}  # role -> bytes, largest sum at one sample
        self.peak_total = 0  # bytes, the largest sum over all processes at one sample
        # The same with proportional set sizes (a page shared by n processes counts 1/n in
        # each), read every PSS_INTERVAL_S: what the processes of the close really occupy
        # together. Resident sizes count the shared libraries (Python, numpy, pandas, V8) once
        # in every process.
        self.peak_pss: dict[tuple[int, str], int] = {}
        self.peak_pss_at_once: dict[str, int] = {}
        self.peak_pss_total = 0
        # What made up the largest PSS sum: role -> bytes at that sample, and when (s after start).
        self.peak_pss_mix: dict[str, int] = {}
        self.peak_pss_when = 0.0
        self._started = time.monotonic()
        self.pss_interval = pss_interval
        self._pss_due = 0.0  # monotonic time of the next PSS reading
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_INTERVAL_S)

    def sample(self) -> None:
        """Read every living process of the tree once."""
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except Exception:
            return
        roles = _roles(processes)
        sums: dict[str, int] = {}
        pss_sums: dict[str, int] = {}
        read_pss = time.monotonic() >= self._pss_due
        if read_pss:
            self._pss_due = time.monotonic() + self.pss_interval
        for process in processes:
            try:
                rss = process.memory_info().rss
                times = process.cpu_times()
            except Exception:
                continue
            pss = (_pss(process.pid) or rss) if read_pss else 0
            role = "main" if process.pid == self.root.pid else roles[process.pid]
            if role == "worker" and self.roles.get(process.pid) == "renderer":
                role = "renderer"  # its pandoc ended first, as the close ends: still the render process
            # A process that is ending can no longer tell its command line ("other"): it
            # keeps the role it had. Memory counts for the role it has at this sample (a
            # child just forked carries its parent's pages until it runs pandoc or a kernel).
            if role != "other" or process.pid not in self.roles:
                self.roles[process.pid] = role
            sums[role] = sums.get(role, 0) + rss
            key = (process.pid, role)
            self.peak_rss[key] = max(self.peak_rss.get(key, 0), rss)
            if read_pss:
                pss_sums[role] = pss_sums.get(role, 0) + pss
                self.peak_pss[key] = max(self.peak_pss.get(key, 0), pss)
            self.cpu[process.pid] = times.user + times.system
        for role, total in sums.items():
            self.peak_at_once[role] = max(self.peak_at_once.get(role, 0), total)
        self.peak_total = max(self.peak_total, sum(sums.values()))
        for role, total in pss_sums.items():
            self.peak_pss_at_once[role] = max(self.peak_pss_at_once.get(role, 0), total)
        if sum(pss_sums.values()) > self.peak_pss_total:
            self.peak_pss_total = sum(pss_sums.values())
            self.peak_pss_mix = dict(pss_sums)
            self.peak_pss_when = time.monotonic() - self._started

    def by_role(self) -> dict[str, dict[str, float]]:
        """Per role: processes seen, largest peak of one process and largest sum at one
        moment (MB), summed CPU seconds."""
        summary: dict[str, dict[str, float]] = {}
        for pid, role in self.roles.items():
            entry = summary.setdefault(
                role,
                {
                    "processes": 0.0,
                    "peak_mb_max": 0.0,
                    "peak_mb_at_once": 0.0,
                    "pss_mb_max": 0.0,
                    "pss_mb_at_once": 0.0,
                    "cpu_s": 0.0,
                },
            )
            entry["processes"] += 1
            entry["peak_mb_max"] = max(entry["peak_mb_max"], self.peak_rss.get((pid, role), 0) / 2**20)
            entry["peak_mb_at_once"] = self.peak_at_once.get(role, 0) / 2**20
            entry["pss_mb_max"] = max(entry["pss_mb_max"], self.peak_pss.get((pid, role), 0) / 2**20)
            entry["pss_mb_at_once"] = self.peak_pss_at_once.get(role, 0) / 2**20
            entry["cpu_s"] += self.cpu.get(pid, 0.0)
        return summary


def _chart_cell_seconds(executed: Path) -> float:
    """Seconds spent in the cells of an executed notebook that show a chart (papermill's own
    cell timings): data preparation, Altair and the vl-convert render of the chart."""
    import json

    total = 0.0
    for cell in json.loads(Path(executed).read_text()).get("cells", []):
        outputs = cell.get("outputs") or []
        if any("image/svg+xml" in (o.get("data") or {}) for o in outputs):
            total += float((cell.get("metadata", {}).get("papermill") or {}).get("duration") or 0.0)
    return total


def close_command(data: Path, out: Path, year: int, jobs: int, sample: int | None) -> list[str]:
    """The ``kwh close`` command line the benchmark runs (built-in engine, forced)."""
    import sys

    command = [
        sys.executable,
        "-c",
        "from kwh_calc.cli import main; main()",
        "close",
        str(data),
        "--year",
        str(year),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--engine",
        "builtin",
        "--force",
    ]
    if sample is not None:
        command += ["--sample", str(sample)]
    return command


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
    data: Path | None = None,
    engine: str = "builtin",
) -> dict[str, float]:
    """Time the close of the national demo dataset and the papermill + Typst floor in one run.

    The close runs as ``kwh close`` in a process of its own, watched by :class:`ProcessWatch`,
    so that its memory is the close's alone (not the demo generation's) and every process is
    counted: the main process, the workers, their kernels and pandoc.

    Parameters
    ----------
    corporations, seed : size and seed of the generated demo dataset (ignored with ``data``).
    sample : render documents for that many corporations only (the national results stay
        whole); ``None`` is the full close.
    jobs : worker processes of the close.
    year : research year.
    floor_runs : runs of each floor measurement (the median is reported).
    data : an existing dataset folder to close instead of generating one.
    engine : ``"quarto"`` closes the same sample a second time with the Quarto engine, in this
        process (figures prefixed ``quarto_``; ``quarto_ratio`` is Quarto's seconds per document
        over the built-in engine's, the results pass left out of both).

    Returns
    -------
    dict
        Seconds (``*_s``), MB (``*_mb``), counts. Stage sums (``stage_*_s``) are summed over
        documents, in worker-seconds: ``execute`` (notebook run minus chart cells), ``charts``
        (cells showing a chart), ``pandoc``, ``typst``, ``write`` (the PDF) and ``export``
        (notebook → Markdown).
    """
    import json
    import os
    import statistics
    import subprocess

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
        if data is None:
            data = folder / "data"
            write_dataset(generate_demo(corporations=corporations, year=year, seed=seed), data)
        figures["load_before"] = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(
            close_command(Path(data), folder / "reports", year, jobs, sample),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        with ProcessWatch(process.pid) as watch:
            _, stderr = process.communicate()
        figures["close_wall_s"] = time.perf_counter() - started
        figures["load_after"] = os.getloadavg()[0]
        out_dir = folder / "reports" / str(year)
        if not (out_dir / "manifest.json").exists():
            raise RuntimeError(f"the close did not finish: {stderr[-2000:]}")
        manifest = json.loads((out_dir / "manifest.json").read_text())["documents"]
        made = [r for r in manifest.values() if r["status"] == "ok" and r.get("timings")]
        figures["documents"] = float(len(made))
        figures["failed"] = float(sum(r["status"] == "failed" for r in manifest.values()))
        figures["documents_per_s"] = len(made) / figures["close_wall_s"]
        figures["per_document_s"] = figures["close_wall_s"] / max(len(made), 1)
        figures["per_document_worker_s"] = figures["close_wall_s"] * jobs / max(len(made), 1)
        figures["notebook_median_s"] = statistics.median(r["timings"]["notebook"] for r in made)
        figures["render_median_s"] = statistics.median(r["timings"]["render"] for r in made)
        charts = sum(_chart_cell_seconds(Path(r["executed_notebook"])) for r in made)
        stages = {
            "execute": sum(r["timings"]["notebook"] for r in made) - charts,
            "charts": charts,
            **{
                stage: sum(r["timings"].get(f"render_{stage}", 0.0) for r in made)
                for stage in ("export", "pandoc", "typst", "write")
            },
        }
        for stage, seconds in stages.items():
            figures[f"stage_{stage}_s"] = seconds
        log_text = (out_dir / "close.log").read_text()
        figures["results_s"] = next(
            (
                float(line.split(" in ")[1].split(" s")[0])
                for line in log_text.splitlines()
                if "results computed" in line
            ),
            0.0,
        )
        figures["close_log_s"] = next(
            (
                float(line.split(" finished in ")[1].split(" s")[0])
                for line in log_text.splitlines()
                if " finished in " in line
            ),
            0.0,
        )
        for role, entry in watch.by_role().items():
            for key, value in entry.items():
                figures[f"{role}_{key}"] = value
        figures["peak_memory_at_once_mb"] = watch.peak_total / 2**20
        figures["peak_pss_at_once_mb"] = watch.peak_pss_total / 2**20
        figures["peak_pss_at_s"] = watch.peak_pss_when
        for role, size in watch.peak_pss_mix.items():
            figures[f"peak_pss_{role}_mb"] = size / 2**20
        figures["cpu_s"] = sum(watch.cpu.values())
        figures["cpu_per_document_s"] = figures["cpu_s"] / max(len(made), 1)
        figures["per_document_without_results_s"] = (figures["close_wall_s"] - figures["results_s"]) / max(len(made), 1)
        if engine == "quarto":
            started = time.perf_counter()
            quarto = run_close(Path(data), year, folder / "reports-quarto", jobs=jobs, sample=sample, engine="quarto")
            figures.update(_close_figures(quarto, time.perf_counter() - started, jobs, prefix="quarto_"))
            figures["quarto_ratio"] = figures["quarto_per_document_s"] / figures["per_document_without_results_s"]

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
        typical = sorted(made, key=lambda r: r["timings"]["notebook"])[len(made) // 2]
        workdir = folder / "render-floor"
        render_notebook(Path(typical["executed_notebook"]), folder / "floor.pdf", title="Vloer", workdir=workdir)
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
        figures["manifest_entries"] = float(len(manifest))
    return figures


def monitor_command(
    data: Path, out: Path, as_of: str, jobs: int, sample: int | None, contractors: bool, engine: str
) -> list[str]:
    """The ``kwh monitor`` command line the benchmark runs (``--force``: every dashboard made)."""
    import sys

    command = [
        sys.executable,
        "-c",
        "from kwh_calc.cli import main; main()",
        "monitor",
        str(data),
        "--as-of",
        as_of,
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--engine",
        engine,
        "--force",
    ]
    if sample is not None:
        command += ["--sample", str(sample)]
    if contractors:
        command.append("--contractors")
    return command


def bench_monitor(
    data: Path | None = None,
    as_of: str = "2025-06",
    jobs: int = 2,
    sample: int | None = None,
    contractors: bool = False,
    engine: str = "builtin",
    corporations: int = 250,
    seed: int = 2025,
) -> dict[str, float]:
    """Time ``kwh monitor`` on the national demo: wall time, seconds per dashboard, file sizes, memory.

    The monitor runs as ``kwh monitor --force`` in a process of its own, watched by
    :class:`ProcessWatch` (main process, workers, kernels). Figures, not a test.

    Parameters
    ----------
    data : dataset folder (default: a freshly generated demo of ``corporations``, ``seed``).
    as_of : the as-of month ``YYYY-MM``.
    jobs, sample, contractors, engine : as ``kwh monitor``.

    Returns
    -------
    dict
        Seconds (``*_s``), MB (``*_mb``), counts and the load average before and after.
    """
    import json
    import os
    import statistics
    import subprocess

    from kwh_calc.intake.demo import generate_demo

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        if data is None:
            data = folder / "data"
            write_dataset(generate_demo(corporations=corporations, year=int(as_of[:4]), seed=seed), data)
        figures["load_before"] = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(
            monitor_command(Path(data), folder / "reports", as_of, jobs, sample, contractors, engine),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        with ProcessWatch(process.pid) as watch:
            _, stderr = process.communicate()
        wall = time.perf_counter() - started
        figures["wall_s"] = wall
        figures["load_after"] = os.getloadavg()[0]
        out_dir = folder / "reports" / "monitor" / as_of
        if not (out_dir / "manifest.json").exists():
            raise RuntimeError(f"the monitor did not finish: {stderr[-2000:]}")
        records = json.loads((out_dir / "manifest.json").read_text())["documents"].values()
        made = [r for r in records if r["status"] == "ok" and r.get("timings")]
        count = max(len(made), 1)
        log_text = (out_dir / "monitor.log").read_text()
        results_s = next(
            (
                float(line.split(" in ")[1].split(" s")[0])
                for line in log_text.splitlines()
                if "results computed" in line
            ),
            0.0,
        )
        sizes = [Path(r["pdf"]).stat().st_size / 2**20 for r in made]
        figures.update(
            dashboards=float(len(made)),
            failed=float(sum(r["status"] == "failed" for r in records)),
            results_s=results_s,
            per_dashboard_s=wall / count,
            per_dashboard_without_results_s=(wall - results_s) / count,
            per_dashboard_worker_s=(wall - results_s) * jobs / count,
            notebook_median_s=statistics.median(r["timings"]["notebook"] for r in made) if made else 0.0,
            render_median_s=statistics.median(r["timings"]["render"] for r in made) if made else 0.0,
            size_mean_mb=statistics.fmean(sizes) if sizes else 0.0,
            size_max_mb=max(sizes, default=0.0),
            peak_memory_at_once_mb=watch.peak_total / 2**20,
            cpu_s=sum(watch.cpu.values()),
        )
        for role, entry in watch.by_role().items():
            for key, value in entry.items():
                figures[f"{role}_{key}"] = value
    return figures
