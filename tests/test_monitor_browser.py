"""The monitor dashboard in a real browser (Debian's chromium, headless, driven by Playwright).

Both engines' dashboards (the built-in HTML engine and Quarto's ``html`` format) pass the
same checks. Network off: every request other than the file itself is recorded and aborted; the test
requires none, no console error, every chart drawn and the key figures visible, at phone
and desktop widths. Screenshots go to the test's folder (``KWH_SCREENSHOTS`` to keep them).

On a machine without chromium (or Playwright) the tests skip with the reason; in CI
(``CI=true``) they fail instead, so a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WIDTHS = {"telefoon": 390, "desktop": 1280}


def _browser_or_skip():
    reason = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        reason = "playwright not installed (make setup installs it)"
    if reason is None and not Path(CHROMIUM).exists():
        reason = "chromium not installed (apt-get install chromium chromium-driver; make test does it as root)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _open(browser, path: Path, width: int):
    """Open a dashboard offline; returns (page, context, requests made elsewhere, console errors)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
    page = context.new_page()
    outside, errors = [], []
    own = path.resolve().as_uri()

    def route(request_route):
        if request_route.request.url == own:
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(own)
    page.wait_for_function(
        "document.readyState === 'complete' && "
        "document.querySelectorAll('.chart').length === document.querySelectorAll('.chart[data-drawn]').length",
        timeout=60_000,
    )
    return page, context, outside, errors


def _cells_beyond_the_screen(page, width: int) -> list[str]:
    """Texts of table cells whose right edge lies beyond the viewport (hidden in a sideways scroll)."""
    return page.evaluate(
        """width => [...document.querySelectorAll('tbody td, tbody th')]
            .filter(cell => cell.getBoundingClientRect().right > width + 1)
            .map(cell => cell.innerText)""",
        width,
    )


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_corporation_dashboard_in_a_browser(browser, monitor_engine_run, device, tmp_path):
    monitor_run = monitor_engine_run
    engine = monitor_run.records[0].engine
    path = monitor_run.out_dir / "C001" / "monitor.html"
    page, context, outside, errors = _open(browser, path, WIDTHS[device])
    try:
        assert outside == []
        assert errors == []
        charts = page.locator(".chart")
        assert charts.count() >= 3
        for index in range(charts.count()):
            assert charts.nth(index).locator("svg .mark-line, svg .mark-rect, svg .mark-symbol").count() > 0
        scores = pd.read_parquet(monitor_run.out_dir / "results" / "scores.parquet")
        row = scores[(scores["corporation_id"] == "C001") & (scores["questionnaire"] == "reparaties")].iloc[0]
        assert page.locator('[data-kwh="score-reparaties"]').inner_text() == row["score_display"]
        assert page.locator('[data-kwh="pct-reparaties"]').inner_text() == row["pct_display"]
        corporations = pd.read_parquet(monitor_run.out_dir / "results" / "corporations.parquet")
        assert page.locator("h1").inner_text() == corporations.set_index("corporation_id").loc["C001", "name"]
        assert page.locator("table caption").count() >= 3
        # Readable on a phone: the page never scrolls sideways and no table cell lies off screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[device] + 1
        assert _cells_beyond_the_screen(page, WIDTHS[device]) == []
        shots = Path(os.environ.get("KWH_SCREENSHOTS", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"monitor-C001-{engine}-{device}.png"), full_page=True)
        # Printable: the print layout keeps the figures and opens folded sections.
        page.emulate_media(media="print")
        assert page.locator("figure svg").count() == charts.count()
    finally:
        context.close()


def test_a_tooltip_is_dutch(browser, monitor_engine_run):
    monitor_run = monitor_engine_run
    path = monitor_run.out_dir / "C001" / "monitor.html"
    page, context, _, _ = _open(browser, path, 1280)
    try:
        bar = page.locator(".chart").first.locator("svg .mark-rect path").first
        bar.hover(force=True)
        page.wait_for_selector("#vg-tooltip-element.visible", timeout=10_000)
        text = page.locator("#vg-tooltip-element").inner_text()
        assert "Kans op het label" in text
        assert "%" in text
    finally:
        context.close()


def test_contractor_dashboard_in_a_browser(browser, monitor_engine_run):
    monitor_run = monitor_engine_run
    record = next(r for r in monitor_run.records if r.document.startswith("monitor-aannemer/"))
    page, context, outside, errors = _open(browser, Path(record.pdf), 390)
    try:
        assert outside == []
        assert errors == []
        assert record.parameters["aannemer"] in page.locator("h1 + .subtitle").inner_text()
        # Every column of every table is on screen: wide tables show one card per row on a phone.
        assert page.locator("table.stack").count() >= 1
        assert _cells_beyond_the_screen(page, 390) == []
    finally:
        context.close()
