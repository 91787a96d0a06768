"""The year's results: one vectorised pass over the national data, kept as Parquet.

The close computes every table the documents need once, for all corporations together
(docs/architecture.md §6.1 data flow), and stores them in ``reports/<Y>/results/``. A notebook reads only its
corporation's slice through :class:`YearResults`; it computes nothing itself.

Each table is produced by a function ``(dataset, rules, year) -> DataFrame`` registered in
:data:`RESULT_TABLES`; later modules (label advice, Aedes, representativeness, checkvraag)
register theirs the same way. Figures that need two tables (the label components' intervals,
whether the response follows the deliveries) are added after them (:data:`DERIVED_TABLES`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from kwh_calc.calculations.response import response_table
from kwh_calc.calculations.scores import (
    component_scores,
    peer_scores,
    research_months,
    respondent_results,
    suppress,
)
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules, load_rules

__all__ = [
    "BREAKDOWNS",
    "BREAKDOWN_COLUMNS",
    "DERIVED_TABLES",
    "RESULT_TABLES",
    "YearResults",
    "breakdown_tables",
    "clear_cache",
    "compute_results",
    "load_results",
    "per_document",
    "write_results",
]

#: Breakdowns shown in the documents (docs/methodology.md §6.2), in display order.
BREAKDOWNS = ("aannemer", "uitsplitsing_1", "uitsplitsing_2", "uitsplitsing_3", "uitsplitsing_4")
#: Columns of the breakdowns table (:func:`breakdown_tables`).
BREAKDOWN_COLUMNS = (
    "corporation_id",
    "questionnaire",
    "breakdown",
    "group",
    "n",
    "score",
    "pct_satisfied",
    "suppressed",
)


def _year_results(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    first, last = research_months(year)
    return respondent_results(dataset, rules, first_month=first, last_month=last)


#: Research years kept in the ``scores`` table: Y and the two before it (the CKV's trend).
TREND_YEARS = 3


def _scores(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    frames = []
    for y in range(year, year - TREND_YEARS, -1):
        rules_of_y = rules.for_year(y)  # each year judged by its own rule set
        frames.append(component_scores(_year_results(dataset, rules_of_y, y), rules_of_y).assign(year=y))
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _peers(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    return peer_scores(_year_results(dataset, rules, year), dataset.corporations, rules)


def _breakdowns(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    results = _year_results(dataset, rules, year)
    return breakdown_tables(results, rules, component_scores(results, rules))


def breakdown_tables(results: pd.DataFrame, rules: Rules, totals: pd.DataFrame) -> pd.DataFrame:
    """Scores per group of every breakdown (``BREAKDOWNS``), suppressed against ``totals``.

    One long table: ``corporation_id, questionnaire, breakdown, group, n, score,
    pct_satisfied, suppressed``; shared by the close and the monitor (year to date).
    """
    frames = []
    for column in BREAKDOWNS:
        present = results.loc[results[column].notna()]
        if present.empty:
            continue
        table = suppress(component_scores(present, rules, by=column), rules, totals=totals)
        frames.append(table.rename(columns={column: "group"}).assign(breakdown=column))
    if not frames:
        return pd.DataFrame(columns=list(BREAKDOWN_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _response(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    current = response_table(dataset, year=year).assign(year=year)
    previous = response_table(dataset, year=year - 1).assign(year=year - 1)
    return pd.concat([current, previous], ignore_index=True)


def _corporations(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    corps = dataset.corporations.copy()
    corps["size_class"] = [rules.size_class(int(u)) for u in corps["units"]]
    return corps


def _label_advice(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.label import advice_table

    return advice_table(dataset, rules, year)


def _label_components(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.label import components_table

    return components_table(dataset, rules, year)


def _label_coverage(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.label import coverage_table

    return coverage_table(dataset, rules, year)


def _label_merged_away(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.label import merged_away_table

    return merged_away_table(dataset, rules, year)


def _label_history(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """The CKV decisions as delivered (docs/data-contract.md §11 ``label_history``) up to research year ``year``,
    for the CKV dossier's label history and trend; later research years are left out."""
    history = dataset.label_history
    return (
        history.loc[history["research_year"] <= year]
        .sort_values(["corporation_id", "research_year"])
        .reset_index(drop=True)
    )


def _aedes(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.aedes import aedes_results

    frames = [aedes_results(dataset, rules.for_year(y), y).assign(year=y) for y in (year, year - 1)]
    return pd.concat(frames, ignore_index=True)


def _aedes_months(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.aedes import aedes_months

    return aedes_months(dataset, rules, year)


def _representativeness(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.representativeness import representativeness_table

    return representativeness_table(dataset, rules, year)


def _monthly_response(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.representativeness import monthly_response

    return monthly_response(dataset, rules, None, None, year)


def _checkvraag(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.checkvraag import checkvraag_table

    return checkvraag_table(dataset, rules, year)


def _removals(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.removal_effect import removal_components

    return removal_components(dataset, rules, year)


def _removal_advice(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    from kwh_calc.calculations.removal_effect import removal_advice

    return removal_advice(dataset, rules, year)


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells Parquet cannot type: exact Decimals become floats, mixed columns text.

    Exactness is kept where it matters (threshold flags are computed before this point).
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype != object:
            continue
        values = out[column].dropna()
        kinds = {type(v) for v in values}
        if kinds and kinds <= {Decimal, Fraction, int, float}:
            out[column] = out[column].map(lambda v: float("nan") if v is None or v != v else float(v))
        elif len(kinds) > 1:
            out[column] = out[column].map(lambda v: None if v is None or v != v else str(v)).astype("string")
    return out


ResultFunction = Callable[[Dataset, Rules, int], pd.DataFrame]

#: name -> function computing the national table for research year Y.
RESULT_TABLES: dict[str, ResultFunction] = {
    "corporations": _corporations,
    "scores": _scores,
    "peers": _peers,
    "breakdowns": _breakdowns,
    "response": _response,
    "label_advice": _label_advice,
    "label_components": _label_components,
    "label_coverage": _label_coverage,
    "label_merged_away": _label_merged_away,
    "label_history": _label_history,
    "aedes": _aedes,
    "aedes_months": _aedes_months,
    "representativeness": _representativeness,
    "monthly_response": _monthly_response,
    "checkvraag": _checkvraag,
    "removals": _removals,
    "removal_advice": _removal_advice,
}


def _derived(tables: dict[str, pd.DataFrame], rules: Rules) -> dict[str, pd.DataFrame]:
    """Figures computed from other result tables, so that the documents only format them:
    the label components' intervals and margins (pooled over a merged corporation's
    predecessors) and whether the response follows the deliveries (docs/methodology.md §5.5, §5.7)."""
    from kwh_calc.calculations.representativeness import label_component_intervals, response_spread

    tables["label_components"] = label_component_intervals(
        tables["label_components"], tables["representativeness"], tables["label_merged_away"], rules
    )
    tables["response_spread"] = response_spread(tables["monthly_response"], rules)
    return tables


#: Tables computed by :func:`_derived` from the tables of :data:`RESULT_TABLES`.
DERIVED_TABLES = ("response_spread",)


def compute_results(dataset: Dataset, rules: Rules, year: int) -> dict[str, pd.DataFrame]:
    """Compute every registered table for research year ``year`` (all corporations), then
    the figures derived from them (:data:`DERIVED_TABLES`; intervals of ``label_components``)."""
    return _derived({name: function(dataset, rules, year) for name, function in RESULT_TABLES.items()}, rules)


def write_results(tables: dict[str, pd.DataFrame], directory: Path, meta: dict) -> Path:
    """Write the tables as Parquet plus ``meta.json``; the folder is replaced atomically."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        for name, table in tables.items():
            _parquet_safe(table).to_parquet(staging / f"{name}.parquet", index=False)
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        if directory.exists():
            retired = directory.with_name(f".{directory.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(directory, retired)
            os.replace(staging, directory)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def load_results(directory: Path) -> dict[str, pd.DataFrame]:
    """Read every table of a results folder."""
    return {path.stem: pd.read_parquet(path) for path in sorted(Path(directory).glob("*.parquet"))}


_T = TypeVar("_T")
_P = ParamSpec("_P")


@dataclass
class _Loaded:
    """One results folder as read by this process: its tables and, per table, the row
    positions of every corporation (so that a slice is a ``take``, not a scan)."""

    stamp: tuple
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    positions: dict[str, dict[Any, np.ndarray]] = field(default_factory=dict)
    derived: dict[Hashable, Any] = field(default_factory=dict)


# Results folders read by this process, by resolved path. A kept kernel makes hundreds of
# documents from the same folder: reading its Parquet files and scanning the national tables
# once instead of per document saves ~0,1 s per document (issue 13). Lives in the module, so
# it survives the ``%reset -f`` between documents; a kernel that is replaced starts empty.
_LOADED: dict[Path, _Loaded] = {}


def _stamp(directory: Path) -> tuple:
    """What identifies the folder's content: ``meta.json`` and every table file's identity.

    ``write_results`` replaces the whole folder (new files, new inodes, new mtimes) and the
    meta names the dataset, rules and code fingerprints, so recomputed results never match
    an older stamp.
    """
    files = []
    for path in sorted(directory.glob("*.parquet")):
        stat = path.stat()
        files.append((path.name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return ((directory / "meta.json").read_bytes(), tuple(files))


def _loaded(directory: Path) -> _Loaded:
    """The process-wide cache entry of ``directory``, emptied when its content changed."""
    key = directory.resolve()
    stamp = _stamp(key)
    entry = _LOADED.get(key)
    if entry is None or entry.stamp != stamp:
        entry = _LOADED[key] = _Loaded(stamp)
    return entry


def clear_cache() -> None:
    """Forget every results folder read by this process (tests; long-lived sessions)."""
    _LOADED.clear()


class YearResults:
    """A corporation's view of the year's results, for notebooks.

    Tables are read once per process and folder (kept kernels make many documents from one
    folder); the cache is checked against the folder's content on every construction, so a
    recomputed results folder is always read anew.

    Parameters
    ----------
    directory : the results folder written by the close (``reports/<Y>/results``).
    corporation_id : the corporation whose slice :meth:`of` returns.
    """

    def __init__(self, directory: str | Path, corporation_id: str | None = None):
        self.directory = Path(directory)
        self.corporation_id = corporation_id
        self._loaded = _loaded(self.directory)
        self.meta = json.loads(self._loaded.stamp[0])
        self.year = int(self.meta["year"])
        self.rules = load_rules(self.meta.get("rules_path") or None, self.year)
        self._slices: dict[str, pd.DataFrame] = {}
        self._own: dict[Hashable, Any] = {}

    def table(self, name: str) -> pd.DataFrame:
        """The national table ``name`` (all corporations).

        A shallow copy of the cached table: under pandas' copy-on-write, changing it (even
        adding a column) never changes what the next document reads.
        """
        return self._table(name).copy(deep=False)

    def _table(self, name: str) -> pd.DataFrame:
        tables = self._loaded.tables
        if name not in tables:
            path = self.directory / f"{name}.parquet"
            if not path.exists():
                raise KeyError(f"results table {name!r} not in {self.directory}")
            tables[name] = pd.read_parquet(path)
        return tables[name]

    def of(self, name: str) -> pd.DataFrame:
        """The rows of table ``name`` that belong to this corporation (in table order).

        Sliced once per table and instance (a document asks for the same slice dozens of
        times, issue 13); like :meth:`table`, a shallow copy.
        """
        rows = self._slices.get(name)
        if rows is None:
            rows = self._slices[name] = self._slice(name)
        return rows.copy(deep=False)

    def _slice(self, name: str) -> pd.DataFrame:
        table = self._table(name)
        positions = self._loaded.positions.get(name)
        if positions is None:
            # Rows without a corporation_id (NaN) belong to no corporation, as with ``==``.
            positions = table.groupby("corporation_id", sort=False, dropna=True).indices
            self._loaded.positions[name] = positions
        rows = positions.get(self.corporation_id, _NO_ROWS) if self.corporation_id is not None else _NO_ROWS
        return table.take(rows).reset_index(drop=True)

    def derived(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """A national value computed from this folder's tables, once per process and folder.

        ``key`` must name everything ``compute`` depends on besides the folder's tables (not
        the corporation: the value is the same for every document). A frame comes back like
        :meth:`table`, a shallow copy: a caller that changes it never changes what the next
        document reads (issue 13: national figures were computed again for every chart of
        every document). Any other value is shared as it is: callers must not change it.
        """
        cache = self._loaded.derived
        if key not in cache:
            cache[key] = compute()
        value = cache[key]
        return value.copy(deep=False) if isinstance(value, pd.DataFrame) else value

    def own(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """A value computed from this corporation's slices, once per instance (one document).

        ``key`` must name everything ``compute`` depends on besides this instance. A frame or
        Series comes back as a shallow copy, a list or dict as a new list or dict (their items
        are shared: callers must not change them), so a caller that changes what it got never
        changes what the next caller gets. :func:`per_document` wraps a view function with it.
        """
        if key not in self._own:
            self._own[key] = compute()
        return _fresh(self._own[key])

    @property
    def corporation(self) -> pd.Series:
        """This corporation's row of the corporations table (name, units, region …)."""
        return self.own(("corporation",), self._corporation)

    def _corporation(self) -> pd.Series:
        rows = self.of("corporations")
        if rows.empty:
            raise KeyError(f"corporation {self.corporation_id!r} not in the results")
        return rows.iloc[0]


def _fresh(value: _T) -> _T:
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if isinstance(value, list):
        return list(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return dict(value)  # type: ignore[return-value]
    return value


def per_document(function: Callable[Concatenate[YearResults, _P], _T]) -> Callable[Concatenate[YearResults, _P], _T]:
    """Decorator: ``function(results, *args)`` computed once per :class:`YearResults` instance and
    arguments (:meth:`YearResults.own`).

    For view functions that a document calls again and again with the same arguments (a table
    and the notes under it both build the table; issue 13). The arguments must be hashable and
    the function must depend on nothing but them and ``results``.
    """

    @functools.wraps(function)
    def wrapper(results: YearResults, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        key = (function.__module__, function.__qualname__, args, tuple(sorted(kwargs.items())))
        return results.own(key, lambda: function(results, *args, **kwargs))

    return wrapper


_NO_ROWS = np.array([], dtype=np.intp)
