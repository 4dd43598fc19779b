"""Inspect a file (what was detected, a preview, a suggested mapping) and load it.

A load is: prepare the source → stage its text in a temp table → map columns to roles → parse and
validate in SQL → write everything in one transaction. Reading and checking happen before the
transaction starts; a failure there, an exception inside it, or a killed process leaves the
workspace exactly as it was (DuckDB drops an uncommitted transaction on the next open).

Every value is handed to DuckDB as a parameter; SQL text holds only our own staging column names
(``c1``…) and fixed role names.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from retention.i18n import t
from retention.ingest import sniff
from retention.ingest.errors import IngestError
from retention.ingest.reader import (
    ReadOptions,
    column_ref,
    excel_cell_text,
    excel_sheets,
    read_excel_rows,
    stage_file,
)
from retention.ingest.roles import ROLE_BY_NAME, ROLES, auto_map, describe_missing, missing_required
from retention.ingest.source import (
    BLOCK,
    PreparedSource,
    file_sha256,
    scan_text,
    sniff_kind,
    unzip_single,
)
from retention.store import Workspace

Progress = Callable[[str], None]
SAMPLE_BYTES = 256 * 1024
PREVIEW_ROWS = 20
MIN_YEAR, MAX_YEAR = 1900, 2100
# A load stops rather than keep a small remainder when most rows fail on one required column.
MOSTLY_BAD = 0.5


@dataclass
class Inspection:
    """What a file looks like before loading: detected options, headers, preview, mapping."""

    name: str
    kind: str
    size: int
    sha256: str
    options: ReadOptions
    headers: list[str]
    preview: pd.DataFrame
    mapping: dict[str, str]
    date_formats: list[str]
    currency: str | None
    sheets: list[str] = field(default_factory=list)
    zip_member: str | None = None


@dataclass
class LoadReport:
    """What a load did. ``rejects`` groups rejected rows by reason with an example each."""

    dataset: str
    dataset_id: int
    version: int
    rows_loaded: int
    rows_rejected: int
    customers: int
    orders: int
    returns: int = 0
    rows_skipped_duplicate: int = 0
    already_loaded: bool = False
    date_format: str | None = None
    currency: str | None = None
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "customers": self.customers,
            "orders": self.orders,
            "returns": self.returns,
            "rows_skipped_duplicate": self.rows_skipped_duplicate,
            "already_loaded": self.already_loaded,
            "date_format": self.date_format,
            "currency": self.currency,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }


# -- preparing ----------------------------------------------------------------------------------


def prepare(path: str | Path, name: str | None = None, encoding: str | None = None,
            scan: bool = True) -> PreparedSource:
    """Hash and classify a file; unzip and re-encode text so DuckDB can read it."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise IngestError(t("There is no file at {path}.", path=str(path)))
    size = path.stat().st_size
    if size == 0:
        raise IngestError(t("{name} is empty (0 bytes): there is nothing to load.", name=name))
    digest = file_sha256(path)
    kind = sniff_kind(path, name)
    tmp = tempfile.TemporaryDirectory(prefix="retention-load-")
    src = PreparedSource(original_name=name, kind=kind, path=path, sha256=digest, size=size,
                         _tmpdir=tmp)
    try:
        if kind == "zip":
            src.path, src.zip_member = unzip_single(path, name, Path(tmp.name))
            src.kind = "text"
        if src.kind == "text":
            with open(src.path, "rb") as fh:
                head = fh.read(SAMPLE_BYTES)
            if not head:
                raise IngestError(t("{name} is empty: there is nothing to load.", name=name))
            src.encoding = encoding or sniff.detect_encoding(head)
            if scan:
                src.path, src.blank_lines, src.line_count = scan_text(
                    src.path, src.encoding, Path(tmp.name)
                )
    except BaseException:
        src.cleanup()
        raise
    return src


def _text_sample(src: PreparedSource) -> tuple[list[str], bool]:
    with open(src.path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        complete = fh.read(1) == b""
    encoding = "utf-8" if src.path.name == "utf8.csv" else src.encoding
    text = sniff.decode_sample(head, encoding)
    return sniff.sample_lines(text, complete), complete


def detect_options(src: PreparedSource, given: ReadOptions | None = None) -> ReadOptions:
    """Reading options detected from the file's first lines.

    For text, ``given`` wins whole. A spreadsheet's header row and title lines are detected on
    the chosen sheet (``given.sheet``, else the first sheet holding a table), and Parquet has
    its own column names; for both only ``given.date_format`` carries over.
    """
    date_format = given.date_format if given else "auto"
    if src.kind == "parquet":
        return ReadOptions(header=True, date_format=date_format)
    if src.kind == "excel":
        sheets = excel_sheets(src.path)
        candidates = [given.sheet] if given and given.sheet in sheets else sheets
        # without a choice, the first sheet that holds a table (a cover sheet is passed over)
        for sheet in candidates:
            rows = [
                [excel_cell_text(v) or "" for v in r]
                for r in read_excel_rows(src.path, sheet, limit=200)
            ]
            rows = [r for r in rows if any(v.strip() for v in r)]
            if len(rows) >= 2:
                break
        else:
            raise IngestError(
                t("The workbook has no sheet with a header and data rows ({sheets}).",
                  sheets=", ".join(candidates) or t("no sheets"))
            )
        skip = sniff.detect_skip(rows)
        return ReadOptions(encoding="utf-8", delimiter=",", header=sniff.detect_header(rows[skip:]),
                           skip_rows=skip, decimal=".", sheet=sheet, date_format=date_format)
    lines, _ = _text_sample(src)
    if not [line for line in lines if line.strip()]:
        raise IngestError(t("{name} has no lines of data: there is nothing to load.",
                            name=src.original_name))
    delimiter = sniff.detect_delimiter(lines)
    rows = sniff.split_rows(lines, delimiter)
    skip = sniff.detect_skip(rows)
    detected = ReadOptions(
        encoding=src.encoding,
        delimiter=delimiter,
        header=sniff.detect_header(rows[skip:]),
        skip_rows=skip,
        decimal=sniff.detect_decimal(rows[skip + 1:]),
    )
    return detected if given is None else given


def _sample_width(src: PreparedSource, options: ReadOptions) -> int:
    lines, _ = _text_sample(src)
    rows = sniff.split_rows(lines, options.delimiter, options.quote or '"')
    rows = rows[options.skip_rows:]
    if options.header and rows:
        # lines wider than the header land in the reader's overflow column and are rejected
        return max(len(rows[0]), 1)
    return max(sniff.modal_width(rows[:1000]), 1)


def _stage(con: duckdb.DuckDBPyConnection, src: PreparedSource, options: ReadOptions):
    width = _sample_width(src, options) if src.kind == "text" else 0
    return stage_file(con, src, options, table="stage", width=width)


# -- inspecting ---------------------------------------------------------------------------------


def inspect_file(path: str | Path, name: str | None = None,
                 options: ReadOptions | None = None) -> Inspection:
    """Detect how to read a file and show its first rows as they will be parsed.

    Only the first 256 KiB of a text file are read, so this answers quickly for any size.
    """
    src = prepare(path, name, encoding=options.encoding if options else None, scan=False)
    with src:
        opts = detect_options(src, options)
        sheets = excel_sheets(src.path) if src.kind == "excel" else []
        if src.kind == "text":
            src = _head_only(src)
            src.path, src.blank_lines, src.line_count = scan_text(
                src.path, src.encoding, src.path.parent
            )
        con = duckdb.connect()
        try:
            staged = _stage(con, src, opts)
            preview = con.execute(
                "select * exclude (overflow) from stage order by line limit ?", [PREVIEW_ROWS]
            ).fetchdf()
            samples = {
                h: [v for v in preview[column_ref(i)].tolist() if isinstance(v, str)]
                for i, h in enumerate(staged.headers)
            }
        finally:
            con.close()
        preview.columns = ["line", *staged.headers]
        mapping = auto_map(staged.headers)
        date_header = mapping.get("date")
        date_formats = sniff.date_candidates(samples.get(date_header, [])) if date_header else []
        amount_header = mapping.get("amount") or mapping.get("unit_price")
        currency = sniff.detect_currency(
            [amount_header] if amount_header else [], samples.get(amount_header, [])
        )
        return Inspection(
            name=src.original_name, kind=src.kind, size=src.size, sha256=src.sha256,
            options=opts, headers=staged.headers, preview=preview, mapping=mapping,
            date_formats=date_formats, currency=currency, sheets=sheets,
            zip_member=src.zip_member,
        )


def _head_only(src: PreparedSource) -> PreparedSource:
    """A copy of the source holding only its first complete lines (for previews)."""
    with open(src.path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        complete = fh.read(1) == b""
    if not complete:
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut > 0 else head
    target = Path(src._tmpdir.name if src._tmpdir else tempfile.mkdtemp()) / "head.txt"
    target.write_bytes(head)
    return replace(src, path=target, _tmpdir=None)


# -- loading ------------------------------------------------------------------------------------


def load_file(
    ws: Workspace,
    path: str | Path,
    *,
    dataset: str | None = None,
    name: str | None = None,
    options: ReadOptions | None = None,
    mapping: dict[str, str] | None = None,
    mode: str = "new",
    currency: str | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> LoadReport:
    """Load a purchase file into dataset ``dataset`` (default: the file's name without suffix).

    ``mode``: 'new' (the dataset must not exist), 'replace' or 'append' (rows whose order id —
    or, without order ids, whose whole row — is already in the dataset are skipped).
    ``mapping`` is {role: header}; roles left out are matched automatically from the headers.
    Raises IngestError, with nothing changed, when the file cannot be loaded.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    if mode not in ("new", "replace", "append"):
        raise ValueError(f"unknown load mode {mode!r}")
    name = name or Path(path).name
    dataset = (dataset or Path(name).stem).strip() or "dataset"
    say(t("Reading {name}", name=name))
    src = prepare(path, name, encoding=options.encoding if options else None)
    with src:
        existing = ws.find_by_hash(src.sha256)
        if existing is not None and (existing.name == dataset or mode == "new"):
            return _already_loaded(ws, existing, started)
        target = _dataset_row(ws, dataset)
        if target is not None and mode == "new":
            raise IngestError(
                t("A dataset called {name!r} already exists. Choose 'replace' to overwrite it, "
                  "'append' to add these rows to it, or give the new data another name.",
                  name=dataset)
            )
        opts = detect_options(src, options)
        con = ws.cursor()
        try:
            staged = _stage(con, src, opts)
            say(t("Read {rows} rows; checking values", rows=f"{staged.rows:,}"))
            roles = _resolve_mapping(staged.headers, mapping or {})
            plan = _plan(con, staged.headers, roles, opts)
            _build_canonical(con, plan)
            checks = _checks(con, plan, now or datetime.now())
            currency = currency or sniff.detect_currency(
                [h for r, h in roles.items() if r in ("amount", "unit_price")],
                _column_sample(con, plan, "amount") or _column_sample(con, plan, "unit_price"),
            )
            say(t("Writing to the workspace"))
            report = _commit(ws, con, src, dataset, target, mode, opts, roles, plan, checks,
                             currency)
            say(t("Done: {rows} rows loaded", rows=f"{report.rows_loaded:,}"))
        finally:
            for table in ("stage", "canon"):
                con.execute(f"drop table if exists {table}")
            con.close()
        report.seconds = time.perf_counter() - started
        return report


def _already_loaded(ws: Workspace, ds, started: float) -> LoadReport:
    stats = ws.cursor().execute(
        "select count(distinct customer_id),"
        " count(distinct order_key) filter (where not is_return),"
        " count(*) filter (where is_return)"
        " from transactions where dataset_id = ?", [ds.dataset_id],
    ).fetchone()
    return LoadReport(
        dataset=ds.name, dataset_id=ds.dataset_id, version=ds.version,
        rows_loaded=0, rows_rejected=0, customers=int(stats[0]), orders=int(stats[1]),
        returns=int(stats[2]), already_loaded=True, currency=ds.currency,
        warnings=[t("This exact file is already loaded as dataset {name!r} (version {version}); "
                    "nothing was loaded again.", name=ds.name, version=ds.version)],
        seconds=time.perf_counter() - started,
    )


def _dataset_row(ws: Workspace, name: str):
    row = ws.cursor().execute("select dataset_id from datasets where name = ?", [name]).fetchone()
    return None if row is None else ws.dataset(int(row[0]))


def _resolve_mapping(headers: list[str], given: dict[str, str]) -> dict[str, str]:
    """{role: header}: the user's choices, then obvious headers for the roles left open."""
    unknown_roles = [r for r in given if r not in ROLE_BY_NAME]
    if unknown_roles:
        raise IngestError(
            t("Unknown role(s) {roles}. Roles are: {all}.", roles=", ".join(unknown_roles),
              all=", ".join(r.name for r in ROLES))
        )
    for role, header in given.items():
        if header and header not in headers:
            raise IngestError(
                t("The mapping names a column {header!r} for {role}, but the file has no such "
                  "column. Its columns are: {headers}.", header=header, role=role,
                  headers=", ".join(repr(h) for h in headers))
            )
    chosen = {r: h for r, h in given.items() if h}
    taken = set(chosen.values())
    for role, header in auto_map(headers).items():
        if role not in chosen and header not in taken and role not in given:
            chosen[role] = header
            taken.add(header)
    missing = missing_required(chosen)
    if missing:
        raise IngestError(describe_missing(missing, headers))
    return chosen


@dataclass
class _Plan:
    """Which staging column serves each role, and the parsing settings per column."""

    columns: dict[str, str]  # role -> staging column (c1…)
    headers: dict[str, str]  # role -> source header
    decimal: str
    date_formats: dict[str, sniff.DateFormat]  # date role -> format
    warnings: list[str] = field(default_factory=list)
    all_columns: list[str] = field(default_factory=list)


def _plan(con, headers: list[str], roles: dict[str, str], opts: ReadOptions) -> _Plan:
    columns = {role: column_ref(headers.index(h)) for role, h in roles.items()}
    plan = _Plan(columns=columns, headers=dict(roles), decimal=opts.decimal, date_formats={},
                 all_columns=[column_ref(i) for i in range(len(headers))])
    _create_macros(con)
    for role, col in columns.items():
        if ROLE_BY_NAME[role].kind != "date":
            continue
        if opts.date_format != "auto" and role == "date":
            plan.date_formats[role] = sniff.DATE_FORMATS[opts.date_format]
        else:
            plan.date_formats[role] = _choose_date_format(con, col, roles[role], plan.warnings)
    return plan


def _create_macros(con) -> None:
    con.execute("""
        create or replace temp macro num_clean(v, noise) as
            regexp_replace(trim(v), noise, '', 'gi')
    """)
    con.execute("""
        create or replace temp macro num_signed(s) as case
            when s like '(%)' then '-' || substr(s, 2, length(s) - 2)
            when length(s) > 1 and s like '%-' then '-' || substr(s, 1, length(s) - 1)
            else s end
    """)
    # Plain numbers ("12.50", or "12,50" with a decimal comma) take a direct cast; only the
    # rest pays for the regular expressions (3x faster on a typical export).
    con.execute("""
        create or replace temp macro parse_number_slow(v, noise, pattern, dec) as case
            when regexp_full_match(num_signed(num_clean(v, noise)), pattern) then try_cast(
                case when dec = ','
                     then replace(replace(num_signed(num_clean(v, noise)), '.', ''), ',', '.')
                     else replace(num_signed(num_clean(v, noise)), ',', '') end
                as decimal(18, 4))
            end
    """)
    con.execute("""
        create or replace temp macro parse_number(v, noise, pattern, dec) as coalesce(
            case when dec = '.' then try_cast(trim(v) as decimal(18, 4))
                 when not contains(v, '.') then try_cast(replace(trim(v), ',', '.')
                                                         as decimal(18, 4))
            end,
            parse_number_slow(v, noise, pattern, dec))
    """)
    con.execute("""
        create or replace temp macro parse_date(v, formats, serial) as case
            when serial then case when regexp_full_match(trim(v), '[1-9]\\d{4}(\\.\\d+)?')
                then timestamp '1899-12-30'
                     + to_microseconds(cast(round(cast(trim(v) as double) * 86400000000) as bigint))
                end
            else coalesce(
                -- ISO text is DuckDB's own timestamp format: a cast is much cheaper
                case when formats[1] = '%Y-%m-%d %H:%M:%S.%f'
                     then try_cast(trim(v) as timestamp) end,
                try_strptime(trim(v), formats)) end
    """)
    con.execute("""
        create or replace temp macro parse_bool(v) as case
            when lower(trim(v)) in ('true', 't', '1', 'yes', 'y', 'да', 'д', 'x', '+', 'on')
                then true
            when lower(trim(v)) in ('false', 'f', '0', 'no', 'n', 'нет', 'н', '-', 'off')
                then false
            end
    """)


def _date_params(fmt: sniff.DateFormat) -> dict[str, Any]:
    return {"formats": list(fmt.strptime) or ["%Y-%m-%d"], "serial": fmt.key == "excel_serial"}


def _choose_date_format(con, col: str, header: str, warnings: list[str]) -> sniff.DateFormat:
    """The format that parses the most values of the whole column (not just the sample)."""
    sample = [r[0] for r in con.execute(
        f"select {col} from stage where nullif(trim({col}), '') is not null limit 500"
    ).fetchall()]
    candidates = sniff.date_candidates(sample)
    if len(candidates) == 1:
        return sniff.DATE_FORMATS[candidates[0]]
    if not candidates:
        candidates = list(sniff.DATE_FORMATS)
    best: tuple[int, sniff.DateFormat] | None = None
    counts: dict[str, int] = {}
    for key in candidates:
        fmt = sniff.DATE_FORMATS[key]
        params = _date_params(fmt)
        n = con.execute(
            f"select count(parse_date({col}, $formats, $serial)) from stage", params
        ).fetchone()[0]
        counts[key] = n
        if best is None or n > best[0]:
            best = (n, fmt)
    assert best is not None
    if (
        {"dmy_slash", "mdy_slash"} <= counts.keys()
        and counts["dmy_slash"] == counts["mdy_slash"] == best[0] > 0
    ):
        warnings.append(
            t("Dates in {header!r} could be day/month or month/day (no day above 12 was found); "
              "they were read as day/month. Change 'Date format' if that is wrong.",
              header=header)
        )
        return sniff.DATE_FORMATS["dmy_slash"]
    return best[1]


def _role_expr(plan: _Plan, role: str) -> str:
    """SQL for a role's parsed value (NULL when unmapped)."""
    col = plan.columns.get(role)
    kind = ROLE_BY_NAME[role].kind
    if col is None:
        return "null"
    if kind == "text":
        return f"nullif(trim({col}), '')"
    if kind in ("number", "integer"):
        return f"parse_number({col}, $noise, $pattern, $dec)"
    if kind == "date":
        return f"parse_date({col}, $fmt_{role}, $serial_{role})"
    if kind == "boolean":
        return f"parse_bool({col})"
    raise AssertionError(kind)


def _params(plan: _Plan) -> dict[str, Any]:
    params: dict[str, Any] = {
        "noise": sniff.NUMBER_NOISE,
        "pattern": sniff.NUMBER_PATTERNS[plan.decimal],
        "dec": plan.decimal,
    }
    for role, fmt in plan.date_formats.items():
        p = _date_params(fmt)
        params[f"fmt_{role}"] = p["formats"]
        params[f"serial_{role}"] = p["serial"]
    return params


def _raw(plan: _Plan, role: str) -> str:
    col = plan.columns.get(role)
    return f"{col}" if col else "null::varchar"


def _build_canonical(con, plan: _Plan) -> None:
    """Temp table ``canon``: every staged row with raw and parsed values of every role."""
    parsed = ",\n".join(
        f"{_role_expr(plan, r.name)} as {r.name}, {_raw(plan, r.name)} as raw_{r.name}"
        for r in ROLES if r.name not in ("customer_id",)
    )
    derived = "amount" not in plan.columns
    all_cols = ", ".join(plan.all_columns) or "line"
    con.execute(f"""
        create or replace temp table canon as
        with parsed as (
            select line,
                   -- ids exported from a float column ("17850.0") lose the ".0"
                   case when contains({_raw(plan, 'customer_id')}, '.')
                        then regexp_replace(trim({_raw(plan, 'customer_id')}),
                                            '^(\\d+)\\.0+$', '\\1')
                        else nullif(trim({_raw(plan, 'customer_id')}), '') end as customer_id,
                   {_raw(plan, 'customer_id')} as raw_customer_id,
                   {parsed},
                   nullif(trim(overflow), '') as overflow,
                   -- a 64-bit hash of the whole line is far cheaper to partition on
                   min(line) over (partition by hash({all_cols})) as first_copy
            from stage
            where coalesce({" , ".join(f"nullif(trim({c}), '')" for c in plan.all_columns)
                            or "null"}) is not null
        )
        select * replace (
            {"round(quantity * unit_price, 4)::decimal(18, 4)" if derived else "amount"}
                as amount,
            -- out-of-range scores are left empty (and reported as unreadable values)
            case when nps between 0 and 10 and nps = round(nps) then nps end as nps,
            case when share_of_wallet between 0 and 1 then share_of_wallet
                 when share_of_wallet > 1 and share_of_wallet <= 100 then share_of_wallet / 100
                 end as share_of_wallet,
            case when age between 0 and 120 then round(age) end as age
        ) from parsed
    """, _params(plan))


@dataclass
class _Checks:
    rejects_sql: list[tuple[str, str | None, str, str]]  # (condition, header, raw column, reason)
    warnings: list[str]


def _checks(con, plan: _Plan, now: datetime) -> _Checks:
    """Which rows are rejected and why; stop the load when a required column is mostly bad."""
    h = plan.headers
    derived = "amount" not in plan.columns
    date_label = plan.date_formats["date"].label
    rules: list[tuple[str, str | None, str, str]] = [
        ("overflow is not null", None, "overflow",
         t("the line has more fields than the header; check the delimiter or quoting")),
        ("customer_id is null", h["customer_id"], "raw_customer_id", t("no customer id")),
        ("date is null and nullif(trim(raw_date), '') is null", h["date"], "raw_date",
         t("no date")),
        ("date is null and nullif(trim(raw_date), '') is not null", h["date"], "raw_date",
         t("the date is not understood as {fmt}", fmt=date_label)),
        (f"date is not null and (year(date) < {MIN_YEAR} or year(date) > {MAX_YEAR})",
         h["date"], "raw_date",
         t("the date is out of range (years {lo}–{hi}); a two-digit year?", lo=MIN_YEAR,
           hi=MAX_YEAR)),
    ]
    if derived:
        for role in ("quantity", "unit_price"):
            rules.append((f"{role} is null", h[role], f"raw_{role}",
                          t("not a number (needed for the amount = quantity × unit price)")))
    else:
        rules += [
            ("amount is null and nullif(trim(raw_amount), '') is null", h["amount"],
             "raw_amount", t("no amount")),
            ("amount is null and nullif(trim(raw_amount), '') is not null", h["amount"],
             "raw_amount", t("the amount is not a number")),
        ]
    total = con.execute("select count(*) from canon").fetchone()[0]
    if total == 0:
        raise IngestError(t("The file has no data rows: there is nothing to load."))
    for role, what in (("date", t("dates")), ("amount", t("numbers"))):
        header = h.get(role) or h.get("unit_price")
        bad = con.execute(
            f"select count(*) from canon where {role} is null"
        ).fetchone()[0]
        if bad > MOSTLY_BAD * total:
            examples = con.execute(
                f"select line, raw_{role if role == 'date' or not derived else 'unit_price'}"
                f" from canon where {role} is null order by line limit 3"
            ).fetchall()
            shown = "; ".join(f"line {line}: {value!r}" for line, value in examples)
            raise IngestError(
                t("Column {header!r} could not be read as {what} in {bad} of {total} rows "
                  "({shown}). Nothing was loaded. Check that the right column is mapped to "
                  "{role}, and the date format and decimal separator under 'Reading options'.",
                  header=header, what=what, bad=f"{bad:,}", total=f"{total:,}", shown=shown,
                  role=ROLE_BY_NAME[role].label)
            )
    return _Checks(rejects_sql=rules, warnings=_warnings(con, plan, now))


def _warnings(con, plan: _Plan, now: datetime) -> list[str]:
    warnings = list(plan.warnings)
    future = con.execute(
        "select count(*), list(line order by line)[1:3] from canon where date > ?", [now]
    ).fetchone()
    if future[0]:
        warnings.append(
            t("{n} rows are dated in the future (after {today}), e.g. lines {lines}. They are "
              "loaded, and left out of every metric until that date.",
              n=f"{future[0]:,}", today=now.date().isoformat(),
              lines=", ".join(map(str, future[1])))
        )
    dupes = con.execute(
        "select count(*), list(line || ' = line ' || first_copy order by line)[1:3]"
        " from canon where line <> first_copy"
    ).fetchone()
    if dupes[0]:
        warnings.append(
            t("{n} rows repeat an earlier row exactly ({examples}). They were kept: the same "
              "purchase twice can be genuine. If your export doubled them, remove the copies "
              "and load again with 'replace'.", n=f"{dupes[0]:,}",
              examples="; ".join(f"line {x}" for x in dupes[1]))
        )
    for role in ROLES:
        if role.required or role.name not in plan.columns or role.kind == "text":
            continue
        if role.name in ("quantity", "unit_price") and "amount" not in plan.columns:
            continue
        bad = con.execute(
            f"select count(*), list(line order by line)[1:3], list(raw_{role.name} order by line)"
            f"[1:3] from canon where {role.name} is null"
            f" and nullif(trim(raw_{role.name}), '') is not null"
        ).fetchone()
        if bad[0]:
            shown = "; ".join(f"line {ln}: {v!r}" for ln, v in zip(bad[1], bad[2], strict=False))
            warnings.append(
                t("{n} values in {header!r} ({role}) could not be read and were left empty "
                  "({shown}); the rows themselves were loaded.", n=f"{bad[0]:,}",
                  header=plan.headers[role.name], role=t(role.label), shown=shown)
            )
    return warnings


def _column_sample(con, plan: _Plan, role: str) -> list[str]:
    if role not in plan.columns:
        return []
    return [r[0] for r in con.execute(
        f"select raw_{role} from canon where raw_{role} is not null limit 50"
    ).fetchall()]


def _commit(ws: Workspace, con, src: PreparedSource, dataset: str, target, mode: str,
            opts: ReadOptions, roles: dict[str, str], plan: _Plan, checks: _Checks,
            currency: str | None) -> LoadReport:
    bad_condition = " or ".join(f"({cond})" for cond, *_ in checks.rejects_sql)
    con.execute(f"""
        create or replace temp table load_rejects as
        {" union all ".join(
            f"select line, ?::varchar as header, {raw}::varchar as raw_value, ?::varchar as reason"
            f" from canon where {cond}" for cond, _, raw, _ in checks.rejects_sql)}
    """, [p for _, header, _, reason in checks.rejects_sql for p in (header, reason)])
    has_order_id = "order_id" in plan.columns
    con.execute(f"""
        create or replace temp table load_rows as
        select line, customer_id, date,
               case when regexp_full_match(coalesce(order_id, ''), '[Cc]\\d.*')
                    then -abs(amount) else amount end as amount,
               amount < 0 or regexp_full_match(coalesce(order_id, ''), '[Cc]\\d.*') as is_return,
               coalesce(order_id, customer_id || '|' || strftime(date, '%Y-%m-%d %H:%M:%S'))
                   as order_key,
               order_id, product, category, quantity, unit_price, cost, channel, store,
               gender, birth_date::date as birth_date, age::integer as age, city, region,
               signup_date::date as signup_date, email, phone, email_opt_in, sms_opt_in,
               referred_by, nps, share_of_wallet, attributes
        from canon where not ({bad_condition})
    """)
    if not con.execute("select count(*) from load_rows").fetchone()[0]:
        summary = _reject_summary(con)
        first = summary.iloc[0] if not summary.empty else None
        detail = "" if first is None else t(
            " The most common problem: {reason} ({n} rows, e.g. line {line}, value {value!r}).",
            reason=first["reason"], n=int(first["rows"]), line=int(first["example_line"]),
            value=first["example_value"],
        )
        raise IngestError(t("Every row of the file was rejected; nothing was loaded.") + detail)
    con.execute("begin transaction")
    try:
        if target is None:
            dataset_id = con.execute(
                "insert into datasets (name, source_name, file_hash, mapping, read_options,"
                " currency) values (?, ?, ?, ?, ?, ?) returning dataset_id",
                [dataset, src.original_name, src.sha256, json.dumps(roles),
                 json.dumps(opts.as_dict()), currency],
            ).fetchone()[0]
        else:
            dataset_id = target.dataset_id
            if mode == "replace":
                for table in ("transactions", "customers", "rejects", "loads"):
                    con.execute(f"delete from {table} where dataset_id = ?", [dataset_id])
        skipped = _insert_transactions(con, dataset_id, mode == "append", has_order_id)
        con.execute(
            "insert into rejects select ?, line, header, raw_value, reason from load_rejects",
            [dataset_id],
        )
        _merge_customers(con, dataset_id)
        loaded, rejected = con.execute(
            "select (select count(*) from load_rows), (select count(distinct line)"
            " from load_rejects)"
        ).fetchone()
        loaded -= skipped
        version = con.execute(
            "update datasets set version = version + ?, source_name = ?, file_hash = ?,"
            " mapping = ?, read_options = ?, currency = coalesce(?, currency),"
            " rows_loaded = (select count(*) from transactions where dataset_id = ?),"
            " rows_rejected = (select count(distinct line) from rejects where dataset_id = ?),"
            " updated_at = current_timestamp where dataset_id = ? returning version",
            [0 if target is None else 1, src.original_name, src.sha256, json.dumps(roles),
             json.dumps(opts.as_dict()), currency, dataset_id, dataset_id, dataset_id],
        ).fetchone()[0]
        con.execute(
            "insert into loads (dataset_id, version, file_hash, source_name, mode, rows_loaded,"
            " rows_rejected, rows_skipped) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, version, src.sha256, src.original_name, mode, loaded, rejected, skipped],
        )
        _pause_for_fault_tests()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    stats = con.execute(
        "select count(distinct customer_id), count(distinct order_key) filter (where not"
        " is_return), count(*) filter (where is_return) from load_new"
    ).fetchone()
    final_currency = ws.dataset(int(dataset_id)).currency
    return LoadReport(
        dataset=dataset, dataset_id=int(dataset_id), version=int(version),
        rows_loaded=int(loaded), rows_rejected=int(rejected), customers=int(stats[0]),
        orders=int(stats[1]), returns=int(stats[2]), rows_skipped_duplicate=int(skipped),
        date_format=plan.date_formats["date"].key, currency=final_currency,
        rejects=_reject_summary(con), warnings=checks.warnings,
    )


def _insert_transactions(con, dataset_id: int, append: bool, has_order_id: bool) -> int:
    """Insert this load's rows; on append skip those already in the dataset. Returns skipped."""
    columns = ("customer_id, date, amount, is_return, order_key, order_id, product, category,"
               " quantity, unit_price, cost, channel, store")
    if append:
        if has_order_id:
            known = ("exists (select 1 from transactions t where t.dataset_id = $ds"
                     " and t.order_id = r.order_id)")
        else:
            known = ("exists (select 1 from transactions t where t.dataset_id = $ds and "
                     + " and ".join(f"t.{c} is not distinct from r.{c}"
                                    for c in columns.replace(" ", "").split(",")) + ")")
        con.execute(f"""
            create or replace temp table load_new as
            select * from load_rows r where not ({known})
        """, {"ds": dataset_id})
    else:
        con.execute("create or replace temp table load_new as select * from load_rows")
    con.execute(
        f"insert into transactions (dataset_id, line, {columns})"
        f" select ?, line, {columns} from load_new", [dataset_id]
    )
    return con.execute(
        "select (select count(*) from load_rows) - (select count(*) from load_new)"
    ).fetchone()[0]


_CUSTOMER_COLUMNS = ("gender", "birth_date", "age", "city", "region", "signup_date", "email",
                     "phone", "email_opt_in", "sms_opt_in", "referred_by", "nps",
                     "share_of_wallet", "attributes")


def _merge_customers(con, dataset_id: int) -> None:
    """Customer attributes: the latest non-empty value per customer wins (this load's over
    earlier loads')."""
    latest = ", ".join(
        f"arg_max({c}, date) filter (where {c} is not null) as {c}" for c in _CUSTOMER_COLUMNS
    )
    merged = ", ".join(f"coalesce(n.{c}, o.{c}) as {c}" for c in _CUSTOMER_COLUMNS)
    con.execute(f"""
        create or replace temp table load_customers as
        with n as (select customer_id, {latest} from load_rows group by customer_id),
        o as (select * exclude (dataset_id) from customers where dataset_id = $ds)
        select coalesce(n.customer_id, o.customer_id) as customer_id, {merged}
        from n full outer join o on n.customer_id = o.customer_id
    """, {"ds": dataset_id})
    con.execute("delete from customers where dataset_id = ?", [dataset_id])
    con.execute(
        f"insert into customers (dataset_id, customer_id, {', '.join(_CUSTOMER_COLUMNS)})"
        f" select ?, customer_id, {', '.join(_CUSTOMER_COLUMNS)} from load_customers",
        [dataset_id],
    )


def _reject_summary(con) -> pd.DataFrame:
    """Rejects of this load grouped by reason and column, with the first example of each."""
    return con.execute("""
        select reason, header as "column", count(*) as rows,
               min(line) as example_line,
               arg_min(raw_value, line) as example_value
        from load_rejects group by reason, header order by rows desc, reason
    """).fetchdf()


def _pause_for_fault_tests() -> None:
    """Hold the open transaction for the SIGKILL test (RETENTION_FAULT_PAUSE_SECONDS)."""
    pause = os.environ.get("RETENTION_FAULT_PAUSE_SECONDS")
    if pause:
        import sys

        print("retention: transaction open", file=sys.stderr, flush=True)
        time.sleep(float(pause))


__all__ = ["BLOCK", "Inspection", "LoadReport", "inspect_file", "load_file", "prepare"]
