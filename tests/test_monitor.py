"""``kwh monitor`` end to end: dashboards made, self-contained, masked, contractors isolated."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from conftest import MONITOR_AS_OF
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.close.monitor import contractor_file_name, run_monitor
from kwh_calc.close.run import JOURNAL_NAME
from kwh_calc.intake.dataset import load_dataset

KWH = Path(sys.executable).with_name("kwh")


def _dashboards(summary) -> list[Path]:
    return [Path(r.pdf) for r in summary.records if r.status in ("ok", "skipped")]


def test_every_dashboard_is_made(monitor_engine_run):
    monitor_run = monitor_engine_run
    assert not monitor_run.failed, [r.error for r in monitor_run.failed]
    paths = _dashboards(monitor_run)
    assert (monitor_run.out_dir / "C001" / "monitor.html") in paths
    assert any(p.parent.name == "aannemers" for p in paths)
    manifest = json.loads((monitor_run.out_dir / "manifest.json").read_text())
    assert manifest["documents"]["C001/monitor"]["status"] == "ok"


def test_each_engine_names_itself(monitor_run, monitor_run_quarto):
    assert {r.engine for r in monitor_run.records} == {"builtin-html"}
    assert {r.engine for r in monitor_run_quarto.records} == {"quarto-html"}
    assert {r.inputs["engine"] for r in monitor_run_quarto.records} == {"quarto-html"}


def test_the_dashboard_is_self_contained(monitor_engine_run):
    text = (monitor_engine_run.out_dir / "C001" / "monitor.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert re.search(r'<html[^>]* lang="nl"', text)
    # No reference that would make a browser fetch something: no src/href to a URL, no @import.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)
    assert "@import" not in text
    assert "data:font/otf;base64," in text
    assert "vegaEmbed" in text
    assert "Content-Security-Policy" in text
    assert "Hoe is de prognose berekend?" in text
    # Under 2 MB (issue 14), most of it the vega bundle and the font.
    assert len(text.encode("utf-8")) < 2_000_000


def test_both_engines_make_the_same_page_body(monitor_run, monitor_run_quarto):
    def main(run):
        text = (run.out_dir / "C001" / "monitor.html").read_text(encoding="utf-8")
        body = text[text.index('<main id="inhoud">') : text.index("</main>")]
        return re.sub(r"commit \S+\.", "", body)  # the footer's provenance is the same commit anyway

    assert main(monitor_run) == main(monitor_run_quarto)


def test_key_figures_are_the_results(monitor_engine_run):
    monitor_run = monitor_engine_run
    results = monitor_run.out_dir / "results"
    scores = pd.read_parquet(results / "scores.parquet")
    row = scores[(scores["corporation_id"] == "C001") & (scores["questionnaire"] == "reparaties")].iloc[0]
    text = (monitor_run.out_dir / "C001" / "monitor.html").read_text(encoding="utf-8")
    assert f'data-kwh="score-reparaties">{row["score_display"]}<' in text
    assert f'data-kwh="pct-reparaties">{row["pct_display"]}<' in text
    assert re.search(r"\d,\d", text)  # Dutch decimal comma


def test_no_personal_data_from_open_answers(monitor_engine_run):
    monitor_run = monitor_engine_run
    for path in monitor_run.out_dir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for personal in (
            "06-12345678",
            "j.devries@example.nl",
            "Kerkstraat 12a",
            "1234 AB",
            "Ahmed",
            "Klaas Hoekstra",
            "Annie de Boer",
            "020-123 45 67",
        ):
            assert personal not in text, (path, personal)


def test_contractor_files_never_name_another_contractor(monitor_engine_run, demo_dir):
    monitor_run = monitor_engine_run
    respondents = load_dataset(demo_dir).respondents
    names = sorted(respondents.loc[respondents["aannemer"].notna(), "aannemer"].astype(str).unique())
    contractor_records = [r for r in monitor_run.records if r.document.startswith("monitor-aannemer/")]
    assert len(contractor_records) >= 2
    for record in contractor_records:
        own = record.parameters["aannemer"]
        for path in (Path(record.pdf), Path(record.executed_notebook)):
            text = path.read_text(encoding="utf-8")
            assert re.search(re.escape(own) + r"(?!\w)", text)
            for other in names:
                if other != own:
                    # Exact name, not a prefix of a longer one ("Aannemer A" vs "Aannemer AB").
                    assert not re.search(re.escape(other) + r"(?!\w)", text), (path.name, other)


def test_contractor_file_names_are_safe_and_distinct():
    assert contractor_file_name("Bouw & Co B.V.").startswith("bouw-co-b-v-")
    assert contractor_file_name("Bouw & Co") != contractor_file_name("Bouw-Co")
    assert contractor_file_name("../../etc").startswith("etc-")


def test_a_second_run_skips_unchanged_dashboards(monitor_run, demo_dir):
    again = run_monitor(
        demo_dir, MONITOR_AS_OF, monitor_run.out_dir.parent.parent, corporations=["C001"], contractors=True
    )
    assert again.count("skipped") == len(again.records)
    assert not again.failed


def test_command_refuses_a_malformed_month_an_unknown_engine_and_quarto_without_quarto(demo_dir, tmp_path, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(app, ["monitor", str(demo_dir), "--as-of", "2025-6", "--out", str(tmp_path)]).exit_code == 2
    base = ["monitor", str(demo_dir), "--as-of", "2025-06", "--out", str(tmp_path), "--corporation", "C001"]
    result = runner.invoke(app, [*base, "--engine", "typst"])
    assert result.exit_code == 1
    assert "choose auto, builtin or quarto" in result.output
    monkeypatch.setattr("kwh_calc.close.monitor.quarto_available", lambda: False)
    result = runner.invoke(app, [*base, "--engine", "quarto"])
    assert result.exit_code == 1
    assert "quarto CLI is not on PATH" in result.output
    assert not list((tmp_path / "monitor" / "2025-06").glob("C001/*.html"))  # refused before anything ran


def _wait(condition, deadline_s: float = 300.0) -> bool:
    """Poll until ``condition`` holds; a liveness bound for a shared machine, not a timing measurement."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_killed_monitor_makes_only_what_is_missing_or_stale(monitor_run, demo_dir, tmp_path):
    # The monitor tables of the same dataset, rules and code are reused (their meta matches).
    shutil.copytree(monitor_run.out_dir / "results", tmp_path / "monitor" / MONITOR_AS_OF / "results")
    corporations = sorted(load_dataset(demo_dir).corporations["corporation_id"])[:8]
    command = [str(KWH), "monitor", str(demo_dir), "--as-of", MONITOR_AS_OF, "--out", str(tmp_path), "--jobs", "1"]
    for corporation in corporations:
        command += ["--corporation", corporation]
    out_dir = tmp_path / "monitor" / MONITOR_AS_OF
    journal = out_dir / JOURNAL_NAME
    monitor = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _wait(lambda: (journal.exists() and journal.read_text().count("\n") >= 2) or monitor.poll() is not None)
        assert monitor.poll() is None, "the monitor ended before it could be killed"
        os.killpg(monitor.pid, signal.SIGKILL)
        monitor.wait(timeout=60)
    finally:
        if monitor.poll() is None:
            os.killpg(monitor.pid, signal.SIGKILL)
    assert not (out_dir / "manifest.json").exists()  # killed: only the journal knows what was made
    finished = {json.loads(line)["key"] for line in journal.read_text().splitlines() if line.endswith("}")}
    assert 2 <= len(finished) < len(corporations)
    # One finished dashboard damaged afterwards: stale, so made again.
    damaged = sorted(finished)[0]
    page = out_dir / damaged.split("/")[0] / "monitor.html"
    page.write_bytes(page.read_bytes()[:1000])

    again = run_monitor(demo_dir, MONITOR_AS_OF, tmp_path, corporations=corporations)
    assert not again.failed, [r.error for r in again.failed]
    skipped = {f"{r.corporation_id}/{r.document}" for r in again.records if r.status == "skipped"}
    made = {f"{r.corporation_id}/{r.document}" for r in again.records if r.status == "ok"}
    assert skipped == finished - {damaged}
    assert made == {f"{c}/monitor" for c in corporations} - skipped
    assert len(page.read_bytes()) > 1000
    assert not journal.exists()  # folded into the manifest
