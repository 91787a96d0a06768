"""Hostile close: stopped mid-run, outputs damaged or stale; nothing lost, stale or left running.

- A close killed with SIGTERM or SIGKILL in a subprocess leaves no descendant process (workers,
  kernels, resource tracker) once it is gone; the deadline below is a liveness bound, not a
  timing measurement.
- Documents that finished before the kill are not made again.
- A truncated PDF is made again; a failed document's previous PDF is moved aside.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from kwh_calc.close.run import JOURNAL_NAME, load_documents, run_close
from kwh_calc.intake.dataset import load_dataset

pytestmark = pytest.mark.e2e
YEAR = 2025
RESULTATEN = [d for d in load_documents() if d.key == "resultaten"]
KWH = Path(sys.executable).with_name("kwh")
DEADLINE_S = 20.0  # generous: the machine is shared; the close itself stops in about a second


def _kernels(process: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in process.children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.Error:  # gone or a zombie: not running
            continue
    return alive


def _with_results(demo_results_dir, out: Path) -> Path:
    """Give the close the year's results already computed (same dataset and rules): saves a run's
    longest step; the close checks their meta and uses them."""
    shutil.copytree(demo_results_dir, out / str(YEAR) / "results")
    return out


def _wait(condition, deadline_s: float = 180.0) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_close_leaves_no_process_and_keeps_finished_documents(demo_dir, demo_results_dir, tmp_path, signum):
    _with_results(demo_results_dir, tmp_path)
    corporations = sorted(load_dataset(demo_dir).corporations["corporation_id"])[:3]
    command = [
        str(KWH),
        "close",
        str(demo_dir),
        "--year",
        str(YEAR),
        "--out",
        str(tmp_path),
        "--jobs",
        "2",
        "--engine",
        "builtin",
        "--document",
        "resultaten",
    ]
    for corporation in corporations:
        command += ["--corporation", corporation]
    close = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        main = psutil.Process(close.pid)
        journal = tmp_path / str(YEAR) / JOURNAL_NAME
        # Stop it once both workers run a kernel (SIGTERM: and a document has finished).
        need_journal = signum == signal.SIGTERM
        assert _wait(
            lambda: ((journal.exists() or not need_journal) and len(_kernels(main)) >= 2) or close.poll() is not None
        )
        assert close.poll() is None, "the close ended before it could be stopped"
        family = main.children(recursive=True)
        assert len(family) >= 4  # two workers with a kernel each (and the resource tracker)
        finished = {json.loads(line)["key"] for line in journal.read_text().splitlines()} if need_journal else set()
        close.send_signal(signum)
        close.wait(timeout=60)
        assert _wait(lambda: not _alive(family), DEADLINE_S), [p.cmdline() for p in _alive(family)]
    finally:
        if close.poll() is None:
            os.killpg(close.pid, signal.SIGKILL)
    if signum == signal.SIGKILL:
        return  # the re-run below is the same for both signals: once is enough
    errors = close.stderr.read()
    assert close.returncode == 143, errors.decode()
    assert b"Traceback" not in errors
    # The re-run does not redo what had finished, and finishes the rest.
    summary = run_close(
        demo_dir, YEAR, tmp_path, corporations=corporations, documents=RESULTATEN, outputs=[], engine="builtin"
    )
    skipped = {f"{r.corporation_id}/{r.document}" for r in summary.records if r.status == "skipped"}
    assert finished
    assert finished <= skipped
    assert summary.count("failed") == 0
    assert not list(tmp_path.rglob(".*.tmp"))  # nothing half-written under a final name or left as temporary


def test_damaged_outputs_are_made_again_and_a_failed_documents_pdf_is_set_aside(demo_dir, demo_results_dir, tmp_path):
    _with_results(demo_results_dir, tmp_path)
    picked = sorted(load_dataset(demo_dir).corporations["corporation_id"])[:1]
    first = run_close(demo_dir, YEAR, tmp_path, corporations=picked, documents=RESULTATEN, engine="builtin")
    assert first.count("failed") == 0, [r.error for r in first.failed]
    pdf = tmp_path / str(YEAR) / picked[0] / "resultaten.pdf"
    good = pdf.read_bytes()
    submission = tmp_path / str(YEAR) / "aedes-aanlevering.xlsx"
    good_xlsx = submission.read_bytes()

    # Truncated PDF and a changed national file: made again, byte-identical to the first run.
    pdf.write_bytes(good[: len(good) // 2])
    submission.write_bytes(good_xlsx + b"junk")
    second = run_close(demo_dir, YEAR, tmp_path, corporations=picked, documents=RESULTATEN, engine="builtin")
    made = {r.document for r in second.records if r.status == "ok"}
    assert made == {"resultaten", "aedes-aanlevering"}, [(r.document, r.status) for r in second.records]
    assert pdf.read_bytes() == good
    assert submission.read_bytes() == good_xlsx

    # The document now fails (a notebook that raises): the old PDF must not pass for this
    # run's, so it is moved aside; the manifest says failed.
    broken = tmp_path / "broken.ipynb"
    broken.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "id": "c1",
                        "metadata": {},
                        "outputs": [],
                        "source": "raise RuntimeError('synthetic failure')",
                    }
                ],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    failing = [dataclasses.replace(RESULTATEN[0], notebook=broken)]
    third = run_close(demo_dir, YEAR, tmp_path, corporations=picked, documents=failing, outputs=[], engine="builtin")
    assert [r.corporation_id for r in third.failed] == picked
    assert not pdf.exists()
    assert (pdf.parent / "resultaten.verouderd.pdf").read_bytes() == good
    assert "moved aside" in third.failed[0].error
    manifest = json.loads((tmp_path / str(YEAR) / "manifest.json").read_text())
    assert manifest["documents"][f"{picked[0]}/resultaten"]["status"] == "failed"
    assert not (tmp_path / str(YEAR) / JOURNAL_NAME).exists()  # folded into the manifest


def test_a_damaged_manifest_means_everything_is_made_again(demo_dir, tmp_path):
    out = tmp_path / str(YEAR)
    out.mkdir()
    (out / "manifest.json").write_bytes(b"\x00\xff not json")
    (out / JOURNAL_NAME).write_text('{"key": "x/y", "entry": {"status": "ok"}}\n{"key": "half')
    summary = run_close(demo_dir, YEAR, tmp_path, corporations=[], documents=[], outputs=None, engine="builtin")
    assert summary.count("ok") == 1
    assert summary.count("failed") == 0


def test_a_stop_signal_stops_the_close_not_only_the_document(tmp_path, monkeypatch):
    # With --jobs 1 documents run in the main process: SIGTERM there must end the close
    # (lifeline.Stopped), not be recorded as one failed document after which the next starts.
    import papermill

    from kwh_calc.close.run import run_document
    from kwh_calc.rendering.lifeline import Stopped

    def stopped(*args, **kwargs):
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(papermill, "execute_notebook", stopped)
    pdf = tmp_path / "C1" / "resultaten.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF previous")
    task = {
        "record": {"document": "resultaten"},
        "workdir": str(tmp_path / ".work"),
        "executed": str(tmp_path / "x.ipynb"),
        "kernels": "kept",
        "notebook": "n.ipynb",
        "parameters": {},
        "pdf": str(pdf),
    }
    with pytest.raises(Stopped):
        run_document(task)
    assert pdf.read_bytes() == b"%PDF previous"  # not moved aside: it did not fail, it was stopped
