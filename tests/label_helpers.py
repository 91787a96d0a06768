"""Shortcuts on :class:`builders.DatasetBuilder` for label, coverage and decisions tests.

:func:`label_corporation` adds a corporation that meets every KWH-Kwaliteitslabel criterion
for a research year unless told otherwise, so a test changes exactly the one thing it is
about (a quarter missing, 19 respondents, a 6,96 score …).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from builders import N_LABEL_QUESTIONS, DatasetBuilder

YEAR = 2025
QUARTERLY = ("nieuwe_huurders", "vertrokken_huurders", "reparaties")
LABEL = (*QUARTERLY, "planmatig_onderhoud")

GradeRows = Sequence[Sequence[int | None]]


def same_grades(n: int, grade: int) -> list[list[int]]:
    """``n`` respondents grading every label question ``grade``."""
    return [[grade] * N_LABEL_QUESTIONS for _ in range(n)]


def respondent_means(means: Iterable[int]) -> list[list[int]]:
    """One respondent per whole-number mean (all label questions that grade)."""
    return [[m] * N_LABEL_QUESTIONS for m in means]


def quarter_months(quarters: Iterable[int], year: int = YEAR) -> list[str]:
    """Service months ``YYYY-MM`` of the given quarters."""
    return [f"{year}-{m:02d}" for k in quarters for m in range(3 * k - 2, 3 * k + 1)]


def spread(
    b: DatasetBuilder, corporation_id: str, questionnaire: str, grades: GradeRows, months: Sequence[str]
) -> None:
    """Add respondents (label grades per respondent) cycling over ``months``."""
    buckets: dict[str, list] = {m: [] for m in months}
    for i, row in enumerate(grades):
        buckets[months[i % len(months)]].append(row)
    for month, rows in buckets.items():
        if rows:
            b.respondents(corporation_id, questionnaire, rows, month=month)


def label_corporation(
    b: DatasetBuilder,
    corporation_id: str,
    *,
    year: int = YEAR,
    grades: dict[str, GradeRows] | None = None,
    n: int = 60,
    grade: int = 8,
    quarters: dict[str, Iterable[int]] | None = None,
    half_yearly: Iterable[str] = (),
    onderhoud: bool = True,
    algemene_waardering: bool = True,
    components: Iterable[str] = LABEL,
    **corporation: object,
) -> str:
    """A corporation meeting every label criterion of ``year`` unless told otherwise.

    Parameters
    ----------
    grades : per component, the label grades of each respondent (overrides ``n``/``grade``).
    n, grade : default respondents per component, all grading ``grade``.
    quarters : per quarterly component, the quarters delivered (default all four).
    half_yearly : quarterly components delivered twice a year (Jan–Jun, Jul–Dec) instead.
    onderhoud : deliver Planmatig onderhoud (one delivery over the year).
    algemene_waardering : deliver Algemene waardering once (March).
    components : the components that get deliveries and respondents at all.
    corporation : passed to :meth:`DatasetBuilder.corporation` (member_since, merged_from …).
    """
    b.corporation(corporation_id, **corporation)
    grades = grades or {}
    quarters = {k: list(v) for k, v in (quarters or {}).items()}
    half_yearly = set(half_yearly)
    for questionnaire in components:
        rows = grades.get(questionnaire, same_grades(n, grade))
        if questionnaire in QUARTERLY:
            if questionnaire in half_yearly:
                b.delivery(corporation_id, questionnaire, f"{year}-01-01", f"{year}-06-30")
                b.delivery(corporation_id, questionnaire, f"{year}-07-01", f"{year}-12-31")
                delivered = [1, 2, 3, 4]
            else:
                delivered = quarters.get(questionnaire, [1, 2, 3, 4])
                for k in delivered:
                    start = pd.Timestamp(year, 3 * k - 2, 1)
                    end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
                    b.delivery(corporation_id, questionnaire, start.date().isoformat(), end.date().isoformat())
            months = quarter_months(delivered, year)
        else:
            if not onderhoud:
                continue
            b.delivery(corporation_id, questionnaire, f"{year}-01-01", f"{year}-12-31")
            months = quarter_months([1, 2, 3, 4], year)
        if rows:
            spread(b, corporation_id, questionnaire, rows, months)
    if algemene_waardering:
        b.delivery(corporation_id, "algemene_waardering", f"{year}-03-01", f"{year}-03-31")
    return corporation_id
