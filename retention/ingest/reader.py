"""Read a prepared source into a staging table of text columns, with true line numbers.

The staging table is ``line bigint, c1 … cN varchar, overflow varchar``: every value as the file
wrote it, so that validation can report the raw value of anything it rejects. Column names are
our own (``c1``…), never the file's headers: headers travel as values, so nothing from a file is
ever formatted into SQL text.

Readers: DuckDB's ``read_csv`` with explicit options for delimited text (one extra column catches
lines with more fields than the header), DuckDB line reading plus ``string_split_regex`` for
columns aligned with runs of spaces, DuckDB ``read_parquet``, and python-calamine for Excel.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from retention.i18n import t
from retention.ingest.errors import IngestError
from retention.ingest.source import PreparedSource


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file. Every field is detected and every field can be overridden."""

    encoding: str = "utf-8"
    delimiter: str = ","  # ',', ';', '|', '\t' or 'whitespace'
    header: bool = True
    skip_rows: int = 0  # title lines above the table (or above the header)
    decimal: str = "."
    date_format: str = "auto"
    sheet: str | None = None
    quote: str = '"'

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Staged:
    """A staged file: its headers and how many data rows it has."""

    headers: list[str]
    rows: int
    warnings: list[str] = field(default_factory=list)


def column_ref(index: int) -> str:
    """The staging column for the source column at 0-based ``index`` (our own identifier)."""
    return f"c{int(index) + 1}"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    src: PreparedSource,
    options: ReadOptions,
    *,
    table: str,
    width: int,
) -> Staged:
    """Create temp table ``table`` from the source. ``width`` is the number of columns expected
    (from the sniffed sample); wider lines land in ``overflow``."""
    if src.kind == "text":
        if options.delimiter == "whitespace":
            _stage_whitespace(con, src, table, width)
        else:
            _stage_delimited(con, src, options, table, width)
    elif src.kind == "parquet":
        names = _stage_parquet(con, src, table)
        return _finish(con, table, len(names), ReadOptions(header=False), fixed_headers=names)
    elif src.kind == "excel":
        width = _stage_excel(con, src, options, table)
    else:
        raise IngestError(t("This kind of file cannot be read: {kind}.", kind=src.kind))
    return _finish(con, table, width, options)


def _stage_delimited(
    con: duckdb.DuckDBPyConnection, src: PreparedSource, options: ReadOptions, table: str,
    width: int,
) -> None:
    columns = ", ".join(f"'{column_ref(i)}': 'varchar'" for i in range(width))
    quote = options.quote or ""
    # DuckDB's parallel reader cannot pad short lines (null_padding) in a file whose quoted
    # fields hold line breaks; it then refuses the file. Such files are read serially, which is
    # about 1.5x slower, so only files that may hold one pay for it: those with a line of an
    # odd number of '"' (the scan counts them), or any file quoted with another character.
    serial = bool(quote) and (src.quoted_newlines or quote != '"')
    # the struct literal holds only our own c1…cN names; the path and delimiter are parameters
    sql = f"""
        create or replace temp table raw_records as
        select * from read_csv(
            ?, header = false, auto_detect = false, all_varchar = true,
            columns = {{{columns}, 'overflow': 'varchar'}},
            delim = ?, quote = ?, escape = ?, null_padding = true, strict_mode = false,
            parallel = ?, max_line_size = 10000000)
    """
    try:
        con.execute(sql, [str(src.path), options.delimiter, quote, quote, not serial])
    except duckdb.Error as exc:
        raise IngestError(
            t("The file could not be read as delimited text: {error}. Check the delimiter and "
              "quote settings under 'Reading options'.", error=duckdb_reason(exc))
        ) from exc
    # Record k starts on the file's line k, plus the line breaks inside the quoted fields of the
    # records before it (each run of breaks adds one non-empty line; empty ones are counted with
    # the blank lines below), plus the empty lines DuckDB skipped before it.
    if serial:
        runs = " + ".join(
            f"case when contains({c}, chr(10)) then len(regexp_extract_all("
            f"replace({c}, chr(13) || chr(10), chr(10)), '\\n+')) else 0 end"
            for c in [*(column_ref(i) for i in range(width)), "overflow"]
        )
        first_line = (f"(rowid + 1 + coalesce(sum({runs}) over (order by rowid rows between "
                      "unbounded preceding and 1 preceding), 0))::bigint")
    else:
        first_line = "rowid + 1"
    if not src.blank_lines:
        # No ORDER BY: the copy keeps the scan's order, and each row's line comes from its own
        # rowid either way (sorting a million rows again cost 0.45 s of a 1M-line load).
        con.execute(f"create or replace temp table {table} as"
                    f" select {first_line} as line, * from raw_records")
        con.execute("drop table raw_records")
        return
    # DuckDB skips empty lines; map record k back to its physical line around them.
    con.execute("create or replace temp table skipped_lines (line bigint)")
    con.executemany("insert into skipped_lines values (?)", [[n] for n in src.blank_lines])
    con.execute(f"""
        create or replace temp table {table} as
        with records as (
            select {first_line} as k, * exclude (overflow), overflow from raw_records
        ),
        thresholds as (
            select line - row_number() over (order by line) as thr,
                   row_number() over (order by line) as skipped
            from skipped_lines
        ),
        steps as (select thr, max(skipped) as skipped from thresholds group by thr)
        select r.k + coalesce(s.skipped, 0) as line, r.* exclude (k)
        from records r asof left join steps s on r.k > s.thr
        order by line
    """)
    con.execute("drop table raw_records")


def _stage_whitespace(
    con: duckdb.DuckDBPyConnection, src: PreparedSource, table: str, width: int
) -> None:
    # one record per physical line (empty lines come through as NULL, keeping numbers exact)
    cols = ", ".join(f"parts[{i + 1}] as {column_ref(i)}" for i in range(width))
    try:
        con.execute("""
            create or replace temp table raw_lines as
            select text from read_csv(
                ?, header = false, auto_detect = false, columns = {'text': 'varchar'},
                delim = ?, quote = '', escape = '', max_line_size = 10000000)
        """, [str(src.path), "\x1f"])
        con.execute(f"""
            create or replace temp table {table} as
            with split as (
                select rowid + 1 as line, string_split_regex(trim(text), '\\s+') as parts
                from raw_lines where text is not null and trim(text) <> ''
            )
            select line, {cols},
                   case when len(parts) > ? then array_to_string(parts[? + 1:], ' ') end
                       as overflow
            from split order by line
        """, [width, width])
        con.execute("drop table raw_lines")
    except duckdb.Error as exc:
        raise IngestError(
            t("The file could not be read as space-aligned columns: {error}.",
              error=duckdb_reason(exc))
        ) from exc


def _stage_parquet(con: duckdb.DuckDBPyConnection, src: PreparedSource, table: str) -> list[str]:
    try:
        described = con.execute(
            "describe select * from read_parquet(?)", [str(src.path)]
        ).fetchall()
    except duckdb.Error as exc:
        raise IngestError(
            t("The Parquet file could not be read: {error}.", error=duckdb_reason(exc))
        ) from exc
    names = [str(row[0]) for row in described]
    # Parquet column names come from the file; each is quoted by doubling '"', as DESIGN allows.
    cols = ", ".join(
        f"cast({quote_identifier(name)} as varchar) as {column_ref(i)}"
        for i, name in enumerate(names)
    )
    con.execute(f"""
        create or replace temp table {table} as
        select file_row_number + 1 as line, {cols}, null::varchar as overflow
        from read_parquet(?, file_row_number = true)
        order by line
    """, [str(src.path)])
    return names


def quote_identifier(name: str) -> str:
    """A SQL identifier for ``name``, quoted by doubling any '"' inside it."""
    return '"' + str(name).replace('"', '""') + '"'


def excel_sheets(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types per format
        raise IngestError(
            t("The spreadsheet could not be opened: {error}. Re-save it as .xlsx or CSV.",
              error=exc)
        ) from exc


def read_excel_rows(path: Path, sheet: str | None, limit: int | None = None) -> list[list[Any]]:
    """The sheet's cells as Python values, from the sheet's first row (empty rows kept, so a row's
    index + 1 is the row number the spreadsheet shows)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        name = sheet or workbook.sheet_names[0]
        worksheet = workbook.get_sheet_by_name(name)
        rows = worksheet.to_python(skip_empty_area=False, nrows=limit)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(
            t("The sheet {sheet!r} could not be read: {error}.", sheet=sheet, error=exc)
        ) from exc
    return [list(r) for r in rows]


def excel_cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a person sees in it (integral floats without '.0')."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _stage_excel(
    con: duckdb.DuckDBPyConnection, src: PreparedSource, options: ReadOptions, table: str
) -> int:
    rows = read_excel_rows(src.path, options.sheet)
    width = max((len(r) for r in rows), default=0)
    # Cells become text so the same validation serves every format; a sheet holds at most
    # ~1M rows, so this per-cell pass is bounded.
    frame = pd.DataFrame(
        {
            column_ref(i): [excel_cell_text(r[i]) if i < len(r) else None for r in rows]
            for i in range(width)
        },
        dtype=object,
    )
    frame.insert(0, "line", range(1, len(rows) + 1))
    frame["overflow"] = None
    frame = frame.astype({c: "object" for c in frame.columns if c != "line"})
    con.register("excel_frame", frame)
    try:
        casts = ", ".join(f"cast({column_ref(i)} as varchar) as {column_ref(i)}"
                          for i in range(width))
        con.execute(f"""
            create or replace temp table {table} as
            select line::bigint as line, {casts}, cast(overflow as varchar) as overflow
            from excel_frame
            where {' or '.join(f'{column_ref(i)} is not null' for i in range(width)) or 'false'}
            order by line
        """)
    finally:
        con.unregister("excel_frame")
    return width


def _finish(
    con: duckdb.DuckDBPyConnection, table: str, width: int, options: ReadOptions,
    fixed_headers: list[str] | None = None,
) -> Staged:
    """Drop title lines, take the header row off, and name the columns."""
    if con.execute(f"select count(*) from {table}").fetchall()[0][0] == 0:
        raise IngestError(t("The file is empty: there is nothing to load."))
    skip = max(int(options.skip_rows), 0)
    header_row = None
    first_lines = [r[0] for r in con.execute(
        f"select line from {table} order by line limit ?", [skip + 1]
    ).fetchall()]
    if len(first_lines) <= skip:
        raise IngestError(t("The file has no rows below the {n} skipped title lines.", n=skip))
    start_line = first_lines[skip]
    if fixed_headers is not None:
        headers = _unique_headers(fixed_headers)
    elif options.header:
        header_row = con.execute(
            f"select * exclude (line, overflow) from {table} where line = ?", [start_line]
        ).fetchall()[0]
        headers = _unique_headers([("" if v is None else str(v).strip()) for v in header_row])
    else:
        headers = [f"column{i + 1}" for i in range(width)]
    keep_from = start_line + (1 if header_row is not None else 0)
    con.execute(f"delete from {table} where line < ?", [keep_from])
    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    if rows == 0:
        raise IngestError(
            t("The file has a header row but no data rows below it: there is nothing to load.")
        )
    return Staged(headers=headers, rows=int(rows))


def _unique_headers(names: list[str]) -> list[str]:
    """Headers as shown to the user: blanks become columnN, repeats get a suffix."""
    seen: dict[str, int] = {}
    result = []
    for i, name in enumerate(names):
        name = name or f"column{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        result.append(name)
    return result


def duckdb_reason(exc: BaseException) -> str:
    """The cause in a DuckDB error, readable: the line it names, the start of that line, and
    the cause, without the error class, the advice about DuckDB's own options and the dump of
    reader settings that follow."""
    line_no: str | None = None
    shown = ""
    causes: list[str] = []
    for line in str(exc).strip().splitlines():
        if not line.strip() or line.startswith("  ") or line.startswith("Possible "):
            break
        line = re.sub(r"^[A-Za-z ]*Error: ", "", line.strip())
        if match := re.match(r"CSV Error on Line: (\d+)", line):
            line_no = match.group(1)
        elif line.startswith("Original Line: "):
            shown = line[len("Original Line: "):]
        elif "Maximum line size" in line:
            causes.append(t("the line is longer than 10 MB (a quote that opens a field and is "
                            "never closed makes the rest of the file one field)"))
        else:
            causes.append(line if len(line) <= 200 else line[:199] + "…")
    cause = "; ".join(c.rstrip(".") for c in causes) or type(exc).__name__
    if line_no is None:
        return cause
    if shown:
        shown = " (“" + (shown if len(shown) <= 60 else shown[:59] + "…") + "”)"
    return t("near line {line}{shown}: {cause}", line=line_no, shown=shown, cause=cause)
