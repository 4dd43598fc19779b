"""One cell of a pandas frame as a plain Python number.

pandas-stubs types a cell (an ``itertuples`` field, a group key, ``.iloc[i]``) as any scalar
pandas can hold, dates and strings included, because it cannot know a column's dtype. These
helpers narrow a cell of a numeric column to ``float`` or ``int``, so the code that reads it
is checked; a missing cell (None, NaN, pandas NA, NaT) is None, anything but a number raises
TypeError.
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Integral, Real

import pandas as pd


def optional_float(value: object) -> float | None:
    """``value`` as a float, None when it is missing. numpy numbers register as numbers.Real."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if not isinstance(value, Real | Decimal):
        raise TypeError(f"Not a number: {value!r}.")
    number = float(value)
    return None if math.isnan(number) else number


def optional_int(value: object) -> int | None:
    """``value`` as an int (a fraction is cut towards zero), None when it is missing."""
    if isinstance(value, Integral):  # exact, also beyond a float's 53 bits
        return int(value)
    number = optional_float(value)
    return None if number is None else int(number)


def as_float(value: object) -> float:
    """``value`` as a float; ValueError when it is missing."""
    number = optional_float(value)
    if number is None:
        raise ValueError("A number was expected; the cell is empty.")
    return number


def as_int(value: object) -> int:
    """``value`` as an int (a fraction is cut towards zero); ValueError when it is missing."""
    number = optional_int(value)
    if number is None:
        raise ValueError("A whole number was expected; the cell is empty.")
    return number
