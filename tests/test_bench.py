"""The benchmarks run and agree with their references (their figures are read by hand)."""

import pytest

from kwh_calc.bench import bench_close, bench_scores


def test_scores_benchmark_agrees_with_duckdb():
    figures = bench_scores(corporations=8, repeat=1)
    # bench_scores raises when kwh_calc and the DuckDB query disagree; here it did not.
    assert figures["rows_scores"] > 0 and figures["rows_breakdown"] > 0
    assert figures["kwh_calc_s"] > 0 and figures["duckdb_s"] > 0 and figures["ratio"] > 0
    assert figures["peak_memory_kwh_calc_mb"] <= figures["peak_memory_mb"]


@pytest.mark.e2e
def test_close_benchmark_measures_documents_and_floor():
    figures = bench_close(corporations=6, sample=1, jobs=1, floor_runs=1)
    assert figures["failed"] == 0 and figures["documents"] >= 3
    assert figures["floor_papermill_s"] > 0 and figures["floor_typst_s"] > 0
    assert figures["ratio"] == pytest.approx(figures["per_document_worker_s"] / figures["floor_s"])
