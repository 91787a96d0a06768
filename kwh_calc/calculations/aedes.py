"""Aedes-benchmark, prestatieveld Huurdersoordeel: sub-scores, letters, overall letter.

FAQ section 6 ("Over welke periode ...", "Hoe wordt het eindresultaat ... berekend?", "Hoe kan
ik de resultaten ... monitoren in het Klantvizier?") and docs/methodology.md §4. Every number below is a
rule in ``params/rules.yml`` (section ``aedes``), never a literal in code.

Rules implemented
-----------------
- **Period** (``aedes.start_month``, ``aedes.end_month``, ``aedes.freeze_month_day``):
  benchmark year Y counts service months September Y−1 through July Y (attribution by
  ``service_month``), and only responses completed on or before the freeze, 31 August Y.
- **Sub-scores** (deelscores): Nieuwe huurders (``nieuwe_huurders``), Reparatieverzoeken
  (``reparaties``), Vertrokken huurders (``vertrokken_huurders``), the questionnaires whose
  ``aedes_subscore`` is true, in the order of ``aedes.weights``. A respondent's grade is
  their mean over the questionnaire's **Aedes question(s)** they answered
  (:func:`kwh_calc.calculations.scores.respondent_results` with ``question_kind="aedes"``); the sub-score
  is the mean of those respondent grades (rapportcijfer, grade 1–10). Only corporations with
  ``aedes_member`` true take part.
- **Share dissatisfied** (``aedes.dissatisfied_max_grade``, 5): percent (0–100) of the
  respondents whose grade is ≤ 5. With one Aedes question per questionnaire that is the
  tenant's grade. **Decision (several Aedes questions):** a respondent is dissatisfied when
  their exact mean over the Aedes questions they answered is ≤ 5 (``sum <= 5 * count``), the
  same respondent grade the sub-score averages.
- **Margin of error**: the half-width, in grade points, of the two-sided t-interval of the
  mean respondent grade at ``representativeness.confidence`` (90%, docs/methodology.md §5.5 "for a
  score: t-interval over respondent means"): ``t(1 − α/2; n − 1) · s / √n`` with ``s`` the
  sample standard deviation (ddof 1), by the workbench's one t-interval
  (:func:`kwh_calc.calculations.representativeness.t_half_width`). Empty when n < 2.
- **Letter per sub-score** (``aedes.letters``; default A ≥ 8,0, B ≥ 7,5, else C): the
  boundaries are checked top-down on the grade rounded half **up** to one decimal. The
  rounding is exact, from the exact mean (a :class:`fractions.Fraction`), never from a float:
  7,45 → 7,5 → B; 7,449 → 7,4 → C.
- **Boundary flag** (``aedes.boundary_flag_margin``, 0,05): the unrounded grade lies within
  0,05 (inclusive) of a letter boundary (the ``min_grade`` of every letter but the lowest).
- **Overall letter** (``aedes.letter_points``, ``aedes.weights``, ``aedes.overall_a_min``,
  ``aedes.overall_c_max``): points A = +1, B = 0, C = −1, weighted 25% / 55% / 20%; weighted
  sum ≥ 0,50 → A, ≤ −0,50 → C, else B (C/B/B → −0,25 → B). Exact :class:`decimal.Decimal`
  arithmetic. A corporation with a sub-score without respondents has no overall letter.
- **Monitoring** (``as_of``): the running figures of a benchmark year at a date D count the
  service months of the period up to and including D's month, and the responses completed on
  or before min(D, freeze). From the freeze on the figures are frozen: any D on or after
  31 August Y gives exactly the final figures of Y. See :func:`benchmark_period` and
  :func:`benchmark_year_at`.

Empty values: a sub-score without respondents has ``n`` 0 and NaN / ``<NA>`` in every other
column (an empty cell in CSV).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from kwh_calc.calculations.representativeness import t_half_width
from kwh_calc.calculations.scores import respondent_results
from kwh_calc.common.memo import FrameMemo
from kwh_calc.common.numbers import fmt_grade, fmt_month, is_missing
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import LetterBoundary, Rules

__all__ = [
    "GRADE_DECIMALS",
    "SUBSCORE_NAMES",
    "BenchmarkPeriod",
    "LetterChanges",
    "aedes_months",
    "aedes_results",
    "aedes_trend",
    "benchmark_period",
    "benchmark_year_at",
    "corporation_position",
    "letter_for_grade",
    "national_distribution",
    "national_summary",
    "near_boundary",
    "next_letter",
    "overall_letter",
    "overall_points",
    "round_grade",
    "subscore_keys",
    "subscore_table",
    "to_csv_frame",
    "what_changes_letter",
]

#: Aedes' names of the three sub-scores (the questionnaire key is the column prefix).
SUBSCORE_NAMES = {
    "nieuwe_huurders": "Nieuwe huurders",
    "reparaties": "Reparatieverzoeken",
    "vertrokken_huurders": "Vertrokken huurders",
}
#: Letters are given on the grade rounded half up to this many decimals (docs/methodology.md §4.3).
GRADE_DECIMALS = 1
#: Per sub-score columns of :func:`aedes_results`, in order (prefixed ``<questionnaire>_``).
SUBSCORE_COLUMNS = (
    "n",
    "score",
    "grade",
    "letter",
    "n_dissatisfied",
    "pct_dissatisfied",
    "margin",
    "near_boundary",
    "next_letter",
    "next_letter_grade",
)


# --------------------------------------------------------------------------- period


@dataclass(frozen=True)
class BenchmarkPeriod:
    """What one run of the benchmark counts.

    Attributes
    ----------
    year : benchmark year Y.
    first_month, end_month : first and last service month (``YYYY-MM``) of the full period.
    last_month : last service month counted (``end_month``, or D's month for a running figure).
    freeze : the freeze date of Y (``aedes.freeze_month_day``, 31 August Y).
    completed_on_or_before : responses completed after this date do not count (min(D, freeze)).
    as_of : the monitoring date D, or None for the final figures.
    """

    year: int
    first_month: str
    end_month: str
    last_month: str
    freeze: date
    completed_on_or_before: date
    as_of: date | None = None

    @property
    def frozen(self) -> bool:
        """True when these are the final (frozen) figures of the year."""
        return self.last_month == self.end_month and self.completed_on_or_before == self.freeze

    def describe_nl(self) -> str:
        """The full period in Dutch: ``september 2024 t/m juli 2025``."""
        return f"{fmt_month(self.first_month)} t/m {fmt_month(self.end_month)}"

    def counted_nl(self) -> str:
        """The counted service months in Dutch (the running part for a monitoring date)."""
        if self.last_month < self.first_month:
            return "nog geen maanden"
        return f"{fmt_month(self.first_month)} t/m {fmt_month(self.last_month)}"


def _as_date(value: date | str | pd.Timestamp) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value)
    if hasattr(value, "date") and callable(value.date):  # datetime.datetime
        return value.date()
    return value


def benchmark_period(year: int, rules: Rules, as_of: date | str | None = None) -> BenchmarkPeriod:
    """The service months and completion cut-off of benchmark year ``year``.

    Parameters
    ----------
    year : benchmark year Y.
    rules : rule set (``aedes.start_month`` of Y−1, ``aedes.end_month`` of Y,
        ``aedes.freeze_month_day`` of Y).
    as_of : monitoring date D (the Klantvizier tile), or None for the final figures. With D,
        service months up to and including D's month count (never past the end month), and
        only responses completed on or before min(D, freeze). For D on or after the freeze
        the result equals the final period: the figures of Y are frozen.

    Returns
    -------
    BenchmarkPeriod
    """
    aedes = rules.aedes
    first = f"{year - 1:04d}-{aedes.start_month:02d}"
    end = f"{year:04d}-{aedes.end_month:02d}"
    freeze_month, freeze_day = (int(part) for part in aedes.freeze_month_day.split("-"))
    freeze = date(year, freeze_month, freeze_day)
    if as_of is None:
        return BenchmarkPeriod(year, first, end, end, freeze, freeze)
    as_of = _as_date(as_of)
    cutoff = min(as_of, freeze)
    last = min(end, f"{as_of.year:04d}-{as_of.month:02d}")
    return BenchmarkPeriod(year, first, end, last, freeze, cutoff, as_of)


def benchmark_year_at(as_of: date | str, rules: Rules) -> int:
    """The benchmark year whose collection is in progress at date D.

    Service months from ``aedes.start_month`` (September) on belong to the next benchmark
    year (FAQ: "Vanaf de aanlevering in oktober (dus de resultaten over september) beginnen
    we weer met het nieuwe benchmarkjaar"), so Y = D.year for January–August and D.year + 1
    for September–December.

    Note: the Klantvizier tile itself stays frozen on D.year from September to December (it
    shows that year's final figures until January); those are
    ``aedes_results(dataset, rules, D.year, as_of=D)``, which equal the final figures.
    """
    as_of = _as_date(as_of)
    return as_of.year + 1 if as_of.month >= rules.aedes.start_month else as_of.year


# --------------------------------------------------------------------------- letters


def subscore_keys(rules: Rules) -> tuple[str, ...]:
    """The questionnaire keys of the sub-scores, in the order of ``aedes.weights``.

    Raises ValueError when the weights do not name exactly the questionnaires whose
    ``aedes_subscore`` is true.
    """
    keys = tuple(rules.aedes.weights)
    flagged = {key for key, q in rules.questionnaires.items() if q.aedes_subscore}
    if set(keys) != flagged:
        raise ValueError(
            f"aedes.weights names {sorted(keys)} but the Aedes sub-score questionnaires are {sorted(flagged)}"
        )
    return keys


def _exact(value) -> Fraction:
    """An exact rational from a Fraction, Decimal, int, str or float (by its shortest repr)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal | int | str | np.integer):
        return Fraction(value) if not isinstance(value, np.integer) else Fraction(int(value))
    if isinstance(value, float | np.floating):
        return Fraction(Decimal(repr(float(value))))
    raise TypeError(f"not a number: {value!r}")


def round_grade(value, decimals: int = GRADE_DECIMALS) -> Decimal:
    """Round half up to ``decimals`` places, exactly: 149/20 (7,45) -> 7.5; 7,449 -> 7.4.

    ``value`` is a Fraction (the exact mean), Decimal, int, str or float (taken by its
    shortest repr, as :func:`kwh_calc.common.numbers.round_half_up`). Unlike rounding through a
    28-digit Decimal division, this never rounds an exact fraction the wrong way.
    """
    x = _exact(value)
    scale = 10**decimals
    scaled = x * scale
    units = math.floor(scaled + Fraction(1, 2)) if x >= 0 else -math.floor(-scaled + Fraction(1, 2))
    return Decimal(units).scaleb(-decimals)


def _letters_top_down(rules: Rules) -> list[LetterBoundary]:
    letters = sorted(rules.aedes.letters, key=lambda b: b.min_grade, reverse=True)
    if len(letters) != 3:
        raise ValueError("aedes.letters must define three letters (A, B, C)")
    return letters


def letter_for_grade(value, rules: Rules) -> str:
    """The letter of one sub-score (``aedes.letters``, checked top-down).

    Parameters
    ----------
    value : the unrounded sub-score (grade 1–10); the letter is decided on it rounded half
        up to one decimal (:func:`round_grade`): with default boundaries 7,45 → B, 7,449 → C.
    """
    grade = round_grade(value)
    letters = _letters_top_down(rules)
    for boundary in letters:
        if grade >= boundary.min_grade:
            return boundary.letter
    return letters[-1].letter


def _boundaries(rules: Rules) -> list[Decimal]:
    """The letter boundaries that separate two letters (every ``min_grade`` but the lowest)."""
    return [b.min_grade for b in _letters_top_down(rules)[:-1]]


def near_boundary(value, rules: Rules) -> bool:
    """Whether the unrounded grade lies within ``aedes.boundary_flag_margin`` (0,05, inclusive)
    of a letter boundary (default 7,5 and 8,0): 7,45–7,55 and 7,95–8,05 are flagged."""
    x = _exact(value)
    margin = Fraction(rules.aedes.boundary_flag_margin)
    return any(abs(x - Fraction(b)) <= margin for b in _boundaries(rules))


def next_letter(letter: str, rules: Rules) -> tuple[str, Decimal] | None:
    """The next higher letter and its boundary (grade rounded to one decimal): C -> (B, 7.5).

    None for the highest letter. The smallest unrounded grade that earns it is half a unit of
    the last decimal lower (7,45 for B), since letters go on the rounded grade.
    """
    letters = _letters_top_down(rules)
    names = [b.letter for b in letters]
    if letter not in names:
        raise ValueError(f"unknown letter {letter!r}; letters are {names}")
    index = names.index(letter)
    if index == 0:
        return None
    return letters[index - 1].letter, letters[index - 1].min_grade


def _no_letter(value) -> bool:
    """A sub-score letter that is not there: missing, or the empty text of a CSV round trip."""
    return is_missing(value) or value == ""


def overall_points(letters: Mapping[str, str | None], rules: Rules) -> Decimal | None:
    """The weighted points of the three sub-score letters, exact.

    Parameters
    ----------
    letters : letter per sub-score key, e.g. ``{"nieuwe_huurders": "C", "reparaties": "B",
        "vertrokken_huurders": "B"}``.
    rules : ``aedes.letter_points`` (A +1, B 0, C −1) and ``aedes.weights`` (25/55/20%).

    Returns
    -------
    Decimal or None
        Σ weight × points (C/B/B → −0.25); None when a sub-score has no letter.
    """
    total = Decimal(0)
    for key, weight in rules.aedes.weights.items():
        letter = letters.get(key)
        if _no_letter(letter):
            return None
        total += Decimal(rules.aedes.letter_points[str(letter)]) * weight
    return total


def _letter_for_points(points: Decimal | None, rules: Rules) -> str | None:
    if points is None:
        return None
    top, middle, bottom = (b.letter for b in _letters_top_down(rules))
    if points >= rules.aedes.overall_a_min:
        return top
    if points <= rules.aedes.overall_c_max:
        return bottom
    return middle


def overall_letter(letters: Mapping[str, str | None], rules: Rules) -> str | None:
    """The overall letter: weighted points ≥ 0,50 → A, ≤ −0,50 → C, else B (None if a
    sub-score has no letter). Example: C/B/B → −0,25 → B; C/A/A → +0,50 → A."""
    return _letter_for_points(overall_points(letters, rules), rules)


# --------------------------------------------------------------------------- results


def _scaled_totals(
    grade_sum: np.ndarray, grade_count: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[list[int], int]:
    """Per group Σ (grade_sum / grade_count) · L as exact integers, L = lcm of the counts."""
    lcm = int(np.lcm.reduce(np.unique(grade_count))) if len(grade_count) else 1
    if lcm * 10 * max(len(grade_count), 1) < 2**62:
        totals = np.zeros(n_groups, dtype=np.int64)
        np.add.at(totals, group, grade_sum * (lcm // grade_count))
        return [int(t) for t in totals], lcm
    big_totals = [0] * n_groups  # very many distinct counts: Python's big integers
    for g, s, c in zip(group.tolist(), grade_sum.tolist(), grade_count.tolist(), strict=True):
        big_totals[g] += s * (lcm // c)
    return big_totals, lcm


def _members(dataset: Dataset) -> pd.DataFrame:
    corps = dataset.corporations
    members = corps.loc[corps["aedes_member"].to_numpy(dtype=bool), ["corporation_id", "name"]]
    return members.sort_values("corporation_id", kind="stable").reset_index(drop=True)


def subscore_table(dataset: Dataset, rules: Rules, year: int, *, as_of: date | str | None = None) -> pd.DataFrame:
    """The three sub-scores of every Aedes member, long: one row per corporation × sub-score.

    Parameters
    ----------
    dataset : validated research dataset.
    rules : rule set of benchmark year ``year`` (section ``aedes``;
        ``representativeness.confidence`` for the margin).
    year : benchmark year Y (service months September Y−1 – July Y, completed ≤ 31 Aug Y).
    as_of : monitoring date (see :func:`benchmark_period`); None for the final figures.

    Returns
    -------
    DataFrame
        ``corporation_id, name, questionnaire, subscore`` (Aedes' Dutch name), ``n``
        (respondents), ``n_dissatisfied``, ``score`` (unrounded mean grade, float),
        ``score_exact`` (the same as a Fraction), ``grade`` (rounded half up to one decimal,
        float), ``grade_display`` (``7,5``), ``letter``, ``pct_dissatisfied`` (percent 0–100,
        unrounded), ``margin`` (grade points), ``near_boundary``, ``next_letter``,
        ``next_letter_grade`` (the boundary on the rounded grade, float). Members without
        respondents on a sub-score have n 0 and empty values. Sorted by corporation and the
        sub-score order of ``aedes.weights``. ``attrs["period"]`` is the
        :class:`BenchmarkPeriod`.
    """
    keys = subscore_keys(rules)
    period = benchmark_period(year, rules, as_of)
    members = _members(dataset)
    respondents = respondent_results(
        dataset,
        rules,
        first_month=period.first_month,
        last_month=period.last_month,
        question_kind="aedes",
        questionnaires=list(keys),
        completed_on_or_before=pd.Timestamp(period.completed_on_or_before),
    )
    respondents = respondents.loc[respondents["corporation_id"].isin(members["corporation_id"]).to_numpy(dtype=bool)]

    grid = pd.MultiIndex.from_product(
        [members["corporation_id"], list(keys)], names=["corporation_id", "questionnaire"]
    )
    group = grid.get_indexer(pd.MultiIndex.from_frame(respondents[["corporation_id", "questionnaire"]].astype(object)))
    grade_sum = respondents["grade_sum"].to_numpy(dtype=np.int64)
    grade_count = respondents["grade_count"].to_numpy(dtype=np.int64)
    n = np.bincount(group, minlength=len(grid))
    dissatisfied = grade_sum <= rules.aedes.dissatisfied_max_grade * grade_count  # exact: mean <= 5
    n_dissatisfied = np.bincount(group, weights=dissatisfied, minlength=len(grid)).astype(np.int64)
    totals, lcm = _scaled_totals(grade_sum, grade_count, group, len(grid))
    sd = pd.Series(respondents["mean"].to_numpy(dtype=float)).groupby(group).std(ddof=1).reindex(range(len(grid)))

    rows = []
    names = dict(zip(members["corporation_id"], members["name"], strict=True))
    for index, (corporation_id, key) in enumerate(grid):
        count = int(n[index])
        row = dict(
            corporation_id=corporation_id,
            name=names[corporation_id],
            questionnaire=key,
            subscore=SUBSCORE_NAMES.get(key, rules.questionnaire_name(key)),
            n=count,
            n_dissatisfied=int(n_dissatisfied[index]),
        )
        if count == 0:
            row.update(
                score=np.nan,
                score_exact=None,
                grade=np.nan,
                grade_display=pd.NA,
                letter=pd.NA,
                pct_dissatisfied=np.nan,
                margin=np.nan,
                near_boundary=pd.NA,
                next_letter=pd.NA,
                next_letter_grade=np.nan,
            )
        else:
            exact = Fraction(totals[index], count * lcm)
            grade = round_grade(exact)
            letter = letter_for_grade(exact, rules)
            following = next_letter(letter, rules)
            row.update(
                score=float(exact),
                score_exact=exact,
                grade=float(grade),
                grade_display=fmt_grade(grade),
                letter=letter,
                pct_dissatisfied=100.0 * int(n_dissatisfied[index]) / count,
                margin=float(t_half_width(count, float(sd.iloc[index]), float(rules.representativeness.confidence))),
                near_boundary=near_boundary(exact, rules),
                next_letter=following[0] if following else pd.NA,
                next_letter_grade=float(following[1]) if following else np.nan,
            )
        rows.append(row)
    table = pd.DataFrame(
        rows,
        columns=[
            "corporation_id",
            "name",
            "questionnaire",
            "subscore",
            "n",
            "n_dissatisfied",
            "score",
            "score_exact",
            "grade",
            "grade_display",
            "letter",
            "pct_dissatisfied",
            "margin",
            "near_boundary",
            "next_letter",
            "next_letter_grade",
        ],
    )
    for column in ("corporation_id", "name", "questionnaire", "subscore", "grade_display", "letter", "next_letter"):
        table[column] = table[column].astype("string")
    table["near_boundary"] = table["near_boundary"].astype("boolean")
    for column in ("n", "n_dissatisfied"):
        table[column] = table[column].astype("int64")
    table.attrs["period"] = period
    return table


def aedes_results(dataset: Dataset, rules: Rules, year: int, *, as_of: date | str | None = None) -> pd.DataFrame:
    """The Aedes Huurdersoordeel of every member: one row per corporation (the CSV contract).

    Parameters
    ----------
    dataset, rules, year, as_of : as :func:`subscore_table`.

    Returns
    -------
    DataFrame
        ``corporation_id, name``, then for each sub-score key ``q`` (``nieuwe_huurders``,
        ``reparaties``, ``vertrokken_huurders``): ``q_n``, ``q_score`` (unrounded mean grade),
        ``q_grade`` (rounded half up, one decimal), ``q_letter``, ``q_n_dissatisfied``,
        ``q_pct_dissatisfied`` (percent 0–100), ``q_margin`` (grade points, 90% t-interval),
        ``q_near_boundary``, ``q_next_letter``, ``q_next_letter_grade``; then
        ``overall_points`` (weighted points, e.g. −0.25) and ``overall_letter`` (empty when
        a sub-score has no respondents). One row per member, also members without any
        respondents; non-members are left out. ``attrs["period"]`` is the
        :class:`BenchmarkPeriod`.
    """
    long = subscore_table(dataset, rules, year, as_of=as_of)
    keys = subscore_keys(rules)
    wide = _members(dataset)[["corporation_id", "name"]].astype("string")
    for key in keys:
        part = long.loc[long["questionnaire"] == key].set_index("corporation_id")
        for column in SUBSCORE_COLUMNS:
            wide[f"{key}_{column}"] = part[column].reindex(wide["corporation_id"]).to_numpy()
            wide[f"{key}_{column}"] = wide[f"{key}_{column}"].astype(part[column].dtype)
    points = []
    for _, row in wide.iterrows():
        points.append(overall_points({key: row[f"{key}_letter"] for key in keys}, rules))
    wide["overall_points"] = [float(p) if p is not None else np.nan for p in points]
    wide["overall_letter"] = pd.array([_letter_for_points(p, rules) for p in points], dtype="string")
    wide.attrs["period"] = long.attrs["period"]
    return wide


def to_csv_frame(results: pd.DataFrame) -> pd.DataFrame:
    """:func:`aedes_results` ready for CSV: exact decimals where floats would print noise.

    Rounded grades, letter boundaries and overall points are written as exact decimals
    (``7.5``, ``-0.25``), booleans as ``true``/``false``, empty values as empty cells;
    unrounded scores, percentages and margins keep full float precision.
    """
    frame = results.copy()
    for column in frame.columns:
        if column.endswith(("_grade", "_next_letter_grade")):
            frame[column] = [("" if pd.isna(v) else f"{round_grade(v):.{GRADE_DECIMALS}f}") for v in frame[column]]
        elif column == "overall_points":
            frame[column] = ["" if pd.isna(v) else repr(float(v)) for v in frame[column]]  # -0.25, 0.55
        elif column.endswith("_near_boundary"):
            frame[column] = frame[column].map({True: "true", False: "false"}).astype("string")
    frame.attrs = {}
    return frame


# --------------------------------------------------------------------------- trend


def aedes_trend(
    dataset: Dataset, rules: Rules, year: int, *, previous_rules: Rules | None = None, as_of: date | str | None = None
) -> pd.DataFrame:
    """This benchmark year's results beside last year's, per member × sub-score and overall.

    Parameters
    ----------
    dataset : validated research dataset (holding both years' service months).
    rules : rule set of year Y; ``previous_rules`` the one of Y−1 (default: ``rules``).
    year : benchmark year Y (compared with Y−1's final figures).
    as_of : monitoring date for year Y (running figures against last year's final ones).

    Returns
    -------
    DataFrame
        ``corporation_id, name, questionnaire`` (the sub-score key, or ``totaal`` for the
        overall letter), ``subscore`` (Dutch name or ``Totaal``), ``previous_n,
        previous_score, previous_grade, previous_letter, n, score, grade, letter``,
        ``grade_change`` (difference of the rounded grades, grade points, one decimal) and
        ``letter_change`` (``hoger``, ``lager``, ``gelijk``; empty when a letter is
        missing). ``totaal`` rows carry the overall points in ``score`` /
        ``previous_score``. Members of year Y only.
    """
    current = aedes_results(dataset, rules, year, as_of=as_of)
    previous = aedes_results(dataset, previous_rules or rules, year - 1).set_index("corporation_id")
    order = {b.letter: i for i, b in enumerate(_letters_top_down(rules))}
    rows = []
    for _, row in current.iterrows():
        corporation_id = row["corporation_id"]
        before = previous.loc[corporation_id] if corporation_id in previous.index else None
        parts = [(key, SUBSCORE_NAMES.get(key, key), f"{key}_") for key in subscore_keys(rules)]
        parts.append(("totaal", "Totaal", "overall_"))
        for key, name, prefix in parts:
            if key == "totaal":
                now = dict(n=np.nan, score=row["overall_points"], grade=np.nan, letter=row["overall_letter"])
                then = (
                    dict(n=np.nan, score=np.nan, grade=np.nan, letter=pd.NA)
                    if before is None
                    else dict(n=np.nan, score=before["overall_points"], grade=np.nan, letter=before["overall_letter"])
                )
            else:
                now = {c: row[f"{prefix}{c}"] for c in ("n", "score", "grade", "letter")}
                then = (
                    {c: before[f"{prefix}{c}"] for c in ("n", "score", "grade", "letter")}
                    if before is not None
                    else dict(n=0, score=np.nan, grade=np.nan, letter=pd.NA)
                )
            change = np.nan
            if not (pd.isna(now["grade"]) or pd.isna(then["grade"])):
                change = float(round_grade(now["grade"]) - round_grade(then["grade"]))
            letter_change = pd.NA
            if not (pd.isna(now["letter"]) or pd.isna(then["letter"])):
                difference = order[then["letter"]] - order[now["letter"]]
                letter_change = "hoger" if difference > 0 else "lager" if difference < 0 else "gelijk"
            rows.append(
                dict(
                    corporation_id=corporation_id,
                    name=row["name"],
                    questionnaire=key,
                    subscore=name,
                    previous_n=then["n"],
                    previous_score=then["score"],
                    previous_grade=then["grade"],
                    previous_letter=then["letter"],
                    n=now["n"],
                    score=now["score"],
                    grade=now["grade"],
                    letter=now["letter"],
                    grade_change=change,
                    letter_change=letter_change,
                )
            )
    trend = pd.DataFrame(rows)
    for column in ("corporation_id", "name", "questionnaire", "subscore", "previous_letter", "letter", "letter_change"):
        trend[column] = trend[column].astype("string")
    return trend


# --------------------------------------------------------------------------- national


def national_distribution(results: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Every member's place in the national distribution, per sub-score (for the report chart).

    Remembered per content of ``results`` and the sub-score keys (the only part of ``rules``
    it reads): every chart and table of every Aedes report asks for the same national
    distribution (:mod:`kwh_calc.common.memo`).

    Parameters
    ----------
    results : output of :func:`aedes_results` (all members: the national set).
    rules : rule set (sub-score keys).

    Returns
    -------
    DataFrame
        ``questionnaire, subscore, corporation_id, name, n, score, grade, letter``,
        ``rank`` (1 = highest unrounded score; ties share the best rank),
        ``n_ranked`` (members with a score on that sub-score) and ``percentile`` (percentile
        rank, percent 0–100: 100 × (members below + ½ × members equal, itself included) /
        n_ranked). Members without respondents on a sub-score are left out of it.
    """
    keys = subscore_keys(rules)
    return _NATIONAL_DISTRIBUTION(results, keys, compute_args=(keys,))


def _national_distribution(results: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    frames = []
    for key in keys:
        part = results[["corporation_id", "name", f"{key}_n", f"{key}_score", f"{key}_grade", f"{key}_letter"]].copy()
        part.columns = ["corporation_id", "name", "n", "score", "grade", "letter"]
        part = part.loc[part["n"] > 0].reset_index(drop=True)
        scores = part["score"].to_numpy(dtype=float)
        below = np.array([(scores < s).sum() for s in scores], dtype=float)
        equal = np.array([(scores == s).sum() for s in scores], dtype=float)
        part["rank"] = part["score"].rank(method="min", ascending=False).astype("int64")
        part["n_ranked"] = len(part)
        part["percentile"] = 100.0 * (below + 0.5 * equal) / max(len(part), 1)
        part.insert(0, "subscore", SUBSCORE_NAMES.get(key, key))
        part.insert(0, "questionnaire", key)
        frames.append(part)
    table = pd.concat(frames, ignore_index=True)
    for column in ("questionnaire", "subscore"):
        table[column] = table[column].astype("string")
    return table


def national_summary(results: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """National figures per sub-score (compare with Aedes' national averages, docs/methodology.md §4.9).

    Returns
    -------
    DataFrame
        ``questionnaire, subscore, n_corporations`` (members with respondents),
        ``n_respondents``, ``mean_of_corporations`` (unweighted mean of corporation scores),
        ``pooled_score`` (respondent-weighted: every respondent weighs the same),
        ``median, p10, p90`` (of corporation scores), ``pct_dissatisfied`` (pooled, percent
        0–100), ``n_A, n_B, n_C`` (members per letter; named after ``aedes.letters``). Grades
        are unrounded.
    """
    letters = [b.letter for b in _letters_top_down(rules)]
    rows = []
    for key in subscore_keys(rules):
        n = results[f"{key}_n"].to_numpy(dtype=np.int64)
        has = n > 0
        scores = results[f"{key}_score"].to_numpy(dtype=float)[has]
        respondents = int(n.sum())
        row = dict(
            questionnaire=key,
            subscore=SUBSCORE_NAMES.get(key, key),
            n_corporations=int(has.sum()),
            n_respondents=respondents,
            mean_of_corporations=float(scores.mean()) if has.any() else np.nan,
            pooled_score=float((scores * n[has]).sum() / respondents) if respondents else np.nan,
            median=float(np.median(scores)) if has.any() else np.nan,
            p10=float(np.quantile(scores, 0.10)) if has.any() else np.nan,
            p90=float(np.quantile(scores, 0.90)) if has.any() else np.nan,
            pct_dissatisfied=(100.0 * int(results[f"{key}_n_dissatisfied"].sum()) / respondents)
            if respondents
            else np.nan,
        )
        counts = results[f"{key}_letter"].value_counts()
        row.update({f"n_{letter}": int(counts.get(letter, 0)) for letter in letters})
        rows.append(row)
    return pd.DataFrame(rows)


_NATIONAL_DISTRIBUTION = FrameMemo(_national_distribution)


def corporation_position(results: pd.DataFrame, corporation_id: str, rules: Rules) -> pd.DataFrame:
    """One corporation's rows of :func:`national_distribution` (rank and percentile per sub-score)."""
    table = national_distribution(results, rules)
    return table.loc[table["corporation_id"] == corporation_id].reset_index(drop=True)


# --------------------------------------------------------------------------- what changes


@dataclass(frozen=True)
class LetterChanges:
    """What would change a corporation's letters (:func:`what_changes_letter`).

    Attributes
    ----------
    subscores : per sub-score ``questionnaire, subscore, score, grade, letter, next_letter,
        next_letter_grade`` (boundary on the rounded grade), ``needed_score`` (smallest
        unrounded grade that earns it: the boundary minus half a unit of the last decimal,
        7,45 for B), ``gap`` (needed_score − score, grade points) and ``text`` (Dutch:
        ``7,5 voor B``; ``hoogste letter`` for A; ``geen respondenten``).
    overall : every single sub-score letter change that changes the overall letter:
        ``questionnaire, subscore, from_letter, to_letter, overall_points`` (after the
        change), ``overall_letter`` (after), ``direction`` (``hoger``/``lager``) and
        ``adjacent`` (the change is one letter step). Empty when there is no overall letter.
    current_overall_letter, current_overall_points : the present overall letter and points.
    """

    subscores: pd.DataFrame
    overall: pd.DataFrame
    current_overall_letter: str | None
    current_overall_points: Decimal | None


def what_changes_letter(results: pd.DataFrame, corporation_id: str, rules: Rules) -> LetterChanges:
    """The grade needed for the next letter per sub-score, and which single sub-score letter
    change would change the overall letter (for "wat verandert de letter" in the report).

    Parameters
    ----------
    results : output of :func:`aedes_results`.
    corporation_id : the corporation.
    rules : rule set (letters, points, weights, overall thresholds).
    """
    match = results.loc[results["corporation_id"] == corporation_id]
    if match.empty:
        raise KeyError(f"{corporation_id} is not in the Aedes results")
    row = match.iloc[0]
    keys = subscore_keys(rules)
    letters_order = [b.letter for b in _letters_top_down(rules)]
    half_unit = Decimal(5).scaleb(-(GRADE_DECIMALS + 1))
    sub_rows = []
    current: dict[str, str | None] = {}
    for key in keys:
        letter = row[f"{key}_letter"]
        score = row[f"{key}_score"]
        current[key] = None if pd.isna(letter) else str(letter)
        entry = dict(
            questionnaire=key,
            subscore=SUBSCORE_NAMES.get(key, key),
            score=score,
            grade=row[f"{key}_grade"],
            letter=current[key],
            next_letter=None,
            next_letter_grade=np.nan,
            needed_score=np.nan,
            gap=np.nan,
        )
        if current[key] is None:
            entry["text"] = "geen respondenten"
        else:
            following = next_letter(str(current[key]), rules)
            if following is None:
                entry["text"] = "hoogste letter"
            else:
                needed = following[1] - half_unit
                entry.update(
                    next_letter=following[0],
                    next_letter_grade=float(following[1]),
                    needed_score=float(needed),
                    gap=float(Fraction(needed) - _exact(score)),
                    text=f"{fmt_grade(following[1])} voor {following[0]}",
                )
        sub_rows.append(entry)
    points = overall_points(current, rules)
    letter_now = _letter_for_points(points, rules)
    change_rows = []
    if points is not None:
        for key in keys:
            for alternative in letters_order:
                if alternative == current[key]:
                    continue
                changed = dict(current, **{key: alternative})
                new_points = overall_points(changed, rules)
                new_letter = _letter_for_points(new_points, rules)
                if new_letter == letter_now or new_points is None:
                    continue
                steps = letters_order.index(str(current[key])) - letters_order.index(alternative)
                change_rows.append(
                    dict(
                        questionnaire=key,
                        subscore=SUBSCORE_NAMES.get(key, key),
                        from_letter=current[key],
                        to_letter=alternative,
                        overall_points=float(new_points),
                        overall_letter=new_letter,
                        direction="hoger" if steps > 0 else "lager",
                        adjacent=abs(steps) == 1,
                    )
                )
    overall = pd.DataFrame(
        change_rows,
        columns=[
            "questionnaire",
            "subscore",
            "from_letter",
            "to_letter",
            "overall_points",
            "overall_letter",
            "direction",
            "adjacent",
        ],
    )
    return LetterChanges(pd.DataFrame(sub_rows), overall, letter_now, points)


def aedes_months(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """Which service months of the benchmark periods of Y and Y−1 hold respondents, per member.

    Respondents are counted as for the sub-scores (:func:`kwh_calc.calculations.aedes.subscore_table`: a
    grade on the Aedes question of one of the three sub-score questionnaires, service month in
    the period, completed on or before the freeze).

    Parameters
    ----------
    dataset : validated research dataset.
    rules : rule set (``aedes`` period and freeze).
    year : benchmark year Y; rows are made for Y and Y−1.

    Returns
    -------
    DataFrame
        One row per member × year: ``corporation_id, year, period_first_month,
        period_end_month`` (``YYYY-MM``), ``first_month``, ``last_month`` (the corporation's
        first and last service month with respondents; empty without any), ``n_months``
        (service months with respondents) and ``data_first_month``, ``data_last_month`` (the
        same over all members: what the research data holds for that period).
    """
    keys = list(subscore_keys(rules))
    corps = dataset.corporations
    members = corps.loc[corps["aedes_member"].to_numpy(dtype=bool), "corporation_id"].astype(str).sort_values().tolist()
    frames = []
    for benchmark_year in (year, year - 1):
        period = benchmark_period(benchmark_year, rules)
        counted = respondent_results(
            dataset,
            rules,
            first_month=period.first_month,
            last_month=period.end_month,
            question_kind="aedes",
            questionnaires=keys,
            completed_on_or_before=pd.Timestamp(period.completed_on_or_before),
        )
        counted = counted.loc[counted["corporation_id"].isin(members).to_numpy(dtype=bool)]
        months = counted.groupby("corporation_id", observed=True)["service_month"].agg(["min", "max", "nunique"])
        months.index = months.index.astype(str)
        months = months.reindex(members)
        frame = pd.DataFrame(
            {
                "corporation_id": members,
                "year": benchmark_year,
                "period_first_month": period.first_month,
                "period_end_month": period.end_month,
                "first_month": months["min"].to_numpy(),
                "last_month": months["max"].to_numpy(),
                "n_months": months["nunique"].fillna(0).astype("int64").to_numpy(),
                "data_first_month": counted["service_month"].min() if len(counted) else None,
                "data_last_month": counted["service_month"].max() if len(counted) else None,
            }
        )
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    for column in (
        "corporation_id",
        "period_first_month",
        "period_end_month",
        "first_month",
        "last_month",
        "data_first_month",
        "data_last_month",
    ):
        table[column] = table[column].astype("string")
    table["year"] = table["year"].astype("int64")
    return table
