"""Inspect a file (what was detected, a preview, a suggested mapping) and load it.

A load is: prepare the source → stage its text in a temp table → map columns to roles → parse and
validate in SQL → write everything in one transaction. Reading and checking happen before the
transaction starts; a failure there, an exception inside it, or a killed process leaves the
workspace exactly as it was (DuckDB drops an uncommitted transaction on the next open).

Every value is handed to DuckDB as a parameter; SQL text holds only our own staging column names
(``c1``…) and fixed role names.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb

from retention.i18n import t
from retention.ingest import sniff
from retention.ingest.commit import commit_load
from retention.ingest.errors import IngestError
from retention.ingest.reader import (
    ReadOptions,
    column_ref,
    excel_cell_text,
    excel_sheets,
    read_excel_rows,
    stage_file,
)
from retention.ingest.report import Inspection, LoadReport
from retention.ingest.roles import ROLE_BY_NAME, ROLES, auto_map, describe_missing, missing_required
from retention.ingest.source import (
    PreparedSource,
    file_sha256,
    scan_text,
    sniff_kind,
    unzip_single,
)
from retention.ingest.validate import build_canonical, check_rows, column_sample, make_plan
from retention.store import Workspace

Progress = Callable[[str], None]
SAMPLE_BYTES = 256 * 1024
PREVIEW_ROWS = 20


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
            plan = make_plan(con, staged.headers, roles, opts)
            build_canonical(con, plan)
            checks = check_rows(con, plan, now or datetime.now())
            currency = currency or sniff.detect_currency(
                [h for r, h in roles.items() if r in ("amount", "unit_price")],
                column_sample(con, plan, "amount") or column_sample(con, plan, "unit_price"),
            )
            say(t("Writing to the workspace"))
            report = commit_load(ws, con, src, dataset, target, mode, opts, roles, plan, checks,
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



__all__ = ["Inspection", "LoadReport", "detect_options", "inspect_file", "load_file", "prepare"]
