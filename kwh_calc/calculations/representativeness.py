"""Representativeness: margins of error, required sample sizes and intervals (docs/methodology.md §5).

FAQ "Hoe betrouwbaar of representatief zijn onze resultaten?": whether results speak for the
whole population depends on the population size N, the confidence level (standard **90%**)
and the margin of error (standard **5%–10%**). Large populations need a smaller share of
respondents; "for the average Dutch person, at 5% margin and 90% confidence, a net response of
**227** suffices".

Formulas (docs/methodology.md §5.2, "Decision (formulas)"):

- z = the standard normal quantile for a two-sided confidence level (90% -> 1,6449);
- margin of error of a percentage from n respondents out of N:
  ``e = z * sqrt(p(1-p)/n) * sqrt((N-n)/(N-1))`` (finite population correction, FPC);
- required net response for a margin e: ``n0 = z² p(1-p) / e²``,
  ``n = n0 / (1 + (n0-1)/N)``, rounded up;
- intervals: Wilson for a percentage (statsmodels ``proportion_confint(method="wilson")``),
  a t-interval over respondent means for a score.

Units
-----
Functions of this module take and return **fractions** (0.05 = 5%) for margins, confidence
levels and proportions, except where stated: :func:`wilson_interval` returns **percent**
(0–100), and :func:`representativeness_table` reports margins in **percentage points** and
rates in **percent**.

The FAQ's numbers
-----------------
- **227** ("the average Dutch person"): z = 1,645 (90%), an expected proportion p = 70%
  (70/30 split), margin 5%, no finite population correction (the Dutch population, ≈ 17,9
  million, changes nothing: 227,30), n0 = 1,645² · 0,7 · 0,3 / 0,05² = 227,31, rounded to the
  **nearest** whole number. Rounded up it would be 228; with the exact z = 1,64485 it is
  227,27, again 227 to the nearest.
- **271** (the conventional worst case): the same with p = 50%: n0 = 1,645² · 0,25 / 0,05² =
  270,60, rounded **up** (and to the nearest) to 271; the exact z gives 270,55, also 271.
The workbench uses the worst case p = 50% (``representativeness.worst_case_p``), which does
not depend on the result it qualifies, and rounds required sample sizes up.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from kwh_calc.calculations.coverage import mergers
from kwh_calc.calculations.scores import component_scores, research_months, respondent_results
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.rules import Rules

__all__ = [
    "ScoreInterval",
    "margin_of_error",
    "monthly_response",
    "pro_rata_quota",
    "representativeness_table",
    "required_sample_size",
    "research_months_active",
    "sample_size_examples",
    "score_interval",
    "score_interval_from_summary",
    "t_half_width",
    "telephone_quota",
    "wilson_interval",
    "z_value",
]

#: Relative slack when rounding a required sample size up: 271.0000000001 (float noise of an
#: exactly whole n) is 271, not 272.
_CEIL_DECIMALS = 9


# --------------------------------------------------------------------------- helpers


def _series_like(*values):
    """The first pandas Series among ``values`` (its index is kept on the result), else None."""
    for value in values:
        if isinstance(value, pd.Series):
            return value
    return None


def _is_scalar(*values) -> bool:
    return all(np.ndim(v) == 0 for v in values)


def _wrap(result: np.ndarray, *inputs, dtype=None):
    """Return a float/int for scalar inputs, a Series for Series inputs, else an ndarray."""
    if dtype is not None:
        result = result.astype(dtype)
    like = _series_like(*inputs)
    if like is not None:
        return pd.Series(result, index=like.index)
    if _is_scalar(*inputs):
        value = result.item() if isinstance(result, np.ndarray) else result
        return value
    return result


def _floats(value) -> np.ndarray:
    if value is None:
        return np.asarray(np.nan)
    if isinstance(value, pd.Series):
        return value.to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(value, dtype="float64")


def _population(population) -> np.ndarray:
    """Population sizes as floats; None / NaN / inf mean "infinite" (no correction)."""
    if population is None:
        return np.asarray(np.inf)
    pop = _floats(population)
    pop = np.where(np.isnan(pop), np.inf, pop)
    if np.any(pop < 1):
        raise ValueError("population must be at least 1 (or None/NaN for an infinite population)")
    return pop


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be a fraction strictly between 0 and 1, got {confidence}")
    return confidence


def _check_proportion(p: np.ndarray) -> None:
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must be a fraction between 0 and 1")


# --------------------------------------------------------------------------- building blocks


def z_value(confidence: float = 0.90) -> float:
    """Two-sided standard normal quantile for a confidence level (docs/methodology.md §5.2).

    Parameters
    ----------
    confidence : confidence level as a fraction (0.90 = 90%, the FAQ's standard).

    Returns
    -------
    float
        ``scipy.stats.norm.ppf(1 - (1 - confidence) / 2)``: 0.90 -> 1.6449, 0.95 -> 1.9600.
        Computed with ``scipy.special.ndtri``, the function ``norm.ppf`` itself calls (the same
        float; tested): importing ``scipy.stats`` costs every kernel of the close ≈45 MB and ≈1 s.
    """
    confidence = _check_confidence(confidence)
    return float(special.ndtri(1.0 - (1.0 - confidence) / 2.0))


def margin_of_error(n, population=None, confidence: float = 0.90, p=0.5):
    """Margin of error of a percentage, as a **fraction** (0.05 = 5 percentage points).

    ``e = z * sqrt(p(1-p)/n) * sqrt((N-n)/(N-1))`` (docs/methodology.md §5.2, "Decision (formulas)"): the
    half-width of the normal-approximation (Wald) interval at ``confidence``, with the finite
    population correction when ``population`` is given.

    Parameters
    ----------
    n : net response (respondents); scalar, numpy array or pandas Series; must be >= 0.
    population : population size N (tenants the component speaks about); scalar, array or
        Series broadcast against ``n``. None, NaN or inf: infinite population, no correction.
        Must be >= 1 where finite, and never smaller than ``n``.
    confidence : confidence level as a fraction (default 0.90, the FAQ's standard).
    p : expected (or observed) proportion as a fraction; default 0.5, the worst case
        (largest margin). Broadcast against ``n``.

    Returns
    -------
    float, ndarray or Series (same shape and index as the inputs)
        The margin as a fraction. ``n == N`` (a census) gives 0. ``n == 0`` gives **NaN**: no
        respondents, no estimate, so no margin (neither an error nor infinity; tables show it
        empty and count it as not meeting any standard). ``p`` of 0 or 1 gives 0 (a
        limitation of the Wald formula: use :func:`wilson_interval` for an interval).

    Raises
    ------
    ValueError
        ``n`` negative, ``n`` larger than a finite ``population``, ``population`` below 1,
        ``p`` outside [0, 1] or ``confidence`` outside (0, 1).

    Examples
    --------
    >>> round(margin_of_error(271), 4)
    0.05
    >>> margin_of_error(40, population=40)
    0.0
    """
    z = z_value(confidence)
    n_values = _floats(n)
    p_values = _floats(p)
    pop = _population(population)
    if np.any(n_values < 0) or np.any(np.isnan(n_values)):
        raise ValueError("n must be a number of respondents >= 0")
    _check_proportion(p_values)
    if np.any(np.broadcast_to(n_values, np.broadcast(n_values, pop).shape) > pop):
        raise ValueError("n must not exceed the population")
    with np.errstate(divide="ignore", invalid="ignore"):
        base = z * np.sqrt(p_values * (1.0 - p_values) / n_values)
        fpc = np.where(np.isinf(pop), 1.0, np.sqrt((pop - n_values) / (pop - 1.0)))
    fpc = np.where(n_values >= pop, 0.0, fpc)
    margin = np.where(n_values == 0, np.nan, base * fpc)
    return _wrap(np.asarray(margin, dtype="float64"), n, population, p)


def _round_size(value: np.ndarray, rounding: str) -> np.ndarray:
    if rounding == "ceil":
        return np.ceil(np.round(value, _CEIL_DECIMALS))
    if rounding == "nearest":
        return np.floor(value + 0.5)  # half up
    raise ValueError("rounding must be 'ceil' or 'nearest'")


def required_sample_size(
    margin=0.05,
    confidence: float = 0.90,
    p=0.5,
    population=None,
    rounding: Literal["ceil", "nearest"] = "ceil",
):
    """Net response needed for a margin of error (docs/methodology.md §5.3, "Decision (formulas)").

    ``n0 = z² p(1-p) / e²`` and, with a population N, ``n = n0 / (1 + (n0-1)/N)``.

    Parameters
    ----------
    margin : margin of error e as a **fraction** (0.05 = 5 percentage points), > 0.
    confidence : confidence level as a fraction (default 0.90).
    p : expected proportion as a fraction; default 0.5, the worst case.
    population : population size N (>= 1); None/NaN/inf = infinite (no correction). Scalar,
        array or Series (vectorised: one size per population).
    rounding : ``"ceil"`` (default, docs/methodology.md §5.3: rounded up, so the margin is really met; a
        value within 1e-9 of a whole number counts as that number) or ``"nearest"`` (half
        up, as the FAQ's 227).

    Returns
    -------
    int, or int ndarray / Series for array inputs
        Respondents needed. Never more than ``population``.

    Examples
    --------
    >>> required_sample_size(0.05, 0.90, p=0.5)          # the conventional worst case
    271
    >>> required_sample_size(0.05, 0.90, p=0.7, rounding="nearest")   # FAQ: "227"
    227
    """
    z = z_value(confidence)
    e = _floats(margin)
    p_values = _floats(p)
    if np.any(~(e > 0)):
        raise ValueError("margin must be a fraction > 0 (0.05 = 5%)")
    _check_proportion(p_values)
    pop = _population(population)
    n0 = z * z * p_values * (1.0 - p_values) / (e * e)
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = np.where(np.isinf(pop), n0, n0 / (1.0 + (n0 - 1.0) / pop))
    size = np.minimum(_round_size(corrected, rounding), pop)
    return _wrap(np.asarray(size), margin, p, population, dtype="int64")


def sample_size_examples() -> pd.DataFrame:
    """The FAQ's 227 and the conventional 271, with the assumptions behind each.

    Returns
    -------
    DataFrame
        ``example, z, p, margin, population, rounding, n0, n`` (fractions; ``population``
        None = infinite). The 227 is reproduced with z = 1,645, p = 70%, e = 5%, rounded to
        the nearest whole; 271 is the worst case p = 50%, rounded up. Rows with the exact z
        (1,64485) and with the Dutch population (17,9 million) show the number does not hinge
        on those choices; rounding 227,3 *up* would give 228.
    """
    rows = []
    z_exact = z_value(0.90)
    cases = [
        ("FAQ: gemiddelde Nederlander", 1.645, 0.7, None, "nearest"),
        ("FAQ, exacte z", z_exact, 0.7, None, "nearest"),
        ("FAQ, Nederland 17,9 mln", 1.645, 0.7, 17_900_000, "nearest"),
        ("FAQ, naar boven afgerond", 1.645, 0.7, None, "ceil"),
        ("Slechtste geval p = 50%", 1.645, 0.5, None, "ceil"),
        ("Slechtste geval, exacte z", z_exact, 0.5, None, "ceil"),
    ]
    for name, z, p, population, rounding in cases:
        n0 = z * z * p * (1 - p) / 0.05**2
        n = n0 if population is None else n0 / (1 + (n0 - 1) / population)
        rows.append(
            dict(
                example=name,
                z=z,
                p=p,
                margin=0.05,
                population=population,
                rounding=rounding,
                n0=n0,
                n=int(_round_size(np.asarray(n), rounding)),
            )
        )
    return pd.DataFrame(rows)


def wilson_interval(successes, n, confidence: float = 0.90):
    """Wilson score interval of a percentage, in **percent** (0–100).

    Uses statsmodels ``proportion_confint(successes, n, alpha=1-confidence,
    method="wilson")`` (docs/methodology.md §5.5: intervals for a percentage are Wilson).

    Parameters
    ----------
    successes : number of "successes" (e.g. satisfied respondents); scalar, array or Series.
    n : number of respondents, >= successes.
    confidence : confidence level as a fraction (default 0.90).

    Returns
    -------
    (low, high)
        Bounds in percent 0–100, each a float / ndarray / Series like the inputs; NaN where
        ``n == 0``.
    """
    from statsmodels.stats.proportion import proportion_confint  # not needed by the documents' kernels

    confidence = _check_confidence(confidence)
    count = _floats(successes)
    nobs = _floats(n)
    if np.any(count < 0) or np.any(count > nobs):
        raise ValueError("successes must lie between 0 and n")
    count, nobs = np.broadcast_arrays(count, nobs)
    empty = nobs == 0
    low, high = proportion_confint(
        np.where(empty, 0.0, count), np.where(empty, 1.0, nobs), alpha=1.0 - confidence, method="wilson"
    )
    low = np.where(empty, np.nan, 100.0 * np.asarray(low, dtype="float64"))
    high = np.where(empty, np.nan, 100.0 * np.asarray(high, dtype="float64"))
    return _wrap(low, successes, n), _wrap(high, successes, n)


class ScoreInterval(NamedTuple):
    """A score (mean of respondent means, grade 1–10) with its t-interval."""

    n: int
    mean: float
    low: float
    high: float


def t_half_width(n, sd, confidence: float = 0.90):
    """Half-width of the t-interval of a mean: ``t(1-α/2; n-1) · sd / √n`` (docs/methodology.md §5.5).

    The one t-interval of the workbench: the onderdeelscore intervals
    (:func:`score_interval`, :func:`score_interval_from_summary`) and the Aedes margin of error
    (:func:`kwh_calc.calculations.aedes.aedes_results`) all use it. The quantile is
    ``scipy.stats.t.ppf``, computed as ``scipy.special.stdtrit`` (what ``t.ppf`` calls; see
    :func:`z_value`).

    Parameters
    ----------
    n : respondents (scalar, array or Series).
    sd : sample standard deviation (ddof = 1) of the respondent means (grade points).
    confidence : confidence level as a fraction (default 0.90).

    Returns
    -------
    float, ndarray or Series
        Grade points, NaN where ``n < 2`` (no spread can be estimated) or ``sd`` is missing.
    """
    confidence = _check_confidence(confidence)
    n_values, sds = np.broadcast_arrays(_floats(n), _floats(sd))
    ok = n_values >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = special.stdtrit(np.where(ok, n_values - 1.0, 1.0), 1.0 - (1.0 - confidence) / 2.0)
        half = t * sds / np.sqrt(n_values)
    return _wrap(np.where(ok, half, np.nan), n, sd)


def score_interval(respondent_means, confidence: float = 0.90) -> ScoreInterval:
    """t-interval of an onderdeelscore from its respondents' means (docs/methodology.md §5.5).

    ``mean ± t_half_width(n, sd)`` (:func:`t_half_width`, sd with ddof = 1): every
    respondent weighs the same, as in the onderdeelscore (docs/methodology.md §2.2). No finite population
    correction is applied (conservative for small populations).

    Parameters
    ----------
    respondent_means : the respondent means (grades 1–10); NaN values are left out.
    confidence : confidence level as a fraction (default 0.90).

    Returns
    -------
    ScoreInterval
        ``n``, ``mean`` (grade), ``low`` and ``high`` (grade). With fewer than two
        respondents the bounds are NaN (no spread can be estimated); with none the mean is
        NaN too.
    """
    confidence = _check_confidence(confidence)
    values = _floats(respondent_means).ravel()
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return ScoreInterval(0, math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n < 2:
        return ScoreInterval(1, mean, math.nan, math.nan)
    half = float(t_half_width(n, float(values.std(ddof=1)), confidence))
    return ScoreInterval(n, mean, mean - half, mean + half)


def score_interval_from_summary(n, mean, sd, confidence: float = 0.90):
    """Vectorised t-interval from per-group summaries (e.g. :func:`component_scores`).

    ``mean ± t_half_width(n, sd)`` (:func:`t_half_width`) — the same interval as
    :func:`score_interval` on the underlying respondent means.

    Parameters
    ----------
    n : respondents per group (scalar, array or Series).
    mean : score per group (mean of respondent means, grade 1–10).
    sd : sample standard deviation (ddof = 1) of the respondent means per group.
    confidence : confidence level as a fraction (default 0.90).

    Returns
    -------
    (low, high)
        Bounds (grade), NaN where ``n < 2``.
    """
    n_values, means, sds = np.broadcast_arrays(_floats(n), _floats(mean), _floats(sd))
    half = np.asarray(t_half_width(n_values, sds, confidence), dtype="float64")
    return _wrap(means - half, n, mean, sd), _wrap(means + half, n, mean, sd)


def telephone_quota(units: int, questionnaire: str, rules: Rules) -> int | Literal["all"]:
    """Telephone interviews per year for a corporation's size class (FAQ table, docs/methodology.md §5.6).

    Parameters
    ----------
    units : rental units (verhuureenheden) of the corporation, >= 1.
    questionnaire : questionnaire key (docs/methodology.md §1.1).
    rules : rule set; ``representativeness.telephone_quota`` rows with inclusive upper bounds
        ``max_units`` (the last row, ``null``, has no upper bound).

    Returns
    -------
    int or ``"all"``
        Interviews per year; ``"all"`` means 100% of the tenants without (online) response
        (Nieuwe / Vertrokken huurders at corporations of at most 2.500 units).
    """
    units = int(units)
    if units < 1:
        raise ValueError("units must be at least 1")
    for row in rules.representativeness.telephone_quota:
        if row.max_units is None or units <= row.max_units:
            extra = row.model_extra or {}
            if questionnaire not in extra:
                raise KeyError(f"no telephone quota for questionnaire {questionnaire!r}")
            value = extra[questionnaire]
            if isinstance(value, str):
                if value.strip().lower() != "all":
                    raise ValueError(f"telephone quota {value!r} is neither a number nor 'all'")
                return "all"
            return int(value)
    raise ValueError(f"no telephone quota row for {units} units")


def research_months_active(corporations: pd.DataFrame, year: int) -> pd.Series:
    """Months of research year ``year`` in which each corporation took part in the survey.

    12, unless the corporation started or ended inside Y. It starts at the month of
    ``member_since`` (a new member) or of ``merged_on`` (a merged corporation, whose own
    respondents start at the merger). A predecessor that merged away ends with the last month
    whose first day lies before the successor's ``merged_on``: the months whose respondents
    count as its own (docs/methodology.md §3.10, §5.6); merged away before Y, it took part 0 months.
    Index ``corporation_id``.
    """
    starts = []
    for column in ("member_since", "merged_on"):
        if column in corporations.columns:
            starts.append(pd.to_datetime(corporations[column]))
    start = pd.concat(starts, axis=1).max(axis=1) if starts else pd.Series(pd.NaT, index=corporations.index)
    first = np.where(start.dt.year == year, start.dt.month.fillna(1).astype("int64"), 1)
    ids = corporations["corporation_id"].astype(str)
    last = pd.Series(12, index=ids.to_numpy(), dtype="int64")
    if "merged_from" in corporations.columns:
        for predecessor, merged_on in mergers(corporations)[["predecessor_id", "merged_on"]].itertuples(index=False):
            if predecessor in last.index and not pd.isna(merged_on) and merged_on.year <= year:
                before = merged_on.month - 1 + int(merged_on.day > 1) if merged_on.year == year else 0
                last[predecessor] = before
    months = np.maximum(last.to_numpy() - first + 1, 0)
    return pd.Series(months, index=ids.to_numpy(), dtype="int64")


def pro_rata_quota(quota_per_year: int, months: int) -> int:
    """The telephone quota for part of a year: ``ceil(quota × months / 12)``, exactly.

    **Decision:** the FAQ gives interviews *per year*; a corporation that took part only
    ``months`` months of the year (new member, merger) is held to that share, rounded up
    (24 per year over 5 months -> 10), not to the whole year's number.
    """
    months = min(max(int(months), 0), 12)
    return -(-int(quota_per_year) * months // 12)


# --------------------------------------------------------------------------- tables


def _components(year: int, dataset: Dataset, results: pd.DataFrame) -> pd.DataFrame:
    """Population per corporation × questionnaire in year Y (docs/methodology.md §5.4, Decision)."""
    deliveries = dataset.deliveries
    in_year = (deliveries["period_start"].dt.year == year) & (deliveries["questionnaire"] != "algemene_waardering")
    population = (
        deliveries.loc[in_year.to_numpy(dtype=bool)]
        .groupby(["corporation_id", "questionnaire"], observed=True)["n_delivered"]
        .sum()
        .reset_index()
        .rename(columns={"n_delivered": "population"})
    )
    population = population.loc[population["population"] > 0]

    corps = dataset.corporations
    end_of_year = pd.Timestamp(year, 12, 31)
    start_of_year = pd.Timestamp(year, 1, 1)
    # Predecessors merged away on or before 1 January Y; a merged corporation listing its own id
    # in merged_from (it absorbed the others) is not its own predecessor (coverage.mergers).
    predecessors = mergers(corps)
    gone = set(predecessors.loc[predecessors["merged_on"] <= start_of_year, "predecessor_id"])
    active = corps.loc[
        (corps["member_since"] <= end_of_year).to_numpy(dtype=bool)
        & ~corps["corporation_id"].isin(gone).to_numpy(dtype=bool)
    ]
    general = pd.DataFrame(
        {
            "corporation_id": active["corporation_id"].to_numpy(),
            "questionnaire": "algemene_waardering",
            "population": active["units"].to_numpy(dtype="int64"),
        }
    )
    keys = pd.concat([population, general], ignore_index=True)
    responded = results[["corporation_id", "questionnaire"]].drop_duplicates()
    keys = keys.merge(responded, on=["corporation_id", "questionnaire"], how="outer")
    # Algemene waardering respondents of a corporation outside `active`: its units all the same.
    units = corps.set_index("corporation_id")["units"]
    general_rows = (keys["questionnaire"] == "algemene_waardering") & keys["population"].isna()
    keys.loc[general_rows, "population"] = units.reindex(keys.loc[general_rows, "corporation_id"]).to_numpy()
    keys["population"] = keys["population"].fillna(0).astype("int64")
    return keys


def representativeness_table(
    dataset: Dataset, rules: Rules, year: int, *, results: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Representativeness per corporation × questionnaire for research year Y (docs/methodology.md §5).

    Parameters
    ----------
    dataset : validated research dataset.
    rules : rule set: ``representativeness.confidence`` (0.90), ``margin_standard`` (0.05),
        ``margin_acceptable`` (0.10), ``worst_case_p`` (0.5), ``telephone_quota``;
        ``scores.satisfied_grade`` for the percentage satisfied.
    year : research year Y (service months January–December Y).
    results : output of :func:`kwh_calc.calculations.scores.respondent_results` for the year's service
        months, when already computed (saves the pass over the answers).

    Returns
    -------
    DataFrame
        One row per corporation × questionnaire that has a population or respondents in Y,
        sorted by corporation and questionnaire (rules order), with columns:

        - ``corporation_id, questionnaire, units, size_class``;
        - ``population`` — N: Σ ``n_delivered`` of the corporation's deliveries of the
          questionnaire whose ``period_start`` lies in Y; for ``algemene_waardering`` the
          corporation's ``units`` (docs/methodology.md §5.4, Decision). Every member corporation (member
          by the end of Y and not merged away before Y) gets an ``algemene_waardering`` row,
          with n = 0 where it was not held;
        - ``n`` — net response: the component's respondents as counted for the onderdeelscore
          (at least one valid label-question grade, service month in Y);
        - ``response_rate`` — n / N in **percent** (NaN when N = 0);
        - ``population_mismatch`` — n > N (respondents whose delivery started before Y, or a
          population missing from the deliveries): then no finite population correction is
          applied to the margins and required sizes (the conservative choice);
        - ``margin_of_error`` — in **percentage points** at ``confidence``, worst case
          p = ``worst_case_p``, with FPC; NaN when n = 0; ``margin_observed`` — the same at
          the observed share satisfied;
        - ``meets_5pct``, ``meets_10pct`` — margin ≤ 5 (10) percentage points, decided as
          n ≥ the required size (the same up to float rounding; consistent with ``extra_n``);
          false when n = 0. (Column names follow the default standards; the values use
          ``margin_standard`` / ``margin_acceptable`` from the rules.)
        - ``required_n_5pct`` — net response needed for the standard margin (rounded up),
          ``required_rate_5pct`` — that as percent of N, ``extra_n_5pct`` — additional
          respondents needed (0 when met), ``required_n_10pct``;
        - ``n_satisfied``, ``pct_satisfied`` (percent) and its Wilson interval ``pct_low``,
          ``pct_high`` (percent);
        - ``score`` (grade) and its t-interval ``score_low``, ``score_high``;
        - ``n_online``, ``n_telefonisch`` — mode mix of the n respondents;
        - ``telephone_quota`` — interviews per year for the size class (int, or ``"all"``);
          ``quota_months`` — months of Y the corporation took part (:func:`research_months_active`:
          12, fewer for a member or merged corporation that started in Y);
          ``telephone_quota_period`` — the quota for those months (:func:`pro_rata_quota`);
          ``telephone_quota_met`` — n_telefonisch ≥ that quota (NA for ``"all"``: 100% of the
          tenants without online response cannot be checked against a count).
    """
    if results is None:
        first, last = research_months(year)
        results = respondent_results(dataset, rules, first_month=first, last_month=last)
    table = _components(year, dataset, results)
    table = _with_scores_and_modes(table, results, rules)
    corps = dataset.corporations.set_index("corporation_id")
    table["units"] = corps["units"].reindex(table["corporation_id"]).to_numpy(dtype="int64")
    table["size_class"] = [rules.size_class(int(u)) for u in table["units"]]
    _add_margins(table, rules)
    _add_intervals(table, rules)
    _add_telephone_quota(table, dataset, rules, year)
    return _in_rule_order(table, rules)


#: The columns of :func:`representativeness_table`, in order.
REPRESENTATIVENESS_COLUMNS = (
    "corporation_id",
    "questionnaire",
    "units",
    "size_class",
    "population",
    "n",
    "response_rate",
    "population_mismatch",
    "margin_of_error",
    "margin_observed",
    "meets_5pct",
    "meets_10pct",
    "required_n_5pct",
    "required_rate_5pct",
    "extra_n_5pct",
    "required_n_10pct",
    "n_satisfied",
    "pct_satisfied",
    "pct_low",
    "pct_high",
    "score",
    "score_low",
    "score_high",
    "n_online",
    "n_telefonisch",
    "telephone_quota",
    "quota_months",
    "telephone_quota_period",
    "telephone_quota_met",
)


def _with_scores_and_modes(table: pd.DataFrame, results: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The component scores (n, satisfied, score, sd) and the mode mix of the respondents."""
    keys = ["corporation_id", "questionnaire"]
    scores = component_scores(results, rules)
    if len(scores):
        table = table.merge(scores[[*keys, "n", "n_satisfied", "score", "pct_satisfied", "sd"]], on=keys, how="left")
    else:
        for column in ("n", "n_satisfied", "score", "pct_satisfied", "sd"):
            table[column] = np.nan
    table["n"] = table["n"].fillna(0).astype("int64")
    table["n_satisfied"] = table["n_satisfied"].fillna(0).astype("int64")
    modes = results.groupby([*keys, "mode"], observed=True).size().unstack("mode")
    modes = modes.reindex(columns=["online", "telefonisch"], fill_value=0)
    modes.columns = ["n_online", "n_telefonisch"]
    table = table.merge(modes.reset_index(), on=keys, how="left")
    for column in ("n_online", "n_telefonisch"):
        table[column] = table[column].fillna(0).astype("int64")
    return table


def _add_margins(table: pd.DataFrame, rules: Rules) -> None:
    """Response rate, margins of error and required sizes, with the finite population correction
    unless n > N (docs/methodology.md §5.2, §5.3)."""
    settings = rules.representativeness
    confidence = float(settings.confidence)
    worst_p = float(settings.worst_case_p)
    n = table["n"].to_numpy(dtype="float64")
    population = table["population"].to_numpy(dtype="float64")
    mismatch = n > population
    table["population_mismatch"] = mismatch
    fpc_population = np.where(mismatch | (population < 1), np.nan, population)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["response_rate"] = np.where(population > 0, 100.0 * n / population, np.nan)
    table["margin_of_error"] = 100.0 * margin_of_error(n, fpc_population, confidence, worst_p)
    observed_p = np.where(n > 0, table["n_satisfied"].to_numpy(dtype="float64") / np.maximum(n, 1), worst_p)
    table["margin_observed"] = 100.0 * margin_of_error(n, fpc_population, confidence, observed_p)
    required_5 = required_sample_size(float(settings.margin_standard), confidence, worst_p, fpc_population)
    required_10 = required_sample_size(float(settings.margin_acceptable), confidence, worst_p, fpc_population)
    table["required_n_5pct"] = required_5
    table["required_n_10pct"] = required_10
    table["meets_5pct"] = (n > 0) & (n >= required_5)
    table["meets_10pct"] = (n > 0) & (n >= required_10)
    table["extra_n_5pct"] = np.maximum(required_5 - n.astype("int64"), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["required_rate_5pct"] = np.where(population > 0, 100.0 * required_5 / population, np.nan)


def _add_intervals(table: pd.DataFrame, rules: Rules) -> None:
    """Wilson interval of % tevreden and t-interval of the score (docs/methodology.md §5.5)."""
    confidence = float(rules.representativeness.confidence)
    n = table["n"].to_numpy(dtype="float64")
    table["pct_low"], table["pct_high"] = wilson_interval(table["n_satisfied"].to_numpy(), n, confidence)
    table["score_low"], table["score_high"] = score_interval_from_summary(
        n, table["score"].to_numpy(dtype="float64"), table["sd"].to_numpy(dtype="float64"), confidence
    )


def _add_telephone_quota(table: pd.DataFrame, dataset: Dataset, rules: Rules, year: int) -> None:
    """The telephone quota of the size class, pro rata over the months of Y taken part, and
    whether it was met (docs/methodology.md §5.6)."""
    quotas = [telephone_quota(int(u), q, rules) for u, q in zip(table["units"], table["questionnaire"], strict=True)]
    months = research_months_active(dataset.corporations, year).reindex(table["corporation_id"]).fillna(12)
    table["quota_months"] = months.to_numpy(dtype="int64")
    table["telephone_quota"] = pd.Series(quotas, index=table.index, dtype="object")
    period_quotas = [
        quota if quota == "all" else pro_rata_quota(quota, int(m))
        for quota, m in zip(quotas, table["quota_months"], strict=True)
    ]
    table["telephone_quota_period"] = pd.Series(period_quotas, index=table.index, dtype="object")
    table["telephone_quota_met"] = pd.array(
        [
            pd.NA if quota == "all" else bool(tel >= quota)
            for quota, tel in zip(period_quotas, table["n_telefonisch"], strict=True)
        ],
        dtype="boolean",
    )


def _in_rule_order(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Sorted by corporation and questionnaire (rules order), the columns of :data:`REPRESENTATIVENESS_COLUMNS`."""
    order = {key: position for position, key in enumerate(rules.questionnaires)}
    table["_order"] = table["questionnaire"].map(order)
    table = table.sort_values(["corporation_id", "_order"], kind="stable").reset_index(drop=True)
    table = table[list(REPRESENTATIVENESS_COLUMNS)]
    table["corporation_id"] = table["corporation_id"].astype("string")
    table["questionnaire"] = table["questionnaire"].astype("string")
    return table


def monthly_response(
    dataset: Dataset,
    rules: Rules,
    corporation_id: str | None,
    questionnaire: str | None,
    year: int,
    *,
    results: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Respondents and delivered tenants per service month of Y: does response follow the population?

    Parameters
    ----------
    dataset, rules : as for :func:`representativeness_table`.
    corporation_id, questionnaire : the component; ``None`` = all (one vectorised pass).
    year : research year Y.
    results : precomputed :func:`kwh_calc.calculations.scores.respondent_results` for Y (optional).

    Returns
    -------
    DataFrame
        One row per corporation × questionnaire × service month January–December Y (all
        twelve months, zeros included) for every component with deliveries overlapping Y or
        respondents in Y: ``corporation_id, questionnaire, service_month`` (``YYYY-MM``),
        ``respondents`` (as counted for the onderdeelscore), ``n_online``, ``n_telefonisch``,
        ``delivered`` (tenants, may be fractional), ``response_rate`` (percent of delivered;
        NaN when nothing was delivered that month), ``respondents_share`` and
        ``delivered_share`` (percent of the year's total of the component).

    Notes
    -----
    **Allocation of deliveries to months:** a delivery's ``n_delivered`` is spread *evenly*
    over the calendar months its data period [``period_start``, ``period_end``] touches
    (a quarterly delivery of 90 tenants gives 30 to each month; a period of 15 December to
    14 January gives half to each month), whatever the days per month; only months within Y
    are kept. The year's total of ``delivered`` therefore differs from the ``population`` of
    :func:`representativeness_table` (deliveries whose ``period_start`` lies in Y) for
    deliveries that straddle a year boundary.
    """
    if results is None:
        first, last = research_months(year)
        results = respondent_results(dataset, rules, first_month=first, last_month=last)
    keys = ["corporation_id", "questionnaire"]
    chosen = results
    deliveries = dataset.deliveries
    if corporation_id is not None:
        chosen = chosen.loc[chosen["corporation_id"] == corporation_id]
        deliveries = deliveries.loc[deliveries["corporation_id"] == corporation_id]
    if questionnaire is not None:
        chosen = chosen.loc[chosen["questionnaire"] == questionnaire]
        deliveries = deliveries.loc[deliveries["questionnaire"] == questionnaire]

    months = pd.period_range(f"{year:04d}-01", f"{year:04d}-12", freq="M")
    first_ordinal = months[0].ordinal
    # Spread every delivery evenly over the months it touches (vectorised).
    start = deliveries["period_start"].dt.to_period("M").array.asi8 if len(deliveries) else np.array([], dtype="int64")
    end = deliveries["period_end"].dt.to_period("M").array.asi8 if len(deliveries) else np.array([], dtype="int64")
    count = end - start + 1
    repeat = np.repeat(np.arange(len(deliveries)), count)
    offset = np.arange(len(repeat)) - np.repeat(np.cumsum(count) - count, count)
    ordinal = start[repeat] + offset
    share = deliveries["n_delivered"].to_numpy(dtype="float64")[repeat] / count[repeat]
    spread = pd.DataFrame(
        {
            "corporation_id": deliveries["corporation_id"].to_numpy()[repeat],
            "questionnaire": deliveries["questionnaire"].to_numpy()[repeat],
            "month_index": ordinal - first_ordinal,
            "delivered": share,
        }
    )
    spread = spread.loc[(spread["month_index"] >= 0) & (spread["month_index"] < 12)]
    delivered = spread.groupby([*keys, "month_index"], observed=True)["delivered"].sum()

    counted = chosen.assign(month_index=chosen["service_month"].str.slice(5, 7).astype(int) - 1)
    respondents = counted.groupby([*keys, "month_index", "mode"], observed=True).size().unstack("mode")
    respondents = respondents.reindex(columns=["online", "telefonisch"], fill_value=0).fillna(0)
    respondents.columns = ["n_online", "n_telefonisch"]

    components = pd.concat([delivered.reset_index()[keys], respondents.reset_index()[keys]]).drop_duplicates()
    components = components.sort_values(keys, kind="stable").reset_index(drop=True)
    grid = components.loc[components.index.repeat(12)].reset_index(drop=True)
    grid["month_index"] = np.tile(np.arange(12), len(components))
    grid = grid.merge(delivered.reset_index(), on=[*keys, "month_index"], how="left")
    grid = grid.merge(respondents.reset_index(), on=[*keys, "month_index"], how="left")
    grid["delivered"] = grid["delivered"].fillna(0.0)
    for column in ("n_online", "n_telefonisch"):
        grid[column] = grid[column].fillna(0).astype("int64")
    grid["respondents"] = grid["n_online"] + grid["n_telefonisch"]
    grid["service_month"] = [str(months[i]) for i in grid["month_index"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        grid["response_rate"] = np.where(grid["delivered"] > 0, 100.0 * grid["respondents"] / grid["delivered"], np.nan)
        totals = grid.groupby(keys, observed=True)[["respondents", "delivered"]].transform("sum")
        grid["respondents_share"] = np.where(
            totals["respondents"] > 0, 100.0 * grid["respondents"] / totals["respondents"], np.nan
        )
        grid["delivered_share"] = np.where(
            totals["delivered"] > 0, 100.0 * grid["delivered"] / totals["delivered"], np.nan
        )
    columns = [
        *keys,
        "service_month",
        "respondents",
        "n_online",
        "n_telefonisch",
        "delivered",
        "response_rate",
        "respondents_share",
        "delivered_share",
    ]
    return grid[columns]


# --------------------------------------------------------------------------- label components


def label_component_intervals(
    components: pd.DataFrame, representativeness: pd.DataFrame, merged_away: pd.DataFrame, rules: Rules
) -> pd.DataFrame:
    """The label components with their intervals and margin of error (docs/methodology.md §5.5).

    The label components pool a merged corporation's predecessors' respondents and the
    ``representativeness`` table does not, so the CKV dossier's intervals are computed here,
    per corporation × label component, all at ``representativeness.confidence``:

    - ``score_low``, ``score_high``: t-interval of the onderdeelscore
      (:func:`score_interval_from_summary` from ``n``, ``score``, ``sd``; grade, NaN below 2
      respondents);
    - ``pct_low``, ``pct_high``: Wilson interval of the percentage tevreden
      (:func:`wilson_interval`; satisfied respondents = ``pct_satisfied`` × ``n`` / 100, an exact
      whole number before rounding; percent);
    - ``population``: N of the component, the corporation's and its predecessors' that merged
      into it (``representativeness.population`` summed; NaN when unknown);
    - ``margin``: worst-case margin of error of the percentage (``representativeness.worst_case_p``,
      percentage points), with the finite population correction over N where N is known and
      at least n (else none), as the representativeness analysis does.

    The label itself is judged on the measured values, never on the intervals.

    Parameters
    ----------
    components : :func:`kwh_calc.calculations.label.components_table` (``corporation_id``,
        ``component``, ``n``, ``score``, ``sd``, ``pct_satisfied``, …).
    representativeness : :func:`representativeness_table` (``corporation_id``,
        ``questionnaire``, ``population``).
    merged_away : :func:`kwh_calc.calculations.label.merged_away` (``corporation_id``,
        ``successor_id``).
    rules : rule set (``representativeness.confidence``, ``representativeness.worst_case_p``).

    Returns
    -------
    DataFrame
        ``components`` with the six columns added (a new frame; the input is not changed).
    """
    confidence = float(rules.representativeness.confidence)
    own = representativeness[["corporation_id", "questionnaire", "population"]]
    links = merged_away[["corporation_id", "successor_id"]].drop_duplicates()
    inherited = own.merge(links, on="corporation_id").drop(columns="corporation_id")
    pooled = pd.concat(
        [own.rename(columns={"corporation_id": "owner"}), inherited.rename(columns={"successor_id": "owner"})],
        ignore_index=True,
    )
    populations = pooled.groupby(["owner", "questionnaire"])["population"].sum().astype(float)
    out = components.copy()
    n = out["n"].to_numpy(dtype="float64")
    satisfied = np.rint(out["pct_satisfied"].fillna(0).to_numpy(dtype="float64") * n / 100.0)
    out["score_low"], out["score_high"] = score_interval_from_summary(
        n, out["score"].to_numpy(dtype="float64"), out["sd"].to_numpy(dtype="float64"), confidence
    )
    out["pct_low"], out["pct_high"] = wilson_interval(satisfied, n, confidence)
    keys = pd.MultiIndex.from_arrays([out["corporation_id"], out["component"]])
    population = pd.Series(populations.reindex(keys).to_numpy(dtype="float64"), index=out.index)
    fpc = population.where((population >= out["n"]) & (population > 0))  # else: no correction
    out["population"] = population
    out["margin"] = 100.0 * margin_of_error(
        n, fpc.to_numpy(dtype="float64"), confidence, float(rules.representativeness.worst_case_p)
    )
    return out


# --------------------------------------------------------------------------- chart and text figures


def margin_curve(population, confidence: float, worst_p: float, n_max: int, points: int = 120) -> pd.DataFrame:
    """The margin of error (percentage points) against net response 1…``n_max``.

    Parameters
    ----------
    population : population size N, or None/NaN for no finite population correction.
    confidence, worst_p : fractions (rules).
    n_max : largest net response on the curve (capped at N).
    points : at most this many points (evenly spaced whole numbers, ``n_max`` included).

    Returns
    -------
    DataFrame
        ``n`` (int) and ``margin`` (percentage points, :func:`margin_of_error`).
    """
    upper = int(n_max)
    if population is not None and not pd.isna(population):
        upper = min(upper, int(population))
    upper = max(upper, 1)
    n = np.unique(np.round(np.linspace(1, upper, min(points, upper))).astype("int64"))
    pop = None if population is None or pd.isna(population) else float(population)
    return pd.DataFrame({"n": n, "margin": 100.0 * margin_of_error(n, pop, confidence, worst_p)})


def extra_approached(extra_n, response_pct):
    """Tenants to approach for ``extra_n`` more respondents at a response of ``response_pct``.

    ``ceil(extra_n / (response_pct / 100))`` (a value within 1e-9 of a whole number counts
    as that number): 37 respondents at 31% -> 120 tenants.

    Parameters
    ----------
    extra_n : respondents still needed (>= 0).
    response_pct : response in **percent** of approached tenants.

    Returns
    -------
    int or None
        0 when nothing is needed; None when the response is 0 or unknown (no estimate).
    """
    if extra_n is None or pd.isna(extra_n):
        return None
    if int(extra_n) <= 0:
        return 0
    if response_pct is None or pd.isna(response_pct) or float(response_pct) <= 0:
        return None
    return math.ceil(round(int(extra_n) * 100.0 / float(response_pct), 9))


#: Expected count below which a month (or quarter) counts as small for the chi-square
#: approximation (Cochran's rule: none below 1, at most 20% below this).
MIN_EXPECTED = 5


def _test_valid(expected: np.ndarray) -> bool:
    """Cochran's rule for the chi-square approximation: every expected count at least 1 and
    at most 20% of them below :data:`MIN_EXPECTED`."""
    return bool(expected.min() >= 1 and (expected < MIN_EXPECTED).mean() <= 0.2)


def _chisquare_p(observed: np.ndarray, expected: np.ndarray) -> float:
    """The p-value of ``scipy.stats.chisquare(observed, expected)``, computed as it computes it
    (Pearson's statistic summed by numpy, then ``scipy.special.chdtrc``; the same float, tested).

    The call itself costs ≈0,5 ms of argument handling, ≈0,7 s for the 1.395 tests of a
    results pass, and importing ``scipy.stats`` ≈1 s (issue 13). The caller makes sure the
    expected counts add up to the observed ones (chisquare's own check).
    """
    statistic = np.sum((observed - expected) ** 2 / expected)
    return float(special.chdtrc(float(len(observed) - 1), statistic))


def response_follows_deliveries(respondents, delivered, confidence: float) -> tuple[str, float, str]:
    """Are the respondents spread over the year as the delivered tenants are? (docs/methodology.md §5.7)

    Chi-square goodness-of-fit test (``scipy.stats.chisquare``) of the respondents per
    period against the expected counts ``total × delivered share``, at significance
    ``1 - confidence``, over the periods with deliveries. The test is done per month when
    the expected counts allow it (Cochran's rule: all at least 1, at most 20% below
    :data:`MIN_EXPECTED`); otherwise twelve months are pooled into quarters and tested again.

    Parameters
    ----------
    respondents : respondents per month (counts; twelve months for quarterly pooling).
    delivered : delivered tenants per month (may be fractional).
    confidence : fraction (rules: 0.90).

    Returns
    -------
    (verdict, p, period)
        ``verdict``: ``"ja"`` (no significant difference), ``"nee"`` (a significant
        difference, or respondents in periods without deliveries: p = 0), ``"één
        leverperiode"`` (every delivered tenant in one period: no spread to compare),
        ``"geen respons"``,
        ``"geen levering"`` or ``"te weinig respons"`` (even per quarter the test would not
        be reliable). ``p``: the p-value (NaN without a test).
        ``period``: ``"maand"`` or ``"kwartaal"`` (``""`` without a test).
    """
    observed = np.asarray(respondents, dtype="float64")
    weights = np.asarray(delivered, dtype="float64")
    if observed.sum() == 0:
        return "geen respons", math.nan, ""
    if weights.sum() <= 0:
        return "geen levering", math.nan, ""
    candidates = [("maand", observed, weights)]
    if len(observed) == 12:
        candidates.append(("kwartaal", observed.reshape(4, 3).sum(axis=1), weights.reshape(4, 3).sum(axis=1)))
    for period, counts, mass in candidates:
        inside = mass > 0
        if counts[~inside].sum() > 0:
            return "nee", 0.0, period
        if inside.sum() == 1:
            # All tenants were delivered in one period: nothing to compare the spread with.
            return "één leverperiode", math.nan, period
        expected = counts.sum() * mass[inside] / mass[inside].sum()
        if _test_valid(expected):
            p = _chisquare_p(counts[inside], expected)
            return ("ja" if p >= 1.0 - confidence else "nee"), p, period
    return "te weinig respons", math.nan, ""


def response_spread(monthly: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """:func:`response_follows_deliveries` per corporation × questionnaire of :func:`monthly_response`.

    Returns
    -------
    DataFrame
        ``corporation_id, questionnaire, follows`` (the verdict), ``p`` (NaN without a test),
        ``period`` (``maand`` / ``kwartaal`` / ``""``), at ``representativeness.confidence``;
        one row per corporation × questionnaire of ``monthly`` (months in service-month order).
    """
    confidence = float(rules.representativeness.confidence)
    keys = ["corporation_id", "questionnaire"]
    # One sort and one conversion for all groups: per group they cost ≈0,5 s (issue 13).
    ordered = monthly.sort_values([*keys, "service_month"], kind="stable")
    respondents = np.asarray(ordered["respondents"], dtype="float64")
    delivered = np.asarray(ordered["delivered"], dtype="float64")
    rows = []
    # ``indices`` lists the groups in sorted key order, each with its rows in frame order.
    for (corporation_id, questionnaire), positions in ordered.groupby(keys, sort=True).indices.items():
        follows, p, period = response_follows_deliveries(respondents[positions], delivered[positions], confidence)
        rows.append((corporation_id, questionnaire, follows, p, period))
    return pd.DataFrame(rows, columns=["corporation_id", "questionnaire", "follows", "p", "period"])
