"""Exact threshold arithmetic and Dutch number display (docs/methodology.md §2.4).

Thresholds are compared on exact values, never on rounded ones: a respondent mean is a
fraction of integers (sum of grades / number of grades) and is compared with integer
arithmetic. Display rounds half **up** (``6,85`` -> ``6,9``), which neither Python's
``round()`` (half to even) nor binary floats (``6.85`` is ``6.8499999…``) do; so values are
rounded through :class:`decimal.Decimal` built from their shortest repr.
"""

from __future__ import annotations

import contextlib
import math
import re
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy and pandas are imported where they are used: a close's worker process formats the
# cover's date with this module and otherwise needs neither (issue 13: its memory).

_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")

__all__ = [
    "MONTHS_NL",
    "MONTHS_NL_SHORT",
    "fmt_count",
    "fmt_date",
    "fmt_decimal",
    "fmt_difference",
    "fmt_grade",
    "fmt_month",
    "fmt_pct",
    "fmt_unrounded",
    "fraction_at_least",
    "is_missing",
    "join_nl",
    "round_half_up",
]


MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_NL_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _decimal(value: float | int | str | Decimal | Fraction) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        # Enough digits that half-up rounding to a few decimals is decided exactly.
        return Decimal(value.numerator) / Decimal(value.denominator)
    import numpy as np

    return Decimal(repr(float(value))) if isinstance(value, float | np.floating) else Decimal(str(value))


def is_missing(value) -> bool:
    """Whether a scalar is missing: None, NaN or pandas.NA (a value to print as "–")."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):  # pandas.NA
        return True


def round_half_up(value: float | int | str | Decimal | Fraction, decimals: int = 1) -> Decimal:
    """Round half up to ``decimals`` places: 6.85 -> 6.9, 84.5 -> 85 (decimals=0).

    Floats are taken by their shortest repr (``6.85`` means 6,85, not 6.8499999…), which is
    what a reader of the number expects.
    """
    quantum = Decimal(1).scaleb(-decimals)
    return _decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


def fmt_decimal(value, decimals: int = 1, missing: str = "–") -> str:
    """Dutch display with decimal comma and thousands dot: 12345.67 -> ``12.345,7``."""
    if is_missing(value):
        return missing
    rounded = round_half_up(value, decimals)
    if rounded == 0:
        rounded = abs(rounded)  # never print "-0,0"
    text = f"{rounded:,.{decimals}f}"
    return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")


def fmt_difference(now, before, decimals: int = 1, missing: str = "–") -> str:
    """The difference of two figures **as printed**: each rounded half up to ``decimals``
    first, then subtracted, with a sign (``+0,1``, ``-0,7``, ``0,0``).

    A reader subtracts what is printed: 7,0 against 7,7 must show -0,7, even when the
    unrounded figures (6,95 and 7,74) differ by 0,79. Missing either value: ``missing``.
    """
    if is_missing(now) or is_missing(before):
        return missing
    difference = round_half_up(now, decimals) - round_half_up(before, decimals)
    text = fmt_decimal(difference, decimals)
    if difference > 0:
        return f"+{text}"
    return text


def fmt_unrounded(value, decimals: int = 4, keep: int = 2, suffix: str = "") -> str:
    """An unrounded value for a borderline case: cut (never rounded) to ``decimals`` places,
    trailing zeros dropped down to ``keep`` places: 6,950549… -> ``6,9505``; 6,96 -> ``6,96``;
    84,96… with ``decimals=2, keep=1`` -> ``84,96``.

    A borderline figure prints as the threshold (7,0; 85%) but is below it; cutting keeps it
    from ever printing as a value at or above the threshold, and four decimals show a reader
    *how far* below (``6,95`` alone looks like a rounded figure itself).
    """
    cut = _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)
    text = f"{cut:.{decimals}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(keep, "0")
    return (f"{whole},{fraction}" if fraction else whole) + suffix


def fmt_grade(value, missing: str = "–") -> str:
    """A grade (1-10 scale) with one decimal: 7.45 -> ``7,5``; missing -> ``–``."""
    return fmt_decimal(value, 1, missing)


def fmt_pct(value, decimals: int = 0, missing: str = "–") -> str:
    """A percentage given in percent (0-100): 84.5 -> ``85%``; decimals=1 -> ``84,5%``."""
    if is_missing(value):
        return missing
    return f"{fmt_decimal(value, decimals)}%"


def fmt_count(value, missing: str = "–") -> str:
    """A whole count with a thousands dot: 12345 -> ``12.345``."""
    if is_missing(value):
        return missing
    return fmt_decimal(int(value), 0)


def fraction_at_least(numerator, denominator, threshold: Decimal | str) -> np.ndarray:
    """Exactly whether ``numerator / denominator >= threshold``, elementwise.

    Parameters
    ----------
    numerator, denominator : integer arrays (e.g. a respondent's sum and count of grades);
        denominators must be positive.
    threshold : a decimal threshold such as ``Decimal("5.5")``.

    Works by cross-multiplying integers: ``numerator * q >= p * denominator`` for
    ``threshold = p / q``, so 5,5 is met by 11/2 and missed by 10.999…/2.
    """
    import numpy as np

    exact = Fraction(Decimal(threshold))
    num = np.asarray(numerator, dtype=np.int64)
    den = np.asarray(denominator, dtype=np.int64)
    return num * exact.denominator >= exact.numerator * den


def _as_date(value) -> date:
    """A date, datetime or pandas Timestamp as it is; ISO text (``2025-08-31``, ``2025-07``)
    read without pandas; anything else (numpy datetime64) through ``pandas.Timestamp``.
    The cover of every document formats its date here, in a worker that has no pandas."""
    if isinstance(value, date):  # datetime and pandas.Timestamp are dates too
        return value
    if isinstance(value, str):
        text = value.strip()
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(f"{text}-01" if _YEAR_MONTH.fullmatch(text) else text)
    import pandas as pd

    return pd.Timestamp(value)


def fmt_date(value, missing: str = "–") -> str:
    """A date in Dutch words: ``31 augustus 2025`` (date, datetime, Timestamp or ISO text)."""
    if is_missing(value):
        return missing
    value = _as_date(value)
    return f"{value.day} {MONTHS_NL[value.month - 1]} {value.year}"


def fmt_month(value, missing: str = "–") -> str:
    """A month in Dutch words: ``juli 2025`` (a ``YYYY-MM`` service month or any date)."""
    if is_missing(value):
        return missing
    value = _as_date(value)
    return f"{MONTHS_NL[value.month - 1]} {value.year}"


def join_nl(items) -> str:
    """A Dutch enumeration: ``a``, ``a en b``, ``a, b en c`` (empty -> ``""``)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]
