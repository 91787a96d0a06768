"""The benchmarks run and agree with their references (their figures are read by hand)."""

import os

import pytest

from kwh_calc.bench import bench_close, bench_scores


def test_scores_benchmark_agrees_with_duckdb():
    figures = bench_scores(corporations=8, repeat=1)
    # bench_scores raises when kwh_calc and the DuckDB query disagree; here it did not.
    assert figures["rows_scores"] > 0
    assert figures["rows_breakdown"] > 0
    assert figures["ratio"] == pytest.approx(figures["kwh_calc_s"] / figures["duckdb_s"])
    assert figures["peak_memory_kwh_calc_mb"] <= figures["peak_memory_mb"]


def test_scores_benchmark_refuses_to_report_when_the_answers_disagree(monkeypatch):
    import kwh_calc.bench as bench

    real = bench.component_scores

    def off_by_a_tenth(results, rules, **kwargs):
        table = real(results, rules, **kwargs)
        return table.assign(score=table["score"] + 0.1)

    monkeypatch.setattr(bench, "component_scores", off_by_a_tenth)
    with pytest.raises(AssertionError, match="disagree"):
        bench_scores(corporations=4, repeat=1)


@pytest.mark.e2e
def test_close_benchmark_measures_documents_and_floor():
    figures = bench_close(corporations=6, sample=1, jobs=1, floor_runs=1)
    assert figures["failed"] == 0
    assert figures["documents"] >= 3
    assert figures["floor_papermill_s"] > 0
    assert figures["floor_typst_s"] > 0
    assert figures["ratio"] == pytest.approx(figures["per_document_worker_s"] / figures["floor_s"])
    # Every stage is measured, and the memory of the close's own processes, kernels included.
    assert figures["stage_execute_s"] > 0
    assert figures["stage_charts_s"] > 0
    assert figures["stage_pandoc_s"] > 0
    assert figures["stage_typst_s"] > 0
    assert figures["main_processes"] == 1
    assert figures["kernel_processes"] >= 1
    assert figures["kernel_peak_mb_max"] > 0
    assert figures["cpu_s"] > 0
    assert figures["peak_memory_at_once_mb"] >= figures["kernel_peak_mb_at_once"]
    assert 0 < figures["peak_pss_at_once_mb"] <= figures["peak_memory_at_once_mb"]
    assert figures["peak_pss_main_mb"] > 0
    assert figures["peak_pss_at_s"] > 0


def test_process_watch_counts_every_process_of_the_tree():
    import subprocess
    import sys

    from kwh_calc.bench import ProcessWatch

    child = "import time; block = bytearray(60_000_000); time.sleep(1.5)"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"]
    )
    with ProcessWatch(parent.pid, pss_interval=0.2) as watch:
        parent.wait()
    roles = watch.by_role()
    assert roles["main"]["processes"] == 1
    assert roles["other"]["processes"] >= 1
    assert roles["other"]["peak_mb_max"] > 55  # the child's 60 MB block
    assert watch.peak_total / 2**20 >= roles["other"]["peak_mb_max"]
    # Proportional sizes too: the block is the child's own, so it counts whole there.
    assert roles["other"]["pss_mb_max"] > 55
    assert watch.peak_pss_total <= watch.peak_total
    # The largest sum is told by role, with the moment it happened.
    assert sum(watch.peak_pss_mix.values()) == watch.peak_pss_total
    assert watch.peak_pss_mix.get("other", 0) / 2**20 > 55
    assert 0 < watch.peak_pss_when < 10


@pytest.mark.e2e
def test_monitor_benchmark_measures_dashboards(demo_dir):
    from kwh_calc.bench import bench_monitor

    figures = bench_monitor(data=demo_dir, jobs=1, sample=2)
    assert figures["failed"] == 0
    assert figures["dashboards"] == 2
    assert figures["per_dashboard_s"] == pytest.approx(figures["wall_s"] / 2)
    assert 0 < figures["size_mean_mb"] <= figures["size_max_mb"]
    assert figures["kernel_processes"] >= 1
    assert figures["peak_memory_at_once_mb"] > 0


def test_the_render_process_is_told_apart_by_its_pandoc():
    """A spawned worker with the kept pandoc as its child is the close's render process; one
    with a kernel, or none, is a worker."""
    from kwh_calc.bench import _roles

    class Process:
        def __init__(self, pid, ppid, cmdline):
            self.pid, self._ppid, self._cmdline = pid, ppid, cmdline

        def cmdline(self):
            return self._cmdline

        def ppid(self):
            return self._ppid

    spawned = ["python", "-c", "from multiprocessing.spawn import spawn_main; spawn_main()", "--multiprocessing-fork"]
    renderer, worker, dataset = Process(11, 1, spawned), Process(12, 1, spawned), Process(13, 1, spawned)
    pandoc = Process(21, 11, ["pandoc", "+RTS", "-H8m", "-RTS", "lua", "kwh-builtin-server.lua"])
    kernel = Process(22, 12, ["python", "-m", "ipykernel_launcher", "-f", "k.json"])
    roles = _roles([renderer, worker, dataset, pandoc, kernel])
    assert roles == {11: "renderer", 12: "worker", 13: "worker", 21: "pandoc", 22: "kernel"}


def test_the_render_process_keeps_its_role_when_its_pandoc_ends_first(monkeypatch):
    """As the close ends, the kept pandoc stops before the render process: its last samples show
    a spawned process without pandoc, which must not turn it into a worker (a national close
    once reported four workers and no render process)."""
    import subprocess
    import sys

    from kwh_calc import bench

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        seen = iter(["renderer", "worker"])
        monkeypatch.setattr(
            bench, "_roles", lambda processes: {p.pid: next(seen) if p.pid == child.pid else "other" for p in processes}
        )
        watch = bench.ProcessWatch(os.getpid())
        watch.sample()
        watch.sample()
        assert watch.roles[child.pid] == "renderer"
        assert watch.by_role()["renderer"]["processes"] == 1
    finally:
        child.kill()
        child.wait()
