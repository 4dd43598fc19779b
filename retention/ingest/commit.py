"""Write a checked load into the workspace in one transaction.

Everything before this point worked on temp tables of the load's own cursor; here the dataset
row, its transactions, rejects, customers and load record change together or not at all.
"""

from __future__ import annotations

import json
import os
import sys
import time

import duckdb
import pandas as pd

from retention.i18n import t
from retention.ingest.errors import IngestError
from retention.ingest.reader import ReadOptions
from retention.ingest.report import LoadReport
from retention.ingest.source import PreparedSource
from retention.ingest.validate import Checks, Plan
from retention.store import CUSTOMER_ROLES, DATA_TABLES, Dataset, Workspace


def commit_load(ws: Workspace, con: duckdb.DuckDBPyConnection, src: PreparedSource, dataset: str,
            target: Dataset | None, mode: str,
            opts: ReadOptions, roles: dict[str, str], plan: Plan, checks: Checks,
            currency: str | None, load_key: str) -> LoadReport:
    """Write the load. The dataset keeps the file's own hash; the load record keeps
    ``load_key`` (the file's hash and how it was read), by which a repeat is recognised."""
    # The f-strings below splice only code-made text: role column names, the validator's own
    # conditions and the fixed table list. Headers, reasons and ids travel as parameters.
    bad_condition = stage_rejects(con, checks.rejects_sql)
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
               referred_by, nps, share_of_wallet, attributes, first_name, last_name
        from canon where not ({bad_condition})
    """)
    if not con.execute("select count(*) from load_rows").fetchall()[0][0]:
        summary = reject_summary(con)
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
            ).fetchall()[0][0]
        else:
            dataset_id = target.dataset_id
            if mode == "replace":
                # a replace keeps the dataset's saved page settings
                for table in (t for t in DATA_TABLES if t != "settings"):
                    con.execute(f"delete from {table} where dataset_id = ?", [dataset_id])
        skipped, new_rows = _insert_transactions(con, dataset_id, mode == "append", has_order_id)
        con.execute(
            "insert into rejects select ?, line, header, raw_value, reason from load_rejects",
            [dataset_id],
        )
        _merge_customers(con, dataset_id)
        ws.rebuild_derived(con, dataset_id)
        loaded, rejected = con.execute(
            "select (select count(*) from load_rows), (select count(distinct line)"
            " from load_rejects)"
        ).fetchall()[0]
        loaded -= skipped
        version = con.execute(
            "update datasets set version = version + ?, source_name = ?, file_hash = ?,"
            " mapping = ?, read_options = ?, currency = coalesce(?, currency),"
            " rows_loaded = (select count(*) from transactions where dataset_id = ?),"
            " rows_rejected = (select count(distinct line) from rejects where dataset_id = ?),"
            " updated_at = current_timestamp where dataset_id = ? returning version",
            [0 if target is None else 1, src.original_name, src.sha256, json.dumps(roles),
             json.dumps(opts.as_dict()), currency, dataset_id, dataset_id, dataset_id],
        ).fetchall()[0][0]
        con.execute(
            "insert into loads (dataset_id, version, file_hash, source_name, mode, rows_loaded,"
            " rows_rejected, rows_skipped) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, version, load_key, src.original_name, mode, loaded, rejected, skipped],
        )
        _pause_for_fault_tests()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    stats = con.execute(
        "select count(distinct customer_id), count(distinct order_key) filter (where not"
        f" is_return), count(*) filter (where is_return) from {new_rows}"
    ).fetchall()[0]
    final_currency = ws.dataset(int(dataset_id)).currency
    return LoadReport(
        dataset=dataset, dataset_id=int(dataset_id), version=int(version),
        rows_loaded=int(loaded), rows_rejected=int(rejected), customers=int(stats[0]),
        orders=int(stats[1]), returns=int(stats[2]), rows_skipped_duplicate=int(skipped),
        date_format=plan.date_formats["date"].key, currency=final_currency,
        rejects=reject_summary(con), warnings=checks.warnings,
    )


def _insert_transactions(
    con: duckdb.DuckDBPyConnection, dataset_id: int, append: bool, has_order_id: bool
) -> tuple[int, str]:
    """Insert this load's rows; on append skip those already in the dataset. Returns how many
    were skipped and the temp table holding the rows inserted (``load_rows`` itself unless
    appending: copying a million rows only to read them again cost half a second)."""
    columns = ("customer_id, date, amount, is_return, order_key, order_id, product, category,"
               " quantity, unit_price, cost, channel, store")
    if append:
        if has_order_id:
            known = ("exists (select 1 from transactions t where t.dataset_id = $ds"
                     " and t.order_id = r.order_id)")
        else:
            same_row = " and ".join(f"t.{c} is not distinct from r.{c}"
                                    for c in columns.replace(" ", "").split(","))
            known = f"exists (select 1 from transactions t where t.dataset_id = $ds and {same_row})"
        con.execute(f"""
            create or replace temp table load_new as
            select * from load_rows r where not ({known})
        """, {"ds": dataset_id})
    new_rows = "load_new" if append else "load_rows"
    con.execute(
        f"insert into transactions (dataset_id, line, {columns})"
        f" select ?, line, {columns} from {new_rows}", [dataset_id]
    )
    return int(con.execute(
        f"select (select count(*) from load_rows) - (select count(*) from {new_rows})"
    ).fetchall()[0][0]), new_rows


_CUSTOMER_COLUMNS = CUSTOMER_ROLES


def _merge_customers(con: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
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


def stage_rejects(con: duckdb.DuckDBPyConnection, rules: list[tuple[str, str | None, str, str]],
                  table: str = "canon") -> str:
    """Temp table ``load_rejects`` (line, header, raw_value, reason): one row per rule a row of
    ``table`` breaks. ``rules`` are the validator's (condition, header, raw column, reason).
    Returns the condition that is true for a rejected row."""
    # Conditions, raw columns and the table name are the validators' own text; headers and
    # reasons travel as parameters.
    con.execute(f"""
        create or replace temp table load_rejects as
        {" union all ".join(
            f"select line, ?::varchar as header, {raw}::varchar as raw_value, ?::varchar as reason"
            f" from {table} where {cond}" for cond, _, raw, _ in rules)}
    """, [p for _, header, _, reason in rules for p in (header, reason)])
    return " or ".join(f"({cond})" for cond, *_ in rules)


def reject_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
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
        print("retention: transaction open", file=sys.stderr, flush=True)
        time.sleep(float(pause))
