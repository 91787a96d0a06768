"""``kwh monitor`` end to end: dashboards made, self-contained, masked, contractors isolated."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from conftest import MONITOR_AS_OF
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.close.monitor import contractor_file_name, run_monitor
from kwh_calc.intake.dataset import load_dataset


def _dashboards(summary) -> list[Path]:
    return [Path(r.pdf) for r in summary.records if r.status in ("ok", "skipped")]


def test_every_dashboard_is_made(monitor_run):
    assert not monitor_run.failed, [r.error for r in monitor_run.failed]
    paths = _dashboards(monitor_run)
    assert (monitor_run.out_dir / "C001" / "monitor.html") in paths
    assert any(p.parent.name == "aannemers" for p in paths)
    manifest = json.loads((monitor_run.out_dir / "manifest.json").read_text())
    assert manifest["documents"]["C001/monitor"]["status"] == "ok"


def test_the_dashboard_is_self_contained(monitor_run):
    text = (monitor_run.out_dir / "C001" / "monitor.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in text
    # No reference that would make a browser fetch something: no src/href to a URL, no @import.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)
    assert "@import" not in text
    assert "data:font/otf;base64," in text
    assert "vegaEmbed" in text
    assert "Hoe is de prognose berekend?" in text


def test_key_figures_are_the_results(monitor_run):
    results = monitor_run.out_dir / "results"
    scores = pd.read_parquet(results / "scores.parquet")
    row = scores[(scores["corporation_id"] == "C001") & (scores["questionnaire"] == "reparaties")].iloc[0]
    text = (monitor_run.out_dir / "C001" / "monitor.html").read_text(encoding="utf-8")
    assert f'data-kwh="score-reparaties">{row["score_display"]}<' in text
    assert f'data-kwh="pct-reparaties">{row["pct_display"]}<' in text
    assert re.search(r"\d,\d", text)  # Dutch decimal comma


def test_no_personal_data_from_open_answers(monitor_run):
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


def test_contractor_files_never_name_another_contractor(monitor_run, demo_dir):
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


def test_command_refuses_a_malformed_month_and_quarto(demo_dir, tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["monitor", str(demo_dir), "--as-of", "2025-6", "--out", str(tmp_path)]).exit_code == 2
    result = runner.invoke(
        app,
        [
            "monitor",
            str(demo_dir),
            "--as-of",
            "2025-06",
            "--out",
            str(tmp_path),
            "--engine",
            "quarto",
            "--corporation",
            "C001",
        ],
    )
    assert result.exit_code == 1
    assert "issue 10" in result.output
