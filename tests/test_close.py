"""End-to-end: the annual close on a small demo (papermill, rendering, manifest, isolation)."""

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from pdfs import pdf_text as raw_pdf_text
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.close.run import (
    ensure_results,
    load_documents,
    run_close,
    select_corporations,
)
from kwh_calc.common.numbers import fmt_count
from kwh_calc.intake.dataset import load_dataset
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, load_rules
from kwh_calc.results.year import YearResults

pytestmark = pytest.mark.e2e
YEAR = 2025
RESULTATEN = [d for d in load_documents() if d.key == "resultaten"]


def pdf_text(path) -> str:
    return re.sub(r"\s+", " ", raw_pdf_text(path))


@pytest.fixture(scope="module")
def demo(demo_dir):
    return demo_dir


@pytest.fixture(scope="module")
def picked(demo):
    dataset = load_dataset(demo)
    counts = dataset.respondents.loc[dataset.respondents["service_month"].str.startswith(str(YEAR))]
    busiest = counts.groupby("corporation_id").size().sort_values(ascending=False).index[:2]
    return sorted(busiest)


@pytest.fixture(scope="module")
def first_close(demo, picked, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    summary = run_close(demo, YEAR, out, corporations=picked, documents=RESULTATEN, engine="builtin")
    return out, summary


def test_close_writes_pdfs_notebooks_manifest_and_log(first_close, picked):
    out, summary = first_close
    assert sum(r.status == "ok" and r.document == "resultaten" for r in summary.records) == 2
    assert not summary.failed
    for corporation_id in picked:
        assert (out / str(YEAR) / corporation_id / "resultaten.pdf").stat().st_size > 10_000
        assert (out / str(YEAR) / corporation_id / "resultaten.ipynb").exists()
    manifest = json.loads((out / str(YEAR) / "manifest.json").read_text())
    entry = manifest["documents"][f"{picked[0]}/resultaten"]
    assert entry["status"] == "ok"
    assert entry["engine"] == "builtin"
    assert entry["inputs"]["dataset_fingerprint"] == manifest["dataset_fingerprint"]
    assert entry["parameters"]["corporation_id"] == picked[0]
    assert entry["duration_s"] > 0
    assert {"python", "papermill", "typst"} <= set(entry["versions"])
    log = (out / str(YEAR) / "close.log").read_text()
    assert f"ok {picked[0]}/resultaten" in log
    assert (out / str(YEAR) / "results" / "scores.parquet").exists()
    # The national Aedes submission is made by the close too.
    assert (out / str(YEAR) / "aedes-aanlevering.xlsx").exists()
    assert (out / str(YEAR) / "aedes-aanlevering.csv").exists()
    assert manifest["documents"]["_national/aedes-aanlevering"]["status"] == "ok"
    assert not list((out / str(YEAR)).rglob("*.tmp"))
    work = out / str(YEAR) / ".work"
    assert not work.exists() or not any(work.iterdir())


def test_every_notebook_declares_exactly_the_parameters_the_close_injects(first_close, picked):
    """A renamed parameter would otherwise be injected beside the old one and silently ignored."""
    import papermill

    out, _ = first_close
    manifest = json.loads((out / str(YEAR) / "manifest.json").read_text())
    injected = set(manifest["documents"][f"{picked[0]}/resultaten"]["parameters"])
    assert injected == {"corporation_id", "year", "results_dir"}
    for document in load_documents():
        declared = papermill.inspect_notebook(str(document.notebook))
        assert set(declared) == injected, document.key
        assert declared["year"]["default"].isdigit(), document.key  # the close injects an int


def test_pdf_text_carries_the_figures_kwh_calc_computed(first_close, picked):
    out, _ = first_close
    for corporation_id in picked:
        text = pdf_text(out / str(YEAR) / corporation_id / "resultaten.pdf")
        view = YearResults(out / str(YEAR) / "results", corporation_id)
        scores = view.of("scores").query("year == @YEAR")
        assert view.corporation["name"] in text
        for row in scores.itertuples():
            name = view.rules.questionnaire_name(row.questionnaire)
            # The row of the results table: name, respondents, score, % satisfied (compared
            # without white space: table cells wrap long names over lines).
            # Totals below the minimum cell are not shown; a grensgeval is marked "(g)".
            minimum = view.rules.suppression.min_cell_size
            if row.n < minimum:
                figures = f"< {minimum} resp." * 2
            else:
                figures = (
                    f"{row.score_display}{'(g)' if row.borderline_score else ''}"
                    f"{row.pct_display}{'(g)' if row.borderline_pct else ''}"
                )
            row_text = f"{name}{fmt_count(row.n)}{figures}"
            assert re.sub(r"\s", "", row_text) in re.sub(r"\s", "", text), f"{corporation_id}: {row_text} not in PDF"
        assert "Pagina 1 van" in text
        assert "Onderzoeksjaar 2025" in text


def test_rerun_skips_unchanged_documents(first_close, demo, picked):
    out, _ = first_close
    pdf = out / str(YEAR) / picked[0] / "resultaten.pdf"
    before = pdf.stat().st_mtime_ns
    summary = run_close(demo, YEAR, out, corporations=picked, documents=RESULTATEN, engine="builtin")
    assert summary.count("skipped") == 3
    assert summary.count("ok") == 0
    assert pdf.stat().st_mtime_ns == before


def test_two_runs_give_byte_identical_pdfs_also_in_parallel(first_close, demo, picked, tmp_path):
    out, _ = first_close
    summary = run_close(
        demo,
        YEAR,
        tmp_path,
        corporations=picked,
        documents=RESULTATEN,
        outputs=[],
        engine="builtin",
        jobs=2,
        force=True,
    )
    assert summary.count("ok") == 2
    for corporation_id in picked:
        first = (out / str(YEAR) / corporation_id / "resultaten.pdf").read_bytes()
        second = (tmp_path / str(YEAR) / corporation_id / "resultaten.pdf").read_bytes()
        assert first == second, corporation_id


def test_changed_rules_redo_the_documents(first_close, demo, picked, tmp_path):
    out, _ = first_close
    rules = tmp_path / "rules.yml"
    rules.write_text(DEFAULT_RULES_PATH.read_text().replace("min_cell_size: 5", "min_cell_size: 6"))
    summary = run_close(
        demo, YEAR, out, corporations=picked[:1], documents=RESULTATEN, outputs=[], engine="builtin", rules_path=rules
    )
    assert summary.count("ok") == 1
    assert load_rules(rules).suppression.min_cell_size == 6


def test_one_failing_corporation_does_not_stop_the_others(demo, picked, tmp_path):
    dataset = load_dataset(demo)
    rules = load_rules(year=YEAR)
    results_dir = ensure_results(dataset, rules, YEAR, tmp_path / str(YEAR), DEFAULT_RULES_PATH)
    # Data that makes the notebook raise for one corporation: its row is missing from the results.
    corporations = pd.read_parquet(results_dir / "corporations.parquet")
    corporations.loc[corporations["corporation_id"] != picked[0]].to_parquet(
        results_dir / "corporations.parquet", index=False
    )
    summary = run_close(demo, YEAR, tmp_path, corporations=picked, documents=RESULTATEN, outputs=[], engine="builtin")
    assert [r.corporation_id for r in summary.failed] == [picked[0]]
    failed = summary.failed[0]
    assert "KeyError" in failed.error
    assert picked[0] in failed.error
    assert failed.executed_notebook
    assert "KeyError" in Path(failed.executed_notebook).read_text()
    assert not (tmp_path / str(YEAR) / picked[0] / "resultaten.pdf").exists()
    assert (tmp_path / str(YEAR) / picked[1] / "resultaten.pdf").exists()
    manifest = json.loads((tmp_path / str(YEAR) / "manifest.json").read_text())
    assert manifest["documents"][f"{picked[0]}/resultaten"]["status"] == "failed"

    # The command says so and exits non-zero; the good document is not made again.
    result = CliRunner().invoke(
        app,
        [
            "close",
            str(demo),
            "--year",
            str(YEAR),
            "--out",
            str(tmp_path),
            "--engine",
            "builtin",
            "--corporation",
            picked[0],
            "--corporation",
            picked[1],
            "--document",
            "resultaten",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Mislukte documenten" in result.output
    assert picked[0] in result.output
    assert "1 unchanged (skipped)" in result.output


def test_select_corporations(demo):
    dataset = load_dataset(demo)
    assert len(select_corporations(dataset, sample=4)) == 4
    assert select_corporations(dataset, ["C003", "C001"]) == ["C001", "C003"]
    with pytest.raises(ValueError, match="unknown corporation_id"):
        select_corporations(dataset, ["C999"])


def test_kept_kernel_gives_the_same_pdf_as_a_fresh_kernel(first_close, demo, picked, tmp_path):
    # In the first close picked[1] ran in a kernel that had just run picked[0]; here it gets
    # a kernel of its own. Nothing of the earlier document may leak into the later one.
    out, _ = first_close
    summary = run_close(
        demo,
        YEAR,
        tmp_path,
        corporations=picked[1:],
        documents=RESULTATEN,
        outputs=[],
        engine="builtin",
        kernels="fresh",
    )
    assert summary.count("ok") == 1
    kept = (out / str(YEAR) / picked[1] / "resultaten.pdf").read_bytes()
    assert (tmp_path / str(YEAR) / picked[1] / "resultaten.pdf").read_bytes() == kept


def test_a_kept_kernel_gives_every_document_as_a_fresh_kernel_does(demo, picked, tmp_path):
    # One kept kernel makes every document of two corporations in a row, with the results
    # tables, rules and national distributions it read for the first corporation remembered
    # (issue 13); the second corporation's PDFs must equal those of fresh kernels.
    kept = run_close(demo, YEAR, tmp_path / "kept", corporations=picked, outputs=[], engine="builtin")
    fresh = run_close(
        demo, YEAR, tmp_path / "fresh", corporations=picked[1:], outputs=[], engine="builtin", kernels="fresh"
    )
    assert not kept.failed
    assert not fresh.failed
    documents = [r.document for r in fresh.records if r.status == "ok" and r.corporation_id]
    assert {"resultaten", "representativiteit", "ckv-dossier"} <= set(documents)
    for key in documents:
        same = (tmp_path / "kept" / str(YEAR) / picked[1] / f"{key}.pdf").read_bytes()
        assert (tmp_path / "fresh" / str(YEAR) / picked[1] / f"{key}.pdf").read_bytes() == same, key
    national = "ckv-overzicht.pdf"
    assert (tmp_path / "kept" / str(YEAR) / national).read_bytes() == (
        tmp_path / "fresh" / str(YEAR) / national
    ).read_bytes()


def test_the_record_holds_the_render_stages(first_close):
    _, summary = first_close
    made = [r for r in summary.records if r.status == "ok" and r.timings]
    assert made
    assert all({"notebook", "render", "render_pandoc", "render_typst", "render_write"} <= set(r.timings) for r in made)


def test_relative_paths_work(demo, picked, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(demo)
    summary = run_close(
        "data", YEAR, "reports", corporations=picked[:1], documents=RESULTATEN, outputs=[], engine="builtin"
    )
    assert summary.count("ok") == 1, [r.error for r in summary.failed]
    assert (tmp_path / "reports" / str(YEAR) / picked[0] / "resultaten.pdf").exists()


def test_an_engine_that_cannot_run_is_refused_before_any_notebook(demo, picked, tmp_path, monkeypatch):
    monkeypatch.setattr("kwh_calc.rendering.render.quarto_available", lambda: False)
    with pytest.raises(ValueError, match="quarto CLI is not on PATH"):
        run_close(demo, YEAR, tmp_path, corporations=picked[:1], documents=RESULTATEN, outputs=[], engine="quarto")
    assert not (tmp_path / str(YEAR) / picked[0]).exists()


def test_a_missing_pandoc_is_refused_before_any_notebook(demo, picked, tmp_path, monkeypatch):
    from kwh_calc.rendering.render import RenderError

    def no_pandoc():
        raise RenderError("pandoc", "pandoc not found: pip install pypandoc-binary")

    monkeypatch.setattr("kwh_calc.rendering.render._pandoc_path", no_pandoc)
    with pytest.raises(ValueError, match="pandoc not found"):
        run_close(demo, YEAR, tmp_path, corporations=picked[:1], documents=RESULTATEN, outputs=[], engine="builtin")
    assert not (tmp_path / str(YEAR) / picked[0]).exists()


def test_changed_code_redoes_the_documents(first_close, demo, picked, monkeypatch):
    import kwh_calc.close.run as close

    out, _ = first_close
    monkeypatch.setattr(close, "code_fingerprint", lambda: "a changed kwh_calc")
    summary = run_close(demo, YEAR, out, corporations=picked[:1], documents=RESULTATEN, outputs=[], engine="builtin")
    assert summary.count("ok") == 1
    assert summary.count("skipped") == 0


def _task(tmp_path, name, *sources, timeout=None):
    """A DocumentTask for a small notebook, executed only (``defer_render``: no PDF needed)."""
    import nbformat

    from kwh_calc.close.run import DocumentTask

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in ("x = 1", *sources)]
    for cell in nb.cells:
        cell.metadata["tags"] = []
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, notebook)
    return DocumentTask(
        record={"document": name, "corporation_id": "C1"},
        notebook=str(notebook),
        parameters={"x": 2},
        pdf=str(tmp_path / "out" / f"{name}.pdf"),
        executed=str(tmp_path / "out" / f"{name}-executed.ipynb"),
        workdir=str(tmp_path / ".work" / name),
        defer_render=True,
        execution_timeout=timeout,
    )


def test_a_dying_kernel_or_a_hung_cell_fails_its_document_alone(tmp_path):
    # The kept-kernel engine once used a blocking client: a kernel that died hung the close and
    # the cell timeout was never enforced. Now each fails its own document, naming the cell,
    # and the next document of the same worker runs in a fresh kernel.
    from kwh_calc.close.run import _execute

    tasks = [
        _task(tmp_path, "dies", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "y = 1"),
        _task(tmp_path, "hangs", "import time\ntime.sleep(120)", timeout=2),
        _task(tmp_path, "fine", "y = x + 1"),
    ]
    records = {r["document"]: r for r in _execute(tasks, jobs=1)}
    assert records["dies"]["status"] == "failed"
    assert "DeadKernelError in cell 2 (import os, signal)" in records["dies"]["error"]
    assert records["hangs"]["status"] == "failed"
    assert "CellTimeoutError in cell 2 (import time)" in records["hangs"]["error"]
    assert records["fine"]["status"] == "executed"
    assert Path(records["dies"]["executed_notebook"]).exists()  # kept for the reader


def test_ctrl_c_stops_a_serial_close(tmp_path, monkeypatch):
    # --jobs 1 runs documents in the main process: a KeyboardInterrupt in one must end the
    # close, not become one failed document after which the next one starts.
    import papermill

    from kwh_calc.close.run import _execute

    calls = []

    def interrupted(*args, **kwargs):
        calls.append(args)
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    tasks = [_task(tmp_path, "one"), _task(tmp_path, "two")]
    with pytest.raises(KeyboardInterrupt):
        list(_execute(tasks, jobs=1))
    assert len(calls) == 1


def test_a_parallel_close_refuses_a_broken_dataset_with_its_message(demo, tmp_path):
    # With workers the dataset is loaded in a process of its own; its refusal (a DatasetError,
    # which does not survive pickling as itself) still reaches the caller as a ValueError
    # with the same message.
    import shutil

    broken = tmp_path / "data"
    shutil.copytree(demo, broken)
    path = next(broken.glob("corporations.*"))
    corporations = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    corporations.loc[0, "corporation_id"] = corporations.loc[1, "corporation_id"]
    if path.suffix == ".parquet":
        corporations.to_parquet(path)
    else:
        corporations.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"(?s)refused: .*corporation_id: must be unique"):
        run_close(broken, YEAR, tmp_path / "reports", jobs=2, documents=RESULTATEN, outputs=[], engine="builtin")


def test_a_render_that_kills_the_render_process_fails_its_document_alone(tmp_path):
    """Workers hand executed documents to the close's render process; one whose render takes
    that process down fails alone (its executed notebook kept), and a new process renders the
    next ones."""
    from dataclasses import replace

    from kwh_calc.close.run import _execute, _RenderProcess, _WorkerPool

    def task(name, renderer):
        return replace(_task(tmp_path, name), defer_render=False, render_apart=True, renderer=f"renderers:{renderer}")

    tasks = [task("first", "copy_notebook"), task("crash", "kill_the_process"), task("after", "copy_notebook")]
    renderer = _RenderProcess()
    with _WorkerPool(1) as pool:
        records = {r["document"]: r for r in _execute(tasks, jobs=1, pool=pool, renderer=renderer)}
        worker = pool.submit(os.getpid).result()
    renderer.close()
    assert records["first"]["status"] == records["after"]["status"] == "ok"
    assert records["crash"]["status"] == "failed"
    assert records["crash"]["error"].startswith("render: the render process stopped: BrokenProcessPool")
    assert Path(records["crash"]["executed_notebook"]).exists()  # kept for the reader
    assert not Path(tasks[1].pdf).exists()
    rendered_by = {Path(t.pdf).with_suffix(".pid").read_text() for t in (tasks[0], tasks[2])}
    assert len(rendered_by) == 2  # the process was replaced
    assert str(worker) not in rendered_by  # rendered apart from the worker
    assert all(t["timings"]["notebook"] > 0 for t in (records["first"], records["after"]))


def test_national_documents_are_handed_out_first(demo, picked, tmp_path, monkeypatch):
    """The CKV overview (national, the longest document) goes to a worker first: handed out
    last, it ended the close alone while the other worker was idle."""
    from kwh_calc.close import run as close

    documents = [d for d in load_documents() if d.key in ("resultaten", "ckv-overzicht")]
    assert documents[0].scope != "national"  # the registry lists it after the corporations' documents
    handed_out = []

    def run_documents(tasks, records, pool, jobs, out_dir, on_progress, started, year, renderer=None):
        handed_out.extend(tasks)
        return close.CloseSummary(year, out_dir, records, 0.0)

    monkeypatch.setattr(close, "_run_documents", run_documents)
    run_close(demo, YEAR, tmp_path, corporations=picked, documents=documents, outputs=[], engine="builtin")
    assert [t.record["corporation_id"] for t in handed_out] == [None, *picked]


def test_the_log_names_a_national_document_landelijk(caplog):
    import logging

    from kwh_calc.close.run import DocumentRecord, log_record

    logger = logging.getLogger("test-close-log")
    national = DocumentRecord("ckv-overzicht", None, "ok", "key", {}, duration_s=1.4)
    failed = DocumentRecord("resultaten", "C001", "failed", "key", {}, error="render: stop")
    with caplog.at_level(logging.INFO, logger="test-close-log"):
        log_record(logger, national)
        log_record(logger, failed)
    assert caplog.messages[0] == "ok landelijk/ckv-overzicht in 1.4 s"
    assert caplog.messages[1].startswith("FAILED C001/resultaten: render: stop")
