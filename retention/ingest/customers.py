"""Load a customer file (DESIGN §8 "Customer file") into a dataset's customers.

A CRM or loyalty-card export with one row per customer goes through the purchase file's steps —
prepare, detect, stage, map, parse and check in SQL — and is written in one transaction. What
differs is the check and the write:

- Every value the file gives must be readable. A row with an unreadable date, number, yes/no or
  email, a missing customer id, or a customer id an earlier line already has, is rejected whole
  (line, column, value, reason) and nothing of it is merged: half a row (the opt-in without the
  email beside it) would be worse than none. A purchase file only empties such values, because
  there the purchase is what matters.
- The checked rows merge into the dataset's ``customers``: a non-empty value replaces the stored
  one, an empty cell keeps it. The dataset's version goes up, so every cached page recomputes.
- Customers in the file without purchases in the dataset are kept (and counted in the report):
  a referral counts once the referred customer orders, and a later purchase load finds them.
- The rejects are returned in the report (and shown or printed from there), not written to the
  workspace's ``rejects`` table: that one holds the purchase file's rejects, whose line numbers
  are the purchase file's.

A later purchase load keeps these values (its own non-empty ones win); a purchase load with
``replace`` replaces the whole dataset, customers included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from retention.i18n import t
from retention.ingest.commit import reject_summary, stage_rejects
from retention.ingest.errors import IngestError
from retention.ingest.loader import (
    Progress,
    _stage,
    complete_mapping,
    detect_options,
    load_key,
    prepare,
)
from retention.ingest.reader import ReadOptions
from retention.ingest.roles import ROLE_BY_NAME, auto_map
from retention.ingest.source import clean_stale_temp_dirs
from retention.ingest.validate import MIN_YEAR, MOSTLY_BAD, build_canonical, make_plan
from retention.store import CUSTOMER_ROLES, DatasetNotFound, Workspace

# The roles a customer file's columns can play: the id and every customer attribute.
CUSTOMER_FILE_ROLES = ("customer_id", *CUSTOMER_ROLES)
ROLES_OF_A_CUSTOMER_FILE = tuple(ROLE_BY_NAME[name] for name in CUSTOMER_FILE_ROLES)
DATE_ROLES = tuple(r for r in CUSTOMER_ROLES if ROLE_BY_NAME[r].kind == "date")
# The loads table's mode for a customer file.
LOAD_MODE = "customers"
# Something@something.something, with no spaces and one @: what an email service accepts as an
# address to try. Whether it reaches anyone only sending tells.
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s.]+"
# Each attribute's checked value, in the customers table's types (unmapped roles are NULL).
_ROW_VALUES = ", ".join(
    {"birth_date": "birth_date::date as birth_date", "signup_date": "signup_date::date as "
     "signup_date", "age": "age::integer as age", "nps": "nps::integer as nps",
     "share_of_wallet": "share_of_wallet::double as share_of_wallet"}.get(role, role)
    for role in CUSTOMER_ROLES
)

# Temp tables of one customer load (on its own cursor), dropped when it ends.
_TEMP_TABLES = ("stage", "canon", "customer_canon", "load_rejects", "customer_rows",
                "customer_merge")


@dataclass
class CustomerReport:
    """What a customer file's load did.

    rows_read: data rows of the file (blank lines not counted); rows_merged: rows whose values
    were merged; customers_new: of those, customers the dataset had no row for;
    customers_changed: customers already there with at least one stored value now different;
    customers_without_purchases: merged customers with no purchase in the dataset.
    ``rejects`` holds every rejected row: line, column, raw_value, reason.
    """

    dataset: str
    dataset_id: int
    version: int
    rows_read: int
    rows_merged: int
    rows_rejected: int
    customers_new: int
    customers_changed: int
    customers_without_purchases: int
    mapping: dict[str, str] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def reject_reasons(self) -> pd.DataFrame:
        """The rejects grouped by reason and column, with the first example of each (the
        purchase report's summary columns)."""
        columns = ["reason", "column", "rows", "example_line", "example_value"]
        if self.rejects.empty:
            return pd.DataFrame(columns=columns)
        ordered = self.rejects.sort_values("line", kind="stable")
        grouped = ordered.groupby(["reason", "column"], sort=False, dropna=False).agg(
            rows=("line", "size"), example_line=("line", "first"),
            example_value=("raw_value", "first"),
        ).reset_index()
        return grouped.sort_values(["rows", "reason"], ascending=[False, True],
                                   kind="stable")[columns].reset_index(drop=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "rows_read": self.rows_read,
            "rows_merged": self.rows_merged,
            "rows_rejected": self.rows_rejected,
            "customers_new": self.customers_new,
            "customers_changed": self.customers_changed,
            "customers_without_purchases": self.customers_without_purchases,
            "mapping": self.mapping,
            "date_formats": self.date_formats,
            "rejects": [
                {"line": int(r["line"]), "column": _text(r["column"]),
                 "value": _text(r["raw_value"]), "reason": r["reason"]}
                for r in self.rejects.to_dict("records")
            ],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }


def _text(value: Any) -> str | None:
    """A text cell of a frame, None when missing (pandas hands a missing one over as NaN,
    which JSON has no word for)."""
    return None if value is None or pd.isna(value) else str(value)


def customer_auto_map(headers: list[str]) -> dict[str, str]:
    """{role: header} for the headers that obviously name a customer file's role."""
    return auto_map(headers, ROLES_OF_A_CUSTOMER_FILE)


def ingest_customers(
    workspace: Workspace,
    source: str | Path,
    *,
    dataset: str,
    mapping: dict[str, str] | None = None,
    name: str | None = None,
    options: ReadOptions | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CustomerReport:
    """Merge the customer file at ``source`` into dataset ``dataset``'s customers.

    ``mapping`` is {role: header}; roles left out are matched automatically from the headers
    ("" keeps a role unmapped). ``options`` are reading options (default: detected); their date
    format applies to the birth and sign-up dates. Raises IngestError, with nothing changed,
    when the file cannot be loaded: no such dataset, no customer id column, nothing else
    mapped, most ids or a column's values unreadable, or every row rejected.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    clean_stale_temp_dirs()
    name = name or Path(source).name
    try:
        target = workspace.dataset(dataset)
    except DatasetNotFound:
        raise IngestError(
            t("There is no dataset {name!r} in this workspace. A customer file adds to the "
              "customers of a dataset: load its purchase history first, then this file.",
              name=dataset)
        ) from None
    say(t("Reading {name}", name=name))
    src = prepare(source, name, encoding=options.encoding if options else None)
    with src:
        opts = detect_options(src, options)
        con = workspace.cursor()
        try:
            staged = _stage(con, src, opts)
            roles = resolve_customer_mapping(staged.headers, mapping or {})
            say(t("Read {rows} rows; checking values", rows=f"{staged.rows:,}"))
            plan = make_plan(con, staged.headers, roles, opts, dated=DATE_ROLES)
            build_canonical(con, plan)
            today = (now or datetime.now()).date()
            rules = _check_rows(con, roles, plan.date_formats, today)
            good = stage_rejects(con, rules, table="customer_canon")
            con.execute(f"""
                create or replace temp table customer_rows as
                select line, customer_id, {_ROW_VALUES}
                from customer_canon where not ({good})
            """)
            if not con.execute("select count(*) from customer_rows").fetchall()[0][0]:
                raise IngestError(_all_rejected(con))
            say(t("Writing to the workspace"))
            report = _merge(workspace, con, target.dataset_id, load_key(src.sha256, opts, roles),
                            src.original_name)
        finally:
            for table in _TEMP_TABLES:
                con.execute(f"drop table if exists {table}")
            con.close()
    report.mapping = roles
    report.date_formats = {role: fmt.key for role, fmt in plan.date_formats.items()}
    report.warnings = plan.warnings
    report.seconds = time.perf_counter() - started
    say(t("Done: {rows} customers merged", rows=f"{report.rows_merged:,}"))
    return report


def resolve_customer_mapping(headers: list[str], given: dict[str, str]) -> dict[str, str]:
    """{role: header}: the user's choices, then obvious headers for the roles left open. Needs
    a customer id and at least one attribute to merge."""
    unknown = [r for r in given if r not in CUSTOMER_FILE_ROLES]
    if unknown:
        raise IngestError(
            t("A customer file has no role {roles}. Its roles are: {all}.",
              roles=", ".join(repr(r) for r in unknown), all=", ".join(CUSTOMER_FILE_ROLES))
        )
    chosen = complete_mapping(headers, given, customer_auto_map(headers))
    shown = ", ".join(repr(h) for h in headers) or t("none")
    if "customer_id" not in chosen:
        raise IngestError(
            t("No column could be used as the customer id. The file's columns are: {headers}. "
              "Map the one that holds it to customer_id.", headers=shown)
        )
    if len(chosen) == 1:
        raise IngestError(
            t("Only the customer id could be matched, so there is nothing to add to the "
              "customers. The file's columns are: {headers}. Map them to roles such as email, "
              "birth_date or nps.", headers=shown)
        )
    return chosen


def _unreadable_reason(role: str) -> str:
    """Why a value the file gives for ``role`` (a number or yes/no role) is refused."""
    if role == "age":
        return t("the age is not a number from 0 to 120")
    if role == "nps":
        return t("the NPS score is not a whole number from 0 to 10")
    if role == "share_of_wallet":
        return t("the share of wallet is not a number from 0 to 1 (or a percentage)")
    if ROLE_BY_NAME[role].kind == "boolean":
        return t("not understood as yes or no")
    return t("not a number")


def _check_rows(con: duckdb.DuckDBPyConnection, roles: dict[str, str],
                date_formats: dict[str, Any], today: date) -> list[tuple[str, str | None, str,
                                                                          str]]:
    """The reject rules of a customer file over temp table ``customer_canon`` (``canon`` with
    each id's first line and the date bounds), as (condition, header, raw column, reason).
    Stops the load when most ids, or most values of one column, cannot be used: the column is
    then the wrong one, or the file is not a customer file."""
    latest = {"birth_date": today, "signup_date": date(today.year + 1, 12, 31)}
    con.execute("""
        create or replace temp table customer_canon as
        select *, min(line) over (partition by customer_id) as id_first_line,
               $earliest::date as earliest_day, $birth::date as latest_birth_date,
               $signup::date as latest_signup_date
        from canon
    """, {"earliest": date(MIN_YEAR, 1, 1), "birth": latest["birth_date"],
          "signup": latest["signup_date"]})
    total = con.execute("select count(*) from customer_canon").fetchall()[0][0]
    if total == 0:
        raise IngestError(t("The file has no data rows: there is nothing to load."))
    id_header = roles["customer_id"]
    rules: list[tuple[str, str | None, str, str]] = [
        ("overflow is not null", None, "overflow",
         t("the line has more fields than the header; check the delimiter or quoting")),
        ("customer_id is null", id_header, "raw_customer_id", t("no customer id")),
    ]
    repeated = "customer_id is not null and line > id_first_line"
    for role, header in roles.items():
        kind = ROLE_BY_NAME[role].kind
        unreadable = f"{role} is null and nullif(trim(raw_{role}), '') is not null"
        if kind == "date":
            rules.append((unreadable, header, f"raw_{role}",
                          t("the date is not understood as {fmt}",
                            fmt=date_formats[role].label)))
            rules.append((f"{role} is not null and ({role} < earliest_day"
                          f" or {role} > latest_{role})", header, f"raw_{role}",
                          t("the date is out of range ({lo} to {hi})", lo=MIN_YEAR,
                            hi=latest[role].isoformat())))
        elif kind != "text":
            rules.append((unreadable, header, f"raw_{role}", _unreadable_reason(role)))
    if "email" in roles:
        rules.append((f"email is not null and not regexp_full_match(email, '{EMAIL_PATTERN}')",
                      roles["email"], "raw_email", t("not an email address")))
    for condition, column, raw, _ in rules[1:]:
        found = _mostly(con, condition, raw, total)
        if found is not None:
            raise IngestError(
                t("Column {header!r} could not be used in {bad} of {total} rows (e.g. {values})."
                  " Nothing was loaded. Check that the right column is mapped to it, and the "
                  "date format and decimal separator under 'Reading options'.",
                  header=column, bad=found[0], total=f"{total:,}", values=found[1]))
    found = _mostly(con, repeated, "raw_customer_id", total)
    if found is not None:
        raise IngestError(
            t("{bad} of {total} rows repeat a customer id an earlier line has (e.g. {values}): "
              "this looks like a purchase file, with a row per purchase. Nothing was loaded. A "
              "customer file has one row per customer; load purchases as a purchase file.",
              bad=found[0], total=f"{total:,}", values=found[1]))
    rules.insert(2, (repeated, id_header, "raw_customer_id",
                     t("the customer id is on an earlier line too; only its first line is used")))
    return rules


def _mostly(con: duckdb.DuckDBPyConnection, condition: str, raw: str,
            total: int) -> tuple[str, str] | None:
    """(count, the first values shown) when more than MOSTLY_BAD of the rows meet
    ``condition``, else None."""
    bad, values = con.execute(
        f"select count(*), list({raw} order by line)[1:3] from customer_canon where {condition}"
    ).fetchall()[0]
    if bad <= MOSTLY_BAD * total:
        return None
    return f"{bad:,}", ", ".join(repr(v) for v in values)


def _all_rejected(con: duckdb.DuckDBPyConnection) -> str:
    summary = reject_summary(con)
    first = summary.iloc[0]
    return t("Every row of the file was rejected; nothing was loaded.") + t(
        " The most common problem: {reason} ({n} rows, e.g. line {line}, value {value!r}).",
        reason=first["reason"], n=int(first["rows"]), line=int(first["example_line"]),
        value=first["example_value"],
    )


def _merge(ws: Workspace, con: duckdb.DuckDBPyConnection, dataset_id: int, key: str,
           source_name: str) -> CustomerReport:
    """Merge ``customer_rows`` into the dataset's customers and bump its version, in one
    transaction; a non-empty value replaces the stored one, an empty one keeps it."""
    merged = ", ".join(f"coalesce(n.{c}, o.{c}) as {c}" for c in CUSTOMER_ROLES)
    changed = " or ".join(f"(n.{c} is not null and n.{c} is distinct from o.{c})"
                          for c in CUSTOMER_ROLES)
    columns = ", ".join(CUSTOMER_ROLES)
    con.execute("begin transaction")
    try:
        # column names are the fixed CUSTOMER_ROLES; the dataset id is a parameter
        con.execute(f"""
            create or replace temp table customer_merge as
            select n.customer_id, {merged},
                   o.customer_id is null as is_new,
                   o.customer_id is not null and ({changed}) as is_changed,
                   not exists (select 1 from transactions t
                               where t.dataset_id = $ds and t.customer_id = n.customer_id)
                       as without_purchases
            from customer_rows n
            left join (select * from customers where dataset_id = $ds) o
                   on o.customer_id = n.customer_id
        """, {"ds": dataset_id})
        con.execute(
            "delete from customers where dataset_id = ? and customer_id in"
            " (select customer_id from customer_merge)", [dataset_id])
        con.execute(
            f"insert into customers (dataset_id, customer_id, {columns})"
            f" select ?, customer_id, {columns} from customer_merge", [dataset_id])
        merged_rows, new, changed_rows, no_purchases = con.execute(
            "select count(*), count(*) filter (where is_new), count(*) filter (where is_changed),"
            " count(*) filter (where without_purchases) from customer_merge"
        ).fetchall()[0]
        rejected = con.execute(
            "select count(distinct line) from load_rejects").fetchall()[0][0]
        bumped = con.execute(
            "update datasets set version = version + 1, updated_at = current_timestamp"
            " where dataset_id = ? returning version, name", [dataset_id],
        ).fetchall()
        if not bumped:  # deleted since the load began: its customers would belong to nobody
            raise IngestError(t("The dataset was deleted while the file was being read; "
                                "nothing was loaded."))
        version, name = bumped[0]
        con.execute(
            "insert into loads (dataset_id, version, file_hash, source_name, mode, rows_loaded,"
            " rows_rejected, rows_skipped) values (?, ?, ?, ?, ?, ?, ?, 0)",
            [dataset_id, version, key, source_name, LOAD_MODE, merged_rows, rejected],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    rejects = con.execute(
        'select line, header as "column", raw_value, reason from load_rejects'
        ' order by line, "column"'
    ).fetchdf()
    for column in ("column", "raw_value"):  # a missing value stays None, not NaN
        rejects[column] = rejects[column].astype(object).where(rejects[column].notna(), None)
    return CustomerReport(
        dataset=str(name), dataset_id=dataset_id, version=int(version),
        rows_read=int(merged_rows) + int(rejected), rows_merged=int(merged_rows),
        rows_rejected=int(rejected), customers_new=int(new),
        customers_changed=int(changed_rows), customers_without_purchases=int(no_purchases),
        rejects=rejects,
    )


__all__ = ["CUSTOMER_FILE_ROLES", "CustomerReport", "customer_auto_map", "ingest_customers",
           "resolve_customer_mapping"]
