"""The DuckDB workspace: one file holding many datasets, their versions and their rows.

Why one DuckDB file per workspace: a marketer's laptop needs no server, and a team's server needs
only a shared path — the same connection code serves both. MotherDuck (``md:`` names) is refused
with a sentence: its published clients stop at DuckDB 1.5 and this project pins 2.0, so nothing
here could be tested against it.

Why a sentence when the file is locked: DuckDB lets one process at a time hold a workspace file
open for writing (and a process that only reads cannot open it while another one writes). The
dashboard keeps its workspace open for as long as it runs, so a second program (the command
line, a second dashboard) gets :class:`WorkspaceInUse`, which names the file and the other
process, instead of DuckDB's raw error.

Why one connection per workspace per process, and a cursor per caller: DuckDB allows one
read-write connection to a file per process; cursors are cheap, independent connections to the
same database, so every script run or thread takes its own and none is shared across threads.
A load commits in one transaction while other cursors read; a reader that needs several queries
to agree (the old as-of date must not be counted on the new rows) runs them in one
:func:`snapshot`.

Every table that holds data carries ``dataset_id``. The ``datasets`` row holds the version that
caches key on; any change to a dataset's rows or settings increments it.

``orders`` is derived from ``transactions`` in the same transaction as every load: one row per
order (returns are not orders) with its date (the earliest line's) and revenue. Metrics count
orders far more often than lines, and an order table is 2–4 times smaller.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from retention.i18n import t
from retention.metrics import customer_summary

DEFAULT_WORKSPACE = Path("data") / "workspace.duckdb"
SCHEMA_VERSION = 5

# Transaction roles (DESIGN §3) in the column order of the canonical table.
TRANSACTION_ROLES = (
    "customer_id", "date", "amount", "order_id", "product", "category",
    "quantity", "unit_price", "cost", "channel", "store",
)
CUSTOMER_ROLES = (
    "gender", "birth_date", "age", "city", "region", "signup_date", "email", "phone",
    "email_opt_in", "sms_opt_in", "referred_by", "nps", "share_of_wallet", "attributes",
    "first_name", "last_name",
)

# One row per (customer, order) from the non-return lines: the order's date is its earliest
# line's, its revenue the sum of its lines (DESIGN §4). ``?`` is a dataset id, or NULL for all.
_ORDERS_FROM_TRANSACTIONS = """
    insert into orders
    select dataset_id, order_key, customer_id, min(date), sum(amount), count(*)
    from transactions
    where (dataset_id = $1 or $1 is null) and not is_return
    group by dataset_id, customer_id, order_key
"""

# Tables whose rows belong to one dataset (all carry dataset_id).
DATA_TABLES = ("transactions", "orders", "customer_summary", "customers", "rejects", "loads",
               "settings")
# Saved audiences and their exports (retention.audiences, DESIGN §8), also per dataset (all carry
# dataset_id). Not in DATA_TABLES: a load that replaces the rows keeps them, so an export made
# before it can be read out against the new data; deleting the dataset deletes them.
AUDIENCE_TABLES = ("audiences", "audience_exports", "audience_export_members")

_SCHEMA = [
    """
    create table if not exists meta (key text primary key, value text)
    """,
    """
    create sequence if not exists dataset_ids start 1
    """,
    """
    create table if not exists datasets (
        dataset_id integer primary key default nextval('dataset_ids'),
        name text not null unique,
        version integer not null default 1,
        source_name text,
        file_hash text,
        mapping text,
        read_options text,
        currency text,
        rows_loaded bigint not null default 0,
        rows_rejected bigint not null default 0,
        created_at timestamp not null default current_timestamp,
        updated_at timestamp not null default current_timestamp
    )
    """,
    """
    create table if not exists loads (
        dataset_id integer not null,
        version integer not null,
        file_hash text not null,
        source_name text,
        mode text not null,
        rows_loaded bigint not null,
        rows_rejected bigint not null,
        rows_skipped bigint not null,
        loaded_at timestamp not null default current_timestamp
    )
    """,
    """
    create table if not exists transactions (
        dataset_id integer not null,
        line bigint,
        customer_id text not null,
        date timestamp not null,
        amount decimal(18, 4) not null,
        is_return boolean not null,
        order_key text not null,
        order_id text,
        product text,
        category text,
        quantity double,
        unit_price decimal(18, 4),
        cost decimal(18, 4),
        channel text,
        store text
    )
    """,
    """
    create table if not exists customers (
        dataset_id integer not null,
        customer_id text not null,
        gender text,
        birth_date date,
        age integer,
        city text,
        region text,
        signup_date date,
        email text,
        phone text,
        email_opt_in boolean,
        sms_opt_in boolean,
        referred_by text,
        nps integer,
        share_of_wallet double,
        attributes text,
        first_name text,
        last_name text
    )
    """,
    """
    create table if not exists orders (
        dataset_id integer not null,
        order_key text not null,
        customer_id text not null,
        date timestamp not null,
        revenue decimal(18, 4) not null,
        lines integer not null
    )
    """,
    """
    create table if not exists customer_summary (
        dataset_id integer not null,
        customer_id text not null,
        orders bigint not null,
        first_order timestamp not null,
        last_order timestamp not null,
        purchase_days bigint not null,
        repeat_day_revenue decimal(38, 4),
        nonpositive_days bigint not null,
        net_revenue decimal(38, 4) not null,
        gross_value decimal(38, 4) not null,
        returned_value decimal(38, 4) not null,
        channel text,
        top_category text
    )
    """,
    """
    create table if not exists settings (
        dataset_id integer not null,
        namespace text not null,
        value text not null,
        primary key (dataset_id, namespace)
    )
    """,
    """
    create sequence if not exists audience_ids start 1
    """,
    """
    create table if not exists audiences (
        audience_id integer primary key default nextval('audience_ids'),
        dataset_id integer not null,
        name text not null,
        definition text not null,
        created_at timestamp not null default current_timestamp,
        updated_at timestamp not null default current_timestamp,
        unique (dataset_id, name)
    )
    """,
    """
    create sequence if not exists audience_export_ids start 1
    """,
    """
    create table if not exists audience_exports (
        export_id integer primary key default nextval('audience_export_ids'),
        dataset_id integer not null,
        audience text not null,
        definition text not null,
        options text not null,
        dataset_version integer not null,
        as_of date not null,
        exported_at timestamp not null default current_timestamp,
        file_name text,
        customers bigint not null,
        exported bigint not null,
        excluded_no_consent bigint not null,
        excluded_no_contact bigint not null,
        control bigint not null,
        treatment bigint not null
    )
    """,
    """
    create table if not exists audience_export_members (
        export_id integer not null,
        dataset_id integer not null,
        customer_id text not null,
        "group" text not null
    )
    """,
    """
    create table if not exists rejects (
        dataset_id integer not null,
        line bigint,
        "column" text,
        raw_value text,
        reason text not null
    )
    """,
]
# Every table of the schema above, as a Parquet export writes them and a Parquet workspace
# reads them back (one file per table, named after it).
WORKSPACE_TABLES = ("meta", "datasets", "loads", "transactions", "customers", "orders",
                    "customer_summary", "settings", "audiences", "audience_exports",
                    "audience_export_members", "rejects")
# What the metrics cannot do without: a Parquet folder missing one of these is no workspace.
_PARQUET_REQUIRED = ("datasets", "transactions", "orders", "customers")


@dataclass(frozen=True)
class Dataset:
    """One dataset of a workspace, as the ``datasets`` table holds it."""

    dataset_id: int
    name: str
    version: int
    source_name: str | None
    file_hash: str | None
    currency: str | None
    rows_loaded: int
    rows_rejected: int
    mapping: dict[str, str] = field(default_factory=dict)
    read_options: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DatasetNotFound(LookupError):
    """Raised when a dataset name or id is not in the workspace."""


class WorkspaceUnavailable(duckdb.Error):
    """The workspace cannot be opened; the message is a sentence for the user.

    A ``duckdb.Error``, so a caller that already catches DuckDB's errors on open (the app's
    frame) catches this too.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class WorkspaceInUse(WorkspaceUnavailable, duckdb.IOException):
    """Another process holds the workspace file's lock (most often the running dashboard).

    ``pid`` and ``program`` are the holder's, as DuckDB reports them (None when it does not).
    """

    def __init__(self, path: str, pid: int | None, program: str | None) -> None:
        holder = (t("another program (PID {pid})", pid=pid) if pid is not None
                  else t("another program"))
        super().__init__(
            t("The workspace {path} is in use by {holder}: DuckDB lets only one program at a "
              "time open a workspace file.", path=path, holder=holder),
            path,
        )
        self.pid = pid
        self.program = program


# DuckDB 2.0 on a held lock: 'IO Error: Could not set lock on file "/x.duckdb": Conflicting
# lock is held in /usr/bin/python3.11 (PID 4242). See also https://duckdb.org/...'
_LOCK_ERROR = re.compile(r"Could not set lock on file")
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
# DuckDB's prefixes for MotherDuck databases
_MOTHERDUCK_PREFIXES = ("md:", "motherduck:")


# DuckDB's resource settings a server's operator may set (issue 16), by environment variable.
# Sizes are DuckDB's: a number and KB, MB, GB, TB (powers of 1000) or KiB … TiB (of 1024).
DUCKDB_SETTINGS = {
    "RETENTION_DUCKDB_MEMORY_LIMIT": "memory_limit",
    "RETENTION_DUCKDB_THREADS": "threads",
    "RETENTION_DUCKDB_TEMP_DIRECTORY": "temp_directory",
    "RETENTION_DUCKDB_MAX_TEMP_DIRECTORY_SIZE": "max_temp_directory_size",
}
_SIZE = re.compile(r"[0-9]+(\.[0-9]+)?\s*([KMGT]i?B)", re.IGNORECASE)
_PERCENT = re.compile(r"[0-9]+(\.[0-9]+)?\s*%")
_WHOLE = re.compile(r"[0-9]+")


class DuckDBSettingError(ValueError):
    """A value of a :data:`DUCKDB_SETTINGS` variable that DuckDB would not take; the message
    names the variable and says what is expected. Opening a workspace turns it into
    :class:`WorkspaceUnavailable`, so the app's frame and the command line show the sentence
    rather than a traceback."""


def duckdb_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """DuckDB's ``config`` for every workspace connection, from the :data:`DUCKDB_SETTINGS`
    variables of ``environ`` (default: the process's environment); unset or empty ones are
    left to DuckDB's defaults. The values go to DuckDB as configuration, never into SQL.
    Raises :class:`DuckDBSettingError` for a value DuckDB would not take."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for variable, setting in DUCKDB_SETTINGS.items():
        value = environ.get(variable, "").strip()
        if value:
            config[setting] = _duckdb_setting(variable, setting, value)
    return config


def _duckdb_setting(variable: str, setting: str, value: str) -> Any:
    if setting == "threads":
        if not _WHOLE.fullmatch(value) or int(value) < 1:
            raise DuckDBSettingError(t(
                "{variable} must be a whole number of threads, at least 1 (e.g. 4), not "
                "{value!r}.", variable=variable, value=value))
        return int(value)
    if setting == "temp_directory":
        folder = Path(value).expanduser()
        if folder.exists() and not folder.is_dir():
            raise DuckDBSettingError(t(
                "{variable} must name a folder for DuckDB's temporary files, but {value!r} is "
                "a file.", variable=variable, value=value))
        return str(folder)
    if _SIZE.fullmatch(value):
        return value
    if setting == "memory_limit":
        # a share of the machine's memory is DuckDB's other way to give the limit
        if _PERCENT.fullmatch(value):
            return value
        raise DuckDBSettingError(t(
            "{variable} must be a size such as 4GB, 512MB or 2GiB, or a share of the memory "
            "such as 80%, not {value!r}.", variable=variable, value=value))
    raise DuckDBSettingError(t(
        "{variable} must be a size such as 4GB, 512MB or 2GiB, not {value!r}.",
        variable=variable, value=value))


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with the :data:`DUCKDB_SETTINGS`, and a sentence for the ways
    a workspace cannot be opened that a user can do something about: a MotherDuck name, a bad
    setting, and a file another process holds."""
    if path.lower().startswith(_MOTHERDUCK_PREFIXES):
        raise WorkspaceUnavailable(
            t("MotherDuck does not support DuckDB 2.0 yet, so the workspace {path} cannot be "
              "opened; use a local workspace file instead.", path=path),
            path,
        )
    try:
        config = duckdb_config()
    except DuckDBSettingError as exc:
        raise WorkspaceUnavailable(
            t("The workspace {path} cannot be opened: {reason}", path=path, reason=exc), path
        ) from exc
    try:
        return duckdb.connect(path, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        message = str(exc)
        if not _LOCK_ERROR.search(message):
            raise
        found = _LOCK_HOLDER.search(message)
        raise WorkspaceInUse(
            path,
            pid=int(found["pid"]) if found else None,
            program=found["program"] if found else None,
        ) from exc


class Workspace:
    """A DuckDB workspace file. Create through :func:`open_workspace`, not directly.

    ``cursor()`` hands out a fresh cursor; use one per script run or thread.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        # a folder is a Parquet workspace (:func:`export_parquet`): the same tables, read only
        self.parquet = Path(self.path).is_dir()
        self.read_only = read_only or self.parquet
        if self.parquet:
            self._con = _connect_parquet(Path(self.path))
        else:
            if not self.path.lower().startswith(_MOTHERDUCK_PREFIXES) and self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._con = _connect(self.path, read_only)
        self._lock = threading.Lock()
        if not self.read_only:
            self._migrate()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on this workspace; not to be shared between threads."""
        with self._lock:
            return self._con.cursor()

    def close(self) -> None:
        self._con.close()

    def _migrate(self) -> None:
        con = self.cursor()
        con.execute("begin")
        for statement in _SCHEMA:
            con.execute(statement)
        row = con.execute("select value from meta where key = 'schema_version'").fetchone()
        found = int(row[0]) if row else SCHEMA_VERSION
        if found < 2:
            # version 1 had no orders table: derive it for the datasets already loaded
            con.execute(_ORDERS_FROM_TRANSACTIONS, [None])
        if found < 3:
            # version 3 keeps names for campaign exports (DESIGN §8)
            con.execute("alter table customers add column if not exists first_name text")
            con.execute("alter table customers add column if not exists last_name text")
        # version 4 added the audience tables: the create statements above made them
        if found < 5:
            # version 5 keeps one summary row per buyer (retention.metrics.customer_summary)
            for (dataset_id,) in con.execute("select dataset_id from datasets").fetchall():
                self._rebuild_customer_summary(con, int(dataset_id))
        con.execute(
            "insert or replace into meta values ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("commit")

    def rebuild_derived(self, con: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
        """Derive the dataset's ``orders`` and ``customer_summary`` rows from its transactions,
        on the caller's cursor (so a load does it inside its own transaction). Whatever
        changes a dataset's transactions calls this: the two tables are never older than
        the lines."""
        con.execute("delete from orders where dataset_id = ?", [dataset_id])
        con.execute(_ORDERS_FROM_TRANSACTIONS, [dataset_id])
        self._rebuild_customer_summary(con, dataset_id)

    @staticmethod
    def _rebuild_customer_summary(con: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
        con.execute("delete from customer_summary where dataset_id = ?", [dataset_id])
        con.execute(customer_summary.BUILD_SQL, {"ds": dataset_id})

    # -- datasets -------------------------------------------------------------------------------

    def datasets(self) -> list[Dataset]:
        """All datasets, oldest first."""
        rows = self.cursor().execute(
            "select * from datasets order by dataset_id"
        ).fetchdf()
        return [_dataset_from_row(r) for r in rows.to_dict("records")]

    def dataset(self, key: str | int) -> Dataset:
        """The dataset with this id (int) or name (str)."""
        return read_dataset(self.cursor(), key)

    def find_by_hash(self, file_hash: str) -> Dataset | None:
        """The dataset that already holds a file with this SHA-256, if any."""
        row = self.cursor().execute(
            "select dataset_id from loads where file_hash = ? order by loaded_at desc limit 1",
            [file_hash],
        ).fetchone()
        if row is None:
            return None
        try:
            return self.dataset(int(row[0]))
        except DatasetNotFound:
            return None

    def rename_dataset(self, dataset_id: int, new_name: str) -> Dataset:
        """Give a dataset a new, unique name; raises ValueError with a user-ready sentence."""
        new_name = new_name.strip()
        if not new_name:
            raise ValueError(t("A dataset name cannot be empty."))
        con = self.cursor()
        taken = con.execute(
            "select 1 from datasets where name = ? and dataset_id <> ?", [new_name, dataset_id]
        ).fetchone()
        if taken:
            raise ValueError(
                t("Another dataset is already called {name!r}; pick another name.", name=new_name)
            )
        con.execute(
            "update datasets set name = ?, version = version + 1, updated_at = current_timestamp"
            " where dataset_id = ?",
            [new_name, dataset_id],
        )
        return self.dataset(dataset_id)

    def set_currency(self, dataset_id: int, currency: str | None) -> Dataset:
        """Set the ISO currency code money is shown in (None: plain numbers)."""
        self.cursor().execute(
            "update datasets set currency = ?, version = version + 1,"
            " updated_at = current_timestamp where dataset_id = ?",
            [currency or None, dataset_id],
        )
        return self.dataset(dataset_id)

    def delete_dataset(self, dataset_id: int) -> None:
        """Remove a dataset and all its rows, in one transaction."""
        con = self.cursor()
        con.execute("begin")
        try:
            for table in DATA_TABLES + AUDIENCE_TABLES + ("datasets",):
                # table names come from the fixed tuple above, never from input
                con.execute(f"delete from {table} where dataset_id = ?", [dataset_id])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise

    def rejects(self, dataset_id: int, limit: int | None = None) -> pd.DataFrame:
        """Rejected source rows: line, column, raw_value, reason (ordered by line)."""
        sql = (
            'select line, "column", raw_value, reason from rejects where dataset_id = ?'
            " order by line, \"column\""
        )
        params: list[Any] = [dataset_id]
        if limit is not None:
            sql += " limit ?"
            params.append(limit)
        return self.cursor().execute(sql, params).fetchdf()

    def settings(self, dataset_id: int, namespace: str) -> dict[str, Any]:
        """A page's saved settings for a dataset (e.g. namespace 'ladder'); {} when none.

        Settings are metric parameters, so callers put them in cache keys themselves; saving
        them does not change the dataset's version.
        """
        row = self.cursor().execute(
            "select value from settings where dataset_id = ? and namespace = ?",
            [dataset_id, namespace],
        ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def save_settings(self, dataset_id: int, namespace: str, values: dict[str, Any]) -> None:
        """Remember a page's settings for a dataset (JSON-serialisable values)."""
        self.cursor().execute(
            "insert or replace into settings values (?, ?, ?)",
            [dataset_id, namespace, json.dumps(values, sort_keys=True, default=str)],
        )

    def fingerprint(self, dataset: Dataset) -> tuple[str, int, int]:
        """The plain values caches key on: workspace path, dataset id and version."""
        return (self.path, dataset.dataset_id, dataset.version)


def read_dataset(con: duckdb.DuckDBPyConnection, key: str | int) -> Dataset:
    """The dataset with this id (int) or name (str), as ``con`` sees it (inside a
    :func:`snapshot`: the version whose rows the snapshot's queries read)."""
    if isinstance(key, int):
        df = con.execute("select * from datasets where dataset_id = ?", [key]).fetchdf()
    else:
        df = con.execute("select * from datasets where name = ?", [key]).fetchdf()
    if df.empty:
        raise DatasetNotFound(t("There is no dataset {key!r} in this workspace.", key=key))
    return _dataset_from_row(df.to_dict("records")[0])


@contextmanager
def snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block's queries on ``con`` in one read-only transaction.

    DuckDB shows a transaction the workspace as it was when the transaction began, so every
    query of the block sees the same version of every dataset, whatever loads other cursors
    commit meanwhile. Temp tables a metric creates are still allowed; nothing else is written.
    """
    con.execute("begin transaction read only")
    try:
        yield con
    finally:
        con.execute("rollback")


def _json(value: Any) -> dict[str, Any]:
    """A JSON object column's value; {} for NULL."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return {}
    return dict(json.loads(value))


def _opt(value: Any) -> Any:
    """A nullable column's value; None for NULL (which pandas may hand over as NaN)."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


# Each column of ``datasets`` that Dataset holds, and how its value is read.
_DATASET_COLUMNS: dict[str, Callable[[Any], Any]] = {
    "dataset_id": int, "name": str, "version": int, "source_name": _opt, "file_hash": _opt,
    "currency": _opt, "rows_loaded": int, "rows_rejected": int, "mapping": _json,
    "read_options": _json, "created_at": _opt, "updated_at": _opt,
}


def _dataset_from_row(row: Mapping[Hashable, Any]) -> Dataset:
    return Dataset(**{column: read(row[column]) for column, read in _DATASET_COLUMNS.items()})


def _connect_parquet(folder: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose workspace tables are views over ``folder/<table>.parquet``:
    the metric SQL runs on it unchanged, whatever storage holds the files (issue 16's path past
    one machine). The folder reaches DuckDB as a setting's parameter, never inside SQL; the
    file names are the schema's own table names."""
    missing = [name for name in _PARQUET_REQUIRED if not (folder / f"{name}.parquet").is_file()]
    if missing:
        raise WorkspaceUnavailable(
            t("The folder {path} is not a Parquet workspace: it has no {files}. Write one "
              "with `python -m retention export-parquet`.", path=str(folder),
              files=", ".join(f"{name}.parquet" for name in missing)),
            str(folder),
        )
    try:
        config = duckdb_config()
    except DuckDBSettingError as exc:
        raise WorkspaceUnavailable(
            t("The workspace {path} cannot be opened: {reason}", path=str(folder), reason=exc),
            str(folder),
        ) from exc
    con = duckdb.connect(":memory:", config=config)
    con.execute("set global file_search_path = ?", [str(folder)])  # every cursor reads it
    for table in WORKSPACE_TABLES:
        if (folder / f"{table}.parquet").is_file():
            con.execute(f"create view {table} as select * from read_parquet('{table}.parquet')")
    return con


def export_parquet(workspace: Workspace, folder: str | Path) -> dict[str, int]:
    """Write every table of ``workspace`` to ``folder/<table>.parquet``, all from one snapshot,
    and return {table: rows}. Each file is written under a temporary name and renamed only once
    every table is written, so a failed export leaves the folder's earlier export whole."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    con = workspace.cursor()
    written: dict[str, int] = {}
    partial = {table: target / f".partial-{table}.parquet" for table in WORKSPACE_TABLES}
    try:
        with snapshot(con):
            for table, path in partial.items():
                con.execute(f"copy {table} to ? (format parquet)", [str(path)])
                row = con.execute(f"select count(*) from {table}").fetchone()
                written[table] = int(row[0]) if row else 0
        for table, path in partial.items():
            path.replace(target / f"{table}.parquet")
    finally:
        for path in partial.values():
            path.unlink(missing_ok=True)
    return written


_workspaces: dict[tuple[str, bool], Workspace] = {}
_workspaces_lock = threading.Lock()


def workspace_path(path: str | Path | None = None) -> str:
    """The workspace to use: the argument, else ``RETENTION_DB``, else the default file."""
    chosen = path or os.environ.get("RETENTION_DB") or DEFAULT_WORKSPACE
    chosen = str(chosen)
    if chosen.lower().startswith(_MOTHERDUCK_PREFIXES) or chosen == ":memory:":
        return chosen  # not a file: opening it says why it cannot be used
    return str(Path(chosen).expanduser().resolve())


def open_workspace(path: str | Path | None = None, *, read_only: bool = False) -> Workspace:
    """The process-wide Workspace for this path (one DuckDB connection per file per process)."""
    resolved = workspace_path(path)
    key = (resolved, read_only)
    with _workspaces_lock:
        ws = _workspaces.get(key)
        if ws is None:
            ws = Workspace(resolved, read_only=read_only)
            _workspaces[key] = ws
        return ws


def close_workspace(path: str | Path | None = None) -> None:
    """Close and forget the process-wide connection for this path (tests and CLI exits)."""
    resolved = workspace_path(path)
    with _workspaces_lock:
        for key in [k for k in _workspaces if k[0] == resolved]:
            _workspaces.pop(key).close()
