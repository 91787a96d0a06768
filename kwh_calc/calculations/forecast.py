"""Label forecast during the year: how likely a label component meets the criteria at year end.

For every corporation × label questionnaire with at least one respondent in service months
January..as-of of research year Y (``docs/methodology.md`` criterion 1: onderdeelscore >= 7,0
**and** percentage tevreden >= 85% with at least the minimum respondents):

- **respondents still expected** ``m``: the corporation's own respondents per service month so
  far (from its first month of membership in Y) times the service months still to come. This
  is its delivery pattern: a corporation that delivers monthly keeps its pace, one that has
  not delivered yet expects nothing.
- **predictive distribution of the rest of the year** (a Bayesian bootstrap with a prior, i.e.
  a Dirichlet-process posterior): the respondent means of the remaining tenants are drawn from
  a distribution over respondent-mean classes whose weights are Dirichlet with parameters
  ``own respondents per class + PRIOR_STRENGTH × national share of the class``. A corporation
  with many respondents is judged on its own tenants; one with few leans on the national
  picture of the same questionnaire. The number still to come is Poisson with mean ``m``.
- ``p_meets_label``: the share of simulated years whose full-year score, % tevreden and n all
  meet the label (the observed respondents so far are known exactly; only the rest is drawn).
- ``grade_needed``: the mean grade the ``m`` expected respondents would need for a full-year
  onderdeelscore of exactly 7,0 (may be below 1: already safe; above 10: out of reach).

Random draws are seeded per corporation, questionnaire and month, so a forecast does not
depend on which corporations were selected and two runs give the same figures.

:func:`backtest` checks the method on a past year: forecasts as of several months against
the actual year-end outcome (Brier score, calibration table).
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy import stats

from kwh_calc.calculations.scores import component_scores, respondent_results
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules

__all__ = [
    "FORECAST_COLUMNS",
    "PRIOR_STRENGTH",
    "backtest",
    "brier_score",
    "calibration_table",
    "forecast_label",
    "month_window",
]

#: Weight of the national distribution in pseudo-respondents (the Dirichlet-process
#: concentration). 10 keeps a component with 5 respondents from looking certain and hardly
#: moves one with 200; checked by :func:`backtest` on the demo's earlier year.
PRIOR_STRENGTH = 10.0
#: Simulated years per component; the Monte Carlo error of a probability is at most
#: 0,5/sqrt(DRAWS) ≈ 0,011.
DRAWS = 2000
#: Respondent-mean classes of width 0,5 on the 1–10 scale. 5,5 is a class edge, so a class is
#: wholly satisfied or wholly not; a class's value is the national mean within it.
CLASS_EDGES = np.arange(1.0, 10.5, 0.5)

FORECAST_COLUMNS = [
    "corporation_id",
    "questionnaire",
    "as_of",
    "n_to_date",
    "score_to_date",
    "pct_satisfied_to_date",
    "min_respondents",
    "respondents_expected",
    "n_expected_year",
    "respondents_needed_for_minimum",
    "grade_needed",
    "p_score",
    "p_pct",
    "p_minimum",
    "p_meets_label",
]


def month_window(as_of: str) -> tuple[int, str, str, int]:
    """Research year, first and last service month and months still to come of ``as_of``.

    Parameters
    ----------
    as_of : ``YYYY-MM``, the last service month counted.

    Returns
    -------
    tuple
        ``(year, "YYYY-01", as_of, 12 - month)``.
    """
    try:
        period = pd.Period(as_of, "M")
    except Exception:
        raise ValueError(f"as-of month must be YYYY-MM, got {as_of!r}") from None
    if f"{period.year:04d}-{period.month:02d}" != as_of:
        raise ValueError(f"as-of month must be YYYY-MM, got {as_of!r}")
    return period.year, f"{period.year:04d}-01", as_of, 12 - period.month


def _classes(means: np.ndarray, satisfied: np.ndarray) -> np.ndarray:
    """Class index of each respondent mean; the satisfied flag (exact) decides the 5,5 edge."""
    index = np.clip(np.searchsorted(CLASS_EDGES, means, side="right") - 1, 0, len(CLASS_EDGES) - 2)
    edge = int(np.searchsorted(CLASS_EDGES, 5.5))
    # Float means a hair below 5,5 must not land above the edge, nor exact satisfied ones below.
    index = np.where(satisfied, np.maximum(index, edge), np.minimum(index, edge - 1))
    return index


def _multinomial(rng: np.random.Generator, n: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One multinomial draw per row (``n[i]`` respondents over the classes with ``weights[i]``).

    Drawn as a chain of binomials over the classes, vectorised over the rows: the same
    distribution as ``Generator.multinomial`` with one probability row per draw, which
    loops in Python-visible C per row and is twenty times slower here.
    """
    left = n.astype(np.int64)
    remaining_weight = np.ones(len(n))
    out = np.zeros(weights.shape, dtype=np.int64)
    for j in range(weights.shape[1] - 1):
        share = np.clip(weights[:, j] / np.maximum(remaining_weight, 1e-300), 0.0, 1.0)
        out[:, j] = rng.binomial(left, share)
        left = left - out[:, j]
        remaining_weight = remaining_weight - weights[:, j]
    out[:, -1] = left
    return out


def _months_active(corporations: pd.DataFrame, year: int, last_month: int) -> pd.Series:
    """Service months Jan..as-of of ``year`` in which each corporation was a member (at least 1)."""
    since = pd.to_datetime(corporations["member_since"])
    first = np.where(since.dt.year == year, since.dt.month, np.where(since.dt.year > year, 13, 1))
    months = np.clip(last_month - first + 1, 1, None)
    return pd.Series(months, index=corporations["corporation_id"].to_numpy())


def forecast_label(
    dataset: Dataset,
    rules: Rules,
    as_of: str,
    *,
    draws: int = DRAWS,
    prior_strength: float = PRIOR_STRENGTH,
    corporations: list[str] | None = None,
) -> pd.DataFrame:
    """Label forecast per corporation × label questionnaire with respondents to date.

    Parameters
    ----------
    dataset : validated research dataset.
    rules : rule set of the research year (thresholds, minimum respondents).
    as_of : ``YYYY-MM``; service months January..as-of of that year count as data so far.
    draws : simulated years per component.
    prior_strength : weight of the national distribution, in pseudo-respondents.
    corporations : restrict the output to these corporations (the national prior always uses
        every corporation); default all.

    Returns
    -------
    DataFrame
        :data:`FORECAST_COLUMNS`: ``n_to_date``; ``score_to_date`` (unrounded, grade 1–10);
        ``pct_satisfied_to_date`` (unrounded, 0–100); ``min_respondents``;
        ``respondents_expected`` (respondents still expected after as-of, a mean count);
        ``n_expected_year``; ``respondents_needed_for_minimum`` (more respondents needed for
        the minimum, 0 when reached); ``grade_needed`` (mean grade the expected respondents
        need for 7,0; empty when none are expected); ``p_score``, ``p_pct``, ``p_minimum``
        and ``p_meets_label`` (probabilities 0–1; the last is all three at once).
    """
    year, first, last, remaining_months = month_window(as_of)
    label_keys = rules.label_questionnaires
    results = respondent_results(dataset, rules, first_month=first, last_month=last, questionnaires=label_keys)
    scores = component_scores(results, rules)
    if corporations is not None:
        scores = scores[scores["corporation_id"].isin(corporations)]
    if scores.empty:
        return pd.DataFrame(columns=FORECAST_COLUMNS)

    classes = _classes(results["mean"].to_numpy(), results["satisfied"].to_numpy(dtype=bool))
    results = results.assign(klass=classes)
    n_classes = len(CLASS_EDGES) - 1
    satisfied_class = np.arange(n_classes) >= int(np.searchsorted(CLASS_EDGES, 5.5))
    # National picture per questionnaire: class shares and the mean within each class.
    national = {}
    midpoints = (CLASS_EDGES[:-1] + CLASS_EDGES[1:]) / 2
    for questionnaire, group in results.groupby("questionnaire", observed=True):
        counts = np.bincount(group["klass"], minlength=n_classes).astype(float)
        sums = np.bincount(group["klass"], weights=group["mean"], minlength=n_classes)
        values = np.where(counts > 0, sums / np.maximum(counts, 1), midpoints)
        national[questionnaire] = (counts / counts.sum(), values)
    own_counts = {
        key: np.bincount(g["klass"], minlength=n_classes)
        for key, g in results.groupby(["corporation_id", "questionnaire"], observed=True)
    }
    sums_to_date = results.groupby(["corporation_id", "questionnaire"], observed=True)["mean"].sum()
    months_active = _months_active(dataset.corporations, year, int(last[5:]))

    min_score = float(rules.label.min_score)
    min_pct = float(rules.label.min_pct_satisfied)
    rows = []
    for row in scores.itertuples(index=False):
        key = (row.corporation_id, row.questionnaire)
        n0, k0 = int(row.n), int(row.n_satisfied)
        s0 = float(sums_to_date.loc[key])
        minimum = rules.questionnaires[row.questionnaire].min_respondents or 0
        expected = n0 / float(months_active.get(row.corporation_id, 12)) * remaining_months
        share, values = national[row.questionnaire]
        alpha = own_counts[key] + prior_strength * share
        alpha = np.where(alpha > 0, alpha, 1e-9)  # classes nobody anywhere is in: (almost) never drawn
        seed = zlib.crc32(f"{row.corporation_id}|{row.questionnaire}|{as_of}".encode())
        rng = np.random.default_rng(seed)
        weights = stats.dirichlet.rvs(alpha, size=draws, random_state=rng)
        rest = stats.poisson.rvs(expected, size=draws, random_state=rng) if expected > 0 else np.zeros(draws, int)
        future = _multinomial(rng, rest, weights)  # draws × classes: respondents still to come
        total_n = n0 + rest
        total_sum = s0 + future @ values
        total_satisfied = k0 + future[:, satisfied_class].sum(axis=1)
        # A tolerance far below a grade's resolution: class values are means of fractions.
        meets_score = total_sum >= min_score * total_n - 1e-9
        meets_pct = 100.0 * total_satisfied >= min_pct * total_n - 1e-9
        meets_min = total_n >= minimum
        m = round(expected)
        grade_needed = (min_score * (n0 + m) - s0) / m if m > 0 else np.nan
        rows.append(
            {
                "corporation_id": row.corporation_id,
                "questionnaire": row.questionnaire,
                "as_of": as_of,
                "n_to_date": n0,
                "score_to_date": float(row.score),
                "pct_satisfied_to_date": float(row.pct_satisfied),
                "min_respondents": minimum,
                "respondents_expected": expected,
                "n_expected_year": n0 + expected,
                "respondents_needed_for_minimum": max(0, minimum - n0),
                "grade_needed": grade_needed,
                "p_score": meets_score.mean(),
                "p_pct": meets_pct.mean(),
                "p_minimum": meets_min.mean(),
                "p_meets_label": (meets_score & meets_pct & meets_min).mean(),
            }
        )
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def brier_score(probability: np.ndarray | pd.Series, outcome: np.ndarray | pd.Series) -> float:
    """Mean squared difference between forecast probabilities (0–1) and outcomes (0/1); lower is better."""
    p = np.asarray(probability, dtype=float)
    y = np.asarray(outcome, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(p) else float("nan")


def calibration_table(probability: pd.Series, outcome: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Forecasts grouped by probability band: how often the label was met in each band.

    Returns
    -------
    DataFrame
        ``band`` (e.g. ``0.0–0.1``), ``n`` forecasts, ``mean_p`` (mean forecast probability)
        and ``observed`` (share that met the label), plus a Wilson 90% interval of the
        observed share (``observed_low``, ``observed_high``).
    """
    from statsmodels.stats.proportion import proportion_confint

    edges = np.linspace(0, 1, bins + 1)
    band = pd.cut(np.asarray(probability, float), edges, include_lowest=True, right=True)
    frame = pd.DataFrame({"band": band, "p": np.asarray(probability, float), "y": np.asarray(outcome, float)})
    table = (
        frame.groupby("band", observed=True)
        .agg(n=("p", "size"), mean_p=("p", "mean"), observed=("y", "mean"), hits=("y", "sum"))
        .reset_index()
    )
    low, high = proportion_confint(table["hits"], table["n"], alpha=0.10, method="wilson")
    table["observed_low"], table["observed_high"] = low, high
    labels = {interval: f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i, interval in enumerate(band.categories)}
    table["band"] = [labels[i] for i in table["band"]]
    return table.drop(columns="hits")


def backtest(dataset: Dataset, rules: Rules, year: int, months: tuple[int, ...] = (3, 6, 9), **options) -> pd.DataFrame:
    """Forecasts of ``year`` as of the given months joined with the actual year-end outcome.

    Parameters
    ----------
    dataset, rules : the data and the rule set of ``year``.
    year : a research year whose data is complete.
    months : as-of months (3 = as of March).
    options : passed to :func:`forecast_label`.

    Returns
    -------
    DataFrame
        The forecast rows plus ``n_year``, ``met`` (the full year met score, % tevreden and
        the minimum respondents) and ``met_to_date`` (the to-date score and % tevreden already
        met the thresholds: the naive forecast to compare with).
    """
    results = respondent_results(
        dataset, rules, first_month=f"{year}-01", last_month=f"{year}-12", questionnaires=rules.label_questionnaires
    )
    actual = component_scores(results, rules)
    minimum = actual["questionnaire"].map(lambda q: rules.questionnaires[q].min_respondents or 0)
    actual = actual.assign(met=actual["meets_score"] & actual["meets_pct"] & (actual["n"] >= minimum))
    actual = actual[["corporation_id", "questionnaire", "n", "met"]].rename(columns={"n": "n_year"})
    frames = []
    for month in months:
        forecast = forecast_label(dataset, rules, f"{year}-{month:02d}", **options)
        frames.append(forecast)
    joined = pd.concat(frames, ignore_index=True).merge(actual, on=["corporation_id", "questionnaire"], how="left")
    joined["met"] = joined["met"].fillna(False).astype(bool)
    joined["met_to_date"] = (joined["score_to_date"] >= float(rules.label.min_score)) & (
        joined["pct_satisfied_to_date"] >= float(rules.label.min_pct_satisfied)
    )
    return joined
