"""Inspect a file (what was detected, a preview, a suggested mapping) and load it.

A load is: prepare the source → stage its text in a temp table → map columns to roles → parse and
validate in SQL → write everything in one transaction. Reading and checking happen before the
transaction starts; a failure there, an exception inside it, or a killed process leaves the
workspace exactly as it was (DuckDB drops an uncommitted transaction on the next open).

Every value is handed to DuckDB as a parameter; SQL text holds only our own staging column names
(``c1``…) and fixed role names.
"""

from __future__ import annotations

import hashlib
import json
import logging
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
    Staged,
    column_ref,
    excel_cell_text,
    excel_sheets,
    read_excel_rows,
    stage_file,
)
from retention.ingest.report import Inspection, LoadReport
from retention.ingest.roles import ROLE_BY_NAME, ROLES, auto_map, describe_missing, missing_required
from retention.ingest.source import (
    EncodingBreak,
    LoadFolder,
    PreparedSource,
    TextScan,
    check_workbook_zip,
    clean_stale_temp_dirs,
    file_sha256,
    scan_text,
    sniff_kind,
    unzip_single,
)
from retention.ingest.validate import build_canonical, check_rows, column_sample, make_plan
from retention.store import Dataset, Workspace

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
SAMPLE_BYTES = 256 * 1024
PREVIEW_ROWS = 20


# -- preparing ----------------------------------------------------------------------------------


def prepare(path: str | Path, name: str | None = None, encoding: str | None = None,
            scan: bool = True) -> PreparedSource:
    """Hash and classify a file; unzip it, and with ``scan`` check and re-encode its text so
    DuckDB can read it. ``encoding`` is the user's choice; without one it is detected from the
    head, and changed when the scan finds the head was plain ASCII and the rest is not UTF-8."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise IngestError(t("There is no file at {path}.", path=str(path)))
    size = path.stat().st_size
    if size == 0:
        raise IngestError(t("{name} is empty (0 bytes): there is nothing to load.", name=name))
    digest = file_sha256(path)
    kind = sniff_kind(path, name)
    folder = LoadFolder()
    src = PreparedSource(original_name=name, kind=kind, path=path, sha256=digest, size=size,
                         _tmpdir=folder)
    try:
        if kind == "zip":
            src.path, src.zip_member = unzip_single(path, name, folder.path)
            src.kind = "text"
        elif kind == "excel":
            check_workbook_zip(path, name)
        if src.kind == "text":
            with open(src.path, "rb") as fh:
                head = fh.read(SAMPLE_BYTES)
            if not head:
                raise IngestError(t("{name} is empty: there is nothing to load.", name=name))
            sniff.refuse_binary(head)
            src.encoding = encoding or sniff.detect_encoding(head)
            if scan:
                _apply_scan(src, _scan_text(src, folder.path, chosen=encoding is not None))
    except BaseException:
        src.cleanup()
        raise
    return src


def _scan_text(src: PreparedSource, into: Path | None, *, chosen: bool) -> TextScan:
    """``scan_text`` over the whole source. When the encoding was detected from a plain-ASCII
    head and a later line is not UTF-8, the file is scanned again in the encoding that line
    suggests (the head simply held no letters to tell by); a chosen encoding is never changed."""
    try:
        return scan_text(src.path, src.encoding, into)
    except EncodingBreak as brk:
        if chosen or not brk.ascii_before or brk.guess is None:
            raise
        log.info("%s: line %d is the first beyond ASCII and reads as %s, not %s",
                 src.original_name, brk.line, brk.guess, src.encoding)
        src.encoding = brk.guess
        return scan_text(src.path, src.encoding, into)


def _apply_scan(src: PreparedSource, scanned: TextScan) -> None:
    if scanned.path != src.path:
        src.path, src.path_encoding = scanned.path, "utf-8"
    src.blank_lines, src.line_count = scanned.blank_lines, scanned.line_count
    src.quoted_newlines = scanned.quoted_newlines


def _text_sample(src: PreparedSource) -> tuple[list[str], bool]:
    with open(src.path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        complete = fh.read(1) == b""
    text = sniff.decode_sample(head, src.path_encoding or src.encoding)
    return sniff.sample_lines(text, complete), complete


def detect_options(src: PreparedSource, given: ReadOptions | None = None) -> ReadOptions:
    """Reading options detected from the file's first lines.

    For text, ``given`` wins whole. A spreadsheet's header row and title lines are detected on
    the chosen sheet (``given.sheet``, else the first sheet holding a table), and Parquet has
    its own column names; for both only ``given.date_format`` carries over.
    """
    date_format = given.date_format if given else "auto"
    if given is not None and given.sheet and src.kind != "excel":
        raise IngestError(
            t("{name} is not a workbook, so it has no sheet {sheet!r} to choose. Leave the sheet "
              "out for this file.", name=src.original_name, sheet=given.sheet)
        )
    if src.kind == "parquet":
        return ReadOptions(header=True, date_format=date_format)
    if src.kind == "excel":
        sheets = excel_sheets(src.path)
        if given is not None and given.sheet and given.sheet not in sheets:
            raise IngestError(
                t("The workbook {name} has no sheet {sheet!r}. Its sheets are: {sheets}. Choose "
                  "one of them.", name=src.original_name, sheet=given.sheet,
                  sheets=", ".join(repr(s) for s in sheets) or t("none"))
            )
        candidates = [given.sheet] if given is not None and given.sheet else sheets
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
    lines, complete = _text_sample(src)
    if not [line for line in lines if line.strip()]:
        raise IngestError(t("{name} has no lines of data: there is nothing to load.",
                            name=src.original_name))
    if given is not None:
        return given
    delimiter = sniff.detect_delimiter(lines)
    problem = sniff.not_a_table(lines, delimiter, complete)
    if problem is not None:
        raise IngestError(problem)
    rows = sniff.split_rows(lines, delimiter)
    skip = sniff.detect_skip(rows)
    detected = ReadOptions(
        encoding=src.encoding,
        delimiter=delimiter,
        header=sniff.detect_header(rows[skip:]),
        skip_rows=skip,
        decimal=sniff.detect_decimal(rows[skip + 1:]),
    )
    return detected


def _sample_width(src: PreparedSource, options: ReadOptions) -> int:
    lines, _ = _text_sample(src)
    rows = sniff.split_rows(lines, options.delimiter, options.quote or '"')
    rows = rows[options.skip_rows:]
    if options.header and rows:
        # lines wider than the header land in the reader's overflow column and are rejected
        return max(len(rows[0]), 1)
    return max(sniff.modal_width(rows[:1000]), 1)


def _stage(con: duckdb.DuckDBPyConnection, src: PreparedSource, options: ReadOptions) -> Staged:
    width = _sample_width(src, options) if src.kind == "text" else 0
    return stage_file(con, src, options, table="stage", width=width)


# -- inspecting ---------------------------------------------------------------------------------


def inspect_file(path: str | Path, name: str | None = None,
                 options: ReadOptions | None = None) -> Inspection:
    """Detect how to read a file and show its first rows as they will be parsed.

    Detection and the preview use the first 256 KiB of a text file; the whole text is only
    checked (one streaming pass, no copy) for bytes outside its encoding, so that a file which
    switches encodings part-way is refused here rather than at the load.
    ``Inspection.currency`` is None when neither the amount's values nor its header name one.
    """
    chosen = options.encoding if options else None
    src = prepare(path, name, encoding=chosen, scan=False)
    with src:
        if src.kind == "text":
            _scan_text(src, None, chosen=chosen is not None)
        opts = detect_options(src, options)
        sheets = excel_sheets(src.path) if src.kind == "excel" else []
        if src.kind == "text":
            src = _head_only(src)
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
            [amount_header] if amount_header else [],
            samples.get(amount_header, []) if amount_header else [],
        )
        return Inspection(
            name=src.original_name, kind=src.kind, size=src.size, sha256=src.sha256,
            options=opts, headers=staged.headers, preview=preview, mapping=mapping,
            date_formats=date_formats, currency=currency, sheets=sheets,
            zip_member=src.zip_member,
        )


def _head_only(src: PreparedSource) -> PreparedSource:
    """A copy of the source holding only its first complete lines, as UTF-8 (for previews)."""
    with open(src.path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        complete = fh.read(1) == b""
    text = sniff.decode_sample(head, src.path_encoding or src.encoding)
    if not complete:
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut > 0 else text
    assert src._tmpdir is not None  # every prepared source has its folder
    target = src._tmpdir.path / "head.txt"
    target.write_bytes(text.encode("utf-8"))
    head_src = replace(src, path=target, path_encoding="utf-8", _tmpdir=None)
    _apply_scan(head_src, scan_text(target, "utf-8", None))
    return head_src


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
    ``currency`` (an ISO code) is the user's choice; without one it is detected from the amount's
    values and header, and stays None when they name none.
    The same file read the same way (same sheet, reading options and columns) is recognised and
    not loaded twice. Temporary folders of earlier loads that were killed are removed first.
    Raises IngestError, with nothing changed, when the file cannot be loaded.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    if mode not in ("new", "replace", "append"):
        raise ValueError(f"unknown load mode {mode!r}")
    clean_stale_temp_dirs()
    name = name or Path(path).name
    dataset = (dataset or Path(name).stem).strip() or "dataset"
    say(t("Reading {name}", name=name))
    src = prepare(path, name, encoding=options.encoding if options else None)
    with src:
        opts = detect_options(src, options)
        target = _dataset_row(ws, dataset)
        if target is not None and mode == "new" and not _file_seen(ws, src.sha256):
            raise _exists(dataset)
        con = ws.cursor()
        try:
            staged = _stage(con, src, opts)
            roles = _resolve_mapping(staged.headers, mapping or {})
            existing = _loaded_as(ws, load_key(src.sha256, opts, roles), src.sha256, opts, roles)
            if existing is not None and (existing.name == dataset or mode == "new"):
                return _already_loaded(ws, existing, started)
            if target is not None and mode == "new":
                raise _exists(dataset)
            say(t("Read {rows} rows; checking values", rows=f"{staged.rows:,}"))
            plan = make_plan(con, staged.headers, roles, opts)
            build_canonical(con, plan)
            checks = check_rows(con, plan, now or datetime.now())
            currency = currency or sniff.detect_currency(
                [h for r, h in roles.items() if r in ("amount", "unit_price")],
                column_sample(con, plan, "amount") or column_sample(con, plan, "unit_price"),
            )
            say(t("Writing to the workspace"))
            report = commit_load(ws, con, src, dataset, target, mode, opts, roles, plan, checks,
                                 currency, load_key(src.sha256, opts, roles))
            say(t("Done: {rows} rows loaded", rows=f"{report.rows_loaded:,}"))
        finally:
            for table in ("stage", "canon"):
                con.execute(f"drop table if exists {table}")
            con.close()
        report.seconds = time.perf_counter() - started
        return report


def load_key(sha256: str, options: ReadOptions, roles: dict[str, str]) -> str:
    """What a load is recognised by: the file's SHA-256 and a digest of how it was read (sheet,
    encoding, delimiter, header, title lines, decimal, date format, quote) and which column
    plays which role. Another sheet of the same workbook, or the same file read otherwise, is
    another load."""
    how = json.dumps({"options": options.as_dict(), "roles": roles}, sort_keys=True,
                     ensure_ascii=False)
    return f"{sha256}/{hashlib.sha256(how.encode('utf-8')).hexdigest()}"


def _file_seen(ws: Workspace, sha256: str) -> bool:
    """Whether any load, read in whatever way, came from this file."""
    row = ws.cursor().execute(
        "select count(*) > 0 from loads where file_hash = ? or starts_with(file_hash, ?)",
        [sha256, sha256 + "/"],
    ).fetchone()
    return bool(row and row[0])


def _loaded_as(ws: Workspace, key: str, sha256: str, opts: ReadOptions,
               roles: dict[str, str]) -> Dataset | None:
    """The dataset that already holds this load, if any. Loads recorded before the key held
    the reading options carry the bare file hash; they match when the dataset was last read
    with the same options and columns."""
    found = ws.find_by_hash(key)
    if found is not None:
        return found
    legacy = ws.find_by_hash(sha256)
    if legacy is not None and legacy.read_options == opts.as_dict() and legacy.mapping == roles:
        return legacy
    return None


def _exists(dataset: str) -> IngestError:
    return IngestError(
        t("A dataset called {name!r} already exists. Choose 'replace' to overwrite it, "
          "'append' to add these rows to it, or give the new data another name.",
          name=dataset)
    )


def _already_loaded(ws: Workspace, ds: Dataset, started: float) -> LoadReport:
    stats = ws.cursor().execute(
        "select count(distinct customer_id),"
        " count(distinct order_key) filter (where not is_return),"
        " count(*) filter (where is_return)"
        " from transactions where dataset_id = ?", [ds.dataset_id],
    ).fetchall()[0]
    return LoadReport(
        dataset=ds.name, dataset_id=ds.dataset_id, version=ds.version,
        rows_loaded=0, rows_rejected=0, customers=int(stats[0]), orders=int(stats[1]),
        returns=int(stats[2]), already_loaded=True, currency=ds.currency,
        warnings=[t("This exact file, read the same way (same sheet, reading options and "
                    "columns), is already loaded as dataset {name!r} (version {version}); "
                    "nothing was loaded again.", name=ds.name, version=ds.version)],
        seconds=time.perf_counter() - started,
    )


def _dataset_row(ws: Workspace, name: str) -> Dataset | None:
    row = ws.cursor().execute("select dataset_id from datasets where name = ?", [name]).fetchone()
    return None if row is None else ws.dataset(int(row[0]))


def complete_mapping(headers: list[str], given: dict[str, str],
                     automatic: dict[str, str]) -> dict[str, str]:
    """{role: header}: the user's choices (an empty header leaves a role out), each checked
    against the file's headers, then ``automatic``'s header for every role the user did not
    name, unless the user gave that header to another role. Purchase and customer files
    share it; each checks its own role names first."""
    for role, header in given.items():
        if header and header not in headers:
            raise IngestError(
                t("The mapping names a column {header!r} for {role}, but the file has no such "
                  "column. Its columns are: {headers}.", header=header, role=role,
                  headers=", ".join(repr(h) for h in headers))
            )
    chosen = {r: h for r, h in given.items() if h}
    taken = set(chosen.values())
    for role, header in automatic.items():
        if role not in given and header not in taken:
            chosen[role] = header
            taken.add(header)
    return chosen


def _resolve_mapping(headers: list[str], given: dict[str, str]) -> dict[str, str]:
    """{role: header}: the user's choices, then obvious headers for the roles left open."""
    unknown_roles = [r for r in given if r not in ROLE_BY_NAME]
    if unknown_roles:
        raise IngestError(
            t("Unknown role(s) {roles}. Roles are: {all}.", roles=", ".join(unknown_roles),
              all=", ".join(r.name for r in ROLES))
        )
    chosen = complete_mapping(headers, given, auto_map(headers))
    missing = missing_required(chosen)
    if missing:
        raise IngestError(describe_missing(missing, headers))
    return chosen



__all__ = ["Inspection", "LoadReport", "clean_stale_temp_dirs", "detect_options", "inspect_file",
           "load_file", "load_key", "prepare"]
