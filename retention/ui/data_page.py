"""The Data page's loading flow: pick a file (an upload, or a file of the server's import
folder) → what we detected → reading options → columns → load.

State lives in ``st.session_state`` keyed by the file's identity, not by its bytes: an upload's
SHA-256 is computed once per upload, a server file is known by its name, size and modification
time; inspections are kept per (identity, reading options), and every widget of the flow has
the identity in its key, so a different file starts from fresh defaults.

Uploaded bytes are written to a temporary file only while the ingest code reads them (it takes
a path) and removed right after; the bytes themselves stay in Streamlit's upload manager. A
file of the import folder is read where it lies (``retention.import_folder`` checks its name
again every time it is read), so a file too big to upload loads while the dashboard runs.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from retention.export import Column
from retention.formatting import CURRENCIES, format_count
from retention.i18n import N_, current_language, t
from retention.import_folder import ImportNameError, import_dir, list_files, resolve
from retention.ingest import (
    DATE_FORMATS,
    DELIMITERS,
    ENCODINGS,
    ROLES,
    IngestError,
    Inspection,
    LoadFolder,
    LoadReport,
    ReadOptions,
    inspect_file,
    load_file,
)
from retention.ingest.customers import customer_auto_map
from retention.ingest.roles import ROLE_BY_NAME, Role, missing_required
from retention.registry import Action
from retention.store import TRANSACTION_ROLES, DatasetNotFound
from retention.ui.context import Context, set_active_dataset
from retention.ui.text import md_escape
from retention.ui.widgets import (
    download_buttons,
    rejects_spec,
    rejects_summary_spec,
    show_table,
    table_spec,
)

log = logging.getLogger(__name__)

UPLOAD_KEY = "data_upload"
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "parquet", "zip"]
SOURCE_KEY = "data_source"
SERVER_FILE_KEY = "data_server_file"
# ``/data?server_file=NAME`` opens the page with that file of the import folder picked.
SERVER_FILE_PARAM = "server_file"
CURRENCY_LABEL = N_("Currency of the amounts")
_UPLOAD_HASH_KEY = "_upload_hash"
_INSPECTIONS_KEY = "_inspections"
_LAST_LOAD_KEY = "_last_load"
_MEGABYTE = 1024 * 1024


def upload_limit_mb() -> float:
    """The largest upload this page accepts, in MB: Streamlit's ``server.maxUploadSize``."""
    return float(st.get_option("server.maxUploadSize"))


@dataclass(frozen=True)
class Source:
    """A file to load: an upload (``upload`` set) or a file of the import folder (``folder``
    set). ``identity`` is a hex digest: the upload's SHA-256, or one of the server file's
    folder, name, size and modification time (hashing a multi-GB file on every pick would
    stall the page; the loader hashes it once, for its same-file check)."""

    name: str
    size: int
    identity: str
    upload: UploadedFile | None = field(default=None, compare=False, repr=False)
    folder: Path | None = None

    @property
    def stem(self) -> str:
        """The file name without its extension: the default dataset name."""
        return Path(self.name).stem

    @property
    def key(self) -> str:
        """A widget-key prefix unique to this file."""
        return self.identity[:16]

    @contextmanager
    def path(self) -> Iterator[Path]:
        """A path the ingest code can read for as long as the block runs: a temporary copy of
        an upload, or the server file itself (its name checked again now)."""
        if self.folder is not None:
            yield resolve(self.folder, self.name).path
            return
        assert self.upload is not None
        # a load folder, so a copy left by a killed app is cleared by the next load
        folder = LoadFolder()
        path = folder.path / f"upload{Path(self.name).suffix}"
        try:
            path.write_bytes(self.upload.getbuffer())
            yield path
        finally:
            folder.cleanup()


@dataclass(frozen=True)
class LastLoad:
    """A finished load kept for the report after the page reruns."""

    identity: str
    file_name: str
    steps: tuple[str, ...]
    report: LoadReport


# -- where the file is: upload or the server's import folder ------------------------------------


def source_picker(ctx: Context) -> Source | None:
    """"Upload from this computer" or "Files on the server", then that source's widget.

    Returns the file to load, or None while there is none (or it cannot be used, which the
    widget has said); for a role that may not upload, a sentence saying so instead.
    """
    if not ctx.may(Action.UPLOAD):
        st.info(ctx.access.why_not(), icon=":material/lock:")
        return None
    folder = import_dir(ctx.workspace.path)
    _follow_server_file_link(folder)
    where = st.radio(
        t("Where is the file?"), ["upload", "server"], horizontal=True, key=SOURCE_KEY,
        format_func=lambda w: {"upload": t("Upload from this computer"),
                               "server": t("Files on the server")}[w],
    )
    if where == "server":
        return server_file_widget(folder)
    return upload_widget(folder)


def _follow_server_file_link(folder: Path) -> None:
    """Apply ``?server_file=NAME`` once: pick that file under "Files on the server", or say why
    the name is refused (only plain names of files in the import folder are accepted)."""
    name = st.query_params.get(SERVER_FILE_PARAM)
    if name is None:
        return
    del st.query_params[SERVER_FILE_PARAM]
    st.session_state[SOURCE_KEY] = "server"
    try:
        st.session_state[SERVER_FILE_KEY] = resolve(folder, name).name
    except ImportNameError as exc:
        st.session_state.pop(SERVER_FILE_KEY, None)
        st.error(md_escape(exc), icon=":material/block:")


def _megabytes(size: int) -> str:
    return f"{size / _MEGABYTE:,.1f}" if size >= _MEGABYTE / 10 else "< 0.1"


def server_file_widget(folder: Path) -> Source | None:
    """The import folder's files (name, size, modified) and a picker; None until one is
    picked, or when the folder cannot be used (which is said)."""
    shown = md_escape(str(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        st.error(t("The import folder {folder} does not exist and cannot be created ({reason}). "
                   "Ask whoever runs the dashboard to create it or to set "
                   "`RETENTION_IMPORT_DIR` to another folder.",
                   folder=shown, reason=md_escape(exc.strerror or exc)),
                 icon=":material/error:")
        return None
    st.caption(t("Files copied to {folder} on the server (for example with scp or a file "
                 "share). They are read where they lie, with no size limit: use this for files "
                 "too big to upload.", folder=shown))
    files = list_files(folder)
    st.button(t("Refresh the list"), icon=":material/refresh:", key="data_server_refresh")
    if not files:
        st.info(t("There are no files in {folder} yet. Copy a CSV, TSV, TXT, Excel, Parquet or "
                  "zip file there, then refresh the list.", folder=shown),
                icon=":material/folder_open:")
        st.session_state.pop(SERVER_FILE_KEY, None)
        return None
    show_table(
        pd.DataFrame({
            "name": [f.name for f in files],
            "size_mb": [_megabytes(f.size) for f in files],
            "modified": [f.modified for f in files],
        }),
        table_spec(
            Column("name", t("File")),
            Column("size_mb", t("Size (MB)")),
            Column("modified", t("Modified"), "datetime"),
        ),
    )
    names = [f.name for f in files]
    if st.session_state.get(SERVER_FILE_KEY) not in names:
        st.session_state.pop(SERVER_FILE_KEY, None)  # gone from the folder since it was picked
    name = st.selectbox(t("File to load"), names, index=None, key=SERVER_FILE_KEY,
                        placeholder=t("Choose a file from the list"))
    if name is None:
        return None
    try:
        chosen = resolve(folder, name)
    except ImportNameError as exc:
        st.error(md_escape(exc), icon=":material/block:")
        return None
    identity = hashlib.sha256(
        "\x1f".join([str(folder), chosen.name, str(chosen.size), str(chosen.modified_ns)])
        .encode("utf-8")
    ).hexdigest()
    return Source(name=chosen.name, size=chosen.size, identity=identity, folder=folder)


def flow_key(flow: str, key: str) -> str:
    """A session-state key of one loading flow: "" is the purchase file's, and a second flow
    on the page (the customer file's, ``flow="customers"``) keeps its own state."""
    return f"{flow}{key}" if flow else key


def last_load_key(flow: str) -> str:
    """Where a flow keeps its last load's report (removed with the flow's upload)."""
    return flow_key(flow, _LAST_LOAD_KEY)


def upload_widget(folder: Path, *, flow: str = "", label: str | None = None) -> Source | None:
    """The file uploader; None when there is no file or it is over the size limit (which
    shows an error pointing to the import folder).

    ``flow`` and ``label`` are a second flow's (see :func:`flow_key`): its uploader, its
    file's identity and so every widget key of its file differ from the purchase flow's, even
    for the same file."""
    limit = upload_limit_mb()
    uploaded = st.file_uploader(
        label or t("Purchase history file"), type=UPLOAD_TYPES,
        key=f"{flow}_upload" if flow else UPLOAD_KEY,
        help=t("CSV, TSV or TXT with any delimiter, Excel (.xlsx, .xls), Parquet, or a zip "
               "holding one CSV. Up to {limit} MB here; a bigger file loads from the server "
               "under “Files on the server”.", limit=f"{limit:g}"),
    )
    state = st.session_state
    if uploaded is None:
        for key in (_UPLOAD_HASH_KEY, _INSPECTIONS_KEY, _LAST_LOAD_KEY):
            state.pop(flow_key(flow, key), None)
        return None
    if uploaded.size > limit * _MEGABYTE:
        st.error(
            t("{name} is {size} MB, more than the {limit} MB this page accepts. Copy the file to "
              "{folder} on the server, then pick it under “Files on the server” above: it is "
              "read there, with no size limit.",
              name=md_escape(uploaded.name), size=f"{uploaded.size / _MEGABYTE:,.1f}",
              limit=f"{limit:g}", folder=md_escape(str(folder))),
            icon=":material/block:",
        )
        return None
    known = state.get(flow_key(flow, _UPLOAD_HASH_KEY))
    if known is None or known[0] != uploaded.file_id:
        # Hash once per upload, not on every rerun: a 200 MB file takes a noticeable moment.
        digest = hashlib.sha256(uploaded.getbuffer()).hexdigest()
        if flow:
            digest = hashlib.sha256(f"{flow}\x1f{digest}".encode()).hexdigest()
        known = (uploaded.file_id, digest)
        state[flow_key(flow, _UPLOAD_HASH_KEY)] = known
    return Source(name=uploaded.name, size=uploaded.size, identity=known[1], upload=uploaded)


def _inspect(source: Source, options: ReadOptions | None, flow: str = "") -> Inspection:
    """``inspect_file`` for this file and options, remembered in the session by identity."""
    cache = st.session_state.setdefault(flow_key(flow, _INSPECTIONS_KEY), {})
    if cache.get("identity") != source.identity:
        cache.clear()
        cache["identity"] = source.identity
    key = (source.identity, options)
    if key not in cache:
        try:
            # Only the start of a text file is read, but the whole file is hashed.
            with st.spinner(t("Reading {name}…", name=md_escape(source.name)), show_time=True), \
                    source.path() as path:
                cache[key] = inspect_file(path, source.name, options)
        except IngestError as exc:
            # A bad file stays bad: keep the message (not the traceback's frames) for reruns.
            cache[key] = exc.with_traceback(None)
        except ImportNameError as exc:  # the server file went away since it was listed
            raise IngestError(str(exc)) from None
    found = cache[key]
    if isinstance(found, IngestError):
        raise found
    return found


# -- what we detected and reading options -------------------------------------------------------


def _delimiter_label(delimiter: str) -> str:
    labels = {
        ",": t("Comma ( , )"), ";": t("Semicolon ( ; )"), "|": t("Pipe ( | )"),
        "\t": t("Tab"), "whitespace": t("Columns aligned with spaces"),
    }
    return labels.get(delimiter, DELIMITERS.get(delimiter, delimiter))


def _decimal_label(decimal: str) -> str:
    return {".": t("Point: 1,234.50"), ",": t("Comma: 1 234,50")}.get(decimal, decimal)


def _date_format_label(key: str, candidates: list[str] | None = None) -> str:
    if key != "auto":
        return t(DATE_FORMATS[key].label) if key in DATE_FORMATS else key
    if not candidates:
        return t("Detect from the data")
    found = t(" or ").join(t(DATE_FORMATS[k].label) for k in candidates if k in DATE_FORMATS)
    return t("Detect from the data (looks like {formats})", formats=found)


def inspection_section(source: Source, *, flow: str = "",
                       customer_file: bool = False) -> Inspection | None:
    """What we detected, the overridable reading options, and a preview of the parsed rows.

    Returns the inspection for the options in effect, or None after showing why the file
    cannot be read. For a ``customer_file`` the mapping is matched to the customer file's
    roles and no currency is looked for (it holds no money).
    """
    try:
        detected = _inspect(source, None, flow)
    except IngestError as exc:
        st.error(md_escape(exc), icon=":material/error:")
        return None
    summary = st.container()
    options = _reading_options(source, detected)
    try:
        inspection = (detected if options == detected.options
                      else _inspect(source, options, flow))
    except IngestError as exc:
        st.error(md_escape(exc), icon=":material/error:")
        return None
    if customer_file:
        inspection = replace(inspection, mapping=customer_auto_map(inspection.headers),
                             currency=None)
    with summary:
        st.subheader(t("What we detected"))
        st.markdown(_detected_text(inspection, money=not customer_file))
    st.subheader(t("Preview"))
    st.caption(t("The first rows as they will be read, before any checks. “line” is the line "
                 "number in your file, as the rejects report uses it."))
    show_table(inspection.preview)
    download_buttons(inspection.preview, f"{source.stem}-preview", key=f"preview_{source.key}")
    return inspection


def _detected_text(inspection: Inspection, money: bool = True) -> str:
    """Markdown lines (file-derived text escaped) describing how the file will be read."""
    kinds = {"text": t("text table"), "excel": t("Excel workbook"), "parquet": t("Parquet")}
    opts = inspection.options
    lines = [
        t("**File:** {name} — {kind}, {size} KB", name=md_escape(inspection.name),
          kind=kinds.get(inspection.kind, inspection.kind),
          size=f"{inspection.size / 1000:,.1f}"),  # decimal KB, as the uploader shows
    ]
    if inspection.zip_member:
        lines.append(t("**Read from inside the zip:** {member}",
                       member=md_escape(inspection.zip_member)))
    if inspection.kind == "text":
        lines.append(
            t("**Encoding:** {encoding} · **Delimiter:** {delimiter} · **Decimal separator:** "
              "{decimal}", encoding=ENCODINGS.get(opts.encoding, opts.encoding),
              delimiter=_delimiter_label(opts.delimiter), decimal=_decimal_label(opts.decimal)))
    if inspection.kind == "excel":
        lines.append(t("**Sheet:** {sheet} (of {count})", sheet=md_escape(opts.sheet or ""),
                       count=len(inspection.sheets)))
    if inspection.kind != "parquet":
        lines.append(
            t("**Header row:** {header} · **Title lines skipped:** {skip}",
              header=t("yes") if opts.header else t("no — columns are named column1, "
                                                     "column2, …"),
              skip=opts.skip_rows))
    lines.append(t("**Dates:** {dates}", dates=_date_format_label(opts.date_format,
                                                                 inspection.date_formats)))
    if money:
        lines.append(t("**Currency:** {currency}", currency=inspection.currency
                       or t("not found in the file — choose it under “{control}” below",
                            control=t(CURRENCY_LABEL))))
    lines.append(t("**Columns:** {count}, of which {matched} matched automatically",
                   count=len(inspection.headers), matched=len(inspection.mapping)))
    return "  \n".join(lines)


def _reading_options(source: Source, detected: Inspection) -> ReadOptions:
    """Widgets in the "Reading options" expander, pre-set to what was detected."""
    opts = detected.options
    prefix = f"read_{source.key}"
    with st.expander(t("Reading options"), icon=":material/tune:"):
        if detected.kind == "parquet":
            st.caption(t("Parquet files carry their own column names and types: there is "
                         "nothing to set."))
            return opts
        if detected.kind == "excel":
            sheets = detected.sheets or [opts.sheet or ""]
            sheet = st.selectbox(
                t("Sheet"), sheets, index=sheets.index(opts.sheet) if opts.sheet in sheets else 0,
                key=f"{prefix}_sheet",
            )
            st.caption(t("The header row and title lines are detected from the sheet."))
            return replace(opts, sheet=sheet)
        encodings = list(ENCODINGS) + ([opts.encoding] if opts.encoding not in ENCODINGS else [])
        delimiters = list(DELIMITERS)
        decimals = [".", ","]
        date_formats = ["auto", *DATE_FORMATS]
        first, second, third = st.columns(3)
        encoding = first.selectbox(
            t("Encoding"), encodings, index=encodings.index(opts.encoding),
            format_func=lambda e: ENCODINGS.get(e, e), key=f"{prefix}_encoding",
            help=t("How characters are stored. Pick another if letters look garbled."),
        )
        delimiter = second.selectbox(
            t("Delimiter"), delimiters,
            index=delimiters.index(opts.delimiter) if opts.delimiter in delimiters else 0,
            format_func=_delimiter_label, key=f"{prefix}_delimiter",
        )
        decimal = third.selectbox(
            t("Decimal separator"), decimals,
            index=decimals.index(opts.decimal) if opts.decimal in decimals else 0,
            format_func=_decimal_label, key=f"{prefix}_decimal",
            help=t("Thousands separators (spaces, no-break spaces, the other mark) are "
                   "understood either way."),
        )
        fourth, fifth, sixth = st.columns(3)
        header = fourth.checkbox(
            t("The first line holds column names"), value=opts.header, key=f"{prefix}_header",
            help=t("Without a header row the columns are named column1, column2, …"),
        )
        skip_rows = fifth.number_input(
            t("Title lines to skip"), min_value=0, max_value=1000, value=int(opts.skip_rows),
            step=1, key=f"{prefix}_skip",
            help=t("Lines above the table, such as a report title or an export date."),
        )
        date_format = sixth.selectbox(
            t("Date format"), date_formats,
            index=date_formats.index(opts.date_format) if opts.date_format in date_formats else 0,
            format_func=lambda k: _date_format_label(k, detected.date_formats),
            key=f"{prefix}_date_format",
        )
    return ReadOptions(
        encoding=encoding, delimiter=delimiter, header=bool(header), skip_rows=int(skip_rows),
        decimal=decimal, date_format=date_format, sheet=opts.sheet, quote=opts.quote,
    )


# -- columns, destination, load -----------------------------------------------------------------


def _not_in_file(header: str | None) -> str:
    return t("— not in file —") if header is None else header


def _column_mapping(source: Source, inspection: Inspection) -> dict[str, str]:
    """A selectbox per role, pre-filled from the automatic match. Returns {role: header},
    with "" for roles the user left out (so the loader does not re-match them)."""
    headers = inspection.headers
    options: list[str | None] = [None, *headers]
    # The header list is part of the key: other reading options can rename every column.
    digest = hashlib.sha256("\x1f".join(headers).encode("utf-8")).hexdigest()[:8]
    prefix = f"map_{source.key}_{digest}"

    def pick(role: Role) -> str | None:
        default = inspection.mapping.get(role.name)
        return st.selectbox(
            t(role.label), options, index=options.index(default) if default in headers else 0,
            format_func=_not_in_file, key=f"{prefix}_{role.name}",
            help=t(role.help) if role.help else None,
        )

    chosen: dict[str, str | None] = {}
    required = [r for r in ROLES if r.required]
    for column, role in zip(st.columns(len(required)), required, strict=True):
        with column:
            chosen[role.name] = pick(role)
    st.caption(t("No amount column? Leave Amount as “— not in file —” and map Quantity and "
                 "Unit price under Purchase details: the amount is then quantity × unit price."))
    optional = [r for r in ROLES if not r.required]
    groups = [
        (t("Purchase details"), [r for r in optional if r.name in TRANSACTION_ROLES]),
        (t("Customer attributes"), [r for r in optional if r.name not in TRANSACTION_ROLES]),
    ]
    for title, roles in groups:
        matched = sum(1 for r in roles if r.name in inspection.mapping)
        with st.expander(t("{title} — {matched} of {total} matched", title=title,
                           matched=matched, total=len(roles))):
            columns = st.columns(3)
            for index, role in enumerate(roles):
                with columns[index % 3]:
                    chosen[role.name] = pick(role)
    return {role: header or "" for role, header in chosen.items()}


def _mapping_problems(mapping: dict[str, str], headers: list[str]) -> tuple[str | None, str | None]:
    """(blocking message, warning) for the chosen mapping; each None when there is none."""
    chosen = {role: header for role, header in mapping.items() if header}
    missing = missing_required(chosen)
    blocking = _describe_missing(missing, headers) if missing else None
    by_header: dict[str, list[str]] = {}
    for role, header in chosen.items():
        by_header.setdefault(header, []).append(t(ROLE_BY_NAME[role].label))
    doubled = [f"{header!r} ({', '.join(roles)})" for header, roles in by_header.items()
               if len(roles) > 1]
    warning = (t("One column is used for several roles: {columns}. Check that this is meant.",
                 columns="; ".join(doubled)) if doubled else None)
    return blocking, warning


def _describe_missing(missing: list[str], headers: list[str]) -> str:
    """Why the Load button is off, in the page's words: the roles without a column, and the
    controls that give them one (the loader's own sentence names the command line's option)."""
    return t(
        "No column could be used as {labels}. The file's columns are: {headers}. Choose them "
        "under “Columns” above; an amount can also come from Quantity and Unit price under "
        "“Purchase details”.",
        labels=", ".join(t(ROLE_BY_NAME[m].label) for m in missing),
        headers=", ".join(repr(h) for h in headers) or t("none"),
    )


def _currency_choice(source: Source, default: str | None) -> str | None:
    """The one control for the currency a load gives the dataset, pre-set to ``default`` (the
    dataset's currency when adding to one, else the file's). When there is no default it asks,
    beside the control: a file whose amounts carry no sign or code does not say its currency,
    and a guess would label every figure wrongly. It does not block the load: "Not specified"
    (plain numbers) is a fair answer for points or units, and Datasets can change it later."""
    labels = dict(CURRENCIES)
    codes: list[str | None] = [None, *labels]
    if default and default not in labels:
        codes.append(default)
    chosen = st.selectbox(
        t(CURRENCY_LABEL), codes,
        index=codes.index(default) if default in codes else 0,
        format_func=lambda c: t("Not specified (plain numbers)") if c is None
        else labels.get(c, c),
        key=f"currency_{source.key}_{default or ''}",
        help=t("Money is shown in this currency. It can be changed later under Datasets."),
    )
    if default is None and chosen is None:
        st.warning(t("We could not tell the currency from the file. Choose it under “{control}” "
                     "before loading; left as “Not specified”, money is shown as plain numbers.",
                     control=t(CURRENCY_LABEL)),
                   icon=":material/help:")
    return chosen


def load_section(ctx: Context, source: Source, inspection: Inspection) -> None:
    """Column mapping, dataset name and mode and the Load button; once this file is loaded,
    its report instead (offering the controls again would invite a second load)."""
    last = st.session_state.get(_LAST_LOAD_KEY)
    if isinstance(last, LastLoad) and last.identity == source.identity:
        load_report(ctx, last)
        if source.folder is None:
            st.caption(t("This file is loaded. To load another file, remove this one above and "
                         "upload the next."))
        else:
            st.caption(t("This file is loaded. To load another file, pick it in the list above."))
        return
    ws = ctx.workspace
    st.subheader(t("Columns"))
    mapping = _column_mapping(source, inspection)

    st.subheader(t("Destination"))
    existing = {d.name: d for d in ws.datasets()}
    left, right = st.columns(2)
    with left:
        name = (st.text_input(t("Dataset name"), value=source.stem, max_chars=100,
                              key=f"name_{source.key}") or "").strip()
        target = existing.get(name)
        if target is None:
            mode = "new"
            st.caption(t("A new dataset will be created."))
        else:
            mode = st.radio(
                t("A dataset with this name exists. What should this file do to it?"),
                ["append", "replace"],
                format_func=lambda m: {"append": t("Add to it"), "replace": t("Replace it")}[m],
                captions=[
                    t("Adds this file's rows. Rows whose order id is already in the dataset are "
                      "skipped; without order ids, rows identical to one already there are "
                      "skipped."),
                    t("Removes the dataset's rows and loads this file instead, in one step: if "
                      "the load fails, the old rows stay."),
                ],
                key=f"mode_{source.key}",
            ) or "append"
    with right:
        currency = _currency_choice(source, target.currency if target else inspection.currency)

    blocking, warning = _mapping_problems(mapping, inspection.headers)
    if warning:
        st.warning(md_escape(warning))
    if blocking:
        st.warning(md_escape(blocking))
    if st.button(t("Load"), type="primary", icon=":material/upload:", key=f"load_{source.key}",
                 disabled=blocking is not None or not name):
        _run_load(ctx, source, inspection, mapping, name, mode, currency)


def _run_load(ctx: Context, source: Source, inspection: Inspection, mapping: dict[str, str],
              name: str, mode: str, currency: str | None) -> None:
    """Load with progress in ``st.status``; on success remember the report and rerun so the
    sidebar lists the dataset, on failure show the reason (nothing has changed)."""
    if not ctx.may(Action.UPLOAD):  # the server's check, whatever the page showed
        st.error(ctx.access.why_not())
        return
    steps: list[str] = []
    error: str | None = None
    report: LoadReport | None = None
    with st.status(t("Loading {name}…", name=md_escape(source.name)), expanded=True) as status:

        def progress(message: str) -> None:
            steps.append(message)
            st.text(message)

        try:
            with source.path() as path:
                report = load_file(
                    ctx.workspace, path, dataset=name, name=source.name,
                    options=inspection.options, mapping=mapping, mode=mode, currency=currency,
                    progress=progress,
                )
        except (IngestError, ImportNameError) as exc:
            error = str(exc)
        except Exception:  # a bug or a database problem: the transaction has rolled back
            log.exception("loading %s failed", source.name)
            error = t("Something went wrong while loading {name}; nothing was changed. The "
                      "details are in the server log.", name=source.name)
        if error is None:
            status.update(label=t("Loaded {name}", name=md_escape(source.name)),
                          state="complete", expanded=False)
        else:
            status.update(label=t("Not loaded — nothing was changed"), state="error",
                          expanded=False)
    if error is not None or report is None:
        st.error(md_escape(error or ""), icon=":material/error:")
        return
    st.session_state[_LAST_LOAD_KEY] = LastLoad(source.identity, source.name, tuple(steps), report)
    if not report.already_loaded:
        set_active_dataset(report.dataset_id)
    st.rerun()  # the next run shows the report in place of the load controls


def load_report(ctx: Context, last: LastLoad) -> None:
    """What the last load of this file did: counts, warnings, rejects grouped by reason."""
    report = last.report
    ws = ctx.workspace
    try:
        ws.dataset(report.dataset_id)
    except DatasetNotFound:
        return  # deleted since; the report would point nowhere
    name = md_escape(report.dataset)
    if report.already_loaded:
        st.info(t("This exact file is already loaded as dataset “{name}”; nothing was loaded "
                  "twice.", name=name), icon=":material/content_copy:")
        if ctx.dataset is None or ctx.dataset.dataset_id != report.dataset_id:
            st.button(t("Switch to “{name}”", name=name), on_click=set_active_dataset,
                      args=(report.dataset_id,), key=f"switch_{report.dataset_id}")
        return
    with st.status(t("Loaded {file} into “{name}”", file=md_escape(last.file_name), name=name),
                   state="complete", expanded=False):
        for step in last.steps:
            st.text(step)
    st.success(t("Rows loaded into “{name}”: {rows} (now version {version}; took {seconds} s).",
                 rows=format_count(report.rows_loaded, current_language()), name=name,
                 version=report.version, seconds=f"{report.seconds:.1f}"),
               icon=":material/check_circle:")
    lang = current_language()
    numbers = [
        (t("Rows loaded"), report.rows_loaded,
         t("Rows of the file now in the dataset.")),
        (t("Rows rejected"), report.rows_rejected,
         t("Rows left out, each listed below with its line and reason.")),
        (t("Customers"), report.customers,
         t("Distinct customer ids among the rows loaded, whatever their dates: customers "
           "who only returned goods, or who order only after the as-of date, count here. "
           "Home and the other pages count customers with an order up to the as-of date, "
           "so they can show fewer.")),
        (t("Orders"), report.orders,
         t("Distinct orders among the rows loaded, whatever their dates: by order id, or one "
           "customer's purchases at the same moment when the file has no order ids. Returns "
           "are not orders.")),
        (t("Returns"), report.returns,
         t("Rows loaded with a negative amount or a cancellation mark.")),
    ]
    if report.rows_skipped_duplicate:
        numbers.append((t("Already there, skipped"), report.rows_skipped_duplicate,
                        t("Rows already in the dataset, so not loaded twice.")))
    for column, (label, value, help_text) in zip(st.columns(len(numbers)), numbers,
                                                 strict=True):
        column.metric(label, format_count(value, lang), help=help_text)
    if report.date_format in DATE_FORMATS:
        st.caption(t("Dates were read as {format}.",
                     format=t(DATE_FORMATS[report.date_format].label)))
    for warning in report.warnings:
        st.warning(md_escape(warning))
    if report.rows_rejected:
        st.subheader(t("Rejected rows"))
        show_table(rejects_by_reason(report.rejects), rejects_summary_spec())
        st.caption(t("Every rejected row with its line, column, value and reason:"))
        download_buttons(functools.partial(ws.rejects, report.dataset_id),
                         f"{report.dataset}-rejects", key=f"load_rejects_{report.dataset_id}",
                         spec=rejects_spec())


def rejects_by_reason(summary: pd.DataFrame) -> pd.DataFrame:
    """A load's rejects summary (reason, column, rows, example line and value) with readable
    column names."""
    return summary.rename(columns={
        "reason": t("Reason"), "column": t("Column"), "rows": t("Rows"),
        "example_line": t("Example line"), "example_value": t("Example value"),
    })
