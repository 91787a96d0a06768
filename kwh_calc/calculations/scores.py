"""Onderdeelscore, percentage tevreden huurders and n, by any breakdown (docs/methodology.md §2, §6).

FAQ "Hoe worden de onderdeelscores ... berekend?":

- **respondent mean**: one respondent's mean grade over the questionnaire's label questions
  they answered (unanswered / "weet niet" left out, not counted as 0). A respondent without
  any valid grade on those questions is not a respondent of the component.
- **onderdeelscore**: the mean of the respondent means (every respondent weighs the same).
- **percentage tevreden**: the share of respondents whose respondent mean is >= 5,5.

Threshold comparisons are exact (docs/methodology.md §2.4 "Decision (exactness)"): a respondent mean is
``grade_sum / grade_count``; the onderdeelscore is compared through integers scaled by the
least common multiple of the grade counts, so 6,96 never passes 7,0 by float noise and
exactly 7,0 always does. Results in ``[threshold - margin, threshold)`` print as the threshold
but fail it: they are flagged ``borderline`` (grensgeval).

The research year Y counts service months January–December Y (attribution by
``service_month``, not by completion date).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from kwh_calc.common.numbers import fmt_grade, fmt_pct, fraction_at_least, round_half_up
from kwh_calc.intake.dataset import TABLE_COLUMNS, Dataset
from kwh_calc.intake.removals import removed_mask
from kwh_calc.intake.rules import Rules

__all__ = [
    "BREAKDOWN_COLUMNS",
    "PEER_KINDS",
    "component_scores",
    "peer_scores",
    "research_months",
    "respondent_results",
    "suppress",
]

BREAKDOWN_COLUMNS = (
    "aannemer",
    "uitsplitsing_1",
    "uitsplitsing_2",
    "uitsplitsing_3",
    "uitsplitsing_4",
    "quarter",
    "mode",
    "service_month",
)
GROUP_KEYS = ["corporation_id", "questionnaire"]
#: The columns of :func:`component_scores` after its group keys.
SCORE_COLUMNS = (
    "n",
    "n_satisfied",
    "score",
    "pct_satisfied",
    "sd",
    "score_display",
    "pct_display",
    "meets_score",
    "meets_pct",
    "borderline_score",
    "borderline_pct",
)
QUESTION_FLAGS = {"label": "label_question", "aedes": "aedes_question"}
#: The respondents' columns of the data contract, in its order.
RESPONDENT_COLUMNS = list(TABLE_COLUMNS["respondents"])


def research_months(year: int) -> tuple[str, str]:
    """First and last service month (``YYYY-MM``) of research year ``year``: Jan–Dec."""
    return f"{year:04d}-01", f"{year:04d}-12"


def respondent_results(
    dataset: Dataset,
    rules: Rules,
    *,
    first_month: str,
    last_month: str,
    question_kind: str = "label",
    questionnaires: list[str] | None = None,
    completed_on_or_before: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """One row per respondent of a component: the respondent mean and whether satisfied.

    Parameters
    ----------
    dataset : validated research dataset.
    rules : rule set (``scores.satisfied_grade``, default 5,5).
    first_month, last_month : inclusive service-month range ``YYYY-MM`` (attribution period).
    question_kind : ``"label"`` (label questions: onderdeelscore) or ``"aedes"`` (the Aedes
        question: benchmark sub-score).
    questionnaires : restrict to these questionnaire keys (default: all).
    completed_on_or_before : count only responses completed on or before this date (the
        Aedes freeze); default no limit.

    Returns
    -------
    DataFrame
        The respondent's columns (see docs/data-contract.md §5) plus ``quarter`` (``K1``–``K4`` of the service
        month), ``grade_sum`` and ``grade_count`` (integers over the answered questions of
        the kind), ``mean`` (float, grade 1–10) and ``satisfied`` (exact: mean >= 5,5).
        Respondents without any answered question of the kind are left out, and so are
        questionnaires in the dataset's removals register (:mod:`kwh_calc.intake.removals`).
    """
    if question_kind not in QUESTION_FLAGS:
        raise ValueError(f"question_kind must be one of {sorted(QUESTION_FLAGS)}")
    respondents = dataset.respondents
    keep = (respondents["service_month"] >= first_month) & (respondents["service_month"] <= last_month)
    if questionnaires is not None:
        keep &= respondents["questionnaire"].isin(questionnaires)
    if completed_on_or_before is not None:
        keep &= respondents["completed_on"] <= pd.Timestamp(completed_on_or_before)
    keep = keep.to_numpy(dtype=bool)
    # Questionnaires in the removals register count nowhere (docs/methodology.md §6); the raw tables
    # stay as delivered, so the register is applied here, where every calculation starts.
    keep = keep & ~removed_mask(dataset)
    selected = respondents.loc[keep, RESPONDENT_COLUMNS].reset_index(drop=True)

    # Integer links made at validation: answer -> respondent row, answer -> question row.
    counted = dataset.questions[QUESTION_FLAGS[question_kind]].to_numpy(dtype=bool)
    grades = dataset.answers["grade"].to_numpy(dtype="float64", na_value=np.nan)
    respondent_row, question_row = dataset.answer_respondent, dataset.answer_question
    assert respondent_row is not None, "load_dataset links every answer to its respondent"
    assert question_row is not None, "load_dataset links every answer to its question"
    use = ~np.isnan(grades) & keep[respondent_row] & counted[question_row]
    new_position = np.cumsum(keep) - 1
    position = new_position[respondent_row[use]]
    grades = grades[use].astype(np.int64)

    grade_sum = np.bincount(position, weights=grades, minlength=len(selected)).astype(np.int64)
    grade_count = np.bincount(position, minlength=len(selected)).astype(np.int64)
    selected["grade_sum"] = grade_sum
    selected["grade_count"] = grade_count
    result = selected.loc[grade_count > 0].reset_index(drop=True)
    result["mean"] = result["grade_sum"] / result["grade_count"]
    result["satisfied"] = fraction_at_least(result["grade_sum"], result["grade_count"], rules.scores.satisfied_grade)
    result["quarter"] = _quarters(result["service_month"])
    return result


def _quarters(service_month: pd.Series) -> pd.Series:
    """``K1``–``K4`` of each ``YYYY-MM``: worked out per distinct month, then spread (per row it
    cost ≈30 ms a call on a year's ~250.000 respondents, issue 13)."""
    codes, months = pd.factorize(service_month)
    month = pd.Series(months).str.slice(5, 7).astype(int)
    quarter = "K" + ((month - 1) // 3 + 1).astype(str)
    return quarter.iloc[codes].set_axis(service_month.index)


def _scaled_sums(results: pd.DataFrame, group_index: np.ndarray, n_groups: int) -> tuple[np.ndarray, int]:
    """Per group, sum of respondent means times L = lcm(grade counts), as exact integers."""
    counts = results["grade_count"].to_numpy(dtype=np.int64)
    sums = results["grade_sum"].to_numpy(dtype=np.int64)
    lcm = int(np.lcm.reduce(np.unique(counts))) if len(counts) else 1
    scaled = sums * (lcm // counts)
    if lcm * 10 * max(len(counts), 1) < 2**62:
        totals = np.zeros(n_groups, dtype=np.int64)
        np.add.at(totals, group_index, scaled)
        return totals.astype(object), lcm
    big_totals = [0] * n_groups  # extremely many distinct grade counts: Python's big integers
    for g, value in zip(
        group_index.tolist(), (int(s) * (lcm // int(c)) for s, c in zip(sums, counts, strict=True)), strict=True
    ):
        big_totals[g] += value
    return np.array(big_totals, dtype=object), lcm


def component_scores(results: pd.DataFrame, rules: Rules, by: str | list[str] | None = None) -> pd.DataFrame:
    """Onderdeelscore, percentage tevreden and n per corporation × questionnaire (× groups).

    Parameters
    ----------
    results : output of :func:`respondent_results`.
    rules : rule set (label thresholds ``label.min_score`` 7,0 and ``label.min_pct_satisfied``
        85%; borderline margins ``scores.borderline_margin_*``).
    by : breakdown column(s), e.g. ``"aannemer"``, ``"uitsplitsing_1"``, ``"quarter"``,
        ``"mode"``. Respondents with an empty breakdown value form the group ``(leeg)``.

    Returns
    -------
    DataFrame
        ``corporation_id, questionnaire, [by…], n, n_satisfied, score`` (unrounded mean of
        respondent means, grade 1–10), ``pct_satisfied`` (unrounded, percent 0–100),
        ``score_display`` (``7,4``), ``pct_display`` (``85%``), ``meets_score``,
        ``meets_pct`` (exact comparisons with the label thresholds), ``borderline_score``,
        ``borderline_pct`` (fails but prints as the threshold), ``sd`` (standard deviation of
        respondent means, for intervals). One row per group with at least one respondent.
    """
    by_columns = [by] if isinstance(by, str) else list(by or [])
    unknown = [c for c in by_columns if c not in results.columns]
    if unknown:
        raise ValueError(f"unknown breakdown column(s): {', '.join(unknown)}")
    keys = GROUP_KEYS + by_columns
    frame = results
    if by_columns:
        frame = results.copy()
        for column in by_columns:
            frame[column] = frame[column].astype("string").fillna("(leeg)")
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *SCORE_COLUMNS])
    grouped = frame.groupby(keys, sort=True, observed=True)
    group_index = grouped.ngroup().to_numpy()
    table = grouped.agg(
        n=("mean", "size"), n_satisfied=("satisfied", "sum"), score=("mean", "mean"), sd=("mean", "std")
    ).reset_index()
    n = table["n"].to_numpy(dtype=np.int64)
    n_satisfied = table["n_satisfied"].to_numpy(dtype=np.int64)
    table["n_satisfied"] = n_satisfied
    table["pct_satisfied"] = 100.0 * n_satisfied / n
    scaled, lcm = _scaled_sums(frame, group_index, len(table))

    min_score = Fraction(rules.label.min_score)
    min_pct = Fraction(rules.label.min_pct_satisfied)
    low_score = min_score - Fraction(rules.scores.borderline_margin_grade)
    low_pct = min_pct - Fraction(rules.scores.borderline_margin_pct)
    counts = [int(k) for k in n]
    table["meets_score"], table["borderline_score"], table["score_display"] = _judge(
        [int(s) for s in scaled], [k * lcm for k in counts], min_score, low_score, 1, fmt_grade
    )
    table["meets_pct"], table["borderline_pct"], table["pct_display"] = _judge(
        [100 * int(s) for s in n_satisfied], counts, min_pct, low_pct, 0, fmt_pct
    )
    return table[[*keys, *SCORE_COLUMNS]]


def _judge(
    numerators: list[int],
    denominators: list[int],
    minimum: Fraction,
    low: Fraction,
    digits: int,
    display: Callable[[Decimal], str],
) -> tuple[list[bool], list[bool], list[str]]:
    """Per exact value ``numerator / denominator``: whether it meets ``minimum``, whether it is
    borderline (in ``[low, minimum)``) and its display rounded half up to ``digits``.

    Each distinct (numerator, denominator) is judged once: small groups (breakdowns, months)
    share few, and comparing and formatting Fractions is slow (≈0,3 s of the breakdowns
    table, issue 13).
    """
    judged = {}
    for pair in set(zip(numerators, denominators, strict=True)):
        value = Fraction(*pair)
        judged[pair] = (value >= minimum, low <= value < minimum, display(round_half_up(value, digits)))
    rows = [judged[pair] for pair in zip(numerators, denominators, strict=True)]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def suppress(
    table: pd.DataFrame,
    rules: Rules,
    totals: pd.DataFrame | None = None,
    value_columns: tuple[str, ...] = ("score", "pct_satisfied", "score_display", "pct_display", "sd", "n_satisfied"),
) -> pd.DataFrame:
    """Hide cells with fewer respondents than ``suppression.min_cell_size`` (docs/methodology.md §6.4).

    Parameters
    ----------
    table : breakdown groups from :func:`component_scores` with ``by``.
    rules : rule set (``suppression.min_cell_size``).
    totals : optional ``corporation_id, questionnaire, n`` of the whole component (the figure
        shown beside the breakdown). With it, suppression is also **complementary**: when the
        respondents outside the shown groups (hidden groups plus respondents without a value)
        number more than 0 but fewer than the minimum, their result could be worked out as
        total minus shown groups, so the smallest shown group is hidden too, until that rest is
        0 or at least the minimum.

    Returns
    -------
    DataFrame
        A copy with boolean ``suppressed`` and ``suppressed_secondary`` columns; for
        suppressed rows every column of ``value_columns`` present is emptied, so no result of
        (nearly) a single person can show. ``n`` stays visible: it tells the reader why the
        cell is empty.
    """
    out = table.copy().reset_index(drop=True)
    minimum = rules.suppression.min_cell_size
    primary = out["n"].to_numpy() < minimum
    secondary = np.zeros(len(out), bool)
    if totals is not None and len(out):
        total_n = out[GROUP_KEYS].merge(totals[[*GROUP_KEYS, "n"]], on=GROUP_KEYS, how="left")["n"].to_numpy()
        n = out["n"].to_numpy()
        for _, rows in out.groupby(GROUP_KEYS, sort=False).indices.items():
            rows = np.asarray(rows)
            hidden = primary[rows] | secondary[rows]
            rest = total_n[rows[0]] - n[rows][~hidden].sum()
            while 0 < rest < minimum and (~hidden).any():
                shown = rows[~hidden]
                smallest = shown[np.argmin(n[shown])]
                secondary[smallest] = True
                hidden = primary[rows] | secondary[rows]
                rest = total_n[rows[0]] - n[rows][~hidden].sum()
    hidden = primary | secondary
    out["suppressed"] = hidden
    out["suppressed_secondary"] = secondary
    for column in value_columns:
        if column in out.columns:
            if out[column].dtype == bool or str(out[column].dtype) == "bool":
                out[column] = out[column].astype("boolean")
            elif pd.api.types.is_integer_dtype(out[column]):
                out[column] = out[column].astype("Int64")
            out.loc[hidden, column] = pd.NA if not pd.api.types.is_float_dtype(out[column]) else np.nan
    return out


PEER_KINDS = {
    "landelijk": None,
    "regio": "region",
    "grootteklasse": "size_class",
    "stedelijkheid": "urbanisation",
}


def peer_scores(results: pd.DataFrame, corporations: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Peer comparisons for every corporation × questionnaire (docs/methodology.md §6.3).

    Peer groups: all corporations (``landelijk``), same ``region``, same size class
    (``grootteklasse``, from rental units and ``size_classes`` in the rules) and same
    ``urbanisation`` (``stedelijkheid``). A peer value pools the respondents of its
    corporations (respondent-weighted: every respondent weighs the same), including the
    corporation itself.

    Returns
    -------
    DataFrame
        ``corporation_id, questionnaire, peer_kind, peer_group, n_corporations, n, score,
        pct_satisfied`` (percent 0–100); groups with fewer respondents than the minimum cell
        size have empty score and percentage.
    """
    corps = corporations[["corporation_id", "region", "units", "urbanisation"]].copy()
    corps["size_class"] = [rules.size_class(int(u)) for u in corps["units"]]
    corps["urbanisation"] = corps["urbanisation"].astype(str)
    corps["landelijk"] = "Nederland"
    per_corp = (
        results.groupby(GROUP_KEYS, observed=True)
        .agg(n=("mean", "size"), n_satisfied=("satisfied", "sum"), mean_sum=("mean", "sum"))
        .reset_index()
        .merge(corps, on="corporation_id", how="left")
    )
    frames = []
    for kind, column in PEER_KINDS.items():
        column = column or "landelijk"
        pooled = (
            per_corp.groupby(["questionnaire", column], observed=True)
            .agg(
                n_corporations=("corporation_id", "nunique"),
                n=("n", "sum"),
                n_satisfied=("n_satisfied", "sum"),
                mean_sum=("mean_sum", "sum"),
            )
            .reset_index()
        )
        pooled["score"] = pooled["mean_sum"] / pooled["n"]
        pooled["pct_satisfied"] = 100.0 * pooled["n_satisfied"] / pooled["n"]
        members = per_corp[["corporation_id", "questionnaire", column]]
        joined = members.merge(pooled, on=["questionnaire", column], how="left")
        joined = joined.rename(columns={column: "peer_group"})
        joined["peer_kind"] = kind
        frames.append(
            joined[
                [
                    "corporation_id",
                    "questionnaire",
                    "peer_kind",
                    "peer_group",
                    "n_corporations",
                    "n",
                    "score",
                    "pct_satisfied",
                ]
            ]
        )
    peers = pd.concat(frames, ignore_index=True)
    small = peers["n"] < rules.suppression.min_cell_size
    peers.loc[small, ["score", "pct_satisfied"]] = np.nan
    peers["peer_group"] = peers["peer_group"].astype(str)
    return peers.sort_values(["corporation_id", "questionnaire", "peer_kind"], kind="stable").reset_index(drop=True)
