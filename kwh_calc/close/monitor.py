"""Monitoring during the year: one self-contained HTML dashboard per corporation (and contractor).

``run_monitor`` is what ``kwh monitor DATA --as-of YYYY-MM`` runs. It reuses the close's
machinery (:mod:`kwh_calc.close.run`): the same papermill execution per corporation in kept
kernels, worker processes, failure isolation, private working folders and the manifest's
skip logic; only the renderer differs (``kwh_calc.rendering.html:render_dashboard``).

1. load and validate the dataset; compute the monitor tables for the year to date once for
   all corporations (:mod:`kwh_calc.results.monitor`) into
   ``reports/monitor/<YYYY-MM>/results/`` (redone when the dataset, rules or code changed);
2. per selected corporation run ``notebooks/monitor.ipynb`` and write
   ``reports/monitor/<YYYY-MM>/<corporation_id>/monitor.html``; with ``contractors``, per
   contractor with respondents to date ``notebooks/monitor-aannemer.ipynb`` ->
   ``…/<corporation_id>/aannemers/<contractor>.html``;
3. record everything in ``manifest.json`` and ``monitor.log`` beside them.

Engines: the built-in HTML engine (``builtin``) or Quarto's ``html`` format (``quarto``, when the
``quarto`` CLI is on PATH); both make the same page (:mod:`kwh_calc.rendering.html`).
``engine="auto"`` takes the built-in one even where Quarto runs: the page is the same, and
Quarto adds seconds per dashboard (a Deno start per render) to a run of hundreds
(docs/architecture.md §9.2, §9.5).

Every finished dashboard is journalled at once (the close's ``manifest.journal.jsonl``), so a
stopped or killed monitor does not redo it; a re-run skips a dashboard whose inputs did not
change and whose files still have the bytes recorded (the close's ``files_current``).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

import pandas as pd
import pyarrow as pa

from kwh_calc import __version__
from kwh_calc.calculations.forecast import month_window
from kwh_calc.close.run import (
    PROJECT_ROOT,
    CloseSummary,
    DocumentRecord,
    _execute,
    _read_manifest,
    _record_from,
    _sha256_file,
    _update_manifest,
    _versions,
    code_fingerprint,
    files_current,
    git_commit,
    keep_records,
    log_summary,
    select_corporations,
)
from kwh_calc.intake.dataset import Dataset, load_dataset
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, load_rules
from kwh_calc.rendering.html import vega_bundle_path
from kwh_calc.rendering.render import quarto_available
from kwh_calc.results.monitor import compute_monitor_results, write_results

__all__ = ["CONTRACTOR_NOTEBOOK", "MONITOR_NOTEBOOK", "contractor_file_name", "run_monitor"]

MONITOR_NOTEBOOK = PROJECT_ROOT / "notebooks" / "monitor.ipynb"
CONTRACTOR_NOTEBOOK = PROJECT_ROOT / "notebooks" / "monitor-aannemer.ipynb"
#: The renderer of each engine (``task["renderer"]`` of the close's ``run_document``).
RENDERERS = {
    "builtin-html": "kwh_calc.rendering.html:render_dashboard",
    "quarto-html": "kwh_calc.rendering.html:render_dashboard_quarto",
}
ENGINES = ("auto", "builtin", "quarto")
log = logging.getLogger("kwh_calc.close.monitor")


def contractor_file_name(aannemer: str) -> str:
    """A safe, readable file name for a contractor's dashboard (``Bouw & Co B.V.`` -> ``bouw-co-b-v-1a2b3c.html``).

    A short hash of the exact name keeps two names that simplify alike apart.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", aannemer.lower()).strip("-")[:48] or "aannemer"
    digest = hashlib.sha256(aannemer.encode("utf-8")).hexdigest()[:6]
    return f"{slug}-{digest}.html"


def _ensure_results(dataset, rules, as_of: str, out_dir: Path, rules_path: Path, force: bool) -> Path:
    directory = out_dir / "results"
    meta = {
        "as_of": as_of,
        "dataset_fingerprint": dataset.fingerprint,
        "rules_fingerprint": rules.fingerprint,
        "rules_path": str(rules_path),
        "package_version": __version__,
        "code": code_fingerprint(),
    }
    meta_file = directory / "meta.json"
    if not force and meta_file.exists():
        try:
            if json.loads(meta_file.read_text()) == meta:
                return directory
        except json.JSONDecodeError:
            pass
    started = time.perf_counter()
    write_results(compute_monitor_results(dataset, rules, as_of), directory, meta)
    log.info("monitor results computed in %.1f s", time.perf_counter() - started)
    return directory


def _contractors(results_dir: Path, corporation_ids: list[str]) -> dict[str, list[str]]:
    """Contractors with at least one respondent to date, per corporation."""
    table = pd.read_parquet(results_dir / "contractor_scores.parquet", columns=["corporation_id", "aannemer"])
    table = table[table["corporation_id"].isin(corporation_ids)]
    return {c: sorted(g["aannemer"].astype(str).unique()) for c, g in table.groupby("corporation_id")}


@dataclass(frozen=True)
class _Fingerprinted:
    """What the manifest needs of the dataset once the dashboards are planned."""

    fingerprint: str


def choose_monitor_engine(engine: str) -> str:
    """``auto``/``builtin`` -> ``builtin-html``; ``quarto`` -> ``quarto-html`` (refused without Quarto)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: choose auto, builtin or quarto")
    if engine == "quarto":
        if not quarto_available():
            raise ValueError("engine 'quarto' asked for, but the quarto CLI is not on PATH (make quarto builds it)")
        return "quarto-html"
    return "builtin-html"


def _plan(dataset, rules, as_of, out_dir, results_dir, selected, contractors, force, bundle: Path, engine: str):
    manifest = _read_manifest(out_dir / "manifest.json")["documents"]
    names = dataset.corporations.set_index("corporation_id")["name"]
    commit = git_commit()
    shared = {
        "dataset_fingerprint": dataset.fingerprint,
        "rules_fingerprint": rules.fingerprint,
        "package_version": __version__,
        "code": code_fingerprint(),
        "commit": commit,
        "engine": engine,
        "bundle": bundle.name,
    }
    footer = (
        f"KWH-Huurdersonderzoek · monitor t/m {as_of} · dataset {dataset.fingerprint[:12] or 'in geheugen'} · "
        f"regels {rules.version} · versie {__version__} · commit {commit}. "
        "Voorlopige cijfers: het CKV beoordeelt na afloop van het jaar."
    )
    jobs: list[tuple[str, str | None]] = [(c, None) for c in selected]
    if contractors:
        for corporation_id, names_of in _contractors(results_dir, selected).items():
            jobs += [(corporation_id, a) for a in names_of]
    versions = _versions()
    tasks, skipped = [], []
    for corporation_id, aannemer in jobs:
        notebook = CONTRACTOR_NOTEBOOK if aannemer else MONITOR_NOTEBOOK
        key = "monitor-aannemer" if aannemer else "monitor"
        folder = out_dir / corporation_id / ("aannemers" if aannemer else "")
        target = folder / (contractor_file_name(aannemer) if aannemer else "monitor.html")
        parameters = {"corporation_id": corporation_id, "as_of": as_of, "results_dir": str(results_dir.resolve())}
        if aannemer:
            parameters["aannemer"] = aannemer
        inputs = dict(shared, notebook=_sha256_file(notebook))
        input_key = hashlib.sha256(
            json.dumps({"inputs": inputs, "parameters": {**parameters, "results_dir": ""}}, sort_keys=True).encode()
        ).hexdigest()
        document = f"{key}/{target.stem}" if aannemer else key
        base = dict(
            document=document,
            corporation_id=corporation_id,
            input_key=input_key,
            parameters=parameters,
            inputs=inputs,
            versions=versions,
        )
        previous = manifest.get(f"{corporation_id}/{document}")
        if not force and previous and previous.get("status") == "ok" and previous.get("input_key") == input_key:
            if files_current(previous.get("files")):
                skipped.append(_record_from({**previous, "status": "skipped"}))
                continue
            log.warning(
                "%s/%s: its files are missing or differ from the manifest; made again", corporation_id, document
            )
        title = f"Monitor {names[corporation_id]}" + (f" · {aannemer}" if aannemer else "") + f" · t/m {as_of}"
        tasks.append(
            {
                "record": dict(base, status="pending"),
                "notebook": str(notebook),
                "parameters": parameters,
                "pdf": str(target),
                "executed": str(target.with_suffix(".ipynb")),
                "title": title,
                "footer": footer,
                "renderer": RENDERERS[engine],
                "bundle_path": str(bundle),
                "engine": "builtin",
                "workdir": str(out_dir / ".work" / f"{corporation_id}-{target.stem}"),
            }
        )
    return tasks, skipped


def run_monitor(
    data: str | Path,
    as_of: str,
    out: str | Path = "reports",
    *,
    jobs: int = 1,
    corporations: list[str] | None = None,
    sample: int | None = None,
    contractors: bool = False,
    engine: str = "auto",
    force: bool = False,
    rules_path: str | Path | None = None,
    kernels: str = "kept",
    on_progress: Callable[[DocumentRecord, int, int], None] | None = None,
) -> CloseSummary:
    """Make the monitor dashboards of the year to date ``as_of``.

    Parameters
    ----------
    data : research dataset folder.
    as_of : ``YYYY-MM``: service months January..as_of of that year.
    out : reports root; dashboards go to ``<out>/monitor/<as_of>/<corporation_id>/``.
    jobs : worker processes.
    corporations, sample : selection as in the close (national figures always use everyone).
    contractors : also one dashboard per contractor of each selected corporation.
    engine : ``auto`` or ``builtin`` (the built-in HTML engine) or ``quarto`` (Quarto's ``html``
        format; refused when the quarto CLI is not on PATH).
    force : redo dashboards whose inputs did not change.
    rules_path : rule set (default ``params/rules.yml``).
    kernels : ``kept`` or ``fresh``, as in the close.
    on_progress : called after every finished dashboard with (record, done, total).

    Returns
    -------
    CloseSummary
        Records of every dashboard (``pdf`` holds the HTML path); ``year`` is the research year.
    """
    started = time.perf_counter()
    year = month_window(as_of)[0]
    chosen = choose_monitor_engine(engine)  # refuse an engine that cannot run before anything runs
    if kernels not in ("kept", "fresh"):
        raise ValueError("kernels must be 'kept' or 'fresh'")
    data = Path(data).resolve()
    rules_path = Path(rules_path).resolve() if rules_path else DEFAULT_RULES_PATH
    out_dir = Path(out).resolve() / "monitor" / as_of
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out_dir / "monitor.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        dataset = load_dataset(data)
        rules = load_rules(rules_path, year)
        log.info("monitor %s started: dataset %s (%s), jobs %s", as_of, data, dataset.fingerprint[:12], jobs)
        results_dir = _ensure_results(dataset, rules, as_of, out_dir, rules_path, force)
        bundle = vega_bundle_path()
        selected = select_corporations(dataset, corporations, sample)
        tasks, records = _plan(
            dataset, rules, as_of, out_dir, results_dir, selected, contractors, force, bundle, chosen
        )
        for task in tasks:
            task["kernels"] = kernels
        # The dashboards read the results folder, not the dataset: let the main process give back
        # its memory (about 1 GB for the national demo) before the workers and kernels start.
        planned = _Fingerprinted(dataset.fingerprint)
        del dataset
        gc.collect()
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages otherwise
        total = len(tasks) + len(records)
        for done, record in enumerate(records, start=1):
            if on_progress:
                on_progress(record, done, total)
        keep_records(_execute(tasks, jobs), records, out_dir, total, on_progress)
        _update_manifest(out_dir, records, cast("Dataset", planned), rules, year)  # reads .fingerprint only
        summary = CloseSummary(year, out_dir, records, time.perf_counter() - started)
        log_summary(log, f"monitor {as_of}", summary)
        return summary
    finally:
        log.removeHandler(handler)
        handler.close()


def records_as_dicts(summary: CloseSummary) -> list[dict]:
    """The records of a run as plain dicts (tests, the benchmark)."""
    return [asdict(r) for r in summary.records]
