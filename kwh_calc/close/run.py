"""The annual close: results once, then every document per corporation, rendered to PDF.

``run_close`` is what ``kwh close`` runs in February (docs/architecture.md §6.1 data flow):

1. load and validate the dataset; compute the year's results in one vectorised pass over the
   national data and keep them as Parquet in ``reports/<Y>/results/`` (recomputed only when
   the dataset, the rules or the package changed);
2. for every selected corporation and every document of ``params/documents.yml``, run the
   parameterised notebook with papermill and render it to PDF
   (``reports/<Y>/<corporation_id>/<document>.pdf``, the executed notebook beside it);
3. record every document in ``reports/<Y>/manifest.json`` (inputs' hashes, parameters,
   engine, versions, duration, status, and the SHA-256 of every file written) and in
   ``reports/<Y>/close.log``. Each finished document is appended at once to
   ``manifest.journal.jsonl`` (one JSON line; a kill loses at most the line being written),
   which the next run reads and the end of a close folds into ``manifest.json``.

Guarantees: one failing document never stops the others (it is reported with the path of
the executed notebook holding the error cell); nothing half-written ever carries a final
name; a document whose inputs did not change *and whose files still have the recorded bytes*
is skipped unless ``force`` (a truncated or edited PDF is made again); a failed document's
previous PDF is moved aside to ``<document>.verouderd.pdf`` so it is never taken for current;
documents finished before a kill are not redone; two runs on the same inputs give
byte-identical PDFs (fixed timestamp, bundled fonts).
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import functools
import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import platform
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import yaml

from kwh_calc import __version__
from kwh_calc.close.document import (
    DOCUMENT_WORKER_WITHOUT,
    DocumentTask,
    _failed,
    _sha256_file,
    _warm_kernel,
    render_document,
    run_document,
    set_aside,
)
from kwh_calc.common.atomic import write_text_atomic
from kwh_calc.common.paths import PACKAGE_DIR, project_root
from kwh_calc.intake.dataset import Dataset, DatasetError, load_dataset, refusal_text, year_data_problem
from kwh_calc.intake.rules import DEFAULT_RULES_PATH, Rules, load_rules
from kwh_calc.rendering.lifeline import kill_worker, worker_initializer
from kwh_calc.rendering.render import RenderError, require_engine
from kwh_calc.results.year import compute_results, write_results

__all__ = [
    "CloseSummary",
    "Document",
    "DocumentRecord",
    "DocumentTask",
    "InputRefused",
    "Output",
    "load_documents",
    "load_outputs",
    "run_close",
    "select_corporations",
]

PROJECT_ROOT = project_root()
DOCUMENTS_PATH = PROJECT_ROOT / "params" / "documents.yml"
log = logging.getLogger("kwh_calc.close.run")


@dataclass(frozen=True)
class Document:
    """One document of the close (an entry of ``params/documents.yml``)."""

    key: str
    notebook: Path
    title: str
    scope: str = "corporation"
    applies_to: str = "all"
    subtitle: str = "Onderzoeksjaar {year}"
    year_label: str = "Onderzoeksjaar"


@dataclass(frozen=True)
class Output:
    """A national output that is a file, not a notebook (``outputs:`` in documents.yml)."""

    key: str
    function: str  # "module:function", called as function(dataset, rules, year, out_dir)

    def run(self, dataset: Dataset, rules: Rules, year: int, out_dir: Path) -> list[Path]:
        module, name = self.function.split(":")
        return list(getattr(importlib.import_module(module), name)(dataset, rules, year, out_dir))


@dataclass
class DocumentRecord:
    """What happened to one document in a close; one entry of the manifest."""

    document: str
    corporation_id: str | None
    status: str  # ok | failed | skipped
    input_key: str
    parameters: dict
    pdf: str | None = None
    executed_notebook: str | None = None
    engine: str | None = None
    duration_s: float = 0.0
    error: str | None = None
    inputs: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # seconds per stage: notebook, render (+ render_<stage>)
    files: dict = field(default_factory=dict)  # path -> SHA-256 of the bytes written


@dataclass
class CloseSummary:
    """Outcome of a close: the records and where everything is."""

    year: int
    out_dir: Path
    records: list[DocumentRecord]
    duration_s: float

    @property
    def failed(self) -> list[DocumentRecord]:
        return [r for r in self.records if r.status == "failed"]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.records)


def _record_from(entry: dict) -> DocumentRecord:
    """A record from a manifest entry; keys this version does not know are ignored."""
    known = {f.name for f in fields(DocumentRecord)}
    return DocumentRecord(**{k: v for k, v in entry.items() if k in known})


def load_documents(path: Path = DOCUMENTS_PATH) -> list[Document]:
    """Read the document registry; notebook paths are resolved against the project root."""
    raw = yaml.safe_load(Path(path).read_text())["documents"]
    documents = []
    for entry in raw:
        notebook = Path(entry["notebook"])
        documents.append(
            Document(
                key=entry["key"],
                notebook=notebook if notebook.is_absolute() else PROJECT_ROOT / notebook,
                title=entry["title"],
                scope=entry.get("scope", "corporation"),
                applies_to=entry.get("applies_to", "all"),
                subtitle=entry.get("subtitle", Document.subtitle),
                year_label=entry.get("year_label", Document.year_label),
            )
        )
    return documents


def load_outputs(path: Path = DOCUMENTS_PATH) -> list[Output]:
    """Read the national file outputs of the close from the document registry."""
    raw = yaml.safe_load(Path(path).read_text()).get("outputs") or []
    return [Output(key=entry["key"], function=entry["function"]) for entry in raw]


def select_corporations(
    dataset: DatasetFacts, requested: list[str] | None = None, sample: int | None = None
) -> list[str]:
    """Corporations whose documents are rendered.

    ``requested`` ids are checked against the dataset (an unknown id is an error);
    ``sample`` picks that many corporations spread evenly over the sorted ids, so a demo
    shows small and large, passing and failing corporations. Default: all.
    """
    ids = sorted(dataset.corporations["corporation_id"])
    if requested:
        unknown = sorted(set(requested) - set(ids))
        if unknown:
            raise ValueError(f"unknown corporation_id(s): {', '.join(unknown)}")
        return sorted(set(requested))
    if sample is not None and sample < len(ids):
        step = len(ids) / sample
        return [ids[int(i * step)] for i in range(sample)]
    return ids


def files_current(files: dict | None) -> bool:
    """True when every recorded file exists with the recorded SHA-256 (an empty record is not)."""
    if not files or not isinstance(files, dict):
        return False
    for path, expected in files.items():
        try:
            if _sha256_file(Path(path)) != expected:
                return False
        except OSError:
            return False
    return True


def _sha256_tree(directory: Path, pattern: str = "*") -> str:
    digest = hashlib.sha256()
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob(pattern) if p.is_file()):
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the package's source: results and documents are redone when the code that
    made them changed, even without a new version number (a developer's working tree)."""
    return _sha256_tree(PACKAGE_DIR, "*.py")


def git_commit() -> str:
    """The project's git commit (short), with ``+wijzigingen`` when the tree is dirty."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("+wijzigingen" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "onbekend"


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    found = {"python": platform.python_version(), "kwh-workbench": __version__}
    for package in ("pandas", "papermill", "nbclient", "typst", "pypandoc-binary", "altair", "vl-convert-python"):
        try:
            found[package] = version(package)
        except Exception:  # a missing optional package is simply not listed
            continue
    return found


def _results_meta(dataset: Dataset, rules: Rules, year: int, rules_path: Path) -> dict:
    return {
        "year": year,
        "dataset_fingerprint": dataset.fingerprint,
        "rules_fingerprint": rules.fingerprint,
        "rules_version": rules.version,
        "rules_path": str(rules_path),
        "package_version": __version__,
        "code": code_fingerprint(),
    }


def ensure_results(
    dataset: Dataset, rules: Rules, year: int, out_dir: Path, rules_path: Path, force: bool = False
) -> Path:
    """Compute the year's results unless an up-to-date copy exists; returns its folder."""
    directory = out_dir / "results"
    meta = _results_meta(dataset, rules, year, rules_path)
    meta_file = directory / "meta.json"
    if not force and meta_file.exists():
        try:
            if json.loads(meta_file.read_text()) == meta:
                return directory
        except (ValueError, OSError):  # damaged meta (bad JSON, binary bytes): compute again
            pass
    started = time.perf_counter()
    write_results(compute_results(dataset, rules, year), directory, meta)
    log.info("results computed in %.1f s", time.perf_counter() - started)
    return directory


class DatasetFacts(Protocol):
    """What the documents part of a close needs of the dataset: a :class:`Dataset`, or the
    :class:`Prepared` summary of one loaded in another process."""

    @property
    def corporations(self) -> pd.DataFrame: ...

    @property
    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class Prepared:
    """The first steps of a close (dataset, results, national outputs), as the documents need
    them: the corporations table and the dataset's fingerprint, not the national data."""

    corporations: pd.DataFrame
    fingerprint: str
    results_dir: Path
    outputs: list[DocumentRecord]
    log_lines: list[str]


def prepare_close(
    data: Path, year: int, out_dir: Path, rules_path: Path, outputs: list[Output], force: bool
) -> Prepared:
    """Load and validate the dataset, compute the year's results (unless current) and make the
    national file outputs; the log lines are returned for the caller's log.

    ``run_close`` runs this in a process of its own when it has worker processes: the national
    data (≈0,9 GB for 250 corporations) then leaves with that process instead of staying in the
    main process for the whole close, while the workers' kernels start beside it (issue 13).
    """
    lines: list[str] = []
    capture = _ListHandler(lines)
    log.addHandler(capture)
    previous = log.level
    log.setLevel(logging.INFO)
    try:
        try:
            dataset = load_dataset(data)
        except (DatasetError, OSError) as error:
            raise InputRefused(refusal_text(data, error)) from None
        problem = year_data_problem(dataset, year)
        if problem:
            raise InputRefused(problem)
        rules = load_rules(rules_path, year)
        results_dir = ensure_results(dataset, rules, year, out_dir, rules_path, force=force)
        records = [_run_output(output, dataset, rules, year, out_dir, force) for output in outputs]
    finally:
        log.removeHandler(capture)
        log.setLevel(previous)
    return Prepared(dataset.corporations.copy(), dataset.fingerprint, results_dir, records, lines)


class InputRefused(ValueError):
    """The dataset (or the research year in it) that the close refuses before any document:
    the contract's violations, unreadable files, or no respondent in the year. ``kwh close``
    prints the message and exits with status 1, as every command does for a refused dataset.

    The close loads the dataset once, in the process that computes the results: the command
    no longer loads it beforehand only to check it (0,9 GB in the main process for the whole
    close, and 5 s, issue 13)."""


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class _Refused(ValueError):
    """An input refused in the preparing process (a ``ValueError`` whose own class cannot be
    rebuilt from its message alone, such as a ``DatasetError``), with its message."""


def _prepare_portable(*args: Any) -> Prepared:
    """:func:`prepare_close` in a child process: a refusal comes back as a ``ValueError``
    with the same message even when its own class does not survive pickling."""
    import pickle

    try:
        return prepare_close(*args)
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            kind = _Refused if isinstance(error, ValueError) else RuntimeError
            raise kind(str(error)) from None
        raise


# --------------------------------------------------------------------------- the close


def _write_json_atomic(path: Path, payload: dict) -> None:
    write_text_atomic(path, json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True))


JOURNAL_NAME = "manifest.journal.jsonl"


def _entry(record: DocumentRecord) -> tuple[str, dict]:
    entry = asdict(record)
    if record.status == "skipped":
        entry["status"] = "ok"  # the earlier ok entry stands
    return f"{record.corporation_id or '_national'}/{record.document}", entry


def _journal(out_dir: Path, record: DocumentRecord) -> None:
    """Append one finished document to the journal (one line, flushed: survives a kill)."""
    key, entry = _entry(record)
    line = json.dumps({"key": key, "entry": entry}, ensure_ascii=False, sort_keys=True) + "\n"
    with (out_dir / JOURNAL_NAME).open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def _read_manifest(path: Path) -> dict:
    """The manifest with the journal of an interrupted close applied on top of it."""
    manifest: dict[str, Any] = {"documents": {}}
    if path.exists():
        try:
            manifest = json.loads(path.read_text())
            if not isinstance(manifest, dict) or not isinstance(manifest.setdefault("documents", {}), dict):
                raise ValueError("not a manifest")
            manifest["documents"] = {k: v for k, v in manifest["documents"].items() if isinstance(v, dict)}
        except (ValueError, OSError):  # bad JSON, binary bytes, another shape
            log.warning("manifest %s unreadable; all documents will be made again", path)
            manifest = {"documents": {}}
    journal = path.with_name(JOURNAL_NAME)
    if journal.exists():
        for line in journal.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                item = json.loads(line)
                if isinstance(item["entry"], dict):
                    manifest["documents"][str(item["key"])] = item["entry"]
            except (ValueError, KeyError, TypeError):
                continue  # the line a kill cut short: that document is simply made again
    return manifest


@contextlib.contextmanager
def _close_log(out_dir: Path) -> Iterator[None]:
    """``close.log`` in ``out_dir`` (created) for what is logged inside the block."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out_dir / "close.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


def log_record(logger: logging.Logger, record: DocumentRecord) -> None:
    """One line per finished document in the run's log (the close's and the monitor's)."""
    where = record.corporation_id or "landelijk"  # a national document has no corporation
    if record.status == "ok":
        logger.info("ok %s/%s in %.1f s", where, record.document, record.duration_s)
    else:
        logger.error(
            "FAILED %s/%s: %s (executed notebook: %s)",
            where,
            record.document,
            record.error,
            record.executed_notebook,
        )


def log_summary(logger: logging.Logger, run: str, summary: CloseSummary) -> None:
    """The closing line of a run: ``close 2025 finished in … s: n ok, n skipped, n failed``."""
    logger.info(
        "%s finished in %.1f s: %d ok, %d skipped, %d failed",
        run,
        summary.duration_s,
        summary.count("ok"),
        summary.count("skipped"),
        summary.count("failed"),
    )


def run_close(
    data: str | Path,
    year: int,
    out: str | Path = "reports",
    *,
    jobs: int = 1,
    corporations: list[str] | None = None,
    sample: int | None = None,
    engine: str = "auto",
    force: bool = False,
    rules_path: str | Path | None = None,
    documents: list[Document] | None = None,
    outputs: list[Output] | None = None,
    kernels: str = "kept",
    on_progress: Callable[[DocumentRecord, int, int], None] | None = None,
) -> CloseSummary:
    """Run the annual close of research year ``year``.

    Parameters
    ----------
    data : research dataset folder (docs/data-contract.md).
    year : research year Y.
    out : reports root; documents go to ``<out>/<Y>/<corporation_id>/<document>.pdf``.
    jobs : parallel worker processes (each runs its own kernels in its own working folder).
    corporations, sample : which corporations get documents (see :func:`select_corporations`);
        the results behind national comparisons are always computed over all corporations.
    engine : ``auto`` (Quarto when on PATH, else built-in), ``quarto`` or ``builtin``.
    force : redo documents whose inputs did not change.
    rules_path : rule set (default ``params/rules.yml``).
    documents : documents to make (default: ``params/documents.yml``).
    outputs : national file outputs (default: ``outputs:`` of ``params/documents.yml``).
    kernels : ``kept`` (one kernel per worker, cleared between documents: fast) or ``fresh``
        (a new kernel per document, papermill's default: slower, fully isolated).
    on_progress : called after every finished document with (record, done, total).
    """
    started = time.perf_counter()
    # Absolute paths: workers, kernels and pandoc run in folders of their own.
    data = Path(data).resolve()
    rules_path = Path(rules_path).resolve() if rules_path else DEFAULT_RULES_PATH
    out_dir = Path(out).resolve() / str(year)
    if kernels not in ("kept", "fresh"):
        raise ValueError("kernels must be 'kept' or 'fresh'")
    try:
        chosen = require_engine(engine)  # refuse an engine that cannot run (or no pandoc) before any notebook
    except RenderError as error:
        raise ValueError(str(error)) from None
    rules = load_rules(rules_path, year)
    documents = documents if documents is not None else load_documents()
    outputs = outputs if outputs is not None else load_outputs()
    # With workers, the built-in engine renders in a process of its own while the workers'
    # kernels run the next documents (one Typst and one pandoc for the close, not one per worker).
    render_apart = jobs > 1 and chosen == "builtin"
    niceness = EXECUTE_NICENESS if render_apart else 0
    pool = _workers(jobs, warm=kernels == "kept", niceness=niceness) if jobs > 1 else None
    renderer = _RenderProcess() if render_apart else None
    try:
        if pool is not None:
            # The national data in a process of its own (it leaves with it), while the
            # workers start their kernels.
            with _WorkerPool(1, documents=False) as helper:
                prepared = helper.submit(_prepare_portable, data, year, out_dir, rules_path, outputs, force).result()
        else:
            prepared = prepare_close(data, year, out_dir, rules_path, outputs, force)
        # The log starts once the inputs are accepted: a refused dataset leaves no folder behind.
        with _close_log(out_dir):
            log.info(
                "close %s started: dataset %s (%s), rules %s, jobs %s",
                year,
                data,
                prepared.fingerprint[:12],
                rules.version,
                jobs,
            )
            for line in prepared.log_lines:
                log.info("%s", line)
            results_dir = prepared.results_dir
            selected = select_corporations(prepared, corporations, sample)
            # The engine that will render (not "auto"): a document is redone when it changes.
            tasks, records = _plan(prepared, rules, year, out_dir, results_dir, documents, selected, chosen, force)
            tasks = [
                replace(task, kernels=kernels, defer_render=chosen == "quarto", render_apart=renderer is not None)
                for task in tasks
            ]
            # National documents first: the CKV overview covers every corporation and takes
            # several times as long as a corporation's document; started last, it ended the
            # close on its own while the other worker had nothing left to do.
            tasks.sort(key=lambda task: task.record.get("corporation_id") is not None)
            records += prepared.outputs
            summary = _run_documents(tasks, records, pool, jobs, out_dir, on_progress, started, year, renderer)
            if pool is not None:
                pool.shutdown(wait=True)
                pool = None
            if renderer is not None:
                renderer.close()
                renderer = None
            _update_manifest(out_dir, summary.records, prepared, rules, year)
            summary.duration_s = time.perf_counter() - started
            log_summary(log, f"close {year}", summary)
            return summary
    except BaseException:
        if pool is not None:
            _stop_pool(pool)
        if renderer is not None:
            renderer.stop()
        raise


def _run_documents(tasks, records, pool, jobs, out_dir, on_progress, started, year, renderer=None) -> CloseSummary:
    """Run the planned documents (``records`` holds those already done: skipped, national
    outputs); journal and log each as it finishes."""
    total = len(tasks) + len(records)
    for done, record in enumerate(records, start=1):
        if record.status == "skipped":
            log.info("skipped %s/%s (inputs unchanged)", record.corporation_id or "landelijk", record.document)
        elif record.status == "failed":
            log.error("FAILED landelijk/%s: %s", record.document, record.error)
        else:
            log.info("ok landelijk/%s in %.1f s", record.document, record.duration_s)
        if on_progress:
            on_progress(record, done, total)
    for record in records:
        if record.status != "skipped":
            _journal(out_dir, record)
    by_pdf = {task.pdf: task for task in tasks}
    executed = []

    def finished():
        for raw in _execute(tasks, jobs, pool=pool, renderer=renderer):
            if raw["status"] == "executed":
                executed.append(raw)
            else:
                yield raw
        yield from _render_batches(executed, by_pdf, jobs, out_dir)

    keep_records(finished(), records, out_dir, total, on_progress)
    return CloseSummary(year, out_dir, records, time.perf_counter() - started)


def keep_records(
    raws: Iterable[dict],
    records: list[DocumentRecord],
    out_dir: Path,
    total: int,
    on_progress: Callable[[DocumentRecord, int, int], None] | None,
) -> None:
    """Take in each finished document (or dashboard) as it comes: added to ``records``,
    journalled at once (a killed run does not redo it), logged and reported as number
    ``len(records)`` of ``total``."""
    for raw in raws:
        record = DocumentRecord(**raw)
        records.append(record)
        _journal(out_dir, record)
        log_record(log, record)
        if on_progress:
            on_progress(record, len(records), total)


def _plan(dataset, rules, year, out_dir, results_dir, documents, selected, engine, force):
    """Tasks to run and records of documents skipped because their inputs did not change."""
    manifest = _read_manifest(out_dir / "manifest.json")["documents"]
    corps = dataset.corporations.set_index("corporation_id")
    commit = git_commit()
    # The page footer, in words a reader understands and on one line: which data (fingerprint),
    # which rule set, and which program made the document (kwh-workbench, its version and the
    # commit of its source code), instead of "versie 0.1.0 · Commit …".
    provenance = {
        "Gegevens": dataset.fingerprint[:12] or "in geheugen",
        "Regelset": f"{rules.version} ({rules.fingerprint[:8]})",
        "kwh-workbench": f"{__version__} ({commit})",
    }
    shared_inputs = {
        "dataset_fingerprint": dataset.fingerprint,
        "rules_fingerprint": rules.fingerprint,
        "package_version": __version__,
        "code": code_fingerprint(),
        "templates": _sha256_tree(PROJECT_ROOT / "_extensions"),
        "fonts": _sha256_tree(PROJECT_ROOT / "fonts"),
        "chart_fonts": _sha256_tree(PROJECT_ROOT / "chart-fonts"),  # what chart text is measured with
        "commit": commit,
    }
    timestamp = datetime(year + 1, 2, 1, tzinfo=UTC).isoformat()  # fixed: byte-reproducible PDFs
    versions = _versions()
    tasks, skipped = [], []
    for document in documents:
        notebook_hash = _sha256_file(document.notebook)
        targets: list[str | None]
        if document.scope == "national":
            targets = [None]
        else:
            targets = [c for c in selected if document.applies_to == "all" or bool(corps.loc[c, document.applies_to])]
        for corporation_id in targets:
            folder = out_dir / (corporation_id or "")
            parameters = {
                "corporation_id": corporation_id or "",
                "year": year,
                "results_dir": str(results_dir.resolve()),
            }
            inputs = dict(shared_inputs, notebook=notebook_hash, engine=engine)
            input_key = hashlib.sha256(
                json.dumps(
                    {
                        "inputs": inputs,
                        "parameters": {**parameters, "results_dir": ""},
                        "document": asdict(document) | {"notebook": document.key},
                    },
                    sort_keys=True,
                    default=str,
                ).encode()
            ).hexdigest()
            pdf = folder / f"{document.key}.pdf"
            entry_id = f"{corporation_id or '_national'}/{document.key}"
            base = dict(
                document=document.key,
                corporation_id=corporation_id,
                input_key=input_key,
                parameters=parameters,
                inputs=inputs,
                versions=versions,
            )
            previous = manifest.get(entry_id)
            if not force and previous and previous.get("status") == "ok" and previous.get("input_key") == input_key:
                if files_current(previous.get("files")):
                    skipped.append(_record_from({**previous, "status": "skipped"}))
                    continue
                log.warning(
                    "%s/%s: its files are missing or differ from the manifest; made again",
                    corporation_id or "landelijk",
                    document.key,
                )
            corporation_name = str(corps.loc[corporation_id, "name"]) if corporation_id else None
            tasks.append(
                DocumentTask(
                    record=dict(base, status="pending"),
                    notebook=str(document.notebook),
                    parameters=parameters,
                    pdf=str(pdf),
                    executed=str(folder / f"{document.key}.ipynb"),
                    title=document.title,
                    subtitle=document.subtitle.format(year=year),
                    year_label=document.year_label,
                    corporation_name=corporation_name,
                    year=year,
                    provenance=provenance,
                    engine=engine,
                    timestamp=timestamp,
                    workdir=str(out_dir / ".work" / f"{corporation_id or '_national'}-{document.key}"),
                )
            )
    return tasks, skipped


def _run_output(
    output: Output, dataset: Dataset, rules: Rules, year: int, out_dir: Path, force: bool
) -> DocumentRecord:
    """Make one national file output unless its inputs are unchanged; never raises."""
    inputs = {
        "dataset_fingerprint": dataset.fingerprint,
        "rules_fingerprint": rules.fingerprint,
        "package_version": __version__,
        "code": code_fingerprint(),
        "function": output.function,
    }
    input_key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    previous = _read_manifest(out_dir / "manifest.json")["documents"].get(f"_national/{output.key}")
    if (
        not force
        and previous
        and previous.get("status") == "ok"
        and previous.get("input_key") == input_key
        and files_current(previous.get("files"))
    ):
        return _record_from({**previous, "status": "skipped"})
    started = time.perf_counter()
    record = DocumentRecord(
        document=output.key,
        corporation_id=None,
        status="ok",
        input_key=input_key,
        parameters={"year": year},
        inputs=inputs,
        versions=_versions(),
    )
    try:
        paths = output.run(dataset, rules, year, out_dir)
        record.pdf = ";".join(str(p) for p in paths)  # the files made (not only PDFs)
        record.files = {str(p): _sha256_file(Path(p)) for p in paths}
    except Exception as error:
        record.status, record.error = "failed", f"{type(error).__name__}: {error}"
    record.duration_s = round(time.perf_counter() - started, 3)
    return record


def _render_batches(executed: list[dict], by_pdf: dict[str, DocumentTask], jobs: int, out_dir: Path):
    """Render the executed notebooks with Quarto in ``jobs`` batches at once; yield records.

    Quarto pays a Deno start and a project set-up per ``quarto render`` (seconds): one call
    per batch instead of one per document keeps the Quarto close within 1,5× the built-in one.
    The batches are subprocesses, so threads suffice to run them side by side.
    """
    from kwh_calc.rendering.render import RenderResult, render_notebooks

    if not executed:
        return

    def by_pdf_of(record: dict) -> str:
        return str(Path(record["executed_notebook"]).with_suffix(".pdf"))

    planned = []
    for record in executed:
        task = by_pdf[by_pdf_of(record)]
        planned.append((record, task, task.render_job(Path(record["executed_notebook"]), Path(task.pdf))))
    count = max(1, min(jobs, len(planned)))
    chunks = [planned[k::count] for k in range(count)]

    def render_chunk(k: int, chunk: list) -> list[tuple[dict, RenderResult | RenderError]]:
        workdir = out_dir / ".work" / f"quarto-{k}"
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            outcomes = render_notebooks([job for _, _, job in chunk], engine="quarto", workdir=workdir)
        except Exception as error:
            outcomes = [RenderError("quarto", f"{type(error).__name__}: {error}", workdir=workdir)] * len(chunk)
        if all(not isinstance(o, RenderError) for o in outcomes):
            shutil.rmtree(workdir, ignore_errors=True)
        return [(record, outcome) for (record, _, _), outcome in zip(chunk, outcomes, strict=True)]

    with futures.ThreadPoolExecutor(max_workers=count) as pool:
        for done in futures.as_completed([pool.submit(render_chunk, k, chunk) for k, chunk in enumerate(chunks)]):
            for record, outcome in done.result():
                record = dict(record)
                if isinstance(outcome, RenderError):
                    message = f"render: RenderError: {outcome}"
                    aside = set_aside(Path(by_pdf_of(record)))  # last run's PDF must not pass for this run's
                    if aside is not None:
                        message += f" (previous output moved aside to {aside.name})"
                    record.update(status="failed", error=message[-4000:])
                else:
                    pdf = Path(outcome.pdf_path)
                    executed_path = Path(record["executed_notebook"])
                    pdf.with_name(f"{pdf.stem}.verouderd{pdf.suffix}").unlink(missing_ok=True)
                    record.update(
                        status="ok",
                        pdf=str(pdf),
                        engine=outcome.engine,
                        files={str(executed_path): _sha256_file(executed_path), str(pdf): _sha256_file(pdf)},
                        timings={**record["timings"], "render": round(outcome.duration_s, 3)},
                    )
                    record["duration_s"] = round(record["duration_s"] + outcome.duration_s, 3)
                yield record


def _workers(jobs: int, warm: bool, documents: bool = True, niceness: int = 0) -> futures.ProcessPoolExecutor:
    """``jobs`` worker processes that die with this one; with ``warm`` each starts its kept
    kernel at once, so the imports (≈2–3 s per kernel) run while the results are computed.
    ``documents``: workers that make documents, without :data:`DOCUMENT_WORKER_WITHOUT`
    (False for the process that loads the dataset)."""
    context = multiprocessing.get_context("spawn")  # no forked kernel clients or thread locks
    without = DOCUMENT_WORKER_WITHOUT if documents else ()
    pool = futures.ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=worker_initializer, initargs=(os.getpid(), without, niceness)
    )
    if warm:
        for _ in range(jobs):  # idle workers each take one (a busy one cannot)
            pool.submit(_warm_kernel)
    return pool


def _stop_pool(pool: futures.ProcessPoolExecutor) -> None:
    """Kill the pool's workers (and their renderers) at once: no worker outlives a stop."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        kill_worker(process.pid)
    pool.shutdown(wait=False, cancel_futures=True)


class _WorkerPool:
    """A worker pool as a context: shut down normally, killed on an error or a stop signal."""

    def __init__(self, jobs: int, warm: bool = False, documents: bool = True):
        self.pool = _workers(jobs, warm, documents)

    def __enter__(self) -> futures.ProcessPoolExecutor:
        return self.pool

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.pool.shutdown(wait=True)
        else:
            _stop_pool(self.pool)


def _execute(
    given: list[DocumentTask] | list[dict],
    jobs: int,
    pool: futures.ProcessPoolExecutor | None = None,
    renderer: _RenderProcess | None = None,
):
    """Run tasks in ``jobs`` worker processes (``pool`` when given, else a pool of its own),
    yielding records as they finish. Tasks with ``render_apart`` come back from their worker
    executed and are rendered by ``renderer`` while the worker runs its next document."""
    tasks = [DocumentTask.of(task) for task in given]
    if pool is None and (jobs <= 1 or len(tasks) <= 1):
        try:
            for task in tasks:
                yield run_document(task)
        finally:
            if tasks and tasks[0].kernels == "kept":
                from kwh_calc.rendering.kernels import shutdown_kernels

                shutdown_kernels()
        return
    if pool is None:
        with _WorkerPool(jobs) as own:
            yield from _execute(tasks, jobs, pool=own, renderer=renderer)
        return
    pending = {pool.submit(run_document, task): task for task in tasks}
    while pending or (renderer is not None and renderer.current is not None):
        waiting = set(pending)
        if renderer is not None and renderer.current is not None:
            waiting.add(renderer.current)
        for future in futures.wait(waiting, return_when=futures.FIRST_COMPLETED)[0]:
            if renderer is not None and future is renderer.current:
                yield renderer.take()
                continue
            task = pending.pop(future)
            try:
                raw = future.result()
            except Exception as error:  # a worker process died: the document fails, the close goes on
                yield dict(task.record, status="failed", error=f"worker: {type(error).__name__}: {error}")
                continue
            if raw["status"] == "executed" and task.render_apart and renderer is not None:
                renderer.submit(task, raw)
            else:
                yield raw


#: Niceness of the workers that execute notebooks (and of their kernels) when a render process
#: renders beside them. Two kernels and their workers can keep both cores busy on their own; at
#: equal priority the one render process got a third of the CPU, fell behind and rendered the
#: last ≈150 documents alone (one core idle for the last 15 s of a 100-corporation close).
#: Ahead of them in the queue, it keeps up, and the kernels use what it leaves.
EXECUTE_NICENESS = 5


class _RenderProcess:
    """The close's render process: the executed documents' Markdown, pandoc and Typst, one
    document after the other, beside the workers that execute notebooks (issue 13).

    Each worker used to render its own documents: its kernel waited while it rendered, and every
    worker held a Typst (≈150 MB of caches) and a pandoc (≈78 MB). One render process holds one
    of each, and renders while the workers' kernels run the next documents.

    One document at a time is handed over, so that a document whose render kills the process
    (a crash in Typst or pandoc) fails alone: the process is replaced for the next one.
    """

    def __init__(self) -> None:
        self.pool: futures.ProcessPoolExecutor | None = None
        self.queue: deque[tuple[DocumentTask, dict]] = deque()
        self.current: futures.Future | None = None
        self._job: tuple[DocumentTask, dict] | None = None

    def submit(self, task: DocumentTask, executed: dict) -> None:
        """Queue an executed document (the record of :func:`execute_document`)."""
        self.queue.append((task, executed))
        self._next()

    def _next(self) -> None:
        if self.current is not None or not self.queue:
            return
        if self.pool is None:
            self.pool = _workers(1, warm=False)
        self._job = self.queue.popleft()
        self.current = self.pool.submit(render_document, *self._job)

    def take(self) -> dict:
        """The record of the document that :attr:`current` rendered (done); the next starts."""
        assert self.current is not None
        assert self._job is not None
        future, (task, executed) = self.current, self._job
        self.current, self._job = None, None
        try:
            record = future.result()
        except Exception as error:  # the render process died: this document fails, a new one renders on
            self.stop()
            record = _failed(task, dict(executed), "render", error, time.perf_counter())
            record["error"] = f"render: the render process stopped: {record['error'].removeprefix('render: ')}"
        self._next()
        return record

    def close(self) -> None:
        """Wait for the process to end (every document rendered)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def stop(self) -> None:
        """Kill the process (and its pandoc) at once."""
        if self.pool is not None:
            _stop_pool(self.pool)
            self.pool = None


def _update_manifest(
    out_dir: Path, records: list[DocumentRecord], dataset: DatasetFacts, rules: Rules, year: int
) -> None:
    path = out_dir / "manifest.json"
    manifest = _read_manifest(path)
    for record in records:
        key, entry = _entry(record)
        manifest["documents"][key] = entry
    manifest.update(
        year=year,
        dataset_fingerprint=dataset.fingerprint,
        rules_version=rules.version,
        rules_fingerprint=rules.fingerprint,
        package_version=__version__,
        updated=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write_json_atomic(path, manifest)
    (out_dir / JOURNAL_NAME).unlink(missing_ok=True)  # folded into the manifest
